"""Multi-class losses against PyTorch, scikit-learn and Keras 3, and their conventions.

Reference libraries: torch 2.13, scikit-learn 1.9.1, Keras 3.15.1 on the torch backend.
Keras loss objects compute in float32 and are compared at float32 precision; Keras' loss
functions keep float64 inputs in float64 and are compared at 1e-6.
"""

from __future__ import annotations

import warnings

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
ONE_HOT = ["categorical_crossentropy", "kl_divergence", "categorical_hinge", "categorical_focal_crossentropy"]
SPARSE = ["sparse_categorical_crossentropy", "nll", "multi_margin", "categorical_generalized_cross_entropy"]
MULTICLASS = ONE_HOT + SPARSE


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _inputs(name: str, n: int = 12, k: int = 4, seed: int = 0, dtype=np.float64, **params):
    """Valid (y_true, y_pred) for a multi-class loss, away from kinks and clip points."""
    rng = np.random.default_rng(seed)
    spec = losses.get(name, **params)
    labels = rng.integers(0, k, size=n)
    z = rng.normal(size=(n, k)) * 1.5
    if name == "kl_divergence":
        y_true = rng.dirichlet(np.ones(k), size=n)
        y_true[0] = np.eye(k)[1]  # a row with exact zeros
    elif spec.shape_rule == "class_index":
        y_true = labels
    else:
        y_true = np.eye(k)[labels]
    if name == "nll":
        y_pred = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))  # log_softmax
    elif spec.takes_logits or spec.activations[0] == "linear":
        y_pred = z
        if name in ("categorical_hinge", "multi_margin"):  # margins away from 0 and no ties
            y_pred = np.round(z * 4) / 4 + 0.013 * np.arange(k)
    else:
        y_pred = _softmax(z)
    y_pred = y_pred.astype(dtype)
    return (y_true if spec.shape_rule == "class_index" else y_true.astype(dtype)), y_pred


def _keras_fn(name):
    return keras.losses.get(name)


def _check(spec, y_true, y_pred, expected, dtype):
    """numpy and torch paths both equal ``expected`` (per sample) at the dtype's precision."""
    tol = F64 if dtype == np.float64 else F32
    assert spec.numpy(y_true, y_pred, reduction="none") == pytest.approx(np.asarray(expected, dtype=np.float64), **tol)
    engine = spec.torch(y_true, torch.as_tensor(y_pred), reduction="none")
    assert engine.dtype == torch.as_tensor(y_pred).dtype
    assert engine.detach().double().numpy() == pytest.approx(np.asarray(expected, dtype=np.float64), **tol)


# ---------------------------------------------------------------- categorical cross-entropy
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("params", [{}, {"label_smoothing": 0.1}, {"from_logits": True}, {"from_logits": True, "label_smoothing": 0.2}])
def test_cce_matches_keras(params, dtype):
    spec = losses.get("categorical_crossentropy", **params)
    y_true, y_pred = _inputs("categorical_crossentropy", dtype=dtype, **params)
    expected = _keras_fn("categorical_crossentropy")(y_true.astype(np.float64), y_pred.astype(np.float64), **params).numpy()
    _check(spec, y_true, y_pred, expected, dtype)
    assert spec.numpy(y_true, y_pred) == pytest.approx(float(spec.to_keras()(y_true, y_pred)), **F32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.15])
@pytest.mark.parametrize("class_weight", [None, [1.0, 2.0, 0.5, 3.0]])
def test_cce_with_logits_matches_torch_cross_entropy_with_probability_targets(class_weight, label_smoothing, dtype):
    spec = losses.get("categorical_crossentropy", from_logits=True, label_smoothing=label_smoothing, class_weight=class_weight)
    y_true, y_pred = _inputs("categorical_crossentropy", dtype=dtype, from_logits=True)
    w = None if class_weight is None else torch.tensor(class_weight, dtype=torch.float64)
    expected = F.cross_entropy(torch.as_tensor(y_pred).double(), torch.as_tensor(y_true).double(), weight=w,
                               label_smoothing=label_smoothing, reduction="none")
    _check(spec, y_true, y_pred, expected.numpy(), dtype)
    # reduction="mean" with probability targets divides by n in PyTorch too, weights or not.
    mean = F.cross_entropy(torch.as_tensor(y_pred).double(), torch.as_tensor(y_true).double(), weight=w, label_smoothing=label_smoothing)
    assert spec.numpy(y_true, y_pred) == pytest.approx(mean.item(), **(F64 if dtype == np.float64 else F32))


def test_cce_matches_sklearn_log_loss():
    y_true, y_pred = _inputs("categorical_crossentropy", n=100, seed=5)
    labels = y_true.argmax(axis=1)
    assert losses.get("cce").numpy(y_true, y_pred) == pytest.approx(log_loss(labels, y_pred, labels=range(4)), **F64)
    assert losses.get("sparse_cce").numpy(labels, y_pred) == pytest.approx(log_loss(labels, y_pred, labels=range(4)), **F64)


