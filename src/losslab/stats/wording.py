"""The words of the statistics: the reason paragraph and the one-sentence verdict, within one data
set (`within.Comparison`) and across data sets (`across.AcrossComparison`).

Kept apart from the statistics so that the wording can change without touching a test; it
reads the result objects and imports nothing but the tests' names. Numbers are shown to three
significant digits, p-values to two (``p<0.0001`` below that), probabilities to two decimals.
"""

from __future__ import annotations

import math
from typing import Any

from .tests import (
    ALPAYDIN_5X2CV_F,
    CORRECTED_REPEATED_CV_T,
    CORRECTED_RESAMPLED_T,
    HOLM,
    MIN_TRIALS,
    NEMENYI,
    NO_SPREAD,
    WILCOXON,
)
from .bayes import SIGNED_RANK_BAYES as BAYESIAN_SIGNED_RANK

# The results are typed Any: `within` and `across` import this module to say their verdicts,
# so importing their classes here, even for type checking, would close an import cycle.
Comparison = AcrossComparison = Any


def _num(x: float) -> str:
    return f"{x + 0.0:.3g}"  # + 0.0 turns -0.0 into 0.0


def _p(p: float) -> str:
    return "p<0.0001" if p < 1e-4 else f"p={p:.2g}"


# --- within one data set ---------------------------------------------------------------------------


def within_reason(c: Comparison) -> str:
    """Which test decided and why, in one paragraph."""
    j, n_losses, design = c.n_trials, len(c.summary), c.design
    primary = c.pairwise["test"].iloc[0]
    if design.overlapping:
        parts = [f"The {j} trials are {design.describe()}: their training sets overlap, so the per-trial differences are positively "
                 "correlated, and the plain paired t-test and Wilcoxon test, which assume independent trials, understate the variance "
                 "of the mean difference and find differences far too often; they are reported beside for reference only."]  # fmt: skip
    else:
        parts = [f"The {j} trials are {design.describe()}, so the paired differences are independent."]
    if j < MIN_TRIALS:
        parts.append(f"With {j} paired trials per loss nothing is tested: a test on so few trials has almost no power and no check "
                     f"of its assumptions; run at least {MIN_TRIALS}.")  # fmt: skip
        return " ".join(parts)
    correction = f"1/J + n_test/n_train = 1/{j} + {_num(c.ratio)}"
    if design.kind == "5x2cv":
        parts.append(f"The corrected repeated k-fold cv test (Bouckaert & Frank 2004) over the 10 folds decides, variance scaled by {correction}. "
                     "Alpaydin's combined 5x2cv F-test (1999) is reported beside it but never decides: it squares the differences, so it "
                     "has no direction, no interval for the difference, and cannot name a winner. Dietterich's 5x2cv t, also "
                     "beside it, uses only the first difference.")  # fmt: skip
    elif primary == CORRECTED_RESAMPLED_T:
        parts.append(f"The corrected resampled t-test (Nadeau & Bengio 2003) decides: it scales the variance of the mean by {correction} instead of 1/J.")
    elif primary == CORRECTED_REPEATED_CV_T:
        parts.append(f"The corrected repeated k-fold cv test (Bouckaert & Frank 2004) decides: the corrected t statistic over all {j} folds, "
                     f"variance scaled by {correction}, which keeps the type I error near alpha and replicates best among the tests they compared.")  # fmt: skip
    else:
        tests = set(c.pairwise["test"])
        if WILCOXON in tests:
            parts.append("The Wilcoxon signed-rank test decides where Shapiro-Wilk rejects normal differences (its direction from the signed "
                         "rank sums, its interval Hodges-Lehmann's), the paired t-test elsewhere; the other is reported beside it.")  # fmt: skip
        else:
            parts.append("The paired t-test decides (Shapiro-Wilk does not reject normal differences, or there are too few distinct "
                         "differences to test it); the Wilcoxon signed-rank test is reported beside it.")  # fmt: skip
    if n_losses > 2:
        pairs = n_losses * (n_losses - 1) // 2
        parts.append(f"With {n_losses} losses every pair gets that test and the p-values are Holm-adjusted over the {pairs} pairs, which holds "
                     "the family-wise error rate; Friedman's and Nemenyi's rank tests, which assume independent trials, are not used "
                     "within one data set (they compare losses across data sets).")  # fmt: skip
    parts.append(f"Each interval is the deciding test's own at {100 * (1 - c.alpha):g}%.")
    parts.append(f"Beside it, the Bayesian correlated t-test (Corani & Benavoli 2015) reads the same corrected variance as a posterior on the "
                 f"mean difference, with a region of practical equivalence of +-{c.rope:g} {c.metric}, edges included.")  # fmt: skip
    return " ".join(parts)


