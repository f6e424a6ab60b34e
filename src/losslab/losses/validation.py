"""Input validation shared by every loss: one place, one wording.

Errors follow Keras' "Expected ... Received: arg=value" and scikit-learn's habit of
naming the argument and saying how to fix it. Every check works on NumPy arrays; the
torch path converts a detached copy first, so both paths refuse the same inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

REDUCTIONS = ("mean", "sum", "none")


def _show(values: np.ndarray, limit: int = 6) -> str:
    flat = np.unique(values.ravel()) if values.size <= 10_000 else np.unique(values.ravel()[:10_000])
    shown = ", ".join(f"{v:g}" if isinstance(v, (float, np.floating)) else str(v) for v in flat[:limit])
    return "{" + shown + (", ..." if flat.size > limit else "") + "}"


def to_numpy(loss: str, arg: str, value: Any) -> np.ndarray:
    """Return ``value`` as a NumPy array, refusing what cannot be one."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu().numpy()
    elif hasattr(value, "to_numpy"):  # pandas
        value = value.to_numpy()
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as err:  # ragged lists
        raise TypeError(f"{loss}: expected {arg} to be array-like of numbers. Received: {arg} of type {type(value).__name__} ({err}).") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(
            f"{loss}: expected {arg} to hold numbers. Received: {arg} with dtype {array.dtype}. "
            "Encode string labels as integers first (e.g. sklearn.preprocessing.LabelEncoder)."
        )
    if array.ndim == 0:
        raise ValueError(f"{loss}: expected {arg} to be an array of samples. Received: a scalar {arg}={array.item()!r}.")
    return array


def check_finite(loss: str, arg: str, array: np.ndarray) -> None:
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        bad = int(np.size(array) - np.isfinite(array).sum())
        raise ValueError(f"{loss}: expected finite values in {arg}. Received: {bad} NaN or infinite value(s) in {arg}. Drop or impute them first.")


