"""Class labels and probabilities as scikit-learn reads them: the classes in column order,
the positive class of two, probability checks and the positive-class column.

Conventions (scikit-learn's): the positive class is the greater label, or ``classes[-1]``;
a test fold may miss a class, and integer labels ``0 .. k-1`` against ``k`` columns are
unambiguous. Imports nothing of losslab's.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def check_classes(classes: Any, y: np.ndarray) -> np.ndarray:
    cls = np.asarray(classes)
    if cls.ndim != 1 or cls.size == 0 or np.unique(cls).size != cls.size or not np.array_equal(np.sort(cls), cls):
        raise ValueError(f"expected classes to be the distinct class labels in sorted order. Received: classes={cls.tolist()}.")
    unexpected = np.setdiff1d(np.unique(y), cls)
    if unexpected.size:
        raise ValueError(f"expected y_true to hold only the given classes {cls.tolist()}. Received: y_true with {unexpected.tolist()}.")
    return cls


def infer_classes(y: np.ndarray, classes: Any, n_columns: int | None = None) -> np.ndarray:
    """The class labels in the column order of scores / probabilities."""
    if classes is not None:
        cls = check_classes(classes, y)
    else:
        cls = np.unique(y)
        # A test fold can miss a class; integer labels 0..k-1 against k columns are unambiguous.
        if n_columns is not None and cls.size != n_columns and np.issubdtype(cls.dtype, np.integer) \
                and cls.min() >= 0 and cls.max() < n_columns:
            cls = np.arange(n_columns)
    if n_columns is not None and n_columns != cls.size:
        raise ValueError(
            f"expected one column per class. Received: {n_columns} columns, but y_true holds {cls.size} "
            f"class(es) {cls.tolist()}. Pass classes= (the class labels in column order)."
        )
    return cls


def pos_label(y: np.ndarray, labels: np.ndarray, classes: Any) -> Any:
    if classes is not None:
        return check_classes(classes, np.concatenate([y, labels]))[-1]
    present = np.unique(np.concatenate([y, labels]))
    # scikit-learn's default pos_label=1 also covers a fold where only class 0 occurs.
    if set(present.tolist()) <= {0, 1} or set(present.tolist()) <= {-1, 1}:
        return 1
    return present[-1]


def check_probabilities(p: np.ndarray) -> None:
    if p.min() < 0 or p.max() > 1:
        raise ValueError(
            f"expected probabilities in [0, 1]. Received: values from {p.min():g} to {p.max():g}. "
            "Pass logits as scores=, or apply a sigmoid / softmax first."
        )
    if p.ndim == 2 and p.shape[1] > 1:
        # Tolerance follows the dtype: float32 softmax rows sum to 1 only to ~1e-7.
        tol = float(np.sqrt(np.finfo(p.dtype).eps))
        sums = p.sum(axis=1)
        bad = np.abs(sums - 1) > tol
        if bad.any():
            raise ValueError(
                f"expected probability rows that sum to 1. Received: {int(bad.sum())} row(s) summing to "
                f"{sums[bad][0]:g} and so on. Apply a softmax; losslab does not renormalize."
            )



def positive_column(value: np.ndarray, given: str, y: np.ndarray, classes: Any) -> np.ndarray | None:
    """The positive-class column for two classes, or None when ``value`` has k > 2 columns."""
    if value.ndim == 1 or value.shape[1] == 1:
        value = value.reshape(-1)
        if given == "probabilities":
            check_probabilities(value)
        return value
    if value.shape[1] == 2:
        if given == "scores":
            raise ValueError(
                "expected one score column (the positive class's) for two classes. Received: scores with 2 columns. "
                "Pass scores[:, 1] - scores[:, 0], or probabilities= (softmax rows)."
            )
        check_probabilities(value)
        infer_classes(y, classes, 2)
        return value[:, 1]
    return None
