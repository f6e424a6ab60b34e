"""The words of a `Comparison`: the reason paragraph and the one-sentence verdict.

Kept apart from the statistics so that the wording can change without touching a test.
Numbers are shown to three significant digits, p-values to two (``p<0.0001`` below that).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .tests import (
    ALPAYDIN_5X2CV_F,
    CORRECTED_REPEATED_CV_T,
    CORRECTED_RESAMPLED_T,
    NEMENYI,
    PAIRED_T,
    WILCOXON,
    HypothesisTest,
)

if TYPE_CHECKING:
    from .within import Comparison, Design


def _num(x: float) -> str:
    return f"{x + 0.0:.3g}"  # + 0.0 turns -0.0 into 0.0


def _p(p: float) -> str:
    return "p<0.0001" if p < 1e-4 else f"p={p:.2g}"


def reason(
    design: Design,
    *,
    n_losses: int,
    n_trials: int,
    ratio: float,
    primary: str,
    omnibus: HypothesisTest,
    alpha: float,
    normality_p: float | None,
    widen: float,
) -> str:
    """Which test decided and why, in one paragraph."""
    j = n_trials
    if design.overlapping:
        parts = [
            f"The {j} trials are {design.describe()}: their training sets overlap, so the per-trial differences "
            "are positively correlated and the plain paired t-test and Wilcoxon test, which assume independent "
            "trials, understate the variance of the mean difference and find differences too often."
        ]
    else:
        parts = [f"The {j} trials are {design.describe()}, so the paired differences are independent."]
    if primary == CORRECTED_RESAMPLED_T:
        parts.append(
            f"The corrected resampled t-test (Nadeau & Bengio 2003) decides: it scales the variance of the mean "
            f"by 1/J + n_test/n_train = 1/{j} + {_num(ratio)} instead of 1/J."
        )
    elif primary == CORRECTED_REPEATED_CV_T:
        parts.append(
            f"The corrected repeated k-fold cv test (Bouckaert & Frank 2004) decides: the corrected t statistic over "
            f"all {j} folds, variance scaled by 1/J + n_test/n_train = 1/{j} + {_num(ratio)}, which keeps the type I "
            "error near alpha and replicates best among the tests Bouckaert & Frank compared."
        )
    elif primary == ALPAYDIN_5X2CV_F:
        parts.append(
            "Alpaydin's combined 5x2cv F-test (1999) decides: it pools all ten differences and has lower type I error "
            "and higher power than Dietterich's 5x2cv paired t-test (1998), which uses only the first difference and "
            "is reported beside it."
        )
    elif n_losses == 2 and primary == WILCOXON:
        parts.append(
            f"The Wilcoxon signed-rank test decides because Shapiro-Wilk rejects normal differences "
            f"(p={normality_p:.2g} < alpha); the paired t-test is reported beside it."
        )
    elif n_losses == 2 and primary == PAIRED_T:
        why = "too few distinct differences to test normality" if normality_p is None else f"Shapiro-Wilk p={normality_p:.2g} does not reject normal differences"
        parts.append(f"The paired t-test decides ({why}); the Wilcoxon signed-rank test is reported beside it.")
    if design.overlapping:
        parts.append("The plain paired t-test and Wilcoxon test are reported beside it for reference only.")
    if n_losses > 2:
        pairs = n_losses * (n_losses - 1) // 2
        parts.append(
            f"With {n_losses} losses, Friedman's test over the trials as blocks comes first ({_p(omnibus.p)}); "
            "when it does not reject at alpha, no pair is called different."
        )
        if primary == NEMENYI:
            parts.append(
                f"Pairs are then compared with the Nemenyi post-hoc test, whose p-values hold the family-wise error "
                f"rate over the {pairs} pairs and which the critical-difference diagram draws."
            )
        else:
            parts.append(
                "Because the trials overlap, Friedman's p is optimistic and serves only as a gate; every pair is tested "
                f"with the design's test above and the p-values are Holm-adjusted over the {pairs} pairs."
            )
    interval = f"Mean differences carry {100 * (1 - alpha):g}% paired bootstrap intervals"
    if widen > 1:
        interval += f", widened by the same correction (x{widen:.2f}) because resampling overlapping trials understates their spread"
    parts.append(interval + ".")
    return " ".join(parts)


def _claim(c: Comparison, row: Any, *, subject: bool) -> str:
    """``"a has higher accuracy than b by 0.06 (95% CI 0.04 to 0.08; test p=0.001)"``."""
    winner = row.better
    loser = row.loss_b if winner == row.loss_a else row.loss_a
    # Orient the difference a - b as the winner's advantage in the direction that is better.
    sign = 1.0 if (winner == row.loss_a) == c.higher_is_better else -1.0
    gain = sign * row.mean_diff
    low, high = sorted((sign * row.ci_low, sign * row.ci_high))
    adjusted = ", Holm-adjusted" if len(c.avg_ranks) > 2 and row.test != NEMENYI else ""
    test = f"{row.test} {_p(row.p_adjusted)}{adjusted}"
    lead = f"{winner} has " if subject else ""
    if gain > 0:
        word = "higher" if c.higher_is_better else "lower"
        conf = f"{100 * (1 - c.alpha):g}% CI"
        return f"{lead}{word} {c.metric} than {loser} by {_num(gain)} ({conf} {_num(low)} to {_num(high)}; {test})"
    # A rank test's winner whose mean is not better: say what the test looked at.
    if row.test == NEMENYI:
        ranks = c.avg_ranks
        verb = f"{winner} ranks" if subject else "ranks"
        return f"{verb} above {loser} on {c.metric} (average rank {ranks[winner]:.2f} vs {ranks[loser]:.2f}; {test})"
    verb = f"{winner} beats" if subject else "beats"
    return f"{verb} {loser} on {c.metric} in most trials ({test}), though the mean difference favours {loser} by {_num(-gain)}"


def verdict(c: Comparison) -> str:
    """Which loss wins on which metric and by how much, or that none does."""
    j, n_losses = c.n_trials, len(c.avg_ranks)
    significant = c.pairwise[c.pairwise["significant"]]
    if n_losses == 2:
        row = next(c.pairwise.itertuples())
        if len(significant):
            return f"{_claim(c, row, subject=True)} over {j} trials"
        conf = f"{100 * (1 - c.alpha):g}% CI"
        return (
            f"no significant difference in {c.metric} between {row.loss_a} and {row.loss_b} at alpha={c.alpha:g} over {j} trials "
            f"({row.test} {_p(row.p)}); mean difference {row.loss_a} - {row.loss_b} = {_num(row.mean_diff)} "
            f"({conf} {_num(row.ci_low)} to {_num(row.ci_high)})"
        )
    friedman = f"Friedman {_p(c.omnibus.p)}"
    if c.omnibus.p >= c.alpha:
        return f"no significant difference in {c.metric} among the {n_losses} losses at alpha={c.alpha:g} over {j} trials ({friedman})"
    if c.best is not None:
        wins = [_claim(c, row, subject=False) for row in significant.itertuples() if row.better == c.best]
        return f"{c.best} is the best of the {n_losses} losses on {c.metric} over {j} trials ({friedman}): " + "; ".join(wins)
    if len(significant):
        claims = [_claim(c, row, subject=True) for row in significant.itertuples()]
        return f"no loss beats every other on {c.metric}, but over {j} trials ({friedman}): " + "; ".join(claims)
    after = "the Nemenyi test" if c.pairwise["test"].iloc[0] == NEMENYI else "Holm adjustment"
    return (
        f"the {n_losses} losses differ in {c.metric} ({friedman}), but no pair differs significantly "
        f"at alpha={c.alpha:g} after {after} over {j} trials"
    )
