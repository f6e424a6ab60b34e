"""Poisson and Gaussian negative log-likelihoods: golden values, PyTorch / Keras / scikit-learn
conventions written down as tests, gradients, and refusals of bad input.

Tolerances as in test_regression.py: 1e-9 relative in float64, 1e-5 for float32 tensors
against the float64 reference, 1e-6 for Keras (which computes in float32 on torch).
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from _inputs import valid_inputs
from scipy.special import xlogy
from sklearn import metrics

from losslab import losses
from losslab.losses.frameworks import import_keras
from losslab.losses.module import LossModule

keras = import_keras()

DTYPES = [np.float32, np.float64]
RTOL = {np.float32: 1e-5, np.float64: 1e-9}
KERAS_RTOL = 1e-6


def _rng(*key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _inputs(name, dtype=np.float64, n=64, k=3, **params):
    spec = losses.get(name, **params)
    return (spec, *valid_inputs(spec, n, _rng(name, str(dtype), n, k, params), dtype, k=k))


def _torch_dtype(dtype):
    return torch.float64 if dtype is np.float64 else torch.float32


# ---------------------------------------------------------------- golden values
GOLDEN = [
    # Rate 0 for one event: 0 - 1 * log(0 + 1e-7) = 7 log 10 = 16.11809565095832 (Keras' epsilon).
    ("poisson", {}, [1.0], [0.0], 7 * math.log(10.0)),
    # Rate 3 for 2 events: 3 - 2 log 3.
    ("poisson", {}, [2.0], [3.0], 3.0 - 2.0 * math.log(3.0 + 1e-7)),
    # Log-rate log 3 for 2 events: exp(log 3) - 2 log 3.
    ("poisson", {"log_input": True}, [2.0], [math.log(3.0)], 3.0 - 2.0 * math.log(3.0)),
    # y = 0, mean 1, variance 2: 0.5 (log 2 + 1 / 2).
    ("gaussian_nll", {}, [0.0], [[1.0, 2.0]], 0.5 * (math.log(2.0) + 0.5)),
    # full=True adds 0.5 log(2 pi) = 0.9189385332046727.
    ("gaussian_nll", {"full": True}, [0.0], [[1.0, 2.0]], 0.5 * (math.log(2.0) + 0.5) + 0.5 * math.log(2 * math.pi)),
    # Two targets: columns are (mean_1, mean_2, var_1, var_2); mean over the two elements.
    ("gaussian_nll", {}, [[0.0, 1.0]], [[0.0, 3.0, 1.0, 4.0]], (0.0 + 0.5 * (math.log(4.0) + 1.0)) / 2),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name, params, y_true, y_pred, expected", GOLDEN, ids=[f"{g[0]}-{i}" for i, g in enumerate(GOLDEN)])
def test_golden_values(name, params, y_true, y_pred, expected, dtype):
    spec = losses.get(name, **params)
    y_true, y_pred = np.array(y_true, dtype=dtype), np.array(y_pred, dtype=dtype)
    assert spec.numpy(y_true, y_pred) == pytest.approx(expected, rel=RTOL[dtype])
    assert spec.torch(y_true, torch.as_tensor(y_pred)).item() == pytest.approx(expected, rel=RTOL[dtype])


def test_negative_nll_is_normal_for_a_confident_correct_gaussian():
    # A density above 1 (variance 0.01 at the mean: 3.99) has a negative log: nothing is wrong.
    assert losses.get("gaussian_nll").numpy([0.0], [[0.0, 0.01]]) == pytest.approx(0.5 * math.log(0.01), rel=1e-12)


# ---------------------------------------------------------------- Poisson: PyTorch, Keras, scikit-learn
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_log_rate_poisson_equals_pytorch_poisson_nll_loss(dtype):
    spec, y_true, y_pred = _inputs("PoissonNLLLoss", dtype)
    assert spec.params["log_input"] is True  # the PyTorch name selects PyTorch's default
    expected = F.poisson_nll_loss(torch.as_tensor(y_pred), torch.as_tensor(y_true), log_input=True, full=False).item()
    assert spec.torch(y_true, torch.as_tensor(y_pred)).item() == pytest.approx(expected, rel=RTOL[dtype])
    assert spec.numpy(y_true, y_pred) == pytest.approx(expected, rel=RTOL[dtype])


def test_pytorch_rate_poisson_puts_eps_1e_8_in_the_log_keras_1e_7():
    y_true, y_pred = torch.tensor([1.0], dtype=torch.float64), torch.tensor([0.0], dtype=torch.float64)
    pytorch = F.poisson_nll_loss(y_pred, y_true, log_input=False).item()
    assert pytorch == pytest.approx(8 * math.log(10.0), rel=1e-12)  # 18.42: -log(1e-8)
    assert losses.get("poisson").numpy([1.0], [0.0]) == pytest.approx(7 * math.log(10.0), rel=1e-12)  # 16.12: -log(1e-7)
    assert float(keras.losses.Poisson()(np.array([[1.0]]), np.array([[0.0]]))) == pytest.approx(7 * math.log(10.0), rel=KERAS_RTOL)
    # Away from 0 the two epsilons differ by y (1e-7 - 1e-8) / rate: 9e-8 at y = rate = 1.
    gap = F.poisson_nll_loss(y_pred + 1.0, y_true, log_input=False).item() - losses.get("poisson").numpy([1.0], [1.0])
    assert gap == pytest.approx(9e-8, rel=1e-6)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("log_input", [False, True])
def test_to_torch_module_is_poisson_nll_loss_with_keras_epsilon(log_input, dtype):
    spec, y_true, y_pred = _inputs("poisson", dtype, log_input=log_input)
    module = spec.to_torch_module()
    assert type(module) is torch.nn.PoissonNLLLoss
    assert (module.log_input, module.full, module.eps) == (log_input, False, 1e-7)
    value = module(torch.as_tensor(y_pred), torch.as_tensor(y_true))  # PyTorch's order: (input, target)
    assert value.item() == pytest.approx(spec.numpy(y_true, y_pred), rel=RTOL[dtype])


@pytest.mark.parametrize("keras_name", ["poisson", "Poisson"])
def test_rate_poisson_equals_keras(keras_name):
    spec, y_true, y_pred = _inputs("poisson")
    assert losses.get(keras_name).name == "poisson" and not losses.get(keras_name).takes_logits
    keras_loss = keras.losses.get(keras_name)
    per_sample = keras_loss.call(y_true, y_pred) if isinstance(keras_loss, keras.losses.Loss) else keras_loss(y_true, y_pred)
    np.testing.assert_allclose(per_sample.numpy(), spec.numpy(y_true, y_pred, reduction="none"), rtol=KERAS_RTOL, atol=1e-7)
    assert float(spec.to_keras()(y_true, y_pred)) == pytest.approx(spec.numpy(y_true, y_pred), rel=KERAS_RTOL)


def test_keras_has_no_log_rate_poisson():
    with pytest.raises(ValueError, match=r"^poisson: Keras' Poisson takes the rate, not its log"):
        losses.get("poisson", log_input=True).to_keras()


def test_log_input_reads_the_prediction_as_a_log_rate():
    spec, y_true, y_pred = _inputs("poisson")
    np.testing.assert_allclose(losses.get("poisson", log_input=True).numpy(y_true, np.log(y_pred), reduction="none"),
                               spec.numpy(y_true, y_pred, reduction="none"), rtol=1e-5, atol=1e-6)  # up to Keras' 1e-7
    raw = losses.get("PoissonNLLLoss")
    assert raw.takes_logits and raw.output_activations == ("linear",)
    assert losses.get("poisson").output_activations == ("exponential", "softplus")


def test_poisson_is_half_the_scikit_learn_deviance_plus_a_constant():
    # mean_poisson_deviance = 2 mean(y log(y / rate) - y + rate) = 2 (ours - mean(y - y log y)),
    # up to Keras' 1e-7 inside our log: |difference| <= y * 1e-7 / rate per element.
    spec, y_true, y_pred = _inputs("poisson", k=1)
    constant = np.mean(y_true - xlogy(y_true, y_true))
    bound = np.mean(y_true * 1e-7 / y_pred)
    assert abs(spec.numpy(y_true, y_pred) - constant - metrics.mean_poisson_deviance(y_true, y_pred) / 2) <= 1.01 * bound


# ---------------------------------------------------------------- Gaussian NLL against PyTorch
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("k", [1, 3])
def test_gaussian_nll_equals_pytorch(k, full, dtype):
    spec, y_true, y_pred = _inputs("GaussianNLLLoss", dtype, k=k, full=full)
    assert y_pred.shape == (64, 2 * k)
    mean, var = torch.as_tensor(y_pred[:, :k]), torch.as_tensor(y_pred[:, k:])
    expected = F.gaussian_nll_loss(mean, torch.as_tensor(y_true).reshape(64, k), var, full=full).item()
    assert spec.numpy(y_true, y_pred) == pytest.approx(expected, rel=RTOL[dtype])
    assert spec.torch(y_true, torch.as_tensor(y_pred)).item() == pytest.approx(expected, rel=RTOL[dtype])
    module = spec.to_torch_module()
    assert isinstance(module, LossModule)  # nn.GaussianNLLLoss takes (input, target, var), not stacked outputs
    assert module(torch.as_tensor(y_pred), torch.as_tensor(y_true)).item() == pytest.approx(expected, rel=RTOL[dtype])


def test_gaussian_nll_clamps_tiny_variances_like_pytorch_values_and_gradients():
    # Variances below 1e-6 are read as 1e-6, and the gradient flows as if unclamped, as in PyTorch.
    y_true = torch.tensor([0.0, 0.5, -1.0], dtype=torch.float64)
    mean = torch.tensor([0.1, 0.4, -1.2], dtype=torch.float64)
    var = torch.tensor([1e-8, 2e-7, 0.5], dtype=torch.float64)
    ours_pred = torch.stack([mean, var], dim=1).requires_grad_(True)
    ours = losses.get("gaussian_nll").torch(y_true, ours_pred)
    ours.backward()
    mean_ref, var_ref = mean.clone().requires_grad_(True), var.clone().requires_grad_(True)
    reference = F.gaussian_nll_loss(mean_ref, y_true, var_ref)
    reference.backward()
    assert ours.item() == pytest.approx(reference.item(), rel=1e-12)
    torch.testing.assert_close(ours_pred.grad, torch.stack([mean_ref.grad, var_ref.grad], dim=1), rtol=1e-12, atol=0)
    assert losses.get("gaussian_nll").numpy(y_true, ours_pred.detach()) == pytest.approx(reference.item(), rel=1e-12)


def test_zero_variance_is_refused_where_pytorch_clamps_it():
    # PyTorch reads variance 0 as 1e-6: (1 - 0)^2 / 1e-6 / 2 + log(1e-6) / 2 = 499993.09.
    clamped = F.gaussian_nll_loss(torch.tensor([1.0], dtype=torch.float64), torch.tensor([0.0], dtype=torch.float64),
                                  torch.tensor([0.0], dtype=torch.float64))
    assert clamped.item() == pytest.approx(0.5 * (math.log(1e-6) + 1e6), rel=1e-12)
    with pytest.raises(ValueError, match=r"^gaussian_nll: expected y_pred\[:, 1:\] \(the variances\) in \(0, inf\].*softplus"):
        losses.get("gaussian_nll").numpy([0.0], [[1.0, 0.0]])


def test_gaussian_nll_has_no_keras_loss():
    with pytest.raises(ValueError, match="gaussian_nll: Keras 3 has no built-in loss"):
        losses.get("gaussian_nll").to_keras()


# ---------------------------------------------------------------- leading dimensions, gradients
@pytest.mark.parametrize("name, params", [("poisson", {"log_input": True}), ("gaussian_nll", {"full": True})])
def test_kernels_with_parameters_take_replicate_batch_k_tensors(name, params):
    spec, y_true, y_pred = _inputs(name, n=15, k=2, **params)
    t, p = torch.as_tensor(y_true).reshape(3, 5, 2), torch.as_tensor(y_pred).reshape(3, 5, -1)
    stacked = spec.torch_kernel(t, p, **spec.params)
    torch.testing.assert_close(stacked, torch.stack([spec.torch_kernel(t[r], p[r], **spec.params) for r in range(3)]))
    np.testing.assert_allclose(stacked.reshape(-1).numpy(), spec.numpy(y_true, y_pred, reduction="none"), rtol=1e-12)


@pytest.mark.parametrize("name, params", [("poisson", {}), ("poisson", {"log_input": True}), ("gaussian_nll", {}),
                                          ("gaussian_nll", {"full": True})])
def test_gradcheck(name, params):
    # valid_inputs keeps rates and variances well above the 1e-7 / 1e-6 epsilons (exp of a
    # standard normal), where the losses are smooth.
    spec, y_true, y_pred = _inputs(name, n=6, k=2, **params)
    pred = torch.tensor(y_pred, requires_grad=True)
    assert torch.autograd.gradcheck(lambda p: spec.torch(y_true, p, reduction="none"), (pred,))


# ---------------------------------------------------------------- bad input
BAD = [
    ("poisson", {}, [-1.0, 2.0], [1.0, 1.0], r"expected y_true in \[0, inf\].*y_true=-1.*counts"),
    ("poisson", {"log_input": True}, [-1.0, 2.0], [1.0, 1.0], r"expected y_true in \[0, inf\]"),
    ("poisson", {}, [1.0, 2.0], [1.0, -0.5], r"expected y_pred in \[0, inf\].*y_pred=-0\.5.*log_input=True"),
    ("gaussian_nll", {}, [0.0, 1.0], [[0.0, 1.0], [0.0, -2.0]], r"expected y_pred\[:, 1:\] \(the variances\) in \(0, inf\].*=-2"),
    ("gaussian_nll", {}, [[0.0, 1.0]], [[0.0, 1.0, 1.0, 0.0]], r"expected y_pred\[:, 2:\] \(the variances\) in \(0, inf\]"),
    ("gaussian_nll", {}, [0.0, 1.0], [0.0, 1.0], r"expected y_pred of shape \(n, k\)"),
    ("gaussian_nll", {}, [0.0, 1.0], [[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]],
     r"expected y_pred of shape \(2, 2\): 1 mean column\(s\) then 1 variance column\(s\)"),
]


@pytest.mark.parametrize("name, params, y_true, y_pred, message", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_values_are_refused_naming_the_loss_and_argument(name, params, y_true, y_pred, message):
    spec = losses.get(name, **params)
    with pytest.raises(ValueError, match=rf"^{name}: {message}"):
        spec.numpy(y_true, y_pred)
    with pytest.raises(ValueError, match=rf"^{name}: {message}"):
        spec.torch(y_true, torch.tensor(y_pred))


@pytest.mark.parametrize("name", ["poisson", "gaussian_nll"])
@pytest.mark.parametrize("bad", [np.nan, -np.inf])
def test_nan_and_inf_are_refused(name, bad):
    spec, y_true, y_pred = _inputs(name, n=4, k=1)
    y_pred = y_pred.copy()
    y_pred[2, ...] = bad
    with pytest.raises(ValueError, match=rf"^{name}: expected finite values in y_pred"):
        spec.numpy(y_true, y_pred)
    y_true = y_true.copy()
    y_true[0] = bad
    with pytest.raises(ValueError, match=rf"^{name}: expected finite values in y_true"):
        spec.torch(y_true, torch.as_tensor(np.abs(np.nan_to_num(y_pred)) + 1.0))


def test_poisson_n_by_1_against_n_is_refused():
    with pytest.raises(ValueError, match=r"^poisson: expected y_true and y_pred of the same shape.*never broadcasts"):
        losses.get("poisson").numpy(np.ones((5, 1)), np.ones(5))