def _claim(c: Comparison, row: Any, *, subject: bool) -> str:
    """``"a has higher accuracy than b by 0.06 (95% CI 0.04 to 0.08; test p=0.001)"``, from the deciding test."""
    winner = row.better
    loser = row.loss_b if winner == row.loss_a else row.loss_a
    # Orient the estimate a - b as the winner's advantage in the direction that is better.
    sign = 1.0 if (winner == row.loss_a) == c.higher_is_better else -1.0
    low, high = sorted((sign * row.ci_low, sign * row.ci_high))
    adjusted = ", Holm-adjusted" if len(c.summary) > 2 else ""
    what = " (Hodges-Lehmann)" if row.test == WILCOXON else ""
    lead = f"{winner} has " if subject else ""
    word = "higher" if c.higher_is_better else "lower"
    return (f"{lead}{word} {c.metric} than {loser} by {_num(sign * row.estimate)}{what} ({100 * (1 - c.alpha):g}% CI {_num(low)} to "
            f"{_num(high)}; {row.test} {_p(row.p_adjusted)}{adjusted})")  # fmt: skip


def _bayes(c: Comparison, a: str, b: str, *, name_both: bool = False) -> str:
    """``"P(a better) = 0.91, P(equivalent within 0.01 rmse) = 0.08"`` for the pair (a, b), in either order."""
    rows = c.bayes[((c.bayes["loss_a"] == a) & (c.bayes["loss_b"] == b)) | ((c.bayes["loss_a"] == b) & (c.bayes["loss_b"] == a))]
    row = next(rows.itertuples())
    better = row.p_left if row.loss_a == a else row.p_right
    than = f" than {b}" if name_both else ""
    if math.isnan(better):
        return f"P({a} better{than}) cannot be computed ({NO_SPREAD})"
    return f"P({a} better{than}) = {better:.2f}, P(equivalent within {c.rope:g} {c.metric}) = {row.p_rope:.2f}"


def _five_by_two_aside(c: Comparison, row: Any) -> str:
    f = c.all_tests[(c.all_tests["loss_a"] == row.loss_a) & (c.all_tests["loss_b"] == row.loss_b) & (c.all_tests["test"] == ALPAYDIN_5X2CV_F)]
    if f.empty:
        return ""
    f_row = f.iloc[0]
    said = f"cannot test: {f_row['note']}" if f_row["note"] else _p(f_row["p"])
    return f"; the combined 5x2cv F-test beside it (no direction): {said}"


def _untestable(row: Any, j: int) -> str:
    if row.note == NO_SPREAD:
        return f"cannot test: {NO_SPREAD} ({row.loss_a} - {row.loss_b} = {_num(row.mean_diff)} in every one of {j} trials)"
    return row.note


def within_verdict(c: Comparison) -> str:
    """Which loss wins on which metric and by how much, or that none does."""
    j, n_losses = c.n_trials, len(c.summary)
    if j < MIN_TRIALS:
        means = ", ".join(f"{loss} {_num(m)}" for loss, m in c.summary["mean"].items())
        return f"too few trials to test; run at least {MIN_TRIALS} (mean {c.metric} over {j} trials: {means})"
    significant = c.pairwise[c.pairwise["significant"]]
    if n_losses == 2:
        row = next(c.pairwise.itertuples())
        aside = _five_by_two_aside(c, row)
        if row.note:
            return f"{c.metric} of {row.loss_a} vs {row.loss_b}: {_untestable(row, j)}{aside}"
        bayes = f"; Bayesian correlated t-test: {_bayes(c, row.better or row.loss_a, row.loss_b if row.better != row.loss_b else row.loss_a)}"
        if len(significant):
            return f"{_claim(c, row, subject=True)} over {j} trials{bayes}{aside}"
        what = "Hodges-Lehmann estimate" if row.test == WILCOXON else "mean difference"
        return (f"no significant difference in {c.metric} between {row.loss_a} and {row.loss_b} at alpha={c.alpha:g} over {j} trials "
                f"({row.test} {_p(row.p)}); {what} {row.loss_a} - {row.loss_b} = {_num(row.estimate)} "
                f"({100 * (1 - c.alpha):g}% CI {_num(row.ci_low)} to {_num(row.ci_high)}){bayes}{aside}")  # fmt: skip
    test = c.pairwise["test"].iloc[0]
    untested = [f"{row.loss_a} vs {row.loss_b}: {_untestable(row, j)}" for row in c.pairwise.itertuples() if row.note]
    tail = ("; " + "; ".join(untested)) if untested else ""
    top = c.summary.index[0]
    bayes = "; Bayesian correlated t-test: " + "; ".join(_bayes(c, top, other, name_both=True) for other in c.summary.index[1:])
    if c.best is not None:
        wins = [_claim(c, row, subject=False) for row in significant.itertuples() if row.better == c.best]
        return f"{c.best} is the best of the {n_losses} losses on {c.metric} over {j} trials: " + "; ".join(wins) + bayes + tail
    if len(significant):
        claims = [_claim(c, row, subject=True) for row in significant.itertuples()]
        return f"no loss beats every other on {c.metric}, but over {j} trials: " + "; ".join(claims) + bayes + tail
    pairs = len(c.pairwise)
    return (f"no significant difference in {c.metric} among the {n_losses} losses at alpha={c.alpha:g} over {j} trials "
            f"({test}, Holm-adjusted over {pairs} pairs){bayes}{tail}")  # fmt: skip


