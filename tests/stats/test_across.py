"""Tests for losslab.stats.across: published worked examples, hand arithmetic, the Bayesian
signed-rank sampler against exact results, decision flow, simulations and validation.

Reference values are Demšar (2006)'s published numbers, scikit-posthocs 0.17 / SciPy 1.17 on
the same data (what we delegate or mirror), or hand arithmetic from the published formulas,
written out in the comments (what we implement ourselves).
"""

from __future__ import annotations

import dataclasses
import doctest
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import scikit_posthocs
from scipy import stats as sps

from losslab.report.cd_diagram import groups_within_cd, plot_critical_difference
from losslab.stats import bayes, tests
from losslab.stats.across import AcrossComparison, _paired_differences, compare_across


def long_form(table: dict[str, list[float]]) -> pd.DataFrame:
    """One row per (dataset, loss); data set i is called d00, d01, ..."""
    rows = [(f"d{i:02d}", loss, v) for loss, values in table.items() for i, v in enumerate(values)]
    return pd.DataFrame(rows, columns=["dataset", "loss", "value"])


# Demšar (2006), Section 3.2.4 worked example: AUC of four classifiers (C4.5 and three variants) on
# 14 data sets (his Table 6). Published: average ranks 3.143, 2.000, 2.893, 1.964; chi2_F = 9.28;
# F_F = 3.69 (critical value of F(3, 39) at 0.05: 2.85); CD = 1.25 at alpha = 0.05, where no pair
# differs, and CD = 1.12 at alpha = 0.10, where C4.5 is worse than C4.5+m and C4.5+m+cf and C4.5+cf
# cannot be placed. The per-data-set ranks below (rank 1 = best; ties share ranks) are the
# reconstruction in tests/study/test_stats.py: their column means, chi2_F and F_F reproduce every
# published number; individual rows may differ from the paper.
DEMSAR_RANKS = {
    "C4.5": [4, 1, 4, 4, 4, 1, 3, 2.5, 4, 2.5, 4, 3, 4, 3],
    "C4.5+m": [1, 4, 3, 2, 1, 2.5, 1, 1, 1, 2.5, 3, 1, 3, 2],
    "C4.5+cf": [2, 3, 2, 3, 3, 4, 4, 4, 2, 2.5, 1, 4, 2, 4],
    "C4.5+m+cf": [3, 2, 1, 1, 2, 2.5, 2, 2.5, 3, 2.5, 2, 2, 1, 1],
}
DEMSAR = long_form(DEMSAR_RANKS)


def demsar(**kwargs) -> AcrossComparison:
    arguments = {"higher_is_better": False, "metric": "rank", "method": "demsar"} | kwargs
    return compare_across(DEMSAR, **arguments)


def significant_pairs(result: AcrossComparison) -> set[frozenset[str]]:
    return {frozenset((r.loss_a, r.loss_b)) for r in result.pairwise.itertuples() if r.significant}


# --- Demšar's procedure: the published worked example ------------------------------------------


def test_demsar_worked_example():
    result = demsar()
    assert result.avg_ranks == pytest.approx({"C4.5": 3.143, "C4.5+m": 2.000, "C4.5+cf": 2.893, "C4.5+m+cf": 1.964}, abs=5e-4)
    assert list(result.avg_ranks) == ["C4.5+m+cf", "C4.5+m", "C4.5+cf", "C4.5"]  # best first
    # chi2_F = 12N/(k(k+1)) (sum R_j^2 - k(k+1)^2/4) = 8.4 * (26.1046 - 25) = 9.2786; F_F = 13 chi2_F / (42 - chi2_F) = 3.6898.
    assert result.friedman.statistic == pytest.approx(9.28, abs=5e-3)
    assert result.friedman.df == (3.0,)
    assert result.friedman.p == pytest.approx(sps.chi2.sf(result.friedman.statistic, 3), rel=1e-12)  # 0.0258
    assert result.iman_davenport.statistic == pytest.approx(3.69, abs=5e-3)
    assert result.iman_davenport.df == (3.0, 39.0)
    assert result.iman_davenport.p == pytest.approx(sps.f.sf(result.iman_davenport.statistic, 3, 39), rel=1e-12)
    assert result.iman_davenport.statistic > 2.85 and result.iman_davenport.p < 0.05  # Demšar: "we can proceed with a post-hoc test"
    assert result.critical_difference == pytest.approx(1.25, abs=5e-3)  # 2.569 * sqrt(20/84) = 1.2536
    assert significant_pairs(result) == set() and result.best is None
    assert result.decided_by == "Nemenyi test" and len(result.pairwise) == 6
    at_10 = demsar(alpha=0.10)
    assert at_10.critical_difference == pytest.approx(1.12, abs=5e-3)  # 2.291 * sqrt(20/84) = 1.1179
    assert significant_pairs(at_10) == {frozenset(("C4.5", "C4.5+m")), frozenset(("C4.5", "C4.5+m+cf"))}
    assert at_10.best is None
    # The ranks come back as given: the values are ranks and lower is better.
    np.testing.assert_array_equal(result.ranks[list(DEMSAR_RANKS)].to_numpy(), np.array(list(DEMSAR_RANKS.values())).T)


