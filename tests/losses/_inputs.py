"""Valid (and extreme) inputs for any loss in the catalog, read off its metadata.

The generic suites (test_catalog_suites.py) know nothing about individual losses: what a
loss takes comes from ``spec.target_encoding``, ``spec.shape_rule``, ``spec.takes_logits``
and ``spec.output_activations``. An encoding or activation this module does not know is
an error, so a new vocabulary word cannot slip past the suites untested.
"""

from __future__ import annotations

import numpy as np

from losslab.losses import TARGET_ENCODINGS, LossSpec

# Output-layer activations the catalog may name. "log_softmax": log-probabilities (PyTorch's
# NLLLoss); "linear+softplus": linear means and softplus variances side by side (shape_rule "mean_var").
KNOWN_ACTIVATIONS = frozenset(
    {"linear", "sigmoid", "softmax", "log_softmax", "tanh", "softplus", "exponential", "relu", "linear+softplus",
     "linear+exponential"}
)
# Activations whose perfect prediction is not a finite number (log(0) = -inf).
NO_FINITE_PERFECT = frozenset({"log_softmax"})
# Encodings whose columns are classes (or vector components): k >= 2.
_MULTI_COLUMN = {"one_hot", "integer_class", "probability_rows", "unit_vectors"}
# Largest logit magnitude each loss can take with a finite value. 1e4 unless the loss is
# exp(y_pred) itself (Poisson's log-rate): then no finite value exists there, and exp
# overflows float32 from 88.7.
LOGIT_LIMITS = {"poisson": 50.0}


def n_columns(spec: LossSpec, k: int | None) -> int:
    """The number of output columns to test ``spec`` with (``k=None``: the smallest useful)."""
    if spec.target_encoding in _MULTI_COLUMN or "softmax" in spec.output_activations:
        return max(k or 3, 2)
    return k or 1


def _targets(spec: LossSpec, n: int, k: int, rng: np.random.Generator, scale: float) -> np.ndarray:
    enc = spec.target_encoding
    shape = (n, k)
    if enc == "real":
        return rng.normal(size=shape) * scale
    if enc == "non_negative":
        return np.abs(rng.normal(size=shape)) * scale
    if enc == "positive":
        return np.exp(rng.normal(size=shape)) * scale
    if enc == "counts":
        return rng.poisson(3.0 * scale, size=shape).astype(np.float64)
    if enc == "binary_01":
        return rng.integers(0, 2, size=shape).astype(np.float64)
    if enc == "binary_pm1":
        return 2.0 * rng.integers(0, 2, size=shape) - 1.0
    if enc == "one_hot":
        return np.eye(k)[rng.integers(0, k, size=n)]
    if enc == "integer_class":
        return rng.integers(0, k, size=n)
    if enc == "probability_rows":
        return rng.dirichlet(np.ones(k), size=n)
    if enc == "unit_vectors":
        return rng.normal(size=shape) * scale
    raise AssertionError(f"{spec.name}: the test input generator does not know target_encoding {enc!r}; teach tests/losses/_inputs.py.")


def _log_softmax(z: np.ndarray) -> np.ndarray:
    # Subtracting the row maximum keeps exp from overflowing at logits of 1e4.
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _softmax(z: np.ndarray) -> np.ndarray:
    return np.exp(_log_softmax(z))


def _predictions(spec: LossSpec, activation: str, n: int, k: int, rng: np.random.Generator, scale: float) -> np.ndarray:
    z = rng.normal(size=(n, k))
    if spec.shape_rule == "mean_var":
        # k means (any real), then k variances (positive), whichever positive activation makes them.
        return np.concatenate([z * scale, np.exp(rng.normal(size=(n, k))) * scale**2], axis=1)
    if spec.takes_logits:
        return 3.0 * z
    if activation == "linear":
        return z * scale
    if activation == "sigmoid":
        return 1.0 / (1.0 + np.exp(-2.0 * z))
    if activation == "softmax":
        return _softmax(2.0 * z)
    if activation == "log_softmax":
        return _log_softmax(2.0 * z)
    if activation == "tanh":
        return np.tanh(z)
    if activation == "softplus":
        return np.logaddexp(0.0, z) * scale
    if activation == "exponential":
        return np.exp(z) * scale
    if activation == "relu":
        return np.maximum(z, 0.0) * scale
    raise AssertionError(f"{spec.name}: the test input generator does not know activation {activation!r}; teach tests/losses/_inputs.py.")


