"""Binary and multi-label losses against PyTorch, scikit-learn and Keras 3, and their conventions.

Reference libraries: torch 2.13, scikit-learn 1.9.1, Keras 3.15.1 on the torch backend
(tests/conftest.py sets KERAS_BACKEND). Keras loss objects compute in float32 (its floatx),
so they are compared at float32 precision; Keras' loss *functions* keep float64 inputs in
float64 and are compared at 1e-6.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import hinge_loss, log_loss

from losslab import losses
from losslab.losses.module import LossModule

F64 = {"rel": 1e-6, "abs": 1e-12}
F32 = {"rel": 2e-5, "abs": 1e-6}
BINARY = ["binary_crossentropy", "hinge", "squared_hinge", "soft_margin", "binary_focal_crossentropy",
          "multilabel_soft_margin", "multilabel_margin"]


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _inputs(name: str, n: int = 12, k: int = 3, seed: int = 0, dtype=np.float64, **params):
    """Valid (y_true, y_pred) for a binary-family loss, away from its kinks and clip points."""
    rng = np.random.default_rng(seed)
    spec = losses.get(name, **params)
    labels = rng.integers(0, 2, size=(n, k)).astype(np.float64)
    z = rng.normal(size=(n, k)) * 2.0
    if spec.target_encoding == "binary_pm1":
        y_true = 2.0 * labels - 1.0
        y_pred = np.tanh(z) if name != "soft_margin" else z
        # Keep every margin 1 - y * y_pred away from the hinge's kink at 0.
        y_pred = np.where(np.abs(1.0 - y_true * y_pred) < 0.05, y_pred - 0.1 * y_true, y_pred)
    else:
        y_true = labels
        y_pred = z if spec.takes_logits or spec.activations == ("linear",) else _sigmoid(z)
        if name == "multilabel_margin":  # no ties between scores: pairwise kinks stay away
            y_pred = y_pred + 0.37 * np.arange(k)
    return y_true.astype(dtype), y_pred.astype(dtype)


def _numpy_and_torch(spec, y_true, y_pred, **kw):
    return spec.numpy(y_true, y_pred, **kw), spec.torch(y_true, torch.as_tensor(y_pred), **kw)


# ---------------------------------------------------------------- the tutorial's comment thread
def _tutorial_pseudocode(actual, predicted):
    """The tutorial's binary_cross_entropy, as printed: sum_score += actual[i] * log(1e-15 + predicted[i])."""
    sum_score = 0.0
    for a, p in zip(actual, predicted):
        sum_score += a * np.log(1e-15 + p)
    return -sum_score / len(actual)


def test_bce_matches_sklearn_log_loss_and_not_the_tutorial_pseudocode():
    """'Loss and Loss Functions ...' comment thread (Julian, 2019-01-30): the pseudocode lacks (1 - y) log(1 - p)."""
    actual = [1, 0, 1, 0]
    predicted = [0.9, 0.2, 0.7, 0.1]
    ours = losses.get("binary_crossentropy").numpy(np.array(actual, float), np.array(predicted))
    # scikit-learn 1.9.1: log_loss([1, 0, 1, 0], [0.9, 0.2, 0.7, 0.1]) = 0.1976348816421487
    # = -(log 0.9 + log 0.8 + log 0.7 + log 0.9) / 4.
    assert ours == pytest.approx(log_loss(actual, predicted), **F64)
    assert ours == pytest.approx(0.1976348816421487, **F64)
    # -(log 0.9 + log 0.7) / 4 = 0.1155: the samples with actual 0 count for nothing.
    pseudocode = _tutorial_pseudocode(actual, predicted)
    assert pseudocode == pytest.approx(0.11550, abs=1e-5)
    assert abs(ours - pseudocode) > 0.05
    # A confident wrong prediction for an actual 0 costs the pseudocode nothing.
    assert _tutorial_pseudocode([0], [0.99]) == 0.0
    assert losses.get("bce").numpy(np.array([0.0]), np.array([0.99])) == pytest.approx(-np.log(0.01), **F64)