def test_friedman_tie_convention_and_scipy():
    # Demšar's chi2_F has no tie correction; SciPy's friedmanchisquare divides by c = 1 - sum(t^3 - t) / (N k (k^2 - 1)).
    # Ties in the table: two two-way ties (6 + 6) and one four-way tie (60): c = 1 - 72/840.
    result = demsar()
    table = np.array(list(DEMSAR_RANKS.values())).T
    assert sps.friedmanchisquare(*table.T).statistic == pytest.approx(result.friedman.statistic / (1 - 72 / 840), rel=1e-9)
    # Without ties the two agree exactly.
    rng = np.random.default_rng(5)
    continuous = {f"l{j}": list(rng.normal(size=12)) for j in range(5)}
    untied = compare_across(long_form(continuous), higher_is_better=True, method="demsar")
    assert untied.friedman.statistic == pytest.approx(sps.friedmanchisquare(*continuous.values()).statistic, rel=1e-12)
    assert untied.friedman.p == pytest.approx(sps.friedmanchisquare(*continuous.values()).pvalue, rel=1e-9)


def test_nemenyi_matches_scikit_posthocs_and_the_critical_difference():
    rng = np.random.default_rng(2)
    shifted = {f"l{j}": list(rng.normal(0.2 * j, 1.0, 20)) for j in range(5)}
    for scores, higher, k in ((DEMSAR, False, 4), (long_form(shifted), True, 5)):
        result = compare_across(scores, higher_is_better=higher, method="demsar", alpha=0.10)
        blocks = result.values.to_numpy()  # rows: data sets, columns: losses
        reference = scikit_posthocs.posthoc_nemenyi_friedman(blocks)
        reference.index = reference.columns = list(result.values.columns)
        n = len(blocks)
        for row in result.pairwise.itertuples():
            assert row.p_adjusted == pytest.approx(reference.loc[row.loss_a, row.loss_b], rel=1e-9)
            gap = result.avg_ranks[row.loss_b] - result.avg_ranks[row.loss_a]
            # Demšar's z = (R_b - R_a) / sqrt(k(k+1)/(6N)), its two-sided normal p unadjusted.
            assert row.statistic == pytest.approx(gap / math.sqrt(k * (k + 1) / (6 * n)))
            assert row.p == pytest.approx(2 * sps.norm.sf(row.statistic))
            # Nemenyi's p < alpha exactly when the ranks differ by more than CD: what the diagram draws.
            assert (row.p_adjusted < 0.10) == (gap > result.critical_difference)
            if result.iman_davenport.p < 0.10:
                assert row.significant == (gap > result.critical_difference)
    assert result.iman_davenport.p < 0.10 and significant_pairs(result)  # the shifted table has differences to find


