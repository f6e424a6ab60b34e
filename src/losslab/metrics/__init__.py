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

(A package: ``base`` holds :class:`Metric` and its input checks, ``classes`` the class and
probability helpers, ``compute`` the scikit-learn computations, ``catalog`` the registry;
this module is their face. Imports only ``vocab``.)
"""

from __future__ import annotations

from ..vocab import CLASSIFICATION_KINDS, PROBLEM_KINDS, REGRESSION_KINDS
from .base import INPUTS, Metric
from .catalog import (
    CLUSTERING_SCORERS,
    METRICS,
    default_metric,
    get_metric,
    metric_names,
    metrics_for,
)

__all__ = [
    "CLASSIFICATION_KINDS", "CLUSTERING_SCORERS", "INPUTS", "METRICS", "Metric", "PROBLEM_KINDS", "REGRESSION_KINDS",
    "default_metric", "get_metric", "metric_names", "metrics_for",
]
