"""Reading targets: array-likes, pandas objects and torch tensors into one checked form,
and the plain numbers that describe them (used by every part of the advisor).

Refusals end with one sentence saying how to fix them: ``check`` splits it off.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

#: Tolerance on row sums for one-hot and probability rows.
ROW_SUM_ATOL = 1e-6


@dataclasses.dataclass(frozen=True)
class Targets:
    """``y`` as an array: 1-D (one column) or 2-D, with what pandas said about it."""

    array: np.ndarray  # bool, int64, float64, or object/str labels
    labels: bool  # strings, booleans, categoricals: never numbers to regress on
    columns: tuple | None  # DataFrame column labels
    categories: tuple | None  # a pandas categorical's category order


def plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def read_targets(y: Any, arg: str = "y") -> Targets:
    """Turn array-likes, pandas objects and torch tensors into a checked :class:`Targets`."""
    import pandas as pd

    columns = categories = None
    if hasattr(y, "detach") and hasattr(y, "cpu"):  # a torch tensor
        y = y.detach().cpu().numpy()
    if isinstance(y, pd.DataFrame):
        columns = tuple(plain(c) for c in y.columns)
        if y.shape[1] == 1:
            y = y.iloc[:, 0]
            columns = None
    if isinstance(y, pd.Series):
        if isinstance(y.dtype, pd.CategoricalDtype):
            categories = tuple(plain(c) for c in y.cat.categories)
            array = y.to_numpy(dtype=object)
        elif pd.api.types.is_extension_array_dtype(y.dtype):  # Int64, boolean, string: may hold pd.NA
            array = y.to_numpy(dtype=object)
        else:
            array = y.to_numpy()
    elif isinstance(y, pd.DataFrame):
        array = y.to_numpy()
    else:
        try:
            array = np.asarray(y)
        except ValueError as err:
            raise ValueError(f"expected {arg} to be a 1-D or 2-D array of targets. Received: a ragged sequence ({err}). Pass rows of equal length.") from None
    if array.ndim == 0:
        raise ValueError(f"expected {arg} to be an array of targets, one per sample. Received: a scalar {arg}={plain(array[()])!r}. Pass one target per sample.")
    if array.ndim > 2:
        raise ValueError(f"expected {arg} of shape (n,) or (n, k). Received: {arg}.shape={array.shape}. Flatten the extra dimensions first.")
    if array.size == 0:
        raise ValueError(f"expected at least one target. Received: an empty {arg} (shape {array.shape}). Pass one target per sample.")
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]  # a column vector is one column, as in type_of_target
    return _settle_dtype(array, arg, columns, categories)


def _settle_dtype(array: np.ndarray, arg: str, columns: tuple | None, categories: tuple | None) -> Targets:
    import pandas as pd

    kind = array.dtype.kind
    if kind == "b":
        return Targets(array, True, columns, categories)
    if kind in "iu":
        return Targets(array.astype(np.int64), False, columns, categories)
    if kind == "f":
        bad_nan, bad_inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
        if bad_nan or bad_inf:
            raise ValueError(
                f"expected finite targets. Received: {bad_nan} NaN and {bad_inf} infinite value(s) in {arg} "
                f"(of {array.size}). Drop or impute those samples first."
            )
        return Targets(array.astype(np.float64), False, columns, categories)
    if kind in "US":
        return Targets(array, True, columns, categories)
    if kind != "O":
        raise TypeError(f"expected {arg} to hold numbers or labels. Received: {arg} with dtype {array.dtype}. Convert them to numbers or strings first.")
    missing = pd.isna(array)
    if missing.any():
        raise ValueError(
            f"expected no missing targets. Received: {int(missing.sum())} missing value(s) (None / NaN / NA) in {arg} "
            f"(of {array.size}). Drop or impute those samples first."
        )
    types = {type(v) for v in array.ravel()}
    if all(issubclass(t, (bool, np.bool_)) for t in types):
        return Targets(array.astype(bool), True, columns, categories)
    if all(issubclass(t, (int, float, np.integer, np.floating)) and not issubclass(t, (bool, np.bool_)) for t in types):
        if categories is not None:  # a categorical of numbers: still labels
            return Targets(array, True, columns, categories)
        return _settle_dtype(np.asarray(array.tolist()), arg, columns, None)
    if all(issubclass(t, (str, bytes)) for t in types) or categories is not None:
        return Targets(array, True, columns, categories)
    names = ", ".join(sorted(t.__name__ for t in types))
    raise TypeError(f"expected {arg} to hold labels of one type. Received: mixed types ({names}). Convert them to one type first, e.g. y.astype(str).")


def form_2d(x: np.ndarray) -> str:
    """How a 2-D numeric target is written: "one_hot", "indicator", "probability_rows" or "values"."""
    if np.isin(x, (0, 1)).all():
        return "one_hot" if np.all(x.sum(axis=1) == 1) else "indicator"
    if x.min() >= 0 and np.abs(x.sum(axis=1) - 1.0).max() <= ROW_SUM_ATOL:
        return "probability_rows"
    return "values"


# ---------------------------------------------------------------------- describing
def show(values: Sequence[Any], limit: int = 8) -> str:
    shown = [f"{v:g}" if isinstance(v, float) else repr(v) if isinstance(v, str) else str(v) for v in list(values)[:limit]]
    return "{" + ", ".join(shown) + (", ..." if len(values) > limit else "") + "}"


def fmt(x: float) -> str:
    return f"{x:.4g}"


def unique_labels(array: np.ndarray, categories: tuple | None) -> tuple[tuple, tuple[int, ...]]:
    """Distinct labels (sorted, or in category order) and their counts."""
    if categories is not None:
        counts = {c: 0 for c in categories}
        for v in array:
            counts[v] += 1
        present = [(c, k) for c, k in counts.items() if k]
        return tuple(c for c, _ in present), tuple(k for _, k in present)
    values, counts = np.unique(array, return_counts=True)
    return tuple(plain(v) for v in values), tuple(int(c) for c in counts)


def _moments(col: np.ndarray, outlier_mads: float) -> dict[str, float | None]:
    """Skewness, excess kurtosis, outlier share, orders of magnitude, zero share of one column."""
    x = col.astype(np.float64)
    centred = x - x.mean()
    m2 = float(np.mean(centred**2))
    if m2 > 0:
        skew = float(np.mean(centred**3) / m2**1.5)
        kurt = float(np.mean(centred**4) / m2**2 - 3.0)
    else:
        skew = kurt = 0.0
    med = np.median(x)
    dev = np.abs(x - med)
    # 1.4826 * MAD estimates the standard deviation of a Gaussian; when more than half the
    # targets equal the median the MAD is 0, and the mean absolute deviation stands in.
    scale = 1.4826 * float(np.median(dev))
    if scale == 0:
        scale = 1.2533 * float(dev.mean())
    outliers = float(np.mean(dev > outlier_mads * scale)) if scale > 0 else 0.0
    positive = x[x > 0]
    orders = float(np.log10(positive.max() / positive.min())) if positive.size else None
    return {"skewness": skew, "excess_kurtosis": kurt, "outlier_share": outliers,
            "orders_of_magnitude": orders, "zero_share": float(np.mean(x == 0))}


def value_stats(x: np.ndarray, outlier_mads: float) -> dict[str, Any]:
    """The regression statistics; with several columns, the most extreme column's."""
    cols = [x] if x.ndim == 1 else [x[:, j] for j in range(x.shape[1])]
    per = [_moments(c, outlier_mads) for c in cols]

    def extreme(key: str, absolute: bool = False) -> float | None:
        vals = [p[key] for p in per if p[key] is not None]
        if not vals:
            return None
        return max(vals, key=abs) if absolute else max(vals)

    return {
        "min": float(x.min()), "max": float(x.max()),
        "median": float(min(np.median(c) for c in cols)),
        "std": float(max(np.std(c) for c in cols)),
        "integer_valued": bool(np.all(x == np.round(x))),
        "skewness": extreme("skewness", absolute=True),
        "excess_kurtosis": extreme("excess_kurtosis"),
        "outlier_share": extreme("outlier_share"),
        "orders_of_magnitude": extreme("orders_of_magnitude"),
        "zero_share": extreme("zero_share"),
    }