def test_holm_against_a_control_hand_computed():
    # Demšar (2006) Section 3.2.2: z = (R_i - R_j) / SE, SE = sqrt(k(k+1)/(6N)) = sqrt(20/84) = 0.48795.
    # Control C4.5 (R = 3.1429):
    #   C4.5+m+cf: z = (3.1429 - 1.9643) / 0.48795 = 2.4154, p = 0.01572
    #   C4.5+m:    z = (3.1429 - 2.0000) / 0.48795 = 2.3422, p = 0.01917
    #   C4.5+cf:   z = (3.1429 - 2.8929) / 0.48795 = 0.5123, p = 0.6084
    # Holm, m = 3: 3 * 0.01572 = 0.04716; max(0.04716, 2 * 0.01917 = 0.03834) = 0.04716; max(0.04716, 0.6084) = 0.6084.
    # So with the control both m-variants are significantly better at 0.05, which Nemenyi over all pairs does not find.
    result = demsar(control="C4.5")
    assert result.decided_by == "Holm test" and len(result.pairwise) == 3
    rows = {frozenset((r.loss_a, r.loss_b)) - {"C4.5"}: r for r in result.pairwise.itertuples()}
    expected = {"C4.5+m+cf": (2.4154, 0.01572, 0.04716), "C4.5+m": (2.3422, 0.01917, 0.04716), "C4.5+cf": (0.5123, 0.6084, 0.6084)}
    for other, (z, p, p_holm) in expected.items():
        row = rows[frozenset((other,))]
        assert (row.loss_b, row.better) == ("C4.5", other)  # the control ranks last
        assert row.statistic == pytest.approx(z, abs=1e-4)
        assert row.p == pytest.approx(p, abs=1e-5)
        assert row.p_adjusted == pytest.approx(p_holm, abs=1e-5)
    assert significant_pairs(result) == {frozenset(("C4.5", "C4.5+m+cf")), frozenset(("C4.5", "C4.5+m"))}
    assert result.best is None
    assert "Holm against the control C4.5" in result.verdict()
    assert "Holm's step-down over the 3 comparisons" in result.reason


def test_control_that_beats_every_other_loss_is_best():
    # The control ranks first on all 10 data sets: R = 1 vs 2, 3, 4 (k = 4, SE = sqrt(20/60)); all z >= 1.73, p_holm <= 0.08...
    rng = np.random.default_rng(0)
    base = rng.normal(size=10)
    table = {"ctrl": list(base + 3), "x": list(base + 2), "y": list(base + 1), "w": list(base)}
    result = compare_across(long_form(table), higher_is_better=True, control="ctrl", method="demsar", alpha=0.10)
    # z = 1/0.5774 = 1.732 (p 0.0833), 3.464 (p 0.00053), 5.196 (p 2e-7); Holm: 0.0833 * 1 stays the largest -> all < 0.10.
    assert result.pairwise["p_adjusted"].max() == pytest.approx(2 * sps.norm.sf(1 / math.sqrt(20 / 60)), rel=1e-9)
    assert result.best == "ctrl"
    assert result.verdict().startswith("over 10 data sets, ctrl ranks best on score (average rank 1.00) and is significantly better than every other loss it was compared with")


# --- two losses: Wilcoxon over data sets ---------------------------------------------------------

# Demšar (2006) Table 2: AUC of C4.5 and C4.5+m on the same 14 data sets (adult, breast cancer,
# breast cancer wisconsin, cmc, ionosphere, iris, liver disorders, lung cancer, lymphography,
# mushroom, primary tumor, rheum, voting, wine). Published: R+ = 93, R- = 12 (zero differences
# split), T = min = 12, below the critical value 21 for N = 14 at alpha = 0.05.
C45 = [0.763, 0.599, 0.954, 0.628, 0.882, 0.936, 0.661, 0.583, 0.775, 1.000, 0.940, 0.619, 0.972, 0.957]
C45_M = [0.768, 0.591, 0.971, 0.661, 0.888, 0.931, 0.668, 0.583, 0.838, 1.000, 0.962, 0.666, 0.981, 0.978]


