"""The metrics registry: losslab's names and the scikit-learn scorer names, each registered
once with its title, direction, problem kinds, inputs and provenance; lookup by name
(case-insensitive, scikit-learn function names too) and the default metric of a problem kind.

Imports ``vocab`` and the package's ``base`` and ``compute``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from types import MappingProxyType

from ..vocab import CLASSIFICATION_KINDS, REGRESSION_KINDS
from .base import Metric, check_kind
from .compute import (
    labels_metric,
    likelihood_ratio,
    probability_metric,
    ranking_metric,
    regression_metric,
    top_k,
)

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



_METRICS: dict[str, Metric] = {}


def _add(name: str, title: str, higher: bool, kinds: tuple[str, ...], needs: tuple[str, ...], sklearn: str,
         compute: Callable[..., float], *, sign: int = 1, same_as: str | None = None) -> None:
    _METRICS[name] = Metric(name, title, higher, kinds, needs, sklearn, compute, sign, same_as)


_LABELS, _RANK, _PROBA, _PRED = ("labels",), ("probabilities", "scores"), ("probabilities",), ("predictions",)

# losslab's own names.
_add("accuracy", "Accuracy", True, _ALL_CLS, _LABELS, "accuracy_score", labels_metric("accuracy_score"))
_add("balanced_accuracy", "Balanced accuracy", True, _CLS, _LABELS, "balanced_accuracy_score", labels_metric("balanced_accuracy_score"))
for _name, _title in (("f1", "F1 score"), ("precision", "Precision"), ("recall", "Recall"), ("jaccard", "Jaccard index")):
    _add(_name, _title, True, _ALL_CLS, _LABELS,
         f'{_name}_score(average="binary" for two classes else "macro", zero_division=0)',
         labels_metric(f"{_name}_score", averaged=True, zero_division=0.0))
_add("roc_auc", "ROC AUC", True, _ALL_CLS, _RANK, 'roc_auc_score(multi_class="ovr" for more than two classes)',
     ranking_metric("roc_auc_score", multi_class="ovr", average="macro"))
_add("log_loss", "Log loss", False, _CLS, _PROBA, "log_loss", probability_metric("log_loss"))
_add("mse", "Mean squared error", False, _REG + ("probability_rows",) + _LEVELS, _PRED, "mean_squared_error", regression_metric("mean_squared_error"))
_add("rmse", "Root mean squared error", False, _REG + ("probability_rows",) + _LEVELS, _PRED, "root_mean_squared_error (mean of per-column sqrt(MSE))",
     regression_metric("mean_squared_error", root=True))
_add("mae", "Mean absolute error", False, _REG + ("probability_rows",) + _LEVELS, _PRED, "mean_absolute_error", regression_metric("mean_absolute_error"))
_add("r2", "R²", True, _REG, _PRED, "r2_score", regression_metric("r2_score"))
_add("mape", "Mean absolute percentage error (fraction)", False, _REG, _PRED,
     "mean_absolute_percentage_error", regression_metric("mean_absolute_percentage_error"))

# scikit-learn scorer names: the same numbers as sklearn.metrics.get_scorer(name).
for _avg in ("macro", "micro", "samples", "weighted"):
    for _base in ("f1", "precision", "recall", "jaccard"):
        _kinds = ("multilabel",) if _avg == "samples" else _ALL_CLS
        _add(f"{_base}_{_avg}", f"{_METRICS[_base].title}, {_avg} average", True, _kinds, _LABELS,
             f'{_base}_score(average="{_avg}", zero_division=0)', labels_metric(f"{_base}_score", average=_avg, zero_division=0.0))
_add("matthews_corrcoef", "Matthews correlation coefficient", True, _CLS, _LABELS, "matthews_corrcoef", labels_metric("matthews_corrcoef"))
_add("positive_likelihood_ratio", "Positive likelihood ratio", True, ("binary",), _LABELS,
     "class_likelihood_ratios(replace_undefined_by=1.0)[0]", likelihood_ratio(0))
_add("neg_negative_likelihood_ratio", "Negative likelihood ratio, negated", True, ("binary",), _LABELS,
     "-class_likelihood_ratios(replace_undefined_by=1.0)[1]", likelihood_ratio(1), sign=-1)
for _multi in ("ovr", "ovo"):
    for _avg in ("macro", "weighted"):
        _suffix = _multi if _avg == "macro" else f"{_multi}_weighted"
        _add(f"roc_auc_{_suffix}", f"ROC AUC, {_multi}, {_avg} average", True, _MULTI, _PROBA,
             f'roc_auc_score(multi_class="{_multi}", average="{_avg}")', ranking_metric("roc_auc_score", multi_class=_multi, average=_avg))
_add("average_precision", "Average precision", True, _ALL_CLS, _RANK, "average_precision_score", ranking_metric("average_precision_score"))
_add("top_k_accuracy", "Top-2 accuracy", True, _MULTI, _RANK, "top_k_accuracy_score(k=2)", top_k)
_add("neg_log_loss", "Log loss, negated", True, _CLS, _PROBA, "-log_loss", probability_metric("log_loss"), sign=-1, same_as="log_loss")
_add("neg_brier_score", "Brier score, negated", True, _CLS, _PROBA, "-brier_score_loss", probability_metric("brier_score_loss"), sign=-1)
_add("d2_log_loss_score", "D² log loss score", True, _CLS, _PROBA, "d2_log_loss_score", probability_metric("d2_log_loss_score"))
_add("d2_brier_score", "D² Brier score", True, _CLS, _PROBA, "d2_brier_score", probability_metric("d2_brier_score"))
_add("explained_variance", "Explained variance", True, _REG, _PRED, "explained_variance_score", regression_metric("explained_variance_score"))
_add("d2_absolute_error_score", "D² absolute error score", True, _REG, _PRED, "d2_absolute_error_score", regression_metric("d2_absolute_error_score"))
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
         f"-{'sqrt of ' if _root else ''}{_func}", regression_metric(_func, root=_root), sign=-1, same_as=_same)

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
    check_kind(problem_kind)
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
    return "accuracy" if check_kind(problem_kind) in _ALL_CLS else "rmse"
