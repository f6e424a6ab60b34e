"""Tests for losslab.stats.tests: every test and effect size against an outside reference.

Provenance of each reference is in the comment beside it: SciPy 1.17 (t-test, its confidence
interval, Wilcoxon, Friedman), mlxtend 0.25 (resampled, k-fold and 5x2cv t-tests, combined 5x2cv
F-test, each recomputed from the same splits), statsmodels 0.15 (Holm), scikit-posthocs 0.17
(Nemenyi), R's wilcox.test documentation (the signed-rank statistic of its worked example),
Demšar (2006) Table 5 (critical differences), and hand arithmetic from the published formulas.
"""

from __future__ import annotations

import math

import mlxtend.evaluate as mlxtend_evaluate  # a test dependency: installed by `make test`
import numpy as np
import pytest
import scikit_posthocs
from scipy import stats as sps
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.metrics import accuracy_score
from sklearn.model_selection import KFold, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier
from statsmodels.stats.multitest import multipletests

from losslab.stats import tests

# --- t-tests -----------------------------------------------------------------------------------------


def test_paired_t_matches_scipy_with_its_interval():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0.8, 0.02, 15), rng.normal(0.79, 0.02, 15)
    ours = tests.paired_t(a - b, confidence=0.9)
    reference = sps.ttest_rel(a, b)  # SciPy 1.17
    ci = reference.confidence_interval(0.9)
    assert (ours.statistic, ours.p, ours.df) == (pytest.approx(reference.statistic, rel=1e-12), pytest.approx(reference.pvalue, rel=1e-12), (14.0,))
    assert (ours.low, ours.high, ours.estimate) == (pytest.approx(ci.low, rel=1e-12), pytest.approx(ci.high, rel=1e-12), pytest.approx(np.mean(a - b)))


def test_corrected_t_reduces_to_the_plain_t_and_scales_its_variance():
    d = np.array([0.02, 0.05, 0.01, 0.04, 0.03])
    assert tests.corrected_t(d, ratio=0.0).statistic == pytest.approx(tests.paired_t(d).statistic)
    # Nadeau & Bengio (2003): var(mean) = (1/J + n_test/n_train) s^2; with ratio 0.25, J = 5: t^2 = 0.0009 / (0.45 * 0.00025) = 8.
    corrected = tests.corrected_t(d, ratio=0.25)
    assert corrected.statistic == pytest.approx(2 * math.sqrt(2)) and corrected.name == "corrected resampled t-test"
    half = sps.t.ppf(0.975, 4) * math.sqrt(0.45 * 0.00025)
    assert (corrected.low, corrected.high) == (pytest.approx(0.03 - half), pytest.approx(0.03 + half))


def _two_models():
    x, y = make_classification(n_samples=120, n_features=6, random_state=0)
    return x, y, GaussianNB(), DecisionTreeClassifier(random_state=0)


def _difference(m1, m2, x_train, y_train, x_test, y_test) -> float:
    return accuracy_score(y_test, clone(m1).fit(x_train, y_train).predict(x_test)) - accuracy_score(y_test, clone(m2).fit(x_train, y_train).predict(x_test))


def test_5x2cv_t_and_f_match_mlxtend():
    # mlxtend.evaluate.paired_ttest_5x2cv / combined_ftest_5x2cv train the two models on the same 5 x 2 splits
    # (train_test_split(test_size=0.5, random_state=RandomState(seed).randint(0, 32767)) per repetition, each half
    # once for training); we recompute their differences and pass the table to our functions.
    x, y, m1, m2 = _two_models()
    rng = np.random.RandomState(2)
    table = np.empty((5, 2))
    for i in range(5):
        x1, x2, y1, y2 = train_test_split(x, y, test_size=0.5, random_state=rng.randint(low=0, high=32767))
        table[i] = _difference(m1, m2, x1, y1, x2, y2), _difference(m1, m2, x2, y2, x1, y1)
    t_ref = mlxtend_evaluate.paired_ttest_5x2cv(m1, m2, x, y, random_seed=2)  # (1.2910, 0.2532)
    f_ref = mlxtend_evaluate.combined_ftest_5x2cv(m1, m2, x, y, random_seed=2)
    t, f = tests.dietterich_5x2cv_t(table), tests.alpaydin_5x2cv_f(table)
    assert (t.statistic, t.p) == (pytest.approx(t_ref[0], rel=1e-9), pytest.approx(t_ref[1], rel=1e-9))
    assert (f.statistic, f.p) == (pytest.approx(f_ref[0], rel=1e-9), pytest.approx(f_ref[1], rel=1e-9))
    assert t_ref[0] != 0 and math.isnan(f.estimate)  # F squares the differences: no direction