def test_wilcoxon_reproduces_demsar_table_2():
    result = compare_across(long_form({"C4.5": C45, "C4.5+m": C45_M}), higher_is_better=True, metric="auc")
    row = result.pairwise.iloc[0]
    assert result.decided_by == "Wilcoxon signed-rank test" and row["test"] == "Wilcoxon signed-rank test"
    r_plus, r_minus = tests.signed_rank_sums(_paired_differences(np.array(C45_M), np.array(C45)), split_zeros=True)
    assert (r_plus, r_minus) == (93.0, 12.0)
    assert row["statistic"] == 12.0
    assert row["p"] == pytest.approx(sps.wilcoxon(C45_M, C45, zero_method="zsplit").pvalue, rel=1e-9)  # 0.0110
    # Demšar's normal approximation: z = (T - N(N+1)/4) / sqrt(N(N+1)(2N+1)/24) = (12 - 52.5) / 15.93 = -2.542, p = 0.0110.
    assert row["p"] == pytest.approx(2 * sps.norm.sf(40.5 / math.sqrt(14 * 15 * 29 / 24)), abs=2e-4)
    assert (row["loss_a"], row["better"], bool(row["significant"])) == ("C4.5+m", "C4.5+m", True)
    assert (row["wins"], row["ties"], row["losses"]) == (10, 2, 2)
    assert row["mean_diff"] == pytest.approx(np.mean(np.subtract(C45_M, C45)))
    assert result.best == "C4.5+m"
    assert result.verdict().startswith(
        "over 14 data sets, C4.5+m is significantly better than C4.5 on auc: C4.5+m better on 10, C4.5 on 2, tied on 2 "
        f"(Wilcoxon signed-rank test p={row['p']:.2g}; mean difference C4.5+m - C4.5 = 0.0155); Bayesian signed-rank test (rope 0.01): P(C4.5+m better)="
    )


# --- the Bayesian signed-rank test -----------------------------------------------------------------


def test_bayesian_sampler_matches_a_direct_monte_carlo_on_three_data_sets():
    # The same Dirichlet weights, summed the slow way: theta_a = sum_ij w_i w_j [z_i + z_j > 2r] over z = (0, d_1, d_2, d_3).
    d, rope, s = np.array([0.03, -0.02, 0.005]), 0.01, 0.5
    samples = bayes.signed_rank_posterior(d, rope=rope, prior_strength=s, n_samples=4000, rng=np.random.default_rng(1))
    w = np.random.default_rng(1).dirichlet([s, 1.0, 1.0, 1.0], size=4000)  # one block: the sampler draws the same weights
    z = np.array([0.0, *d])
    theta_a = np.zeros(4000)
    theta_b = np.zeros(4000)
    for i in range(4):
        for j in range(4):
            walsh = z[i] + z[j]
            theta_a += w[:, i] * w[:, j] * (walsh > 2 * rope)
            theta_b += w[:, i] * w[:, j] * (walsh < -2 * rope)
    np.testing.assert_allclose(samples, np.column_stack((theta_a, 1 - theta_a - theta_b, theta_b)), atol=1e-12)
    # Exact posterior means: E[w_i w_j] = (a_i a_j + [i = j] a_i) / (a0 (a0 + 1)) for Dirichlet(a), a0 = sum a.
    a = np.array([s, 1.0, 1.0, 1.0])
    moments = (np.outer(a, a) + np.diag(a)) / (a.sum() * (a.sum() + 1))
    walsh = z[:, None] + z[None, :]
    exact = [np.sum(moments * (walsh > 2 * rope)), np.sum(moments * (np.abs(walsh) <= 2 * rope)), np.sum(moments * (walsh < -2 * rope))]
    big = bayes.signed_rank_posterior(d, rope=rope, prior_strength=s, n_samples=100_000, rng=np.random.default_rng(2))
    se = big.std(axis=0) / math.sqrt(len(big))
    assert np.all(np.abs(big.mean(axis=0) - exact) < 5 * se)


@pytest.mark.parametrize("s, n, expected", [(0.5, 3, sps.beta.sf(1 / math.sqrt(2), 0.5, 3)), (1.0, 2, (1 - 1 / math.sqrt(2)) ** 2)])
def test_bayesian_prior_pseudo_observation_exact_case(s, n, expected):
    # Every difference is far beyond the rope, so the only Walsh average inside it is z_0 + z_0 = 0, from the prior:
    # theta_rope = w_0^2 and theta_a = 1 - w_0^2, with w_0 ~ Beta(s, N). Rope wins iff w_0 > 1/sqrt(2):
    # P(rope) = P(Beta(s, N) > 0.7071), 0.00891 for s = 0.5, N = 3 and (1 - 0.7071)^2 = 0.0858 for s = 1, N = 2.
    table = {"a": [1.0 + i for i in range(n)], "b": [float(i) for i in range(n)]}
    result = compare_across(long_form(table), higher_is_better=True, method="bayesian", rope=0.01, prior_strength=s, n_samples=200_000, rng=3)
    row = result.pairwise.iloc[0]
    se = math.sqrt(expected * (1 - expected) / 200_000)
    assert row["p_rope"] == pytest.approx(expected, abs=4 * se)
    assert row["p_a_better"] == pytest.approx(1 - row["p_rope"]) and row["p_b_better"] == 0.0


