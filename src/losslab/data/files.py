"""The user's own data: CSV, TSV, Parquet and NumPy files read into a :class:`Dataset`.

Formats, chosen by the file's extension (case-insensitive):

- ``.csv`` (comma-separated) and ``.tsv`` (tab-separated), a header row first;
- ``.parquet`` and ``.pq``;
- ``.npy``: one 2-D numeric array, the target in one (or more) of its columns. The target
  is a column *index*: ``0``, ``"3"``, ``"-1"`` (negative counts from the end) or
  ``"last"``; default: the last column. Columns are named ``col0, col1, ...``;
- ``.npz``: arrays ``X`` (2-D) and ``y`` (1-D, or 2-D for several targets), as saved by
  ``np.savez(path, X=X, y=y)``. ``target`` must be left out or be ``"y"``. Features are
  named ``x0, x1, ...``, targets ``y`` (or ``y0, y1, ...``).

NumPy files are loaded with ``allow_pickle=False``: a file holding Python objects is
refused, never executed.

Missing cells in CSV and TSV files are pandas' usual markers (an empty cell, ``NA``, ``NaN``,
``NULL``, ``N/A``, ...) with one exception: ``None`` is missing only in a column whose other
cells are numbers. In a column of words it is a value, as in R's ``vcd::Arthritis``, whose
``Improved`` is ``None``, ``Some`` or ``Marked``: pandas' default would read half of that
target as missing and turn three classes into two.

Every problem is a ``ValueError`` with a one-line message that names the argument,
says what was expected and what came, and how to fix it.
"""

from __future__ import annotations

import csv
import difflib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._dataset import Dataset

SUPPORTED_EXTENSIONS = (".csv", ".tsv", ".parquet", ".pq", ".npy", ".npz")


def load_table(path: str | os.PathLike[str], target: str | int | Sequence[str | int] | None = None, *,
               dropna: bool = False) -> Dataset:
    """Read a data file into a :class:`Dataset`: the target column(s) apart, the rest as features.

    Parameters
    ----------
    path : str or path-like
        A file with one of :data:`SUPPORTED_EXTENSIONS` (see the module docstring).
    target : str, int or list of them
        The target column's name, or a list of names for several target columns
        (``["lat", "lon"]``). Required for tables; a column index for ``.npy``
        (default: the last column); ``"y"`` or nothing for ``.npz``.
    dropna : bool
        Rows with a missing value are kept (and counted in the description) unless
        ``dropna=True``; then they are dropped and counted in ``Dataset.dropped_rows``.
        (A study imputes missing features and drops rows whose target is missing:
        :mod:`losslab.experiment.prepare`.)

    Returns
    -------
    Dataset
        Named after the file's stem, ``source`` the path, features and target as read,
        rows renumbered 0..n-1.
    """
    p = Path(path)
    suffix = _check_path(p)
    if suffix in (".npy", ".npz"):
        frame, targets = _read_numpy(p, suffix, target)
    else:
        frame = _read_table(p, suffix)
        targets = _resolve_names(p, frame, target)
    features = [c for c in frame.columns if c not in targets]
    if not features:
        raise ValueError(
            f"load_table: expected at least one feature column besides the target. Received: {p} has only the "
            f"column(s) {targets}. Add feature columns, or choose another target."
        )
    frame, dropped, gaps = _handle_missing(p, frame, features, targets, dropna)
    _check_finite(p, frame)
    X = frame[features].reset_index(drop=True)
    y = frame[targets[0]] if len(targets) == 1 else frame[targets]
    y = y.reset_index(drop=True)
    description = f"{p.name}: {len(X)} rows, {len(features)} features, target {', '.join(map(str, targets))}."
    if dropped:
        description += f" Dropped {dropped} row(s) with missing values."
    elif gaps:
        description += f" {gaps}."
    return Dataset(p.stem, X, y, str(p), description, dropped_rows=dropped)


# ---------------------------------------------------------------------------- the path
def _check_path(p: Path) -> str:
    if p.is_dir():
        raise ValueError(f"load_table: expected path to be a file. Received: path='{p}', a directory. Pass one of the files inside it.")
    if not p.exists():
        raise ValueError(f"load_table: expected path to be an existing file. Received: path='{p}' (no such file; working directory {Path.cwd()}). Check the spelling.")
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise ValueError(
            f"load_table: expected a file ending in {', '.join(SUPPORTED_EXTENSIONS)}. Received: path='{p}' "
            f"(extension {suffix or 'none'!r}). Save it as CSV or Parquet, or rename it if it already is one."
        )
    return suffix


