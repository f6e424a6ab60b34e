"""Which feature columns a study uses, decided once for the whole table and said out loud.

:func:`choose_columns` leaves out the columns that only look like features, one note each:

==============  ==============================================================================
row names       a column named like a row-name column (``rownames``, ``Unnamed: 0``, ``index``,
                ...) whose values are text or integers unique per row: R's ``write.csv`` and pandas'
                ``to_csv`` write one, and a table sorted by class makes it a perfect leak
ID-like         text unique per row (a name, a code) or nearly so (more than :data:`MAX_LEVELS`
                levels and more distinct values than half its rows), integers that count
                the rows (0 .. n-1 or 1 .. n, in row order), or integers in a column named
                like an ID (``id``, ``patient_id``, ``PatientID``: :data:`ID_NAME`) with more
                than :data:`MAX_LEVELS` distinct values (a panel's subject codes, repeated
                over its years: numbers that mean nothing as a quantity)
constant        one value in every row (or every value missing): nothing to learn from
date/time       datetime columns and text that reads as dates or times: one-hot encoding
                them makes a column per day; ``include=`` turns them into days since
                1970-01-01 instead
unusable        any other dtype (complex numbers, intervals, ...)
==============  ==============================================================================

Text columns with more than :data:`MAX_LEVELS` levels are *capped*: the :data:`MAX_LEVELS`
most frequent levels seen at least twice keep their own one-hot column, the others share
one ``"other"`` column. The level counts are read from the whole column: they are
features, not labels, so no target information reaches the test rows.

``exclude=`` leaves columns out whatever the rules say; ``include=`` keeps columns the
rules would leave out.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._dataset import column_kinds

#: Text columns with more distinct values than this keep only their most frequent ones.
MAX_LEVELS = 20
#: A level seen fewer times than this is pooled into "other" in a capped column.
MIN_LEVEL_COUNT = 2
#: Text columns with more than MAX_LEVELS levels and more distinct values than this share of
#: their rows are read as IDs (names, ticket numbers): too few repeats to learn a level from.
NEARLY_UNIQUE = 0.5
#: Below this many rows, values unique per row may be chance, so no ID rule applies.
MIN_ID_ROWS = 10
#: Names of row-name columns: R (``rownames``, ``row.names``), pandas (``Unnamed: 0``,
#: ``index``, ``level_0``), readr (``...1``).
ROW_NAME = re.compile(r"^(rownames?|row[._ ]?names?|unnamed: ?\d+|index|level_0|\.\.\.1)$", re.IGNORECASE)
#: Names of ID columns: ``id``, ``ID``, ``patient_id``, ``subject.id``, ``PatientID``, ``storeId``.
ID_NAME = re.compile(r"^(?i:id)$|(?i:[_. -]id)$|[a-z](ID|Id)$")
# Text that reads as a date or a time: 2024-01-31, 2024/01/31, 31/01/2024, 31.01.2024,
# with or without a clock time; or a clock time alone (12:30, 12:30:05).
_DATE = re.compile(
    r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?\s*$"
    r"|^\s*\d{1,2}:\d{2}(:\d{2})?\s*$"
)
POOLED = "other"


@dataclasses.dataclass(frozen=True, eq=False)
class Selection:
    """The feature columns a study uses, and why the others are out.

    Attributes
    ----------
    X : pandas.DataFrame
        The kept columns: values as read, except capped text columns (rare levels
        replaced by ``"other"``) and included date columns (days since 1970-01-01).
    dropped : dict
        Column name -> the reason it was left out.
    notes : tuple of str
        One line per column left out, capped or converted, e.g.
        ``"dropped `name`: unique per row, looks like an ID"``.
    """

    X: pd.DataFrame
    dropped: dict[str, str]
    notes: tuple[str, ...]

    @property
    def used(self) -> list[str]:
        return [str(c) for c in self.X.columns]


def choose_columns(X: pd.DataFrame, *, exclude: Sequence[str] | str | None = None,
                   include: Sequence[str] | str | None = None) -> Selection:
    """Leave out row-name, ID-like, constant and date/time columns; cap high-cardinality text.

    Parameters
    ----------
    X : pandas.DataFrame
        The feature columns as read (every row of the table).
    exclude : list of str, optional
        Columns to leave out whatever the rules say.
    include : list of str, optional
        Columns to keep even where a rule would leave them out (a date column is then
        used as days since 1970-01-01).

    Returns
    -------
    Selection

    Examples
    --------
    >>> frame = pd.DataFrame({"rownames": range(1, 13), "size": [1.0, 2.0] * 6, "site": ["a"] * 12})
    >>> sel = choose_columns(frame)
    >>> sel.used, list(sel.notes)
    (['size'], ['dropped `rownames`: row names (unique per row)', 'dropped `site`: constant (every value is a)'])
    """
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"choose_columns: expected X to be a pandas DataFrame. Received: {type(X).__name__}.")
    columns = [str(c) for c in X.columns]
    X = X.set_axis(columns, axis=1)
    excluded = _names(exclude, "exclude", columns)
    included = _names(include, "include", columns)
    both = sorted(set(excluded) & set(included))
    if both:
        raise ValueError(f"choose_columns: expected a column in exclude or include, not both. Received: {both} in both.")
    keep: dict[str, pd.Series] = {}
    changed = False  # a kept column converted (dates) or capped (text)
    dropped: dict[str, str] = {}
    notes: list[str] = []
    for name in columns:
        column = X[name]
        if name in excluded:
            dropped[name] = "excluded (exclude=)"
            notes.append(f"dropped `{name}`: excluded as asked")
            continue
        reason = _reason_to_drop(name, column)
        date = _is_date(column)
        if reason is not None and name not in included:
            dropped[name] = reason
            hint = " (include= uses them as days since 1970-01-01)" if date else ""
            notes.append(f"dropped `{name}`: {reason}{hint}")
            continue
        if reason is not None:
            notes.append(f"kept `{name}` as asked (include=), though {reason}" + (", as days since 1970-01-01" if date else ""))
        if date:
            column = _as_days(column)
            changed = True
        elif column_kinds(column.to_frame())["categorical"]:
            column, note = _capped(name, column)
            if note:
                notes.append(note)
                changed = True
        keep[name] = column
    if not keep:
        frame = X.iloc[:, :0]
    elif changed:
        frame = pd.DataFrame(keep, index=X.index)
    else:
        # Every kept column as it was: select them (a view where pandas allows) rather than
        # build a new frame, which would copy a large table once more.
        frame = X[list(keep)]
    return Selection(frame, dropped, tuple(notes))


def _names(value: Sequence[str] | str | None, arg: str, columns: list[str]) -> list[str]:
    if value is None:
        return []
    names = [n.strip() for n in value.split(",")] if isinstance(value, str) else [str(n) for n in value]
    names = [n for n in names if n]
    for n in names:
        if n not in columns:
            close = difflib.get_close_matches(n, columns, n=2, cutoff=0.6)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise ValueError(f"choose_columns: unknown feature column {n!r}.{hint} Received: {arg}={names}; "
                             f"feature columns: {', '.join(columns)}.")
    return names


def _reason_to_drop(name: str, column: pd.Series) -> str | None:
    n = len(column)
    values = column.dropna()
    distinct = values.nunique()
    kinds = column_kinds(column.to_frame())
    if kinds["other"] and not _is_date(column):
        return f"dtype {column.dtype}, which losslab cannot encode"
    if distinct <= 1 and (values.empty or len(values) == n):
        return "constant (every value missing)" if values.empty else f"constant (every value is {_show(values.iloc[0])})"
    unique_per_row = distinct == n and len(values) == n
    if unique_per_row and ROW_NAME.match(name.strip()) and (kinds["categorical"] or _integers(values)):
        return "row names (unique per row)"
    if _is_date(column):
        return "dates/times"
    if n < MIN_ID_ROWS:
        return None
    if unique_per_row and kinds["categorical"] and not pd.api.types.is_bool_dtype(column.dtype):
        return "unique per row, looks like an ID"
    if kinds["categorical"] and distinct > MAX_LEVELS and distinct > NEARLY_UNIQUE * len(values):
        return f"{distinct} distinct values in {len(values)} rows, looks like an ID"
    if unique_per_row and _counts_rows(values):
        return "counts the rows (0 .. n-1 or 1 .. n in row order), looks like an index"
    if ID_NAME.search(name.strip()) and distinct > MAX_LEVELS and _integers(values):
        return f"integer codes named like an ID ({distinct} distinct values in {len(values)} rows)"
    return None


def _integers(values: pd.Series) -> bool:
    if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return False
    x = values.to_numpy(dtype=np.float64)
    return bool(np.all(x == np.round(x)))


def _counts_rows(values: pd.Series) -> bool:
    """Integers 0 .. n-1 or 1 .. n in row order: a row index written out as a column."""
    if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return False
    x = values.to_numpy(dtype=np.float64)
    n = len(x)
    return bool(np.array_equal(x, np.arange(n)) or np.array_equal(x, np.arange(1, n + 1)))


def _is_date(column: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(column.dtype) or pd.api.types.is_timedelta64_dtype(column.dtype) \
            or isinstance(column.dtype, pd.PeriodDtype):
        return True
    if not (pd.api.types.is_object_dtype(column.dtype) or pd.api.types.is_string_dtype(column.dtype)):
        return False
    values = column.dropna()
    if values.empty or not all(isinstance(v, str) for v in values.iloc[:1000]):
        return False
    return bool(values.astype(str).str.match(_DATE).all())


def _as_days(column: pd.Series) -> pd.Series:
    """A date column as float days since 1970-01-01 (a duration as float days)."""
    if pd.api.types.is_timedelta64_dtype(column.dtype):
        return column / pd.Timedelta(days=1)
    if isinstance(column.dtype, pd.PeriodDtype):
        column = column.dt.to_timestamp()
    if not pd.api.types.is_datetime64_any_dtype(column.dtype):
        parsed = pd.to_datetime(column, errors="coerce", format="mixed")
        if parsed.isna().all():  # clock times alone: hours since midnight
            return pd.to_timedelta(column, errors="coerce") / pd.Timedelta(hours=1)
        column = parsed
    if getattr(column.dt, "tz", None) is not None:
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    return (column - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)


def _capped(name: str, column: pd.Series) -> tuple[pd.Series, str]:
    """Keep the MAX_LEVELS most frequent levels seen at least MIN_LEVEL_COUNT times; pool the rest."""
    counts = column.dropna().astype(str).value_counts()
    if len(counts) <= MAX_LEVELS:
        return column, ""
    # Most frequent first, ties by name, so the same table always keeps the same levels.
    order = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    kept = [level for level, count in order[:MAX_LEVELS] if count >= MIN_LEVEL_COUNT]
    pooled = POOLED if POOLED not in counts.index else f"{POOLED} (pooled)"
    text = column.astype(str).where(column.notna())
    out = text.where(text.isin(kept) | text.isna(), pooled)
    share = counts[kept].sum() / counts.sum() if kept else 0.0
    note = (f"capped `{name}`: {len(counts)} levels; kept the {len(kept)} most frequent ({share:.0%} of rows), "
            f"pooled {len(counts) - len(kept)} rare level(s) into {pooled!r}")
    return out.astype(object), note


def _show(value: object) -> str:
    text = str(value)
    return text if len(text) <= 30 else text[:27] + "..."
