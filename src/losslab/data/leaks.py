"""Feature columns that give the target away, said out loud before a study trains.

Real tables often carry the target twice: R's ``MASS::birthwt`` has the birth weight ``bwt``
beside ``low`` (``bwt`` under 2,500 g), ISLR's ``Smarket`` has ``Today``, whose sign is
``Direction``, and ISLR's ``Wage`` has ``logwage`` beside ``wage``. With such a column a
study compares how well each loss reads the target back out of it, not the problem the user
has. It may also be a
genuine, very strong predictor, so it is not dropped: :func:`target_leaks` returns one
warning per column and the user decides.

A column is flagged when it *alone* predicts the target almost exactly (:data:`THRESHOLD`):

- class targets: a numeric column through a few thresholds (a decision tree on that column
  with at most one leaf more than there are classes; a missing value is a value of its own,
  so a column missing exactly where a class is gets flagged too), a text column through the
  majority class of each level (only with at most one level per :data:`ROWS_PER_LEVEL` rows,
  so that an ID-like column cannot look perfect), scored by balanced accuracy on the rows;
- numeric targets: a numeric column whose rank correlation with the target is at least
  :data:`THRESHOLD` in absolute value (any monotone transform of the target: ``log``, a unit).

Tables of more than :data:`MAX_ROWS` rows are checked on a fixed sample of that many rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..vocab import WARNING

THRESHOLD = 0.99  # balanced accuracy (classes) or |rank correlation| (values) that flags a column
MIN_ROWS = 30  # fewer rows than this: nothing is flagged (a perfect score is too easy by chance)
MAX_ROWS = 20_000
ROWS_PER_LEVEL = 10


def target_leaks(X: pd.DataFrame, y: pd.Series | pd.DataFrame, *, classes: bool) -> list[str]:
    """One warning per feature column of ``X`` that alone predicts ``y`` almost exactly.

    Parameters
    ----------
    X : pandas.DataFrame
        The feature columns a study uses, rows aligned with ``y``.
    y : pandas.Series
        The target (a frame of several targets is not checked: ``[]``).
    classes : bool
        Whether ``y`` holds class labels (binary, multiclass, ordinal) or values (regression,
        counts).

    Examples
    --------
    >>> X = pd.DataFrame({"bwt": np.arange(2000, 3600, 20), "age": np.tile([19, 23, 31, 27], 20)})
    >>> target_leaks(X, pd.Series(np.where(X["bwt"] < 2500, "low", "normal")), classes=True)
    ["warning: `bwt` alone predicts the target almost exactly (balanced accuracy 1.000, from one threshold at 2490): it may be computed from the target or known only with it, and then the study compares how well each loss reads it back, not the problem; if it is not known when you predict, exclude=['bwt']"]
    """
    if isinstance(y, pd.DataFrame) or len(y) < MIN_ROWS:
        return []
    X, y = X.reset_index(drop=True), y.reset_index(drop=True)
    if len(y) > MAX_ROWS:
        rows = np.sort(np.random.default_rng(0).choice(len(y), MAX_ROWS, replace=False))
        X, y = X.iloc[rows].reset_index(drop=True), y.iloc[rows].reset_index(drop=True)
    warnings = []
    for name in X.columns:
        found = _class_score(X[name], y) if classes else _value_score(X[name], y)
        if found is not None and found[0] >= THRESHOLD:
            warnings.append(f"{WARNING}`{name}` alone predicts the target almost exactly ({found[1]}): it may be "
                            "computed from the target or known only with it, and then the study compares how well "
                            "each loss reads it back, not the problem; if it is not known when you predict, "
                            f"exclude=[{str(name)!r}]")
    return warnings


def _numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _class_score(column: pd.Series, y: pd.Series) -> tuple[float, str] | None:
    codes, _ = pd.factorize(y)
    k = int(codes.max()) + 1
    if k < 2:
        return None
    if _numeric(column):
        return _thresholds(column.to_numpy(dtype=float), codes, k)
    levels, _ = pd.factorize(column, use_na_sentinel=False)  # missing is a level of its own
    n_levels = int(levels.max()) + 1
    if n_levels < 2 or n_levels * ROWS_PER_LEVEL > len(levels):
        return None
    # Each level predicts its most frequent class.
    table = np.zeros((n_levels, k), dtype=np.int64)
    np.add.at(table, (levels, codes), 1)
    score = _balanced_accuracy(codes, table.argmax(axis=1)[levels], k)
    return score, f"balanced accuracy {score:.3f}, from its {n_levels} levels"


def _thresholds(x: np.ndarray, codes: np.ndarray, k: int) -> tuple[float, str] | None:
    from sklearn.tree import DecisionTreeClassifier

    missing = np.isnan(x)
    if missing.all() or np.nanmin(x) == np.nanmax(x) and not missing.any():
        return None
    if missing.any():  # below every value: the tree can split the missing rows off
        x = np.where(missing, np.nanmin(x) - 1.0, x)
    tree = DecisionTreeClassifier(max_leaf_nodes=k + 1, random_state=0).fit(x[:, None], codes)
    score = _balanced_accuracy(codes, tree.predict(x[:, None]), k)
    cuts = sorted(t for t, left in zip(tree.tree_.threshold, tree.tree_.children_left) if left != -1)
    if missing.any():
        how = f"from {len(cuts)} threshold(s), a missing value counted as one below every other"
    elif len(cuts) == 1:
        how = f"from one threshold at {cuts[0]:.4g}"
    else:
        how = f"from {len(cuts)} thresholds ({', '.join(f'{c:.4g}' for c in cuts)})"
    return score, f"balanced accuracy {score:.3f}, {how}"


def _balanced_accuracy(codes: np.ndarray, predicted: np.ndarray, k: int) -> float:
    """Mean recall over the classes (all present: they are the target's own)."""
    hits = np.bincount(codes[predicted == codes], minlength=k)
    return float(np.mean(hits / np.bincount(codes, minlength=k)))


def _value_score(column: pd.Series, y: pd.Series) -> tuple[float, str] | None:
    if not _numeric(column) or not _numeric(y):
        return None
    both = column.notna() & y.notna()
    if both.sum() < MIN_ROWS:
        return None
    a, b = column[both].rank(), y[both].astype(float).rank()
    if a.std() == 0 or b.std() == 0:
        return None
    rho = float(np.corrcoef(a, b)[0, 1])
    return abs(rho), f"rank correlation {rho:.3f} with the target"
