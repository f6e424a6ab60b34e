"""Compare losses across data sets: Demšar's rank procedure and the Bayesian signed-rank test.

(A little over 400 lines: most of it is the decision flow written out below and the table
checks; the tests themselves live in `tests` and `bayes`, the words in `wording`.)

`compare_across` is the one entry point. It takes one score per (data set, loss) in long
form (or the raw trials, which it averages), validates every argument, runs the tests of
the decision flow below, and returns an `AcrossComparison` that the report and the command
line read: average ranks and the critical difference for the critical-difference diagram
(`losslab.report.cd_diagram.plot_critical_difference`), a pairwise table, the best loss,
and `AcrossComparison.verdict()`, the result in a sentence. Each data set's own verdict
comes from `losslab.stats.within.compare_losses` on its trials; this module only looks at
the mean per data set.

Decision flow
-------------
The data sets are the independent units (Demšar 2006): each contributes one paired
observation per loss, its mean held-out metric. Trials within a data set are averaged
first, so their overlap does not matter here.

``method="demsar"`` (frequentist; what the critical-difference diagram draws):

====================  ===========================================  ===========================
losses                decides                                      gate
====================  ===========================================  ===========================
2                     Wilcoxon signed-rank test over the data      none
                      sets (zero differences split)
3 or more, no         Nemenyi test, every pair (family-wise p;     Iman-Davenport F_F < alpha
``control``           significant iff the average ranks differ
                      by more than the critical difference CD)
3 or more,            Demšar's z = (R_i - R_c) / sqrt(k(k+1)/6N)   Iman-Davenport F_F < alpha
``control=`` a loss   against the control, Holm's step-down over
                      the k - 1 comparisons
====================  ===========================================  ===========================

Why: Friedman's test ranks the losses within each data set, so a data set where every
metric value is large does not outweigh the others, and it needs no normality. Demšar
recommends Iman and Davenport's F_F over Friedman's chi2_F, which is conservative; both
are reported and F_F gates. Nemenyi's test compares all pairs and holds the family-wise
error, and it is the test the diagram draws. When one loss is the reference (the
incumbent, say), comparing only with it tests k - 1 hypotheses instead of k(k-1)/2, and
Holm's step-down on Demšar's z is then more powerful than Nemenyi (Demšar 2006, Section
3.2.2). With two losses Friedman's test is a sign test; Demšar recommends Wilcoxon's
signed-rank test, which also uses the size of the differences.

``method="bayesian"``: the Bayesian signed-rank test (Benavoli et al. 2017) decides every
pair (only the pairs with the control when ``control`` is given), with no omnibus test and
no multiplicity correction (the posterior probabilities are read as they stand). A pair
is decided when one of P(a better), P(rope), P(b better) exceeds 1 - alpha (0.95 by
default); "significant" then means P(a better) or P(b better) > 1 - alpha, and
"equivalent" means P(rope) > 1 - alpha. Average ranks, Friedman's tests and the CD are
still reported, as a description.

``method="auto"`` (the default): Demšar's procedure decides, and the Bayesian signed-rank
test is run for every pair and reported beside it (``p_a_better``, ``p_rope``,
``p_b_better``, ``equivalent``). The frequentist test can only fail to find a difference;
the Bayesian test with a rope can also say that two losses are equivalent in practice,
which is often the useful answer when choosing a loss. Switching the deciding test on k
or N would make results hard to compare between studies, so ``auto`` never does.

The Bayesian signed-rank test puts a Dirichlet-process prior on the distribution of the
per-data-set difference, with strength ``prior_strength`` (s = 0.5 as in Benavoli et al.
2017, baycomp and scmamp) at a pseudo-observation at 0, and samples the posterior
probability that a Walsh average of two differences lies beyond +rope, within
[-rope, rope], or beyond -rope. The rope is in metric units, so the metric must be on a
common scale across data sets (accuracy, not RMSE on different targets); the rank tests
have no such need.

Few data sets: the chi-square and F approximations behind Friedman's test are rough below
about 5 data sets (Demšar 2006 gives N > 10 and k > 5 as the rule of thumb for chi2_F).
The reason paragraph warns when N < 5, and with two losses when N < 6, where Wilcoxon's
exact test cannot reach p < 0.05.

References
----------
Demšar, J. (2006). Statistical comparisons of classifiers over multiple data sets.
    Journal of Machine Learning Research 7, 1-30.
Benavoli, A., Corani, G., Demšar, J. and Zaffalon, M. (2017). Time for a change: a
    tutorial for comparing multiple classifiers through Bayesian analysis. Journal of
    Machine Learning Research 18(77), 1-36.

Examples
--------
>>> import pandas as pd
>>> auc = {"tree": [0.76, 0.60, 0.95, 0.63, 0.88, 0.94], "pruned": [0.77, 0.59, 0.97, 0.66, 0.89, 0.93],
...        "bagged": [0.80, 0.62, 0.98, 0.69, 0.92, 0.96]}
>>> rows = [(f"d{i}", loss, v) for loss, values in auc.items() for i, v in enumerate(values)]
>>> scores = pd.DataFrame(rows, columns=["dataset", "loss", "value"])
>>> result = compare_across(scores, higher_is_better=True, metric="auc", method="demsar")
>>> {loss: round(rank, 2) for loss, rank in result.avg_ranks.items()}
{'bagged': 1.0, 'pruned': 2.33, 'tree': 2.67}
>>> print(result.verdict())
over 6 data sets, bagged ranks best on auc (average rank 1.00); significant differences (Nemenyi, CD 1.35): bagged better than tree (1.00 vs 2.67); no other pair differs
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from . import bayes, validate, wording
from .bayes import SIGNED_RANK_BAYES as BAYESIAN_SIGNED_RANK
from .tests import (
    HOLM,
    NEMENYI,
    WILCOXON,
    HypothesisTest,
    friedman,
    holm,
    nemenyi_critical_difference,
    nemenyi_pvalues,
    normal_p,
    rank_spread,
    rank_table,
    signed_rank_sums,
    wilcoxon_signed_rank,
)

__all__ = ["METHODS", "AcrossComparison", "compare_across"]

METHODS = ("auto", "demsar", "bayesian")
PAIRWISE_COLUMNS = (
    "loss_a", "loss_b", "test", "statistic", "p", "p_adjusted", "significant", "better",
    "mean_diff", "wins", "ties", "losses", "p_a_better", "p_rope", "p_b_better", "equivalent",
)  # fmt: skip


@dataclass(frozen=True)
class AcrossComparison:
    """The outcome of `compare_across`: ranks, tests, and the verdict in words.

    Attributes
    ----------
    metric, higher_is_better, alpha, method, control, rope :
        As passed to `compare_across`.
    decided_by : str
        The test that decides the pairs: ``"Nemenyi test"``, ``"Holm test"``,
        ``"Wilcoxon signed-rank test"`` or ``"Bayesian signed-rank test"``.
    n_datasets : int
        Number of data sets N.
    values : pandas.DataFrame
        The mean metric per data set (rows, sorted by name) and loss (columns, best first).
    ranks : pandas.DataFrame
        The rank of each loss within each data set (1 = best, ties share average ranks).
    summary : pandas.DataFrame
        One row per loss (index ``loss``), best first: ``avg_rank``, ``mean`` and ``median``
        of its metric over the data sets, ``first`` (data sets where it ranks best, ties
        included).
    friedman, iman_davenport : HypothesisTest
        Friedman's chi2_F (df k - 1) and Iman-Davenport's F_F (df k - 1, (k - 1)(N - 1)),
        as in Demšar (2006), without tie correction. F_F gates the rank post-hoc tests.
    pairwise : pandas.DataFrame
        One row per compared pair, ``loss_a`` the better-ranked: ``test`` (deciding test),
        ``statistic`` (Demšar's z >= 0 for Nemenyi and Holm, T = min(R+, R-) for Wilcoxon,
        NaN for the Bayesian test), ``p`` (unadjusted: the normal p of z, or Wilcoxon's p),
        ``p_adjusted`` (Nemenyi's family-wise p, Holm's step-down, or p itself for
        Wilcoxon; NaN for the Bayesian test), ``significant``, ``better`` (the favoured
        loss or None), ``mean_diff`` (mean of a - b in metric units), ``wins``/``ties``/
        ``losses`` (data sets where a is better than, equal to, worse than b),
        ``p_a_better``/``p_rope``/``p_b_better`` (Bayesian signed-rank posterior; NaN when
        it was not run) and ``equivalent`` (P(rope) > 1 - alpha; False when not run).
    avg_ranks : Mapping[str, float]
        Average rank per loss over the data sets (1 = best), best first.
    critical_difference : float
        Nemenyi's critical difference ``q_alpha sqrt(k (k + 1) / (6 N))`` at alpha.
    best : str or None
        The loss significantly better than every other loss it was compared with (every
        other loss), or None.
    reason : str
        Which test decided and why, in one paragraph, with warnings about few data sets.
    """

    metric: str
    higher_is_better: bool
    alpha: float
    method: str
    control: str | None
    rope: float
    decided_by: str
    n_datasets: int
    values: pd.DataFrame
    ranks: pd.DataFrame
    summary: pd.DataFrame
    friedman: HypothesisTest
    iman_davenport: HypothesisTest
    pairwise: pd.DataFrame
    avg_ranks: Mapping[str, float]
    critical_difference: float
    best: str | None
    reason: str

    def verdict(self) -> str:
        """Which loss ranks best across the data sets and what the tests say, in one sentence."""
        return wording.across_verdict(self)


def compare_across(
    scores: pd.DataFrame,
    *,
    higher_is_better: bool,
    metric: str = "score",
    alpha: float = 0.05,
    method: str = "auto",
    control: str | None = None,
    rope: float = 0.01,
    prior_strength: float = 0.5,
    n_samples: int = 50_000,
    rng: int | np.random.Generator = 0,
) -> AcrossComparison:
    """Test whether losses differ across data sets, and say how (see the module docstring).

    Parameters
    ----------
    scores : pandas.DataFrame
        Long form with columns ``dataset``, ``loss``, ``value``: either one row per
        (dataset, loss) whose value is the loss's mean held-out metric on that data set, or
        the raw trials with a ``seed`` and/or ``fold`` column, which are averaged per
        (dataset, loss) after checking that within each data set every loss has the same
        trials. Every loss must appear on every data set; other columns are ignored.
    higher_is_better : bool
        True for accuracy-like metrics, False for error-like ones.
    metric : str
        The metric's name, for the verdict.
    alpha : float
        Significance level, strictly between 0 and 1; the Bayesian test decides at
        posterior probability 1 - alpha.
    method : {"auto", "demsar", "bayesian"}
        Which test decides; ``"auto"`` is Demšar's procedure with the Bayesian test beside.
    control : str, optional
        A loss to compare every other loss with (Holm's step-down instead of Nemenyi).
    rope : float
        Region of practical equivalence for the Bayesian test, in metric units: differences
        within +-rope count as no difference in practice. 0 turns it off.
    prior_strength : float
        Weight s of the Bayesian test's prior pseudo-observation at 0.
    n_samples : int
        Posterior samples per pair for the Bayesian test (at least 1000).
    rng : int or numpy.random.Generator
        Seed for the Bayesian test's sampling; the same seed gives the same probabilities.

    Returns
    -------
    AcrossComparison

    Raises
    ------
    ValueError
        For fewer than 2 losses or 2 data sets, a loss missing on a data set, NaN values,
        duplicated rows, unpaired trials, an unknown control, alpha outside (0, 1), ...
    TypeError
        For arguments of the wrong type (``scores`` not a DataFrame, ...).
    """
    validate.check_higher_is_better(higher_is_better, metric)
    validate.check_metric(metric)
    validate.check_alpha(alpha)
    validate.check_choice("method", method, METHODS)
    validate.check_rope(rope, metric)
    validate.check_positive("prior_strength", prior_strength, "the weight of the prior's pseudo-observation at 0, such as 0.5")
    validate.check_count("n_samples", n_samples, 1000, "posterior samples per pair")
    generator = validate.generator(rng)
    datasets, losses, values, trial_columns = _dataset_table(scores)
    validate.check_control(control, losses)

    n, k = values.shape
    ranks = rank_table(values, higher_is_better=higher_is_better)
    avg = ranks.mean(axis=0)
    means = values.mean(axis=0)
    order = sorted(range(k), key=lambda i: (avg[i], -means[i] if higher_is_better else means[i], losses[i]))
    pairs = [(order[i], order[j]) for i in range(k) for j in range(i + 1, k)]
    if control is not None:
        pairs = [(a, b) for a, b in pairs if control in (losses[a], losses[b])]
    chi2_f, iman = friedman(avg, n)
    sign = 1.0 if higher_is_better else -1.0  # differences oriented so that positive favours loss_a

    rows = []
    for a, b in pairs:
        d = _paired_differences(values[:, a], values[:, b])
        better_d = sign * d
        rows.append({"loss_a": losses[a], "loss_b": losses[b], "mean_diff": float(d.mean()), "wins": int((better_d > 0).sum()),
                     "ties": int((better_d == 0).sum()), "losses": int((better_d < 0).sum()), "p_a_better": np.nan, "p_rope": np.nan,
                     "p_b_better": np.nan, "equivalent": False, "_d": better_d, "_gap": float(avg[b] - avg[a]), "_a": a, "_b": b})  # fmt: skip
    if method in ("auto", "bayesian"):
        for row, stream in zip(rows, generator.spawn(len(rows))):  # an independent stream per pair, in pair order
            samples = bayes.signed_rank_posterior(row["_d"], rope=float(rope), prior_strength=float(prior_strength), n_samples=int(n_samples), rng=stream)
            row["p_a_better"], row["p_rope"], row["p_b_better"] = bayes.winning_shares(samples)
            row["equivalent"] = bool(row["p_rope"] > 1 - alpha)
    decided_by = _decide(rows, ranks, method=method, alpha=alpha, gate=k == 2 or iman.p < alpha, control=control)

    pairwise = pd.DataFrame([{c: row[c] for c in PAIRWISE_COLUMNS} for row in rows], columns=list(PAIRWISE_COLUMNS))
    ordered = [losses[i] for i in order]
    summary = pd.DataFrame(
        {"avg_rank": avg, "mean": means, "median": np.median(values, axis=0), "first": (ranks == ranks.min(axis=1, keepdims=True)).sum(axis=0)},
        index=pd.Index(losses, name="loss"),
    ).loc[ordered]
    index = pd.Index(datasets, name="dataset")
    result = AcrossComparison(
        metric=metric, higher_is_better=bool(higher_is_better), alpha=float(alpha), method=method, control=control, rope=float(rope),
        decided_by=decided_by, n_datasets=n,
        values=pd.DataFrame(values, index=index, columns=pd.Index(losses, name="loss"))[ordered],
        ranks=pd.DataFrame(ranks, index=index, columns=pd.Index(losses, name="loss"))[ordered],
        summary=summary, friedman=chi2_f, iman_davenport=iman, pairwise=pairwise,
        avg_ranks={losses[i]: float(avg[i]) for i in order},
        critical_difference=nemenyi_critical_difference(k, n, alpha),
        best=_best(pairwise, k), reason="",
    )  # fmt: skip
    return replace(result, reason=wording.across_reason(result, trial_columns=trial_columns, prior_strength=float(prior_strength)))


def _decide(rows: list[dict], ranks: np.ndarray, *, method: str, alpha: float, gate: bool, control: str | None) -> str:
    """Fill test, statistic, p, p_adjusted, significant and better for every pair; return the deciding test's name."""
    if method == "bayesian":
        for row in rows:
            a_wins, b_wins = row["p_a_better"] > 1 - alpha, row["p_b_better"] > 1 - alpha
            row.update(test=BAYESIAN_SIGNED_RANK, statistic=np.nan, p=np.nan, p_adjusted=np.nan, significant=bool(a_wins or b_wins),
                       better=row["loss_a"] if a_wins else row["loss_b"] if b_wins else None)  # fmt: skip
        return BAYESIAN_SIGNED_RANK
    n, k = ranks.shape
    if k == 2:
        (row,) = rows
        test = wilcoxon_signed_rank(row["_d"], split_zeros=True)
        r_plus, r_minus = signed_rank_sums(row["_d"], split_zeros=True)
        better = row["loss_a"] if r_plus > r_minus else row["loss_b"] if r_minus > r_plus else None
        row.update(test=WILCOXON, statistic=test.statistic, p=test.p, p_adjusted=test.p, significant=bool(test.p < alpha and better is not None), better=better)
        return WILCOXON
    z = np.array([row["_gap"] for row in rows]) / rank_spread(k, n)
    p = normal_p(z)
    if control is None:
        nemenyi = nemenyi_pvalues(ranks)
        name, adjusted = NEMENYI, np.array([nemenyi[row["_a"], row["_b"]] for row in rows])
    else:
        name, adjusted = HOLM, holm(p)
    for row, z_i, p_i, adj in zip(rows, z, p, adjusted):
        better = row["loss_a"] if z_i > 0 else None  # loss_a is the better-ranked; equal ranks favour neither
        row.update(test=name, statistic=float(z_i), p=float(p_i), p_adjusted=float(adj), significant=bool(gate and adj < alpha and better is not None), better=better)
    return name


def _best(pairwise: pd.DataFrame, k: int) -> str | None:
    """The loss that significantly beats every other loss; with a control only the control meets them all."""
    wins = pairwise.loc[pairwise["significant"], "better"].value_counts()
    champions = [loss for loss, count in wins.items() if count == k - 1]
    return champions[0] if champions else None


# --- the table of data sets x losses --------------------------------------------------------------


def _dataset_table(scores: Any) -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray, tuple[str, ...]]:
    """Check the long-form scores; return (datasets, losses, values[dataset, loss], trial columns).

    With a ``seed`` and/or ``fold`` column the rows are trials, averaged per (dataset, loss)
    after checking that, within each data set, every loss has the same trials. Without them
    there must be exactly one row per (dataset, loss). Names are compared as strings, and data
    sets and losses are sorted by name.
    """
    trial_columns = tuple(c for c in ("seed", "fold") if isinstance(scores, pd.DataFrame) and c in scores.columns)
    frame, _ = validate.long_table(
        scores, required=("dataset", "loss", "value"), optional=("seed", "fold"),
        missing_hint={"dataset": "For the trials of a single data set use compare_losses."},
        fix_nonfinite="Re-run those trials, or leave that data set out for every loss.",
        one_row_per=None if trial_columns else ("one row per (dataset, loss), the mean of that loss on that data set; "
                                                "or pass the trials with their seed and fold columns and they are averaged"),
    )  # fmt: skip
    frame = frame.astype({"dataset": str, "loss": str})
    if trial_columns:
        _check_paired_trials(frame, trial_columns)
    table = frame.groupby(["dataset", "loss"], sort=True)["value"].mean().unstack("loss")
    datasets, losses = tuple(table.index), tuple(table.columns)
    validate.check_losses(losses)
    if len(datasets) < 2:
        raise ValueError(
            f"scores: expected at least 2 data sets (Demšar's procedure needs about 5 or more). Received: {len(datasets)} data set(s) {list(datasets)}. "
            "For the trials of a single data set use compare_losses."
        )
    holes = table.isna()
    if holes.to_numpy().any():
        lines = [f"loss {loss!r} lacks {int(holes[loss].sum())} data set(s): {validate.quote(list(map(repr, table.index[holes[loss]])))}" for loss in losses if holes[loss].any()]
        raise ValueError(
            f"scores: expected every loss on every data set (the comparison is paired by data set). Received: {'; '.join(lines)}. "
            "Run the missing losses, or leave those data sets out for every loss."
        )
    return datasets, losses, table.to_numpy(dtype=float), trial_columns


def _check_paired_trials(frame: pd.DataFrame, trial_columns: tuple[str, ...]) -> None:
    """Within each data set, every loss run on it must have the same trials: the means are then paired."""
    counts = pd.crosstab([frame["dataset"], *(frame[c] for c in trial_columns)], frame["loss"])
    ran = counts.groupby(level="dataset").transform("sum") > 0  # losses run on that data set at all
    lacking = (counts == 0) & ran
    if lacking.to_numpy().any():
        at = []
        for key, row in lacking.iterrows():
            for loss in row.index[row.to_numpy()]:
                at.append(f"loss {loss!r} on " + validate.where((key[0], *key[1:]), ["dataset", *trial_columns]))
        raise ValueError(
            "scores: expected every loss to have the same trials within a data set, so that their means are comparable. "
            f"Received: {len(at)} missing trial(s): {validate.quote(at)}. Run them, or drop those trials for every loss of that data set."
        )


def _paired_differences(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a - b`` rounded to 12 significant digits of the scores' scale.

    Subtraction leaves float noise (0.768 - 0.763 != 0.936 - 0.931 in float64); rounding
    makes equal differences tie in the Wilcoxon ranks and differences of zero exactly zero.
    """
    scale = float(max(np.max(np.abs(a)), np.max(np.abs(b))))
    if scale == 0:
        return np.zeros_like(a)
    return np.round((a - b) / scale, 12) * scale