# ---------------------------------------------------------------- binary cross-entropy
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("from_logits", [False, True])
def test_bce_matches_torch_functional(from_logits, dtype):
    spec = losses.get("bce", from_logits=from_logits)
    y_true, y_pred = _inputs("binary_crossentropy", dtype=dtype, from_logits=from_logits)
    t, p = torch.as_tensor(y_true), torch.as_tensor(y_pred)
    fn = F.binary_cross_entropy_with_logits if from_logits else F.binary_cross_entropy
    expected = fn(p.double(), t.double(), reduction="none").mean(dim=-1).numpy()
    tol = F64 if dtype == np.float64 else F32
    ours, engine = _numpy_and_torch(spec, y_true, y_pred, reduction="none")
    assert ours == pytest.approx(expected, **tol)
    assert engine.dtype == torch.as_tensor(y_pred).dtype
    assert engine.detach().double().numpy() == pytest.approx(expected, **tol)


def test_bce_pos_weight_matches_bce_with_logits_loss():
    y_true, y_pred = _inputs("binary_crossentropy", from_logits=True)
    pos_weight = [0.5, 2.0, 3.0]
    spec = losses.get("BCEWithLogitsLoss", pos_weight=pos_weight)
    module = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pos_weight, dtype=torch.float64))
    expected = module(torch.as_tensor(y_pred), torch.as_tensor(y_true)).item()
    assert spec.numpy(y_true, y_pred) == pytest.approx(expected, **F64)
    assert spec.torch(y_true, torch.as_tensor(y_pred)).item() == pytest.approx(expected, **F64)
    # The probability path takes the same weights: -[w y log p + (1 - y) log(1 - p)].
    probs = _sigmoid(y_pred)
    assert losses.get("bce", pos_weight=pos_weight).numpy(y_true, probs) == pytest.approx(expected, rel=1e-6)
    # One number is broadcast over the columns.
    one = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(2.5, dtype=torch.float64))(torch.as_tensor(y_pred), torch.as_tensor(y_true))
    assert losses.get("BCEWithLogitsLoss", pos_weight=2.5).numpy(y_true, y_pred) == pytest.approx(one.item(), **F64)


def test_bce_matches_sklearn_log_loss_on_random_probabilities():
    y_true, y_pred = _inputs("binary_crossentropy", n=200, k=1, seed=3)
    assert losses.get("bce").numpy(y_true[:, 0], y_pred[:, 0]) == pytest.approx(log_loss(y_true[:, 0], y_pred[:, 0]), **F64)


@pytest.mark.parametrize("params", [{}, {"from_logits": True}, {"label_smoothing": 0.2}, {"from_logits": True, "label_smoothing": 0.1}])
def test_bce_matches_keras(params):
    spec = losses.get("binary_crossentropy", **params)
    y_true, y_pred = _inputs("binary_crossentropy", **params)
    keras_fn = keras.losses.get("binary_crossentropy")  # float64 in, float64 out
    expected = keras_fn(y_true, y_pred, **params).numpy()
    assert spec.numpy(y_true, y_pred, reduction="none") == pytest.approx(expected, **F64)
    assert spec.numpy(y_true, y_pred) == pytest.approx(float(spec.to_keras()(y_true, y_pred)), **F32)
    assert float(keras.losses.get("bce")(y_true, y_pred, **params).mean()) == pytest.approx(spec.numpy(y_true, y_pred), **F64)


def test_bce_probability_clipping_against_keras_pytorch_and_sklearn():
    spec = losses.get("bce")
    # A confident wrong probability: losslab and Keras clip at 1e-7 -> -log(1e-7) = 16.118095650958317.
    assert spec.numpy(np.array([1.0]), np.array([0.0])) == pytest.approx(16.118095650958317, **F64)
    assert float(keras.losses.get("binary_crossentropy")(np.array([[1.0]]), np.array([[0.0]]))) == pytest.approx(16.1181, rel=1e-4)
    # PyTorch's BCELoss clamps each log at -100; scikit-learn clips at float64 eps (36.04).
    assert F.binary_cross_entropy(torch.tensor([0.0]), torch.tensor([1.0])).item() == pytest.approx(100.0)
    assert log_loss([1], [0.0], labels=[0, 1]) == pytest.approx(36.04365338911715, **F64)
    # Exactly 0 and 1 are finite, with finite gradients (zero beyond the clip, as in Keras).
    p = torch.tensor([0.0, 1.0, 0.0, 1.0], dtype=torch.float64, requires_grad=True)
    value = spec.torch(np.array([0.0, 0.0, 1.0, 1.0]), p)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(p.grad).all()


