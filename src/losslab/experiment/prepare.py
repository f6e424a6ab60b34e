"""One way from a data source to what trains: load, choose columns, drop rows, decide the
problem kind once, then (per split) impute, scale and encode.

``compare`` (through the runner), ``check``, ``recommend`` and ``landscape`` all start
here, so what one accepts the others accept, and a landscape trains on the same
features and targets as a comparison of the same data.

1. **Load** a file (:func:`losslab.data.load_table`), a bundled data set
   (:func:`losslab.data.load_dataset`) or arrays.
2. **Choose columns** (:func:`losslab.data.choose_columns`): row names, IDs, constants and
   dates are left out, high-cardinality text capped, ``exclude=`` / ``include=`` obeyed.
3. **Rows**: a row whose target is missing is dropped; with ``dropna=True`` every row
   with a missing value in a used column is dropped instead of imputed.
4. **The problem kind** is read once from the raw target (``kind=`` overrides it) and
   carried in :attr:`Prepared.problem`: targets encoded as integer codes are never read
   again (28 string classes stay 28 classes, not "counts"). A used column that alone
   predicts the target almost exactly gets a warning (:func:`losslab.data.target_leaks`).
5. **Per split** (:meth:`Prepared.features`): a :class:`~losslab.data.Preprocessor` with
   the table's fixed levels and missing-indicator columns, fitted on the training rows.
   Targets are encoded for each loss and checked (:meth:`Prepared.encode`); regression
   targets are scaled with the training rows' statistics (:func:`scale_targets`).

Every decision is one line in :attr:`Prepared.notes`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import advisor, losses
from ..data import Dataset, Preprocessor, Split, choose_columns, column_kinds, make_splits, target_leaks
from ..advisor.encode import VALUE_ENCODINGS

# Other names people give the problem kinds (the CLI's --kind probabilities).
KIND_ALIASES = {"probabilities": "probability_rows", "probability": "probability_rows", "count": "counts"}
# Target encodings that are scaled with the training rows' statistics: centred and divided
# by the standard deviation ("real"), or only divided, to stay non-negative (the others).
SCALED_ENCODINGS = ("real", "non_negative", "counts", "positive")
_CENTRED = ("real",)
# Problem kinds whose target is checked for feature columns that give it away (data.leaks),
# and which of them hold class labels.
CLASS_KINDS = ("binary", "multiclass", "ordinal")
LEAK_CHECKED = (*CLASS_KINDS, "regression", "counts")


def check_kind(kind: str | None) -> str | None:
    """``kind`` as the advisor names it (``"probabilities"`` -> ``"probability_rows"``), or None."""
    if kind is None:
        return None
    key = str(kind).strip().lower()
    key = KIND_ALIASES.get(key, key)
    if key not in advisor.KINDS:
        raise ValueError(f"expected kind in {', '.join(advisor.KINDS)} (or 'probabilities'). Received: kind={kind!r}.")
    return key


@dataclasses.dataclass(frozen=True, eq=False)
class Prepared:
    """A data set ready for a study: the used columns, the target, its problem kind, the notes.

    Attributes
    ----------
    name : str
        Short name: a bundled data set's, a file's stem, or ``"arrays"``.
    data : str
        The source as a study's spec names it: ``"dataset:wine"``, ``"file:/abs/path.csv"``
        or ``"arrays"``.
    source, description : str
        Where it came from, for people (a path, ``"scikit-learn load_wine"``), and one line about it.
    X : pandas.DataFrame
        The used feature columns, rows renumbered; missing values still missing (they
        are imputed per training fold). Empty (no columns) when prepared for the target only.
    y : pandas.Series or pandas.DataFrame
        The raw target (no row with a missing target).
    problem : losslab.advisor.Problem
        The problem kind and its evidence, read once from ``y`` (or as ``kind=`` said).
    notes : tuple of str
        One line per decision: columns left out or capped, rows dropped, values imputed.
    levels : dict
        Text column -> its levels (read from the whole column).
    indicate : tuple of str
        Columns with missing values, which get a missing-indicator column.
    dropped_columns : dict
        Column -> why it was left out.
    rows_read : int
        Rows before any was dropped.
    """

    name: str
    data: str
    source: str
    description: str
    X: pd.DataFrame
    y: pd.Series | pd.DataFrame
    problem: Any
    notes: tuple[str, ...] = ()
    levels: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    indicate: tuple[str, ...] = ()
    dropped_columns: dict[str, str] = dataclasses.field(default_factory=dict)
    rows_read: int = 0

    @property
    def kind(self) -> str:
        return self.problem.kind

    @property
    def classes(self) -> tuple | None:
        return None if self.problem.classes is None else tuple(self.problem.classes)

    @property
    def y_values(self) -> np.ndarray:
        return self.y.to_numpy()

    def info(self) -> dict[str, Any]:
        """What a study stores about its data (``Study.info``)."""
        return {"data": self.data, "source": self.source, "description": self.description, "rows": len(self.y),
                "rows_read": self.rows_read, "features": int(self.X.shape[1]), "columns_used": [str(c) for c in self.X.columns],
                "columns_dropped": dict(self.dropped_columns), "kind": self.kind, "problem": self.problem.evidence,
                "data_notes": list(self.notes)}

    # ------------------------------------------------------------------ features
    def preprocessor(self) -> Preprocessor:
        """An unfitted :class:`~losslab.data.Preprocessor` with this table's fixed levels and indicators."""
        return Preprocessor(levels=self.levels, indicate=list(self.indicate))

    def features(self, fit_rows: np.ndarray) -> np.ndarray:
        """Every row's features, imputed, scaled and encoded with statistics of ``fit_rows`` only.

        The width is the same for every ``fit_rows``: the levels and indicator columns are the table's.
        """
        if self.X.shape[1] == 0:
            raise ValueError("expected feature columns. Received: data prepared for its target only (features=False).")
        return self.preprocessor().fit(self.X, rows=np.asarray(fit_rows)).transform(self.X)

    # ------------------------------------------------------------------ targets
    def encode(self, loss: Any, output_activation: str | None = None, *, output_units: int | None = None):
        """The target encoded as ``loss`` expects it, checked against the loss and its output
        layer (``output_activation``, ``output_units``; default: the units the encoding needs).

        The check reads the encoded values with the problem kind decided from the raw
        target, never re-inferred from the codes. Where the target cannot be encoded for
        this loss, the advisor's refusal (with its fix) is raised.
        """
        spec = loss if isinstance(loss, losses.LossSpec) else losses.get(loss)
        activation = output_activation  # None: the output layer is not checked
        classes = self.classes if spec.target_encoding not in VALUE_ENCODINGS else None
        try:
            enc = advisor.encode_targets(self.y, spec, classes=classes)
        except ValueError:
            # The raw targets against the loss: the advisor says what does not fit, and the fix.
            advisor.check(spec, activation, self.y, kind=self.kind)
            raise
        advisor.check(spec, activation, enc.values, output_units=enc.output_units if output_units is None else output_units,
                      kind=self.kind)
        return enc

    def strata(self) -> np.ndarray | None:
        """The class of every row (an index), for stratified splits; None when the target has no classes."""
        p = self.problem
        if p.classes is None or p.kind in ("multilabel", "probability_rows"):
            return None
        values = self.y.to_numpy()
        if values.ndim == 2 and values.shape[1] > 1:  # one-hot rows
            return values.argmax(axis=1)
        # Position in problem.classes, compared as text (1 and 1.0 and "1" are one class there too).
        lookup = {str(c): i for i, c in enumerate(p.classes)}
        return np.fromiter((lookup[str(v)] for v in values.reshape(-1)), dtype=np.int64, count=values.shape[0])

    def splits(self, *, method: str, seed: int, k: int | None = None, repeats: int | None = None,
               test_size: float = 0.25, stratify: bool = True) -> tuple[list[Split], list[str]]:
        """Train/test splits (:func:`losslab.data.make_splits`), stratified on the classes where they allow it.

        Classes with too few rows to stratify (fewer than the folds, or than 2 for a
        hold-out) are pooled into one group; if that leaves too few groups, or a hold-out
        too small to hold every group, the splits are not stratified. Each such decision
        is a note, never a refusal.
        """
        labels = self.strata() if stratify else None
        notes: list[str] = []
        if labels is not None:
            labels, notes = _poolable(labels, self.classes, method=method, k=k, test_size=test_size)
        splits = make_splits(len(self.y), method=method, seed=seed, k=k, repeats=repeats, test_size=test_size,
                             stratify=labels)
        return splits, notes


