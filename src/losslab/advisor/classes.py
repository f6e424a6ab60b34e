"""The advisor's rules for class targets: binary, multiclass, multilabel, probability rows and
ordered levels.

Two rules shape every list. Imbalanced classes (smallest / largest class under
:data:`~losslab.advisor.IMBALANCE_RATIO`, a minority share under 20% for two classes) are
chosen between by balanced accuracy, with average precision (two classes) or macro F1 beside
it: plain accuracy flatters a model that ignores the rare class. And a loss is never proposed
against itself in another encoding (sparse vs one-hot categorical cross-entropy, KL vs
cross-entropy on probability rows: the same gradients); the encoding is a note instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import losses
from .choices import Choice, Recommendation, choose, finish
from .problem import IMBALANCE_RATIO, Problem


def _balanced_weights(problem: Problem) -> dict[Any, float]:
    # scikit-learn's "balanced": n / (k * n_c), so that every class weighs the same in the loss.
    n, k = problem.n_samples, len(problem.class_counts)
    return {c: n / (k * m) for c, m in zip(problem.classes, problem.class_counts)}


def imbalance_trigger(p: Problem) -> str:
    if p.kind == "binary":
        return f"minority share {p.minority_share:.1%} (< {IMBALANCE_RATIO / (1 + IMBALANCE_RATIO):.0%})"
    if p.kind == "multilabel":
        return f"the rarest label side holds {p.minority_share:.1%} of rows (smallest/largest {p.imbalance_ratio:.2f} < {IMBALANCE_RATIO})"
    return f"smallest class {min(p.class_counts)} vs largest {max(p.class_counts)} samples (ratio {p.imbalance_ratio:.2f} < {IMBALANCE_RATIO})"


def _imbalance_alternatives(p: Problem, units: int, focal: str | None, plain: str, prefer: tuple[str, ...], metric: str) -> list[Choice]:
    if not p.imbalanced:
        return []
    trig = imbalance_trigger(p)
    alts = []
    if focal is not None:
        alts.append(choose(p, focal, units, metric, "focal loss down-weights easy, well-classified examples so that the rare class is not drowned out",
                           prefer=prefer, trigger=trig))
    if p.kind != "multilabel":
        weights = _balanced_weights(p)
        params = losses.get(plain).params
        if p.kind == "binary" and "pos_weight" in params:
            # PyTorch's pos_weight multiplies the positive term: n_negative / n_positive balances the classes.
            loss_params = {"pos_weight": p.class_counts[0] / p.class_counts[1]}
        elif "class_weight" in params:
            loss_params = {"class_weight": tuple(weights.values())}
        else:
            loss_params = {}
        alts.append(choose(p, plain, units, metric, "the same loss with balanced class weights n / (k * n_c): every class weighs the same",
                           prefer=prefer, trigger=trig, class_weight=weights, params=loss_params))
    return alts


def _metric(p: Problem) -> tuple[str, tuple[str, ...], list[str]]:
    """The metric to choose by, the ones to report beside it, and the warning that goes with them."""
    if not p.imbalanced or p.kind == "multilabel":
        return "accuracy", (), []
    beside = ("average_precision", "accuracy") if p.kind == "binary" else ("accuracy", "f1")
    warning = (f"classes are imbalanced ({imbalance_trigger(p)}): accuracy flatters a model that ignores the rare class, "
               f"so models are chosen by balanced accuracy (also reported: {', '.join(beside)})")
    return "balanced_accuracy", beside, [warning]


def _binary(p: Problem) -> Recommendation:
    metric, also, warnings = _metric(p)
    a, b = p.classes
    primary = choose(p, "binary_crossentropy", 1, metric,
                     f"two classes: one sigmoid unit gives P(y = {b!r}) and binary cross-entropy is its log-likelihood", prefer=("sigmoid",))
    alts = [
        choose(p, "hinge", 1, metric, "the SVM's margin loss: wants the output's sign right with margin 1; reports of it beating cross-entropy are mixed",
               prefer=("tanh", "linear"), trigger="2 classes"),
        choose(p, "squared_hinge", 1, metric, "hinge squared: a smoother surface; try it if hinge does well",
               prefer=("tanh", "linear"), trigger="2 classes"),
    ]
    alts += _imbalance_alternatives(p, 1, "binary_focal_crossentropy", "binary_crossentropy", ("sigmoid",), metric)
    return finish(p, primary, alts, warnings, also)


def _encoding_note(p: Problem, chosen: str) -> str:
    other = "categorical_crossentropy" if chosen == "sparse_categorical_crossentropy" else "sparse_categorical_crossentropy"
    form = "one-hot rows" if chosen == "categorical_crossentropy" else "integer labels"
    return (f"{other} is the same loss as {chosen} on {'integer labels' if form == 'one-hot rows' else 'one-hot rows'}, "
            f"not a competitor: {chosen} takes the {form} as given; use categorical_crossentropy only for soft or smoothed labels")


def _multiclass(p: Problem) -> Recommendation:
    metric, also, warnings = _metric(p)
    k = p.n_classes
    loss = "categorical_crossentropy" if p.form == "one_hot" else "sparse_categorical_crossentropy"
    why = (f"{k} classes: softmax gives class probabilities; cross-entropy on the one-hot rows" if p.form == "one_hot"
           else f"{k} classes: softmax gives class probabilities; the sparse form takes integer labels directly, with no {k}-wide one-hot rows")
    primary = choose(p, loss, k, metric, why, prefer=("softmax",))
    alts = _imbalance_alternatives(p, k, "categorical_focal_crossentropy", loss, ("softmax",), metric)
    if not alts:
        alts = [choose(p, loss, k, metric, "the same loss with targets 0.9 / (0.1 / k) instead of 1 / 0: over-confident outputs cost more",
                       prefer=("softmax",), params={"label_smoothing": 0.1},
                       trigger=f"nearest alternative to {loss} (classes balanced: nothing calls for another loss)")]
    return finish(p, primary, alts, warnings, also, [_encoding_note(p, loss)])


def _multilabel(p: Problem) -> Recommendation:
    k = p.n_classes
    primary = choose(p, "binary_crossentropy", k, "accuracy",
                     f"{k} independent labels: one sigmoid unit per label, binary cross-entropy averaged over them", prefer=("sigmoid",))
    alts = _imbalance_alternatives(p, k, "binary_focal_crossentropy", "binary_crossentropy", ("sigmoid",), "accuracy")
    if not alts:
        alts = [choose(p, "binary_focal_crossentropy", k, "accuracy", "binary cross-entropy that down-weights labels already predicted well",
                       prefer=("sigmoid",), trigger="nearest alternative to binary_crossentropy (labels balanced)")]
    return finish(p, primary, alts, [], ("f1",))


def _probability_rows(p: Problem) -> Recommendation:
    k = p.n_classes
    primary = choose(p, "kl_divergence", k, "accuracy",
                     f"targets are distributions over {k} classes: softmax outputs and the KL divergence between the two", prefer=("softmax",))
    alts = [choose(p, "categorical_focal_crossentropy", k, "accuracy",
                   "cross-entropy to the target rows with a focusing term: rows the model already matches count less",
                   prefer=("softmax",), trigger="nearest alternative to kl_divergence")]
    note = ("categorical_crossentropy on probability rows is kl_divergence plus the targets' entropy, a constant: "
            "the same gradients, so it is not proposed as a competitor")
    return finish(p, primary, alts, [], ("log_loss",), [note])


def _ordinal(p: Problem) -> Recommendation:
    metric, also, warnings = _metric(p)
    k = p.n_classes
    primary = choose(p, "sparse_categorical_crossentropy", k, metric,
                     f"{k} ordered levels: softmax over the levels gives each level's probability; no assumption that the levels are evenly spaced",
                     prefer=("softmax",))
    index = f"levels -> index 0 .. {k - 1} in their order {'(already)' if p.classes == tuple(range(k)) else ''}".strip()
    trig = f"{k} ordered levels: a regression on the level index uses the order (missing by one level costs less than by {k - 1})"
    caveat = f"round each prediction to the nearest level and clip it to 0 .. {k - 1} to score it as a level; report mae on the index"
    # Text levels ("low", "mid", "high") carry no order losslab can read (sorting them is
    # alphabetical), so nothing that uses the order is proposed for them.
    numeric = all(isinstance(c, (int, float, np.integer, np.floating)) and not isinstance(c, bool) for c in p.classes)
    alts, notes = [], []
    if numeric:
        alts = [
            choose(p, "mean_squared_error", 1, metric, "one linear unit predicts the level index; squared error on it", prefer=("linear",),
                   trigger=trig, encode=index, caveat=caveat),
            choose(p, "mean_absolute_error", 1, metric, "one linear unit predicts the level index; absolute error on it fits the median level",
                   prefer=("linear",), trigger=trig, encode=index, caveat=caveat),
        ]
        also = tuple(dict.fromkeys((*also, "mae")))
        notes.append(f"mae is the mean distance between the predicted and the true level index (0 .. {k - 1})")
    else:
        notes.append("text levels have no order that can be read from them: give the levels as integers 0 .. "
                     f"{k - 1} in their order to compare regressions on the level index and score mae on levels")
    alts += _imbalance_alternatives(p, k, None, "sparse_categorical_crossentropy", ("softmax",), metric)
    return finish(p, primary, alts, warnings, also, notes)


def recommend_classes(p: Problem) -> Recommendation:
    """Binary, multiclass, multilabel, probability rows and ordinal targets."""
    rules = {"binary": _binary, "multiclass": _multiclass, "multilabel": _multilabel,
             "probability_rows": _probability_rows, "ordinal": _ordinal}
    return rules[p.kind](p)


__all__ = ["imbalance_trigger", "recommend_classes"]
