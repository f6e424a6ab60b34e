"""recommend: the scikit-learn bundled data sets with the expected answer written down,
each rule with its trigger, the coupling with the catalog's metadata, and the text."""

import json

import numpy as np
import pandas as pd
import pytest
import sklearn.datasets

from losslab import losses
from losslab.advisor import check, encode_targets, recommend


def _alts(rec):
    return [c.loss for c in rec.alternatives]


# ---------------------------------------------------------------- scikit-learn bundled data sets
# (loader, kind, primary loss, units, activation, alternatives in order)
BUNDLED = [
    # balanced classes: the nearest alternative is the same loss with label smoothing (never the one-hot form)
    ("load_iris", "multiclass", "sparse_categorical_crossentropy", 3, "softmax", ["sparse_categorical_crossentropy"]),
    ("load_wine", "multiclass", "sparse_categorical_crossentropy", 3, "softmax", ["sparse_categorical_crossentropy"]),
    ("load_breast_cancer", "binary", "binary_crossentropy", 1, "sigmoid", ["hinge", "squared_hinge"]),
    ("load_digits", "multiclass", "sparse_categorical_crossentropy", 10, "softmax", ["sparse_categorical_crossentropy"]),
    # integer-valued 25..346: a regression target (smallest value > 1), Poisson offered in case they are counts
    ("load_diabetes", "regression", "mean_squared_error", 1, "linear", ["poisson"]),
    # 20 samples, 3 integer body measurements; one Pulse value far out: heavy tails (excess kurtosis 4.1, 5% beyond
    # 3 robust SDs) and a skewness of 1.73 (>= 1): MSLE; the smallest value (31) lies beyond one SD of its column
    # from 0: measurements, no Poisson
    ("load_linnerud", "regression", "mean_squared_error", 3, "linear",
     ["huber", "mean_absolute_error", "mean_squared_logarithmic_error"]),
]


@pytest.mark.parametrize("loader, kind, loss, units, activation, alternatives", BUNDLED)
def test_bundled_data_sets(loader, kind, loss, units, activation, alternatives):
    y = getattr(sklearn.datasets, loader)().target
    rec = recommend(y)
    assert rec.problem.kind == kind
    assert (rec.primary.loss, rec.primary.output_units, rec.primary.output_activation) == (loss, units, activation)
    assert _alts(rec) == alternatives
    assert rec.primary.metric == ("rmse" if kind == "regression" else "accuracy")


def test_breast_cancer_encodings_say_how():
    rec = recommend(sklearn.datasets.load_breast_cancer().target)
    assert rec.primary.target_encoding == "binary_01" and rec.primary.encode == "already {0, 1}"
    hinge = rec.alternatives[0]
    assert (hinge.target_encoding, hinge.output_activation) == ("binary_pm1", "tanh")
    assert hinge.encode == "map {0, 1} -> {-1, 1}: y = 2*y - 1"
    assert hinge.trigger == "2 classes"
    assert rec.warnings == [] and rec.also_report == ()


def test_iris_labels_and_one_hot_swap_sparse_and_dense():
    y = sklearn.datasets.load_iris().target
    rec = recommend(y)
    assert rec.primary.encode == "already 0 .. 2"
    assert rec.candidates == ["sparse_categorical_crossentropy", "sparse_categorical_crossentropy(label_smoothing=0.1)"]
    assert any("categorical_crossentropy is the same loss" in n for n in rec.notes)
    rec = recommend(np.eye(3)[y])
    assert rec.problem.form == "one_hot"
    assert rec.primary.loss == "categorical_crossentropy" and rec.primary.encode == "already one-hot"
    assert rec.candidates == ["categorical_crossentropy", "categorical_crossentropy(label_smoothing=0.1)"]
    assert any("sparse_categorical_crossentropy is the same loss" in n for n in rec.notes)


# ---------------------------------------------------------------- regression rules
def test_counts_get_poisson_with_its_metadata_activation():
    rec = recommend(np.arange(1.0, 301.0))
    assert rec.problem.kind == "counts"
    assert rec.primary.loss == "poisson"
    assert rec.primary.output_activation in losses.get("poisson").output_activations
    assert rec.primary.target_encoding == "counts"
    # 300 / 1 spans 2.5 orders of magnitude
    assert _alts(rec) == ["mean_squared_error", "mean_squared_logarithmic_error", "mean_absolute_percentage_error"]
    # MSE's linear output can predict <= 0, where the Poisson deviance is undefined: rmse and mae only
    assert rec.primary.metric == "rmse" and rec.also_report == ("mae",)
    assert any("Poisson deviance needs predictions > 0" in n for n in rec.notes)