# ---------------------------------------------------------------------------- tables
def _read_table(p: Path, suffix: str) -> pd.DataFrame:
    if suffix in (".parquet", ".pq"):
        try:
            frame = pd.read_parquet(p)
        except Exception as err:  # pyarrow raises its own types for corrupt files
            raise ValueError(f"load_table: expected a Parquet file. Received: path='{p}', which Parquet cannot read ({type(err).__name__}: {err}).") from None
        _release_arrow_memory()
        _check_flat(p, frame)
    else:
        sep = "\t" if suffix == ".tsv" else ","
        _check_header(p, sep)
        try:
            frame = _read_csv(p, sep)
        except pd.errors.EmptyDataError:
            raise ValueError(f"load_table: expected a header row and data rows. Received: path='{p}', an empty file. Check that the file was written completely.") from None
        except (pd.errors.ParserError, UnicodeDecodeError) as err:
            kind = "TSV" if sep == "\t" else "CSV"
            raise ValueError(f"load_table: expected {kind} text. Received: path='{p}', which does not parse ({err}). Check the separator and the encoding (UTF-8).") from None
    if len(frame) == 0:
        raise ValueError(f"load_table: expected at least one data row. Received: path='{p}' with columns {list(frame.columns)} but no rows.")
    frame.columns = [str(c) for c in frame.columns]
    return frame


# pandas' default missing-value markers, less "None" (see the module docstring).
MISSING_MARKERS = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                   "<NA>", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null")


def _read_csv(p: Path, sep: str) -> pd.DataFrame:
    """The table with :data:`MISSING_MARKERS` missing, and ``None`` too in a column whose other
    cells are numbers (the file is read again with that column's markers)."""
    frame = pd.read_csv(p, sep=sep, keep_default_na=False, na_values=list(MISSING_MARKERS))
    numeric = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c]) and _numbers_and_none(frame[c])]
    if not numeric:
        return frame
    markers = {c: [*MISSING_MARKERS, "None"] if c in numeric else list(MISSING_MARKERS) for c in frame.columns}
    return pd.read_csv(p, sep=sep, keep_default_na=False, na_values=markers)


def _numbers_and_none(column: pd.Series) -> bool:
    """Whether a column of text holds ``None`` and, apart from it, only numbers (at least one)."""
    text = column.dropna().astype(str)
    none = text == "None"
    if not none.any():
        return False
    rest = text[~none]
    return bool(len(rest)) and bool(pd.to_numeric(rest, errors="coerce").notna().all())


