"""The regression losses: golden values, agreement with PyTorch, scikit-learn and Keras 3,
convention differences written down, gradients, and refusals of bad input.

Tolerances: float64 against float64 libraries, 1e-9 relative (the same formula, only rounding
differs). Our torch kernel on float32 tensors against the float64 reference: 1e-5 relative.
float32 rounds each operation to 6e-8 relative; a mean over 64 samples of a few operations
each stays within ~1e-6, so 1e-5 leaves a tenfold margin while still catching any formula
change. Keras: see KERAS_RTOL.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from _inputs import valid_inputs
from sklearn import metrics

from losslab import losses
from losslab.losses.frameworks import import_keras
from losslab.losses.module import LossModule

keras = import_keras()

DTYPES = [np.float32, np.float64]
RTOL = {np.float32: 1e-5, np.float64: 1e-9}


def _rng(*key) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _inputs(name, dtype=np.float64, n=64, k=3, **params):
    spec = losses.get(name, **params)
    return (spec, *valid_inputs(spec, n, _rng(name, str(dtype), n, k), dtype, k=k))


# ---------------------------------------------------------------- golden values
# Each value is derived by hand from the formula (or quoted from a library's documentation),
# so that a change to both a kernel and the libraries it is compared with would still show.
GOLDEN = [
    # (log(1 + (e - 1)) - log(1 + 0))^2 = 1 per element.
    ("mean_squared_logarithmic_error", {}, [0.0, np.e - 1.0], [np.e - 1.0, 0.0], 1.0),
    # |2 - 1| / 2 = 0.5 and |-4 + 5| / 4 = 0.25: 100 * mean = 37.5 (percent).
    ("mean_absolute_percentage_error", {}, [2.0, -4.0], [1.0, -5.0], 37.5),
    ("mean_absolute_error", {}, [1.0, -2.0], [3.0, -1.0], 1.5),
    # The Keras 3 docstring example of keras.losses.huber: 0.155.
    ("huber", {}, [[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]], 0.155),
    # |e| = 0.25 < beta: 0.5 * 0.0625 / 0.5 = 0.0625; |e| = 2: 2 - 0.25 = 1.75; mean 0.90625.
    ("smooth_l1", {"beta": 0.5}, [0.0, 0.0], [0.25, -2.0], 0.90625),
    # The Keras 3 docstring example of keras.losses.log_cosh (0.108): log(cosh(1)) / 4.
    ("log_cosh", {}, [[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]], np.log(np.cosh(1.0)) / 4),
    # tau = 0.9: under-prediction by 1 costs 0.9, over-prediction by 1 costs 0.1; mean 0.5.
    ("quantile", {"tau": 0.9}, [1.0, 1.0], [0.0, 2.0], 0.5),
    # The Keras 3 docstring example of keras.losses.cosine_similarity: [-0, -1, 1], mean 0.
    ("cosine_similarity", {}, [[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0]], 0.0),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name, params, y_true, y_pred, expected", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_values(name, params, y_true, y_pred, expected, dtype):
    spec = losses.get(name, **params)
    y_true, y_pred = np.array(y_true, dtype=dtype), np.array(y_pred, dtype=dtype)
    # float32 inputs are already rounded (0.6 -> 0.60000002), so both paths get RTOL[dtype].
    assert spec.numpy(y_true, y_pred) == pytest.approx(expected, rel=RTOL[dtype], abs=1e-12)
    assert spec.torch(y_true, torch.as_tensor(y_pred)).item() == pytest.approx(expected, rel=RTOL[dtype], abs=1e-7)


def test_cosine_golden_values_per_sample():
    # The Keras 3 docstring prints [-0., -0.99999994, 0.99999994] in float32.
    spec = losses.get("cosine_similarity")
    y_true, y_pred = [[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0]]
    np.testing.assert_allclose(spec.numpy(y_true, y_pred, reduction="none"), [0.0, -1.0, 1.0], atol=1e-15)


# ---------------------------------------------------------------- PyTorch and scikit-learn
# name -> (losslab parameters, torch.nn.functional reference taking (input, target))
TORCH_FUNCTIONAL = {
    "mean_squared_error": ({}, F.mse_loss),
    "mean_absolute_error": ({}, F.l1_loss),
    "huber": ({"delta": 0.7}, lambda p, t: F.huber_loss(p, t, delta=0.7)),
    "smooth_l1": ({"beta": 0.7}, lambda p, t: F.smooth_l1_loss(p, t, beta=0.7)),
    # PyTorch's similarity is +cos; the Keras-convention loss is -cos.
    "cosine_similarity": ({}, lambda p, t: -F.cosine_similarity(p, t, dim=-1).mean()),
}
# name -> (losslab parameters, scikit-learn metric taking (y_true, y_pred))
SKLEARN = {
    "mean_squared_error": ({}, metrics.mean_squared_error),
    "mean_absolute_error": ({}, metrics.mean_absolute_error),
    "mean_squared_logarithmic_error": ({}, metrics.mean_squared_log_error),
    "quantile": ({"tau": 0.8}, lambda t, p: metrics.mean_pinball_loss(t, p, alpha=0.8)),
    # scikit-learn's MAPE is a fraction, Keras' (and ours) a percentage.
    "mean_absolute_percentage_error": ({}, lambda t, p: 100.0 * metrics.mean_absolute_percentage_error(t, p)),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(TORCH_FUNCTIONAL))
def test_matches_torch_functional(name, dtype):
    params, reference = TORCH_FUNCTIONAL[name]
    spec, y_true, y_pred = _inputs(name, dtype, **params)
    expected = reference(torch.as_tensor(y_pred), torch.as_tensor(y_true)).item()
    assert spec.torch(y_true, torch.as_tensor(y_pred)).item() == pytest.approx(expected, rel=RTOL[dtype])
    assert spec.numpy(y_true, y_pred) == pytest.approx(expected, rel=RTOL[dtype])


@pytest.mark.parametrize("name", sorted(SKLEARN))
def test_matches_scikit_learn(name):
    params, reference = SKLEARN[name]
    spec, y_true, y_pred = _inputs(name, **params)
    assert spec.numpy(y_true, y_pred) == pytest.approx(reference(y_true, y_pred), rel=1e-9)


def test_mape_is_a_percentage_where_scikit_learn_gives_a_fraction():
    spec, y_true, y_pred = _inputs("mape")
    fraction = metrics.mean_absolute_percentage_error(y_true, y_pred)
    assert spec.numpy(y_true, y_pred) / 100.0 == pytest.approx(fraction, rel=1e-12)
    assert spec.numpy(y_true, y_pred) > 10 * fraction  # not accidentally equal: the factor is 100


# ---------------------------------------------------------------- Keras 3
# losslab name -> every Keras 3 string for it (function names, class names, legacy aliases).
KERAS_NAMES = {
    "mean_squared_error": ["mean_squared_error", "mse", "MSE", "MeanSquaredError"],
    "mean_absolute_error": ["mean_absolute_error", "mae", "MAE", "MeanAbsoluteError"],
    "mean_absolute_percentage_error": ["mean_absolute_percentage_error", "mape", "MAPE", "MeanAbsolutePercentageError"],
    "mean_squared_logarithmic_error": ["mean_squared_logarithmic_error", "msle", "MSLE", "MeanSquaredLogarithmicError"],
    "huber": ["huber", "Huber"],
    "log_cosh": ["log_cosh", "LogCosh"],
    "cosine_similarity": ["cosine_similarity", "CosineSimilarity"],
}


# Keras 3.15 on the torch backend computes in float32: Loss objects cast their inputs to
# keras.config.floatx(), and even the functions, given float64 arrays, round some of their
# ops to float32 (their float64 results carry float32 rounding, ~1e-7 relative). So Keras
# numbers are held to 1e-6 relative; log-cosh's e + softplus(-2e) - log 2 also loses about
# 6e-8 absolute to cancellation near e = 0, hence the absolute tolerance.
KERAS_RTOL, KERAS_ATOL = 1e-6, 1e-7


@pytest.mark.parametrize("name, keras_name", [(n, s) for n, names in KERAS_NAMES.items() for s in names])
def test_every_keras_name_finds_the_loss_and_gives_its_numbers(name, keras_name):
    spec, y_true, y_pred = _inputs(name)
    assert losses.get(keras_name).name == name
    expected = spec.numpy(y_true, y_pred, reduction="none")
    keras_loss = keras.losses.get(keras_name)
    if isinstance(keras_loss, keras.losses.Loss):
        # Loss objects compute in floatx (float32) and reduce with Keras' sum_over_batch_size.
        assert float(keras_loss(y_true, y_pred)) == pytest.approx(expected.mean(), rel=KERAS_RTOL)
        per_sample = keras_loss.call(y_true, y_pred)
    else:
        per_sample = keras_loss(y_true, y_pred)
    np.testing.assert_allclose(per_sample.numpy(), expected, rtol=KERAS_RTOL, atol=KERAS_ATOL)


KERAS_OBJECTS = [
    ("mean_squared_error", {}), ("mean_absolute_error", {}), ("mean_absolute_percentage_error", {}),
    ("mean_squared_logarithmic_error", {}), ("huber", {"delta": 0.4}), ("log_cosh", {}), ("cosine_similarity", {}),
]


@pytest.mark.parametrize("name, params", KERAS_OBJECTS)
def test_to_keras_gives_the_same_loss(name, params):
    spec, y_true, y_pred = _inputs(name, **params)
    keras_loss = spec.to_keras()
    assert isinstance(keras_loss, keras.losses.Loss)
    assert float(keras_loss(y_true, y_pred)) == pytest.approx(spec.numpy(y_true, y_pred), rel=KERAS_RTOL)
    per_sample = keras_loss.call(y_true, y_pred)
    np.testing.assert_allclose(per_sample.numpy(), spec.numpy(y_true, y_pred, reduction="none"), rtol=KERAS_RTOL, atol=KERAS_ATOL)


@pytest.mark.parametrize("name", ["smooth_l1", "quantile"])
def test_to_keras_refuses_where_keras_has_no_such_loss(name):
    with pytest.raises(ValueError, match=f"{name}: Keras 3 has no built-in loss"):
        losses.get(name).to_keras()


def test_keras_object_dtype_quirk_is_float32_even_when_asked_for_float64():
    # Keras 3.15 on torch: ops.divide_no_nan in the sum_over_batch_size reduction returns
    # float32, so even Loss(dtype="float64") hands back float32. Our float64 comparisons go
    # through Loss.call (per-sample values) for that reason.
    spec, y_true, y_pred = _inputs("mse")
    value = keras.losses.MeanSquaredError(dtype="float64")(y_true, y_pred)
    assert value.dtype == torch.float32
    assert keras.losses.MeanSquaredError(dtype="float64").call(y_true, y_pred).dtype == torch.float64


# ---------------------------------------------------------------- MSLE and Keras' clamp
def test_msle_refuses_negative_values_that_keras_silently_clamps():
    y_true, y_pred = np.array([[-1.0, 2.0]]), np.array([[0.5, 2.0]])
    # Keras treats y_true = -1 as 1e-7: (log 1.5 - log(1 + 1e-7))^2 / 2 = 0.08220 instead of an error.
    assert float(keras.losses.MeanSquaredLogarithmicError()(y_true, y_pred)) == pytest.approx(
        (np.log(1.5) - np.log1p(1e-7)) ** 2 / 2, rel=KERAS_RTOL)
    with pytest.raises(ValueError, match=r"mean_squared_logarithmic_error: expected y_true in \[0, inf\].*y_true=-1.*mean_squared_error"):
        losses.get("msle").numpy(y_true, y_pred)
    with pytest.raises(ValueError, match=r"mean_squared_logarithmic_error: expected y_pred in \[0, inf\].*softplus"):
        losses.get("msle").torch(y_pred, torch.tensor(y_true))


def test_msle_keras_compat_matches_keras_on_standardized_targets():
    # The tutorial applies MSLE to standardized targets (about half negative): keras_compat=True
    # reproduces Keras' number for that experiment.
    rng = _rng("msle-standardized")
    y_true, y_pred = rng.normal(size=(64, 1)), rng.normal(size=(64, 1))
    spec = losses.get("msle", keras_compat=True)
    ours = spec.numpy(y_true, y_pred)
    assert float(keras.losses.MeanSquaredLogarithmicError()(y_true, y_pred)) == pytest.approx(ours, rel=KERAS_RTOL)
    assert spec.torch(y_true, torch.as_tensor(y_pred)).item() == pytest.approx(ours, rel=1e-12)
    assert spec.to_keras()(y_true, y_pred).item() == pytest.approx(ours, rel=KERAS_RTOL)


def test_msle_fits_a_linear_output_only_with_keras_compat():
    assert "linear" not in losses.get("msle").output_activations
    assert losses.get("msle", keras_compat=True).output_activations[0] == "linear"


def test_msle_differs_from_keras_at_zero_by_keras_epsilon():
    # Keras clamps 0 to 1e-7 as well: MSLE(0, 1) = (log 2 - log(1 + 1e-7))^2, 2.9e-7 below (log 2)^2.
    ours = losses.get("msle").numpy([0.0], [1.0])
    assert ours == pytest.approx(np.log(2.0) ** 2, rel=1e-15)
    keras_value = (np.log(2.0) - np.log1p(1e-7)) ** 2
    assert (ours - keras_value) / ours == pytest.approx(2.885e-7, rel=1e-3)
    assert losses.get("msle", keras_compat=True).numpy([0.0], [1.0]) == pytest.approx(keras_value, rel=1e-12)


# ---------------------------------------------------------------- relations between losses
def test_smooth_l1_is_huber_divided_by_beta():
    rng = _rng("smooth-huber")
    y_true, y_pred = rng.normal(size=50), 3 * rng.normal(size=50)
    for beta in (0.1, 0.5, 1.0, 2.5):
        huber = losses.get("huber", delta=beta).numpy(y_true, y_pred, reduction="none")
        np.testing.assert_allclose(losses.get("smooth_l1", beta=beta).numpy(y_true, y_pred, reduction="none"), huber / beta, rtol=1e-12)


def test_quantile_at_the_median_is_half_the_absolute_error():
    spec, y_true, y_pred = _inputs("quantile")
    assert spec.numpy(y_true, y_pred) == pytest.approx(losses.get("mae").numpy(y_true, y_pred) / 2, rel=1e-12)


def test_quantile_is_asymmetric_in_the_direction_of_tau():
    high = losses.get("quantile", tau=0.9)
    # Under-predicting the 0.9-quantile costs 9 times as much as over-predicting it.
    assert high.numpy([0.0], [-1.0]) == pytest.approx(9 * high.numpy([0.0], [1.0]), rel=1e-12)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_log_cosh_is_finite_and_linear_for_huge_errors(dtype):
    spec = losses.get("log_cosh")
    y_pred = torch.tensor([1e4, -1e4], dtype=torch.float64 if dtype is np.float64 else torch.float32, requires_grad=True)
    loss = spec.torch(np.zeros(2, dtype=dtype), y_pred)
    loss.backward()
    # log(cosh(e)) = |e| - log 2 + log(1 + exp(-2|e|)); the last term underflows to 0.
    assert loss.item() == pytest.approx(1e4 - np.log(2.0), rel=1e-7)
    # d/de log(cosh(e)) = tanh(e) = +-1, divided by n = 2 by the mean.
    np.testing.assert_allclose(y_pred.grad.numpy(), [0.5, -0.5], rtol=1e-6)
    assert spec.numpy(np.zeros(2), [1e4, -1e4]) == pytest.approx(1e4 - np.log(2.0), rel=1e-15)


def test_cosine_of_a_zero_vector_is_zero_as_in_keras():
    spec = losses.get("cosine_similarity")
    y_true, y_pred = np.array([[0.0, 0.0], [1.0, 2.0]]), np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_array_equal(spec.numpy(y_true, y_pred, reduction="none"), [0.0, 0.0])
    np.testing.assert_array_equal(keras.losses.cosine_similarity(y_true, y_pred).numpy(), [0.0, 0.0])
    pred = torch.tensor(y_pred, requires_grad=True)
    spec.torch(y_true, pred).backward()
    assert torch.isfinite(pred.grad).all()


def test_cosine_ignores_the_length_of_the_prediction():
    spec, y_true, y_pred = _inputs("cosine_similarity")
    np.testing.assert_allclose(spec.numpy(y_true, 1e3 * y_pred, reduction="none"), spec.numpy(y_true, y_pred, reduction="none"), rtol=1e-12)


# ---------------------------------------------------------------- to_torch_module
MODULES = [
    ("mean_squared_error", {}, torch.nn.MSELoss),
    ("mean_absolute_error", {}, torch.nn.L1Loss),
    ("huber", {"delta": 0.3}, torch.nn.HuberLoss),
    ("smooth_l1", {"beta": 0.3}, torch.nn.SmoothL1Loss),
    ("mean_absolute_percentage_error", {}, None),
    ("mean_squared_logarithmic_error", {}, None),
    ("mean_squared_logarithmic_error", {"keras_compat": True}, None),
    ("log_cosh", {}, None),
    ("quantile", {"tau": 0.2}, None),
    ("cosine_similarity", {}, None),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name, params, torch_class", MODULES)
def test_to_torch_module_gives_the_numpy_number(name, params, torch_class, dtype):
    spec, y_true, y_pred = _inputs(name, dtype, **params)
    module = spec.to_torch_module()
    if torch_class is not None:
        assert type(module) is torch_class
    else:
        assert isinstance(module, LossModule) and module.spec.params == spec.params
    value = module(torch.as_tensor(y_pred), torch.as_tensor(y_true))  # PyTorch's order: (input, target)
    assert value.item() == pytest.approx(spec.numpy(y_true, y_pred), rel=RTOL[dtype])


# ---------------------------------------------------------------- leading dimensions, gradients
PARAMETRIZED = [
    ("huber", {"delta": 0.3}), ("smooth_l1", {"beta": 0.3}), ("quantile", {"tau": 0.9}),
    ("mean_squared_logarithmic_error", {"keras_compat": True}),
]


@pytest.mark.parametrize("name, params", PARAMETRIZED)
def test_kernels_with_parameters_take_replicate_batch_k_tensors(name, params):
    # The catalog suite checks this with default parameters; here the parameters that change the kernel.
    spec, y_true, y_pred = _inputs(name, n=15, k=4, **params)
    t, p = torch.as_tensor(y_true).reshape(3, 5, 4), torch.as_tensor(y_pred).reshape(3, 5, 4)
    stacked = spec.torch_kernel(t, p, **spec.params)
    torch.testing.assert_close(stacked, torch.stack([spec.torch_kernel(t[r], p[r], **spec.params) for r in range(3)]))
    np.testing.assert_allclose(stacked.reshape(-1).numpy(), spec.numpy(y_true, y_pred, reduction="none"), rtol=1e-12)


def _away_from_kinks(name, rng, n=6, k=2):
    """Inputs whose errors stay 0.2 away from every kink (0, and 1 = the default delta/beta)."""
    size = rng.uniform(0.2, 0.8, size=(n, k)) + rng.integers(0, 2, size=(n, k)) * 1.0  # in [0.2, 0.8] or [1.2, 1.8]
    error = size * rng.choice([-1.0, 1.0], size=(n, k))
    if name == "mean_squared_logarithmic_error":
        y_true = np.exp(rng.normal(size=(n, k)))
        return y_true, y_true * np.exp(error)
    y_true = rng.normal(size=(n, k)) + 3.0 * rng.choice([-1.0, 1.0], size=(n, k))  # far from 0 for MAPE
    return y_true, y_true + error


REGRESSION = ["mean_squared_error", "mean_squared_logarithmic_error", "mean_absolute_error", "mean_absolute_percentage_error",
              "huber", "smooth_l1", "log_cosh", "quantile", "cosine_similarity"]


@pytest.mark.parametrize("name", REGRESSION)
def test_gradcheck(name):
    spec = losses.get(name)
    y_true, y_pred = _away_from_kinks(name, _rng("gradcheck", name))
    pred = torch.tensor(y_pred, requires_grad=True)
    assert torch.autograd.gradcheck(lambda p: spec.torch(y_true, p, reduction="none"), (pred,))


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("name", REGRESSION)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf_are_refused_naming_the_loss_and_argument(name, bad):
    spec, y_true, y_pred = _inputs(name, n=4)
    y_pred = y_pred.copy()
    y_pred[1, 0] = bad
    with pytest.raises(ValueError, match=rf"{name}: expected finite values in y_pred\. Received: 1 NaN or infinite"):
        spec.numpy(y_true, y_pred)
    with pytest.raises(ValueError, match=rf"{name}: expected finite values in y_true"):
        spec.torch(y_pred, torch.as_tensor(y_true))


@pytest.mark.parametrize("name", REGRESSION)
def test_n_by_1_against_n_is_refused(name):
    spec = losses.get(name)
    with pytest.raises(ValueError, match=rf"{name}: expected y_true and y_pred of the same shape\. Received: y_true.shape=\(5, 1\), y_pred.shape=\(5,\)"):
        spec.numpy(np.ones((5, 1)), np.ones(5))


BAD_VALUES = [
    ("mean_squared_logarithmic_error", {}, [-0.5, 1.0], [1.0, 1.0], r"expected y_true in \[0, inf\]"),
    ("mean_squared_logarithmic_error", {}, [1.0, 1.0], [1.0, -2.0], r"expected y_pred in \[0, inf\].*y_pred=-2"),
    ("mean_absolute_percentage_error", {}, [0.0, 1.0], [1.0, 1.0], r"expected y_true without zeros.*mean_absolute_error"),
    ("huber", {"delta": 0.0}, [0.0], [1.0], r"expected delta > 0\. Received: delta=0\.0"),
    ("smooth_l1", {"beta": -1.0}, [0.0], [1.0], r"expected beta > 0\. Received: beta=-1\.0.*mean_absolute_error"),
    ("quantile", {"tau": 1.0}, [0.0], [1.0], r"expected tau in \(0, 1\).*Received: tau=1\.0"),
    ("cosine_similarity", {}, [1.0, 2.0], [1.0, 2.0], r"expected y_true and y_pred of shape \(n, k\) with k >= 2"),
]


@pytest.mark.parametrize("name, params, y_true, y_pred, message", BAD_VALUES, ids=[f"{b[0]}-{b[4][:20]}" for b in BAD_VALUES])
def test_values_outside_the_domain_are_refused_with_a_fix(name, params, y_true, y_pred, message):
    spec = losses.get(name, **params)
    with pytest.raises(ValueError, match=rf"^{name}: {message}"):
        spec.numpy(y_true, y_pred)
    with pytest.raises(ValueError, match=rf"^{name}: {message}"):
        spec.torch(y_true, torch.tensor(y_pred))
