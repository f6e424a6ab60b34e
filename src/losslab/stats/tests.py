"""Each hypothesis test and effect size of losslab's statistics, once, as plain functions on arrays.

`within` (one data set) and `across` (many data sets) decide which of these to run; the
functions here only compute. SciPy does the distribution work and scikit-posthocs the Nemenyi
test; what they lack (the corrected resampled t-test, the two 5x2cv tests, the Hodges-Lehmann
interval, Holm's step-down, Cohen's d_z, Cliff's delta, Demšar's Friedman and Iman-Davenport
statistics) is written here from the published formulas.

A paired test returns a `HypothesisTest` with its directional estimate (the mean difference
for t-tests, the Hodges-Lehmann median for Wilcoxon) and that estimate's interval from the
same test, so that what is printed beside a verdict is always the interval of the test that
decided. A statistic that is undefined is answered, not faked: differences with no spread
(a non-zero constant, or 5x2cv folds that agree within every repetition) give a test that
"cannot test" (statistic and p NaN, ``note`` says why), never t = inf and p = 0. All-zero
differences are no evidence of a difference: statistic 0, p = 1.

References
----------
Nadeau, C. and Bengio, Y. (2003). Inference for the generalization error. Machine Learning 52, 239-281.
Bouckaert, R. R. and Frank, E. (2004). Evaluating the replicability of significance tests for
    comparing learning algorithms. PAKDD 2004, LNCS 3056, 3-12.
Dietterich, T. G. (1998). Approximate statistical tests for comparing supervised classification
    learning algorithms. Neural Computation 10(7), 1895-1923.
Alpaydin, E. (1999). Combined 5x2 cv F test for comparing supervised classification learning
    algorithms. Neural Computation 11(8), 1885-1892.
Hollander, M. and Wolfe, D. A. (1999). Nonparametric Statistical Methods, 2nd ed., Section 3.2
    (the Hodges-Lehmann estimator and its signed-rank interval).
Demšar, J. (2006). Statistical comparisons of classifiers over multiple data sets. Journal of
    Machine Learning Research 7, 1-30.
Iman, R. L. and Davenport, J. M. (1980). Approximations of the critical region of the Friedman
    statistic. Communications in Statistics A 9(6), 571-595.
Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian Journal
    of Statistics 6(2), 65-70.
Cliff, N. (1993). Dominance statistics: ordinal analyses to answer ordinal questions.
    Psychological Bulletin 114(3), 494-509.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

PAIRED_T = "paired t-test"
WILCOXON = "Wilcoxon signed-rank test"
CORRECTED_RESAMPLED_T = "corrected resampled t-test"
CORRECTED_REPEATED_CV_T = "corrected repeated k-fold cv test"
DIETTERICH_5X2CV_T = "5x2cv paired t-test"
ALPAYDIN_5X2CV_F = "combined 5x2cv F-test"
FRIEDMAN = "Friedman test"
IMAN_DAVENPORT = "Iman-Davenport F-test"
NEMENYI = "Nemenyi test"
HOLM = "Holm test"  # Demšar's rank z against a control, Holm's step-down
NO_SPREAD = "the differences have no spread"
MIN_TRIALS = 5  # paired trials below which nothing is tested: 2-4 trials give almost no power and no check of the assumptions


@dataclass(frozen=True)
class HypothesisTest:
    """One hypothesis test that was run.

    Attributes
    ----------
    name : str
        The test, in words (``"corrected resampled t-test"``).
    statistic : float
        Its statistic (t, W, F or chi-square); NaN when it cannot be computed.
    p : float
        Its two-sided p-value (the F and chi-square tests are two-sided by construction);
        NaN when the test cannot test (see ``note``).
    df : tuple of float
        Degrees of freedom of the reference distribution; empty for rank tests.
    estimate : float
        The directional estimate of a - b the test looks at (mean difference for t-tests,
        Hodges-Lehmann median for Wilcoxon); NaN for tests without a direction (F, chi-square).
    low, high : float
        The test's own interval for ``estimate`` at the confidence asked for; NaN when it has none.
    note : str
        Why the test could not test (``"the differences have no spread"``), else ``""``.
    """

    name: str
    statistic: float
    p: float
    df: tuple[float, ...] = ()
    estimate: float = math.nan
    low: float = math.nan
    high: float = math.nan
    note: str = ""

    @property
    def tested(self) -> bool:
        """Whether the test produced a p-value."""
        return not math.isnan(self.p)


def no_spread(d: np.ndarray) -> bool:
    """Whether the differences are one constant, up to float rounding (12 significant digits).

    Subtracting scores leaves rounding noise (0.9 - 0.8 != 0.8 - 0.7 in float64); a spread
    that small is no evidence, and SciPy's moment code warns about it.
    """
    return bool(np.max(np.abs(d - d.mean())) <= 1e-12 * np.max(np.abs(d)))


def _undefined(name: str, d: np.ndarray, df: tuple[float, ...]) -> HypothesisTest | None:
    """The answer when the variance is 0: no evidence for all-zero differences, else "cannot test"."""
    if not no_spread(d):
        return None
    mean = float(d.mean())
    if mean == 0:
        return HypothesisTest(name, 0.0, 1.0, df, 0.0, 0.0, 0.0)
    return HypothesisTest(name, math.nan, math.nan, df, mean, note=NO_SPREAD)


def _t_interval(mean: float, se: float, df: float, confidence: float) -> tuple[float, float]:
    half = float(sps.t.ppf(0.5 + confidence / 2.0, df)) * se
    return mean - half, mean + half


def corrected_t(d: np.ndarray, *, ratio: float, confidence: float = 0.95, name: str = CORRECTED_RESAMPLED_T) -> HypothesisTest:
    """The t-test of mean(d) = 0 with the variance of the mean scaled by ``1/J + ratio``.

    ``ratio = 0`` is Student's paired t-test (``scipy.stats.ttest_rel``). ``ratio =
    n_test/n_train`` is Nadeau and Bengio's corrected resampled t-test: trials whose training
    sets overlap give positively correlated differences, and without the extra term the
    variance of their mean is understated. Over the ``J = k r`` folds of r repetitions of
    k-fold CV with ``ratio = 1/(k-1)`` it is Bouckaert and Frank's corrected repeated k-fold
    cv test. ``t = mean(d) / sqrt((1/J + ratio) var(d))`` (var with ddof=1), Student's t with
    J - 1 degrees of freedom; the interval is ``mean(d) +- t_{J-1} sqrt((1/J + ratio) var(d))``.
    """
    j = d.size
    df = (j - 1.0,)
    undefined = _undefined(name, d, df)
    if undefined is not None:
        return undefined
    mean = float(d.mean())
    se = math.sqrt((1.0 / j + ratio) * float(d.var(ddof=1)))
    t = mean / se
    low, high = _t_interval(mean, se, j - 1.0, confidence)
    return HypothesisTest(name, t, float(2.0 * sps.t.sf(abs(t), j - 1)), df, mean, low, high)


def paired_t(d: np.ndarray, *, confidence: float = 0.95) -> HypothesisTest:
    """Student's paired t-test of mean(d) = 0, with its t interval (`corrected_t` with ratio 0)."""
    return corrected_t(d, ratio=0.0, confidence=confidence, name=PAIRED_T)


