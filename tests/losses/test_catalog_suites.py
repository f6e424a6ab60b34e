"""Suites that every loss in the catalog must pass, driven by its metadata only.

They iterate over ``losses.names()`` at collection time, so a loss registered by any module
of ``losslab.losses`` is covered as soon as it lands. Inputs come from ``_inputs.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _inputs import KNOWN_ACTIVATIONS, NO_FINITE_PERFECT, extreme_inputs, n_columns, perfect_prediction, valid_inputs
from hypothesis import given, settings
from hypothesis import strategies as st

from losslab import losses
from losslab.losses import PROBLEM_TYPES, TARGET_ENCODINGS

NAMES = losses.names()
DTYPES = [np.float32, np.float64]

# Losses that can be negative, and why:
CAN_BE_NEGATIVE = {
    "cosine_similarity",  # minus the cosine: -1 is a perfect match
    "gaussian_nll",  # a log-density: densities exceed 1 when the variance is small
    "poisson",  # the log(y!) constant is dropped: exp(yhat) - y*yhat < 0 for y > 0
}
# Losses where y_pred = y_true is not the best prediction, and why (the suite also skips, by
# metadata, losses taking logits, which have no finite perfect prediction, and mean/variance
# outputs, which have no single one):
NOT_MINIMAL_AT_PERFECT = {
    "soft_margin": "logistic loss on raw scores: a larger margin y * y_pred always lowers it",
    "multilabel_soft_margin": "logistic loss on raw scores: a larger margin always lowers it",
}

PROPERTY_SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)
cases = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 2**32 - 1),
        "n": st.integers(1, 12),
        "k": st.integers(1, 4),
        "scale": st.sampled_from([1e-3, 1.0, 1e3]),
    }
)


def _draw(spec, case, dtype=np.float64, activations=None):
    rng = np.random.default_rng(case["seed"])
    activation = str(rng.choice(activations or spec.output_activations))
    return valid_inputs(spec, case["n"], rng, dtype, k=case["k"], scale=case["scale"], activation=activation)


def _with_finite_perfect(spec) -> list[str]:
    return [a for a in spec.output_activations if a not in NO_FINITE_PERFECT]


def _kernel_shape(spec, y_true: np.ndarray, y_pred: np.ndarray):
    """What ``spec.torch`` hands the kernel: (n, k) columns (class indices stay (n,))."""
    if spec.shape_rule != "class_index" and y_true.ndim == 1:
        y_true = y_true[:, None]
    if y_pred.ndim == 1:
        y_pred = y_pred[:, None]
    return torch.as_tensor(y_true), torch.as_tensor(y_pred)


# ---------------------------------------------------------------- 1. stability
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_finite_loss_and_gradient_at_the_extremes(name, dtype):
    spec = losses.get(name)
    extremes = extreme_inputs(spec, 16, np.random.default_rng(7), dtype)
    assert extremes, f"{name}: no extreme inputs generated"
    for case, variant, y_true, y_pred in extremes:
        reference = variant.numpy(y_true, y_pred, reduction="none")
        assert np.isfinite(reference).all(), f"{name}, {case}: NumPy reference {reference}"
        pred = torch.tensor(y_pred, requires_grad=True)
        loss = variant.torch(y_true, pred)
        loss.backward()
        assert loss.dtype == pred.dtype, f"{name}, {case}: {loss.dtype} from {pred.dtype} input"
        assert torch.isfinite(loss), f"{name}, {case}: loss {loss}"
        assert torch.isfinite(pred.grad).all(), f"{name}, {case}: gradient {pred.grad}"


# ---------------------------------------------------------------- 2. properties
@pytest.mark.parametrize("name", NAMES)
@PROPERTY_SETTINGS
@given(case=cases)
def test_non_negative(name, case):
    spec = losses.get(name)
    y_true, y_pred = _draw(spec, case)
    per_sample = spec.numpy(y_true, y_pred, reduction="none")
    if name in CAN_BE_NEGATIVE:
        assert np.isfinite(per_sample).all()
    else:
        assert (per_sample >= 0.0).all(), per_sample


@pytest.mark.parametrize("name", [n for n in NAMES if n in CAN_BE_NEGATIVE])
def test_the_losses_allowed_negative_values_do_take_them(name):
    # Keeps CAN_BE_NEGATIVE honest: an entry that is never negative does not belong there.
    spec = losses.get(name)
    rng = np.random.default_rng(0)
    y_true, y_pred = valid_inputs(spec, 200, rng, scale=3.0)
    if spec.shape_rule == "mean_var":  # one target column: the perfect mean with a small variance
        best = np.column_stack([y_true, np.full(200, 0.01)])
    else:
        best = perfect_prediction(spec, y_true, n_columns(spec, None))
    assert (spec.numpy(y_true, best, reduction="none") < 0).any()


def _has_perfect_prediction(name: str) -> bool:
    # Logits and log-probabilities have no finite perfect value; a mean and a variance have no single one.
    spec = losses.get(name)
    return (not spec.takes_logits and spec.shape_rule != "mean_var" and name not in NOT_MINIMAL_AT_PERFECT
            and bool(_with_finite_perfect(spec)))


@pytest.mark.parametrize("name", [n for n in NAMES if _has_perfect_prediction(n)])
@PROPERTY_SETTINGS
@given(case=cases)
def test_perfect_prediction_is_a_minimum(name, case):
    spec = losses.get(name)
    y_true, y_pred = _draw(spec, case, activations=_with_finite_perfect(spec))
    best = perfect_prediction(spec, y_true, y_pred.shape[-1] if y_pred.ndim == 2 else 1)
    # A random prediction, and one a tenth of the way from the perfect one towards it
    # (every prediction domain in the catalog is convex, so it stays valid).
    near = best + 0.1 * (y_pred - best)
    at_best = spec.numpy(y_true, best, reduction="none")
    tol = 1e-12 * (1.0 + np.abs(at_best))
    assert (at_best <= spec.numpy(y_true, y_pred, reduction="none") + tol).all()
    assert (at_best <= spec.numpy(y_true, near, reduction="none") + tol).all()


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name", [n for n in NAMES if _has_perfect_prediction(n)])
def test_finite_gradient_at_a_perfect_prediction(name, dtype):
    # Kinks of |e| and norms of zero-length differences sit exactly here: a where() guard or a
    # sqrt at 0 would give NaN, and training converges to this point.
    spec = losses.get(name)
    activations = _with_finite_perfect(spec)
    y_true, y_pred = valid_inputs(spec, 8, np.random.default_rng(11), dtype, activation=activations[0])
    best = torch.tensor(perfect_prediction(spec, y_true, y_pred.shape[-1] if y_pred.ndim == 2 else 1).astype(dtype),
                        requires_grad=True)
    loss = spec.torch(y_true, best)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(best.grad).all(), best.grad


@pytest.mark.parametrize("name", NAMES)
@PROPERTY_SETTINGS
@given(case=cases)
def test_reductions_are_consistent(name, case):
    spec = losses.get(name)
    y_true, y_pred = _draw(spec, case)
    n = y_pred.shape[0]
    per_sample = spec.numpy(y_true, y_pred, reduction="none")
    assert per_sample.shape == (n,)
    assert spec.numpy(y_true, y_pred, reduction="sum") == pytest.approx(per_sample.sum(), rel=1e-12, abs=1e-300)
    assert spec.numpy(y_true, y_pred) == pytest.approx(per_sample.sum() / n, rel=1e-12, abs=1e-300)
    per_sample_t = spec.torch(y_true, torch.as_tensor(y_pred), reduction="none")
    assert tuple(per_sample_t.shape) == (n,)
    assert spec.torch(y_true, torch.as_tensor(y_pred), reduction="sum").item() == pytest.approx(per_sample_t.sum().item(), rel=1e-12)
    assert spec.torch(y_true, torch.as_tensor(y_pred)).item() == pytest.approx(per_sample_t.sum().item() / n, rel=1e-12)


@pytest.mark.parametrize("name", NAMES)
@PROPERTY_SETTINGS
@given(case=cases)
def test_numpy_reference_equals_torch_implementation(name, case):
    spec = losses.get(name)
    y_true, y_pred = _draw(spec, case)
    reference = spec.numpy(y_true, y_pred, reduction="none")
    trained = spec.torch(y_true, torch.as_tensor(y_pred), reduction="none")
    assert trained.dtype == torch.float64
    # Same formula in float64 on both sides: only rounding differs.
    np.testing.assert_allclose(trained.numpy(), reference, rtol=1e-9, atol=1e-12 * (1.0 + np.abs(reference).max()))


@pytest.mark.parametrize("name", NAMES)
def test_torch_kernel_takes_any_leading_dimensions(name):
    # The engine calls kernels on (replicates, batch, k) tensors: one (3, 5, k) call must
    # equal three (5, k) calls.
    spec = losses.get(name)
    y_true, y_pred = valid_inputs(spec, 15, np.random.default_rng(3), k=2)
    t, p = _kernel_shape(spec, y_true, y_pred)
    t3, p3 = t.reshape(3, 5, *t.shape[1:]), p.reshape(3, 5, *p.shape[1:])
    stacked = spec.torch_kernel(t3, p3, **spec.params)
    assert tuple(stacked.shape) == (3, 5)
    one_by_one = torch.stack([spec.torch_kernel(t3[r], p3[r], **spec.params) for r in range(3)])
    torch.testing.assert_close(stacked, one_by_one, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- 3. metadata and frameworks
@pytest.mark.parametrize("name", NAMES)
def test_metadata_is_complete_and_from_the_vocabularies(name):
    spec = losses.get(name)
    assert spec.formula.strip() and spec.summary.strip() and spec.title.strip()
    assert spec.references and all(r.strip() for r in spec.references)
    assert spec.aliases, f"{name} has no alias"
    assert all(losses.get(alias).name == name for alias in spec.aliases)
    assert spec.problem_types and set(spec.problem_types) <= set(PROBLEM_TYPES)
    assert spec.target_encoding in TARGET_ENCODINGS
    assert spec.activations and set(spec.activations) <= KNOWN_ACTIVATIONS, spec.activations
    assert spec.logits_activations and set(spec.logits_activations) <= KNOWN_ACTIVATIONS, spec.logits_activations
    if spec.logits_param in spec.params:
        raw = spec.with_params(**{spec.logits_param: True})
        assert raw.takes_logits and raw.output_activations == spec.logits_activations


@pytest.mark.parametrize("name", NAMES)
def test_to_torch_module_runs(name):
    spec = losses.get(name)
    y_true, y_pred = valid_inputs(spec, 8, np.random.default_rng(5))
    module = spec.to_torch_module()
    assert isinstance(module, torch.nn.Module)
    value = module(torch.as_tensor(y_pred), torch.as_tensor(y_true))  # PyTorch's order: (input, target)
    assert value.shape == () and torch.isfinite(value)


@pytest.mark.parametrize("name", NAMES)
def test_to_keras_works_or_says_why_not(name):
    spec = losses.get(name)
    try:
        keras_loss = spec.to_keras()
    except ValueError as err:
        assert name in str(err)
        assert spec.keras_factory is None or spec.params, "a Keras factory that always refuses"
        return
    y_true, y_pred = valid_inputs(spec, 8, np.random.default_rng(5))
    value = float(keras_loss(y_true, y_pred))
    assert np.isfinite(value)