def test_resampled_and_kfold_t_match_mlxtend_uncorrected():
    # mlxtend's paired_ttest_resampled and paired_ttest_kfold_cv are the plain paired t over the trials (no
    # Nadeau-Bengio correction, which is why losslab only reports it beside the corrected test): our paired_t.
    x, y, m1, m2 = _two_models()
    rng = np.random.RandomState(1)
    resampled = []
    for _ in range(10):
        xa, xb, ya, yb = train_test_split(x, y, test_size=0.3, random_state=rng.randint(low=0, high=32767))
        resampled.append(_difference(m1, m2, xa, ya, xb, yb))
    ref = mlxtend_evaluate.paired_ttest_resampled(m1, m2, x, y, num_rounds=10, random_seed=1)  # (2.3265, 0.0450)
    ours = tests.paired_t(np.array(resampled))
    assert (ours.statistic, ours.p) == (pytest.approx(ref[0], rel=1e-9), pytest.approx(ref[1], rel=1e-9))
    folds = [_difference(m1, m2, x[tr], y[tr], x[te], y[te]) for tr, te in KFold(n_splits=5, shuffle=True, random_state=2).split(x)]
    ref = mlxtend_evaluate.paired_ttest_kfold_cv(m1, m2, x, y, cv=5, shuffle=True, random_seed=2)  # (0.5898, 0.5870)
    ours = tests.paired_t(np.array(folds))
    assert (ours.statistic, ours.p) == (pytest.approx(ref[0], rel=1e-9), pytest.approx(ref[1], rel=1e-9))


def test_5x2cv_hand_computed_and_no_spread():
    table = np.array([[0.02, 0.04], [0.01, 0.03], [0.05, 0.01], [0.00, 0.02], [0.03, 0.03]])
    # sum s_i^2 = 0.0014; Dietterich t = 0.02 / sqrt(0.00028); Alpaydin f = 0.0078 / 0.0028 = 39/14.
    assert tests.dietterich_5x2cv_t(table).statistic == pytest.approx(math.sqrt(10 / 7))
    assert tests.alpaydin_5x2cv_f(table).statistic == pytest.approx(39 / 14)
    agree = np.repeat([[0.01], [-0.01], [0.02], [0.01], [-0.02]], 2, axis=1)  # each repetition's folds agree
    for test in (tests.alpaydin_5x2cv_f(agree), tests.dietterich_5x2cv_t(agree)):
        assert math.isnan(test.statistic) and math.isnan(test.p) and test.note == tests.NO_SPREAD and not test.tested
    zero = tests.alpaydin_5x2cv_f(np.zeros((5, 2)))
    assert (zero.statistic, zero.p) == (0.0, 1.0)
    with pytest.raises(ValueError, match=r"table: expected the 5x2cv differences as an array of shape \(5, 2\). Received: shape \(10,\)"):
        tests.alpaydin_5x2cv_f(np.zeros(10))


def test_constant_differences():
    constant = tests.corrected_t(np.full(6, 0.0263), ratio=0.25)
    assert math.isnan(constant.statistic) and math.isnan(constant.p) and constant.note == "the differences have no spread"
    assert math.isnan(constant.low) and math.isnan(constant.high)
    zero = tests.paired_t(np.zeros(6))
    assert (zero.statistic, zero.p, zero.low, zero.high) == (0.0, 1.0, 0.0, 0.0)
    # Rounding noise is no spread: 0.9 - 0.8 != 0.8 - 0.7 in float64.
    assert tests.no_spread(np.array([0.9 - 0.8, 0.8 - 0.7, 0.7 - 0.6])) and not tests.no_spread(np.array([0.1, 0.1001]))


# --- Wilcoxon and Hodges-Lehmann -------------------------------------------------------------------------

# R's wilcox.test documentation, "Hollander & Wolfe (1973), 29f.": depression scores before (x) and after (y).
DEPRESSION_X = np.array([1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30])
DEPRESSION_Y = np.array([0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29])