def test_cce_rows_not_summing_to_one_sklearn_keras_and_losslab():
    """'Loss and Loss Functions ...' comment thread (Julian, 2019-02-01): predicted rows that do not sum to 1."""
    actual = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    predicted = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.2], [0.1, 0.2, 0.7]])
    # scikit-learn 1.9.1 warns and uses the rows as they are: -(log 0.9 + log 0.8 + log 0.7) / 3.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sk = log_loss([0, 1, 2], predicted)
    assert any("do not sum to one" in str(w.message) for w in caught)
    assert sk == pytest.approx(-(np.log(0.9) + np.log(0.8) + np.log(0.7)) / 3, **F64)
    # Keras divides each row by its sum first: the second row's 0.8 becomes 0.8 / 1.1.
    keras_value = float(_keras_fn("categorical_crossentropy")(actual, predicted).mean())
    assert keras_value == pytest.approx(-(np.log(0.9) + np.log(0.8 / 1.1) + np.log(0.7)) / 3, **F64)
    assert keras_value == pytest.approx(0.26016, abs=1e-5)
    assert sk == pytest.approx(0.22839, abs=1e-5)
    # losslab refuses the rows rather than renormalising them silently.
    with pytest.raises(ValueError, match=r"categorical_crossentropy: expected each row of y_pred to sum to 1\. Received: 1 row\(s\) that do not, "
                       r"e\.g\. a row summing to 1\.1\. Put a softmax on the output layer, or pass raw scores with from_logits=True\."):
        losses.get("cce").numpy(actual, predicted)


def test_cce_class_weight_reduction_convention():
    """Per-sample -sum_j w_j y_j log p_j; "mean" divides by n (Keras' sum_over_batch_size)."""
    y_true = np.eye(3)[[0, 1, 1]]
    y_pred = np.array([[0.5, 0.25, 0.25], [0.2, 0.6, 0.2], [0.1, 0.8, 0.1]])
    w = [2.0, 0.5, 1.0]
    per = -np.array([2.0 * np.log(0.5), 0.5 * np.log(0.6), 0.5 * np.log(0.8)])
    spec = losses.get("cce", class_weight=w)
    assert spec.numpy(y_true, y_pred, reduction="none") == pytest.approx(per, **F64)
    assert spec.numpy(y_true, y_pred) == pytest.approx(per.sum() / 3, **F64)
    # PyTorch with class-index targets divides by the summed weights of the samples' classes instead.
    z = np.log(y_pred)
    torch_index = F.cross_entropy(torch.tensor(z), torch.tensor([0, 1, 1]), weight=torch.tensor(w, dtype=torch.float64)).item()
    assert torch_index == pytest.approx(per.sum() / (2.0 + 0.5 + 0.5), **F64)
    assert losses.get("sparse_cce", class_weight=w).numpy(np.array([0, 1, 1]), y_pred, reduction="sum") / 3.0 == pytest.approx(torch_index, **F64)


def test_cce_logits_are_finite_at_1e4_and_probabilities_at_0_and_1():
    y_true = np.eye(3)[[0, 1, 2, 0]]
    for dtype in (torch.float32, torch.float64):
        z = torch.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [1e4, 1e4, -1e4], [-1e4, 0.0, 1e4]], dtype=dtype, requires_grad=True)
        value = losses.get("cce", from_logits=True).torch(y_true, z, reduction="none")
        value.sum().backward()
        # Exact: -log_softmax; rows 1 and 2 tie two classes (log 2), rows 2 and 3 miss by 2e4.
        assert value.detach().double().numpy() == pytest.approx([0.0, np.log(2.0), 2e4 + np.log(2.0), 2e4], rel=1e-6, abs=1e-6)
        assert torch.isfinite(z.grad).all()
    p = torch.tensor(np.eye(3)[[0, 0, 2, 1]], requires_grad=True)
    value = losses.get("cce").torch(y_true, p, reduction="none")
    value.sum().backward()
    # Clipped as Keras: a confident hit costs -log(1 - 1e-7), a confident miss -log(1e-7) = 16.118.
    assert value.detach().numpy() == pytest.approx([1e-7, 16.118095650958317, 1e-7, 16.118095650958317], rel=1e-6)
    assert torch.isfinite(p.grad).all()


