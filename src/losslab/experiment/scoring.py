"""A metric from a network's outputs: decoded as the candidate's target encoding says, put back
in the target's units (a regression) or on its levels (an ordinal target); the validation
score of a tuned trial and the learning rate it chooses.

The same functions score the held-out rows (the study's numbers), the validation rows (the
tuned protocol's choice) and a plan's check that every metric fits every candidate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..metrics import Metric


def score(metric: Metric, enc, y_true: np.ndarray, outputs: np.ndarray, target_scale, levels: tuple | None = None) -> float:
    """A held-out metric from a network's outputs, decoded as the loss's encoding says."""
    if levels is not None:
        return score_levels(metric, enc, y_true, outputs, target_scale, levels)
    given: dict[str, Any] = {}
    if enc.classes is None:  # regression: back to the target's units
        pred = enc.decode(outputs)
        if target_scale is not None:
            mean, std = target_scale
            pred = pred * std + mean
        given["predictions"] = pred
    else:
        given["labels"] = enc.decode(outputs)
        for key, fn in (("probabilities", enc.probabilities), ("scores", enc.positive_scores)):
            try:
                given[key] = fn(outputs)
            except ValueError:
                pass  # this encoding has none (margins have no probabilities)
    return metric.score(y_true, classes=enc.classes, **given)


def score_levels(metric: Metric, enc, y_true: np.ndarray, outputs: np.ndarray, target_scale, levels: tuple) -> float:
    """An ordinal target's metric: every candidate's prediction becomes a level, so that a
    softmax over the levels and a regression on the level index are scored alike. A regression
    on the index is rounded to the nearest level and clipped to the ends; label metrics compare
    levels, and mae/rmse/mse the level indices (0 .. k-1), as :mod:`losslab.metrics` says."""
    position = {level: i for i, level in enumerate(levels)}
    true_index = np.array([position[v] for v in np.asarray(y_true).ravel()])
    given: dict[str, Any] = {}
    if enc.classes is None:  # a regression on the level index
        pred = np.asarray(enc.decode(outputs), dtype=np.float64).ravel()
        if target_scale is not None:
            mean, std = target_scale
            pred = pred * std + mean
        index = np.clip(np.rint(pred), 0, len(levels) - 1).astype(int)
    else:
        index = np.array([position[v] for v in np.asarray(enc.decode(outputs)).ravel()])
        try:
            given["probabilities"] = enc.probabilities(outputs)
        except ValueError:
            pass
    if metric.name in ("mae", "rmse", "mse") or getattr(metric, "same_as", None) in ("mae", "rmse", "mse"):
        return metric.score(true_index, predictions=index.astype(np.float64), classes=tuple(range(len(levels))))
    labels = np.asarray(levels)[index]
    return metric.score(np.asarray(y_true).ravel(), labels=labels, classes=levels, **given)

def val_score(metric: Metric, enc, y_val: np.ndarray, outputs: np.ndarray, scale, activation: str,
               levels: tuple | None = None) -> float:
    """The study's metric on the validation rows (NaN for a model whose outputs are not finite)."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if not np.isfinite(outputs).all():
        return math.nan
    if activation == "softmax":  # rows that sum to 1 at float64 precision, as for the held-out score
        outputs = outputs / outputs.sum(axis=-1, keepdims=True)
    try:
        return float(score(metric, enc, y_val, outputs, scale, levels=levels))
    except ValueError:
        # A metric a few validation rows cannot give (AUC with one class among them): no score.
        return math.nan


def choose(val_scores: Sequence[float], val_losses: Sequence[float], higher_is_better: bool) -> int:
    """The learning rate chosen: the best validation score; ties go to the lower validation
    loss, then to the smaller rate (the grid's order). Only validation rows decide."""
    best = None
    for i, (score, loss) in enumerate(zip(val_scores, val_losses)):
        if not math.isfinite(score):
            continue
        key = (-score if higher_is_better else score, loss if math.isfinite(loss) else math.inf, i)
        if best is None or key < best[0]:
            best = (key, i)
    if best is None:  # no rate gave a finite score: the one with the lowest finite loss, or the first
        finite = [i for i, loss in enumerate(val_losses) if math.isfinite(loss)]
        return min(finite, key=lambda i: val_losses[i]) if finite else 0
    return best[1]