def scale_targets(values: np.ndarray, encoding: str, fit_rows: np.ndarray) -> tuple[np.ndarray, tuple | None]:
    """Regression targets scaled with the statistics of ``fit_rows``: ``(scaled, (mean, std))``.

    ``"real"`` targets are standardized; non-negative and positive ones (Poisson, MSLE,
    Gamma) are only divided by the standard deviation, which keeps their sign. A column
    with no spread is left unscaled (std 1). Other encodings pass unchanged, with scale None.
    Predictions go back to the target's units as ``outputs * std + mean``.
    """
    values = np.asarray(values)
    if encoding not in SCALED_ENCODINGS:
        return values, None
    v2 = values.reshape(len(values), -1).astype(np.float64)
    rows = np.asarray(fit_rows)
    mean = v2[rows].mean(axis=0) if encoding in _CENTRED else np.zeros(v2.shape[1])
    std = v2[rows].std(axis=0)
    std = np.where(std > 0, std, 1.0)
    scaled = ((v2 - mean) / std).reshape(values.shape)
    scale = (mean, std) if values.ndim == 2 else (mean[0], std[0])
    return scaled, scale


# ---------------------------------------------------------------------- loading
def load(data: str | None = None, target: str | Sequence[str] | None = None, *, X: Any = None, y: Any = None,
         dataset: str | None = None) -> tuple[Dataset, str]:
    """The raw data set and its source text: a file (``data`` and ``target``), a bundled data set, or arrays."""
    from pathlib import Path

    from ..data import load_dataset, load_table

    sources = sum(v is not None for v in (data, dataset, X))
    if sources != 1:
        raise ValueError("expected exactly one of X (with y), data (a file) or dataset (a bundled name). Received: "
                         + ("none" if sources == 0 else "more than one") + ".")
    if dataset is not None:
        if target:
            raise ValueError(f"expected no target with dataset={dataset!r}: its target is built in. Received: target={target!r}.")
        ds = load_dataset(dataset)
        return ds, f"dataset:{ds.name}"
    if data is not None:
        if not target and Path(str(data)).suffix.lower() not in (".npy", ".npz"):
            raise ValueError(f"expected target, the name of the target column of {data}. Received: target={target!r}.")
        targets = [t.strip() for t in target.split(",")] if isinstance(target, str) else (list(target) if target else None)
        ds = load_table(data, targets if targets is None or len(targets) > 1 else targets[0])
        return ds, f"file:{Path(str(data)).resolve()}"
    if y is None:
        raise ValueError("expected y beside X. Received: y=None.")
    # Arrays keep the names compare has always given them (columns "0", "1", ...), so that a
    # study of arrays resumes with the same data fingerprint.
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    frame = frame.rename(columns=str).reset_index(drop=True)
    if isinstance(y, (pd.Series, pd.DataFrame)):
        target_ = y.reset_index(drop=True)
    else:
        array = np.asarray(y)
        target_ = pd.Series(array) if array.ndim == 1 else pd.DataFrame(array).rename(columns=str)
    if len(frame) != len(target_):
        raise ValueError(f"expected one target per row of X. Received: {len(frame)} rows in X and {len(target_)} targets in y.")
    return Dataset("arrays", frame, target_, "arrays", f"{len(frame)} rows"), "arrays"