# --- across data sets ------------------------------------------------------------------------------


def across_reason(c: AcrossComparison, *, trial_columns: tuple[str, ...], prior_strength: float) -> str:
    """Which test decided the comparison across data sets and why, with warnings about few data sets."""
    n, k = c.n_datasets, len(c.avg_ranks)
    averaged = f", averaged here over its trials ({', '.join(trial_columns)})" if trial_columns else ""
    parts = [f"{n} data sets, {k} losses: each score is the mean {c.metric} of one loss on one data set{averaged}; the data sets are the independent units."]
    ff = c.iman_davenport
    tests = (f"Friedman's chi2_F={c.friedman.statistic:.3g} ({_p(c.friedman.p)}) and Iman-Davenport's F_F={ff.statistic:.3g} "
             f"(df {ff.df[0]:g}, {ff.df[1]:g}; {_p(ff.p)}) on the average ranks, without tie correction (Demšar 2006)")  # fmt: skip
    if c.decided_by in (NEMENYI, HOLM):
        parts.append(f"Demšar's procedure: {tests}; F_F, which Demšar prefers to the conservative chi2_F, must reject at alpha={c.alpha:g} before any pair is called different.")
        if c.decided_by == NEMENYI:
            parts.append(f"Every pair is then compared with the Nemenyi test, whose p-values hold the family-wise error rate; two losses differ when their average ranks differ by more than CD={c.critical_difference:.3g}, as the critical-difference diagram draws.")
        else:
            parts.append(f"Each loss is then compared with the control {c.control} by Demšar's z = (R_i - R_c) / sqrt(k(k+1)/6N) with Holm's step-down over the {k - 1} comparisons, more powerful than Nemenyi's all-pairs test; the diagram's CD={c.critical_difference:.3g} is Nemenyi's.")
    elif c.decided_by == WILCOXON:
        parts.append(f"With two losses, Wilcoxon's signed-rank test over the data sets decides, as Demšar recommends (Friedman's test would be a sign test); zero differences share their ranks between R+ and R-. {tests[0].upper() + tests[1:]} are reported for the diagram.")
    else:
        parts.append(f"The Bayesian signed-rank test decides each pair, with no omnibus test and no multiplicity correction; {tests} describe the ranks.")
    if not c.pairwise["p_rope"].isna().all():
        role = "decides" if c.decided_by == BAYESIAN_SIGNED_RANK else "is reported beside it"
        parts.append(f"The Bayesian signed-rank test (Benavoli et al. 2017) {role}: a Dirichlet-process prior of strength {prior_strength:g} at a pseudo-observation 0, "
                     f"a region of practical equivalence of +-{c.rope:g} {c.metric} (edges included), and a decision where a posterior probability exceeds {1 - c.alpha:g}; its rope needs the metric on one scale across data sets.")  # fmt: skip
    if c.decided_by in (NEMENYI, HOLM) and n < 5:
        parts.append(f"Warning: only {n} data sets. The chi-square and F approximations behind Friedman's test are rough below about 5 (Demšar 2006), and the post-hoc tests have little power; treat the p-values as indicative and add data sets.")
    elif c.decided_by == WILCOXON and n < 6:
        parts.append(f"Warning: only {n} data sets. Wilcoxon's test can hardly reach p<0.05 however large the differences (the exact test needs at least 6); add data sets.")
    elif c.decided_by == BAYESIAN_SIGNED_RANK and n < 5:
        parts.append(f"Warning: only {n} data sets. The posterior rests on few differences and leans on the prior's pseudo-observation at 0; read its probabilities with care and add data sets.")
    return " ".join(parts)


