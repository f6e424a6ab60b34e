"""How each metric is computed: factories that wrap one scikit-learn function in the
calling convention ``compute(y_true, value, input name, classes)`` (the metric before its sign).

scikit-learn is imported on first use. Imports ``.classes``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .classes import check_probabilities, infer_classes, pos_label, positive_column


def _sk(name: str) -> Callable[..., Any]:
    # scikit-learn is imported on first use: `import losslab.metrics` stays fast for the CLI.
    import sklearn
    import sklearn.metrics

    func = getattr(sklearn.metrics, name, None)
    if func is None:
        raise ValueError(f"scikit-learn {sklearn.__version__} has no sklearn.metrics.{name}; upgrade scikit-learn.")
    return func



# Each takes (y_true, value, input name, classes) and returns the metric before its sign.
def labels_metric(func: str, *, averaged: bool = False, **kwargs: Any) -> Callable[..., float]:
    def compute(y: np.ndarray, labels: np.ndarray, given: str, classes: Any) -> float:
        extra = dict(kwargs)
        if averaged:  # binary for two classes, macro otherwise
            n_classes = len(classes) if classes is not None else np.unique(np.concatenate([y.ravel(), labels.ravel()])).size
            if y.ndim == 1 and n_classes <= 2:
                extra.update(average="binary", pos_label=pos_label(y, labels, classes))
            else:
                extra.update(average="macro")
        with warnings.catch_warnings():
            # balanced_accuracy_score averages the recall of the classes in y; a class predicted
            # but absent from these rows (a rare class, a small validation share) is left out by
            # its definition, and scikit-learn says so in a warning per call: dozens per study.
            warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true", category=UserWarning)
            return _sk(func)(y, labels, **extra)

    return compute


def likelihood_ratio(index: int) -> Callable[..., float]:
    def compute(y: np.ndarray, labels: np.ndarray, given: str, classes: Any) -> float:
        # As scikit-learn's scorer: an undefined ratio (no positive predicted) counts as 1.
        return _sk("class_likelihood_ratios")(y, labels, replace_undefined_by=1.0)[index]

    return compute



_ONE_CLASS = "ROC AUC is undefined when y_true holds one class only ({}). Use stratified splits (stratify=y) or larger test folds."


def ranking_metric(func: str, **kwargs: Any) -> Callable[..., float]:
    """roc_auc / average_precision: positive-class scores for two classes, probability rows for more."""
    def compute(y: np.ndarray, value: np.ndarray, given: str, classes: Any) -> float:
        if y.ndim == 2:  # multilabel indicator rows: one score column per label
            return _sk(func)(y, value, **{k: v for k, v in kwargs.items() if k == "average"})
        column = positive_column(value, given, y, classes)
        if column is not None:
            if func == "roc_auc_score" and np.unique(y).size < 2:
                raise ValueError(_ONE_CLASS.format(np.unique(y).tolist()))
            # Two classes as 0/1 against the positive label: scikit-learn's default pos_label=1
            # refuses string labels ("No" / "Yes").
            return _sk(func)((y == pos_label(y, y, classes)).astype(int), column)
        if given == "scores" and func == "roc_auc_score":
            raise ValueError(f"expected probabilities= for {value.shape[1]} classes (one-vs-rest AUC reads probability rows). Received: scores. Apply a softmax.")
        if given == "probabilities":
            check_probabilities(value)
        cls = infer_classes(y, classes, value.shape[1])
        absent = np.setdiff1d(cls, y)
        if func == "roc_auc_score" and kwargs.get("multi_class") == "ovr" and absent.size:
            raise ValueError(f"one-vs-rest ROC AUC is undefined for class(es) {absent.tolist()}, absent from y_true. Use stratified splits (stratify=y).")
        if func == "roc_auc_score":
            return _sk(func)(y, value, labels=cls, **kwargs)
        return _sk(func)(y, value, **kwargs)

    return compute


def top_k(y: np.ndarray, value: np.ndarray, given: str, classes: Any) -> float:
    if given == "probabilities":
        check_probabilities(value)
    cls = infer_classes(y, classes, None if value.ndim == 1 else value.shape[1])
    return _sk("top_k_accuracy_score")(y, value, k=2, labels=cls)


def probability_metric(func: str) -> Callable[..., float]:
    def compute(y: np.ndarray, p: np.ndarray, given: str, classes: Any) -> float:
        if p.ndim == 2 and p.shape[1] == 1:
            p = p.reshape(-1)
        check_probabilities(p)
        cls = infer_classes(y, classes, 2 if p.ndim == 1 else p.shape[1])
        if func == "brier_score_loss":
            if p.ndim == 2 and p.shape[1] == 2:
                p = p[:, 1]
            return _sk(func)(y, p, labels=cls) if p.ndim == 2 else _sk(func)(y, p, pos_label=cls[-1])
        return _sk(func)(y, p, labels=cls)

    return compute


# Deviances defined only for strictly positive predictions (scikit-learn's Tweedie power 1 and 2).
_POSITIVE_PREDICTIONS = {"mean_poisson_deviance": "Poisson", "mean_gamma_deviance": "Gamma"}


def regression_metric(func: str, *, root: bool = False) -> Callable[..., float]:
    def compute(y: np.ndarray, pred: np.ndarray, given: str, classes: Any) -> float:
        if func in _POSITIVE_PREDICTIONS and (pred <= 0).any():
            raise ValueError(
                f"the {_POSITIVE_PREDICTIONS[func]} deviance needs predictions > 0. Received: {int((pred <= 0).sum())} of "
                f"{pred.size} predictions <= 0 (the smallest {float(pred.min()):.4g}), as a linear or relu output gives. "
                "Score models of every output layer with rmse or mae, and the deviance only where outputs are positive "
                "(exponential or softplus)."
            )
        if root:
            # Mean over columns of per-column roots, as scikit-learn's root_mean_squared_error.
            return float(np.mean(np.sqrt(_sk(func)(y, pred, multioutput="raw_values"))))
        return _sk(func)(y, pred)

    return compute