def test_heavy_tails_bring_huber_and_mae_with_their_statistic():
    y = np.random.default_rng(0).standard_t(2, size=2000)
    rec = recommend(y)
    assert rec.primary.loss == "mean_squared_error"
    assert _alts(rec) == ["huber", "mean_absolute_error"]
    assert "excess kurtosis" in rec.alternatives[0].trigger and "(> 3)" in rec.alternatives[0].trigger
    assert rec.also_report == ("mae",)
    # t(2) crosses zero: MAPE is warned against
    assert any("mean_absolute_percentage_error" in w and "cross zero" in w for w in rec.warnings)


def test_gaussian_targets_get_mse_and_its_nearest_alternative():
    rec = recommend(np.random.default_rng(1).normal(5.0, 1.0, size=2000))
    assert rec.primary.loss == "mean_squared_error" and rec.warnings == []
    assert rec.candidates == ["mean_squared_error", "huber"]
    assert rec.alternatives[0].trigger.startswith("nearest alternative to mean_squared_error")
    assert rec.primary.encode == "as is, as floats"


def test_orders_of_magnitude_bring_msle_and_a_mape_caveat():
    y = np.exp(np.random.default_rng(2).normal(0.0, 3.0, size=1000))
    rec = recommend(y)
    names = _alts(rec)
    assert "mean_squared_logarithmic_error" in names and "mean_absolute_percentage_error" in names
    msle = rec.alternatives[names.index("mean_squared_logarithmic_error")]
    assert msle.output_activation in losses.get("mean_squared_logarithmic_error").output_activations
    assert "orders of magnitude" in msle.trigger
    mape = rec.alternatives[names.index("mean_absolute_percentage_error")]
    assert mape.caveat is not None and "divides by |y|" in mape.caveat
    assert any("near 0" in w for w in rec.warnings)


def test_zeros_warn_against_mape():
    y = np.r_[np.zeros(10), np.random.default_rng(3).uniform(1, 5, size=90)]
    rec = recommend(y)
    assert "mean_absolute_percentage_error" not in _alts(rec)
    assert any("10.0% of targets are 0" in w for w in rec.warnings)


def test_multi_output_regression_has_k_linear_units():
    y = np.random.default_rng(4).normal(size=(200, 4))
    rec = recommend(y)
    assert (rec.primary.loss, rec.primary.output_units, rec.primary.output_activation) == ("mean_squared_error", 4, "linear")


# ---------------------------------------------------------------- classification rules
def test_binary_labels_other_than_01_are_mapped_in_words():
    rec = recommend([-1, 1, 1, -1, 1])
    assert rec.primary.encode == "map {-1, 1} -> {0, 1}: y = (y + 1) / 2"
    assert rec.alternatives[0].encode == "already {-1, 1}"
    rec = recommend(["spam", "ham", "ham"])
    assert rec.primary.encode == "map {'ham', 'spam'} -> {0, 1}: y = (y == 'spam').astype(float)"
    assert rec.alternatives[0].encode == "map {'ham', 'spam'} -> {-1, 1}: y = np.where(y == 'spam', 1.0, -1.0)"
    assert "P(y = 'spam')" in rec.primary.why


def test_imbalanced_binary_brings_focal_loss_and_class_weights():
    y = np.array([0] * 170 + [1] * 30)  # minority share 15% < 20%
    rec = recommend(y)
    assert _alts(rec) == ["hinge", "squared_hinge", "binary_focal_crossentropy", "binary_crossentropy"]
    focal, weighted = rec.alternatives[2:]
    assert focal.trigger == "minority share 15.0% (< 20%)"
    assert weighted.class_weight == {0: pytest.approx(200 / 340), 1: pytest.approx(200 / 60)}
    assert weighted.params == {"pos_weight": pytest.approx(170 / 30, rel=1e-3)}  # 4 significant digits
    assert "binary_crossentropy(pos_weight=5.667), class weights" in weighted.headline()
    assert rec.primary.metric == "balanced_accuracy" and all(c.metric == "balanced_accuracy" for c in rec.alternatives)
    assert rec.also_report == ("average_precision", "accuracy")
    assert any("imbalanced" in w for w in rec.warnings)


def test_balanced_enough_binary_has_no_focal_loss():
    rec = recommend(np.array([0] * 79 + [1] * 21))  # 21% is not < 20%
    assert _alts(rec) == ["hinge", "squared_hinge"]


def test_imbalanced_multiclass_brings_categorical_focal_and_weighted_sparse():
    y = np.array(["a"] * 200 + ["b"] * 60 + ["c"] * 20)
    rec = recommend(y)
    assert _alts(rec) == ["categorical_focal_crossentropy", "sparse_categorical_crossentropy"]
    weighted = rec.alternatives[-1]
    assert set(weighted.class_weight) == {"a", "b", "c"}
    assert weighted.params["class_weight"] == pytest.approx((280 / 600, 280 / 180, 280 / 60), rel=1e-3)
    assert weighted.label == "sparse_categorical_crossentropy(class_weight=(0.4667, 1.556, 4.667))"
    assert rec.primary.metric == "balanced_accuracy" and rec.also_report == ("accuracy", "f1")
    assert "ratio 0.10 < 0.25" in weighted.trigger


