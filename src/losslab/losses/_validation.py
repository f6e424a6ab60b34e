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
        raise ValueError(f"{loss}: expected y_true and y_pred of the same shape. Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}.{hint}")


def check_ndim(loss: str, arg: str, array: np.ndarray, allowed: tuple[int, ...]) -> None:
    if array.ndim not in allowed:
        want = " or ".join(("(n,)", "(n, k)")[d - 1] if d in (1, 2) else f"{d}-D" for d in allowed)
        raise ValueError(f"{loss}: expected {arg} of shape {want}. Received: {arg}.shape={array.shape}.")


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