def _finish(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray, dtype) -> tuple[np.ndarray, np.ndarray]:
    if spec.target_encoding != "integer_class":
        y_true = y_true.astype(dtype)
    y_pred = y_pred.astype(dtype)
    # One output column: (n,) arrays, the shape users pass most.
    if spec.shape_rule == "same" and y_true.ndim == 2 and y_true.shape[1] == 1:
        y_true, y_pred = y_true[:, 0], y_pred[:, 0]
    if spec.shape_rule == "mean_var" and y_true.shape[1] == 1:
        y_true = y_true[:, 0]
    return y_true, y_pred


def valid_inputs(spec: LossSpec, n: int, rng: np.random.Generator, dtype=np.float64, *, k: int | None = None,
                 scale: float = 1.0, activation: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Random ``(y_true, y_pred)`` that ``spec`` must accept, as NumPy arrays of ``dtype``.

    ``scale`` multiplies real-valued targets and predictions (not probabilities, labels or
    logits); ``activation`` picks the output layer (default: one of the spec's, at random).
    """
    assert spec.target_encoding in TARGET_ENCODINGS, spec.target_encoding
    k = n_columns(spec, k)
    activation = activation or str(rng.choice(spec.output_activations))
    y_true = _targets(spec, n, k, rng, scale)
    y_pred = _predictions(spec, activation, n, k, rng, scale)
    return _finish(spec, y_true, y_pred, dtype)


def perfect_prediction(spec: LossSpec, y_true: np.ndarray, k: int) -> np.ndarray:
    """The prediction that reproduces ``y_true`` (one-hot rows for class indices)."""
    if spec.shape_rule == "class_index":
        return np.eye(k)[y_true]
    return np.array(y_true, dtype=np.float64)


def extreme_inputs(spec: LossSpec, n: int, rng: np.random.Generator, dtype) -> list[tuple[str, LossSpec, np.ndarray, np.ndarray]]:
    """``(case, spec, y_true, y_pred)`` at the edges of what ``spec`` takes.

    - logits at +-1e4 (``LOGIT_LIMITS`` for exceptions), on the logits path where the loss has one;
    - probabilities exactly 0 and 1 (tanh outputs exactly +-1) where it takes those, and
      log-probabilities of 0 and -2e4 (log-softmax of logits +-1e4);
    - real values of size 1e6 and 1e-8 where it takes real values.
    """
    cases = []
    logits = spec if spec.takes_logits else None
    if logits is None and spec.logits_param in spec.params:
        logits = spec.with_params(**{spec.logits_param: True})
    if logits is not None:
        limit = LOGIT_LIMITS.get(spec.name, 1e4)
        y_true, y_pred = valid_inputs(logits, n, rng, dtype)
        y_pred = (limit * rng.choice([-1.0, 1.0], size=y_pred.shape)).astype(dtype)
        cases.append((f"logits +-{limit:g}", logits, y_true, y_pred))
    if spec.takes_logits:
        return cases
    for activation in spec.output_activations:
        if activation in ("sigmoid", "softmax", "tanh"):
            y_true, y_pred = valid_inputs(spec, n, rng, dtype, activation=activation)
            if activation == "softmax":  # one-hot predictions: 0 and 1 in every row
                y_pred = np.eye(y_pred.shape[-1])[rng.integers(0, y_pred.shape[-1], size=n)]
            else:
                y_pred = rng.choice([-1.0 if activation == "tanh" else 0.0, 1.0], size=y_pred.shape)
            cases.append((f"{activation} outputs exactly at the ends", spec, y_true, y_pred.astype(dtype)))
        elif activation == "log_softmax":
            y_true, y_pred = valid_inputs(spec, n, rng, dtype, activation=activation)
            y_pred = _log_softmax(1e4 * rng.choice([-1.0, 1.0], size=y_pred.shape))
            cases.append(("log-probabilities 0 and -2e4", spec, y_true, y_pred.astype(dtype)))
        else:
            for scale in (1e6, 1e-8):
                y_true, y_pred = valid_inputs(spec, n, rng, dtype, scale=scale, activation=activation)
                cases.append((f"{activation} values of size {scale:g}", spec, y_true, y_pred))
    return cases