def test_bce_logits_path_is_exact_where_probabilities_saturate():
    spec = losses.get("bce", from_logits=True)
    # BCE(logit 20, label 0) = softplus(20) = 20 + log1p(exp(-20)) = 20.000000002061153.
    exact = 20.0 + np.log1p(np.exp(-20.0))
    assert spec.numpy(np.array([0.0]), np.array([20.0])) == pytest.approx(exact, rel=0, abs=1e-12)
    assert spec.numpy(np.array([0.0]), np.array([20.0])) == pytest.approx(20.0, rel=1e-9)
    engine = spec.torch(np.array([0.0]), torch.tensor([20.0], dtype=torch.float64)).item()
    assert engine == pytest.approx(exact, rel=0, abs=1e-12)
    # The probability path on sigmoid(20) saturates at the clip: 16.118, as Keras does.
    assert losses.get("bce").numpy(np.array([0.0]), _sigmoid(np.array([20.0]))) == pytest.approx(16.118095650958317, **F64)
    # Logits of +-1e4 stay finite and exact in float32 and float64, gradients too.
    for dtype in (torch.float32, torch.float64):
        z = torch.tensor([1e4, -1e4, 1e4, -1e4], dtype=dtype, requires_grad=True)
        value = spec.torch(np.array([0.0, 1.0, 1.0, 0.0]), z, reduction="sum")
        value.backward()
        assert value.item() == pytest.approx(2e4, rel=1e-6)
        assert torch.isfinite(z.grad).all()


def test_bce_label_smoothing_is_keras_squeeze_towards_half():
    s = 0.2
    plain = losses.get("bce")
    smoothed = losses.get("bce", label_smoothing=s)
    y_true, y_pred = np.array([1.0, 0.0]), np.array([0.7, 0.4])
    assert smoothed.numpy(y_true, y_pred) == pytest.approx(plain.numpy(y_true * (1 - s) + s / 2, y_pred), **F64)


def test_bce_to_torch_module_picks_the_pytorch_class_that_computes_the_same():
    assert isinstance(losses.get("bce").to_torch_module(), torch.nn.BCELoss)
    assert isinstance(losses.get("BCEWithLogitsLoss").to_torch_module(), torch.nn.BCEWithLogitsLoss)
    # PyTorch's BCE classes have no label smoothing: losslab's module computes it.
    assert isinstance(losses.get("bce", label_smoothing=0.1).to_torch_module(), LossModule)
    assert losses.get("BCEWithLogitsLoss").takes_logits and losses.get("BCEWithLogitsLoss").output_activations == ("linear",)
    assert losses.get("log_loss").name == "binary_crossentropy" and losses.get("BCELoss").takes_logits is False


# ---------------------------------------------------------------- hinge family
@pytest.mark.parametrize("name,keras_name", [("hinge", "hinge"), ("squared_hinge", "squared_hinge")])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_hinge_family_matches_keras(name, keras_name, dtype):
    spec = losses.get(name)
    y_true, y_pred = _inputs(name, dtype=dtype)
    expected = keras.losses.get(keras_name)(y_true.astype(np.float64), y_pred.astype(np.float64)).numpy()
    tol = F64 if dtype == np.float64 else F32
    ours, engine = _numpy_and_torch(spec, y_true, y_pred, reduction="none")
    assert ours == pytest.approx(expected, **tol)
    assert engine.detach().double().numpy() == pytest.approx(expected, **tol)
    assert spec.numpy(y_true, y_pred) == pytest.approx(float(spec.to_keras()(y_true, y_pred)), **F32)


