"""Train/test splits for a repeated evaluation: holdout, k-fold, repeated k-fold, 5x2.

Every split comes from a scikit-learn splitter seeded with ``seed``: the same arguments
give the same splits, on any machine. With ``stratify`` class labels, the stratified
splitter keeps each class's share of rows in every test fold.

==================  =========================================  ====================================
method              splits                                     scikit-learn splitter
==================  =========================================  ====================================
``holdout``         ``repeats`` random train/test splits       ShuffleSplit / StratifiedShuffleSplit
``kfold``           ``k`` folds                                KFold / StratifiedKFold (shuffled)
``repeated_kfold``  ``repeats`` x ``k`` folds                  RepeatedKFold / RepeatedStratifiedKFold
``5x2``             5 repeats of 2 folds (Dietterich, 1998)    RepeatedKFold / RepeatedStratifiedKFold
==================  =========================================  ====================================

Holdout repeats are drawn one after another from one generator seeded with ``seed``, so
asking for more repeats keeps the earlier ones.

References
----------
Dietterich, T. G. "Approximate Statistical Tests for Comparing Supervised
Classification Learning Algorithms." Neural Computation 10(7), 1998.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from typing import Any

import numpy as np

METHODS = ("holdout", "kfold", "repeated_kfold", "5x2")


@dataclasses.dataclass(frozen=True, eq=False)
class Split:
    """One train/test split: sorted int64 row positions (read-only arrays).

    ``repeat`` counts repeats from 0 and ``fold`` the folds within a repeat (0 for holdout).
    """

    repeat: int
    fold: int
    train: np.ndarray
    test: np.ndarray

    def __post_init__(self) -> None:
        for name in ("train", "test"):
            array = np.sort(np.asarray(getattr(self, name), dtype=np.int64))
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Split):
            return NotImplemented
        return (self.repeat, self.fold) == (other.repeat, other.fold) and np.array_equal(self.train, other.train) \
            and np.array_equal(self.test, other.test)

    __hash__ = None  # type: ignore[assignment]  # holds arrays, as a list would

    def __repr__(self) -> str:
        return f"Split(repeat={self.repeat}, fold={self.fold}, train={self.train.size} rows, test={self.test.size} rows)"


def make_splits(n_samples_or_y: Any, *, method: str, seed: int, k: int | None = None, repeats: int | None = None,
                test_size: float = 0.25, stratify: Any = None) -> list[Split]:
    """Train/test splits of ``n`` rows for one study.

    Parameters
    ----------
    n_samples_or_y : int or array-like
        The number of rows, or anything with one entry per row (the target).
    method : {"holdout", "kfold", "repeated_kfold", "5x2"}
    seed : int
        Seeds the splitter (0 <= seed < 2**32).
    k : int, optional
        Folds per repeat, at least 2; default 5 (2 for ``5x2``, which accepts no other).
    repeats : int, optional
        Repeats for ``holdout`` and ``repeated_kfold``; default 1 (5 for ``5x2``, which
        accepts no other; ``kfold`` is one pass).
    test_size : float
        Share of rows in the test set, in (0, 1); ``holdout`` only.
    stratify : array-like or True, optional
        Class labels, one per row, to stratify on; ``True`` stratifies on
        ``n_samples_or_y`` itself.

    Returns
    -------
    list of Split
        Repeat by repeat, fold by fold.

    Examples
    --------
    >>> [s.test.tolist() for s in make_splits(6, method="kfold", k=3, seed=0)]
    [[2, 5], [1, 3], [0, 4]]
    """
    n, labels = _rows_and_labels(n_samples_or_y, stratify)
    if method not in METHODS:
        close = difflib.get_close_matches(str(method), METHODS, n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"make_splits: expected method in {METHODS}. Received: method={method!r}.{hint}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ValueError(f"make_splits: expected seed to be an int from 0 to 2**32 - 1. Received: seed={seed!r}.")
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float)) or not 0 < test_size < 1:
        raise ValueError(f"make_splits: expected test_size strictly between 0 and 1 (a share of the rows). Received: test_size={test_size!r}.")
    k, repeats = _folds_and_repeats(method, k, repeats)
    seed = int(seed)

    from sklearn import model_selection as ms  # lazy: scikit-learn is slow to import

    if method == "holdout":
        _check_holdout(n, labels, test_size)
        cls = ms.StratifiedShuffleSplit if labels is not None else ms.ShuffleSplit
        splitter = cls(n_splits=repeats, test_size=test_size, random_state=seed)
        folds_per_repeat = 1
    else:
        _check_folds(n, labels, k)
        if method == "kfold":
            splitter = (ms.StratifiedKFold if labels is not None else ms.KFold)(n_splits=k, shuffle=True, random_state=seed)
        else:
            cls = ms.RepeatedStratifiedKFold if labels is not None else ms.RepeatedKFold
            splitter = cls(n_splits=k, n_repeats=repeats, random_state=seed)
        folds_per_repeat = k
    rows = np.zeros((n, 1))
    target = labels if labels is not None else np.zeros(n)
    return [Split(i // folds_per_repeat, i % folds_per_repeat, train, test)
            for i, (train, test) in enumerate(splitter.split(rows, target))]


def _rows_and_labels(n_samples_or_y: Any, stratify: Any) -> tuple[int, np.ndarray | None]:
    if isinstance(n_samples_or_y, (int, np.integer)) and not isinstance(n_samples_or_y, bool):
        n = int(n_samples_or_y)
        if stratify is True:
            raise ValueError("make_splits: expected class labels in n_samples_or_y with stratify=True. Received: a row count. Pass stratify=y.")
    else:
        rows = np.asarray(n_samples_or_y.to_numpy() if hasattr(n_samples_or_y, "to_numpy") else n_samples_or_y)
        if rows.ndim == 0:
            raise ValueError(f"make_splits: expected a row count or one entry per row. Received: {n_samples_or_y!r}.")
        n = rows.shape[0]
        if stratify is True:
            stratify = rows
    if n < 2:
        raise ValueError(f"make_splits: expected at least 2 rows to split. Received: {n}.")
    if stratify is None or stratify is False:
        return n, None
    labels = np.asarray(stratify.to_numpy() if hasattr(stratify, "to_numpy") else stratify)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise ValueError(f"make_splits: expected stratify to be 1-D class labels. Received: shape {labels.shape}. For one-hot rows pass y.argmax(axis=1).")
    if labels.shape[0] != n:
        raise ValueError(f"make_splits: expected one stratify label per row. Received: {labels.shape[0]} labels for {n} rows.")
    return n, labels


def _folds_and_repeats(method: str, k: int | None, repeats: int | None) -> tuple[int, int]:
    if method == "5x2":
        if k not in (None, 2) or repeats not in (None, 5):
            raise ValueError(f"make_splits: expected no k or repeats with method='5x2' (it is 5 repeats of 2 folds). Received: k={k}, repeats={repeats}. Use 'repeated_kfold' for other counts.")
        return 2, 5
    k = 5 if k is None else k
    repeats = 1 if repeats is None else repeats
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise ValueError(f"make_splits: expected k, the number of folds, to be an int of at least 2. Received: k={k!r}.")
    if isinstance(repeats, bool) or not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise ValueError(f"make_splits: expected repeats to be an int of at least 1. Received: repeats={repeats!r}.")
    if method == "kfold" and repeats != 1:
        raise ValueError(f"make_splits: expected repeats=1 with method='kfold' (one pass over the folds). Received: repeats={repeats}. Use method='repeated_kfold'.")
    return int(k), int(repeats)


def _smallest_class(labels: np.ndarray) -> tuple[Any, int, int]:
    values, counts = np.unique(labels, return_counts=True)
    i = int(np.argmin(counts))
    return values[i].item(), int(counts[i]), len(values)  # .item(): 'dog', not np.str_('dog'), in messages


def _check_folds(n: int, labels: np.ndarray | None, k: int) -> None:
    if n < k:
        raise ValueError(f"make_splits: expected at least as many rows as folds. Received: {n} rows for k={k} folds. Use k <= {n}.")
    if labels is not None:
        value, count, _ = _smallest_class(labels)
        if count < k:
            raise ValueError(
                f"make_splits: expected every class to have at least k={k} rows for stratified folds. Received: class {value!r} "
                f"has {count} row(s). Use k <= {count}, merge or drop that class, or do not stratify."
            )


def _check_holdout(n: int, labels: np.ndarray | None, test_size: float) -> None:
    n_test = math.ceil(test_size * n)  # ShuffleSplit's rounding
    if n - n_test < 1:
        raise ValueError(f"make_splits: expected at least one training row. Received: test_size={test_size} leaves none of {n} rows. Use a smaller test_size.")
    if labels is not None:
        value, count, n_classes = _smallest_class(labels)
        if count < 2:
            raise ValueError(f"make_splits: expected every class to have at least 2 rows for a stratified holdout. Received: class {value!r} has {count} row(s). Merge or drop that class, or do not stratify.")
        if n_test < n_classes or n - n_test < n_classes:
            raise ValueError(
                f"make_splits: expected room for each of the {n_classes} classes in both sets. Received: test_size={test_size} "
                f"gives {n_test} test and {n - n_test} training rows. Change test_size, or do not stratify."
            )
