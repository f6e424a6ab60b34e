"""Which loss, which output layer, which target encoding, which metric: :func:`recommend`.

The primary choice follows the problem kind alone, so it is stable and predictable;
the alternatives are the candidates worth comparing (``losslab compare``), each with
the measured statistic that put it on the list.

==================  =====================================  ==========================================
kind                primary                                alternatives (trigger)
==================  =====================================  ==========================================
regression          mean_squared_error, linear, k units    huber, mean_absolute_error (heavy tails:
                                                           excess kurtosis > 3 or > 1% of targets
                                                           beyond 3 robust SDs); mean_squared_
                                                           logarithmic_error and, for positive
                                                           targets, mean_absolute_percentage_error
                                                           (>= 2 orders of magnitude); poisson
                                                           (non-negative integers)
counts              poisson                                mean_squared_error (always); MSLE,
                                                           huber, MAE as for regression
binary              binary_crossentropy, 1 sigmoid unit    hinge, squared_hinge ({-1, 1}, tanh,
                                                           always); binary_focal_crossentropy and
                                                           class weights (minority share < 20%)
multiclass          sparse_categorical_crossentropy,       categorical_crossentropy (one-hot);
(labels)            k softmax units                        categorical_focal_crossentropy and class
                                                           weights (smallest / largest class < 0.25)
multiclass          categorical_crossentropy               sparse_categorical_crossentropy; focal
(one-hot)                                                  and class weights when imbalanced
multilabel          binary_crossentropy, k sigmoid units   binary_focal_crossentropy (a label set in
                                                           < 20% or > 80% of rows)
probability_rows    kl_divergence, k softmax units         categorical_crossentropy (always)
==================  =====================================  ==========================================

Every choice is read from the catalog: the output activation from the loss's
``output_activations`` (the preferred one where it lists several), the target encoding
from its ``target_encoding``; an alternative whose ``problem_types`` do not include
the problem's kind is dropped.

The reported metric is accuracy for classification (balanced accuracy and F1 are
suggested too when classes are imbalanced) and RMSE for regression and counts: a
metric to choose models, never the loss itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .. import losses
from ..vocab import SERVES
from ..losses import LossSpec
from .encode import how_to_encode
from .problem import (
    HEAVY_TAIL_KURTOSIS,
    IMBALANCE_RATIO,
    MAGNITUDE_ORDERS,
    OUTLIER_MADS,
    OUTLIER_SHARE,
    Problem,
    infer_problem,
)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_short(v) for v in value) + ")"
    return repr(value)


@dataclasses.dataclass(frozen=True)
class Choice:
    """One loss with the output layer, target encoding and metric that go with it.

    Attributes
    ----------
    loss : str
        Canonical name (``losses.get(choice.loss, **choice.params)`` gives the spec).
    output_units : int
        Units of the output layer.
    output_activation : str
        Its activation (from the loss's metadata).
    target_encoding : str
        The encoding the loss expects (a key of ``losses.TARGET_ENCODINGS``).
    encode : str
        How to produce it from the user's ``y``, e.g. ``"map {0, 1} -> {-1, 1}: y = 2*y - 1"``.
    metric : str
        The metric to report and choose models by.
    why : str
        One line.
    params : Mapping
        Loss hyperparameters to set (empty: the defaults).
    trigger : str or None
        For alternatives: the measured statistic that put it on the list.
    class_weight : Mapping or None
        Per-class weights (label -> weight) to train with, when the choice is about them.
    caveat : str or None
        What to watch for.
    """

    loss: str
    output_units: int
    output_activation: str
    target_encoding: str
    encode: str
    metric: str
    why: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    trigger: str | None = None
    class_weight: Mapping[Any, float] | None = None
    caveat: str | None = None

    def spec(self) -> LossSpec:
        """The catalog's spec for this choice, with its parameters."""
        return losses.get(self.loss, **dict(self.params))

    def headline(self) -> str:
        params = ", ".join(f"{k}={_short(v)}" for k, v in self.params.items())
        weights = ", class weights" if self.class_weight else ""
        units = f"{self.output_units} output unit{'s' if self.output_units != 1 else ''}"
        return f"{self.loss}{'(' + params + ')' if params else ''}{weights}: {units}, {self.output_activation}; targets {self.target_encoding} ({self.encode})"

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["params"] = dict(self.params)
        if self.class_weight is not None:
            out["class_weight"] = {str(k): v for k, v in self.class_weight.items()}
        return out


@dataclasses.dataclass
class Recommendation:
    """What :func:`recommend` says: the problem, one primary choice and the alternatives."""

    problem: Problem
    primary: Choice
    alternatives: list[Choice]
    warnings: list[str] = dataclasses.field(default_factory=list)
    also_report: tuple[str, ...] = ()

    @property
    def candidates(self) -> list[str]:
        """Loss names worth comparing: the primary first, then each alternative once."""
        seen: list[str] = []
        for c in [self.primary, *self.alternatives]:
            if c.loss not in seen:
                seen.append(c.loss)
        return seen

    def lines(self) -> list[str]:
        """The recommendation as lines of text, for the terminal."""
        out = [f"Problem: {self.problem.evidence}"]
        out += [f"  note: {n}" for n in self.problem.notes]
        metric = self.primary.metric + (f" (also {', '.join(self.also_report)})" if self.also_report else "")
        out += [f"Recommended: {self.primary.headline()}", f"  why: {self.primary.why}", f"  report: {metric}"]
        if self.primary.caveat:
            out.append(f"  caveat: {self.primary.caveat}")
        if self.alternatives:
            out.append("Alternatives:")
            for c in self.alternatives:
                out.append(f"  - {c.headline()}")
                out.append(f"    because: {c.trigger}; {c.why}")
                if c.class_weight:
                    out.append("    class weights: " + ", ".join(f"{k!r}: {v:.3g}" for k, v in c.class_weight.items()))
                if c.caveat:
                    out.append(f"    caveat: {c.caveat}")
        out += [f"Warning: {w}" for w in self.warnings]
        return out

    def to_text(self) -> str:
        return "\n".join(self.lines())

    __str__ = to_text

    def to_dict(self) -> dict[str, Any]:
        return {
            "problem": self.problem.to_dict(),
            "primary": self.primary.to_dict(),
            "alternatives": [c.to_dict() for c in self.alternatives],
            "warnings": list(self.warnings),
            "also_report": list(self.also_report),
        }


# ---------------------------------------------------------------------- building choices
def _activation(spec: LossSpec, prefer: tuple[str, ...] = ()) -> str:
    """An output activation the loss's metadata allows, the preferred one where it does."""
    allowed = spec.output_activations
    return next((a for a in prefer if a in allowed), allowed[0])


def _choose(problem: Problem, loss: str, units: int, metric: str, why: str, *, prefer: tuple[str, ...] = (),
            trigger: str | None = None, **extra: Any) -> Choice:
    spec = losses.get(loss, **extra.get("params", {}))
    return Choice(loss=spec.name, output_units=units, output_activation=_activation(spec, prefer),
                  target_encoding=spec.target_encoding, encode=how_to_encode(problem, spec.target_encoding),
                  metric=metric, why=why, trigger=trigger, **extra)




def _fits(choice: Choice, p: Problem) -> bool:
    return bool(set(SERVES[p.kind]) & set(losses.get(choice.loss).problem_types))


def _finish(p: Problem, primary: Choice, alts: list[Choice], warnings: list[str], also: tuple[str, ...]) -> Recommendation:
    """The recommendation, keeping only choices whose catalog entry lists this kind of problem."""
    if not _fits(primary, p):
        raise RuntimeError(f"the catalog says {primary.loss} is not for {p.kind} problems; the advisor's rules need updating")
    return Recommendation(p, primary, [c for c in alts if _fits(c, p)], warnings, also)


def _balanced_weights(problem: Problem) -> dict[Any, float]:
    # scikit-learn's "balanced": n / (k * n_c), so that every class weighs the same in the loss.
    n, k = problem.n_samples, len(problem.class_counts)
    return {c: n / (k * m) for c, m in zip(problem.classes, problem.class_counts)}


def _imbalance_trigger(p: Problem) -> str:
    if p.kind == "binary":
        return f"minority share {p.minority_share:.1%} (< {IMBALANCE_RATIO / (1 + IMBALANCE_RATIO):.0%})"
    if p.kind == "multilabel":
        return f"the rarest label side holds {p.minority_share:.1%} of rows (smallest/largest {p.imbalance_ratio:.2f} < {IMBALANCE_RATIO})"
    return f"smallest class {min(p.class_counts)} vs largest {max(p.class_counts)} samples (ratio {p.imbalance_ratio:.2f} < {IMBALANCE_RATIO})"


def _tails_trigger(p: Problem) -> str:
    parts = []
    if p.excess_kurtosis is not None and p.excess_kurtosis > HEAVY_TAIL_KURTOSIS:
        parts.append(f"excess kurtosis {p.excess_kurtosis:.3g} (> {HEAVY_TAIL_KURTOSIS:g})")
    if p.outlier_share is not None and p.outlier_share > OUTLIER_SHARE:
        parts.append(f"{p.outlier_share:.1%} of targets beyond {OUTLIER_MADS:g} robust SDs of the median (> {OUTLIER_SHARE:.0%})")
    return " and ".join(parts)


def _value_alternatives(p: Problem, units: int, metric: str, *, counts: bool) -> list[Choice]:
    alts: list[Choice] = []
    if counts:
        alts.append(_choose(p, "mean_squared_error", units, metric, "the baseline: optimises RMSE directly, ignores that the variance of counts grows with their mean",
                            prefer=("linear",), trigger="always, as the RMSE baseline"))
    if p.heavy_tailed:
        trig = _tails_trigger(p)
        alts.append(_choose(p, "huber", units, metric, "quadratic for small errors, linear beyond delta: outliers pull far less than with MSE",
                            prefer=("linear",), trigger=trig, caveat="delta is in target units: about 1.345 robust SDs of y (of the scaled y if you standardise it)"))
        alts.append(_choose(p, "mean_absolute_error", units, metric, "fits the conditional median: robust to outliers, but its gradient does not shrink near the optimum",
                            prefer=("linear",), trigger=trig))
    if p.spans_magnitudes:
        trig = f"targets span {p.orders_of_magnitude:.2g} orders of magnitude (>= {MAGNITUDE_ORDERS:g})"
        alts.append(_choose(p, "mean_squared_logarithmic_error", units, metric,
                            "compares log(1 + y): relative errors, so large targets do not dominate (or log-transform y and use MSE)",
                            prefer=("linear",), trigger=trig,
                            caveat=None if p.max > 10 else "log(1 + y) is nearly linear for targets below 1: log-transform y instead"))
        if p.min > 0:
            ratio = p.median / p.min
            alts.append(_choose(p, "mean_absolute_percentage_error", units, metric, "relative error in percent, when a 10% miss matters the same at every scale",
                                prefer=("linear",), trigger=trig + ", all positive",
                                caveat=f"MAPE divides by |y|: the smallest target ({p.min:.3g}) weighs {ratio:.3g} times the median's" if ratio > 100 else None))
    if not counts and p.kind == "regression" and p.integer_valued and p.min >= 0:
        alts.append(_choose(p, "poisson", units, metric, "if the targets count events: Poisson maximum likelihood, variance growing with the mean",
                            trigger=f"non-negative integer targets ({p.min:g} .. {p.max:g})"))
    return alts


def _value_warnings(p: Problem) -> list[str]:
    if p.min < 0 < p.max:
        return ["targets cross zero: do not use mean_absolute_percentage_error, which divides by |y| and explodes near 0"]
    if p.min == 0 or (p.median and abs(p.min) < 0.01 * abs(p.median)):
        zeros = f"{p.zero_share:.1%} of targets are 0" if p.zero_share else f"the smallest target, {p.min:.3g}, is near 0"
        return [f"{zeros}: do not use mean_absolute_percentage_error, which divides by |y|"]
    return []


def _recommend_values(p: Problem) -> Recommendation:
    units, metric = p.n_columns, "rmse"
    if p.kind == "counts":
        primary = _choose(p, "poisson", units, metric, "non-negative counts: Poisson maximum likelihood, with a variance that grows with the mean")
        also: tuple[str, ...] = ("neg_mean_poisson_deviance",)
    else:
        why = "the default for real-valued targets: maximum likelihood under Gaussian noise, and it optimises RMSE directly"
        if units > 1:
            why = f"{units} real-valued outputs: {units} linear units, squared error averaged over them"
        primary = _choose(p, "mean_squared_error", units, metric, why, prefer=("linear",))
        also = ("mae",) if p.heavy_tailed else ()
    alts = _value_alternatives(p, units, metric, counts=p.kind == "counts")
    return _finish(p, primary, alts, _value_warnings(p), also)


def _imbalance_alternatives(p: Problem, units: int, focal: str, plain: str, prefer: tuple[str, ...], metric: str) -> list[Choice]:
    if not p.imbalanced:
        return []
    trig = _imbalance_trigger(p)
    alts = [_choose(p, focal, units, metric, "focal loss down-weights easy, well-classified examples so that the rare class is not drowned out",
                    prefer=prefer, trigger=trig)]
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
        alts.append(_choose(p, plain, units, metric, "the same loss with balanced class weights n / (k * n_c): every class weighs the same",
                            prefer=prefer, trigger=trig, class_weight=weights, params=loss_params))
    return alts


def _recommend_classes(p: Problem) -> Recommendation:
    metric = "accuracy"
    also = ("balanced_accuracy", "f1") if p.imbalanced else ()
    warnings = [f"classes are imbalanced ({_imbalance_trigger(p)}): accuracy flatters a model that ignores the rare class; read balanced accuracy and F1 too"] if p.imbalanced else []
    if p.kind == "binary":
        a, b = p.classes
        primary = _choose(p, "binary_crossentropy", 1, metric,
                          f"two classes: one sigmoid unit gives P(y = {b!r}) and binary cross-entropy is its log-likelihood", prefer=("sigmoid",))
        alts = [
            _choose(p, "hinge", 1, metric, "the SVM's margin loss: wants the output's sign right with margin 1; reports of it beating cross-entropy are mixed",
                    prefer=("tanh", "linear"), trigger="2 classes"),
            _choose(p, "squared_hinge", 1, metric, "hinge squared: a smoother surface; try it if hinge does well",
                    prefer=("tanh", "linear"), trigger="2 classes"),
        ]
        alts += _imbalance_alternatives(p, 1, "binary_focal_crossentropy", "binary_crossentropy", ("sigmoid",), metric)
        return _finish(p, primary, alts, warnings, also)
    k = p.n_classes
    if p.kind == "multiclass":
        sparse = ("sparse_categorical_crossentropy", f"{k} classes: softmax gives class probabilities; the sparse form takes integer labels directly, with no {k}-wide one-hot rows")
        dense = ("categorical_crossentropy", f"{k} classes: softmax gives class probabilities; cross-entropy on one-hot rows")
        first, second = (dense, sparse) if p.form == "one_hot" else (sparse, dense)
        primary = _choose(p, first[0], k, metric, first[1], prefer=("softmax",))
        second_why = ("the same loss on one-hot rows: use it for soft or smoothed labels" if second is dense
                      else "the same loss on integer labels: less memory when classes are many")
        alts = [_choose(p, second[0], k, metric, second_why, prefer=("softmax",),
                        trigger=f"{k} classes given as {'one-hot rows' if p.form == 'one_hot' else 'labels'}")]
        alts += _imbalance_alternatives(p, k, "categorical_focal_crossentropy", first[0], ("softmax",), metric)
        return _finish(p, primary, alts, warnings, also)
    if p.kind == "multilabel":
        primary = _choose(p, "binary_crossentropy", k, metric,
                          f"{k} independent labels: one sigmoid unit per label, binary cross-entropy averaged over them", prefer=("sigmoid",))
        alts = _imbalance_alternatives(p, k, "binary_focal_crossentropy", "binary_crossentropy", ("sigmoid",), metric)
        also = ("f1",)
        warnings = []
        return _finish(p, primary, alts, warnings, also)
    # probability rows
    primary = _choose(p, "kl_divergence", k, metric,
                      f"targets are distributions over {k} classes: softmax outputs and the KL divergence between the two", prefer=("softmax",))
    alts = [_choose(p, "categorical_crossentropy", k, metric, "the same gradients as KL: they differ by the targets' entropy, a constant",
                    prefer=("softmax",), trigger="probability rows")]
    return _finish(p, primary, alts, [], ("log_loss",))


def recommend(y: Any, *, kind: str | None = None) -> Recommendation:
    """Recommend a loss, its output layer, target encoding and metric for the targets ``y``.

    Parameters
    ----------
    y : array-like of shape (n,) or (n, k)
        The targets, as :func:`infer_problem` takes them.
    kind : str, optional
        Settle the problem kind yourself (see :func:`infer_problem`).

    Returns
    -------
    Recommendation
        ``primary`` (a :class:`Choice`), ``alternatives`` with their triggers,
        ``warnings``; ``str(rec)`` and ``rec.lines()`` print it, ``rec.to_dict()``
        serialises it.

    Examples
    --------
    >>> rec = recommend([0, 1, 1, 0, 1, 1])
    >>> rec.primary.loss, rec.primary.output_units, rec.primary.output_activation
    ('binary_crossentropy', 1, 'sigmoid')
    >>> [c.loss for c in rec.alternatives]
    ['hinge', 'squared_hinge']
    >>> rec.alternatives[0].encode
    'map {0, 1} -> {-1, 1}: y = 2*y - 1'
    """
    p = infer_problem(y, kind=kind)
    if p.kind in ("regression", "counts"):
        return _recommend_values(p)
    return _recommend_classes(p)