def test_wilcoxon_matches_scipy_and_the_r_example():
    d = DEPRESSION_X - DEPRESSION_Y
    ours = tests.wilcoxon_signed_rank(d)
    reference = sps.wilcoxon(d)  # SciPy 1.17, exact for n = 9 without ties
    assert (ours.statistic, ours.p) == (pytest.approx(reference.statistic), pytest.approx(reference.pvalue, rel=1e-12))
    # R: wilcox.test(x, y, paired = TRUE, alternative = "greater") -> V = 40, p-value = 0.01953.
    assert tests.signed_rank_sums(d, split_zeros=False) == (40.0, 5.0)
    assert sps.wilcoxon(d, alternative="greater").pvalue == pytest.approx(0.01953, abs=1e-5)


def _accepted(d: np.ndarray, mu: float, alpha: float) -> bool:
    return sps.wilcoxon(d - mu, method="exact").pvalue >= alpha


@pytest.mark.parametrize("seed, n", [(0, 9), (1, 12), (2, 20)])
def test_hodges_lehmann_interval_inverts_the_exact_signed_rank_test(seed, n):
    # The interval is {mu: the exact signed-rank test of d - mu does not reject} (Hollander & Wolfe 1999, 3.2):
    # checked against SciPy's exact test at the midpoints between consecutive Walsh averages.
    d = DEPRESSION_X - DEPRESSION_Y if seed == 0 else np.random.default_rng(seed).normal(0.2, 1.0, n)
    estimate, low, high = tests.hodges_lehmann(d, confidence=0.95)
    i, j = np.triu_indices(d.size)
    walsh = np.unique((d[i] + d[j]) / 2)
    assert estimate == pytest.approx(np.median((d[i] + d[j]) / 2))
    mids = (walsh[1:] + walsh[:-1]) / 2
    inside = [m for m in mids if low < m < high]
    outside = [m for m in mids if m < low or m > high]
    assert inside and all(_accepted(d, m, 0.05) for m in inside)
    assert all(not _accepted(d, m, 0.05) for m in outside)
    # Duality at 0: the interval excludes 0 exactly when the exact test rejects.
    assert (low > 0 or high < 0) == (sps.wilcoxon(d, method="exact").pvalue < 0.05)


def test_wilcoxon_direction_and_zero_handling():
    d = np.array([-0.01] * 6 + [0.2, 0.3, 0.4, 0.5, 0.6])
    test = tests.wilcoxon_signed_rank(d)
    assert test.estimate > 0 > np.median(d)  # Hodges-Lehmann, not the median, carries the direction
    # zsplit (Demšar): zero differences share their ranks; d = [0, 1, -2]: |d| ranks 1, 2, 3 -> R+ = 2 + 0.5, R- = 3 + 0.5.
    assert tests.signed_rank_sums(np.array([0.0, 1.0, -2.0]), split_zeros=True) == (2.5, 3.5)
    assert tests.signed_rank_sums(np.array([0.0, 1.0, -2.0]), split_zeros=False) == (1.0, 2.0)
    assert tests.wilcoxon_signed_rank(np.zeros(5)).p == 1.0


# --- rank tests ---------------------------------------------------------------------------------------

# The example in scikit-posthocs' docstring of posthoc_nemenyi_friedman: 6 blocks x 3 groups.
NEMENYI_EXAMPLE = np.array([[31, 27, 24], [31, 28, 31], [45, 29, 46], [21, 18, 48], [42, 36, 46], [32, 17, 40]], dtype=float)


def test_rank_table_matches_scipy():
    ranks = tests.rank_table(NEMENYI_EXAMPLE, higher_is_better=True)
    np.testing.assert_array_equal(ranks, sps.rankdata(-NEMENYI_EXAMPLE, axis=1))
    np.testing.assert_array_equal(tests.rank_table(NEMENYI_EXAMPLE, higher_is_better=False), sps.rankdata(NEMENYI_EXAMPLE, axis=1))