def signed_rank_sums(d: np.ndarray, *, split_zeros: bool) -> tuple[float, float]:
    """R+ and R-, the rank sums of the positive and negative differences (ranks of |d|).

    ``split_zeros=True`` shares the ranks of zero differences evenly between the sums
    (Demšar 2006, Section 3.1.3); otherwise zeros are dropped before ranking (Wilcoxon's
    original treatment, SciPy's ``zero_method="wilcox"``).
    """
    if not split_zeros:
        d = d[d != 0]
    ranks = sps.rankdata(np.abs(d))
    zero = 0.5 * float(ranks[d == 0].sum())
    return float(ranks[d > 0].sum()) + zero, float(ranks[d < 0].sum()) + zero


@functools.lru_cache(maxsize=64)
def _signed_rank_quantile(n: int, alpha: float) -> int:
    """R's ``qsignrank(alpha / 2, n)``: the smallest c with P(T+ <= c) >= alpha/2 for n untied differences."""
    total = n * (n + 1) // 2
    probability = np.zeros(total + 1)
    probability[0] = 1.0
    for i in range(1, n + 1):  # T+ = sum of a random subset of the ranks 1..n, each in with probability 1/2
        probability[i:] = 0.5 * (probability[i:] + probability[:-i].copy())
        probability[:i] *= 0.5
    return int(np.searchsorted(np.cumsum(probability), alpha / 2.0 - 1e-12))