def test_hinge_matches_sklearn_hinge_loss_for_one_column():
    y_true, y_pred = _inputs("hinge", n=50, k=1, seed=4)
    assert losses.get("hinge").numpy(y_true[:, 0], y_pred[:, 0]) == pytest.approx(hinge_loss(y_true[:, 0], y_pred[:, 0]), **F64)
    # scikit-learn binarizes any two labels itself ({0, 1} -> {-1, 1}); losslab refuses {0, 1} instead.
    assert hinge_loss((y_true[:, 0] + 1) / 2, y_pred[:, 0]) == pytest.approx(hinge_loss(y_true[:, 0], y_pred[:, 0]))


def test_keras_converts_01_hinge_targets_silently_and_losslab_refuses():
    y01, y_pred = np.array([[0.0, 1.0]]), np.array([[0.3, -0.2]])
    # Keras reads [0, 1] as [-1, 1]: mean(max(0, 1 + 0.3), max(0, 1 + 0.2)) = 1.25.
    assert float(keras.losses.get("hinge")(y01, y_pred)[0]) == pytest.approx(1.25, **F64)
    assert losses.get("hinge").numpy(2 * y01 - 1, y_pred) == pytest.approx(1.25, **F64)
    with pytest.raises(ValueError, match=r"hinge: expected y_true in \{-1, 1\}\. Received: y_true with values \{0, 1\}\. "
                       r"Keras converts \{0, 1\} labels silently; losslab refuses them\. Map \{0, 1\} labels with y = 2\*y - 1\."):
        losses.get("hinge").numpy(y01, y_pred)