def test_bayesian_clear_winner_equivalence_and_direction():
    rng = np.random.default_rng(4)
    base = rng.uniform(0.6, 0.9, 12)
    # (a) better on every data set by 0.05 to 0.10, far more than the rope 0.01.
    clear = compare_across(long_form({"a": list(base + rng.uniform(0.05, 0.10, 12)), "b": list(base)}), higher_is_better=True, method="bayesian", n_samples=20_000)
    row = clear.pairwise.iloc[0]
    assert row["loss_a"] == "a" and row["p_a_better"] > 0.95 and bool(row["significant"]) and row["better"] == "a"
    assert clear.best == "a" and clear.decided_by == "Bayesian signed-rank test"
    assert clear.verdict().startswith("over 12 data sets (Bayesian signed-rank test on score, rope 0.01, decision at probability 0.95), a is better than b")
    # The same for an error metric: lower wins.
    errors = compare_across(long_form({"a": list(1 - base - 0.07), "b": list(1 - base)}), higher_is_better=False, method="bayesian", n_samples=20_000)
    assert errors.pairwise.iloc[0]["p_a_better"] > 0.95 and errors.best == "a"
    # (b) identical losses: every Walsh average is 0, inside the rope: P(rope) = 1, and without a rope a fair split.
    same = compare_across(long_form({"a": list(base), "b": list(base)}), higher_is_better=True, method="bayesian", n_samples=5000)
    assert same.pairwise.iloc[0]["p_rope"] == 1.0 and bool(same.pairwise.iloc[0]["equivalent"]) and same.best is None
    assert "a and b are practically equivalent" in same.verdict()
    no_rope = compare_across(long_form({"a": list(base), "b": list(base)}), higher_is_better=True, method="bayesian", rope=0, n_samples=5000)
    assert (no_rope.pairwise.iloc[0]["p_a_better"], no_rope.pairwise.iloc[0]["p_b_better"]) == (0.5, 0.5)
    # Differences well inside the rope: practically equivalent.
    tiny = compare_across(long_form({"a": list(base + rng.uniform(-0.003, 0.003, 12)), "b": list(base)}), higher_is_better=True, method="bayesian", n_samples=20_000)
    assert tiny.pairwise.iloc[0]["p_rope"] > 0.95


def test_bayesian_test_is_reproducible():
    rng = np.random.default_rng(6)
    table = {name: list(rng.normal(0.8, 0.02, 10)) for name in ("a", "b", "c")}
    first = compare_across(long_form(table), higher_is_better=True, rng=11, n_samples=5000)
    again = compare_across(long_form(table), higher_is_better=True, rng=np.random.default_rng(11), n_samples=5000)
    other = compare_across(long_form(table), higher_is_better=True, rng=12, n_samples=5000)
    pd.testing.assert_frame_equal(first.pairwise, again.pairwise)
    assert not np.allclose(first.pairwise["p_rope"], other.pairwise["p_rope"])
    assert first.pairwise[["p_a_better", "p_rope", "p_b_better"]].sum(axis=1).to_numpy() == pytest.approx(1.0)
    # Each pair samples its own stream: two pairs with the same differences still get independent estimates.
    twins = compare_across(long_form({"a": [0.9, 0.8, 0.7, 0.6], "b": [0.88, 0.8, 0.71, 0.58], "c": [0.88, 0.8, 0.71, 0.58]}),
                           higher_is_better=True, method="bayesian", rng=0, n_samples=5000)  # fmt: skip
    with_b, with_c = (twins.pairwise[(twins.pairwise["loss_a"] == "a") & (twins.pairwise["loss_b"] == x)].iloc[0] for x in "bc")
    assert with_b["p_rope"] != with_c["p_rope"] and with_b["p_rope"] == pytest.approx(with_c["p_rope"], abs=0.03)


def test_auto_reports_the_bayesian_test_beside_demsar():
    auto = demsar(method="auto", alpha=0.10, n_samples=5000)
    plain = demsar(alpha=0.10)
    assert auto.decided_by == plain.decided_by == "Nemenyi test"
    cols = ["loss_a", "loss_b", "test", "statistic", "p", "p_adjusted", "significant", "better"]
    pd.testing.assert_frame_equal(auto.pairwise[cols], plain.pairwise[cols])  # the Bayesian test does not change the decision
    assert auto.pairwise["p_rope"].notna().all() and plain.pairwise["p_rope"].isna().all()
    assert not plain.pairwise["equivalent"].any()
    assert "reported beside it" in auto.reason and "Bayesian" not in plain.reason