def hodges_lehmann(d: np.ndarray, *, confidence: float = 0.95) -> tuple[float, float, float]:
    """The Hodges-Lehmann estimate of the centre of d and its signed-rank interval.

    The estimate is the median of the Walsh averages ``(d_i + d_j) / 2, i <= j``; the interval
    runs from the c-th smallest to the c-th largest Walsh average, c from the exact null
    distribution of the signed-rank statistic (Hollander & Wolfe 1999, Section 3.2; R's
    ``wilcox.test(conf.int=TRUE)``, exact case). Zero differences are dropped first, as the
    test drops them. Exact for untied differences; with ties the same order statistics are used.
    The interval excludes 0 exactly when the exact signed-rank test rejects at 1 - confidence.
    """
    d = d[d != 0]
    if d.size == 0:
        return 0.0, 0.0, 0.0
    i, j = np.triu_indices(d.size)
    walsh = np.sort((d[i] + d[j]) / 2.0)
    c = max(1, _signed_rank_quantile(d.size, 1.0 - confidence))
    return float(np.median(walsh)), float(walsh[c - 1]), float(walsh[walsh.size - c])


def wilcoxon_signed_rank(d: np.ndarray, *, confidence: float = 0.95, split_zeros: bool = False) -> HypothesisTest:
    """Wilcoxon's signed-rank test of d symmetric about 0 (`scipy.stats.wilcoxon`).

    The statistic is min(R+, R-). Zero differences are dropped (``zero_method="wilcox"``), or
    with ``split_zeros`` their ranks are shared between R+ and R- (``"zsplit"``, as Demšar
    recommends over data sets). The estimate and interval are Hodges-Lehmann's
    (`hodges_lehmann`): the direction comes from the signed ranks, never from the median of d.
    All-zero differences give W = 0, p = 1.
    """
    r_plus, r_minus = signed_rank_sums(d, split_zeros=split_zeros)
    if not np.any(d != 0):
        return HypothesisTest(WILCOXON, min(r_plus, r_minus), 1.0, (), 0.0, 0.0, 0.0)
    result = sps.wilcoxon(d, zero_method="zsplit" if split_zeros else "wilcox")
    estimate, low, high = hodges_lehmann(d, confidence=confidence)
    return HypothesisTest(WILCOXON, float(result.statistic), float(result.pvalue), (), estimate, low, high)


def _fold_spread(table: np.ndarray) -> float:
    """``sum_i s_i^2`` with ``s_i^2 = sum_j (d[i, j] - mean_i)^2`` over a (5, 2) table."""
    if table.shape != (5, 2):
        raise ValueError(f"table: expected the 5x2cv differences as an array of shape (5, 2). Received: shape {table.shape}.")
    return float(((table - table.mean(axis=1, keepdims=True)) ** 2).sum())


