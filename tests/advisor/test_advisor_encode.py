"""encode_targets: every encoding round-trips through decode for perfect outputs; class
order, thresholds by output activation, scores and probabilities; refusals."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import log_loss, roc_auc_score

from losslab import losses
from losslab.advisor import encode_targets

# One loss per target encoding (and its logits variant where it has one).
CLASS_LOSSES = [
    ("binary_crossentropy", {}),
    ("binary_crossentropy", {"from_logits": True}),
    ("hinge", {}),
    ("squared_hinge", {}),
    ("categorical_crossentropy", {}),
    ("categorical_crossentropy", {"from_logits": True}),
    ("sparse_categorical_crossentropy", {}),
    ("sparse_categorical_crossentropy", {"from_logits": True}),
    ("kl_divergence", {}),
]
BINARY_ONLY = {"binary_01", "binary_pm1"}


def _perfect(spec, values, units):
    """What a perfect network outputs, written from the output layer (not from EncodedTargets)."""
    enc, logits = spec.target_encoding, spec.takes_logits
    if enc == "binary_01":
        return np.where(values > 0.5, 8.0, -8.0) if logits else values  # sigmoid: the probability itself
    if enc == "binary_pm1":
        return 0.9 * values  # tanh: the sign
    rows = np.eye(units)[values] if enc == "integer_class" else values
    return 12.0 * rows - 6.0 if logits else rows  # softmax probabilities or logits: the argmax


# ---------------------------------------------------------------- round trips
LABEL_SETS = [
    [0, 1, 1, 0, 1],
    [1, 2, 2, 1],
    [-1, 1, -1],
    [0.5, 3.7, 0.5],
    ["spam", "ham", "ham"],
    [True, False, True],
    [0, 1, 2, 2, 1, 0],
    ["b", "a", "c", "d", "a"],
    [10, 30, 20, 30],
]


@pytest.mark.parametrize("labels", LABEL_SETS, ids=[str(s) for s in LABEL_SETS])
@pytest.mark.parametrize("loss, params", CLASS_LOSSES, ids=[f"{n}{'+logits' if p else ''}" for n, p in CLASS_LOSSES])
def test_round_trip(labels, loss, params):
    spec = losses.get(loss, **params)
    y = np.array(labels)
    if spec.target_encoding in BINARY_ONLY and len(set(labels)) != 2:
        with pytest.raises(ValueError, match="expected two classes"):
            encode_targets(y, spec)
        return
    enc = encode_targets(y, spec)
    decoded = enc.decode(_perfect(spec, enc.values, enc.output_units))
    assert decoded.tolist() == y.tolist()
    assert decoded.dtype.kind == y.dtype.kind
    # the helper agrees with the test's own perfect outputs
    assert enc.decode(enc.perfect_outputs()).tolist() == y.tolist()


@settings(max_examples=80, deadline=None)
@given(
    labels=st.one_of(
        st.lists(st.integers(-1000, 1000), min_size=2, max_size=8, unique=True),
        # NumPy's str arrays drop trailing NUL characters, so labels keep to printable ones.
        st.lists(st.text(alphabet="abcxyz-_ 019é", min_size=1, max_size=5), min_size=2, max_size=8, unique=True),
        st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=8, unique=True),
    ),
    picks=st.lists(st.integers(0, 7), min_size=1, max_size=40),
    which=st.sampled_from(range(len(CLASS_LOSSES))),
)
def test_round_trip_for_random_label_sets(labels, picks, which):
    loss, params = CLASS_LOSSES[which]
    spec = losses.get(loss, **params)
    if spec.target_encoding in BINARY_ONLY:
        labels = labels[:2]
    y = np.array([labels[i % len(labels)] for i in picks] + labels)  # every class appears
    enc = encode_targets(y, spec, classes=labels)
    assert enc.classes == tuple(np.array(labels).tolist())
    assert enc.output_units == (1 if spec.target_encoding in BINARY_ONLY else len(labels))
    assert enc.decode(_perfect(spec, enc.values, enc.output_units)).tolist() == y.tolist()


def test_multilabel_round_trip_keeps_columns_and_dtype():
    y = pd.DataFrame({"red": [1, 0, 1], "green": [0, 0, 1], "blue": [1, 1, 0]})
    for loss in ("binary_crossentropy", "hinge"):
        enc = encode_targets(y, loss)
        assert enc.multilabel and enc.classes == ("red", "green", "blue") and enc.output_units == 3
        out = enc.decode(enc.values)  # sigmoid probabilities, or tanh margins
        assert out.tolist() == y.to_numpy().tolist() and out.dtype == y.to_numpy().dtype
    assert encode_targets(y, "hinge").values.tolist() == (2 * y.to_numpy() - 1).tolist()


def test_one_hot_input_decodes_to_its_column_labels():
    y = pd.DataFrame(np.eye(3)[[2, 0, 1]], columns=["cat", "dog", "owl"])
    enc = encode_targets(y, "sparse_categorical_crossentropy")
    assert enc.values.tolist() == [2, 0, 1] and enc.values.dtype == np.int64
    assert enc.decode(np.eye(3)[[2, 0, 1]]).tolist() == ["owl", "cat", "dog"]
    enc = encode_targets(y, "categorical_crossentropy")
    assert enc.values.tolist() == y.to_numpy().tolist() and enc.classes == ("cat", "dog", "owl")


def test_probability_rows_pass_through_kl_and_labels_become_one_hot():
    rows = np.random.default_rng(0).dirichlet([1, 1, 1], size=4)
    enc = encode_targets(rows, "kl_divergence")
    assert np.array_equal(enc.values, rows) and enc.output_units == 3
    enc = encode_targets(["x", "z", "y"], "kl_divergence")
    assert enc.values.tolist() == np.eye(3)[[0, 2, 1]].tolist()


def test_regression_encodings():
    enc = encode_targets([1, 2, 3, 5], "mse")
    assert enc.values.dtype == np.float64 and enc.classes is None and enc.output_units == 1
    assert enc.decode([[1.5], [2.0], [3.0], [4.0]]).tolist() == [1.5, 2.0, 3.0, 4.0]
    enc = encode_targets(np.ones((4, 3)) * [1, 2, 3], "huber")
    assert enc.output_units == 3
    enc = encode_targets([1.0, 2.0, 3.0], "gaussian_nll")
    assert enc.output_units == 2
    assert enc.decode([[1.0, 0.1], [2.0, 0.1], [3.0, 0.1]]).tolist() == [1.0, 2.0, 3.0]  # the means
    assert encode_targets([0, 3, 1], "poisson").values.tolist() == [0.0, 3.0, 1.0]


# ---------------------------------------------------------------- class order and thresholds
def test_binary_classes_are_sorted_and_the_second_is_positive():
    enc = encode_targets(["b", "a", "b"], "binary_crossentropy")
    assert enc.classes == ("a", "b") and enc.values.tolist() == [1.0, 0.0, 1.0]
    enc = encode_targets(["b", "a", "b"], "binary_crossentropy", classes=["b", "a"])
    assert enc.values.tolist() == [0.0, 1.0, 0.0]


def test_classes_fix_the_order_and_units_across_folds():
    classes = ["low", "mid", "high"]
    fold = ["high", "low", "high"]  # no "mid" in this fold
    enc = encode_targets(fold, "sparse_categorical_crossentropy", classes=classes)
    assert enc.output_units == 3 and enc.values.tolist() == [2, 0, 2]
    enc = encode_targets(pd.Series(fold, dtype=pd.CategoricalDtype(classes)), "categorical_crossentropy")
    assert enc.classes == ("low", "high")  # observed classes, in category order
    # a fold with one class is fine once the classes are given
    assert encode_targets([1, 1], "binary_crossentropy", classes=[0, 1]).values.tolist() == [1.0, 1.0]


def test_sigmoid_cuts_at_half_and_logits_at_zero():
    y = [0, 1, 1]
    assert encode_targets(y, "binary_crossentropy").decode([0.4, 0.6, 0.51]).tolist() == [0, 1, 1]
    assert encode_targets(y, "binary_crossentropy").decode([0.2, 0.3, 0.4]).tolist() == [0, 0, 0]
    assert encode_targets(y, "BCEWithLogitsLoss").decode([-0.1, 0.2, 0.3]).tolist() == [0, 1, 1]


def test_pm1_decodes_by_sign_with_zero_negative():
    enc = encode_targets(["no", "yes", "yes"], "hinge")
    assert enc.values.tolist() == [-1.0, 1.0, 1.0]
    assert enc.decode([-0.3, 0.0, 2.0]).tolist() == ["no", "no", "yes"]


def test_decode_accepts_column_outputs_and_other_sample_counts():
    enc = encode_targets([0, 1, 1, 0], "binary_crossentropy")
    assert enc.decode(np.array([[0.9], [0.1]])).tolist() == [1, 0]
    with pytest.raises(ValueError, match=r"expected outputs of shape \(n, 1\)"):
        enc.decode(np.ones((2, 2)))


# ---------------------------------------------------------------- scores and probabilities
def test_positive_scores_and_probabilities_feed_sklearn_metrics():
    y = np.array(["neg", "pos", "pos", "neg", "pos"])
    logits = np.array([-2.0, 1.5, 0.3, 0.4, 3.0])
    enc = encode_targets(y, losses.get("binary_crossentropy", from_logits=True))
    scores = enc.positive_scores(logits)
    assert np.allclose(scores, 1 / (1 + np.exp(-logits)))
    assert roc_auc_score(enc.values, scores) == pytest.approx(roc_auc_score(y == "pos", logits))
    probs = enc.probabilities(logits)
    assert probs.shape == (5, 2) and np.allclose(probs.sum(axis=1), 1)
    assert log_loss(y, probs, labels=list(enc.classes)) == pytest.approx(losses.get("BCEWithLogitsLoss").numpy(enc.values, logits))


def test_margins_are_scores_but_not_probabilities():
    enc = encode_targets([0, 1, 1], "hinge")
    assert enc.positive_scores([-0.5, 0.2, 0.9]).tolist() == [-0.5, 0.2, 0.9]
    with pytest.raises(ValueError, match="margins, not probabilities"):
        enc.probabilities([-0.5, 0.2, 0.9])


def test_softmax_probabilities_and_two_class_scores():
    enc = encode_targets([0, 1, 2], losses.get("sparse_categorical_crossentropy", from_logits=True))
    p = enc.probabilities([[1e4, 0.0, -1e4], [0.0, 1.0, 2.0], [0.0, 0.0, 0.0]])
    assert np.all(np.isfinite(p)) and np.allclose(p.sum(axis=1), 1) and p[0, 0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="binary targets"):
        enc.positive_scores(np.zeros((3, 3)))
    enc = encode_targets(["a", "b"], "sparse_categorical_crossentropy")
    assert enc.positive_scores([[0.3, 0.7], [0.9, 0.1]]).tolist() == [0.7, 0.1]
    with pytest.raises(ValueError, match="no class probabilities"):
        encode_targets([1.0, 2.5, 3.0], "mse").probabilities([1.0, 2.0, 3.0])


# ---------------------------------------------------------------- refusals
@pytest.mark.parametrize("y, loss, kwargs, match", [
    (["a", "b", "a"], "mse", {}, "expected numeric targets for a regression loss"),
    ([-1.0, 2.0], "msle", {}, r"expected targets >= 0. Received: 1 negative"),
    ([-1, 2, 4], "poisson", {}, "expected targets >= 0"),
    (np.arange(1.0, 301.0), "sparse_categorical_crossentropy", {}, "pass classes="),
    ([0, 1, 2], "binary_crossentropy", {}, "expected two classes"),
    (["a", "b", "z"], "sparse_categorical_crossentropy", {"classes": ["a", "b"]}, r"not in classes: \{'z'\}"),
    (["a", "b"], "sparse_categorical_crossentropy", {"classes": ["a", "a", "b"]}, "distinct classes"),
    ([[1, 1, 0], [0, 1, 1]], "categorical_crossentropy", {}, "several 1s"),
    (np.random.default_rng(0).dirichlet([1, 1], size=3), "sparse_categorical_crossentropy", {}, "soft probability rows"),
    (np.random.default_rng(0).normal(size=(4, 2)), "kl_divergence", {}, "neither"),
    ([[0.5, 2.0], [0.0, 1.0]], "binary_crossentropy", {}, r"0/1 columns \(or probabilities in \[0, 1\]\)"),
    ([[0.2, 0.8], [0.4, 0.6]], "hinge", {}, "0/1 label columns"),
    (np.eye(2)[[0, 1]], "sparse_categorical_crossentropy", {"classes": ["x", "y", "z"]}, "one class per column"),
])
def test_refusals(y, loss, kwargs, match):
    with pytest.raises(ValueError, match=match):
        encode_targets(y, loss, **kwargs)


def test_soft_binary_targets_pass_through():
    enc = encode_targets([0.1, 0.9, 0.5], "binary_crossentropy")
    assert enc.values.tolist() == [0.1, 0.9, 0.5]
    assert enc.decode([0.2, 0.7, 0.6]).tolist() == [0.0, 1.0, 1.0]


def test_to_dict():
    d = encode_targets(["a", "b", "c"], "sparse_categorical_crossentropy").to_dict()
    assert d == {"loss": "sparse_categorical_crossentropy", "target_encoding": "integer_class", "output_units": 3,
                 "classes": ["a", "b", "c"], "from_logits": False, "multilabel": False, "shape": [3], "dtype": "int64"}


# ---------------------------------------------------------------- the whole catalog
_RNG = np.random.default_rng(42)
SUITABLE = {
    "binary_01": np.array([0, 1, 1, 0, 1]),
    "binary_pm1": np.array(["a", "b", "a", "b"]),
    "one_hot": np.array(["a", "b", "c", "a"]),
    "integer_class": np.array(["a", "b", "c", "a"]),
    "probability_rows": np.array(["a", "b", "c", "a"]),
    "real": _RNG.normal(size=20),
    "non_negative": np.exp(_RNG.normal(size=20)),
    "positive": np.exp(_RNG.normal(size=20)),
    "counts": _RNG.poisson(3.0, size=50),
    "unit_vectors": _RNG.normal(size=(20, 3)),
}


@pytest.mark.parametrize("name", losses.names())
def test_every_catalog_loss_accepts_its_own_encoding(name):
    """encode_targets and check read the same metadata: what one produces, the other accepts."""
    from losslab.advisor import check

    spec = losses.get(name)
    enc = encode_targets(SUITABLE[spec.target_encoding], spec)
    assert check(spec, spec.output_activations[0], enc.values, output_units=enc.output_units) is None


@pytest.mark.parametrize("loss", ["bce", "hinge", "cce", "sparse_cce", "kld", "CrossEntropyLoss"])
def test_class_indices_give_each_rows_position_in_classes(loss):
    y = np.array(["b", "a", "c", "a", "b"]) if loss not in ("bce", "hinge") else np.array(["no", "yes", "yes", "no"])
    enc = encode_targets(y, loss)
    np.testing.assert_array_equal(enc.class_indices(), [list(enc.classes).index(v) for v in y])


def test_class_indices_are_none_for_regression_and_multilabel_targets():
    assert encode_targets(np.array([0.5, 1.5, 2.0]), "mse").class_indices() is None
    assert encode_targets(np.array([[0, 1], [1, 1], [1, 0]]), "bce").class_indices() is None