def prepare(data: str | None = None, target: str | Sequence[str] | None = None, *, X: Any = None, y: Any = None,
            dataset: str | None = None, kind: str | None = None, dropna: bool = False,
            exclude: Sequence[str] | str | None = None, include: Sequence[str] | str | None = None,
            features: bool = True) -> Prepared:
    """Load and prepare a data set for ``compare``, ``check``, ``recommend`` or ``landscape``.

    Parameters
    ----------
    data, target : str, optional
        A data file and its target column(s) (see :func:`losslab.data.load_table`).
    X, y : array-like, optional
        Features and targets given directly.
    dataset : str, optional
        A bundled data set (see :func:`losslab.data.load_dataset`).
    kind : str, optional
        The problem kind (``"regression"``, ``"counts"``, ``"binary"``, ``"multiclass"``,
        ``"multilabel"``, ``"probabilities"``, ...), instead of reading it from ``y``.
    dropna : bool
        Drop every row with a missing value in a used column (default: impute features,
        drop only rows whose target is missing). Without features, only the target counts.
    exclude, include : list of str or comma-separated str, optional
        Feature columns to leave out, or to keep where the rules would leave them out.
    features : bool
        False: prepare the target only (``recommend``, ``check``): no column is chosen,
        and a missing feature never drops a row.

    Returns
    -------
    Prepared
    """
    kind = check_kind(kind)
    ds, source = load(data, target, X=X, y=y, dataset=dataset)
    notes: list[str] = []
    dropped_columns: dict[str, str] = {}
    if features:
        selection = choose_columns(ds.X, exclude=exclude, include=include)
        frame, dropped_columns = selection.X, selection.dropped
        notes += selection.notes
        if frame.shape[1] == 0:
            raise ValueError("expected at least one feature column to use. Received: every column was left out ("
                             + "; ".join(f"{c}: {r}" for c, r in dropped_columns.items())
                             + "). Pass include=[...] to keep one.")
    else:
        frame = ds.X.iloc[:, :0]
    yv = ds.y
    target_missing = (yv.isna().any(axis=1) if isinstance(yv, pd.DataFrame) else yv.isna()).to_numpy()
    keep = ~target_missing
    if target_missing.any():
        notes.append(f"dropped {int(target_missing.sum())} row(s) whose target is missing")
    if dropna and frame.shape[1]:
        feature_missing = frame.isna().any(axis=1).to_numpy() & keep
        if feature_missing.any():
            notes.append(f"dropped {int(feature_missing.sum())} row(s) with a missing feature value (dropna)")
        keep &= ~feature_missing
    if not keep.any():
        raise ValueError(f"expected rows with a target. Received: all {len(keep)} rows of {ds.name} were dropped for missing values.")
    if not keep.all():  # (selecting every row would copy a large table for nothing)
        frame, yv = frame.loc[keep], yv.loc[keep]
    frame = frame.reset_index(drop=True)
    yv = yv.reset_index(drop=True)
    problem = advisor.infer_problem(yv, kind=kind)
    if frame.shape[1] and problem.kind in LEAK_CHECKED:
        notes += target_leaks(frame, yv, classes=problem.kind in CLASS_KINDS)
    levels, indicate = _layout(frame)
    if indicate:
        counts = ", ".join(f"`{c}` ({int(frame[c].isna().sum())})" for c in indicate)
        notes.append(f"missing values in {counts}: imputed with each training fold's median (numbers) or most frequent "
                     "level (text), plus a missing-indicator column each")
    description = ds.description
    return Prepared(ds.name, source, ds.source, description, frame, yv, problem, tuple(notes), levels, tuple(indicate),
                    dropped_columns, len(ds.y))


