"""Compare losses over repeated trials: which test decides, what it says, and in words.

`compare_losses` is the one entry point. It takes the scores of a study in long form (one
row per loss x seed x fold: the held-out metric of that trial), validates every argument,
runs the tests that fit the resampling design, and returns a `Comparison` that the report
and the command line read (`Comparison.verdict()` says the result in a sentence).

Decision flow
-------------
Trials are paired: every loss is trained and scored on the same (seed, fold) trials, so
the tests work on per-trial differences or per-trial ranks.

**Two losses.** The primary test decides; the others are reported beside it.

====================  =============================================  ========================
design                primary test                                   reported beside it
====================  =============================================  ========================
``independent``       paired t-test; the Wilcoxon signed-rank test   the other one of the two
                      when Shapiro-Wilk rejects normal differences
``holdout``           corrected resampled t-test (Nadeau-Bengio)     paired t, Wilcoxon
``kfold``             corrected resampled t-test, n_test/n_train     paired t, Wilcoxon
                      = 1/(k-1)
``repeated_kfold``    corrected repeated k-fold cv test              paired t, Wilcoxon
                      (Bouckaert-Frank)
``5x2cv``             combined 5x2cv F-test (Alpaydin)               5x2cv paired t
                                                                     (Dietterich), paired t,
                                                                     Wilcoxon
====================  =============================================  ========================

Why: with fresh data for every trial the differences are independent, and the paired
t-test is exact for normal differences (Wilcoxon takes over when they are visibly not).
In every other design the training sets of different trials overlap, so the differences
are positively correlated and the plain tests understate the variance of their mean:
they find differences far more often than alpha says (Dietterich 1998; Nadeau & Bengio
2003). The corrected resampled t-test inflates the variance by ``1/J + n_test/n_train``;
Bouckaert & Frank (2004) use the same statistic over all k*r folds of repeated k-fold CV
and found its type I error near alpha and its replicability the best of the tests they
compared. For 5x2cv, Alpaydin's F-test uses all ten differences where Dietterich's t uses
one, has lower type I error and higher power (Alpaydin 1999), and does not depend on
which trial comes first. The plain paired t and Wilcoxon tests beside them ignore the
overlap: they are for reference only.

**More than two losses.**

1. Omnibus: Friedman's test with the trials as blocks. If p >= alpha, no pair is called
   different (Demšar 2006).
2. Pairwise, for every pair of losses:

   - ``independent``: the Nemenyi post-hoc test. Its p-values hold the family-wise error
     rate by construction, and it is the test the critical-difference diagram draws.
   - every other design: the design's two-loss primary test, with Holm's step-down
     adjustment over all pairs. Friedman's test assumes independent blocks, which
     overlapping trials are not, so here it only gates; the corrected pairwise tests
     carry the error control.

3. ``best`` is the loss significantly better than every other loss, when there is one.

A pair's direction (``better``) follows what its primary test looks at: average ranks for
Nemenyi, the median difference for Wilcoxon, the mean difference for the t and F tests. A
significant test with no direction (a mean difference of exactly 0) names no winner and
is not counted as significant.

Effect sizes stand beside every p-value: the mean difference with a paired bootstrap
interval at level 1 - alpha (widened by ``sqrt(1 + J n_test/n_train)`` when training sets
overlap, the factor the corrected t-test applies to the variance), Cohen's d_z and
Cliff's delta. The 5x2cv F-test pools squared differences and has no matching interval,
so there the widened interval can include 0 while the test rejects. Average ranks and Demšar's critical difference are always computed, for
the critical-difference diagram; Nemenyi's CD treats trials as independent, so for the
overlapping designs the diagram is descriptive and the pairwise table decides.

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
bce has higher accuracy than hinge by 0.05 (95% CI 0.0413 to 0.0575; paired t-test p<0.0001) over 8 trials
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from . import wording
from .scores import (
    DESIGN_KINDS,
    check_arguments,
    check_design,
    check_design_fits,
    overlap_ratio,
    score_table,
)
from .tests import (
    CORRECTED_REPEATED_CV_T,
    NEMENYI,
    WILCOXON,
    HypothesisTest,
    alpaydin_5x2cv_f,
    average_ranks,
    cliffs_delta,
    cohens_dz,
    corrected_resampled_t,
    dietterich_5x2cv_t,
    friedman,
    holm,
    mean_difference_ci,
    nemenyi_critical_difference,
    nemenyi_pvalues,
    no_spread,
    paired_t,
    wilcoxon_signed_rank,
)

__all__ = ["DESIGN_KINDS", "Comparison", "Design", "HypothesisTest", "compare_losses"]

PAIRWISE_COLUMNS = (
    "loss_a", "loss_b", "test", "statistic", "p", "p_adjusted",
    "mean_diff", "ci_low", "ci_high", "cohen_d", "cliffs_delta", "significant", "better",
)  # fmt: skip


@dataclass(frozen=True)
class Design:
    """How the trials of a study were resampled; it decides which tests are valid.

    Parameters
    ----------
    kind : {"independent", "holdout", "kfold", "repeated_kfold", "5x2cv"}
        ``"independent"``: fresh data for every trial, nothing shared between trials.
        ``"holdout"``: each seed draws a fresh random train/test split of one data set
        (training sets overlap across trials). ``"kfold"``: one k-fold cross-validation,
        one seed, k folds. ``"repeated_kfold"``: ``repeats`` k-fold cross-validations,
        one seed each. ``"5x2cv"``: Dietterich's five repetitions (seeds) of 2-fold CV.
    k : int, optional
        Number of folds; required for ``"kfold"`` and ``"repeated_kfold"``.
    repeats : int, optional
        Number of repetitions; required for ``"repeated_kfold"``. For ``"holdout"`` and
        ``"independent"`` it is optional, and when given the number of trials must match.
    test_fraction : float, optional
        ``"holdout"`` only: the held-out share of the data (n_test / (n_train + n_test)),
        for the corrected resampled t-test; or pass ``n_train``/``n_test`` to
        `compare_losses` instead.
    """

    kind: str
    k: int | None = None
    repeats: int | None = None
    test_fraction: float | None = None

    def __post_init__(self) -> None:
        check_design(self)

    @property
    def overlapping(self) -> bool:
        """Whether different trials train on overlapping data (every kind but independent)."""
        return self.kind != "independent"

    def describe(self) -> str:
        """The design in words, for the reason paragraph."""
        if self.kind == "holdout":
            fraction = f", {self.test_fraction:g} held out" if self.test_fraction is not None else ""
            return f"repeated random hold-out splits of one data set{fraction}"
        if self.kind == "kfold":
            return f"the {self.k} folds of one {self.k}-fold cross-validation"
        if self.kind == "repeated_kfold":
            return f"{self.repeats} repetitions of {self.k}-fold cross-validation"
        if self.kind == "5x2cv":
            return "5 repetitions of 2-fold cross-validation (5x2cv)"
        return "independent trials, each on fresh data"


@dataclass(frozen=True)
class Comparison:
    """The outcome of `compare_losses`: tests, effect sizes, and the verdict in words.

    Attributes
    ----------
    metric, higher_is_better, alpha, design :
        As passed to `compare_losses` (``design`` always as a `Design`).
    n_trials : int
        Number of paired (seed, fold) trials per loss.
    summary : pandas.DataFrame
        One row per loss (index ``loss``), best average rank first: ``mean``, ``std``,
        ``median``, ``min``, ``max``, ``n``, ``avg_rank``.
    omnibus : HypothesisTest
        Friedman's test for more than two losses; with two losses, the primary pairwise
        test itself.
    pairwise : pandas.DataFrame
        One row per pair, decided by the primary test: ``loss_a`` (the better-ranked),
        ``loss_b``, ``test``, ``statistic``, ``p``, ``p_adjusted`` (Holm, or Nemenyi's own
        family-wise p), ``mean_diff`` (mean of a - b in metric units), ``ci_low``/``ci_high``
        (its bootstrap interval at 1 - alpha), ``cohen_d`` (d_z), ``cliffs_delta``,
        ``significant``, ``better`` (the favoured loss, or None on an exact tie).
    all_tests : pandas.DataFrame
        Every test run on every pair (``loss_a``, ``loss_b``, ``test``, ``statistic``,
        ``df``, ``p``, ``primary``); p-values unadjusted.
    avg_ranks : Mapping[str, float]
        Average rank per loss over the trials (1 = best), best first.
    critical_difference : float
        Demšar's Nemenyi critical difference for these losses and trials at alpha.
    best : str or None
        The loss significantly better than every other loss, or None.
    reason : str
        Which test decided and why, in one paragraph.
    """

    metric: str
    higher_is_better: bool
    alpha: float
    design: Design
    n_trials: int
    summary: pd.DataFrame
    omnibus: HypothesisTest
    pairwise: pd.DataFrame
    all_tests: pd.DataFrame
    avg_ranks: Mapping[str, float]
    critical_difference: float
    best: str | None
    reason: str

    def verdict(self) -> str:
        """Which loss wins on the metric and by how much, or that none does, in one sentence."""
        return wording.verdict(self)


def compare_losses(
    scores: pd.DataFrame,
    *,
    higher_is_better: bool,
    design: Design | str,
    metric: str = "score",
    alpha: float = 0.05,
    n_train: int | None = None,
    n_test: int | None = None,
    rng: int | np.random.Generator = 0,
    n_bootstrap: int = 2000,
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
    n_train, n_test : int, optional
        Training and test set sizes of one trial, for the Nadeau-Bengio correction. By
        default the ratio comes from the design (1/(k-1) for k-fold, 1 for 5x2cv,
        test_fraction / (1 - test_fraction) for hold-out).
    rng : int or numpy.random.Generator
        Seed for the bootstrap; the same seed gives the same intervals.
    n_bootstrap : int
        Bootstrap resamples per interval (at least 100).

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
    check_arguments(design=design, higher_is_better=higher_is_better, metric=metric, alpha=alpha, rng=rng, n_bootstrap=n_bootstrap)
    losses, trials, values = score_table(scores)
    check_design_fits(design, trials)
    ratio = overlap_ratio(design, n_train, n_test)
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)

    n_trials, n_losses = values.shape
    ranks = average_ranks(values, higher_is_better=higher_is_better)
    means = values.mean(axis=0)
    order = sorted(range(n_losses), key=lambda i: (ranks[i], -means[i] if higher_is_better else means[i], losses[i]))
    pairs = [(order[i], order[j]) for i in range(n_losses) for j in range(i + 1, n_losses)]
    decision = _decide(values, pairs, ranks, design=design, ratio=ratio, alpha=alpha)

    # One seed for every interval: all pairs see the same resampled trials.
    boot_seed = int(generator.integers(2**63 - 1))
    widen = math.sqrt(1.0 + n_trials * ratio) if design.overlapping else 1.0
    rows, test_rows = [], []
    for (a, b), tests, p_adjusted in zip(pairs, decision.tests, decision.adjusted):
        primary = tests[0]
        d = values[:, a] - values[:, b]
        low, high = mean_difference_ci(d, confidence=1.0 - alpha, n_resamples=n_bootstrap, rng=np.random.default_rng(boot_seed), widen=widen)
        better = _favoured(primary.name, d, ranks[a] - ranks[b], higher_is_better)
        winner = (losses[a], losses[b])[better] if better is not None else None
        # A significant test with no direction (an exact tie in the mean) names no winner, so it is not counted.
        significant = bool(decision.gate and p_adjusted < alpha and winner is not None)
        rows.append((losses[a], losses[b], primary.name, primary.statistic, primary.p, float(p_adjusted), float(d.mean()), low, high,
                     cohens_dz(d), cliffs_delta(values[:, a], values[:, b]), significant, winner))  # fmt: skip
        test_rows += [(losses[a], losses[b], t.name, t.statistic, t.df, t.p, t is primary) for t in tests]

    summary = pd.DataFrame(
        {"mean": means, "std": values.std(axis=0, ddof=1), "median": np.median(values, axis=0), "min": values.min(axis=0),
         "max": values.max(axis=0), "n": n_trials, "avg_rank": ranks},
        index=pd.Index(losses, name="loss"),
    ).iloc[order]  # fmt: skip
    return Comparison(
        metric=metric,
        higher_is_better=bool(higher_is_better),
        alpha=float(alpha),
        design=design,
        n_trials=n_trials,
        summary=summary,
        omnibus=decision.omnibus,
        pairwise=pd.DataFrame(rows, columns=list(PAIRWISE_COLUMNS)),
        all_tests=pd.DataFrame(test_rows, columns=["loss_a", "loss_b", "test", "statistic", "df", "p", "primary"]),
        avg_ranks={losses[i]: float(ranks[i]) for i in order},
        critical_difference=nemenyi_critical_difference(n_losses, n_trials, alpha),
        best=_best(rows, n_losses),
        reason=wording.reason(design, n_losses=n_losses, n_trials=n_trials, ratio=ratio, primary=decision.tests[0][0].name,
                               omnibus=decision.omnibus, alpha=alpha, normality_p=decision.normality_p, widen=widen),
    )  # fmt: skip


@dataclass
class _Decision:
    tests: list[list[HypothesisTest]]  # per pair, the primary test first
    adjusted: np.ndarray  # the primary p-values after the multiple-comparison adjustment
    omnibus: HypothesisTest
    gate: bool  # whether the omnibus test lets pairs be called different
    normality_p: float | None = None


def _decide(values: np.ndarray, pairs: list[tuple[int, int]], ranks: np.ndarray, *, design: Design, ratio: float, alpha: float) -> _Decision:
    """Run the tests of the decision flow (module docstring) and order each pair's tests, primary first."""
    tests = [_design_tests(values[:, a], values[:, b], design, ratio) for a, b in pairs]
    if len(pairs) == 1:
        normality_p = None
        if design.kind == "independent":
            ((a, b),) = pairs
            normality_p = _normality_p(values[:, a] - values[:, b])
            if normality_p is not None and normality_p < alpha:
                tests[0].reverse()  # Wilcoxon first
        return _Decision(tests, np.array([tests[0][0].p]), omnibus=tests[0][0], gate=True, normality_p=normality_p)
    n_trials, n_losses = values.shape
    omnibus = friedman(values)
    nemenyi = nemenyi_pvalues(values)
    spread = math.sqrt(n_losses * (n_losses + 1) / (6.0 * n_trials))  # Demšar's z = (R_a - R_b) / spread
    for pair_tests, (a, b) in zip(tests, pairs):
        rank_test = HypothesisTest(NEMENYI, float((ranks[a] - ranks[b]) / spread), float(nemenyi[a, b]))
        if design.overlapping:
            pair_tests.append(rank_test)  # beside the corrected test, for reference
        else:
            pair_tests.insert(0, rank_test)
    primary_p = np.array([pair_tests[0].p for pair_tests in tests])
    adjusted = holm(primary_p) if design.overlapping else primary_p  # Nemenyi's p is family-wise already
    return _Decision(tests, adjusted, omnibus=omnibus, gate=omnibus.p < alpha)