# --- simulations: error rates ----------------------------------------------------------------------
# 200 null studies of 15 data sets x 4 losses, fixed seeds: the rates are deterministic (Iman-Davenport
# 0.055, Friedman 0.05, any Nemenyi pair 0.045). The Monte Carlo SE of a rate near 0.05 is 0.015, so
# the bound 0.09 is about 2.6 SE above alpha.


def simulate(n_studies: int, shift: list[float], *, n_datasets: int = 15, seed: int) -> list[pd.DataFrame]:
    """Per-data-set means: a data-set effect shared by all losses (difficulty), noise sd 0.02, a shift per loss."""
    rng = np.random.default_rng(seed)
    difficulty = rng.uniform(0.6, 0.95, (n_studies, n_datasets, 1))
    values = difficulty + rng.normal(0, 0.02, (n_studies, n_datasets, len(shift))) + np.asarray(shift)
    names = [f"l{i}" for i in range(len(shift))]
    return [long_form(dict(zip(names, study.T.tolist()))) for study in values]


def test_no_difference_is_found_about_alpha_of_the_time():
    null = [compare_across(s, higher_is_better=True, method="demsar") for s in simulate(200, [0, 0, 0, 0], seed=1)]
    assert np.mean([r.iman_davenport.p < 0.05 for r in null]) < 0.09
    assert np.mean([r.friedman.p < 0.05 for r in null]) < 0.09
    assert np.mean([r.pairwise["significant"].any() for r in null]) < 0.09  # family-wise over the 6 pairs
    planted = [compare_across(s, higher_is_better=True, method="demsar") for s in simulate(100, [0.05, 0, 0, 0], seed=2)]
    assert np.mean([r.best == "l0" for r in planted]) > 0.9  # 2.5 sd of the noise: l0 beats all three in 96 of 100


def test_bayesian_rarely_calls_a_winner_under_no_difference():
    studies = simulate(100, [0, 0], seed=3)
    results = [compare_across(s, higher_is_better=True, method="bayesian", n_samples=2000, rng=i) for i, s in enumerate(studies)]
    assert np.mean([r.pairwise["significant"].iloc[0] for r in results]) < 0.09  # 0.02


# --- degenerate tables, result object, words ------------------------------------------------------


def test_identical_losses_give_no_difference_without_warnings():
    table = {name: [0.7, 0.8, 0.9, 0.75, 0.85] for name in ("a", "b", "c")}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = compare_across(long_form(table), higher_is_better=True, metric="accuracy", n_samples=2000)
    assert (result.friedman.statistic, result.friedman.p, result.iman_davenport.statistic, result.iman_davenport.p) == (0.0, 1.0, 0.0, 1.0)
    assert not result.pairwise["significant"].any() and result.best is None
    assert result.pairwise["equivalent"].all() and (result.pairwise["p_rope"] == 1.0).all()
    assert set(result.avg_ranks.values()) == {2.0}
    assert result.verdict().startswith("over 5 data sets, no significant difference in accuracy among the 3 losses at alpha=0.05 (Iman-Davenport p=1)")
    assert "a and b practically equivalent (P(rope)=1.000)" in result.verdict()


def test_perfect_agreement_gives_an_infinite_f():
    # Every data set ranks a > b > c: chi2_F reaches N (k - 1) = 10 and F_F = x / 0.
    table = {"a": [3.0, 4, 5, 6, 7], "b": [2.0, 3, 4, 5, 6], "c": [1.0, 2, 3, 4, 5]}
    result = compare_across(long_form(table), higher_is_better=True, method="demsar")
    assert result.friedman.statistic == pytest.approx(10.0)
    assert (result.iman_davenport.statistic, result.iman_davenport.p) == (math.inf, 0.0)
    # |R_a - R_c| = 2 > CD = 2.343 * sqrt(12/30) = 1.482; |R_a - R_b| = 1 < CD.
    assert significant_pairs(result) == {frozenset(("a", "c"))}