def across_verdict(c: AcrossComparison) -> str:
    """Which loss ranks best across the data sets and what the tests say, in one sentence."""
    n, k = c.n_datasets, len(c.avg_ranks)
    ranks = c.avg_ranks
    top = next(iter(ranks))
    significant = c.pairwise[c.pairwise["significant"]]
    if c.decided_by == BAYESIAN_SIGNED_RANK:
        return _bayesian_verdict(c)
    if c.decided_by == WILCOXON:
        row = next(c.pairwise.itertuples())
        tally = f"{row.loss_a} better on {row.wins}, {row.loss_b} on {row.losses}, tied on {row.ties}"
        test = f"Wilcoxon signed-rank test {_p(row.p)}; mean difference {row.loss_a} - {row.loss_b} = {row.mean_diff + 0.0:.3g}"
        if row.significant:
            loser = row.loss_b if row.better == row.loss_a else row.loss_a
            text = f"over {n} data sets, {row.better} is significantly better than {loser} on {c.metric}: {tally} ({test})"
        else:
            text = f"over {n} data sets, no significant difference in {c.metric} between {row.loss_a} and {row.loss_b} at alpha={c.alpha:g}: {tally} ({test})"
        return text + _bayesian_aside(c)
    procedure = f"Nemenyi, CD {c.critical_difference:.2f}" if c.decided_by == NEMENYI else f"Holm against the control {c.control}"
    leader = f"{top} ranks best on {c.metric} (average rank {ranks[top]:.2f})"
    ff = f"Iman-Davenport {_p(c.iman_davenport.p)}"
    if c.iman_davenport.p >= c.alpha:
        text = f"over {n} data sets, no significant difference in {c.metric} among the {k} losses at alpha={c.alpha:g} ({ff}); {leader}"
    elif c.best is not None:
        others = ", ".join(f"{row.loss_b} ({ranks[row.loss_b]:.2f})" for row in significant.itertuples())
        every = "every other loss" if c.control is None else "every other loss it was compared with"
        text = f"over {n} data sets, {c.best} ranks best on {c.metric} (average rank {ranks[c.best]:.2f}) and is significantly better than {every}: {others} ({procedure}; {ff})"
    elif len(significant):
        claims = []
        for row in significant.itertuples():
            loser = row.loss_b if row.better == row.loss_a else row.loss_a
            claims.append(f"{row.better} better than {loser} ({ranks[row.better]:.2f} vs {ranks[loser]:.2f})")
        rest = "; no other pair differs" if len(significant) < len(c.pairwise) else ""
        text = f"over {n} data sets, {leader}; significant differences ({procedure}): {', '.join(claims)}{rest}"
    else:
        text = f"over {n} data sets, the {k} losses differ in {c.metric} ({ff}), but no pair differs significantly ({procedure}); {leader}"
    return text + _bayesian_aside(c)


def _posterior(row: Any) -> str:
    return f"P({row.loss_a} better)={row.p_a_better:.3f}, P(rope)={row.p_rope:.3f}, P({row.loss_b} better)={row.p_b_better:.3f}"


def _bayesian_aside(c: AcrossComparison) -> str:
    """The Bayesian signed-rank test beside Demšar's: every pair with two losses, else the pairs it decides."""
    if c.pairwise["p_rope"].isna().all():
        return ""
    head = f"; Bayesian signed-rank test (rope {c.rope:g})"
    if len(c.pairwise) == 1:
        return f"{head}: {_posterior(next(c.pairwise.itertuples()))}"
    calls = _bayesian_calls(c)
    return f"{head}: {', '.join(calls)}" if calls else f"{head}: no pair decided at probability {1 - c.alpha:g}"


def _bayesian_calls(c: AcrossComparison) -> list[str]:
    calls = []
    for row in c.pairwise.itertuples():
        if row.p_a_better > 1 - c.alpha:
            calls.append(f"{row.loss_a} better than {row.loss_b} (P={row.p_a_better:.3f})")
        elif row.p_b_better > 1 - c.alpha:
            calls.append(f"{row.loss_b} better than {row.loss_a} (P={row.p_b_better:.3f})")
        elif row.equivalent:
            calls.append(f"{row.loss_a} and {row.loss_b} practically equivalent (P(rope)={row.p_rope:.3f})")
    return calls


def _bayesian_verdict(c: AcrossComparison) -> str:
    n = c.n_datasets
    head = f"over {n} data sets (Bayesian signed-rank test on {c.metric}, rope {c.rope:g}, decision at probability {1 - c.alpha:g})"
    if len(c.pairwise) == 1:
        row = next(c.pairwise.itertuples())
        if row.significant:
            loser = row.loss_b if row.better == row.loss_a else row.loss_a
            return f"{head}, {row.better} is better than {loser}: {_posterior(row)}"
        if row.equivalent:
            return f"{head}, {row.loss_a} and {row.loss_b} are practically equivalent: {_posterior(row)}"
        return f"{head}, no decision between {row.loss_a} and {row.loss_b}: {_posterior(row)}"
    calls = _bayesian_calls(c)
    undecided = len(c.pairwise) - len(calls)
    tail = f"; {undecided} of {len(c.pairwise)} pairs undecided" if undecided else ""
    lead = f", {c.best} is better than every other loss" if c.best is not None else ""
    return f"{head}{lead}: {', '.join(calls) if calls else 'no pair decided'}{tail}"