def _layout(frame: pd.DataFrame) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """The levels of every text column (read from the whole column) and the columns with missing values."""
    levels = {}
    for c in column_kinds(frame)["categorical"]:
        # As the Preprocessor encodes them: text, sorted as scikit-learn sorts categories.
        levels[c] = tuple(sorted(frame[c].dropna().astype(str).unique()))
    return levels, [c for c in frame.columns if frame[c].isna().any()]


def _poolable(labels: np.ndarray, classes: tuple | None, *, method: str, k: int | None,
              test_size: float) -> tuple[np.ndarray | None, list[str]]:
    """Stratification groups: classes too rare for the splits pooled into one group; None when
    stratifying cannot work at all. With a note for each decision."""
    need = 2 if method in ("holdout", "5x2") else int(k or 5)
    values, counts = np.unique(labels, return_counts=True)
    rare = values[counts < need]
    notes = []
    out = labels.copy()
    if rare.size:
        names = [classes[i] if classes is not None and i < len(classes) else i for i in rare]
        shown = ", ".join(f"{n!r} ({int(counts[values == i][0])} row(s))" for n, i in zip(names[:5], rare[:5]))
        more = f" and {rare.size - 5} more" if rare.size > 5 else ""
        pooled = np.isin(labels, rare)
        out[pooled] = -1
        what = f"{need} stratified folds" if method not in ("holdout", "5x2") else "a stratified split"
        where = "pooled into one group for stratification"
        if pooled.sum() < need:  # too few even together: they go with the largest class
            out[pooled] = values[np.argmax(counts)]
            where = "stratified together with the largest class"
        notes.append(f"class(es) {shown}{more} have fewer than {need} rows, too few for {what}: {where}")
    groups = np.unique(out).size
    n = len(out)
    if groups < 2:
        notes.append("after pooling rare classes fewer than 2 groups remain: splits not stratified")
        return None, notes
    if method == "holdout":
        n_test = math.ceil(test_size * n)
        if n_test < groups or n - n_test < groups:
            notes.append(f"{groups} class groups do not fit in {n_test} test and {n - n_test} training rows: splits not stratified")
            return None, notes
    return out, notes