def _no_fold_spread(name: str, table: np.ndarray, s2: float, df: tuple[float, ...]) -> HypothesisTest | None:
    """The answer when the two folds agree within every repetition (relative spread below 1e-10)."""
    if s2 > 1e-20 * float((table**2).sum()):
        return None
    if not np.any(table):
        return HypothesisTest(name, 0.0, 1.0, df)
    return HypothesisTest(name, math.nan, math.nan, df, note=NO_SPREAD)


def dietterich_5x2cv_t(table: np.ndarray) -> HypothesisTest:
    """Dietterich's 5x2cv paired t-test on ``table[i, j]``, the difference on fold j of repetition i.

    ``t = table[0, 0] / sqrt(sum_i s_i^2 / 5)``, Student's t with 5 degrees of freedom. Only
    the first difference enters the numerator, so the result depends on which trial is
    called first (here: the smallest seed, the smallest fold). With no spread within every
    repetition the statistic is undefined: it cannot test.
    """
    df = (5.0,)
    s2 = _fold_spread(table)
    undefined = _no_fold_spread(DIETTERICH_5X2CV_T, table, s2, df)
    if undefined is not None:
        return undefined
    t = float(table[0, 0] / math.sqrt(s2 / 5.0))
    return HypothesisTest(DIETTERICH_5X2CV_T, t, float(2.0 * sps.t.sf(abs(t), 5)), df)


def alpaydin_5x2cv_f(table: np.ndarray) -> HypothesisTest:
    """Alpaydin's combined 5x2cv F-test: ``f = sum table^2 / (2 sum_i s_i^2)``, F(10, 5), upper tail.

    It pools all ten differences, so it does not depend on the order of the trials, but it
    squares them: it has no direction, and a verdict cannot take a winner from it. With no
    spread within every repetition f is x / 0: it cannot test (never F = inf, p = 0).
    """
    df = (10.0, 5.0)
    s2 = _fold_spread(table)
    undefined = _no_fold_spread(ALPAYDIN_5X2CV_F, table, s2, df)
    if undefined is not None:
        return undefined
    f = float((table**2).sum() / (2.0 * s2))
    return HypothesisTest(ALPAYDIN_5X2CV_F, f, float(sps.f.sf(f, 10, 5)), df)


def rank_table(values: np.ndarray, *, higher_is_better: bool) -> np.ndarray:
    """Rank of each column within each row; 1 is the best score, ties share average ranks."""
    return sps.rankdata(-values if higher_is_better else values, axis=1, method="average")


def friedman(avg_ranks: np.ndarray, n: int) -> tuple[HypothesisTest, HypothesisTest]:
    """Friedman's chi2_F and Iman and Davenport's F_F from the average ranks of k groups over n blocks.

    ``chi2_F = 12 n / (k (k + 1)) * (sum_j R_j^2 - k (k + 1)^2 / 4)`` with k - 1 degrees of
    freedom, and ``F_F = (n - 1) chi2_F / (n (k - 1) - chi2_F)`` with (k - 1, (k - 1)(n - 1))
    (Demšar 2006, Section 3.2.2). Without tie correction: Demšar's formula, which reproduces his
    worked example; without ties it equals `scipy.stats.friedmanchisquare`, with tied ranks it
    is smaller than SciPy's by the factor ``1 - sum(t^3 - t) / (n k (k^2 - 1))`` (a little
    conservative). When every block ranks the groups the same way (no ties), chi2_F reaches
    its maximum n (k - 1) and F_F is x / 0: infinite, p = 0, which is the right limit here
    (perfect agreement is the strongest evidence), unlike a variance of 0.
    """
    k = avg_ranks.size
    spread = float(np.sum(avg_ranks**2) - k * (k + 1) ** 2 / 4.0)
    chi2 = max(0.0, 12.0 * n / (k * (k + 1)) * spread)  # max: rounding can leave -1e-15 when all ranks tie
    chi2_test = HypothesisTest(FRIEDMAN, chi2, float(sps.chi2.sf(chi2, k - 1)), (k - 1.0,))
    df = (k - 1.0, (k - 1.0) * (n - 1.0))
    room = n * (k - 1) - chi2
    if room <= 1e-12 * n * (k - 1):
        return chi2_test, HypothesisTest(IMAN_DAVENPORT, math.inf, 0.0, df)
    f = (n - 1) * chi2 / room
    return chi2_test, HypothesisTest(IMAN_DAVENPORT, float(f), float(sps.f.sf(f, *df)), df)


