"""Tests for losslab.stats.within: reference values, decision flow, edge cases, simulations, validation.

Reference values are either SciPy 1.17 on the same data (what we delegate to it) or hand
arithmetic from the published formulas, written out in the comments (what we implement
ourselves); the test functions themselves are held to scipy / mlxtend / statsmodels /
scikit-posthocs in test_tests.py and to baycomp in test_bayes.py.

Changed by issue 13 (overlapping trials), on purpose: no Friedman/Nemenyi within one data set
(more than two losses: the design's test per pair with Holm), 5x2cv decided by the corrected
repeated k-fold cv test (Alpaydin's F beside it: no direction), the interval beside a verdict is the
deciding test's (not a bootstrap), Wilcoxon's direction from the signed ranks, "cannot test"
for differences with no spread, "too few trials" below 5 trials.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pandas as pd
import pytest
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
    # The interval beside the verdict is the t-test's own: scipy's confidence_interval of ttest_rel.
    ci = t.confidence_interval(0.95)
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(ci.low, rel=1e-12), pytest.approx(ci.high, rel=1e-12))
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
    # Issue 13: F has no direction and no interval for the difference, so the corrected repeated
    # k-fold cv test over the 10 folds (n_test/n_train = 1/(k-1) = 1) decides; F is reported beside.
    # d: sum 0.24, mean 0.024, sum of squares about the mean 0.0078 - 10 * 0.024^2 = 0.00204, s^2 = 0.00204/9;
    # t = 0.024 / sqrt((1/10 + 1) * 0.00204/9) = 0.024 / 0.015790 = 1.5199, df 9.
    assert result.pairwise["test"].iloc[0] == "corrected repeated k-fold cv test"
    assert result.pairwise["statistic"].iloc[0] == pytest.approx(0.024 / math.sqrt(1.1 * 0.00204 / 9), rel=1e-9)
    assert not bool(f["primary"])
    # The functions themselves, on the table directly.
    assert _tests.alpaydin_5x2cv_f(FIVE_BY_TWO).statistic == pytest.approx(39 / 14)
    assert _tests.dietterich_5x2cv_t(-FIVE_BY_TWO).statistic == pytest.approx(-math.sqrt(10 / 7))


# --- more than two losses ------------------------------------------------------------


def test_independent_trials_with_three_losses_use_pairwise_tests_with_holm():
    # Issue 13: no Friedman or Nemenyi within one data set; every pair gets the design's test, Holm over the pairs.
    table = {"x": [31, 31, 45, 21, 42, 32.0], "y": [27, 28, 29, 18, 36, 17.0], "z": [24, 31, 46, 48, 46, 40.0]}
    result = compare_losses(long_form(table), higher_is_better=True, design="independent", alpha=0.10)
    assert not {"Friedman test", "Nemenyi test"} & set(result.all_tests["test"])
    assert result.pairwise["p_adjusted"].to_numpy() == pytest.approx(_tests.holm(result.pairwise["p"].to_numpy()))
    assert not hasattr(result, "critical_difference") and not hasattr(result, "omnibus")


def test_overlapping_design_uses_corrected_pairwise_tests_with_holm():
    rng = np.random.default_rng(3)
    base = rng.normal(0.8, 0.02, 20)
    table = {"a": base + 0.03 + rng.normal(0, 0.01, 20), "b": base + rng.normal(0, 0.01, 20), "c": base + 0.01 + rng.normal(0, 0.01, 20)}
    result = compare_losses(long_form({k: list(v) for k, v in table.items()}), higher_is_better=True, design=Design("holdout", test_fraction=0.1))
    assert set(result.pairwise["test"]) == {"corrected resampled t-test"}
    assert result.pairwise["p_adjusted"].to_numpy() == pytest.approx(_tests.holm(result.pairwise["p"].to_numpy()))
    assert not {"Friedman test", "Nemenyi test"} & set(result.all_tests["test"])  # issue 13: not on overlapping trials
    for row in result.pairwise.itertuples():  # the primary test is the hand formula with n_test/n_train = 1/9
        d = table[row.loss_a] - table[row.loss_b]
        t = d.mean() / math.sqrt((1 / 20 + 1 / 9) * d.var(ddof=1))
        assert row.statistic == pytest.approx(t)
    assert result.best == "a"
    assert "Holm-adjusted" in result.verdict()


# --- effect sizes ----------------------------------------------------------------------


def test_cliffs_delta_and_cohens_dz_through_compare_losses():
    # The functions are checked by hand in test_tests.py. Through compare_losses: a = b + d, 4 trials (too few
    # to test, but the effect sizes are still reported).
    b = np.array([10.0, 11, 12, 13])
    result = compare_losses(long_form({"a": list(b + [1, 2, 3, 6]), "b": list(b)}), higher_is_better=True, design="independent")
    row = result.pairwise.iloc[0]
    assert row["cohen_d"] == pytest.approx(3 / math.sqrt(14 / 3))
    # a = [11, 13, 15, 19] vs b = [10, 11, 12, 13]: a=11: +,0,-,-; a=13: +,+,+,0; a=15 and a=19: +,+,+,+
    # -> 12 wins, 2 losses, 2 ties: (12 - 2) / 16 = 0.625.
    assert row["cliffs_delta"] == pytest.approx(10 / 16)


def test_interval_is_the_corrected_t_interval():
    # Issue 13: the interval beside a verdict is the deciding test's. Corrected resampled t, d as in the hand
    # example above: mean 0.03, s^2 = 0.00025, J = 5, n_test/n_train = 0.25 -> se = sqrt(0.45 * 0.00025) = 0.010607;
    # t_{4, 0.975} = 2.776445 -> half width 0.029449: [0.000551, 0.059449].
    d = np.array([0.02, 0.05, 0.01, 0.04, 0.03])
    result = compare_losses(long_form({"a": list(0.7 + d), "b": [0.7] * 5}), higher_is_better=True, design=Design("holdout", test_fraction=0.2))
    row = result.pairwise.iloc[0]
    half = sps.t.ppf(0.975, 4) * math.sqrt(0.45 * 0.00025)
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(0.03 - half, rel=1e-9), pytest.approx(0.03 + half, rel=1e-9))
    assert half == pytest.approx(0.029449, abs=1e-6)
    # p < 0.05 exactly when the interval excludes 0 (p = 0.0474 here, the lower end just above 0).
    assert row["p"] < 0.05 and row["ci_low"] > 0
    assert "(95% CI 0.000551 to 0.0594; corrected resampled t-test p=0.047)" in result.verdict()
    # A wider held-out share widens the interval by exactly the correction's factor.
    wider = compare_losses(long_form({"a": list(0.7 + d), "b": [0.7] * 5}), higher_is_better=True, design=Design("holdout", test_fraction=0.5)).pairwise.iloc[0]
    assert (wider["ci_high"] - wider["mean_diff"]) / half == pytest.approx(math.sqrt((1 / 5 + 1) / (1 / 5 + 0.25)))


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


# --- issue 13 edge cases, each with the inputs that showed the bug ----------------------------------


@pytest.mark.parametrize("design", ["independent", Design("holdout", test_fraction=0.25)])
def test_constant_nonzero_difference_cannot_be_tested(design):
    # Was: t = inf, p = 0, "CI 0.0263 to 0.0263". A constant difference has no spread: the t statistic is x / 0.
    scores = long_form({"a": [0.9, 0.8, 0.85, 0.95, 0.7], "b": [0.8, 0.7, 0.75, 0.85, 0.6]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = compare_losses(scores, higher_is_better=True, design=design)
    row = result.pairwise.iloc[0]
    assert math.isnan(row["p"]) and math.isnan(row["statistic"]) and math.isnan(row["ci_low"]) and math.isnan(row["ci_high"])
    assert not bool(row["significant"]) and row["better"] is None and result.best is None
    assert row["note"] == "the differences have no spread" and math.isnan(row["cohen_d"])
    assert "cannot test: the differences have no spread (a - b = 0.1 in every one of 5 trials)" in result.verdict()
    assert "inf" not in result.verdict() and "p<" not in result.verdict()
    assert result.bayes[["p_left", "p_rope", "p_right"]].isna().all().all()


@pytest.mark.parametrize("n_trials", [2, 3, 4])
def test_too_few_trials_give_no_p_value(n_trials):
    # Was: 2-3 trials accepted, "best ... p<0.0001".
    scores = long_form({"a": [0.9, 0.81, 0.86, 0.95][:n_trials], "b": [0.8, 0.7, 0.75, 0.85][:n_trials], "c": [0.5, 0.4, 0.45, 0.5][:n_trials]})
    result = compare_losses(scores, higher_is_better=True, design=Design("holdout", test_fraction=0.25))
    assert result.pairwise["p"].isna().all() and result.pairwise["p_adjusted"].isna().all()
    assert not result.pairwise["significant"].any() and result.best is None
    assert result.verdict().startswith(f"too few trials to test; run at least 5 (mean score over {n_trials} trials: a ")
    assert "p=" not in result.verdict() and "p<" not in result.verdict()
    assert "run at least 5" in result.reason


def test_5x2cv_with_no_spread_within_repetitions_cannot_be_tested_by_f():
    # Was: F = inf, p = 0 and a winner, beside paired t p = 0.17. Each repetition's two folds agree (sum s_i^2 = 0)
    # while the signs alternate across repetitions: a winner by "2 of 750 predictions" in the issue.
    d = np.array([1, 1, -1, -1, 1, 1, -1, -1, 2, 2], dtype=float) / 750
    result = compare_losses(long_form({"a": list(0.8 + d), "b": [0.8] * 10}, folds=2), higher_is_better=True, design="5x2cv")
    f = row_of(result, "combined 5x2cv F-test")
    assert math.isnan(f["statistic"]) and math.isnan(f["p"]) and f["note"] == "the differences have no spread"
    assert math.isnan(row_of(result, "5x2cv paired t-test")["p"])
    row = result.pairwise.iloc[0]
    assert row["test"] == "corrected repeated k-fold cv test" and row["p"] > 0.5 and not bool(row["significant"])
    assert result.best is None
    verdict = result.verdict()
    assert "the combined 5x2cv F-test beside it (no direction): cannot test: the differences have no spread" in verdict
    assert "inf" not in verdict and "p<0.0001" not in verdict


def test_5x2cv_names_a_winner_only_from_the_directional_test():
    # Repetitions alternate in sign with some spread inside each: F (no direction) may reject, but the winner can only
    # come from the corrected t on the mean difference, which is 0 here.
    d = np.array([0.05, 0.06, -0.05, -0.06, 0.05, 0.06, -0.05, -0.06, 0.0, 0.0])
    result = compare_losses(long_form({"a": list(0.7 + d), "b": [0.7] * 10}, folds=2), higher_is_better=True, design="5x2cv")
    assert row_of(result, "combined 5x2cv F-test")["p"] < 0.05  # F "rejects": sum d^2 is large against the small within-repetition spread
    row = result.pairwise.iloc[0]
    assert row["estimate"] == pytest.approx(0.0, abs=1e-15) and row["p"] > 0.9
    assert not bool(row["significant"]) and result.best is None


def test_wilcoxon_direction_comes_from_the_signed_ranks_not_the_median():
    # Was: "b beats a ... though the mean difference favours a by 0.036", direction from the median of d, while R+ > R-
    # and Hodges-Lehmann favour a. Here the median of d is negative (-0.01) but a's positive differences are the large ones:
    # |d| ranks: the six -0.01 share ranks 1-6 (3.5 each, R- = 21); the five 0.2..0.6 take ranks 7-11 (R+ = 45).
    d = np.array([-0.01] * 6 + [0.2, 0.3, 0.4, 0.5, 0.6])
    assert np.median(d) < 0
    result = compare_losses(long_form({"a": list(2 + d), "b": [2.0] * 11}), higher_is_better=True, design="independent")
    row = result.pairwise.iloc[0]
    assert row["test"] == "Wilcoxon signed-rank test"  # Shapiro-Wilk rejects normal differences
    assert _tests.signed_rank_sums(d, split_zeros=False) == (45.0, 21.0)
    # Hodges-Lehmann: the median of the 66 Walsh averages (d_i + d_j)/2, i <= j.
    i, j = np.triu_indices(11)
    assert row["estimate"] == pytest.approx(np.median((d[i] + d[j]) / 2)) and row["estimate"] > 0
    assert row["better"] == "a" and row["ci_low"] <= row["estimate"] <= row["ci_high"]


def test_wilcoxon_significant_verdict_reports_hodges_lehmann_with_its_interval():
    # Fifteen trials where a wins by 0.01 and one where it loses by 1: Wilcoxon decides; R+ = 120 > R- = 16 and the
    # Hodges-Lehmann estimate is 0.01, although the mean difference, (0.15 - 1) / 16, favours b.
    d = np.array([0.01] * 15 + [-1.0])
    result = compare_losses(long_form({"a": list(2 + d), "b": [2.0] * 16}), higher_is_better=True, design="independent")
    row = result.pairwise.iloc[0]
    assert row["test"] == "Wilcoxon signed-rank test" and bool(row["significant"])
    # The pair is ordered by mean (b first), so its estimate is Hodges-Lehmann's for b - a: -0.01.
    assert (row["loss_a"], row["better"]) == ("b", "a") and row["mean_diff"] == pytest.approx(0.85 / 16) and row["estimate"] == pytest.approx(-0.01)
    assert result.best == "a"
    assert result.verdict().startswith(
        f"a has higher score than b by 0.01 (Hodges-Lehmann) (95% CI {-row['ci_high']:.3g} to {-row['ci_low']:.3g}; "
        f"Wilcoxon signed-rank test p={row['p']:.2g}) over 16 trials"
    )


def test_early_stopping_validation_share_enters_the_correction():
    # 25% held out, models fitted on 90% of the training rows: n_test/n_fitted = 0.25 / (0.75 * 0.9) = 0.37037.
    d = np.array([0.02, 0.05, 0.01, 0.04, 0.03, 0.0, 0.06])
    scores = long_form({"a": list(0.7 + d), "b": [0.7] * 7})
    plain = compare_losses(scores, higher_is_better=True, design=Design("holdout", test_fraction=0.25))
    stopped = compare_losses(scores, higher_is_better=True, design=Design("holdout", test_fraction=0.25, train_fraction=0.9))
    assert (plain.ratio, stopped.ratio) == (pytest.approx(1 / 3), pytest.approx(0.25 / (0.75 * 0.9)))
    t = d.mean() / math.sqrt((1 / 7 + 0.25 / 0.675) * d.var(ddof=1))
    assert stopped.pairwise["statistic"].iloc[0] == pytest.approx(t)
    assert stopped.pairwise["p"].iloc[0] > plain.pairwise["p"].iloc[0]
    assert "models fitted on 0.9 of each training set" in stopped.reason
    assert Design("kfold", k=5, train_fraction=0.8).ratio() == pytest.approx(1 / (4 * 0.8))


def test_forest_and_bayes_tables_for_the_report():
    rng = np.random.default_rng(3)
    base = rng.normal(0.8, 0.02, 20)
    table = {"a": base + 0.03 + rng.normal(0, 0.01, 20), "b": base + rng.normal(0, 0.01, 20), "c": base + 0.01 + rng.normal(0, 0.01, 20)}
    result = compare_losses(long_form({k: list(v) for k, v in table.items()}), higher_is_better=True, design=Design("holdout", test_fraction=0.1))
    forest = result.forest
    assert list(forest.index) == ["a", "c", "b"] and list(forest.columns) == ["difference", "low", "high", "p_adjusted", "test", "decided"]
    assert forest.loc["a", "difference"] == 0 and forest.loc["a", ["low", "high", "p_adjusted"]].isna().all()
    for loss in ("b", "c"):
        d = table[loss] - table["a"]  # loss - best
        half = sps.t.ppf(0.975, 19) * math.sqrt((1 / 20 + 1 / 9) * d.var(ddof=1))
        assert forest.loc[loss, "difference"] == pytest.approx(d.mean())
        assert (forest.loc[loss, "low"], forest.loc[loss, "high"]) == (pytest.approx(d.mean() - half), pytest.approx(d.mean() + half))
        pair = result.pairwise[(result.pairwise["loss_a"] == "a") & (result.pairwise["loss_b"] == loss)].iloc[0]
        assert forest.loc[loss, "p_adjusted"] == pair["p_adjusted"] and forest.loc[loss, "decided"] == pair["significant"]
        assert forest.loc[loss, "test"] == "corrected resampled t-test"
    bayes = result.bayes
    assert list(bayes.columns) == ["loss_a", "loss_b", "p_left", "p_rope", "p_right", "rope"] and len(bayes) == 3
    np.testing.assert_allclose(bayes[["p_left", "p_rope", "p_right"]].sum(axis=1), 1.0)
    assert "Bayesian correlated t-test: P(a better than c) = " in result.verdict()


def test_bayes_direction_follows_the_metric():
    # For an error metric the lower loss is better: p_left is P(loss_a better) = P(mean of a - b < -rope).
    d = np.array([-0.05, -0.04, -0.06, -0.05, -0.03, -0.07])
    result = compare_losses(long_form({"a": list(1 + d), "b": [1.0] * 6}), higher_is_better=False, design=Design("holdout", test_fraction=0.2), metric="rmse")
    row = result.bayes.iloc[0]
    assert (row["loss_a"], row["loss_b"]) == ("a", "b") and row["p_left"] > 0.95 and row["p_right"] < 0.01
    assert "P(a better) = " in result.verdict() and "P(equivalent within 0.01 rmse) = " in result.verdict()


# --- verdict and result object --------------------------------------------------------


def test_verdict_wording():
    result = compare_losses(long_form({"bce": BCE, "hinge": HINGE}), higher_is_better=True, design="independent", metric="accuracy")
    row = result.pairwise.iloc[0]
    p_text = "p<0.0001" if row["p"] < 1e-4 else f"p={row['p']:.2g}"
    bayes = result.bayes.iloc[0]
    assert result.verdict() == (
        f"bce has higher accuracy than hinge by {row['mean_diff']:.3g} (95% CI {row['ci_low']:.3g} to {row['ci_high']:.3g}; "
        f"paired t-test {p_text}) over 12 trials; Bayesian correlated t-test: P(bce better) = {bayes['p_left']:.2f}, "
        f"P(equivalent within 0.01 accuracy) = {bayes['p_rope']:.2f}"
    )
    # Error-like metric: the lower loss wins, and the advantage is reported positive.
    errors = long_form({"mse": [1 - v for v in BCE], "mae": [1 - v for v in HINGE]})
    lower = compare_losses(errors, higher_is_better=False, design="independent", metric="rmse")
    assert lower.best == "mse"
    assert lower.verdict().startswith(f"mse has lower rmse than mae by {row['mean_diff']:.3g} (95% CI ")
    rng = np.random.default_rng(0)
    null = long_form({name: list(rng.normal(size=30)) for name in ("a", "b", "c")})
    none = compare_losses(null, higher_is_better=True, design="independent", metric="accuracy")
    assert none.verdict().startswith("no significant difference in accuracy among the 3 losses at alpha=0.05 over 30 trials (paired t-test, Holm-adjusted over 3 pairs); Bayesian correlated t-test: P(")
    assert "Holm-adjusted over the 3 pairs" in none.reason and "not used within one data set" in none.reason


def test_comparison_is_frozen_and_summary_is_sorted_by_rank():
    # a beats b and b beats c in every trial: average ranks 1, 2, 3.
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
    assert result.verdict().startswith("a is the best of the 3 losses on score over 12 trials: higher score than b by ")


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
    return [compare_losses(s, higher_is_better=True, design=design) for s in studies]


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


def test_holm_path_false_positive_rate_and_power():
    null = run(simulate(400, 3, 20, [0, 0, 0], seed=4))
    assert rate(null, any_significant) < 0.09  # family-wise, over the 3 pairs
    planted = run(simulate(200, 3, 40, [1, 0, 0], seed=5))
    wins = lambda r: (r.pairwise["significant"] & (r.pairwise["better"] == "l0")).any()  # noqa: E731
    assert rate(planted, lambda r: r.best == "l0") > 0.9
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
        ({"rope": -0.01}, ValueError, r"rope: expected the region of practical equivalence in score units, a finite number >= 0 .* Received: rope=-0.01"),
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


def test_module_examples_run():
    import doctest

    import losslab.stats.within as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 5 and result.failed == 0