def test_result_object_and_the_cd_diagram_reads_it():
    result = demsar(alpha=0.10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.best = "C4.5"  # type: ignore[misc]
    assert list(result.summary.index) == list(result.avg_ranks) == list(result.values.columns) == list(result.ranks.columns)
    assert result.summary["avg_rank"].to_numpy() == pytest.approx(list(result.avg_ranks.values()))
    assert result.summary.loc["C4.5+m", "first"] == 7  # rank 1 on 7 of the 14 data sets
    assert result.n_datasets == 14 and list(result.values.index) == [f"d{i:02d}" for i in range(14)]
    assert list(result.pairwise.columns) == [
        "loss_a", "loss_b", "test", "statistic", "p", "p_adjusted", "significant", "better",
        "mean_diff", "wins", "ties", "losses", "p_a_better", "p_rope", "p_b_better", "equivalent",
    ]  # fmt: skip
    fig = plot_critical_difference(result.avg_ranks, result.critical_difference)
    assert fig.get_size_inches()[0] > 0
    # Losses joined by a bar are exactly the pairs Nemenyi does not separate.
    joined = {frozenset((a, b)) for group in groups_within_cd(result.avg_ranks, result.critical_difference) for a in group for b in group if a != b}
    assert joined == {frozenset((r.loss_a, r.loss_b)) for r in result.pairwise.itertuples()} - significant_pairs(result)


def test_verdict_wording():
    assert demsar(alpha=0.10).verdict() == (
        "over 14 data sets, C4.5+m+cf ranks best on rank (average rank 1.96); significant differences (Nemenyi, CD 1.12): "
        "C4.5+m+cf better than C4.5 (1.96 vs 3.14), C4.5+m better than C4.5 (2.00 vs 3.14); no other pair differs"
    )
    assert demsar().verdict() == (
        "over 14 data sets, the 4 losses differ in rank (Iman-Davenport p=0.02), but no pair differs significantly "
        "(Nemenyi, CD 1.25); C4.5+m+cf ranks best on rank (average rank 1.96)"
    )
    table = {"a": [0.9, 0.8, 0.85, 0.7], "b": [0.8, 0.82, 0.8, 0.6], "c": [0.7, 0.6, 0.7, 0.5]}
    few = compare_across(long_form(table), higher_is_better=True, method="demsar")
    assert "Warning: only 4 data sets" in few.reason
    two = compare_across(long_form({"a": table["a"], "b": table["b"]}), higher_is_better=True, method="demsar")
    assert "Warning: only 4 data sets. Wilcoxon's test can hardly reach p<0.05" in two.reason and "Friedman's test are rough" not in two.reason
    assert two.verdict() == (
        "over 4 data sets, no significant difference in score between a and b at alpha=0.05: a better on 3, b on 1, tied on 0 "
        f"(Wilcoxon signed-rank test p={two.pairwise['p'].iloc[0]:.2g}; mean difference a - b = 0.0575)"
    )
    bayes = compare_across(long_form(table), higher_is_better=True, method="bayesian", n_samples=5000)
    assert "Warning: only 4 data sets. The posterior rests on few differences" in bayes.reason
    assert bayes.verdict().startswith("over 4 data sets (Bayesian signed-rank test on score, rope 0.01, decision at probability 0.95)")


def test_module_examples_run():
    import losslab.stats.across as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 5 and result.failed == 0


# --- trials are averaged ------------------------------------------------------------------------------


def test_raw_trials_are_averaged_per_data_set():
    rng = np.random.default_rng(8)
    rows = []
    for d, (n_seeds, n_folds) in enumerate([(2, 3), (3, 1), (1, 5)]):  # data sets may differ in their trials
        for loss, shift in (("a", 0.02), ("b", 0.0), ("c", -0.01)):
            for seed in range(n_seeds):
                for fold in range(n_folds):
                    rows.append((f"set{d}", loss, seed, fold, 0.8 + shift + rng.normal(0, 0.01)))
    trials = pd.DataFrame(rows, columns=["dataset", "loss", "seed", "fold", "value"])
    means = trials.groupby(["dataset", "loss"], as_index=False)["value"].mean()
    from_trials = compare_across(trials, higher_is_better=True, method="demsar")
    from_means = compare_across(means, higher_is_better=True, method="demsar")
    pd.testing.assert_frame_equal(from_trials.values, from_means.values)
    pd.testing.assert_frame_equal(from_trials.pairwise, from_means.pairwise)
    assert "averaged here over its trials (seed, fold)" in from_trials.reason
    assert "averaged" not in from_means.reason


# --- validation ---------------------------------------------------------------------------------------

GOOD = long_form({"a": [0.8, 0.7, 0.9], "b": [0.75, 0.72, 0.85]})
TRIALS = pd.DataFrame(
    [("d0", loss, seed, v) for loss in ("a", "b") for seed, v in enumerate([0.8, 0.82])] + [("d1", loss, 0, 0.7) for loss in ("a", "b")],
    columns=["dataset", "loss", "seed", "value"],
)


def check(scores=GOOD, **kwargs):
    return compare_across(scores, **({"higher_is_better": True} | kwargs))


@pytest.mark.parametrize(
    "scores, message",
    [
        (GOOD.drop(columns="dataset"), r"expected columns \['dataset', 'loss', 'value'\]. .*missing \['dataset'\]. For the trials of a single data set use compare_losses"),
        (GOOD[GOOD["loss"] == "a"], r"expected at least 2 losses to compare. Received: 1 loss\(es\) \['a'\]"),
        (GOOD[GOOD["dataset"] == "d00"], r"expected at least 2 data sets \(Demšar's procedure needs about 5 or more\). Received: 1 data set\(s\) \['d00'\]"),
        (GOOD.assign(value=GOOD["value"].where(GOOD.index != 4)), r"1 NaN or infinite value\(s\), at \(dataset='d01', loss='b'\)"),
        (GOOD.drop(index=[5]), r"expected every loss on every data set .* Received: loss 'b' lacks 1 data set\(s\): 'd02'"),
        (pd.concat([GOOD, GOOD.iloc[:1]]), r"expected one row per \(dataset, loss\), the mean .* or pass the trials with their seed and fold columns .* 1 duplicated row\(s\), e.g. \(dataset='d00', loss='a'\)"),
        (GOOD.assign(value=GOOD["value"].astype(str)), r"expected numbers in column 'value'"),
        (GOOD.assign(loss=GOOD["loss"].where(GOOD.index != 0)), r"expected dataset, loss on every row. Received: 1 row\(s\) with one missing, e.g. row 0"),
        (TRIALS.drop(index=[3]), r"expected every loss to have the same trials within a data set.* loss 'b' on \(dataset='d0', seed=1\)"),
        (pd.concat([TRIALS, TRIALS.iloc[:1]]), r"expected one row per \(dataset, loss, seed\). Received: 1 duplicated row\(s\), e.g. \(dataset='d0', loss='a', seed=0\)"),
    ],
)
def test_bad_scores_are_refused(scores, message):
    with pytest.raises(ValueError, match=message):
        check(scores)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"higher_is_better": "yes"}, TypeError, r"higher_is_better: expected True or False \(is a larger score better\?\). Received: higher_is_better='yes'"),
        ({"metric": ""}, ValueError, r"metric: expected the metric's name"),
        ({"alpha": 1.5}, ValueError, r"alpha: expected a significance level strictly between 0 and 1, such as 0.05. Received: alpha=1.5"),
        ({"method": "nemenyi"}, ValueError, r"method: expected one of 'auto', 'demsar', 'bayesian'. Received: method='nemenyi'"),
        ({"rope": -0.1}, ValueError, r"rope: expected the region of practical equivalence in score units, a finite number >= 0 .* Received: rope=-0.1"),
        ({"prior_strength": 0}, ValueError, r"prior_strength: expected a positive number .* Received: prior_strength=0"),
        ({"n_samples": 10}, ValueError, r"n_samples: expected an integer >= 1000 \(posterior samples per pair\). Received: n_samples=10"),
        ({"rng": None}, TypeError, r"rng: expected a non-negative integer seed or a numpy.random.Generator"),
        ({"control": "c"}, ValueError, r"control: expected None or one of the losses \['a', 'b'\]. Received: control='c'"),
    ],
)
def test_bad_arguments_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        check(**kwargs)


def test_scores_must_be_a_dataframe():
    with pytest.raises(TypeError, match=r"scores: expected a pandas DataFrame in long form with columns \['dataset', 'loss', 'value'\]. Received: scores of type dict"):
        compare_across({"a": [1.0]}, higher_is_better=True)
