"""Dice and Tversky against Keras 3, and the per-sample versus batch-level convention.

Reference: Keras 3.15.1 on the torch backend. ``keras.losses.Dice(axis=-1)`` is the per-sample
form; Keras' default ``axis=None`` pools the whole batch (documented below with numbers).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from losslab import losses

F64 = {"rel": 1e-6, "abs": 1e-12}
F32 = {"rel": 2e-5, "abs": 1e-6}

# The example of Keras' Dice docstring: two samples of 2 x 2 x 1 pixels, flattened to rows.
KERAS_DOC_TRUE = np.array([[1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]])
KERAS_DOC_PRED = np.array([[0.0, 1.0, 0.0, 1.0], [0.4, 0.0, 0.0, 0.9]])


def _inputs(n=10, k=5, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, size=(n, k)).astype(np.float64)
    y_true[:, 0] = 1.0  # every row has a positive: the empty-row case is tested on its own
    y_pred = 1.0 / (1.0 + np.exp(-2.0 * rng.normal(size=(n, k))))
    return y_true.astype(dtype), y_pred.astype(dtype)


def _check(spec, y_true, y_pred, expected, dtype):
    tol = F64 if dtype == np.float64 else F32
    assert spec.numpy(y_true, y_pred, reduction="none") == pytest.approx(expected, **tol)
    engine = spec.torch(y_true, torch.as_tensor(y_pred), reduction="none")
    assert engine.dtype == torch.as_tensor(y_pred).dtype
    assert engine.detach().double().numpy() == pytest.approx(expected, **tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_dice_matches_keras_per_sample(dtype):
    y_true, y_pred = _inputs(dtype=dtype)
    expected = keras.losses.get("dice")(y_true.astype(np.float64), y_pred.astype(np.float64), axis=-1).numpy()
    spec = losses.get("Dice")
    _check(spec, y_true, y_pred, expected, dtype)
    assert spec.numpy(y_true, y_pred) == pytest.approx(float(spec.to_keras()(y_true, y_pred)), **F32)


def test_dice_per_sample_versus_keras_batch_level_on_keras_docstring_example():
    spec = losses.get("dice")
    per_sample = spec.numpy(KERAS_DOC_TRUE, KERAS_DOC_PRED, reduction="none")
    # Keras' docstring, Dice(axis=(1, 2, 3), reduction=None): [0.5, 0.75757575].
    assert per_sample == pytest.approx([0.5, 0.75757575], rel=1e-6)
    assert spec.numpy(KERAS_DOC_TRUE, KERAS_DOC_PRED) == pytest.approx((0.5 + 0.75757575) / 2, rel=1e-6)  # 0.6288
    # Keras' default Dice() pools the batch: 1 - 2 * 1.4 / (4 + 3.3) = 0.6164384.
    batch_level = float(keras.losses.get("Dice")(KERAS_DOC_TRUE, KERAS_DOC_PRED))
    assert losses.get("Dice").name == "dice" and losses.get("Tversky").name == "tversky"
    assert batch_level == pytest.approx(1 - 2.8 / 7.3, rel=1e-6)
    assert batch_level == pytest.approx(0.6164384, rel=1e-6)
    assert abs(batch_level - spec.numpy(KERAS_DOC_TRUE, KERAS_DOC_PRED)) > 0.01


def test_dice_rows_without_positives_cost_one_whatever_the_prediction():
    spec = losses.get("dice")
    y_true = np.zeros((2, 3))
    y_pred = np.array([[0.0, 0.0, 0.0], [0.9, 0.9, 0.9]])
    assert spec.numpy(y_true, y_pred, reduction="none") == pytest.approx([1.0, 1.0], **F64)
    p = torch.tensor(y_pred, requires_grad=True)
    spec.torch(y_true, p).backward()
    assert torch.equal(p.grad, torch.zeros_like(p))
    # A single sigmoid output: every negative sample costs 1 with no gradient (why dice is not for binary problems).
    assert "binary" not in spec.problem_types
    assert spec.numpy(np.array([0.0, 1.0]), np.array([0.01, 0.99]), reduction="none")[0] == pytest.approx(1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("alpha,beta", [(0.5, 0.5), (0.7, 0.3), (0.2, 0.9)])
def test_tversky_matches_keras_with_alpha_and_beta_swapped(alpha, beta, dtype):
    y_true, y_pred = _inputs(dtype=dtype)
    spec = losses.get("tversky", alpha=alpha, beta=beta)
    # Keras' code weighs sum(y (1 - p)) by alpha: its alpha is our beta.
    expected = keras.losses.get("tversky")(y_true.astype(np.float64), y_pred.astype(np.float64), alpha=beta, beta=alpha, axis=-1).numpy()
    _check(spec, y_true, y_pred, expected, dtype)
    assert spec.numpy(y_true, y_pred) == pytest.approx(float(spec.to_keras()(y_true, y_pred)), **F32)


def test_tversky_alpha_prices_false_positives_as_salehi_et_al():
    y_true, y_pred = np.array([[1.0, 1.0, 0.0, 0.0]]), np.array([[0.9, 0.2, 0.7, 0.1]])
    # TP = 1.1, FP = sum((1 - y) p) = 0.8, FN = sum(y (1 - p)) = 0.9.
    ours = losses.get("tversky", alpha=0.7, beta=0.3).numpy(y_true, y_pred)
    assert ours == pytest.approx(1 - 1.1 / (1.1 + 0.7 * 0.8 + 0.3 * 0.9 + 1e-7), **F64)
    assert ours == pytest.approx(0.4300518, rel=1e-6)
    keras_same_names = float(keras.losses.Tversky(alpha=0.7, beta=0.3, axis=-1)(y_true, y_pred))
    assert keras_same_names == pytest.approx(1 - 1.1 / (1.1 + 0.7 * 0.9 + 0.3 * 0.8), rel=1e-6)  # 0.4416
    assert keras_same_names == pytest.approx(0.4416244, rel=1e-6)
    # More weight on false positives punishes a prediction that over-calls more.
    over_call = np.array([[0.9, 0.9, 0.9, 0.9]])
    assert losses.get("tversky", alpha=0.9, beta=0.1).numpy(y_true, over_call) > losses.get("tversky", alpha=0.1, beta=0.9).numpy(y_true, over_call)


def test_tversky_with_half_and_half_is_dice():
    y_true, y_pred = _inputs()
    assert losses.get("tversky").numpy(y_true, y_pred, reduction="none") == pytest.approx(losses.get("dice").numpy(y_true, y_pred, reduction="none"), **F64)


@pytest.mark.parametrize("name,params", [("dice", {}), ("tversky", {"alpha": 0.3, "beta": 0.8})])
def test_gradcheck(name, params):
    spec = losses.get(name, **params)
    y_true, y_pred = _inputs(n=4, k=3, seed=1)
    p = torch.tensor(y_pred, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: spec.torch(y_true, x, reduction="none"), (p,))


@pytest.mark.parametrize("name", ["dice", "tversky"])
def test_to_torch_module_and_replicate_batch_columns(name):
    spec = losses.get(name)
    y_true, y_pred = _inputs(n=6)
    value = spec.to_torch_module()(torch.as_tensor(y_pred), torch.as_tensor(y_true)).item()  # PyTorch's order
    assert value == pytest.approx(spec.numpy(y_true, y_pred), **F64)
    stacked = np.stack([y_pred, y_pred[::-1].copy(), _inputs(n=6, seed=4)[1]])
    out = spec.torch_kernel(torch.as_tensor(y_true), torch.as_tensor(stacked), **spec.params)
    assert out.shape == (3, 6)
    for r in range(3):
        assert out[r].numpy() == pytest.approx(spec.numpy(y_true, stacked[r], reduction="none"), **F64)


@pytest.mark.parametrize("name", ["dice", "tversky"])
def test_bad_input_is_refused(name):
    with pytest.raises(ValueError, match=rf"{name}: expected y_pred in \[0, 1\]\. Received: 1 value\(s\) outside it, e\.g\. y_pred=1\.5\. "
                       rf"{name} takes probabilities: put a sigmoid \(multi-label\) or softmax \(one class per row\) on the output layer\."):
        losses.get(name).numpy(np.array([[1.0, 0.0]]), np.array([[1.5, 0.2]]))
    with pytest.raises(ValueError, match=rf"{name}: expected y_true in \[0, 1\]\. Received: 1 value\(s\) outside it, e\.g\. y_true=2\. Give multi-hot"):
        losses.get(name).numpy(np.array([[2.0, 0.0]]), np.array([[0.5, 0.2]]))
    with pytest.raises(ValueError, match=rf"{name}: expected finite values in y_pred"):
        losses.get(name).numpy(np.array([[1.0, 0.0]]), np.array([[np.nan, 0.2]]))


def test_tversky_weights_must_be_non_negative():
    with pytest.raises(ValueError, match=r"tversky: expected alpha in \[0, inf\]\. Received: alpha=-0\.5"):
        losses.get("tversky", alpha=-0.5).numpy(np.array([[1.0, 0.0]]), np.array([[0.5, 0.2]]))
