"""Which loss, which output layer, which target encoding, which metric: :func:`recommend`.

The primary choice follows the problem kind alone, so it is stable and predictable;
the alternatives are the candidates worth comparing (``losslab compare``), each with
the measured statistic that put it on the list. A recommendation always has at least one
alternative: where nothing in the targets calls for another loss, the primary's nearest
neighbour is proposed, so that the printed ``compare`` command compares something.

==================  =====================================  ==========================================
kind                primary                                alternatives (trigger)
==================  =====================================  ==========================================
regression          mean_squared_error, linear, k units    huber, mean_absolute_error (heavy tails:
                                                           excess kurtosis > 3 or > 1% of targets
                                                           beyond 3 robust SDs); mean_squared_
                                                           logarithmic_error (non-negative and
                                                           skewness >= 1 or >= 1.5 orders of
                                                           magnitude); mean_absolute_percentage_
                                                           error (>= 1.5 orders, all positive);
                                                           poisson (non-negative integers whose
                                                           smallest value is within one SD of 0);
                                                           else huber as the nearest alternative
counts              poisson                                mean_squared_error (always); MSLE,
                                                           huber, MAE as for regression
binary              binary_crossentropy, 1 sigmoid unit    hinge, squared_hinge ({-1, 1}, tanh,
                                                           always); binary_focal_crossentropy and
                                                           pos_weight (minority share < 20%)
multiclass          sparse_categorical_crossentropy        categorical_focal_crossentropy and class
(labels; one-hot:   (categorical_crossentropy for          weights (smallest / largest class
the dense form)     one-hot rows), k softmax units         < 0.25); else label_smoothing=0.1
multilabel          binary_crossentropy, k sigmoid units   binary_focal_crossentropy
probability_rows    kl_divergence, k softmax units         categorical_focal_crossentropy
ordinal (asked)     sparse_categorical_crossentropy        mean_squared_error and mean_absolute_
                                                           error on the level index (1 linear
                                                           unit); class weights when imbalanced
==================  =====================================  ==========================================

The same loss in another encoding (sparse vs one-hot cross-entropy; cross-entropy vs KL on
probability rows) is never a competitor: it is a note. Every choice is read from the
catalog: the output activation from the loss's ``output_activations`` (the preferred one
where it lists several), the target encoding from its ``target_encoding``; an alternative
whose ``problem_types`` do not include the problem's kind is dropped.

Metrics (a metric chooses models; it is never the loss itself): RMSE for regression and
counts, which scores every candidate whatever its output layer (MAE beside it for counts
and heavy tails; the Poisson deviance only when every candidate's outputs are positive);
accuracy for classes, balanced accuracy when they are imbalanced (average precision beside
it for two classes, accuracy and macro F1 for more); MAE on the level index beside the
level metric for ordinal targets.
"""

from __future__ import annotations

from typing import Any

from .choices import Choice, Recommendation
from .classes import recommend_classes
from .inference import infer_problem
from .values import recommend_values

__all__ = ["Choice", "Recommendation", "recommend"]


def recommend(y: Any, *, kind: str | None = None) -> Recommendation:
    """Recommend a loss, its output layer, target encoding and metric for the targets ``y``.

    Parameters
    ----------
    y : array-like of shape (n,) or (n, k)
        The targets, as :func:`infer_problem` takes them.
    kind : str, optional
        The problem kind, overriding inference: ``"regression"``, ``"counts"``,
        ``"binary"``, ``"multiclass"``, ``"multilabel"``, ``"ordinal"`` or
        ``"probabilities"`` (``"probability_rows"``); the targets must fit it.

    Returns
    -------
    Recommendation
        ``primary`` (a :class:`Choice`), ``alternatives`` with their triggers,
        ``warnings``, ``notes``; ``rec.candidates`` and ``rec.compare_command(path)``
        for ``losslab compare``; ``str(rec)`` and ``rec.lines()`` print it,
        ``rec.to_dict()`` serialises it.

    Examples
    --------
    >>> rec = recommend([0, 1, 1, 0, 1, 1])
    >>> rec.primary.loss, rec.primary.output_units, rec.primary.output_activation
    ('binary_crossentropy', 1, 'sigmoid')
    >>> [c.loss for c in rec.alternatives]
    ['hinge', 'squared_hinge']
    >>> rec.alternatives[0].encode
    'map {0, 1} -> {-1, 1}: y = 2*y - 1'
    >>> rec = recommend(["no"] * 97 + ["yes"] * 3)
    >>> rec.primary.metric, rec.also_report
    ('balanced_accuracy', ('average_precision', 'accuracy'))
    >>> rec.candidates[-1]
    'binary_crossentropy(pos_weight=32.33)'
    """
    p = infer_problem(y, kind=kind)
    if p.kind in ("regression", "counts"):
        return recommend_values(p)
    return recommend_classes(p)