@pytest.mark.parametrize("name", ["hinge", "squared_hinge", "soft_margin"])
def test_pm1_losses_refuse_other_labels_with_the_mapping(name):
    with pytest.raises(ValueError, match=rf"{name}: expected y_true in \{{-1, 1\}}\. Received: y_true with values \{{1, 2\}}\. "
                       r"Map your two classes to -1 and 1\. Map \{0, 1\} labels with y = 2\*y - 1\."):
        losses.get(name).numpy(np.array([1.0, 2.0, 1.0]), np.array([0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match=r"y = 2\*y - 1"):
        losses.get(name).torch(np.array([0.0, 1.0]), torch.tensor([0.1, 0.2]))


def test_squared_hinge_is_hinge_squared():
    y_true, y_pred = _inputs("hinge", k=1)
    margins = np.maximum(1 - y_true[:, 0] * y_pred[:, 0], 0)
    assert losses.get("squared_hinge").numpy(y_true, y_pred, reduction="none") == pytest.approx(margins**2, **F64)


# ---------------------------------------------------------------- soft margin, multi-label losses
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_soft_margin_matches_torch_and_equals_bce_with_logits(dtype):
    y_true, y_pred = _inputs("soft_margin", dtype=dtype)
    tol = F64 if dtype == np.float64 else F32
    expected = F.soft_margin_loss(torch.as_tensor(y_pred).double(), torch.as_tensor(y_true).double()).item()
    spec = losses.get("SoftMarginLoss")
    assert spec.numpy(y_true, y_pred) == pytest.approx(expected, **tol)
    assert spec.torch(y_true, torch.as_tensor(y_pred)).item() == pytest.approx(expected, **tol)
    assert losses.get("bce", from_logits=True).numpy((y_true + 1) / 2, y_pred) == pytest.approx(expected, **tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("class_weight", [None, [0.5, 1.0, 3.0]])
def test_multilabel_soft_margin_matches_torch(class_weight, dtype):
    y_true, y_pred = _inputs("multilabel_soft_margin", dtype=dtype)
    tol = F64 if dtype == np.float64 else F32
    w = None if class_weight is None else torch.tensor(class_weight, dtype=torch.float64)
    expected = F.multilabel_soft_margin_loss(torch.as_tensor(y_pred).double(), torch.as_tensor(y_true).double(), weight=w, reduction="none")
    ours, engine = _numpy_and_torch(losses.get("multilabel_soft_margin", class_weight=class_weight), y_true, y_pred, reduction="none")
    assert ours == pytest.approx(expected.numpy(), **tol)
    assert engine.detach().double().numpy() == pytest.approx(expected.numpy(), **tol)
    if class_weight is None:
        assert ours == pytest.approx(losses.get("BCEWithLogitsLoss").numpy(y_true, y_pred, reduction="none"), **tol)


def _index_format(multi_hot: np.ndarray) -> torch.Tensor:
    """PyTorch's MultiLabelMarginLoss targets: the relevant labels' indices, padded with -1."""
    rows = []
    for row in multi_hot:
        idx = list(np.flatnonzero(row))
        rows.append(idx + [-1] * (len(row) - len(idx)))
    return torch.tensor(rows, dtype=torch.long)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_multilabel_margin_matches_torch_with_index_format_targets(dtype):
    y_true, y_pred = _inputs("multilabel_margin", n=20, k=4, dtype=dtype)
    y_true[0] = 0.0  # a row with no relevant label costs 0 in both
    y_true[1] = 1.0  # and one with no irrelevant label
    tol = F64 if dtype == np.float64 else F32
    expected = F.multilabel_margin_loss(torch.as_tensor(y_pred).double(), _index_format(y_true), reduction="none").numpy()
    ours, engine = _numpy_and_torch(losses.get("MultiLabelMarginLoss"), y_true, y_pred, reduction="none")
    assert ours == pytest.approx(expected, **tol)
    assert engine.detach().double().numpy() == pytest.approx(expected, **tol)
    assert ours[0] == 0.0 and ours[1] == 0.0


def test_multilabel_margin_refuses_soft_targets():
    with pytest.raises(ValueError, match=r"multilabel_margin: expected y_true in \{0, 1\}\. Received: y_true with values \{0\.3, 0\.7\}\. Give multi-hot rows"):
        losses.get("multilabel_margin").numpy(np.array([[0.3, 0.7]]), np.array([[0.1, 0.2]]))


# ---------------------------------------------------------------- binary focal cross-entropy
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"gamma": 0.5, "label_smoothing": 0.1},
        {"apply_class_balancing": True, "alpha": 0.3},
        {"from_logits": True},
        {"from_logits": True, "apply_class_balancing": True, "gamma": 3.0, "label_smoothing": 0.2},
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_binary_focal_matches_keras(params, dtype):
    spec = losses.get("binary_focal_crossentropy", **params)
    y_true, y_pred = _inputs("binary_focal_crossentropy", dtype=dtype, **params)
    expected = keras.losses.get("binary_focal_crossentropy")(y_true.astype(np.float64), y_pred.astype(np.float64), **params).numpy()
    tol = F64 if dtype == np.float64 else F32
    ours, engine = _numpy_and_torch(spec, y_true, y_pred, reduction="none")
    assert ours == pytest.approx(expected, **tol)
    assert engine.detach().double().numpy() == pytest.approx(expected, **tol)
    assert spec.numpy(y_true, y_pred) == pytest.approx(float(spec.to_keras()(y_true, y_pred)), **F32)


def test_binary_focal_with_gamma_0_is_bce_and_its_logits_path_does_not_saturate():
    y_true, y_pred = _inputs("binary_focal_crossentropy")
    assert losses.get("binary_focal_crossentropy", gamma=0.0).numpy(y_true, y_pred) == pytest.approx(losses.get("bce").numpy(y_true, y_pred), **F64)
    # Keras applies a sigmoid and clips: 16.118 at logit 20 and label 0, where the exact value is 20.000000002.
    keras_value = float(keras.losses.get("binary_focal_crossentropy")(np.array([[0.0]]), np.array([[20.0]]), from_logits=True, gamma=0.0)[0])
    assert keras_value == pytest.approx(16.118095650958317, rel=1e-6)
    ours = losses.get("binary_focal_crossentropy", from_logits=True, gamma=0.0).numpy(np.array([0.0]), np.array([20.0]))
    assert ours == pytest.approx(20.0 + np.log1p(np.exp(-20.0)), rel=0, abs=1e-12)


# ---------------------------------------------------------------- every binary loss: PyTorch module, gradients, engine shapes
@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_to_torch_module_matches_numpy(name, dtype):
    spec = losses.get(name)
    y_true, y_pred = _inputs(name, dtype=dtype)
    module = spec.to_torch_module()
    if dtype == np.float64:
        module = module.double()  # PyTorch classes hold float32 weights (pos_weight, weight) by default
    # PyTorch's order: (input, target).
    value = module(torch.as_tensor(y_pred), torch.as_tensor(y_true)).item()
    assert value == pytest.approx(spec.numpy(y_true, y_pred), **(F64 if dtype == np.float64 else F32))


@pytest.mark.parametrize(
    "name,params",
    [
        ("binary_crossentropy", {}),
        ("binary_crossentropy", {"from_logits": True, "label_smoothing": 0.1, "pos_weight": [1.0, 2.0, 0.5]}),
        ("hinge", {}),
        ("squared_hinge", {}),
        ("soft_margin", {}),
        ("binary_focal_crossentropy", {"apply_class_balancing": True}),
        ("binary_focal_crossentropy", {"from_logits": True}),
        ("multilabel_soft_margin", {"class_weight": [1.0, 0.5, 2.0]}),
        ("multilabel_margin", {}),
    ],
)
def test_gradcheck(name, params):
    spec = losses.get(name, **params)
    y_true, y_pred = _inputs(name, n=4, seed=1, **params)
    if not spec.takes_logits and spec.target_encoding == "binary_01" and spec.activations == ("sigmoid",):
        y_pred = np.clip(y_pred, 0.05, 0.95)  # away from the clip at 1e-7
    p = torch.tensor(y_pred, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: spec.torch(y_true, x, reduction="none"), (p,))


@pytest.mark.parametrize("name", BINARY)
def test_torch_kernel_on_replicate_batch_columns(name):
    """The engine calls kernels on (replicates, batch, k) predictions against (batch, k) targets."""
    spec = losses.get(name)
    y_true, y_pred = _inputs(name, n=5, k=3)
    stacked = np.stack([y_pred, y_pred[::-1].copy(), y_pred * 0.5 if spec.activations == ("linear",) else y_pred])
    t = torch.as_tensor(y_true)
    out = spec.torch_kernel(t, torch.as_tensor(stacked), **spec.params)
    assert out.shape == (3, 5)
    for r in range(3):
        assert out[r].numpy() == pytest.approx(spec.numpy(y_true, stacked[r], reduction="none"), **F64)
    # Targets with the replicate axis too give the same.
    full = spec.torch_kernel(t.expand(3, 5, 3), torch.as_tensor(stacked), **spec.params)
    assert torch.equal(full, out)


# ---------------------------------------------------------------- bad input
def test_bce_refuses_targets_outside_0_1():
    with pytest.raises(ValueError, match=r"binary_crossentropy: expected y_true in \[0, 1\]\. Received: 1 value\(s\) outside it, e\.g\. y_true=-1\. "
                       r".*map \{-1, 1\} labels with y = \(y \+ 1\) / 2"):
        losses.get("bce").numpy(np.array([-1.0, 1.0]), np.array([0.2, 0.8]))


@pytest.mark.parametrize("name", ["binary_crossentropy", "binary_focal_crossentropy"])
def test_probability_losses_refuse_logits_and_suggest_from_logits(name):
    with pytest.raises(ValueError, match=rf"{name}: expected y_pred in \[0, 1\]\. Received: 1 value\(s\) outside it, e\.g\. y_pred=2\.5\. "
                       r"y_pred looks like logits \(raw scores\): pass from_logits=True"):
        losses.get(name).numpy(np.array([0.0, 1.0]), np.array([0.2, 2.5]))
    # The same values are fine as logits.
    assert np.isfinite(losses.get(name, from_logits=True).numpy(np.array([0.0, 1.0]), np.array([0.2, 2.5])))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf_are_refused(bad):
    with pytest.raises(ValueError, match=r"binary_crossentropy: expected finite values in y_pred\. Received: 1 NaN or infinite value\(s\) in y_pred"):
        losses.get("bce").numpy(np.array([0.0, 1.0]), np.array([0.2, bad]))
    with pytest.raises(ValueError, match=r"hinge: expected finite values in y_true"):
        losses.get("hinge").torch(np.array([1.0, bad]), torch.tensor([0.2, 0.1]))


def test_shapes_are_refused_not_broadcast():
    with pytest.raises(ValueError, match=r"binary_crossentropy: expected y_true and y_pred of the same shape\. Received: y_true\.shape=\(4,\), "
                       r"y_pred\.shape=\(4, 1\)\. .*never broadcasts"):
        losses.get("bce").numpy(np.zeros(4), np.full((4, 1), 0.5))
    with pytest.raises(ValueError, match=r"pos_weight of shape \(3,\), one weight per column of y_pred or a single number\. Received: pos_weight of shape \(2,\)"):
        losses.get("bce", pos_weight=[1.0, 2.0]).numpy(np.zeros((2, 3)), np.full((2, 3), 0.5))


def test_hyperparameters_are_checked():
    with pytest.raises(ValueError, match=r"binary_crossentropy: expected label_smoothing in \[0, 1\]\. Received: label_smoothing=1\.5"):
        losses.get("bce", label_smoothing=1.5).numpy(np.array([0.0]), np.array([0.5]))
    with pytest.raises(ValueError, match=r"binary_focal_crossentropy: expected gamma in \[0, inf\]\. Received: gamma=-1"):
        losses.get("binary_focal_crossentropy", gamma=-1).numpy(np.array([0.0]), np.array([0.5]))
    with pytest.raises(ValueError, match=r"pos_weight.*non-negative"):
        losses.get("bce", pos_weight=-1.0).numpy(np.array([0.0]), np.array([0.5]))
    with pytest.raises(TypeError, match=r"binary_crossentropy: unexpected parameter\(s\) \['weight'\]"):
        losses.get("bce", weight=2.0)


def test_to_keras_refuses_what_keras_cannot_express():
    with pytest.raises(ValueError, match=r"binary_crossentropy: keras\.losses\.BinaryCrossentropy has no equivalent of pos_weight\. Received: pos_weight=2\.0"):
        losses.get("bce", pos_weight=2.0).to_keras()
    with pytest.raises(ValueError, match=r"soft_margin: Keras 3 has no built-in loss for it"):
        losses.get("soft_margin").to_keras()


# ---------------------------------------------------------------- every Keras and PyTorch name
@pytest.mark.parametrize(
    "keras_name,canonical",
    [
        ("BinaryCrossentropy", "binary_crossentropy"), ("binary_crossentropy", "binary_crossentropy"), ("bce", "binary_crossentropy"),
        ("BCE", "binary_crossentropy"), ("Hinge", "hinge"), ("hinge", "hinge"), ("SquaredHinge", "squared_hinge"),
        ("squared_hinge", "squared_hinge"), ("BinaryFocalCrossentropy", "binary_focal_crossentropy"),
        ("binary_focal_crossentropy", "binary_focal_crossentropy"),
    ],
)
def test_every_keras_name_resolves_to_the_loss_keras_computes(keras_name, canonical):
    spec = losses.get(keras_name)
    assert spec.name == canonical
    y_true, y_pred = _inputs(canonical)
    keras_loss = keras.losses.get(keras_name)  # a class name gives an object, a function name the function
    value = keras_loss(y_true, y_pred)
    assert float(value.mean()) == pytest.approx(spec.numpy(y_true, y_pred), **F32)


@pytest.mark.parametrize(
    "torch_name,canonical,from_logits",
    [
        ("BCELoss", "binary_crossentropy", False), ("BCEWithLogitsLoss", "binary_crossentropy", True),
        ("SoftMarginLoss", "soft_margin", False), ("MultiLabelSoftMarginLoss", "multilabel_soft_margin", False),
        ("MultiLabelMarginLoss", "multilabel_margin", False),
    ],
)
def test_every_pytorch_name_resolves(torch_name, canonical, from_logits):
    spec = losses.get(torch_name)
    assert spec.name == canonical and spec.takes_logits is from_logits
    assert hasattr(torch.nn, torch_name)