def _favoured(test: str, d: np.ndarray, rank_gap: float, higher_is_better: bool) -> int | None:
    """0 if the first loss of the pair is favoured, 1 if the second, None on an exact tie.

    The direction comes from what the primary test looks at: average ranks for Nemenyi, the
    median difference for Wilcoxon, the mean difference for the t and F tests.
    """
    if test == NEMENYI:
        lead = -rank_gap  # a lower rank is better
    else:
        centre = float(np.median(d)) if test == WILCOXON else float(d.mean())
        lead = centre if higher_is_better else -centre
    return 0 if lead > 0 else 1 if lead < 0 else None


def _design_tests(a: np.ndarray, b: np.ndarray, design: Design, ratio: float) -> list[HypothesisTest]:
    """The tests that fit the design for one pair, the design's primary test first."""
    d = a - b
    plain = [paired_t(a, b), wilcoxon_signed_rank(a, b)]
    if design.kind in ("holdout", "kfold"):
        return [corrected_resampled_t(d, test_train_ratio=ratio), *plain]
    if design.kind == "repeated_kfold":
        return [corrected_resampled_t(d, test_train_ratio=ratio, name=CORRECTED_REPEATED_CV_T), *plain]
    if design.kind == "5x2cv":
        table = d.reshape(5, 2)  # rows: seeds in order, columns: the two folds
        return [alpaydin_5x2cv_f(table), dietterich_5x2cv_t(table), *plain]
    return plain


def _normality_p(d: np.ndarray) -> float | None:
    """Shapiro-Wilk p for normal differences; None where it cannot be computed (n < 3, no spread)."""
    if d.size < 3 or no_spread(d):
        return None
    return float(sps.shapiro(d).pvalue)


def _best(rows: list[tuple], n_losses: int) -> str | None:
    """The loss that wins a significant pairwise test against every other loss."""
    wins: dict[str, int] = {}
    for row in rows:
        significant, better = row[-2], row[-1]
        if significant and better is not None:
            wins[better] = wins.get(better, 0) + 1
    champions = [loss for loss, count in wins.items() if count == n_losses - 1]
    return champions[0] if champions else None