def test_multilabel_gets_one_sigmoid_unit_per_label_and_focal_for_rare_labels():
    rng = np.random.default_rng(5)
    y = (rng.uniform(size=(300, 4)) < [0.5, 0.4, 0.3, 0.05]).astype(int)
    rec = recommend(y)
    assert (rec.primary.loss, rec.primary.output_units, rec.primary.output_activation) == ("binary_crossentropy", 4, "sigmoid")
    assert _alts(rec) == ["binary_focal_crossentropy"]
    assert rec.also_report == ("f1",)


def test_probability_rows_get_softmax_and_kl():
    y = np.random.default_rng(6).dirichlet([2.0, 1.0, 1.0, 1.0], size=50)
    rec = recommend(y)
    assert (rec.primary.loss, rec.primary.output_units, rec.primary.output_activation) == ("kl_divergence", 4, "softmax")
    assert rec.primary.encode == "already probability rows"
    # cross-entropy on probability rows is KL plus a constant: a note, not a competitor
    assert _alts(rec) == ["categorical_focal_crossentropy"]
    assert any("the same gradients" in n for n in rec.notes)


def test_kind_passes_through():
    rec = recommend(sklearn.datasets.load_iris().target, kind="counts")
    assert rec.primary.loss == "poisson"


# ---------------------------------------------------------------- coupling with the catalog
TARGETS = {
    "binary01": np.array([0, 1] * 30 + [1] * 40),
    "binary_strings": np.array(["no", "yes", "yes"] * 20),
    "imbalanced": np.array([0] * 90 + [1] * 10),
    "multiclass_imbalanced": np.array(["x"] * 80 + ["y"] * 30 + ["z"] * 10),
    "one_hot": np.eye(4)[np.arange(40) % 4],
    "multilabel": (np.random.default_rng(7).uniform(size=(60, 3)) < [0.5, 0.3, 0.1]).astype(float),
    "probability_rows": np.random.default_rng(8).dirichlet([1, 1, 1], size=30),
    "regression": np.random.default_rng(9).standard_t(2, size=300),
    "positive_wide": np.exp(np.random.default_rng(10).normal(0, 3, size=300)),
    "counts": np.random.default_rng(11).poisson(3.0, size=400),
    "multi_output": np.random.default_rng(12).normal(size=(50, 2)),
}


# the catalog's problem types that serve each kind of problem
SERVES = {"regression": {"regression"}, "counts": {"regression"}, "binary": {"binary"}, "multiclass": {"multiclass"},
          "multilabel": {"multilabel"}, "probability_rows": {"multiclass", "probabilistic"}}


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_every_choice_agrees_with_the_catalog_and_passes_check(name):
    y = TARGETS[name]
    rec = recommend(y)
    for choice in [rec.primary, *rec.alternatives]:
        spec = choice.spec()
        assert choice.loss == spec.name
        assert choice.output_activation in spec.output_activations
        assert choice.target_encoding == spec.target_encoding
        assert SERVES[rec.problem.kind] & set(spec.problem_types)
        encoded = encode_targets(y, spec)
        assert encoded.output_units == choice.output_units
        # the recommended setup, fed the encoded targets, is one that check accepts
        assert check(spec, choice.output_activation, encoded.values, output_units=choice.output_units) is None


# ---------------------------------------------------------------- printing
def test_text_and_dict():
    rec = recommend(np.array([0] * 85 + [1] * 15))
    lines = rec.lines()
    assert lines[0].startswith("Problem: binary: 2 distinct values {0, 1}, 85 / 15")
    assert lines[1].startswith("Recommended: binary_crossentropy: 1 output unit, sigmoid; targets binary_01 (already {0, 1})")
    assert "Alternatives:" in lines and any(line.startswith("Warning: ") for line in lines)
    assert str(rec) == rec.to_text() == "\n".join(lines)
    d = rec.to_dict()
    text = json.dumps(d)
    assert d["primary"]["loss"] == "binary_crossentropy" and d["problem"]["kind"] == "binary"
    assert [a["loss"] for a in d["alternatives"]] == _alts(rec)
    assert '"class_weight": {"0"' in text
    assert rec.candidates == ["binary_crossentropy", "hinge", "squared_hinge", "binary_focal_crossentropy",
                              "binary_crossentropy(pos_weight=5.667)"]


def test_pandas_input_reads_like_numpy():
    y = pd.Series(["a", "b", "c", "a", "b", "c"], name="label")
    assert recommend(y).primary.loss == "sparse_categorical_crossentropy"


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_metric_names_are_registered_metrics(name):
    from losslab.metrics import get_metric

    rec = recommend(TARGETS[name])
    for metric in {c.metric for c in [rec.primary, *rec.alternatives]} | set(rec.also_report):
        assert get_metric(metric).applies_to(rec.problem.kind)
