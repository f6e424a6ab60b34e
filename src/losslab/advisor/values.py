"""The advisor's rules for targets that are numbers to predict: regression and counts.

Every alternative carries the measured statistic that put it on the list (its trigger).
The metric is RMSE, which every candidate's predictions can be scored with whatever its
output layer; MAE is reported beside it when tails are heavy or the targets are counts, and
the Poisson deviance only when every candidate's outputs are positive (the deviance of a
prediction <= 0 is undefined).
"""

from __future__ import annotations

from .choices import Choice, Recommendation, choose, finish
from .problem import (
    HEAVY_TAIL_KURTOSIS,
    MAGNITUDE_ORDERS,
    OUTLIER_MADS,
    OUTLIER_SHARE,
    SKEWNESS,
    Problem,
)

# Output layers whose predictions are always > 0: the Poisson deviance can score them.
_POSITIVE_OUTPUTS = ("exponential", "softplus", "linear+exponential", "linear+softplus")


def _tails_trigger(p: Problem) -> str:
    parts = []
    if p.excess_kurtosis is not None and p.excess_kurtosis > HEAVY_TAIL_KURTOSIS:
        parts.append(f"excess kurtosis {p.excess_kurtosis:.3g} (> {HEAVY_TAIL_KURTOSIS:g})")
    if p.outlier_share is not None and p.outlier_share > OUTLIER_SHARE:
        parts.append(f"{p.outlier_share:.1%} of targets beyond {OUTLIER_MADS:g} robust SDs of the median (> {OUTLIER_SHARE:.0%})")
    return " and ".join(parts)


def _skew_trigger(p: Problem) -> str:
    parts = []
    if p.skewness is not None and p.skewness >= SKEWNESS:
        parts.append(f"skewness {p.skewness:.3g} (>= {SKEWNESS:g})")
    if p.spans_magnitudes:
        parts.append(f"targets span {p.orders_of_magnitude:.3g} orders of magnitude (>= {MAGNITUDE_ORDERS:g})")
    return "non-negative targets, " + " and ".join(parts)


def _alternatives(p: Problem, units: int, metric: str, *, counts: bool) -> list[Choice]:
    alts: list[Choice] = []
    if counts:
        alts.append(choose(p, "mean_squared_error", units, metric, "the baseline: optimises RMSE directly, ignores that the variance of counts grows with their mean",
                           prefer=("linear",), trigger="always, as the RMSE baseline"))
    if p.heavy_tailed:
        trig = _tails_trigger(p)
        alts.append(choose(p, "huber", units, metric, "quadratic for small errors, linear beyond delta: outliers pull far less than with MSE",
                           prefer=("linear",), trigger=trig, caveat="delta is in target units: about 1.345 robust SDs of y (of the scaled y if you standardise it)"))
        alts.append(choose(p, "mean_absolute_error", units, metric, "fits the conditional median: robust to outliers, but its gradient does not shrink near the optimum",
                           prefer=("linear",), trigger=trig))
    if p.right_skewed:
        # MSLE is MSE on log(1 + y): the log-target model that compare can run as one candidate.
        alts.append(choose(p, "mean_squared_logarithmic_error", units, metric,
                           "a log-scale loss: MSE on log(1 + y), so relative errors count and the long right tail does not dominate "
                           "(the same as fitting MSE to log(1 + y) and exponentiating the prediction)",
                           prefer=("softplus", "exponential"), trigger=_skew_trigger(p),
                           caveat=None if p.max > 10 else "log(1 + y) is nearly linear for targets below 1: log-transform y instead"))
    if p.spans_magnitudes and p.min > 0:
        ratio = p.median / p.min
        alts.append(choose(p, "mean_absolute_percentage_error", units, metric, "relative error in percent, when a 10% miss matters the same at every scale",
                           prefer=("linear",), trigger=f"targets span {p.orders_of_magnitude:.3g} orders of magnitude (>= {MAGNITUDE_ORDERS:g}), all positive",
                           caveat=f"MAPE divides by |y|: the smallest target ({p.min:.3g}) weighs {ratio:.3g} times the median's" if ratio > 100 else None))
    if not counts and p.kind == "regression" and p.looks_like_counts:
        alts.append(choose(p, "poisson", units, metric, "if the targets count events: Poisson maximum likelihood, variance growing with the mean",
                           trigger=f"non-negative integer targets ({p.min:g} .. {p.max:g}) whose smallest value is within one "
                                   f"standard deviation ({p.std:.3g}) of 0, as counts are"))
    return alts


def _warnings(p: Problem) -> list[str]:
    if p.min < 0 < p.max:
        return ["targets cross zero: do not use mean_absolute_percentage_error, which divides by |y| and explodes near 0"]
    if p.min == 0 or (p.median and abs(p.min) < 0.01 * abs(p.median)):
        zeros = f"{p.zero_share:.1%} of targets are 0" if p.zero_share else f"the smallest target, {p.min:.3g}, is near 0"
        return [f"{zeros}: do not use mean_absolute_percentage_error, which divides by |y|"]
    return []


def recommend_values(p: Problem) -> Recommendation:
    """Regression and counts (``p.kind`` in ``("regression", "counts")``)."""
    units, metric = p.n_columns, "rmse"
    counts = p.kind == "counts"
    notes: list[str] = []
    if counts:
        primary = choose(p, "poisson", units, metric, "non-negative counts: Poisson maximum likelihood, with a variance that grows with the mean")
    else:
        why = "the default for real-valued targets: maximum likelihood under Gaussian noise, and it optimises RMSE directly"
        if units > 1:
            why = f"{units} real-valued outputs: {units} linear units, squared error averaged over them"
        primary = choose(p, "mean_squared_error", units, metric, why, prefer=("linear",))
    alts = _alternatives(p, units, metric, counts=counts)
    if not alts:
        # One candidate is nothing to compare: its nearest neighbour, robust where MSE is not.
        alts = [choose(p, "huber", units, metric, "MSE near the fit, linear beyond delta: the same model, less pulled by the largest errors",
                       prefer=("linear",), trigger="nearest alternative to mean_squared_error (nothing in the targets calls for another loss)")]
    if p.right_skewed:
        notes.append(f"{_skew_trigger(p)}: a log-scale loss (mean_squared_logarithmic_error) is proposed; "
                     "a Gamma or Tweedie deviance would fit too, but the catalog has neither")
    also: tuple[str, ...] = ("mae",) if counts or p.heavy_tailed else ()
    if counts:
        chosen = [primary, *alts]
        if all(c.output_activation in _POSITIVE_OUTPUTS for c in chosen):
            also += ("neg_mean_poisson_deviance",)
        else:
            linear = sorted({c.label for c in chosen if c.output_activation not in _POSITIVE_OUTPUTS})
            notes.append(f"scored with rmse (and mae): the Poisson deviance needs predictions > 0, which {', '.join(linear)} "
                         "with a linear output does not guarantee")
    return finish(p, primary, alts, _warnings(p), also, notes)
