"""Tests for losslab.stats.within: reference values, decision flow, simulations, validation.

Reference values are either SciPy 1.17 / scikit-posthocs 0.17 on the same data (what we
delegate to them) or hand arithmetic from the published formulas, written out in the
comments (what we implement ourselves).
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import scikit_posthocs
from scipy import stats as sps

from losslab.stats import tests as _tests
from losslab.stats.within import Comparison, Design, compare_losses


def long_form(table: dict[str, list[float]], *, folds: int = 1) -> pd.DataFrame:
    """Scores in long form; trial t is (seed=t // folds, fold=t % folds)."""
    rows = [(loss, t // folds, t % folds, v) for loss, values in table.items() for t, v in enumerate(values)]
    return pd.DataFrame(rows, columns=["loss", "seed", "fold", "value"])


def row_of(result: Comparison, name: str) -> pd.Series:
    """The all_tests row of the test called ``name`` (two-loss comparisons)."""
    rows = result.all_tests[result.all_tests["test"] == name]
    assert len(rows) == 1
    return rows.iloc[0]




# A fixed two-loss study with independent trials (no overlap): 12 trials.
BCE = [0.81, 0.84, 0.79, 0.86, 0.83, 0.80, 0.85, 0.82, 0.78, 0.84, 0.83, 0.81]
HINGE = [0.79, 0.80, 0.78, 0.84, 0.80, 0.80, 0.81, 0.79, 0.77, 0.83, 0.80, 0.78]


# --- two losses: delegated tests against SciPy ---------------------------------------


def test_paired_t_and_wilcoxon_match_scipy():
    result = compare_losses(long_form({"bce": BCE, "hinge": HINGE}), higher_is_better=True, design="independent")
    a, b = np.array(BCE), np.array(HINGE)
    t = sps.ttest_rel(a, b)
    w = sps.wilcoxon(a, b)
    assert row_of(result, "paired t-test")["statistic"] == pytest.approx(t.statistic, rel=1e-12)
    assert row_of(result, "paired t-test")["p"] == pytest.approx(t.pvalue, rel=1e-12)
    assert row_of(result, "paired t-test")["df"] == (11.0,)
    assert row_of(result, "Wilcoxon signed-rank test")["statistic"] == pytest.approx(w.statistic)
    assert row_of(result, "Wilcoxon signed-rank test")["p"] == pytest.approx(w.pvalue, rel=1e-12)
    # Shapiro-Wilk does not reject normal differences here, so the paired t-test decides.
    assert sps.shapiro(a - b).pvalue > 0.05
    row = result.pairwise.iloc[0]
    assert (row["loss_a"], row["loss_b"], row["test"]) == ("bce", "hinge", "paired t-test")
    assert row["mean_diff"] == pytest.approx(np.mean(a - b))
    assert result.omnibus.name == "paired t-test" and result.omnibus.p == pytest.approx(t.pvalue)
    assert result.best == "bce" and bool(row["significant"])


def test_wilcoxon_decides_when_differences_are_not_normal():
    # Eleven small differences and one huge one: Shapiro-Wilk rejects normality.
    diffs = [0.01, 0.02, 0.01, 0.015, 0.02, 0.01, 0.012, 0.018, 0.011, 0.02, 0.016, 0.4]
    base = np.full(12, 0.5)
    result = compare_losses(long_form({"a": list(base + diffs), "b": list(base)}), higher_is_better=True, design="independent")
    assert sps.shapiro(np.array(diffs)).pvalue < 0.05
    assert result.pairwise["test"].iloc[0] == "Wilcoxon signed-rank test"
    assert result.all_tests["primary"].tolist() == [True, False]
    assert "Shapiro-Wilk rejects normal differences" in result.reason


# --- two losses: tests we implement, against hand arithmetic --------------------------


def test_corrected_resampled_t_hand_computed():
    # Nadeau & Bengio (2003): t = mean(d) / sqrt((1/J + n_test/n_train) * s^2), df = J - 1.
    # d = [0.02, 0.05, 0.01, 0.04, 0.03], J = 5, n_test/n_train = 20/80 = 0.25.
    # mean = 0.03; deviations -0.01, 0.02, -0.02, 0.01, 0 -> sum of squares 0.001, s^2 = 0.001/4 = 0.00025.
    # corrected variance = (1/5 + 0.25) * 0.00025 = 0.0001125; t^2 = 0.0009 / 0.0001125 = 8, t = 2*sqrt(2).
    # The plain paired t: variance 0.00025/5 = 0.00005, t^2 = 0.0009 / 0.00005 = 18, t = 3*sqrt(2).
    d = np.array([0.02, 0.05, 0.01, 0.04, 0.03])
    scores = long_form({"a": list(0.7 + d), "b": [0.7] * 5})
    by_fraction = compare_losses(scores, higher_is_better=True, design=Design("holdout", test_fraction=0.2, repeats=5))
    by_sizes = compare_losses(scores, higher_is_better=True, design=Design("holdout"), n_train=80, n_test=20)
    for result in (by_fraction, by_sizes):
        primary = row_of(result, "corrected resampled t-test")
        assert primary["statistic"] == pytest.approx(2 * math.sqrt(2), rel=1e-9)
        assert primary["p"] == pytest.approx(2 * sps.t.sf(2 * math.sqrt(2), 4), rel=1e-9)  # 0.0474
        assert primary["df"] == (4.0,)
        assert row_of(result, "paired t-test")["statistic"] == pytest.approx(3 * math.sqrt(2), rel=1e-9)
        assert result.pairwise["test"].iloc[0] == "corrected resampled t-test"
    assert by_fraction.pairwise["p"].iloc[0] == pytest.approx(0.04742, abs=1e-5)


def test_corrected_repeated_kfold_test_hand_computed():
    # Bouckaert & Frank (2004): the corrected t over all k*r = 10 folds of 2 x 5-fold CV, n_test/n_train = 1/(k-1) = 1/4.
    # d alternates 0.01, 0.03: mean 0.02, s^2 = 10 * 0.0001 / 9; corrected variance = (1/10 + 1/4) * s^2 = 0.35 * 0.001/9.
    # t^2 = 0.0004 / (0.35 * 0.001 / 9) = 72/7, t = 3.2071, df = 9.
    d = np.array([0.01, 0.03] * 5)
    scores = long_form({"a": list(0.6 + d), "b": [0.6] * 10}, folds=5)
    result = compare_losses(scores, higher_is_better=True, design=Design("repeated_kfold", k=5, repeats=2))
    primary = row_of(result, "corrected repeated k-fold cv test")
    assert primary["statistic"] == pytest.approx(math.sqrt(72 / 7), rel=1e-9)
    assert primary["p"] == pytest.approx(2 * sps.t.sf(math.sqrt(72 / 7), 9), rel=1e-9)
    assert bool(primary["primary"])
    # One k-fold CV (one seed): the corrected resampled t with n_test/n_train = 1/(k-1) = 1/9 for k = 10.
    kfold = compare_losses(long_form({"a": list(0.6 + d), "b": [0.6] * 10}, folds=10), higher_is_better=True, design=Design("kfold", k=10))
    # t^2 = 0.0004 / ((1/10 + 1/9) * 0.001/9) = 0.0036 / (0.001 * 19/90) = 324/19.
    assert row_of(kfold, "corrected resampled t-test")["statistic"] == pytest.approx(math.sqrt(324 / 19), rel=1e-9)


# Differences d[i, j] on fold j of replication i of a 5x2cv study.
FIVE_BY_TWO = np.array([[0.02, 0.04], [0.01, 0.03], [0.05, 0.01], [0.00, 0.02], [0.03, 0.03]])


def test_5x2cv_tests_hand_computed():
    # s_i^2 = (d_i1 - mean_i)^2 + (d_i2 - mean_i)^2 per replication: 0.0002, 0.0002, 0.0008, 0.0002, 0 -> sum 0.0014.
    # Dietterich (1998): t = d_11 / sqrt(sum s_i^2 / 5) = 0.02 / sqrt(0.00028); t^2 = 0.0004 / 0.00028 = 10/7, df 5.
    # Alpaydin (1999): f = sum d_ij^2 / (2 sum s_i^2) = 0.0078 / 0.0028 = 39/14 = 2.7857, F(10, 5).
    #   sum d_ij^2 = 0.0004 + 0.0016 + 0.0001 + 0.0009 + 0.0025 + 0.0001 + 0 + 0.0004 + 0.0009 + 0.0009 = 0.0078.
    scores = long_form({"a": list(0.7 + FIVE_BY_TWO.ravel()), "b": [0.7] * 10}, folds=2)
    result = compare_losses(scores, higher_is_better=True, design="5x2cv")
    t = row_of(result, "5x2cv paired t-test")
    f = row_of(result, "combined 5x2cv F-test")
    assert t["statistic"] == pytest.approx(math.sqrt(10 / 7), rel=1e-9)
    assert t["p"] == pytest.approx(2 * sps.t.sf(math.sqrt(10 / 7), 5), rel=1e-9)
    assert f["statistic"] == pytest.approx(39 / 14, rel=1e-9)
    assert f["p"] == pytest.approx(sps.f.sf(39 / 14, 10, 5), rel=1e-9)
    assert f["df"] == (10.0, 5.0)
    assert result.pairwise["test"].iloc[0] == "combined 5x2cv F-test"  # Alpaydin's test is primary
    # The functions themselves, on the table directly.
    assert _tests.alpaydin_5x2cv_f(FIVE_BY_TWO).statistic == pytest.approx(39 / 14)
    assert _tests.dietterich_5x2cv_t(-FIVE_BY_TWO).statistic == pytest.approx(-math.sqrt(10 / 7))


# --- more than two losses ------------------------------------------------------------

# The example in scikit-posthocs' docstring of posthoc_nemenyi_friedman: 6 blocks x 3 groups.
NEMENYI_EXAMPLE = np.array([[31, 27, 24], [31, 28, 31], [45, 29, 46], [21, 18, 48], [42, 36, 46], [32, 17, 40]], dtype=float)


def test_friedman_and_nemenyi_match_scipy_and_scikit_posthocs():
    scores = long_form({name: list(NEMENYI_EXAMPLE[:, i]) for i, name in enumerate("xyz")})
    result = compare_losses(scores, higher_is_better=True, design="independent", alpha=0.10)
    friedman = sps.friedmanchisquare(*NEMENYI_EXAMPLE.T)
    assert result.omnibus.name == "Friedman test"
    assert result.omnibus.statistic == pytest.approx(friedman.statistic, rel=1e-12)
    assert result.omnibus.p == pytest.approx(friedman.pvalue, rel=1e-12)
    reference = scikit_posthocs.posthoc_nemenyi_friedman(NEMENYI_EXAMPLE)
    reference.index = reference.columns = list("xyz")
    k, n = 3, 6
    ranks = sps.rankdata(-NEMENYI_EXAMPLE, axis=1).mean(axis=0)
    for row in result.pairwise.itertuples():
        assert row.test == "Nemenyi test"
        assert row.p == pytest.approx(reference.loc[row.loss_a, row.loss_b], rel=1e-12)
        assert row.p_adjusted == row.p  # family-wise already
        # Demšar (2006) eq.: q = |R_i - R_j| / sqrt(k(k+1)/(6N)); p from the studentized range at q*sqrt(2), k, inf.
        gap = abs(ranks["xyz".index(row.loss_a)] - ranks["xyz".index(row.loss_b)])
        assert row.p == pytest.approx(sps.studentized_range.sf(gap / math.sqrt(k * (k + 1) / (6 * n)) * math.sqrt(2), k, np.inf), rel=1e-9)
    assert result.avg_ranks == pytest.approx(dict(zip("xyz", ranks)))


# q_0.05 for k = 2..10, Demšar (2006) Table 5(a) (studentized range / sqrt(2), infinite df).
DEMSAR_Q05 = {2: 1.960, 3: 2.343, 4: 2.569, 5: 2.728, 6: 2.850, 7: 2.949, 8: 3.031, 9: 3.102, 10: 3.164}


@pytest.mark.parametrize("k, q", sorted(DEMSAR_Q05.items()))
def test_nemenyi_critical_difference_matches_demsar_table(k, q):
    n = 14
    cd = _tests.nemenyi_critical_difference(k, n, 0.05)
    assert cd / math.sqrt(k * (k + 1) / (6 * n)) == pytest.approx(q, abs=1e-3)


# Demšar (2006), Section 3.2.4 worked example: AUC of four classifiers (C4.5 and three variants) on
# 14 data sets. Published: average ranks 3.143, 2.000, 2.893, 1.964; chi2_F = 9.28; F_F = 3.69;
# CD = 1.25 at alpha = 0.05 (none of the differences exceeds it) and CD = 1.12 at alpha = 0.10,
# where C4.5 is significantly worse than C4.5+m and C4.5+m+cf while C4.5+cf cannot be placed.
# The per-data-set ranks below are a reconstruction (rank 1 = best; ties share ranks) whose column
# means, chi2_F and F_F reproduce every published number; individual rows may differ from the paper.
DEMSAR_RANKS = {
    "C4.5": [4, 1, 4, 4, 4, 1, 3, 2.5, 4, 2.5, 4, 3, 4, 3],
    "C4.5+m": [1, 4, 3, 2, 1, 2.5, 1, 1, 1, 2.5, 3, 1, 3, 2],
    "C4.5+cf": [2, 3, 2, 3, 3, 4, 4, 4, 2, 2.5, 1, 4, 2, 4],
    "C4.5+m+cf": [3, 2, 1, 1, 2, 2.5, 2, 2.5, 3, 2.5, 2, 2, 1, 1],
}


def test_demsar_worked_example():
    scores = long_form(DEMSAR_RANKS)
    result = compare_losses(scores, higher_is_better=False, design="independent", metric="rank")
    assert result.avg_ranks == pytest.approx({"C4.5": 3.143, "C4.5+m": 2.000, "C4.5+cf": 2.893, "C4.5+m+cf": 1.964}, abs=5e-4)
    # Demšar's chi2_F = 12N/(k(k+1)) * (sum R_j^2 - k(k+1)^2/4) = 8.4 * (26.1046 - 25) = 9.28, without tie correction.
    ranks = np.array(list(result.avg_ranks.values()))
    chi2 = 12 * 14 / 20 * (np.sum(ranks**2) - 25)
    assert chi2 == pytest.approx(9.28, abs=5e-3)
    assert 13 * chi2 / (14 * 3 - chi2) == pytest.approx(3.69, abs=5e-3)  # Iman-Davenport F_F
    # SciPy corrects for ties: c = 1 - sum(t^3 - t) / (N k (k^2 - 1)); ties: two pairs (6 + 6) and one
    # four-way tie (60) -> c = 1 - 72/840; chi2 = 9.2786 / c = 10.148.
    assert result.omnibus.statistic == pytest.approx(chi2 / (1 - 72 / 840), rel=1e-9)
    assert result.critical_difference == pytest.approx(1.25, abs=5e-3)  # 2.569 * sqrt(20/84) = 1.2536
    assert not result.pairwise["significant"].any()
    at_10 = compare_losses(scores, higher_is_better=False, design="independent", metric="rank", alpha=0.10)
    assert at_10.critical_difference == pytest.approx(1.12, abs=5e-3)  # 2.291 * sqrt(20/84) = 1.1179
    significant = {frozenset((r.loss_a, r.loss_b)) for r in at_10.pairwise.itertuples() if r.significant}
    assert significant == {frozenset(("C4.5", "C4.5+m")), frozenset(("C4.5", "C4.5+m+cf"))}
    assert at_10.best is None
    assert at_10.verdict().startswith("no loss beats every other on rank")


def test_overlapping_design_uses_corrected_pairwise_tests_with_holm():
    rng = np.random.default_rng(3)
    base = rng.normal(0.8, 0.02, 20)
    table = {"a": base + 0.03 + rng.normal(0, 0.01, 20), "b": base + rng.normal(0, 0.01, 20), "c": base + 0.01 + rng.normal(0, 0.01, 20)}
    result = compare_losses(long_form({k: list(v) for k, v in table.items()}), higher_is_better=True, design=Design("holdout", test_fraction=0.1))
    assert set(result.pairwise["test"]) == {"corrected resampled t-test"}
    assert result.pairwise["p_adjusted"].to_numpy() == pytest.approx(_tests.holm(result.pairwise["p"].to_numpy()))
    assert result.omnibus.name == "Friedman test"
    assert "Nemenyi test" in set(result.all_tests["test"])  # reported beside, not deciding
    for row in result.pairwise.itertuples():  # the primary test is the hand formula with n_test/n_train = 1/9
        d = table[row.loss_a] - table[row.loss_b]
        t = d.mean() / math.sqrt((1 / 20 + 1 / 9) * d.var(ddof=1))
        assert row.statistic == pytest.approx(t)
    assert result.best == "a"
    assert "Holm-adjusted" in result.verdict()


def test_holm_step_down_hand_computed():
    # p = [0.01, 0.04, 0.03, 0.005], m = 4. Sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> max(0.06, 0.04) = 0.06.
    assert _tests.holm(np.array([0.01, 0.04, 0.03, 0.005])) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # Capped at 1 and kept monotone: 0.5*2 = 1.0, then max(1.0, 0.6*1) = 1.0.
    assert _tests.holm(np.array([0.6, 0.5])) == pytest.approx([1.0, 1.0])
    assert _tests.holm(np.array([0.2])) == pytest.approx([0.2])


# --- effect sizes ----------------------------------------------------------------------


def test_cliffs_delta_and_cohens_dz_hand_computed():
    # Cliff's delta of a = [1, 2, 3] vs b = [2, 2, 4]: signs of a_i - b_j over the 9 pairs:
    # a=1: -,-,-; a=2: 0,0,-; a=3: +,+,- -> (2 - 6) / 9 = -1/3.
    assert _tests.cliffs_delta(np.array([1.0, 2, 3]), np.array([2.0, 2, 4])) == pytest.approx(-1 / 3)
    # d = [1, 2, 3, 6]: mean 3, sd = sqrt((4 + 1 + 0 + 9) / 3) = sqrt(14/3) -> d_z = 3 / 2.1602 = 1.3887.
    assert _tests.cohens_dz(np.array([1.0, 2, 3, 6])) == pytest.approx(3 / math.sqrt(14 / 3))
    # Through compare_losses: a = b + d.
    b = np.array([10.0, 11, 12, 13])
    result = compare_losses(long_form({"a": list(b + [1, 2, 3, 6]), "b": list(b)}), higher_is_better=True, design="independent")
    row = result.pairwise.iloc[0]
    assert row["cohen_d"] == pytest.approx(3 / math.sqrt(14 / 3))
    # a = [11, 13, 15, 19] vs b = [10, 11, 12, 13]: a=11: +,0,-,-; a=13: +,+,+,0; a=15 and a=19: +,+,+,+
    # -> 12 wins, 2 losses, 2 ties: (12 - 2) / 16 = 0.625.
    assert row["cliffs_delta"] == pytest.approx(10 / 16)


def test_bootstrap_interval_covers_the_true_mean_and_is_reproducible():
    rng = np.random.default_rng(11)
    covered = 0
    for _ in range(200):
        d = rng.normal(0.5, 1.0, 40)
        low, high = _tests.mean_difference_ci(d, confidence=0.95, n_resamples=500, rng=np.random.default_rng(0))
        covered += low <= 0.5 <= high
    assert 0.88 <= covered / 200 <= 0.99  # percentile bootstrap, n = 40: close to the nominal 0.95

    scores = long_form({"bce": BCE, "hinge": HINGE})
    first = compare_losses(scores, higher_is_better=True, design="independent", rng=7)
    again = compare_losses(scores, higher_is_better=True, design="independent", rng=np.random.default_rng(7))
    other = compare_losses(scores, higher_is_better=True, design="independent", rng=8)
    pd.testing.assert_frame_equal(first.pairwise, again.pairwise)
    assert (first.pairwise["ci_low"].iloc[0], first.pairwise["ci_high"].iloc[0]) != (other.pairwise["ci_low"].iloc[0], other.pairwise["ci_high"].iloc[0])
    row = first.pairwise.iloc[0]
    assert row["ci_low"] < row["mean_diff"] < row["ci_high"]


def test_bootstrap_interval_is_widened_when_training_sets_overlap():
    d = np.array([0.02, 0.05, 0.01, 0.04, 0.03, 0.02, 0.06, 0.03])
    scores = long_form({"a": list(0.7 + d), "b": [0.7] * 8})
    plain = compare_losses(scores, higher_is_better=True, design="independent").pairwise.iloc[0]
    holdout = compare_losses(scores, higher_is_better=True, design=Design("holdout", test_fraction=0.2)).pairwise.iloc[0]
    factor = math.sqrt(1 + 8 * 0.25)  # Nadeau-Bengio: (1/J + r) / (1/J) = 1 + J r
    assert holdout["mean_diff"] - holdout["ci_low"] == pytest.approx(factor * (plain["mean_diff"] - plain["ci_low"]))
    assert holdout["ci_high"] - holdout["mean_diff"] == pytest.approx(factor * (plain["ci_high"] - plain["mean_diff"]))


# --- degenerate data -------------------------------------------------------------------

DESIGNS = [
    ("independent", 1, 6),
    (Design("holdout", test_fraction=0.25), 1, 6),
    (Design("kfold", k=6), 6, 6),
    (Design("repeated_kfold", k=3, repeats=2), 3, 6),
    ("5x2cv", 2, 10),
]


@pytest.mark.parametrize("design, folds, trials", DESIGNS)
@pytest.mark.parametrize("n_losses", [2, 3])
def test_identical_scores_give_no_difference_without_warnings(design, folds, trials, n_losses):
    values = list(np.linspace(0.7, 0.8, trials))
    scores = long_form({f"loss{i}": values for i in range(n_losses)}, folds=folds)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = compare_losses(scores, higher_is_better=True, design=design, metric="accuracy")
    assert result.best is None
    assert not result.pairwise["significant"].any()
    assert (result.all_tests["p"] == 1.0).all()
    assert (result.pairwise[["mean_diff", "ci_low", "ci_high", "cohen_d", "cliffs_delta"]] == 0).all().all()
    assert result.verdict().startswith("no significant difference in accuracy")


def test_constant_nonzero_difference_is_significant_and_finite_where_it_can_be():
    scores = long_form({"a": [0.9, 0.8, 0.85, 0.95, 0.7], "b": [0.8, 0.7, 0.75, 0.85, 0.6]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = compare_losses(scores, higher_is_better=True, design="independent")
    row = result.pairwise.iloc[0]
    assert row["p"] < 1e-6 and bool(row["significant"]) and result.best == "a"
    assert row["cohen_d"] > 1e6  # +inf, or huge where float rounding leaves a tiny spread
    assert row["ci_low"] == pytest.approx(0.1) and row["ci_high"] == pytest.approx(0.1)


def test_wilcoxon_direction_follows_the_median_and_the_verdict_says_so():
    # Fifteen trials where a wins by 0.01 and one where it loses by 1: Wilcoxon (primary, since the
    # differences are far from normal) favours a, while the mean difference, (0.15 - 1) / 16, favours b.
    d = np.array([0.01] * 15 + [-1.0])
    result = compare_losses(long_form({"a": list(2 + d), "b": [2.0] * 16}), higher_is_better=True, design="independent")
    row = result.pairwise.iloc[0]
    assert row["test"] == "Wilcoxon signed-rank test" and bool(row["significant"])
    assert row["better"] == "a" and row["mean_diff"] == pytest.approx(-0.85 / 16)
    assert result.best == "a"
    assert result.verdict() == (
        f"a beats b on score in most trials (Wilcoxon signed-rank test p={row['p']:.2g}), "
        "though the mean difference favours b by 0.0531 over 16 trials"
    )


def test_a_significant_test_without_direction_names_no_winner():
    # 5x2cv where each replication's folds agree (sum s_i^2 = 0, so F is infinite) but the signs
    # alternate across replications: the mean difference is exactly 0, so no loss is favoured.
    d = np.array([1, 1, -1, -1, 1, 1, -1, -1, 0, 0], dtype=float)
    result = compare_losses(long_form({"a": list(10 + d), "b": [10.0] * 10}, folds=2), higher_is_better=True, design="5x2cv")
    row = result.pairwise.iloc[0]
    assert row["p"] == 0.0 and row["better"] is None and not row["significant"]
    assert result.best is None and result.verdict().startswith("no significant difference in score between")


# --- verdict and result object --------------------------------------------------------


def test_verdict_wording():
    result = compare_losses(long_form({"bce": BCE, "hinge": HINGE}), higher_is_better=True, design="independent", metric="accuracy")
    row = result.pairwise.iloc[0]
    p_text = "p<0.0001" if row["p"] < 1e-4 else f"p={row['p']:.2g}"
    assert result.verdict() == (
        f"bce has higher accuracy than hinge by {row['mean_diff']:.3g} (95% CI {row['ci_low']:.3g} to {row['ci_high']:.3g}; "
        f"paired t-test {p_text}) over 12 trials"
    )
    # Error-like metric: the lower loss wins, and the advantage is reported positive.
    errors = long_form({"mse": [1 - v for v in BCE], "mae": [1 - v for v in HINGE]})
    lower = compare_losses(errors, higher_is_better=False, design="independent", metric="rmse")
    assert lower.best == "mse"
    assert lower.verdict().startswith(f"mse has lower rmse than mae by {row['mean_diff']:.3g} (95% CI ")
    rng = np.random.default_rng(0)
    null = long_form({name: list(rng.normal(size=30)) for name in ("a", "b", "c")})
    none = compare_losses(null, higher_is_better=True, design="independent", metric="accuracy")
    assert none.omnibus.p >= 0.05
    assert none.verdict() == f"no significant difference in accuracy among the 3 losses at alpha=0.05 over 30 trials (Friedman p={none.omnibus.p:.2g})"
    assert "Friedman" in none.reason and "Nemenyi" in none.reason


def test_comparison_is_frozen_and_summary_is_sorted_by_rank():
    # a beats b and b beats c in every trial: average ranks 1, 2, 3; CD = 2.343 * sqrt(12/72) = 0.957 < 1.
    scores = long_form({"b": HINGE, "a": [v + 0.03 for v in BCE], "c": [v - 0.05 for v in HINGE]})
    result = compare_losses(scores, higher_is_better=True, design="independent")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.best = "c"  # type: ignore[misc]
    assert list(result.summary.index) == ["a", "b", "c"] == list(result.avg_ranks)
    expected = scores.groupby("loss")["value"].agg(["mean", "std", "median", "min", "max", "count"]).loc[["a", "b", "c"]]
    np.testing.assert_allclose(result.summary[["mean", "std", "median", "min", "max", "n"]].to_numpy(dtype=float), expected.to_numpy(dtype=float))
    assert list(result.pairwise.columns[:12]) == [
        "loss_a", "loss_b", "test", "statistic", "p", "p_adjusted", "mean_diff", "ci_low", "ci_high", "cohen_d", "cliffs_delta", "significant",
    ]  # fmt: skip
    assert [(r.loss_a, r.loss_b) for r in result.pairwise.itertuples()] == [("a", "b"), ("a", "c"), ("b", "c")]
    assert result.best == "a"
    assert result.verdict().startswith("a is the best of the 3 losses on score over 12 trials (Friedman p")


# --- simulations: error rates ------------------------------------------------------------
# Each study goes through compare_losses (the real decision path) on simulated scores with fixed
# seeds, so the rates are deterministic. With 400 null studies the Monte Carlo SE of a rate near
# 0.05 is 0.011: the bound 0.09 is about 3.6 SE above alpha. Power runs use 200 studies.


def simulate(n_studies: int, n_losses: int, n_trials: int, shift: list[float], *, rho: float = 0.0, seed: int) -> list[pd.DataFrame]:
    """Scores with a shared per-trial effect (paired noise), noise sd 1 per loss, and a mean shift per loss.

    ``rho`` > 0 adds a study-wide component to each loss, so that the paired differences are
    correlated across trials as in Nadeau & Bengio's model of overlapping training sets:
    corr(d_i, d_j) = rho.
    """
    rng = np.random.default_rng(seed)
    trial = rng.normal(0, 1, (n_studies, n_trials, 1))
    noise = rng.normal(0, 1, (n_studies, n_trials, n_losses)) * math.sqrt(1 - rho)
    shared = rng.normal(0, 1, (n_studies, 1, n_losses)) * math.sqrt(rho)
    values = trial + noise + shared + np.asarray(shift)
    names = [f"l{i}" for i in range(n_losses)]
    return [long_form(dict(zip(names, study.T.tolist()))) for study in values]


def run(studies: list[pd.DataFrame], design: Design | str = "independent") -> list[Comparison]:
    return [compare_losses(s, higher_is_better=True, design=design, n_bootstrap=100) for s in studies]


def rate(results: list[Comparison], found) -> float:
    return float(np.mean([bool(found(r)) for r in results]))


def any_significant(result: Comparison) -> bool:
    return bool(result.pairwise["significant"].any())


def test_two_losses_false_positive_rate_and_power():
    assert 0.02 < rate(run(simulate(400, 2, 30, [0, 0], seed=1)), any_significant) < 0.09  # 0.0575
    assert rate(run(simulate(200, 2, 30, [1, 0], seed=2)), lambda r: r.best == "l0") > 0.9  # 1 sd of the noise


def test_corrected_test_holds_alpha_when_trials_are_correlated():
    # Hold-out with 20% test data: n_test/n_train = 0.25, Nadeau-Bengio's correlation rho = 0.2.
    results = run(simulate(400, 2, 30, [0, 0], rho=0.2, seed=3), Design("holdout", test_fraction=0.2))
    assert rate(results, any_significant) < 0.09
    # The plain paired t-test, which ignores the overlap, finds "differences" far too often.
    assert rate(results, lambda r: row_of(r, "paired t-test")["p"] < 0.05) > 0.3


def test_friedman_path_false_positive_rate_and_power():
    null = run(simulate(400, 3, 20, [0, 0, 0], seed=4))
    assert rate(null, lambda r: r.omnibus.p < 0.05) < 0.09
    assert rate(null, any_significant) < 0.09  # family-wise, over the 3 pairs
    planted = run(simulate(200, 3, 40, [1, 0, 0], seed=5))
    wins = lambda r: (r.pairwise["significant"] & (r.pairwise["better"] == "l0")).any()  # noqa: E731
    assert rate(planted, lambda r: r.omnibus.p < 0.05) > 0.9
    assert rate(planted, wins) > 0.9
    tied = lambda r: r.pairwise.loc[r.pairwise["loss_a"] != "l0", "significant"].any()  # noqa: E731
    assert rate(planted, tied) < 0.09  # l1 and l2 do not differ


# --- validation --------------------------------------------------------------------------

GOOD = long_form({"bce": BCE, "hinge": HINGE})


def check(scores=GOOD, **kwargs):
    arguments = {"higher_is_better": True, "design": "independent"} | kwargs
    return compare_losses(scores, **arguments)


@pytest.mark.parametrize(
    "scores, message",
    [
        (GOOD[GOOD["loss"] == "bce"], r"expected at least 2 losses to compare. Received: 1 loss\(es\) \['bce'\]"),
        (GOOD[GOOD["seed"] == 0], r"expected at least 2 trials \(seed, fold\) per loss. Received: 1 trial \(seed=0, fold=0\)"),
        (GOOD.assign(value=GOOD["value"].where(GOOD.index != 3)), r"1 NaN or infinite value\(s\), at \(loss='bce', seed=3, fold=0\)"),
        (GOOD.drop(index=[14, 15]), r"loss 'hinge' lacks 2 trial\(s\): \(seed=2, fold=0\), \(seed=3, fold=0\)"),
        (pd.concat([GOOD, GOOD.iloc[:1]]), r"expected one row per \(loss, seed, fold\). Received: 1 duplicated trial"),
        (GOOD.drop(columns="fold"), r"missing \['fold'\]. A study with one split per seed can use fold=0"),
        (GOOD.assign(value=GOOD["value"].astype(str)), r"expected numbers in column 'value'"),
    ],
)
def test_bad_scores_are_refused(scores, message):
    with pytest.raises(ValueError, match=message):
        check(scores)


def test_5x2cv_needs_ten_trials():
    eight = long_form({"a": list(range(8)), "b": list(range(8))}, folds=2)
    with pytest.raises(ValueError, match=r"5x2cv expects 10 trials per loss \(5 seeds x 2 folds\). Received: 8 trial\(s\) per loss \(4 seed\(s\) x 2 fold\(s\)\)"):
        check(eight, design="5x2cv")


@pytest.mark.parametrize("alpha", [0, 1, -0.1, 1.5, float("nan"), True])
def test_alpha_outside_the_unit_interval_is_refused(alpha):
    with pytest.raises(ValueError, match=rf"alpha: expected a significance level strictly between 0 and 1, such as 0.05. Received: alpha={alpha!r}"):
        check(alpha=alpha)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"higher_is_better": "yes"}, TypeError, r"higher_is_better: expected True or False \(is a larger score better\?\). Received: higher_is_better='yes'"),
        ({"metric": ""}, ValueError, r"metric: expected the metric's name"),
        ({"rng": None}, TypeError, r"rng: expected a non-negative integer seed or a numpy.random.Generator"),
        ({"n_bootstrap": 10}, ValueError, r"n_bootstrap: expected an integer >= 100. Received: n_bootstrap=10"),
        ({"design": 5}, TypeError, r"design: expected a Design or a kind name"),
        ({"design": "loo"}, ValueError, r"Design: expected kind to be one of 'independent', 'holdout', 'kfold', 'repeated_kfold', '5x2cv'. Received: kind='loo'"),
        ({"design": Design("holdout")}, ValueError, r"a 'holdout' design needs the held-out share .* Pass Design\('holdout', test_fraction=0.2\)"),
        ({"design": Design("holdout", test_fraction=0.2), "n_train": 80}, ValueError, r"n_train, n_test: expected both or neither. Received: n_train=80, n_test=None"),
        ({"design": Design("kfold", k=12)}, ValueError, r"kind='kfold' expects the 12 folds of one cross-validation \(one seed\). Received: 12 trial\(s\) per loss \(12 seed\(s\) x 1 fold\(s\)\)"),
        ({"design": Design("holdout", test_fraction=0.2, repeats=30)}, ValueError, r"repeats=30 expects 30 trials per loss. Received: 12 trial\(s\)"),
    ],
)
def test_bad_arguments_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        check(**kwargs)


def test_scores_must_be_a_dataframe():
    with pytest.raises(TypeError, match=r"scores: expected a pandas DataFrame in long form with columns \['loss', 'seed', 'fold', 'value'\]. Received: scores of type list"):
        compare_losses([1, 2], higher_is_better=True, design="independent")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kind": "kfold"}, r"kind='kfold' needs the number of folds. Received: k=None; pass e.g. Design\('kfold', k=5\)"),
        ({"kind": "kfold", "k": 5, "repeats": 3}, r"Received: repeats=3; use Design\('repeated_kfold', k=5, repeats=3\)"),
        ({"kind": "repeated_kfold", "k": 5}, r"kind='repeated_kfold' needs repeats >= 2. Received: repeats=None"),
        ({"kind": "5x2cv", "k": 3}, r"5x2cv is 5 repetitions of 2-fold CV. Received: k=3"),
        ({"kind": "holdout", "test_fraction": 1.2}, r"expected test_fraction strictly between 0 and 1. Received: test_fraction=1.2"),
        ({"kind": "kfold", "k": 1}, r"expected k to be an integer >= 2. Received: k=1"),
        ({"kind": "independent", "test_fraction": 0.2}, r"test_fraction does not apply to kind='independent'"),
    ],
)
def test_bad_designs_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Design(**kwargs)
