"""Compare losses on one data set: which test decides, what it says, and in words.

`compare_losses` is the one entry point. It takes the scores of a study in long form (one
row per loss x seed x fold: the held-out metric of that trial), validates every argument,
runs the tests that fit the resampling design, and returns a `Comparison` that the report
and the command line read (`Comparison.verdict()` says the result in a sentence).

Decision flow
-------------
Trials are paired: every loss is trained and scored on the same (seed, fold) trials, so the
tests work on per-trial differences. Every pair of losses is decided by the design's test:

====================  ==============================================  ==========================
design                deciding test (directional, with its interval)  reported beside it
====================  ==============================================  ==========================
``independent``       paired t-test; Wilcoxon signed-rank test        the other one of the two
                      (Hodges-Lehmann interval) when Shapiro-Wilk
                      rejects normal differences
``holdout``           corrected resampled t-test (Nadeau-Bengio),     paired t, Wilcoxon
                      n_test/n_train from test_fraction
``kfold``             corrected resampled t-test, 1/(k-1)             paired t, Wilcoxon
``repeated_kfold``    corrected repeated k-fold cv test               paired t, Wilcoxon
                      (Bouckaert-Frank), 1/(k-1)
``5x2cv``             corrected repeated k-fold cv test over the      combined 5x2cv F (no
                      10 folds, 1/(k-1) = 1                           direction), 5x2cv t, paired
                                                                      t, Wilcoxon
====================  ==============================================  ==========================

Why: with fresh data for every trial the differences are independent and the paired t-test
is exact for normal differences. In every other design the training sets of different trials
overlap, so the differences are positively correlated and the plain tests understate the
variance of their mean: they find differences far too often (Dietterich 1998; Nadeau & Bengio
2003; our own simulation, docs/statistics.md: 0.47 to 0.86 of null studies). The corrected
t-test inflates the variance by ``1/J + n_test/n_train``, where n_train counts the rows the
model was fitted on (`Design.train_fraction`: early stopping's validation share is taken off).
Alpaydin's combined 5x2cv F-test squares the differences, so it has no direction, no interval
for the difference, and cannot name a winner: it is reported beside and never decides.
(Measured under a true null in docs/statistics.md it held its level, 0.046 [0.035, 0.061], so
it is not labelled liberal; the corrected t over the 10 folds was conservative there, 0.028.)
More than two losses: every pair gets the design's test and the p-values are Holm-adjusted
over all pairs, which holds the family-wise error rate (0.045 in the simulation). No Friedman or Nemenyi test and no critical-difference diagram here:
they assume independent blocks, which overlapping trials are not (in our simulation Friedman
rejected in most null studies); they belong to `losslab.stats.across`, over data sets.

Every verdict carries, for the pair it states, the deciding test's own interval (the
corrected t interval for the corrected t, Hodges-Lehmann's for Wilcoxon), and takes the
direction only from a directional statistic (the mean difference for t-tests, the signed
rank sums for Wilcoxon). Beside it stands the Bayesian correlated t-test (Corani & Benavoli
2015) with a region of practical equivalence ``rope``: P(a better by more than rope),
P(equivalent within rope), P(b better). Differences with no spread cannot be tested ("cannot
test: the differences have no spread"), and with fewer than 5 paired trials nothing is
tested ("too few trials to test; run at least 5"). Cohen's d_z and Cliff's delta describe
the effect size.

Examples
--------
>>> import pandas as pd
>>> hinge = [0.80, 0.82, 0.79, 0.81, 0.83, 0.80, 0.78, 0.82]
>>> gain = [0.04, 0.06, 0.05, 0.03, 0.05, 0.07, 0.04, 0.06]
>>> rows = [("hinge", seed, 0, v) for seed, v in enumerate(hinge)]
>>> rows += [("bce", seed, 0, v + g) for seed, (v, g) in enumerate(zip(hinge, gain))]
>>> scores = pd.DataFrame(rows, columns=["loss", "seed", "fold", "value"])
>>> result = compare_losses(scores, higher_is_better=True, design="independent", metric="accuracy")
>>> result.best
'bce'
>>> print(result.verdict())
bce has higher accuracy than hinge by 0.05 (95% CI 0.0391 to 0.0609; paired t-test p<0.0001) over 8 trials; Bayesian correlated t-test: P(bce better) = 1.00, P(equivalent within 0.01 accuracy) = 0.00
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from . import bayes, validate, wording
from .design import Design
from .tests import (
    CORRECTED_REPEATED_CV_T,
    CORRECTED_RESAMPLED_T,
    MIN_TRIALS,
    WILCOXON,
    HypothesisTest,
    alpaydin_5x2cv_f,
    cliffs_delta,
    cohens_dz,
    corrected_t,
    dietterich_5x2cv_t,
    holm,
    no_spread,
    paired_t,
    rank_table,
    signed_rank_sums,
    wilcoxon_signed_rank,
)

__all__ = ["MIN_TRIALS", "Comparison", "Design", "HypothesisTest", "compare_losses"]

PAIRWISE_COLUMNS = (
    "loss_a", "loss_b", "test", "statistic", "p", "p_adjusted",
    "mean_diff", "ci_low", "ci_high", "cohen_d", "cliffs_delta", "significant", "better", "estimate", "note",
)  # fmt: skip


@dataclass(frozen=True)
class Comparison:
    """The outcome of `compare_losses`: tests, effect sizes, the Bayesian test, and the verdict in words.

    Attributes
    ----------
    metric, higher_is_better, alpha, design, rope :
        As passed to `compare_losses` (``design`` always as a `Design`).
    ratio : float
        The n_test/n_train of the correction (0 for independent trials).
    n_trials : int
        Number of paired (seed, fold) trials per loss.
    summary : pandas.DataFrame
        One row per loss (index ``loss``), best mean first: ``mean``, ``std``, ``median``,
        ``min``, ``max``, ``n``, ``avg_rank`` (descriptive: no test reads the ranks).
    pairwise : pandas.DataFrame
        One row per pair, decided by the design's test: ``loss_a`` (the better mean),
        ``loss_b``, ``test``, ``statistic``, ``p``, ``p_adjusted`` (Holm over the pairs; p
        itself with two losses), ``mean_diff`` (mean of a - b in metric units), ``estimate``
        (what the test looks at: the mean difference, or Hodges-Lehmann's for Wilcoxon),
        ``ci_low``/``ci_high`` (the deciding test's interval for ``estimate`` at 1 - alpha),
        ``cohen_d`` (d_z), ``cliffs_delta``, ``significant``, ``better`` (the loss the test's
        direction favours, or None), ``note`` (why a pair could not be tested, else "").
    all_tests : pandas.DataFrame
        Every test run on every pair (``loss_a``, ``loss_b``, ``test``, ``statistic``, ``df``,
        ``p``, ``primary``, ``note``); p-values unadjusted.
    forest : pandas.DataFrame
        For the forest plot: index ``loss`` (best mean first), ``difference`` (its mean minus
        the best loss's mean, in metric units), ``low``/``high`` (the deciding test's interval
        for that difference; NaN for the best itself), ``p_adjusted``, ``test``, ``decided``
        (significant after Holm).
    bayes : pandas.DataFrame
        The Bayesian correlated t-test per pair: ``loss_a``, ``loss_b``, ``p_left`` (P(loss_a
        better by more than rope)), ``p_rope`` (P(within +-rope, edges included)), ``p_right``
        (P(loss_b better by more than rope)), ``rope``; NaN where it cannot test.
    avg_ranks : Mapping[str, float]
        Average rank per loss over the trials (1 = best), in the summary's order; descriptive.
    best : str or None
        The loss significantly better than every other loss, or None.
    reason : str
        Which test decided and why, in one paragraph.
    """

    metric: str
    higher_is_better: bool
    alpha: float
    design: Design
    rope: float
    ratio: float
    n_trials: int
    summary: pd.DataFrame
    pairwise: pd.DataFrame
    all_tests: pd.DataFrame
    best: str | None
    reason: str
    forest: pd.DataFrame
    bayes: pd.DataFrame
    avg_ranks: Mapping[str, float]

    def verdict(self) -> str:
        """Which loss wins on the metric and by how much, or that none does, in one sentence."""
        return wording.within_verdict(self)


def compare_losses(
    scores: pd.DataFrame,
    *,
    design: Design | str,
    higher_is_better: bool,
    metric: str = "score",
    alpha: float = 0.05,
    rope: float = 0.01,
    n_train: int | None = None,
    n_test: int | None = None,
) -> Comparison:
    """Test whether the losses of a study differ on a held-out metric, and say how.

    Parameters
    ----------
    scores : pandas.DataFrame
        Long form, one row per trial: columns ``loss``, ``seed``, ``fold``, ``value`` (the
        metric on held-out data). Every loss must have the same (seed, fold) trials.
    higher_is_better : bool
        True for accuracy-like metrics, False for error-like ones (RMSE, log loss).
    design : Design or str
        How the trials were resampled (a kind name is enough for ``"independent"`` and
        ``"5x2cv"``). It picks the test; see the module docstring.
    metric : str
        The metric's name, for the verdict.
    alpha : float
        Significance level, strictly between 0 and 1; the intervals are at 1 - alpha.
    rope : float
        Region of practical equivalence for the Bayesian correlated t-test, in metric units
        (differences within +-rope, edges included, count as no difference in practice).
    n_train, n_test : int, optional
        Training and test set sizes of one trial, for the Nadeau-Bengio correction. By
        default the ratio comes from the design (`Design.ratio`).

    Returns
    -------
    Comparison

    Raises
    ------
    ValueError
        For fewer than 2 losses or 2 trials, NaN or infinite values, unpaired or
        duplicated trials, trials that do not fit the design, alpha outside (0, 1), ...
    TypeError
        For arguments of the wrong type (``scores`` not a DataFrame, ...).
    """
    if isinstance(design, str):
        design = Design(design)
    if not isinstance(design, Design):
        raise TypeError(f"design: expected a Design or a kind name such as 'kfold'. Received: design of type {type(design).__name__}.")
    validate.check_higher_is_better(higher_is_better, metric)
    validate.check_metric(metric)
    validate.check_alpha(alpha)
    validate.check_rope(rope, metric)
    losses, trials, values = _score_table(scores)
    design.check_fits(trials)
    ratio = design.ratio(n_train, n_test)

    n_trials, n_losses = values.shape
    means = values.mean(axis=0)
    ranks = rank_table(values, higher_is_better=higher_is_better).mean(axis=0)
    sign = 1.0 if higher_is_better else -1.0
    order = sorted(range(n_losses), key=lambda i: (-sign * means[i], ranks[i], losses[i]))
    pairs = [(order[i], order[j]) for i in range(n_losses) for j in range(i + 1, n_losses)]
    tests = [_pair_tests(values[:, a] - values[:, b], design, ratio, alpha) for a, b in pairs]
    primary_p = np.array([pair[0].p for pair in tests])
    adjusted = holm(primary_p) if len(pairs) > 1 else primary_p

    rows, test_rows, bayes_rows = [], [], []
    for (a, b), pair, p_adjusted in zip(pairs, tests, adjusted):
        primary, d = pair[0], values[:, a] - values[:, b]
        lead = _direction(primary, d)
        better = None if lead is None or lead == 0 else losses[a] if sign * lead > 0 else losses[b]
        significant = bool(primary.tested and p_adjusted < alpha and better is not None)
        rows.append((losses[a], losses[b], primary.name, primary.statistic, primary.p, float(p_adjusted), float(d.mean()),
                     primary.low, primary.high, cohens_dz(d), cliffs_delta(values[:, a], values[:, b]), significant, better,
                     primary.estimate, primary.note))  # fmt: skip
        test_rows += [(losses[a], losses[b], t.name, t.statistic, t.df, t.p, t is primary, t.note) for t in pair]
        above, inside, below = bayes.correlated_t(d, ratio=ratio, rope=float(rope)) if n_trials >= MIN_TRIALS else (math.nan,) * 3
        bayes_rows.append((losses[a], losses[b], *((above, inside, below) if higher_is_better else (below, inside, above)), float(rope)))
    pairwise = pd.DataFrame(rows, columns=list(PAIRWISE_COLUMNS))
    summary = pd.DataFrame(
        {"mean": means, "std": values.std(axis=0, ddof=1), "median": np.median(values, axis=0), "min": values.min(axis=0),
         "max": values.max(axis=0), "n": n_trials, "avg_rank": ranks},
        index=pd.Index(losses, name="loss"),
    ).iloc[order]  # fmt: skip
    result = Comparison(
        metric=metric, higher_is_better=bool(higher_is_better), alpha=float(alpha), design=design, rope=float(rope), ratio=ratio,
        n_trials=n_trials, summary=summary, pairwise=pairwise,
        all_tests=pd.DataFrame(test_rows, columns=["loss_a", "loss_b", "test", "statistic", "df", "p", "primary", "note"]),
        forest=_forest(pairwise, summary), bayes=pd.DataFrame(bayes_rows, columns=["loss_a", "loss_b", "p_left", "p_rope", "p_right", "rope"]),
        avg_ranks={losses[i]: float(ranks[i]) for i in order}, best=_best(pairwise, n_losses), reason="",
    )  # fmt: skip
    return replace(result, reason=wording.within_reason(result))


def _pair_tests(d: np.ndarray, design: Design, ratio: float, alpha: float) -> list[HypothesisTest]:
    """The tests that fit the design for one pair of losses, the deciding test first."""
    confidence = 1.0 - alpha
    if d.size < MIN_TRIALS:
        name = {"independent": "paired t-test", "repeated_kfold": CORRECTED_REPEATED_CV_T, "5x2cv": CORRECTED_REPEATED_CV_T}.get(design.kind, CORRECTED_RESAMPLED_T)
        return [HypothesisTest(name, math.nan, math.nan, note=f"too few trials to test; run at least {MIN_TRIALS}")]
    plain = [paired_t(d, confidence=confidence), wilcoxon_signed_rank(d, confidence=confidence)]
    if design.kind == "independent":
        normality = _normality_p(d)
        return plain[::-1] if normality is not None and normality < alpha else plain
    if design.kind in ("holdout", "kfold"):
        return [corrected_t(d, ratio=ratio, confidence=confidence), *plain]
    corrected = corrected_t(d, ratio=ratio, confidence=confidence, name=CORRECTED_REPEATED_CV_T)
    if design.kind == "repeated_kfold":
        return [corrected, *plain]
    table = d.reshape(5, 2)  # rows: seeds in order, columns: the two folds
    return [corrected, alpaydin_5x2cv_f(table), dietterich_5x2cv_t(table), *plain]


def _normality_p(d: np.ndarray) -> float | None:
    """Shapiro-Wilk p for normal differences; None where it cannot be computed (n < 3, no spread)."""
    if d.size < 3 or no_spread(d):
        return None
    return float(sps.shapiro(d).pvalue)


def _direction(test: HypothesisTest, d: np.ndarray) -> float | None:
    """Positive if the test favours a larger a, negative for a larger b, 0 for no direction, None if untested.

    Only a directional statistic gives it: the mean difference for the t-tests, the signed
    rank sums R+ - R- for Wilcoxon (never the median of the differences, which can point the
    other way).
    """
    if not test.tested:
        return None
    if test.name == WILCOXON:
        r_plus, r_minus = signed_rank_sums(d, split_zeros=False)
        return r_plus - r_minus
    return test.estimate


def _forest(pairwise: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Each loss against the best mean: difference, the deciding test's interval, Holm's p, decided."""
    best = summary.index[0]
    rows = {best: (0.0, math.nan, math.nan, math.nan, "", False)}
    for row in pairwise[pairwise["loss_a"] == best].itertuples():
        # The pair's interval is for a - b = best - loss; the forest shows loss - best.
        rows[row.loss_b] = (-row.mean_diff, -row.ci_high, -row.ci_low, row.p_adjusted, row.test, bool(row.significant))
    forest = pd.DataFrame.from_dict(rows, orient="index", columns=["difference", "low", "high", "p_adjusted", "test", "decided"])
    forest.index.name = "loss"
    return forest.loc[summary.index]


def _best(pairwise: pd.DataFrame, n_losses: int) -> str | None:
    """The loss that wins a significant pairwise test against every other loss."""
    wins = pairwise.loc[pairwise["significant"], "better"].value_counts()
    champions = [loss for loss, count in wins.items() if count == n_losses - 1]
    return champions[0] if champions else None


def _score_table(scores: Any) -> tuple[tuple[str, ...], list[tuple[Any, Any]], np.ndarray]:
    """Check the long-form scores and return (losses, trials, values[trial, loss]).

    Losses are sorted by name and trials by (seed, fold); ``values`` is float64.
    """
    frame, _ = validate.long_table(
        scores, required=("loss", "seed", "fold", "value"), unit="trial",
        missing_hint={"fold": "A study with one split per seed can use fold=0 throughout."},
        fix_nonfinite="Re-run those trials, or drop them for every loss so the trials stay paired.",
    )  # fmt: skip
    # Integer codes, sorted: losses by name, trials by (seed, fold). Cheaper than a pivot.
    loss_code, losses = pd.factorize(frame["loss"].to_numpy().astype(str), sort=True)
    seed_code, seeds = pd.factorize(frame["seed"].to_numpy(), sort=True)
    fold_code, folds = pd.factorize(frame["fold"].to_numpy(), sort=True)
    trial_ids, trial_code = np.unique(seed_code * len(folds) + fold_code, return_inverse=True)
    trials = [(validate.plain(seeds[t // len(folds)]), validate.plain(folds[t % len(folds)])) for t in trial_ids]
    losses = tuple(str(name) for name in losses)
    validate.check_losses(losses)
    counts = np.zeros((len(trials), len(losses)), dtype=np.int64)
    np.add.at(counts, (trial_code, loss_code), 1)
    if (counts == 0).any():
        lines = []
        for j, loss in enumerate(losses):
            lacking = [validate.where(trials[t], ("seed", "fold")) for t in np.flatnonzero(counts[:, j] == 0)]
            if lacking:
                lines.append(f"loss {loss!r} lacks {len(lacking)} trial(s): {validate.quote(lacking)}")
        raise ValueError(
            "scores: expected every loss to have the same (seed, fold) trials (the comparison is paired). "
            f"Received: {'; '.join(lines)}. Run the missing trials, or drop those trials for every loss."
        )
    if len(trials) < 2:
        raise ValueError(f"scores: expected at least 2 trials (seed, fold) per loss. Received: {len(trials)} trial {validate.where(trials[0], ('seed', 'fold'))}.")
    values = np.empty((len(trials), len(losses)))
    values[trial_code, loss_code] = frame["value"].to_numpy()
    return losses, trials, values
