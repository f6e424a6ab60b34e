"""The one argument checker of the statistics: every public function of `within` and `across`
checks its arguments here, so that each error reads the same way.

Each error names the Python argument, says what was expected and what came ("Expected ...
Received: arg=value"), and how to fix it where that is not obvious. Nothing here names a
command-line flag: the command line translates these errors into its own words.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

_SHOWN = 3  # examples quoted in an error message


def quote(items: Sequence[Any]) -> str:
    """The first few items, and how many more: ``"a, b, c and 4 more"``."""
    shown = ", ".join(map(str, items[:_SHOWN]))
    return shown + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def plain(x: Any) -> Any:
    """``np.int64(3)`` -> ``3``, so that messages show the value as the user wrote it."""
    return x.item() if isinstance(x, np.generic) else x


def where(row: Sequence[Any], keys: Sequence[str]) -> str:
    """``(loss='bce', seed=3, fold=0)``: one row's labels, for an error message."""
    return "(" + ", ".join(f"{key}={plain(v)!r}" for key, v in zip(keys, row)) + ")"


# --- single arguments ---------------------------------------------------------------------------


def is_integer(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def check_higher_is_better(higher_is_better: Any, metric: Any) -> None:
    if not isinstance(higher_is_better, (bool, np.bool_)):
        raise TypeError(f"higher_is_better: expected True or False (is a larger {metric} better?). Received: higher_is_better={higher_is_better!r}.")


def check_metric(metric: Any) -> None:
    if not isinstance(metric, str) or not metric.strip():
        raise ValueError(f"metric: expected the metric's name, a non-empty string such as 'accuracy'. Received: metric={metric!r}.")


def check_alpha(alpha: Any) -> None:
    if not is_real(alpha) or not 0 < alpha < 1:
        raise ValueError(f"alpha: expected a significance level strictly between 0 and 1, such as 0.05. Received: alpha={alpha!r}.")


def generator(rng: Any) -> np.random.Generator:
    """The generator for ``rng`` (a seed or a Generator); anything else is refused."""
    if isinstance(rng, np.random.Generator):
        return rng
    if not is_integer(rng) or rng < 0:
        raise TypeError(f"rng: expected a non-negative integer seed or a numpy.random.Generator (results must be reproducible). Received: rng={rng!r}.")
    return np.random.default_rng(rng)


def check_count(name: str, value: Any, minimum: int, what: str = "") -> None:
    """An integer >= minimum (``what`` says what it counts)."""
    if not is_integer(value) or value < minimum:
        what = f" ({what})" if what else ""
        raise ValueError(f"{name}: expected an integer >= {minimum}{what}. Received: {name}={value!r}.")


def check_rope(rope: Any, metric: str) -> None:
    if not is_real(rope) or not math.isfinite(rope) or rope < 0:
        raise ValueError(
            f"rope: expected the region of practical equivalence in {metric} units, a finite number >= 0 "
            f"(differences within +-rope count as no difference in practice). Received: rope={rope!r}."
        )


def check_positive(name: str, value: Any, what: str) -> None:
    if not is_real(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: expected a positive number ({what}). Received: {name}={value!r}.")


def check_choice(name: str, value: Any, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, choices))}. Received: {name}={value!r}.")


def check_fraction(name: str, value: Any, *, closed_high: bool = False) -> None:
    """A number in (0, 1), or (0, 1] with ``closed_high``."""
    ok = is_real(value) and (0 < value <= 1 if closed_high else 0 < value < 1)
    if not ok:
        bounds = "in (0, 1]" if closed_high else "strictly between 0 and 1"
        raise ValueError(f"{name}: expected a fraction {bounds}. Received: {name}={value!r}.")


def check_sizes(n_train: Any, n_test: Any) -> None:
    """Both or neither of a trial's training and test set sizes, as positive integers."""
    if (n_train is None) != (n_test is None):
        raise ValueError(f"n_train, n_test: expected both or neither. Received: n_train={n_train!r}, n_test={n_test!r}.")
    if n_train is not None:
        for name, value in (("n_train", n_train), ("n_test", n_test)):
            if not is_integer(value) or value < 1:
                raise ValueError(f"{name}: expected a positive integer (rows in one trial's {name[2:]} set). Received: {name}={value!r}.")


# --- long-form score tables ---------------------------------------------------------------------


def long_table(
    scores: Any,
    *,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
    missing_hint: dict[str, str] | None = None,
    fix_nonfinite: str,
    unit: str = "row",
    one_row_per: str | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Check a long-form score table; return (labels and value as a frame, the key columns).

    ``required`` ends with ``"value"``; the keys are the other required columns and the
    ``optional`` ones present. Refused: not a DataFrame, a missing column (``missing_hint``
    maps a column to a sentence added when it alone is missing), values that are not
    finite numbers (``fix_nonfinite`` says what to do), a row without a label, and two rows
    with the same labels (``unit`` names a row, ``one_row_per`` overrides what is expected).
    """
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(f"scores: expected a pandas DataFrame in long form with columns {list(required)}. Received: scores of type {type(scores).__name__}.")
    missing = [c for c in required if c not in scores.columns]
    if missing:
        hint = "".join(f" {text}" for column, text in (missing_hint or {}).items() if column in missing)
        raise ValueError(f"scores: expected columns {list(required)}. Received: columns {list(map(str, scores.columns))}, missing {missing}.{hint}")
    keys = [c for c in required if c != "value"] + [c for c in optional if c in scores.columns]
    value = scores["value"]
    if not pd.api.types.is_numeric_dtype(value) or pd.api.types.is_bool_dtype(value):
        raise ValueError(f"scores: expected numbers in column 'value' (the held-out metric). Received: dtype {value.dtype}.")
    unlabelled = scores[keys].isna().any(axis=1).to_numpy()
    if unlabelled.any():
        raise ValueError(f"scores: expected {', '.join(keys)} on every row. Received: {int(unlabelled.sum())} row(s) with one missing, e.g. row {scores.index[unlabelled][0]!r}.")
    frame = scores[keys].assign(value=value.to_numpy(dtype=float))
    bad = ~np.isfinite(frame["value"].to_numpy())
    if bad.any():
        at = [where(row, keys) for row in frame.loc[bad, keys].itertuples(index=False)]
        raise ValueError(f"scores: expected finite numbers in column 'value'. Received: {int(bad.sum())} NaN or infinite value(s), at {quote(at)}. {fix_nonfinite}")
    duplicated = frame.duplicated(keys, keep="first").to_numpy()
    if duplicated.any():
        at = [where(row, keys) for row in frame.loc[duplicated, keys].itertuples(index=False)]
        expected = one_row_per or f"one row per ({', '.join(keys)})"
        raise ValueError(f"scores: expected {expected}. Received: {int(duplicated.sum())} duplicated {unit}(s), e.g. {quote(at)}.")
    return frame, keys


def check_losses(losses: Sequence[str]) -> None:
    if len(losses) < 2:
        raise ValueError(f"scores: expected at least 2 losses to compare. Received: {len(losses)} loss(es) {list(losses)}.")


def check_control(control: Any, losses: Sequence[str]) -> None:
    """None, or one of the losses."""
    if control is not None and (not isinstance(control, str) or control not in losses):
        raise ValueError(f"control: expected None or one of the losses {list(losses)}. Received: control={control!r}.")