def _release_arrow_memory() -> None:
    """Hand the memory Arrow used while decoding a Parquet file back to the system.

    Arrow's allocator (mimalloc or jemalloc) keeps freed pages for reuse: after reading a
    1,000,000 x 21 float64 file it held ~260 MB of decoding buffers that nothing used again,
    counted in the process's memory for the rest of a study.
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _check_flat(p: Path, frame: pd.DataFrame) -> None:
    # Parquet can nest: a list, array or struct per cell, which no feature encoding can use
    # (and which pandas cannot hash, so it would fail later with a message about numpy).
    for column in frame.columns[frame.dtypes == object]:
        values = frame[column].dropna()
        nested = values[values.map(lambda v: isinstance(v, (list, tuple, dict, set, np.ndarray)))]
        if len(nested):
            kind = "struct" if isinstance(nested.iloc[0], dict) else "list"
            raise ValueError(
                f"load_table: expected one number or string per cell. Received: column {str(column)!r} of '{p}' holds "
                f"a {kind} in {len(nested)} of its {len(frame)} rows (a nested Parquet column). Flatten it into "
                "columns of single values, or drop it, before loading the file."
            )


def _check_header(p: Path, sep: str) -> None:
    # pandas renames a repeated column to 'name.1' silently; a repeated name is a mistake to report.
    try:
        with p.open(newline="", encoding="utf-8") as f:
            header = next(csv.reader(f, delimiter=sep), [])
    except UnicodeDecodeError:
        return  # read_csv reports it
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise ValueError(f"load_table: expected distinct column names. Received: path='{p}' repeats {repeated} in its header. Rename the duplicates.")


def _resolve_names(p: Path, frame: pd.DataFrame, target: Any) -> list[str]:
    columns = list(frame.columns)
    if target is None or (not isinstance(target, str) and isinstance(target, Sequence) and len(target) == 0):
        raise ValueError(f"load_table: expected target, the name of the target column (or a list of names). Received: none. Columns of '{p}': {', '.join(columns)}.")
    names = [target] if isinstance(target, (str, int)) else list(target)
    names = [str(n) for n in names]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"load_table: expected distinct target columns. Received: target={names} names {repeated} more than once.")
    for name in names:
        if name in columns:
            continue
        lower = {c.lower(): c for c in columns}
        close = [lower[name.lower()]] if name.lower() in lower else difflib.get_close_matches(name, columns, n=2, cutoff=0.6)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        if "," in name and all(part.strip() in columns for part in name.split(",")):
            hint = f" For several target columns pass a list: {[part.strip() for part in name.split(',')]}."
        raise ValueError(f"load_table: unknown target column {name!r}.{hint} Columns of '{p}': {', '.join(columns)}.")
    return names


# ---------------------------------------------------------------------------- NumPy files
def _read_numpy(p: Path, suffix: str, target: Any) -> tuple[pd.DataFrame, list[str]]:
    try:
        loaded = np.load(p, allow_pickle=False)
    except ValueError as err:
        if "pickle" in str(err).lower():
            raise ValueError(f"load_table: expected numeric arrays. Received: path='{p}' holds Python objects, which losslab does not unpickle. Save a numeric array.") from None
        raise ValueError(f"load_table: expected a NumPy {suffix} file. Received: path='{p}', which NumPy cannot read ({err}).") from None
    except (OSError, EOFError) as err:
        raise ValueError(f"load_table: expected a NumPy {suffix} file. Received: path='{p}', which NumPy cannot read ({err}).") from None
    if suffix == ".npy":
        return _from_npy(p, loaded, target)
    with loaded:
        return _from_npz(p, loaded, target)


def _numeric_2d(p: Path, what: str, array: np.ndarray) -> None:
    if array.ndim != 2 or array.shape[0] == 0:
        raise ValueError(f"load_table: expected {what} to be a 2-D array (rows x columns) with at least one row. Received: shape {array.shape} in '{p}'.")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(f"load_table: expected {what} to hold numbers. Received: dtype {array.dtype} in '{p}'. Use CSV or Parquet for text columns.")


def _from_npy(p: Path, array: np.ndarray, target: Any) -> tuple[pd.DataFrame, list[str]]:
    _numeric_2d(p, "the array", array)
    n_columns = array.shape[1]
    wanted = [-1] if target is None else ([target] if isinstance(target, (str, int)) else list(target))
    indices = [_column_index(p, t, n_columns) for t in wanted]
    if len(set(indices)) != len(indices):
        raise ValueError(f"load_table: expected distinct target columns. Received: target={wanted}, naming column(s) more than once.")
    frame = pd.DataFrame(array, columns=[f"col{j}" for j in range(n_columns)])
    return frame, [f"col{j}" for j in indices]


def _column_index(p: Path, target: Any, n_columns: int) -> int:
    text = str(target).strip().lower()
    index = n_columns - 1 if text == "last" else None
    if index is None:
        try:
            index = int(text)
        except ValueError:
            raise ValueError(
                f"load_table: expected target to be a column index for a .npy file (0 to {n_columns - 1}, negative from the end, "
                f"or 'last'). Received: target={target!r}. Save a CSV with a header to use column names."
            ) from None
    if not -n_columns <= index < n_columns:
        raise ValueError(f"load_table: expected a target column index from {-n_columns} to {n_columns - 1}. Received: target={target!r} for '{p}' with {n_columns} columns.")
    return index % n_columns


def _from_npz(p: Path, archive: Any, target: Any) -> tuple[pd.DataFrame, list[str]]:
    keys = sorted(archive.files)
    if "X" not in keys or "y" not in keys:
        raise ValueError(f"load_table: expected arrays named X and y in a .npz file. Received: '{p}' with arrays {keys}. Save it with np.savez(path, X=X, y=y).")
    if target is not None and [str(t) for t in ([target] if isinstance(target, (str, int)) else target)] != ["y"]:
        raise ValueError(f"load_table: expected no target, or target='y', for a .npz file (the target is its array y). Received: target={target!r}.")
    X, y = archive["X"], archive["y"]
    _numeric_2d(p, "array X", X)
    if y.ndim not in (1, 2) or y.shape[0] != X.shape[0]:
        raise ValueError(f"load_table: expected array y with one row per row of X. Received: X.shape={X.shape}, y.shape={y.shape} in '{p}'.")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    targets = ["y"] if y.ndim == 1 else [f"y{j}" for j in range(y.shape[1])]
    frame[targets] = y.reshape(len(y), -1)
    return frame, targets


# ---------------------------------------------------------------------------- values
def _handle_missing(p: Path, frame: pd.DataFrame, features: list[str], targets: list[str],
                    dropna: bool) -> tuple[pd.DataFrame, int, str]:
    """Rows with a missing value: kept and counted, or dropped with ``dropna``."""
    in_features = frame[features].isna().any(axis=1)
    in_target = frame[targets].isna().any(axis=1)
    missing = in_features | in_target
    n_missing = int(missing.sum())
    if n_missing == 0:
        return frame, 0, ""
    columns = [c for c in frame.columns if frame[c].isna().any()]
    shown = ", ".join(map(repr, columns[:5])) + (", ..." if len(columns) > 5 else "")
    gaps = (f"{n_missing} row(s) with missing values ({int(in_features.sum())} with missing features, "
            f"{int(in_target.sum())} with a missing target; columns {shown})")
    if not dropna:
        return frame, 0, gaps
    if n_missing == len(frame):
        raise ValueError(f"load_table: expected some complete rows. Received: every one of the {len(frame)} rows of '{p}' has a missing value, so dropna leaves nothing. Impute them instead.")
    return frame.loc[~missing], n_missing, gaps


def _check_finite(p: Path, frame: pd.DataFrame) -> None:
    numeric = frame.select_dtypes(include="number")
    with np.errstate(invalid="ignore"):
        infinite = np.isinf(numeric.to_numpy(dtype=np.float64, na_value=np.nan))
    if infinite.any():
        columns = [c for c, bad in zip(numeric.columns, infinite.any(axis=0)) if bad]
        raise ValueError(
            f"load_table: expected finite numbers. Received: {int(infinite.sum())} infinite value(s) in '{p}' "
            f"(columns {', '.join(map(repr, columns))}). Replace or drop them first."
        )
