"""Held-out metrics: how a study scores a trained model on data it did not train on.

A loss is what the optimizer minimizes; a metric is what the user cares about. losslab
compares losses on a metric computed on the test fold, never on the training loss
(the tutorials: "loss to diagnose optimisation, a metric to choose models").

Every metric is computed by scikit-learn; this module adds one registry, one calling
convention and one wording for errors. The caller (the study runner) passes what the
trained model produced, by keyword:

- ``labels``: predicted class labels, shape ``(n,)`` (``(n, k)`` 0/1 rows for multilabel);
- ``scores``: real-valued decision scores (logits, margins), ``(n,)`` for two classes
  (the score of the positive class) or ``(n, k)``;
- ``probabilities``: class probabilities, ``(n,)`` = P(positive class) for two classes,
  or ``(n, k)`` rows that sum to 1, columns in the order of ``classes``;
- ``predictions``: real-valued predictions for regression, ``(n,)`` or ``(n, k)``.

A metric that needs something that was not passed raises ``ValueError`` saying what it
needs. Conventions, each one scikit-learn's:

- two classes: the positive class is the greater label (``1`` of ``{0, 1}`` and of
  ``{-1, 1}``, ``"yes"`` of ``{"no", "yes"}``), or ``classes[-1]`` when ``classes`` is given;
- ``f1``, ``precision``, ``recall`` and ``jaccard`` are the positive class's score for two
  classes and the unweighted (macro) mean over the classes that occur in ``y_true`` or
  ``labels`` for more, and for multilabel rows; ``zero_division=0`` (a class never
  predicted scores 0, without a warning);
- ``accuracy`` of multilabel rows is subset accuracy (every label of a row right);
- ``roc_auc`` is binary AUC of positive-class scores or probabilities; for more classes
  one-vs-rest, macro-averaged, on probability rows;
- several target columns (regression): the mean over columns of the per-column metric,
  so ``rmse`` is the mean of per-column RMSEs and equals ``sqrt(mse)`` for one column only;
- ``mape`` is a fraction (0.1 = 10 %), as in scikit-learn; Keras reports a percentage;
- ``probability_rows`` targets are scored like multiclass ones against their most
  probable class (pass ``y_true=rows.argmax(axis=1)``); ``mse``, ``rmse`` and ``mae``
  also compare the rows themselves;
- ``ordinal`` targets (ordered levels) are scored by the level predicted with the label
  metrics (accuracy, balanced accuracy, F1), and with ``mae``, ``rmse`` and ``mse`` on the
  level index (pass ``y_true`` and ``predictions`` as indices 0 .. k-1);
- the Poisson and Gamma deviances need predictions > 0: a model with a linear output is
  refused with a message that says to score it with ``rmse`` or ``mae``;
- two-class ``average_precision`` and ``roc_auc`` take string labels too (``"No"`` /
  ``"Yes"``): the positive class is the greater label, or ``classes[-1]``.

scikit-learn scorer names (:func:`sklearn.metrics.get_scorer_names`) work too and give
the number that scikit-learn's scorer gives: ``"neg_mean_squared_error"`` is ``-mse``
(``sign=-1``, ``same_as="mse"``, higher is better). Supported: every scorer computable
from predictions (regression, label, score and probability scorers). Not supported:
the clustering scorers in :data:`CLUSTERING_SCORERS`, which compare two partitions and
ignore what the labels mean.

Examples
--------
>>> from losslab.metrics import get_metric, default_metric
>>> default_metric("binary")
'accuracy'
>>> get_metric("rmse").score([1.0, 2.0, 3.0], predictions=[1.0, 2.0, 5.0])
1.1547005383792515
>>> get_metric("neg_mean_squared_error").score([1.0, 2.0, 3.0], predictions=[1.0, 2.0, 5.0])
-1.3333333333333333
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from .vocab import CLASSIFICATION_KINDS, PROBLEM_KINDS, REGRESSION_KINDS

INPUTS = {
    "labels": "predicted class labels",
    "scores": "decision scores (logits or margins)",
    "probabilities": "class probabilities",
    "predictions": "real-valued predictions",
}
CLUSTERING_SCORERS = (
    "adjusted_mutual_info_score", "adjusted_rand_score", "completeness_score", "fowlkes_mallows_score",
    "homogeneity_score", "mutual_info_score", "normalized_mutual_info_score", "rand_score", "v_measure_score",
)

# Probability-row targets are scored against their most probable class, as multiclass ones;
# ordered levels by the level predicted (label metrics) or by its distance from the true level
# (mae, rmse and mse on the level index, where the caller passes level indices).
_CLS = ("binary", "multiclass", "probability_rows", "ordinal")
_MULTI = ("multiclass", "probability_rows")
_ALL_CLS = CLASSIFICATION_KINDS + ("ordinal",)
_REG = REGRESSION_KINDS
_LEVELS = ("ordinal",)


def _sk(name: str) -> Callable[..., Any]:
    # scikit-learn is imported on first use: `import losslab.metrics` stays fast for the CLI.
    import sklearn
    import sklearn.metrics

    func = getattr(sklearn.metrics, name, None)
    if func is None:
        raise ValueError(f"scikit-learn {sklearn.__version__} has no sklearn.metrics.{name}; upgrade scikit-learn.")
    return func


# ---------------------------------------------------------------------------- classes
def _check_classes(classes: Any, y: np.ndarray) -> np.ndarray:
    cls = np.asarray(classes)
    if cls.ndim != 1 or cls.size == 0 or np.unique(cls).size != cls.size or not np.array_equal(np.sort(cls), cls):
        raise ValueError(f"expected classes to be the distinct class labels in sorted order. Received: classes={cls.tolist()}.")
    unexpected = np.setdiff1d(np.unique(y), cls)
    if unexpected.size:
        raise ValueError(f"expected y_true to hold only the given classes {cls.tolist()}. Received: y_true with {unexpected.tolist()}.")
    return cls


def _infer_classes(y: np.ndarray, classes: Any, n_columns: int | None = None) -> np.ndarray:
    """The class labels in the column order of scores / probabilities."""
    if classes is not None:
        cls = _check_classes(classes, y)
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


def _pos_label(y: np.ndarray, labels: np.ndarray, classes: Any) -> Any:
    if classes is not None:
        return _check_classes(classes, np.concatenate([y, labels]))[-1]
    present = np.unique(np.concatenate([y, labels]))
    # scikit-learn's default pos_label=1 also covers a fold where only class 0 occurs.
    if set(present.tolist()) <= {0, 1} or set(present.tolist()) <= {-1, 1}:
        return 1
    return present[-1]


def _check_probabilities(p: np.ndarray) -> None:
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


# ---------------------------------------------------------------------------- computations
# Each takes (y_true, value, input name, classes) and returns the metric before its sign.
def _labels_metric(func: str, *, averaged: bool = False, **kwargs: Any) -> Callable[..., float]:
    def compute(y: np.ndarray, labels: np.ndarray, given: str, classes: Any) -> float:
        extra = dict(kwargs)
        if averaged:  # binary for two classes, macro otherwise
            n_classes = len(classes) if classes is not None else np.unique(np.concatenate([y.ravel(), labels.ravel()])).size
            if y.ndim == 1 and n_classes <= 2:
                extra.update(average="binary", pos_label=_pos_label(y, labels, classes))
            else:
                extra.update(average="macro")
        return _sk(func)(y, labels, **extra)

    return compute


def _likelihood_ratio(index: int) -> Callable[..., float]:
    def compute(y: np.ndarray, labels: np.ndarray, given: str, classes: Any) -> float:
        # As scikit-learn's scorer: an undefined ratio (no positive predicted) counts as 1.
        return _sk("class_likelihood_ratios")(y, labels, replace_undefined_by=1.0)[index]

    return compute


def _positive_column(value: np.ndarray, given: str, y: np.ndarray, classes: Any) -> np.ndarray | None:
    """The positive-class column for two classes, or None when ``value`` has k > 2 columns."""
    if value.ndim == 1 or value.shape[1] == 1:
        value = value.reshape(-1)
        if given == "probabilities":
            _check_probabilities(value)
        return value
    if value.shape[1] == 2:
        if given == "scores":
            raise ValueError(
                "expected one score column (the positive class's) for two classes. Received: scores with 2 columns. "
                "Pass scores[:, 1] - scores[:, 0], or probabilities= (softmax rows)."
            )
        _check_probabilities(value)
        _infer_classes(y, classes, 2)
        return value[:, 1]
    return None


_ONE_CLASS = "ROC AUC is undefined when y_true holds one class only ({}). Use stratified splits (stratify=y) or larger test folds."


def _ranking_metric(func: str, **kwargs: Any) -> Callable[..., float]:
    """roc_auc / average_precision: positive-class scores for two classes, probability rows for more."""
    def compute(y: np.ndarray, value: np.ndarray, given: str, classes: Any) -> float:
        if y.ndim == 2:  # multilabel indicator rows: one score column per label
            return _sk(func)(y, value, **{k: v for k, v in kwargs.items() if k == "average"})
        column = _positive_column(value, given, y, classes)
        if column is not None:
            if func == "roc_auc_score" and np.unique(y).size < 2:
                raise ValueError(_ONE_CLASS.format(np.unique(y).tolist()))
            # Two classes as 0/1 against the positive label: scikit-learn's default pos_label=1
            # refuses string labels ("No" / "Yes").
            return _sk(func)((y == _pos_label(y, y, classes)).astype(int), column)
        if given == "scores" and func == "roc_auc_score":
            raise ValueError(f"expected probabilities= for {value.shape[1]} classes (one-vs-rest AUC reads probability rows). Received: scores. Apply a softmax.")
        if given == "probabilities":
            _check_probabilities(value)
        cls = _infer_classes(y, classes, value.shape[1])
        absent = np.setdiff1d(cls, y)
        if func == "roc_auc_score" and kwargs.get("multi_class") == "ovr" and absent.size:
            raise ValueError(f"one-vs-rest ROC AUC is undefined for class(es) {absent.tolist()}, absent from y_true. Use stratified splits (stratify=y).")
        if func == "roc_auc_score":
            return _sk(func)(y, value, labels=cls, **kwargs)
        return _sk(func)(y, value, **kwargs)

    return compute


def _top_k(y: np.ndarray, value: np.ndarray, given: str, classes: Any) -> float:
    if given == "probabilities":
        _check_probabilities(value)
    cls = _infer_classes(y, classes, None if value.ndim == 1 else value.shape[1])
    return _sk("top_k_accuracy_score")(y, value, k=2, labels=cls)


def _probability_metric(func: str) -> Callable[..., float]:
    def compute(y: np.ndarray, p: np.ndarray, given: str, classes: Any) -> float:
        if p.ndim == 2 and p.shape[1] == 1:
            p = p.reshape(-1)
        _check_probabilities(p)
        cls = _infer_classes(y, classes, 2 if p.ndim == 1 else p.shape[1])
        if func == "brier_score_loss":
            if p.ndim == 2 and p.shape[1] == 2:
                p = p[:, 1]
            return _sk(func)(y, p, labels=cls) if p.ndim == 2 else _sk(func)(y, p, pos_label=cls[-1])
        return _sk(func)(y, p, labels=cls)

    return compute


# Deviances defined only for strictly positive predictions (scikit-learn's Tweedie power 1 and 2).
_POSITIVE_PREDICTIONS = {"mean_poisson_deviance": "Poisson", "mean_gamma_deviance": "Gamma"}


def _regression_metric(func: str, *, root: bool = False) -> Callable[..., float]:
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


# ---------------------------------------------------------------------------- the registry
@dataclasses.dataclass(frozen=True)
class Metric:
    """A held-out metric.

    Attributes
    ----------
    name : str
        Registry name (``"rmse"``, or a scikit-learn scorer name).
    title : str
        Human name.
    higher_is_better : bool
    problem_kinds : tuple of str
        Problems it applies to, from :data:`PROBLEM_KINDS`.
    needs : tuple of str
        The inputs it reads, from :data:`INPUTS`, in order of preference: the first one
        passed to :meth:`score` is used.
    sklearn : str
        The scikit-learn function (and arguments) that computes it: the provenance.
    sign : int
        ``-1`` for scikit-learn's ``neg_*`` scorers: :meth:`score` returns ``sign * value``.
    same_as : str or None
        The losslab metric that gives the same number up to ``sign``.
    """

    name: str
    title: str
    higher_is_better: bool
    problem_kinds: tuple[str, ...]
    needs: tuple[str, ...]
    sklearn: str
    compute: Callable[..., float] = dataclasses.field(repr=False, compare=False)
    sign: int = 1
    same_as: str | None = None

    def applies_to(self, problem_kind: str) -> bool:
        return _check_kind(problem_kind) in self.problem_kinds

    def score(self, y_true: Any, *, labels: Any = None, scores: Any = None, probabilities: Any = None,
              predictions: Any = None, classes: Any = None) -> float:
        """The metric of a model's outputs on held-out rows.

        Parameters
        ----------
        y_true : array-like, shape (n,) or (n, k)
            True targets of the held-out rows.
        labels, scores, probabilities, predictions : array-like, optional
            What the model produced (see the module docstring); pass what you have.
        classes : array-like, optional
            The sorted class labels, in the column order of ``scores`` / ``probabilities``.
            Pass it whenever a test fold may miss a class.
        """
        given = {"labels": labels, "scores": scores, "probabilities": probabilities, "predictions": predictions}
        given = {k: v for k, v in given.items() if v is not None}
        chosen = next((k for k in self.needs if k in given), None)
        if chosen is None:
            wanted = " or ".join(f"{k}= ({INPUTS[k]})" for k in self.needs)
            received = ", ".join(f"{k}=" for k in given) or "nothing but y_true"
            raise ValueError(f"metric {self.name!r}: expected {wanted}. Received: {received}.")
        y = _to_array(self.name, "y_true", y_true)
        value = _to_array(self.name, chosen, given[chosen])
        if chosen != "labels":
            if value.dtype == bool or not np.issubdtype(value.dtype, np.number):
                raise ValueError(f"metric {self.name!r}: expected {chosen} to hold numbers. Received: dtype {value.dtype}.")
            if not np.issubdtype(value.dtype, np.floating):
                value = value.astype(np.float64)  # integer 0/1 probabilities and the like
            bad = int(np.size(value) - np.isfinite(value).sum())
            if bad:
                raise ValueError(f"metric {self.name!r}: expected finite {chosen}. Received: {bad} NaN or infinite value(s) (did training diverge?).")
        if value.shape[0] != y.shape[0]:
            raise ValueError(f"metric {self.name!r}: expected one row of {chosen} per row of y_true. Received: y_true.shape={y.shape}, {chosen}.shape={value.shape}.")
        if chosen in ("labels", "predictions"):
            # (n, 1) and (n,) hold the same column; anything else must match exactly.
            y, value = _squeeze(y), _squeeze(value)
            if y.shape != value.shape:
                raise ValueError(f"metric {self.name!r}: expected {chosen} of the same shape as y_true. Received: y_true.shape={y.shape}, {chosen}.shape={value.shape}.")
        elif y.ndim == 2 and y.shape[1] == 1:
            y = y.reshape(-1)
        try:
            result = self.compute(y, value, chosen, classes)
        except ValueError as err:
            raise ValueError(f"metric {self.name!r}: {err}") from None
        if np.isnan(result):
            raise ValueError(f"metric {self.name!r}: undefined for these rows (scikit-learn gives NaN). Check that the held-out rows hold every class.")
        return float(self.sign * result)


def _squeeze(a: np.ndarray) -> np.ndarray:
    return a.reshape(-1) if a.ndim == 2 and a.shape[1] == 1 else a


def _to_array(metric: str, arg: str, value: Any) -> np.ndarray:
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, possibly on a GPU or requiring grad
        value = value.detach().cpu().numpy()
    array = np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value)
    if array.ndim not in (1, 2) or array.shape[0] == 0:
        raise ValueError(f"metric {metric!r}: expected {arg} of shape (n,) or (n, k) with n >= 1. Received: {arg}.shape={array.shape}.")
    return array


def _check_kind(problem_kind: str) -> str:
    if problem_kind not in PROBLEM_KINDS:
        raise ValueError(f"expected problem_kind in {PROBLEM_KINDS}. Received: problem_kind={problem_kind!r}.")
    return problem_kind


_METRICS: dict[str, Metric] = {}


def _add(name: str, title: str, higher: bool, kinds: tuple[str, ...], needs: tuple[str, ...], sklearn: str,
         compute: Callable[..., float], *, sign: int = 1, same_as: str | None = None) -> None:
    _METRICS[name] = Metric(name, title, higher, kinds, needs, sklearn, compute, sign, same_as)


_LABELS, _RANK, _PROBA, _PRED = ("labels",), ("probabilities", "scores"), ("probabilities",), ("predictions",)

# losslab's own names.
_add("accuracy", "Accuracy", True, _ALL_CLS, _LABELS, "accuracy_score", _labels_metric("accuracy_score"))
_add("balanced_accuracy", "Balanced accuracy", True, _CLS, _LABELS, "balanced_accuracy_score", _labels_metric("balanced_accuracy_score"))
for _name, _title in (("f1", "F1 score"), ("precision", "Precision"), ("recall", "Recall"), ("jaccard", "Jaccard index")):
    _add(_name, _title, True, _ALL_CLS, _LABELS,
         f'{_name}_score(average="binary" for two classes else "macro", zero_division=0)',
         _labels_metric(f"{_name}_score", averaged=True, zero_division=0.0))
_add("roc_auc", "ROC AUC", True, _ALL_CLS, _RANK, 'roc_auc_score(multi_class="ovr" for more than two classes)',
     _ranking_metric("roc_auc_score", multi_class="ovr", average="macro"))
_add("log_loss", "Log loss", False, _CLS, _PROBA, "log_loss", _probability_metric("log_loss"))
_add("mse", "Mean squared error", False, _REG + ("probability_rows",) + _LEVELS, _PRED, "mean_squared_error", _regression_metric("mean_squared_error"))
_add("rmse", "Root mean squared error", False, _REG + ("probability_rows",) + _LEVELS, _PRED, "root_mean_squared_error (mean of per-column sqrt(MSE))",
     _regression_metric("mean_squared_error", root=True))
_add("mae", "Mean absolute error", False, _REG + ("probability_rows",) + _LEVELS, _PRED, "mean_absolute_error", _regression_metric("mean_absolute_error"))
_add("r2", "R²", True, _REG, _PRED, "r2_score", _regression_metric("r2_score"))
_add("mape", "Mean absolute percentage error (fraction)", False, _REG, _PRED,
     "mean_absolute_percentage_error", _regression_metric("mean_absolute_percentage_error"))

# scikit-learn scorer names: the same numbers as sklearn.metrics.get_scorer(name).
for _avg in ("macro", "micro", "samples", "weighted"):
    for _base in ("f1", "precision", "recall", "jaccard"):
        _kinds = ("multilabel",) if _avg == "samples" else _ALL_CLS
        _add(f"{_base}_{_avg}", f"{_METRICS[_base].title}, {_avg} average", True, _kinds, _LABELS,
             f'{_base}_score(average="{_avg}", zero_division=0)', _labels_metric(f"{_base}_score", average=_avg, zero_division=0.0))
_add("matthews_corrcoef", "Matthews correlation coefficient", True, _CLS, _LABELS, "matthews_corrcoef", _labels_metric("matthews_corrcoef"))
_add("positive_likelihood_ratio", "Positive likelihood ratio", True, ("binary",), _LABELS,
     "class_likelihood_ratios(replace_undefined_by=1.0)[0]", _likelihood_ratio(0))
_add("neg_negative_likelihood_ratio", "Negative likelihood ratio, negated", True, ("binary",), _LABELS,
     "-class_likelihood_ratios(replace_undefined_by=1.0)[1]", _likelihood_ratio(1), sign=-1)
for _multi in ("ovr", "ovo"):
    for _avg in ("macro", "weighted"):
        _suffix = _multi if _avg == "macro" else f"{_multi}_weighted"
        _add(f"roc_auc_{_suffix}", f"ROC AUC, {_multi}, {_avg} average", True, _MULTI, _PROBA,
             f'roc_auc_score(multi_class="{_multi}", average="{_avg}")', _ranking_metric("roc_auc_score", multi_class=_multi, average=_avg))
_add("average_precision", "Average precision", True, _ALL_CLS, _RANK, "average_precision_score", _ranking_metric("average_precision_score"))
_add("top_k_accuracy", "Top-2 accuracy", True, _MULTI, _RANK, "top_k_accuracy_score(k=2)", _top_k)
_add("neg_log_loss", "Log loss, negated", True, _CLS, _PROBA, "-log_loss", _probability_metric("log_loss"), sign=-1, same_as="log_loss")
_add("neg_brier_score", "Brier score, negated", True, _CLS, _PROBA, "-brier_score_loss", _probability_metric("brier_score_loss"), sign=-1)
_add("d2_log_loss_score", "D² log loss score", True, _CLS, _PROBA, "d2_log_loss_score", _probability_metric("d2_log_loss_score"))
_add("d2_brier_score", "D² Brier score", True, _CLS, _PROBA, "d2_brier_score", _probability_metric("d2_brier_score"))
_add("explained_variance", "Explained variance", True, _REG, _PRED, "explained_variance_score", _regression_metric("explained_variance_score"))
_add("d2_absolute_error_score", "D² absolute error score", True, _REG, _PRED, "d2_absolute_error_score", _regression_metric("d2_absolute_error_score"))
for _scorer, _func, _same, _root in (
    ("neg_mean_squared_error", "mean_squared_error", "mse", False),
    ("neg_root_mean_squared_error", "mean_squared_error", "rmse", True),
    ("neg_mean_absolute_error", "mean_absolute_error", "mae", False),
    ("neg_mean_absolute_percentage_error", "mean_absolute_percentage_error", "mape", False),
    ("neg_mean_squared_log_error", "mean_squared_log_error", None, False),
    ("neg_root_mean_squared_log_error", "mean_squared_log_error", None, True),
    ("neg_median_absolute_error", "median_absolute_error", None, False),
    ("neg_max_error", "max_error", None, False),
    ("neg_mean_poisson_deviance", "mean_poisson_deviance", None, False),
    ("neg_mean_gamma_deviance", "mean_gamma_deviance", None, False),
):
    _label = _func.replace("_", " ").capitalize()
    _add(_scorer, f"{'Root ' + _label.lower() if _root else _label}, negated", True, _REG, _PRED,
         f"-{'sqrt of ' if _root else ''}{_func}", _regression_metric(_func, root=_root), sign=-1, same_as=_same)

METRICS: Mapping[str, Metric] = MappingProxyType(_METRICS)
"""Every metric by name: losslab's names and the supported scikit-learn scorer names."""