def check_same_shape(loss: str, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    if y_true.shape != y_pred.shape:
        hint = ""
        if y_true.ndim + y_pred.ndim == 3 and y_true.size == y_pred.size:
            hint = " Reshape one of them (e.g. y_pred.reshape(-1) or y_true.reshape(-1, 1)); losslab never broadcasts (n,) against (n, 1)."
        elif y_pred.ndim == 2 and y_pred.shape[1] > 1 and y_true.size == y_pred.shape[0] and y_true.ndim in (1, 2):
            # One label per row against one column per class: integer class indices.
            hint = (
                f" y_true looks like class indices: one-hot encode it (np.eye({y_pred.shape[1]})[y_true]) or use a loss that"
                " takes class indices (sparse_categorical_crossentropy)."
            )
        raise ValueError(f"{loss}: expected y_true and y_pred of the same shape. Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}.{hint}")


def check_ndim(loss: str, arg: str, array: np.ndarray, allowed: tuple[int, ...]) -> None:
    if array.ndim not in allowed:
        want = " or ".join(("(n,)", "(n, k)")[d - 1] if d in (1, 2) else f"{d}-D" for d in allowed)
        raise ValueError(f"{loss}: expected {arg} of shape {want}. Received: {arg}.shape={array.shape}.")


def check_class_index_shape(loss: str, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    """``y_true`` of shape (n,) against ``y_pred`` (n, k), with hints for one-hot and (n, 1) targets."""
    if y_true.ndim == 1:
        return
    hint = ""
    if y_true.ndim == 2 and y_true.shape[1] == 1:
        hint = " Pass y_true.reshape(-1)."
    elif y_true.shape == y_pred.shape:
        hint = " y_true looks one-hot: pass class indices (y_true.argmax(axis=-1)), or use categorical_crossentropy, which takes one-hot rows."
    raise ValueError(f"{loss}: expected y_true of shape (n,), one class index per row of y_pred. Received: y_true.shape={y_true.shape}.{hint}")


def check_class_indices(loss: str, arg: str, array: np.ndarray, n_classes: int) -> None:
    """Integer-valued class indices in 0 .. n_classes - 1 (integral floats such as 2.0 are accepted)."""
    if np.issubdtype(array.dtype, np.floating) and (array != np.round(array)).any():
        bad = array[array != np.round(array)]
        raise ValueError(
            f"{loss}: expected {arg} to hold integer class indices 0 .. {n_classes - 1}. Received: non-integer values {_show(bad)}. "
            "Encode labels as integers (e.g. sklearn.preprocessing.LabelEncoder); for probability targets use a loss that takes them."
        )
    if (array < 0).any():
        raise ValueError(
            f"{loss}: expected {arg} in 0 .. {n_classes - 1}. Received: negative labels {_show(array[array < 0])}. "
            "losslab has no ignore index: drop those rows, or give them sample_weight 0 with any valid label."
        )
    if (array >= n_classes).any():
        raise ValueError(
            f"{loss}: expected {arg} in 0 .. {n_classes - 1}, as y_pred has k={n_classes} columns. Received: labels {_show(array[array >= n_classes])}. "
            "Give y_pred one column per class (k = number of classes), or re-encode labels to 0 .. k-1."
        )


def check_in_set(loss: str, arg: str, array: np.ndarray, allowed: set[float], fix: str) -> None:
    bad = ~np.isin(array, list(allowed))
    if bad.any():
        want = "{" + ", ".join(f"{v:g}" for v in sorted(allowed)) + "}"
        raise ValueError(f"{loss}: expected {arg} in {want}. Received: {arg} with values {_show(array)}. {fix}")


def check_range(loss: str, arg: str, array: np.ndarray, *, low: float | None = None, high: float | None = None,
                low_open: bool = False, fix: str = "") -> None:
    bad = np.zeros(array.shape, dtype=bool)
    if low is not None:
        bad |= (array <= low) if low_open else (array < low)
    if high is not None:
        bad |= array > high
    if bad.any():
        lo = "(" if low_open else "["
        want = f"{lo}{'-inf' if low is None else f'{low:g}'}, {'inf' if high is None else f'{high:g}'}]"
        raise ValueError(
            f"{loss}: expected {arg} in {want}. Received: {int(bad.sum())} value(s) outside it, e.g. {arg}={array[bad].ravel()[0]:g}. {fix}".rstrip()
        )


def check_rows_sum_to_one(loss: str, arg: str, array: np.ndarray, fix: str, atol: float = 1e-4) -> None:
    sums = array.sum(axis=-1)
    bad = np.abs(sums - 1.0) > atol
    if bad.any():
        raise ValueError(
            f"{loss}: expected each row of {arg} to sum to 1. Received: {int(bad.sum())} row(s) that do not, e.g. a row summing to {sums[bad].ravel()[0]:g}. {fix}"
        )


def check_reduction(loss: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{loss}: expected reduction in {REDUCTIONS}. Received: reduction={reduction!r}.")


def check_sample_weight(loss: str, sample_weight: Any, n: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    w = to_numpy(loss, "sample_weight", sample_weight).astype(np.float64)
    if w.shape != (n,):
        raise ValueError(f"{loss}: expected sample_weight of shape ({n},), one weight per sample. Received: sample_weight.shape={w.shape}.")
    check_finite(loss, "sample_weight", w)
    check_range(loss, "sample_weight", w, low=0.0, fix="Weights must be non-negative.")
    return w


def check_hyperparameter(loss: str, name: str, value: Any, *, low: float | None = None, high: float | None = None,
                         low_open: bool = False, high_open: bool = False, fix: str = "") -> float:
    """A scalar hyperparameter (``label_smoothing``, ``gamma``, ...) inside its interval; returns it as a float."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{loss}: expected {name} to be a number. Received: {name}={value!r}.") from None
    too_low = low is not None and (x <= low if low_open else x < low)
    too_high = high is not None and (x >= high if high_open else x > high)
    if not np.isfinite(x) or too_low or too_high:
        lo = f"{'(' if low_open else '['}{'-inf' if low is None else f'{low:g}'}"
        hi = f"{'inf' if high is None else f'{high:g}'}{')' if high_open else ']'}"
        raise ValueError(f"{loss}: expected {name} in {lo}, {hi}. Received: {name}={value!r}. {fix}".rstrip())
    return x


def check_weight_vector(loss: str, name: str, value: Any, k: int, *, allow_scalar: bool = False) -> np.ndarray:
    """Per-column weights (``class_weight``, ``pos_weight``): shape (k,) (or one number), finite, non-negative."""
    w = np.asarray(value, dtype=np.float64) if np.isscalar(value) else to_numpy(loss, name, value).astype(np.float64)
    if w.ndim == 0 and allow_scalar:
        w = w.reshape(1)
    if w.shape != (k,) and not (allow_scalar and w.shape == (1,)):
        one = " or a single number" if allow_scalar else ""
        raise ValueError(f"{loss}: expected {name} of shape ({k},), one weight per column of y_pred{one}. Received: {name} of shape {w.shape}.")
    check_finite(loss, name, w)
    check_range(loss, name, w, low=0.0, fix="Weights must be non-negative.")
    return w


def check_framework_supports(loss: str, framework_class: str, params: Any, **neutral: Any) -> None:
    """Refuse to build a framework object that would silently drop a parameter it does not have."""
    for name, default in neutral.items():
        value = params[name]
        same = value is None if default is None else (value is not None and np.ndim(value) == 0 and float(value) == default)
        if not same:
            raise ValueError(
                f"{loss}: {framework_class} has no equivalent of {name}. Received: {name}={value!r}. "
                f"Leave {name}={default!r}, or use losslab's implementation (spec.torch / spec.to_torch_module())."
            )