def test_friedman_is_demsars_untied_form():
    # Without ties it equals SciPy's friedmanchisquare; with ties SciPy divides by c = 1 - sum(t^3 - t) / (N k (k^2 - 1)).
    rng = np.random.default_rng(5)
    values = rng.normal(size=(12, 5))
    chi2, iman = tests.friedman(tests.rank_table(values, higher_is_better=True).mean(axis=0), 12)
    reference = sps.friedmanchisquare(*values.T)
    assert (chi2.statistic, chi2.p) == (pytest.approx(reference.statistic, rel=1e-12), pytest.approx(reference.pvalue, rel=1e-9))
    # Iman & Davenport (1980): F_F = (N - 1) chi2 / (N (k - 1) - chi2), df (k - 1, (k - 1)(N - 1)).
    assert iman.statistic == pytest.approx(11 * chi2.statistic / (12 * 4 - chi2.statistic)) and iman.df == (4.0, 44.0)
    ranks = tests.rank_table(NEMENYI_EXAMPLE, higher_is_better=True)  # one tie of two in block 2
    tied, _ = tests.friedman(ranks.mean(axis=0), 6)
    assert sps.friedmanchisquare(*NEMENYI_EXAMPLE.T).statistic == pytest.approx(tied.statistic / (1 - 6 / (6 * 3 * 8)))


def test_nemenyi_matches_scikit_posthocs_and_demsar():
    ranks = tests.rank_table(NEMENYI_EXAMPLE, higher_is_better=True)
    p = tests.nemenyi_pvalues(ranks)
    np.testing.assert_allclose(p, scikit_posthocs.posthoc_nemenyi_friedman(NEMENYI_EXAMPLE).to_numpy(), rtol=1e-12)
    # Demšar (2006): q = |R_i - R_j| / sqrt(k(k+1)/(6N)); p from the studentized range at q sqrt(2), k groups, infinite df.
    avg = ranks.mean(axis=0)
    q = abs(avg[0] - avg[1]) / tests.rank_spread(3, 6)
    assert p[0, 1] == pytest.approx(sps.studentized_range.sf(q * math.sqrt(2), 3, np.inf), rel=1e-9)


# q_0.05 for k = 2..10, Demšar (2006) Table 5(a) (studentized range / sqrt(2), infinite df).
DEMSAR_Q05 = {2: 1.960, 3: 2.343, 4: 2.569, 5: 2.728, 6: 2.850, 7: 2.949, 8: 3.031, 9: 3.102, 10: 3.164}


@pytest.mark.parametrize("k, q", sorted(DEMSAR_Q05.items()))
def test_nemenyi_critical_difference_matches_demsar_table(k, q):
    n = 14
    cd = tests.nemenyi_critical_difference(k, n, 0.05)
    assert cd / math.sqrt(k * (k + 1) / (6 * n)) == pytest.approx(q, abs=1e-3)


# --- multiplicity and effect sizes -----------------------------------------------------------------------


def test_holm_matches_statsmodels_and_hand_arithmetic():
    # p = [0.01, 0.04, 0.03, 0.005], m = 4. Sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> max(0.06, 0.04) = 0.06.
    assert tests.holm(np.array([0.01, 0.04, 0.03, 0.005])) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert tests.holm(np.array([0.6, 0.5])) == pytest.approx([1.0, 1.0])
    rng = np.random.default_rng(1)
    for _ in range(20):
        p = rng.uniform(0, 0.2, rng.integers(1, 12))
        np.testing.assert_allclose(tests.holm(p), multipletests(p, method="holm")[1], rtol=1e-12)  # statsmodels 0.15
    # Untested pairs (NaN) stay NaN and are not counted among the hypotheses.
    mixed = tests.holm(np.array([0.01, np.nan, 0.04]))
    assert math.isnan(mixed[1]) and mixed[[0, 2]] == pytest.approx(multipletests([0.01, 0.04], method="holm")[1])


def test_cliffs_delta_and_cohens_dz_hand_computed():
    # Cliff's delta of a = [1, 2, 3] vs b = [2, 2, 4]: a=1: -,-,-; a=2: 0,0,-; a=3: +,+,- -> (2 - 6) / 9 = -1/3.
    assert tests.cliffs_delta(np.array([1.0, 2, 3]), np.array([2.0, 2, 4])) == pytest.approx(-1 / 3)
    # d = [1, 2, 3, 6]: mean 3, sd = sqrt(14/3) -> d_z = 1.3887.
    assert tests.cohens_dz(np.array([1.0, 2, 3, 6])) == pytest.approx(3 / math.sqrt(14 / 3))
    assert tests.cohens_dz(np.zeros(4)) == 0.0 and math.isnan(tests.cohens_dz(np.full(4, 0.1)))
