"""What kind of learning problem do the targets ``y`` describe?

:func:`infer_problem` reads a target array the way scikit-learn's ``type_of_target``
does, as a documented enumeration of kinds, each with an example. It parts from
``type_of_target`` where that function misleads someone choosing a loss: float
counts such as ``1.0, 2.0, ..., 300.0`` are ``"multiclass"`` there (300 classes) and
``"counts"`` here; and every two-valued numeric column is ``"binary"`` here, whatever
its two values are.

Kinds
-----
``"binary"``
    Two distinct labels in one column: ``[0, 1, 1, 0]``, ``[1, 2, 2]``, ``[-1, 1]``,
    ``["spam", "ham"]``, ``[True, False]``.
``"multiclass"``
    One label per sample out of three or more: strings, booleans or categoricals
    (``["a", "b", "c"]``); integers with at most :data:`MAX_CLASSES` distinct values,
    each seen at least ``min(MIN_CLASS_COUNT, n // n_distinct)`` times
    (``[0, 1, 2, 2, 1, 0]``); or one-hot rows, exactly one 1 per row
    (``[[1, 0, 0], [0, 0, 1]]``, ``form="one_hot"``).
``"multilabel"``
    Several 0/1 (or boolean) columns, any number of ones per row:
    ``[[1, 0, 1], [0, 0, 1]]`` (``form="indicator"``).
``"probability_rows"``
    Several non-negative columns whose rows sum to 1 (within :data:`ROW_SUM_ATOL`):
    ``[[0.2, 0.8], [0.5, 0.5]]``.
``"counts"``
    One column of non-negative integers (as ints or floats) that are not class labels:
    more than :data:`MAX_CLASSES` distinct values, or a rarest value seen too seldom for
    a class; and the smallest is 0 or 1 (at most :data:`COUNTS_MAX_MINIMUM`), as event
    counts are: ``[0, 3, 1, 0, 12, 2, 7]``, ``1.0, 2.0, ..., 300.0``.
``"ordinal"``
    Ordered levels, only when asked (``kind="ordinal"``): ``[0, 3, 6, 2, ...]`` on a 7-level
    scale, ``["low", "mid", "high"]`` as an ordered pandas Categorical.
``"regression"``
    Everything else numeric: ``[0.5, -1.2, 3.3]``; integers that are neither labels nor
    counts by the rules above (``[25, 310, 151, ...]``, a score); several real columns
    (multi-output regression, ``n_columns > 1``).

Ambiguity
---------
The numbers alone cannot always tell. ``[0, 1, 2, 3]`` repeated is four classes or
small counts; a score in 25..346 may be a count. The rules above pick one reading and
say so in :attr:`Problem.notes`; pass ``kind=`` to :func:`infer_problem` (and to
``recommend``) to choose the other.

Refusals
--------
Empty targets, NaN / infinite / missing values (counted), a single class or value,
more than two dimensions, mixed label types and multi-column string labels raise
``ValueError`` (``TypeError`` for what is not a target array at all).

(:class:`~.problem.Problem` is the record this module fills; the thresholds that describe a
problem once read live beside it in :mod:`.problem`.) Imports the advisor's ``problem`` and
``targets``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .problem import KINDS, OUTLIER_MADS, Problem
from .targets import (
    Targets,
    fmt,
    form_2d,
    plain,
    read_targets,
    show,
    unique_labels,
    value_stats,
)

__all__ = ["COUNTS_MAX_MINIMUM", "KIND_ALIASES", "MAX_CLASSES", "MIN_CLASS_COUNT", "infer_problem"]

#: Other names ``kind=`` accepts (what ``--kind`` offers), and the kind each stands for.
KIND_ALIASES = {"probabilities": "probability_rows"}

#: Integer targets with more distinct values than this are never read as class labels.
MAX_CLASSES = 20
#: Each integer class must appear at least min(MIN_CLASS_COUNT, n // n_distinct) times:
#: the rare tail values of counts (a 9 seen once) fail this, class labels rarely do. Values
#: that are all distinct are classes only when they run without gaps (0, 1, 2).
MIN_CLASS_COUNT = 5
#: Non-negative integers are counts when their smallest value is at most this (0 or 1).
COUNTS_MAX_MINIMUM = 1


def _stats(x: np.ndarray) -> dict[str, Any]:
    return value_stats(x, OUTLIER_MADS)


def _single_class(value: Any, n: int) -> ValueError:
    return ValueError(
        f"y holds a single class: all {n} targets are {value!r}, so there is nothing to learn. "
        "Check how the sample was drawn or split (stratify it), or drop this target."
    )


def _class_fields(classes: tuple, counts: tuple[int, ...], n: int) -> dict[str, Any]:
    return {
        "classes": classes, "class_counts": counts,
        "minority_share": min(counts) / n,
        "imbalance_ratio": min(counts) / max(counts),
    }


def _counts_text(counts: Sequence[int], limit: int = 8) -> str:
    return " / ".join(str(c) for c in counts[:limit]) + (" / ..." if len(counts) > limit else "")


def _classes_1d(t: Targets, n: int, kind: str, numeric_stats: dict | None = None, notes: tuple = (), why: str = "") -> Problem:
    classes, counts = unique_labels(t.array, t.categories)
    fields = _class_fields(classes, counts, n)
    what = "values" if not t.labels else "labels"
    extra = f" (minority share {fields['minority_share']:.1%})" if kind == "binary" else ""
    evidence = f"{kind}: {len(classes)} distinct {what} {show(classes)}, {_counts_text(counts)}{extra}"
    if why:
        evidence += f"; {why}"
    stats = {k: numeric_stats[k] for k in ("min", "max", "median", "std", "integer_valued")} if numeric_stats else {}
    return Problem(kind=kind, form="labels", evidence=evidence, n_samples=n, n_columns=1, n_distinct=len(classes),
                   notes=notes, **fields, **stats)


def _values_1d(x: np.ndarray, kind: str, stats: dict, n_distinct: int, why: str, notes: tuple) -> Problem:
    n = x.shape[0]
    evidence = f"{kind}: {n_distinct} distinct values in [{fmt(stats['min'])}, {fmt(stats['max'])}]; {why}"
    return Problem(kind=kind, form="values", evidence=evidence, n_samples=n, n_columns=1, n_distinct=n_distinct, notes=notes, **stats)


def _infer_1d(t: Targets) -> Problem:
    a = t.array
    n = a.shape[0]
    if t.labels:
        classes, counts = unique_labels(a, t.categories)
        if len(classes) == 1:
            raise _single_class(classes[0], n)
        notes = ()
        if len(classes) > MAX_CLASSES and len(classes) > n / 2:
            notes = (f"{len(classes)} distinct labels in {n} samples: are these identifiers rather than classes?",)
        return _classes_1d(t, n, "binary" if len(classes) == 2 else "multiclass", notes=notes)

    x = a.astype(np.float64)
    values, counts = np.unique(x, return_counts=True)
    k = values.size
    if k == 1:
        raise _single_class(plain(a[0]), n)
    stats = _stats(x)
    if k == 2:
        # Whatever the two values are ({0, 1}, {1, 2}, {-1, 1}, {0.5, 3.7}): two classes.
        return _classes_1d(t, n, "binary", stats)
    integer, non_negative = stats["integer_valued"], stats["min"] >= 0
    need = min(MIN_CLASS_COUNT, n // k)
    # Values that are all distinct are classes only as a run of labels (0, 1, 2): twenty
    # distinct values 1.0 .. 355.0 are measurements, not twenty classes of one sample each.
    scattered = k == n and stats["max"] - stats["min"] != k - 1
    if integer and k <= MAX_CLASSES and counts.min() >= need and not scattered:
        notes = ()
        if non_negative:
            notes = (f"{k} small non-negative integers, read as class labels; if they are counts, pass kind='counts'",)
        why = f"at most {MAX_CLASSES} distinct integers, each seen >= {need} times: read as classes"
        return _classes_1d(t, n, "multiclass", stats, notes, why)
    notes: tuple[str, ...] = ()
    if integer and k <= MAX_CLASSES:
        notes += (f"only {k} distinct integers, but the rarest appears {int(counts.min())} time(s) (< {need}), "
                  "so not read as classes; if they are class labels, pass kind='multiclass'",)
    if integer and non_negative and stats["min"] <= COUNTS_MAX_MINIMUM:
        why = f"non-negative integers from {fmt(stats['min'])}, {'more than ' + str(MAX_CLASSES) + ' distinct values, ' if k > MAX_CLASSES else ''}read as counts, not classes"
        return _values_1d(x, "counts", stats, k, why, notes)
    if integer and non_negative:
        notes += (f"non-negative integers, but the smallest is {fmt(stats['min'])} (> {COUNTS_MAX_MINIMUM}), so read as a regression "
                  "target; if they are counts, pass kind='counts'",)
        why = "integer-valued" + (f", more than {MAX_CLASSES} distinct values (not classes)" if k > MAX_CLASSES else "")
    elif integer:
        why = "integer-valued with negative values" + (f", more than {MAX_CLASSES} distinct values (not classes)" if k > MAX_CLASSES else "")
    else:
        why = "real-valued"
        if non_negative and stats["max"] <= 1:
            notes += ("all targets in [0, 1]: if they are probabilities of a binary outcome, binary_crossentropy takes them as soft targets",)
    return _values_1d(x, "regression", stats, k, why, notes)


def _infer_2d(t: Targets) -> Problem:
    a = t.array
    n, k = a.shape
    columns = t.columns if t.columns is not None else tuple(range(k))
    if t.labels and a.dtype.kind != "b":
        raise ValueError(
            f"expected one column of labels, or numeric columns. Received: {k} columns of labels (multi-output multiclass), "
            "which losslab does not handle. Model one label column at a time."
        )
    x = a.astype(np.float64)
    n_distinct_rows = int(np.unique(x, axis=0).shape[0])
    form = form_2d(x)
    if form in ("one_hot", "indicator"):
        sums = x.sum(axis=1)
        col_counts = tuple(int(c) for c in x.sum(axis=0))
        if form == "one_hot":
            used = [c for c, m in zip(columns, col_counts) if m]
            if len(used) == 1:
                raise _single_class(used[0], n)
            fields = _class_fields(columns, col_counts, n)
            notes = ()
            if len(used) < k:
                notes = (f"{k - len(used)} one-hot column(s) never set: classes absent from this sample",)
            evidence = f"multiclass (one-hot encoded): {k} columns, exactly one 1 per row, {_counts_text(col_counts)}"
            return Problem(kind="multiclass", form="one_hot", evidence=evidence, n_samples=n, n_columns=k,
                           n_distinct=n_distinct_rows, notes=notes, min=0.0, max=1.0, integer_valued=True, **fields)
        if n_distinct_rows == 1:
            raise _single_class(tuple(plain(v) for v in a[0]), n)
        negatives = tuple(n - c for c in col_counts)
        rare = [min(p, q) for p, q in zip(col_counts, negatives)]
        ratio = min(min(p, q) / max(p, q) for p, q in zip(col_counts, negatives))
        notes = tuple(f"label {c!r} is {'never' if p == 0 else 'always'} set" for c, p in zip(columns, col_counts) if p in (0, n))
        evidence = (f"multilabel: {k} columns of 0/1, {float(sums.mean()):.3g} labels per row on average, "
                    f"positives per label {_counts_text(col_counts)}")
        return Problem(kind="multilabel", form="indicator", evidence=evidence, n_samples=n, n_columns=k, n_distinct=n_distinct_rows,
                       classes=columns, class_counts=col_counts, minority_share=min(rare) / n, imbalance_ratio=ratio,
                       min=0.0, max=1.0, integer_valued=True, notes=notes)
    if n_distinct_rows == 1:
        raise _single_class(tuple(plain(v) for v in a[0]), n)
    if form == "probability_rows":
        deviation = float(np.abs(x.sum(axis=1) - 1.0).max())
        evidence = f"probability_rows: {k} non-negative columns, each row sums to 1 (largest deviation {deviation:.1g})"
        return Problem(kind="probability_rows", form="probability_rows", evidence=evidence, n_samples=n, n_columns=k,
                       n_distinct=n_distinct_rows, classes=columns, min=float(x.min()), max=float(x.max()),
                       integer_valued=bool(np.all(x == np.round(x))))
    stats = _stats(x)
    notes = ()
    if stats["integer_valued"] and stats["min"] >= 0:
        notes = ("every column holds non-negative integers: if they are counts, pass kind='counts'",)
    evidence = (f"regression with {k} outputs: {k} numeric columns (not 0/1, rows not summing to 1), "
                f"values in [{fmt(stats['min'])}, {fmt(stats['max'])}]")
    return Problem(kind="regression", form="values", evidence=evidence, n_samples=n, n_columns=k, n_distinct=n_distinct_rows,
                   notes=notes, **stats)


def _forced(t: Targets, kind: str) -> Problem:
    """The targets read as ``kind``, when the caller settles an ambiguity; refuses what cannot be."""
    a = t.array
    base = _infer(t)
    if kind == base.kind:
        return base
    note = (f"kind={kind!r} given; inferred {base.kind!r} ({base.evidence})",)
    if kind == "ordinal":
        return _ordinal(t, base, note)
    if kind in ("binary", "multiclass") and a.ndim == 1:
        classes, _ = unique_labels(a, t.categories)
        if kind == "binary" and len(classes) != 2:
            raise ValueError(f"kind='binary' needs exactly 2 distinct labels. Received: {len(classes)} ({show(classes)}).")
        stats = _stats(a.astype(np.float64)) if not t.labels else None
        return _classes_1d(t, a.shape[0], kind, stats, note, "read as classes as asked")
    if kind in ("counts", "regression") and not t.labels and a.ndim == 1:
        x = a.astype(np.float64)
        stats = _stats(x)
        if kind == "counts" and stats["min"] < 0:
            raise ValueError(f"kind='counts' needs non-negative targets. Received: a smallest value of {fmt(stats['min'])}.")
        return _values_1d(x, kind, stats, int(np.unique(x).size), f"read as {kind} as asked", note)
    if kind in ("counts", "regression") and not t.labels and a.ndim == 2:
        x = a.astype(np.float64)
        if kind == "counts" and x.min() < 0:
            raise ValueError(f"kind='counts' needs non-negative targets. Received: a smallest value of {fmt(float(x.min()))}.")
        stats = _stats(x)
        evidence = f"{kind} with {x.shape[1]} outputs: values in [{fmt(stats['min'])}, {fmt(stats['max'])}], read as {kind} as asked"
        return Problem(kind=kind, form="values", evidence=evidence, n_samples=x.shape[0], n_columns=x.shape[1],
                       n_distinct=base.n_distinct, notes=note, **stats)
    raise ValueError(f"kind={kind!r} does not fit these targets: they read as {base.evidence}.")


def _ordinal(t: Targets, base: Problem, note: tuple[str, ...]) -> Problem:
    """Ordered levels: one column, at least three levels, in sorted (or categorical) order."""
    a = t.array
    if a.ndim != 1:
        raise ValueError(f"kind='ordinal' needs one column of ordered levels. Received: {a.shape[1]} columns ({base.evidence}).")
    classes, counts = unique_labels(a, t.categories)
    if len(classes) < 3:
        raise ValueError(f"kind='ordinal' needs at least 3 ordered levels. Received: {len(classes)} ({show(classes)}). "
                         "Two levels are a binary problem: pass kind='binary'.")
    n = a.shape[0]
    if t.labels and t.categories is None:
        note += (f"string levels are ordered alphabetically {show(classes)}; if that is not their order, "
                 "pass an ordered pandas Categorical (or integer levels)",)
    stats = {k: v for k, v in _stats(a.astype(np.float64)).items() if k in ("min", "max", "median", "std", "integer_valued")} \
        if not t.labels else {}
    evidence = f"ordinal: {len(classes)} ordered levels {show(classes)}, {_counts_text(counts)}; read as ordered levels as asked"
    return Problem(kind="ordinal", form="labels", evidence=evidence, n_samples=n, n_columns=1, n_distinct=len(classes),
                   notes=note, **_class_fields(classes, counts, n), **stats)


def _infer(t: Targets) -> Problem:
    return _infer_1d(t) if t.array.ndim == 1 else _infer_2d(t)


def infer_problem(y: Any, *, kind: str | None = None) -> Problem:
    """Read the kind of learning problem from the targets.

    Parameters
    ----------
    y : array-like of shape (n,) or (n, k)
        Targets: a list, NumPy array, pandas Series or DataFrame (categoricals welcome),
        torch tensor; numbers, strings or booleans.
    kind : str, optional
        Settle an ambiguity yourself (one of :data:`KINDS`, or ``"probabilities"`` for
        ``"probability_rows"``): ``kind="counts"`` for integers that the rules read as
        classes, ``kind="multiclass"`` for the reverse, ``kind="ordinal"`` for ordered
        levels (a 7-level survey answer; never inferred). The targets must still fit it.

    Returns
    -------
    Problem
        The kind, the evidence sentence and the statistics behind it.

    Raises
    ------
    ValueError
        Empty targets; NaN, infinite or missing values (counted); a single class or
        value; more than two dimensions; several columns of string labels.
    TypeError
        Mixed label types, or values that are neither numbers nor labels.

    Examples
    --------
    >>> infer_problem([0, 1, 1, 0, 1]).evidence
    'binary: 2 distinct values {0, 1}, 2 / 3 (minority share 40.0%)'
    >>> infer_problem(["cat", "dog", "bird", "dog"]).kind
    'multiclass'
    >>> infer_problem([float(i) for i in range(1, 301)]).kind
    'counts'
    >>> infer_problem([[1, 0, 1], [0, 1, 1], [0, 0, 1]]).kind
    'multilabel'
    >>> infer_problem([[0.2, 0.8], [0.5, 0.5]]).kind
    'probability_rows'
    """
    t = read_targets(y)
    if kind is None:
        return _infer(t)
    kind = KIND_ALIASES.get(kind, kind) if isinstance(kind, str) else kind
    if kind not in KINDS:
        raise ValueError(f"expected kind in {KINDS} (or {tuple(KIND_ALIASES)}). Received: kind={kind!r}.")
    return _forced(t, kind)