# Names of the scikit-learn functions, accepted for the metric they compute.
_ALIASES = {
    "mean_squared_error": "mse", "root_mean_squared_error": "rmse", "mean_absolute_error": "mae",
    "mean_absolute_percentage_error": "mape", "accuracy_score": "accuracy",
    "balanced_accuracy_score": "balanced_accuracy", "f1_score": "f1", "precision_score": "precision",
    "recall_score": "recall", "jaccard_score": "jaccard", "roc_auc_score": "roc_auc", "r2_score": "r2",
}


def metric_names() -> list[str]:
    """Every registered metric name, sorted."""
    return sorted(METRICS)


def metrics_for(problem_kind: str) -> list[str]:
    """Names of the metrics that apply to ``problem_kind``, sorted."""
    _check_kind(problem_kind)
    return [name for name in metric_names() if problem_kind in METRICS[name].problem_kinds]


def get_metric(name: str | Metric) -> Metric:
    """The :class:`Metric` called ``name`` (case-insensitive; scikit-learn scorer and function names work).

    Examples
    --------
    >>> get_metric("RMSE").higher_is_better
    False
    >>> get_metric("neg_mean_squared_error").same_as
    'mse'
    """
    if isinstance(name, Metric):
        return name
    if not isinstance(name, str):
        raise TypeError(f"expected metric to be a name (str) or a Metric. Received: metric of type {type(name).__name__}.")
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    key = _ALIASES.get(key, key)
    if key in METRICS:
        return METRICS[key]
    if key in CLUSTERING_SCORERS:
        raise ValueError(
            f"unknown metric {name!r}: it is a scikit-learn clustering score (it compares two partitions and ignores "
            "which label is which), so losslab does not score supervised models with it. Use accuracy or f1_macro."
        )
    close = difflib.get_close_matches(key, metric_names() + list(_ALIASES), n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(repr(_ALIASES.get(c, c)) for c in close)}?" if close else ""
    raise ValueError(f"unknown metric {name!r}.{hint} Available: {', '.join(metric_names())}.")


def default_metric(problem_kind: str) -> str:
    """The metric a study reports unless told otherwise: ``"accuracy"`` for classification kinds
    (probability rows and ordered levels included), ``"rmse"`` for ``regression`` and ``counts``
    (every candidate's predictions can be scored with it, whatever its output layer).

    >>> default_metric("counts")
    'rmse'
    """
    return "accuracy" if _check_kind(problem_kind) in _ALL_CLS else "rmse"


__all__ = [
    "CLASSIFICATION_KINDS", "CLUSTERING_SCORERS", "INPUTS", "METRICS", "Metric", "PROBLEM_KINDS", "REGRESSION_KINDS",
    "default_metric", "get_metric", "metric_names", "metrics_for",
]