def nemenyi_pvalues(ranks: np.ndarray) -> np.ndarray:
    """The (k, k) matrix of Nemenyi post-hoc p-values for a (blocks, groups) table.

    `scikit_posthocs.posthoc_nemenyi_friedman`: ``q = |R_i - R_j| / sqrt(k (k + 1) / (6 N))``,
    p from the studentized range with k groups and infinite degrees of freedom at
    ``q * sqrt(2)``. The p-values hold the family-wise error rate; they need no adjustment,
    and p < alpha exactly when the average ranks differ by more than the critical difference.
    Valid for independent blocks (data sets), not for overlapping trials of one data set.
    """
    import scikit_posthocs  # its import pulls in plotting libraries (~0.7 s): only pay for it when used

    return scikit_posthocs.posthoc_nemenyi_friedman(ranks).to_numpy(dtype=float)


@functools.lru_cache(maxsize=256)
def _q_alpha(k: int, alpha: float) -> float:
    # The studentized range quantile costs milliseconds (numerical integration); studies reuse few (k, alpha).
    return float(sps.studentized_range.ppf(1.0 - alpha, k, np.inf) / math.sqrt(2.0))


def nemenyi_critical_difference(k: int, n_blocks: int, alpha: float) -> float:
    """Demšar's critical difference ``q_alpha * sqrt(k (k + 1) / (6 N))`` (Table 5: q = 2.569 for k = 4 at 0.05)."""
    return float(_q_alpha(k, alpha) * rank_spread(k, n_blocks))


def rank_spread(k: int, n: int) -> float:
    """Standard error of a difference of two average ranks, ``sqrt(k (k + 1) / (6 N))`` (Demšar 2006, Section 3.2.2)."""
    return math.sqrt(k * (k + 1) / (6.0 * n))


def normal_p(z: np.ndarray) -> np.ndarray:
    """Two-sided p of a z statistic against the standard normal."""
    return 2.0 * sps.norm.sf(np.abs(z))


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values, in the input's order.

    Sorted ascending, the i-th smallest of m p-values (i from 1) becomes
    ``max_{j <= i} min(1, (m - j + 1) p_(j))``; rejecting where the adjusted p < alpha holds
    the family-wise error rate at alpha. NaN p-values (tests that could not test) stay NaN
    and do not count among the m hypotheses.
    """
    p = np.asarray(pvalues, dtype=float)
    adjusted = np.full_like(p, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    m = order.size
    adjusted[order] = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * p[order]))
    return adjusted


def cohens_dz(d: np.ndarray) -> float:
    """Cohen's d for paired data, ``d_z = mean(d) / sd(d)`` (sd with ddof=1).

    0 when every difference is 0; NaN when the differences are a non-zero constant (see
    `no_spread`): an effect size over no spread is undefined, not infinite.
    """
    mean = float(d.mean())
    if no_spread(d):
        return 0.0 if mean == 0 else math.nan
    return mean / float(d.std(ddof=1))


def cliffs_delta(a: np.ndarray, b: np.ndarray) -> float:
    """Cliff's delta, ``P(a > b) - P(a < b)`` over all len(a) * len(b) pairs, in [-1, 1].

    The two samples are treated as groups (the pairing is not used): it says how often a
    trial of one loss beats a trial of the other, whatever the scale of the metric.
    """
    return float(np.sign(a[:, None] - b[None, :]).mean())
