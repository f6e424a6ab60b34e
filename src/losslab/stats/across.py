"""Compare losses across data sets: Demšar's rank procedure and the Bayesian signed-rank test.

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

from . import demsar as ac
from .demsar import BAYESIAN_SIGNED_RANK, HOLM, METHODS
from .tests import NEMENYI, WILCOXON, HypothesisTest, holm, nemenyi_critical_difference

__all__ = ["METHODS", "AcrossComparison", "compare_across"]

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
        return _verdict(self)


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
    ac.check_arguments(higher_is_better=higher_is_better, metric=metric, alpha=alpha, method=method, rope=rope,
                       prior_strength=prior_strength, n_samples=n_samples, rng=rng)  # fmt: skip
    datasets, losses, values, trial_columns = ac.dataset_table(scores)
    ac.check_control(control, losses)
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)

    n, k = values.shape
    ranks = ac.rank_table(values, higher_is_better=higher_is_better)
    avg = ranks.mean(axis=0)
    means = values.mean(axis=0)
    order = sorted(range(k), key=lambda i: (avg[i], -means[i] if higher_is_better else means[i], losses[i]))
    pairs = [(order[i], order[j]) for i in range(k) for j in range(i + 1, k)]
    if control is not None:
        pairs = [(a, b) for a, b in pairs if control in (losses[a], losses[b])]
    friedman, iman = ac.friedman_tests(avg, n)
    sign = 1.0 if higher_is_better else -1.0  # differences oriented so that positive favours loss_a

    rows = []
    for a, b in pairs:
        d = ac.paired_differences(values[:, a], values[:, b])
        better_d = sign * d
        rows.append({"loss_a": losses[a], "loss_b": losses[b], "mean_diff": float(d.mean()), "wins": int((better_d > 0).sum()),
                     "ties": int((better_d == 0).sum()), "losses": int((better_d < 0).sum()), "p_a_better": np.nan, "p_rope": np.nan,
                     "p_b_better": np.nan, "equivalent": False, "_d": better_d, "_gap": float(avg[b] - avg[a])})  # fmt: skip
    if method in ("auto", "bayesian"):
        for row, stream in zip(rows, generator.spawn(len(rows))):  # an independent stream per pair, in pair order
            samples = ac.signed_rank_posterior(row["_d"], rope=float(rope), prior_strength=float(prior_strength), n_samples=int(n_samples), rng=stream)
            row["p_a_better"], row["p_rope"], row["p_b_better"] = ac.winning_shares(samples)
            row["equivalent"] = bool(row["p_rope"] > 1 - alpha)
    decided_by = _decide(rows, method=method, k=k, n=n, alpha=alpha, gate=k == 2 or iman.p < alpha, control=control)

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
        summary=summary, friedman=friedman, iman_davenport=iman, pairwise=pairwise,
        avg_ranks={losses[i]: float(avg[i]) for i in order},
        critical_difference=nemenyi_critical_difference(k, n, alpha),
        best=_best(pairwise, k), reason="",
    )  # fmt: skip
    return _with_reason(result, trial_columns=trial_columns, prior_strength=float(prior_strength))


def _decide(rows: list[dict], *, method: str, k: int, n: int, alpha: float, gate: bool, control: str | None) -> str:
    """Fill test, statistic, p, p_adjusted, significant and better for every pair; return the deciding test's name."""
    if method == "bayesian":
        for row in rows:
            a_wins, b_wins = row["p_a_better"] > 1 - alpha, row["p_b_better"] > 1 - alpha
            row.update(test=BAYESIAN_SIGNED_RANK, statistic=np.nan, p=np.nan, p_adjusted=np.nan, significant=bool(a_wins or b_wins),
                       better=row["loss_a"] if a_wins else row["loss_b"] if b_wins else None)  # fmt: skip
        return BAYESIAN_SIGNED_RANK
    if k == 2:
        (row,) = rows
        test, r_plus, r_minus = ac.wilcoxon_over_datasets(row["_d"])
        better = row["loss_a"] if r_plus > r_minus else row["loss_b"] if r_minus > r_plus else None
        row.update(test=WILCOXON, statistic=test.statistic, p=test.p, p_adjusted=test.p, significant=bool(test.p < alpha and better is not None), better=better)
        return WILCOXON
    z = np.array([row["_gap"] for row in rows]) / ac.rank_spread(k, n)
    p = ac.normal_p(z)
    name = NEMENYI if control is None else HOLM
    adjusted = ac.nemenyi_p(z, k) if control is None else holm(p)
    for row, z_i, p_i, adj in zip(rows, z, p, adjusted):
        better = row["loss_a"] if z_i > 0 else None  # loss_a is the better-ranked; equal ranks favour neither
        row.update(test=name, statistic=float(z_i), p=float(p_i), p_adjusted=float(adj), significant=bool(gate and adj < alpha and better is not None), better=better)
    return name


def _best(pairwise: pd.DataFrame, k: int) -> str | None:
    """The loss that significantly beats every other loss; with a control only the control meets them all."""
    wins = pairwise.loc[pairwise["significant"], "better"].value_counts()
    champions = [loss for loss, count in wins.items() if count == k - 1]
    return champions[0] if champions else None


# --- words ---------------------------------------------------------------------------------


def _p(p: float) -> str:
    return "p<0.0001" if p < 1e-4 else f"p={p:.2g}"


def _with_reason(c: AcrossComparison, *, trial_columns: tuple[str, ...], prior_strength: float) -> AcrossComparison:
    """The result with its reason paragraph: which test decided and why."""
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
                     f"a region of practical equivalence of +-{c.rope:g} {c.metric}, and a decision where a posterior probability exceeds {1 - c.alpha:g}; its rope needs the metric on one scale across data sets.")  # fmt: skip
    if c.decided_by in (NEMENYI, HOLM) and n < 5:
        parts.append(f"Warning: only {n} data sets. The chi-square and F approximations behind Friedman's test are rough below about 5 (Demšar 2006), and the post-hoc tests have little power; treat the p-values as indicative and add data sets.")
    elif c.decided_by == WILCOXON and n < 6:
        parts.append(f"Warning: only {n} data sets. Wilcoxon's test can hardly reach p<0.05 however large the differences (the exact test needs at least 6); add data sets.")
    elif c.decided_by == BAYESIAN_SIGNED_RANK and n < 5:
        parts.append(f"Warning: only {n} data sets. The posterior rests on few differences and leans on the prior's pseudo-observation at 0; read its probabilities with care and add data sets.")
    return replace(c, reason=" ".join(parts))


def _verdict(c: AcrossComparison) -> str:
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