# ---------------------------------------------------------------- sparse categorical cross-entropy and NLL
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_cce_matches_keras(from_logits, dtype):
    spec = losses.get("sparse_categorical_crossentropy", from_logits=from_logits)
    y_true, y_pred = _inputs("sparse_categorical_crossentropy", dtype=dtype, from_logits=from_logits)
    expected = _keras_fn("sparse_categorical_crossentropy")(y_true, y_pred.astype(np.float64), from_logits=from_logits).numpy()
    _check(spec, y_true, y_pred, expected, dtype)
    assert spec.numpy(y_true, y_pred) == pytest.approx(float(spec.to_keras()(y_true, y_pred)), **F32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("class_weight", [None, [1.0, 2.0, 0.5, 3.0]])
def test_cross_entropy_loss_alias_matches_torch(class_weight, label_smoothing, dtype):
    spec = losses.get("CrossEntropyLoss", label_smoothing=label_smoothing, class_weight=class_weight)
    assert spec.name == "sparse_categorical_crossentropy" and spec.takes_logits
    y_true, y_pred = _inputs("sparse_categorical_crossentropy", dtype=dtype, from_logits=True)
    w = None if class_weight is None else torch.tensor(class_weight, dtype=torch.float64)
    expected = F.cross_entropy(torch.as_tensor(y_pred).double(), torch.as_tensor(y_true), weight=w,
                               label_smoothing=label_smoothing, reduction="none")
    _check(spec, y_true, y_pred, expected.numpy(), dtype)
    # Equal to the categorical loss on one-hot rows.
    one_hot = np.eye(4)[y_true]
    cce = losses.get("cce", from_logits=True, label_smoothing=label_smoothing, class_weight=class_weight)
    assert spec.numpy(y_true, y_pred, reduction="none") == pytest.approx(cce.numpy(one_hot, y_pred, reduction="none"), **(F64 if dtype == np.float64 else F32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("class_weight", [None, [1.0, 2.0, 0.5, 3.0]])
def test_nll_matches_torch_and_sparse_cce_with_logits(class_weight, dtype):
    y_true, y_pred = _inputs("nll", dtype=dtype)
    w = None if class_weight is None else torch.tensor(class_weight, dtype=torch.float64)
    expected = F.nll_loss(torch.as_tensor(y_pred).double(), torch.as_tensor(y_true), weight=w, reduction="none")
    spec = losses.get("NLLLoss", class_weight=class_weight)
    _check(spec, y_true, y_pred, expected.numpy(), dtype)
    # log_softmax is idempotent: cross-entropy "from logits" on log-probabilities is the NLL.
    scce = losses.get("CrossEntropyLoss", class_weight=class_weight)
    assert scce.numpy(y_true, y_pred) == pytest.approx(spec.numpy(y_true, y_pred), **(F64 if dtype == np.float64 else F32))


# ---------------------------------------------------------------- KL divergence
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_kl_matches_torch_kl_div(dtype):
    y_true, y_pred = _inputs("kl_divergence", dtype=dtype)
    log_q = torch.as_tensor(np.log(y_pred.astype(np.float64)))
    p = torch.as_tensor(y_true).double()
    expected = F.kl_div(log_q, p, reduction="none").sum(dim=-1).numpy()
    _check(losses.get("kld"), y_true, y_pred, expected, dtype)
    tol = F64 if dtype == np.float64 else F32
    ours = losses.get("kld").numpy(y_true, y_pred)
    # PyTorch: reduction="batchmean" is losslab's mean; the default "mean" divides by n * k as well.
    assert F.kl_div(log_q, p, reduction="batchmean").item() == pytest.approx(ours, **tol)
    with pytest.warns(UserWarning, match="'mean' divides the total loss by both the batch size and the support size"):
        torch_mean = F.kl_div(log_q, p, reduction="mean").item()
    assert torch_mean == pytest.approx(ours / y_pred.shape[1], **tol)


def test_kl_div_loss_alias_takes_log_probabilities_or_logits():
    y_true, probs = _inputs("kl_divergence")
    log_q = np.log(probs)
    spec = losses.get("KLDivLoss")
    assert spec.name == "kl_divergence" and spec.takes_logits
    expected = torch.nn.KLDivLoss(reduction="batchmean")(torch.as_tensor(log_q), torch.as_tensor(y_true)).item()
    assert spec.numpy(y_true, log_q) == pytest.approx(expected, **F64)
    # Logits shifted by any constant per row are the same input: log_softmax(z + c) = log_softmax(z).
    assert spec.numpy(y_true, log_q + 3.7) == pytest.approx(expected, **F64)
    assert losses.get("kld").numpy(y_true, probs) == pytest.approx(expected, **F64)
    # Argument order: (y_true, y_pred) = (P, Q), the loss is KL(P || Q), not KL(Q || P).
    p, q = np.array([[0.5, 0.5]]), np.array([[0.9, 0.1]])
    assert losses.get("kld").numpy(p, q) == pytest.approx(0.5 * np.log(0.5 / 0.9) + 0.5 * np.log(0.5 / 0.1), **F64)
    assert losses.get("kld").numpy(p, q) == pytest.approx(0.5108256237659907, **F64)
    assert losses.get("kld").numpy(q, p) == pytest.approx(0.3680642071684971, **F64)


def test_kl_matches_keras_up_to_its_clipping_of_y_true():
    y_true, y_pred = _inputs("kl_divergence", dtype=np.float64)
    y_true[1:] = np.clip(y_true[1:], 1e-3, 1.0)
    y_true[1:] /= y_true[1:].sum(axis=1, keepdims=True)  # rows without zeros: the same numbers
    expected = _keras_fn("kl_divergence")(y_true, y_pred).numpy()
    ours = losses.get("kld").numpy(y_true, y_pred, reduction="none")
    assert ours[1:] == pytest.approx(expected[1:], **F64)
    assert losses.get("kld").numpy(y_true[1:], y_pred[1:]) == pytest.approx(float(losses.get("kld").to_keras()(y_true[1:], y_pred[1:])), **F32)
    # Row 0 is one-hot: Keras clips its zeros to 1e-7 and adds 1e-7 log(1e-7 / q_j) for each.
    zeros = [j for j in range(4) if j != 1]
    keras_extra = sum(1e-7 * np.log(1e-7 / y_pred[0, j]) for j in zeros)
    assert expected[0] == pytest.approx(ours[0] + keras_extra, **F64)
    # With numbers: y=[1, 0, 0], q=[0.8, 0.1, 0.1]: Keras 0.2231408, losslab log(1 / 0.8) = 0.2231436.
    keras_small = float(_keras_fn("kl_divergence")(np.array([[1.0, 0, 0]]), np.array([[0.8, 0.1, 0.1]]))[0])
    assert keras_small == pytest.approx(0.22314078831, rel=1e-9)
    assert losses.get("kld").numpy(np.array([[1.0, 0, 0]]), np.array([[0.8, 0.1, 0.1]])) == pytest.approx(np.log(1 / 0.8), rel=1e-12)


def test_kl_with_one_hot_targets_equals_cce():
    y_true, y_pred = _inputs("categorical_crossentropy")
    assert losses.get("kld").numpy(y_true, y_pred) == pytest.approx(losses.get("cce").numpy(y_true, y_pred), **F64)


# ---------------------------------------------------------------- categorical hinge, multi margin
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_categorical_hinge_matches_keras_on_non_negative_scores_and_sklearn_everywhere(dtype):
    y_true, y_pred = _inputs("categorical_hinge", dtype=dtype)
    spec = losses.get("CategoricalHinge")
    # scikit-learn's multi-class hinge_loss is Crammer-Singer: max(0, 1 - (z_c - max_{j != c} z_j)).
    labels = y_true.argmax(axis=1)
    sk = hinge_loss(labels, y_pred.astype(np.float64), labels=range(4))
    assert spec.numpy(y_true, y_pred) == pytest.approx(sk, **(F64 if dtype == np.float64 else F32))
    positive = (y_pred - y_pred.min() + 0.01).astype(dtype)  # Keras' max((1 - y) * z) is right for z >= 0
    expected = _keras_fn("categorical_hinge")(y_true.astype(np.float64), positive.astype(np.float64)).numpy()
    _check(spec, y_true, positive, expected, dtype)
    assert spec.numpy(y_true, positive) == pytest.approx(float(spec.to_keras()(y_true, positive)), **F32)


def test_categorical_hinge_differs_from_keras_when_every_wrong_score_is_negative():
    y_true, y_pred = np.array([[0.0, 0.0, 1.0]]), np.array([[-0.5, -2.0, 0.0]])
    # Keras: neg = max((1 - y) * z) = max(-0.5, -2, 0) = 0 (the true class counts as 0) -> 1 + 0 - 0 = 1.
    assert float(_keras_fn("categorical_hinge")(y_true, y_pred)[0]) == pytest.approx(1.0)
    # Crammer-Singer (losslab, scikit-learn): 1 + (-0.5) - 0 = 0.5.
    assert losses.get("categorical_hinge").numpy(y_true, y_pred) == pytest.approx(0.5, **F64)
    assert hinge_loss([2], y_pred, labels=[0, 1, 2]) == pytest.approx(0.5, **F64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("params", [{}, {"p": 2, "margin": 0.5}, {"class_weight": [1.0, 2.0, 0.5, 3.0]}])
def test_multi_margin_matches_torch(params, dtype):
    y_true, y_pred = _inputs("multi_margin", dtype=dtype)
    w = params.get("class_weight")
    kw = {"p": params.get("p", 1), "margin": params.get("margin", 1.0), "weight": None if w is None else torch.tensor(w, dtype=torch.float64)}
    expected = F.multi_margin_loss(torch.as_tensor(y_pred).double(), torch.as_tensor(y_true), reduction="none", **kw)
    spec = losses.get("MultiMarginLoss", **params)
    _check(spec, y_true, y_pred, expected.numpy(), dtype)
    assert spec.numpy(y_true, y_pred) == pytest.approx(F.multi_margin_loss(torch.as_tensor(y_pred).double(), torch.as_tensor(y_true), **kw).item(),
                                                       **(F64 if dtype == np.float64 else F32))


# ---------------------------------------------------------------- focal and generalized cross-entropy
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize(
    "params",
    [{}, {"gamma": 0.5, "alpha": [0.1, 0.2, 0.3, 0.4]}, {"label_smoothing": 0.1}, {"from_logits": True}, {"from_logits": True, "gamma": 3.0, "label_smoothing": 0.2}],
)
def test_categorical_focal_matches_keras(params, dtype):
    spec = losses.get("categorical_focal_crossentropy", **params)
    y_true, y_pred = _inputs("categorical_focal_crossentropy", dtype=dtype, **params)
    keras_params = {k: (np.array(v) if isinstance(v, list) else v) for k, v in params.items()}
    expected = _keras_fn("categorical_focal_crossentropy")(y_true.astype(np.float64), y_pred.astype(np.float64), **keras_params).numpy()
    _check(spec, y_true, y_pred, expected, dtype)
    assert spec.numpy(y_true, y_pred) == pytest.approx(float(spec.to_keras()(y_true, y_pred)), **F32)


def test_categorical_focal_with_gamma_0_alpha_1_is_cce_and_its_logits_path_does_not_saturate():
    y_true, y_pred = _inputs("categorical_crossentropy")
    plain = losses.get("categorical_focal_crossentropy", gamma=0.0, alpha=1.0)
    assert plain.numpy(y_true, y_pred) == pytest.approx(losses.get("cce").numpy(y_true, y_pred), **F64)
    z = np.array([[30.0, 0.0, 0.0]])
    miss = np.array([[0.0, 1.0, 0.0]])
    keras_value = float(_keras_fn("categorical_focal_crossentropy")(miss, z, from_logits=True, gamma=0.0, alpha=1.0)[0])
    assert keras_value == pytest.approx(16.118095650958317, rel=1e-6)  # Keras: softmax, then the clip
    exact = 30.0 + np.log1p(2 * np.exp(-30.0))
    assert losses.get("categorical_focal_crossentropy", from_logits=True, gamma=0.0, alpha=1.0).numpy(miss, z) == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("q", [0.5, 0.2, 0.9])
def test_generalized_cross_entropy_matches_keras(q, dtype):
    spec = losses.get("CategoricalGeneralizedCrossEntropy", q=q)
    y_true, y_pred = _inputs("categorical_generalized_cross_entropy", dtype=dtype)
    # keras.losses.get() does not know this name (it is missing from Keras' ALL_OBJECTS): call the function.
    expected = keras.losses.categorical_generalized_cross_entropy(torch.as_tensor(y_true), torch.as_tensor(y_pred.astype(np.float64)), q=q).numpy()
    _check(spec, y_true, y_pred, expected, dtype)
    assert spec.numpy(y_true, y_pred) == pytest.approx(float(spec.to_keras()(y_true, y_pred)), **F32)


def test_generalized_cross_entropy_clips_where_keras_does_not():
    y_true, y_pred = np.array([0]), np.array([[0.0, 1.0]])
    keras_value = float(keras.losses.categorical_generalized_cross_entropy(torch.tensor(y_true), torch.tensor(y_pred), q=0.5)[0])
    assert keras_value == pytest.approx(2.0)
    assert losses.get("gce").numpy(y_true, y_pred) == pytest.approx((1 - np.sqrt(1e-7)) / 0.5, **F64)
    assert losses.get("gce").numpy(y_true, y_pred) == pytest.approx(1.999368, abs=1e-6)
    p = torch.tensor(y_pred, requires_grad=True)
    losses.get("gce").torch(y_true, p).backward()
    assert torch.isfinite(p.grad).all()


# ---------------------------------------------------------------- every multi-class loss: PyTorch module, gradients, engine shapes
@pytest.mark.parametrize("name", MULTICLASS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_to_torch_module_matches_numpy(name, dtype):
    spec = losses.get(name)
    y_true, y_pred = _inputs(name, dtype=dtype)
    module = spec.to_torch_module()
    value = module(torch.as_tensor(y_pred), torch.as_tensor(y_true)).item()  # PyTorch's order: (input, target)
    assert value == pytest.approx(spec.numpy(y_true, y_pred), **(F64 if dtype == np.float64 else F32))


@pytest.mark.parametrize(
    "alias,params,cls",
    [
        ("cce", {"from_logits": True, "class_weight": [1.0, 2.0, 1.0, 1.0]}, torch.nn.CrossEntropyLoss),
        ("cce", {}, LossModule),
        ("CrossEntropyLoss", {"label_smoothing": 0.1}, torch.nn.CrossEntropyLoss),
        ("CrossEntropyLoss", {"class_weight": [1.0, 2.0, 1.0, 1.0]}, LossModule),
        ("NLLLoss", {}, torch.nn.NLLLoss),
        ("MultiMarginLoss", {"class_weight": [1.0, 2.0, 1.0, 1.0]}, torch.nn.MultiMarginLoss),
        ("KLDivLoss", {}, LossModule),
    ],
)
def test_to_torch_module_is_the_pytorch_class_only_when_it_computes_the_same(alias, params, cls):
    spec = losses.get(alias, **params)
    module = spec.to_torch_module()
    assert type(module) is cls
    name = spec.name
    y_true, y_pred = _inputs(name, **{k: v for k, v in params.items() if k == "from_logits"})
    if spec.takes_logits and name == "kl_divergence":
        y_pred = np.log(y_pred)
    value = module.double()(torch.as_tensor(y_pred), torch.as_tensor(y_true)).item()
    assert value == pytest.approx(spec.numpy(y_true, y_pred), **F64)


GRADCHECK = [
    ("categorical_crossentropy", {}),
    ("categorical_crossentropy", {"from_logits": True, "label_smoothing": 0.1, "class_weight": [1.0, 2.0, 0.5, 1.5]}),
    ("sparse_categorical_crossentropy", {}),
    ("sparse_categorical_crossentropy", {"from_logits": True, "label_smoothing": 0.1, "class_weight": [1.0, 2.0, 0.5, 1.5]}),
    ("nll", {"class_weight": [1.0, 2.0, 0.5, 1.5]}),
    ("kl_divergence", {}),
    ("kl_divergence", {"from_logits": True}),
    ("categorical_hinge", {}),
    ("multi_margin", {"p": 2, "class_weight": [1.0, 2.0, 0.5, 1.5]}),
    ("categorical_focal_crossentropy", {}),
    ("categorical_focal_crossentropy", {"from_logits": True, "label_smoothing": 0.1}),
    ("categorical_generalized_cross_entropy", {}),
]


@pytest.mark.parametrize("name,params", GRADCHECK)
def test_gradcheck(name, params):
    spec = losses.get(name, **params)
    y_true, y_pred = _inputs(name, n=4, seed=2, **params)
    p = torch.tensor(y_pred, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: spec.torch(y_true, x, reduction="none"), (p,))


@pytest.mark.parametrize("name", MULTICLASS)
def test_torch_kernel_on_replicate_batch_columns(name):
    """The engine calls kernels on (replicates, batch, k): targets (batch, k), or class indices (batch,) / (replicates, batch)."""
    spec = losses.get(name)
    y_true, y_pred = _inputs(name, n=5)
    replicas = [y_pred, y_pred[::-1].copy(), _inputs(name, n=5, seed=9)[1]]
    stacked = torch.as_tensor(np.stack(replicas))
    t = torch.as_tensor(y_true)
    out = spec.torch_kernel(t, stacked, **spec.params)
    assert out.shape == (3, 5)
    for r in range(3):
        assert out[r].numpy() == pytest.approx(spec.numpy(y_true, replicas[r], reduction="none"), **F64)
    full = spec.torch_kernel(t.expand(3, *t.shape), stacked, **spec.params)
    assert torch.equal(full, out)
    # The NumPy kernel broadcasts the same way.
    np_true = y_true if spec.shape_rule == "class_index" else y_true.astype(np.float64)
    assert spec.numpy_kernel(np_true, np.stack(replicas), **spec.params) == pytest.approx(out.numpy(), **F64)


# ---------------------------------------------------------------- bad input
def test_sparse_labels_must_be_integers_in_range():
    spec = losses.get("sparse_categorical_crossentropy")
    probs = np.full((3, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: expected y_true in 0 \.\. 2, as y_pred has k=3 columns\. Received: labels \{3\}\."):
        spec.numpy(np.array([0, 1, 3]), probs)
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: expected y_true in 0 \.\. 2\. Received: negative labels \{-1\}\. "
                       r"losslab has no ignore index"):
        spec.numpy(np.array([0, -1, 2]), probs)
    with pytest.raises(ValueError, match=r"expected y_true to hold integer class indices 0 \.\. 2\. Received: non-integer values \{1\.5\}"):
        spec.numpy(np.array([0.0, 1.5, 2.0]), probs)
    assert spec.numpy(np.array([0.0, 1.0, 2.0]), probs) == pytest.approx(np.log(3.0), **F64)  # integral floats are labels
    with pytest.raises(ValueError, match=r"nll: expected y_true in 0 \.\. 2, as y_pred has k=3"):
        losses.get("nll").torch(np.array([5, 1, 2]), torch.log(torch.as_tensor(probs)))
    with pytest.raises(ValueError, match=r"multi_margin: expected y_true in 0 \.\. 2"):
        losses.get("multi_margin").numpy(np.array([0, 1, 7]), probs)


def test_sparse_loss_given_one_hot_rows_suggests_the_categorical_loss():
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: expected y_true of shape \(n,\), one class index per row of y_pred\. "
                       r"Received: y_true\.shape=\(3, 3\)\. y_true looks one-hot: pass class indices \(y_true\.argmax\(axis=-1\)\), "
                       r"or use categorical_crossentropy"):
        losses.get("sparse_cce").numpy(np.eye(3), np.full((3, 3), 1 / 3))
    with pytest.raises(ValueError, match=r"Pass y_true\.reshape\(-1\)"):
        losses.get("sparse_cce").numpy(np.array([[0], [1], [2]]), np.full((3, 3), 1 / 3))


def test_categorical_loss_given_integer_labels_suggests_the_sparse_loss():
    with pytest.raises(ValueError, match=r"categorical_crossentropy: expected y_true and y_pred of the same shape\. Received: y_true\.shape=\(3,\), "
                       r"y_pred\.shape=\(3, 3\)\. y_true looks like class indices: one-hot encode it \(np\.eye\(3\)\[y_true\]\) or use a loss that "
                       r"takes class indices \(sparse_categorical_crossentropy\)\."):
        losses.get("cce").numpy(np.array([0, 1, 2]), np.full((3, 3), 1 / 3))
    with pytest.raises(ValueError, match=r"categorical_crossentropy: expected y_pred of shape \(n, k\) with one column per class, k >= 2\. "
                       r"Received: y_pred with 1 column\. For two classes and one sigmoid output use binary_crossentropy\."):
        losses.get("cce").numpy(np.array([1.0, 1.0]), np.array([0.3, 0.6]))


@pytest.mark.parametrize("name", ["categorical_crossentropy", "categorical_focal_crossentropy"])
def test_one_hot_rows_must_sum_to_one(name):
    y_pred = np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match=rf"{name}: expected each row of y_true to sum to 1\. Received: 1 row\(s\) that do not, e\.g\. a row summing to 2\. "
                       r"Give one-hot rows \(np\.eye\(k\)\[labels\]\) or probability rows; for integer labels use sparse_categorical_crossentropy; "
                       r"for several labels per sample use binary_crossentropy\."):
        losses.get(name).numpy(np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0]]), y_pred)


def test_kl_target_rows_must_be_distributions():
    with pytest.raises(ValueError, match=r"kl_divergence: expected each row of y_true to sum to 1\. Received: 1 row\(s\) that do not, e\.g\. a row summing to 0\.9\. "
                       r"kl_divergence compares distributions"):
        losses.get("kld").numpy(np.array([[0.5, 0.4], [0.5, 0.5]]), np.array([[0.5, 0.5], [0.5, 0.5]]))
    with pytest.raises(ValueError, match=r"kl_divergence: expected y_true in \[0, 1\]\. Received: 2 value\(s\) outside it, e\.g\. y_true=1\.5"):
        losses.get("kld").numpy(np.array([[1.5, -0.5]]), np.array([[0.5, 0.5]]))


@pytest.mark.parametrize("name", ["categorical_crossentropy", "sparse_categorical_crossentropy", "kl_divergence", "categorical_focal_crossentropy"])
def test_probability_losses_refuse_logits_and_suggest_from_logits(name):
    spec = losses.get(name)
    y_true = np.array([0, 2]) if spec.shape_rule == "class_index" else np.eye(3)[[0, 2]]
    with pytest.raises(ValueError, match=rf"{name}: expected y_pred in \[0, 1\]\. Received: 2 value\(s\) outside it, e\.g\. y_pred=-1\. "
                       r"y_pred looks like logits \(raw scores\): pass from_logits=True, or put a softmax on the output layer\."):
        spec.numpy(y_true, np.array([[-1.0, 0.5, 2.0], [0.1, 0.2, 0.3]]))


def test_nll_refuses_probabilities_and_raw_scores():
    with pytest.raises(ValueError, match=r"nll: expected y_pred in \[-inf, 0\]\. .*nll takes log-probabilities: put a log_softmax on the output layer"):
        losses.get("nll").numpy(np.array([0, 1]), np.array([[0.7, 0.3], [0.4, 0.6]]))
    with pytest.raises(ValueError, match=r"nll: expected each row of exp\(y_pred\) to sum to 1"):
        losses.get("nll").numpy(np.array([0, 1]), np.array([[-1.0, -2.0], [-0.5, -3.0]]))


def test_categorical_hinge_needs_one_hot_rows():
    with pytest.raises(ValueError, match=r"categorical_hinge: expected y_true in \{0, 1\}\. Received: y_true with values \{0\.2, 0\.8\}\. Give one-hot rows"):
        losses.get("categorical_hinge").numpy(np.array([[0.2, 0.8]]), np.array([[0.1, 0.5]]))
    with pytest.raises(ValueError, match=r"categorical_hinge: expected each row of y_true to sum to 1"):
        losses.get("categorical_hinge").numpy(np.array([[1.0, 1.0]]), np.array([[0.1, 0.5]]))


def test_nan_inf_and_hyperparameters_are_refused():
    with pytest.raises(ValueError, match=r"categorical_crossentropy: expected finite values in y_pred\. Received: 1 NaN or infinite value\(s\)"):
        losses.get("cce", from_logits=True).numpy(np.eye(2), np.array([[0.0, np.inf], [1.0, 0.0]]))
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: expected finite values in y_true"):
        losses.get("sparse_cce").numpy(np.array([0.0, np.nan]), np.full((2, 2), 0.5))
    with pytest.raises(ValueError, match=r"categorical_crossentropy: expected class_weight of shape \(3,\), one weight per column of y_pred\. "
                       r"Received: class_weight of shape \(2,\)"):
        losses.get("cce", class_weight=[1.0, 2.0]).numpy(np.eye(3), np.full((3, 3), 1 / 3))
    with pytest.raises(ValueError, match=r"categorical_generalized_cross_entropy: expected q in \(0, 1\)\. Received: q=1\.0"):
        losses.get("gce", q=1.0).numpy(np.array([0]), np.array([[0.5, 0.5]]))
    with pytest.raises(ValueError, match=r"multi_margin: expected p in \(1, 2\), as PyTorch's MultiMarginLoss\. Received: p=3"):
        losses.get("multi_margin", p=3).numpy(np.array([0]), np.array([[0.5, 0.5]]))


def test_to_keras_refuses_what_keras_cannot_express():
    with pytest.raises(ValueError, match=r"categorical_crossentropy: keras\.losses\.CategoricalCrossentropy has no equivalent of class_weight"):
        losses.get("cce", class_weight=[1.0, 2.0]).to_keras()
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: keras\.losses\.SparseCategoricalCrossentropy has no equivalent of label_smoothing"):
        losses.get("sparse_cce", label_smoothing=0.1).to_keras()
    with pytest.raises(ValueError, match=r"kl_divergence: keras\.losses\.KLDivergence has no equivalent of from_logits"):
        losses.get("KLDivLoss").to_keras()
    with pytest.raises(ValueError, match=r"nll: Keras 3 has no built-in loss for it"):
        losses.get("nll").to_keras()


# ---------------------------------------------------------------- every Keras and PyTorch name
@pytest.mark.parametrize(
    "keras_name,canonical",
    [
        ("CategoricalCrossentropy", "categorical_crossentropy"), ("categorical_crossentropy", "categorical_crossentropy"),
        ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy"),
        ("sparse_categorical_crossentropy", "sparse_categorical_crossentropy"),
        ("KLDivergence", "kl_divergence"), ("kl_divergence", "kl_divergence"), ("kld", "kl_divergence"), ("KLD", "kl_divergence"),
        ("CategoricalHinge", "categorical_hinge"), ("categorical_hinge", "categorical_hinge"),
        ("CategoricalFocalCrossentropy", "categorical_focal_crossentropy"),
        ("categorical_focal_crossentropy", "categorical_focal_crossentropy"),
    ],
)
def test_every_keras_name_resolves_to_the_loss_keras_computes(keras_name, canonical):
    spec = losses.get(keras_name)
    assert spec.name == canonical
    y_true, y_pred = _inputs(canonical)
    if canonical == "categorical_hinge":
        y_pred = y_pred - y_pred.min()  # Keras' form is Crammer-Singer for non-negative scores
    elif canonical == "kl_divergence":
        y_true = np.clip(y_true, 1e-3, 1.0) / np.clip(y_true, 1e-3, 1.0).sum(axis=1, keepdims=True)  # Keras clips zero targets
    value = keras.losses.get(keras_name)(y_true, y_pred)
    assert float(value.mean()) == pytest.approx(spec.numpy(y_true, y_pred), **F32)


def test_keras_generalized_cross_entropy_names():
    # Keras 3.15 exports the class and the function but keras.losses.get() knows neither name.
    assert losses.get("CategoricalGeneralizedCrossEntropy").name == "categorical_generalized_cross_entropy"
    assert losses.get("categorical_generalized_cross_entropy").to_keras().__class__ is keras.losses.CategoricalGeneralizedCrossEntropy


@pytest.mark.parametrize(
    "torch_name,canonical,from_logits",
    [
        ("CrossEntropyLoss", "sparse_categorical_crossentropy", True), ("NLLLoss", "nll", False),
        ("KLDivLoss", "kl_divergence", True), ("MultiMarginLoss", "multi_margin", False),
    ],
)
def test_every_pytorch_name_resolves(torch_name, canonical, from_logits):
    spec = losses.get(torch_name)
    assert spec.name == canonical and spec.takes_logits is from_logits
    assert hasattr(torch.nn, torch_name)
