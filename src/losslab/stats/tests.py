"""The hypothesis tests and effect sizes behind `compare_losses`, as plain functions on arrays.

Each function takes per-trial scores (or their paired differences) as NumPy float arrays
and returns a `HypothesisTest` or a number; `stats.py` decides which of them to run, in
which order, and reads them into a `Comparison`. SciPy does the distribution work; what
SciPy lacks (the corrected resampled t-test, the two 5x2cv tests, Holm's step-down,
Cohen's d_z, Cliff's delta) is written here from the published formulas.

Degenerate inputs are answered, not raised: when every paired difference is zero a test
returns statistic 0 and p = 1 (SciPy would give NaN, or raise for Wilcoxon in some
versions); when the differences are a non-zero constant a t-type test returns an
infinite statistic and p = 0.

References
----------
Nadeau, C. and Bengio, Y. (2003). Inference for the generalization error. Machine
    Learning 52, 239-281.
Bouckaert, R. R. and Frank, E. (2004). Evaluating the replicability of significance
    tests for comparing learning algorithms. PAKDD 2004, LNCS 3056, 3-12.
Dietterich, T. G. (1998). Approximate statistical tests for comparing supervised
    classification learning algorithms. Neural Computation 10(7), 1895-1923.
Alpaydin, E. (1999). Combined 5x2 cv F test for comparing supervised classification
    learning algorithms. Neural Computation 11(8), 1885-1892.
Demšar, J. (2006). Statistical comparisons of classifiers over multiple data sets.
    Journal of Machine Learning Research 7, 1-30.
Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
    Journal of Statistics 6(2), 65-70.
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
NEMENYI = "Nemenyi test"


@dataclass(frozen=True)
class HypothesisTest:
    """One hypothesis test that was run.

    Attributes
    ----------
    name : str
        The test, in words (``"corrected resampled t-test"``).
    statistic : float
        Its statistic (t, W, F or chi-square).
    p : float
        Its two-sided p-value (the F and chi-square tests are two-sided by construction).
    df : tuple of float
        Degrees of freedom of the reference distribution; empty for rank tests that
        have none (Wilcoxon, Nemenyi).
    """

    name: str
    statistic: float
    p: float
    df: tuple[float, ...] = ()


def _infinite_or_null(name: str, numerator: float, df: tuple[float, ...]) -> HypothesisTest:
    """A statistic ``numerator / 0``: infinite with p = 0, or (0/0) no evidence at all."""
    if numerator == 0:
        return HypothesisTest(name, 0.0, 1.0, df)
    return HypothesisTest(name, math.copysign(math.inf, numerator), 0.0, df)


def no_spread(d: np.ndarray) -> bool:
    """Whether the differences are one constant, up to float rounding (12 significant digits).

    Subtracting scores leaves rounding noise (0.9 - 0.8 != 0.8 - 0.7 in float64); a spread
    that small is no evidence, and SciPy's moment code warns about it.
    """
    return bool(np.max(np.abs(d - d.mean())) <= 1e-12 * np.max(np.abs(d)))


def _constant(name: str, d: np.ndarray, df: tuple[float, ...]) -> HypothesisTest | None:
    """The answer for differences with no spread, where a t statistic would be 0/0 or x/0."""
    if not no_spread(d):
        return None
    return _infinite_or_null(name, float(d[0]), df)


def paired_t(a: np.ndarray, b: np.ndarray) -> HypothesisTest:
    """Student's paired t-test of mean(a - b) = 0 (`scipy.stats.ttest_rel`)."""
    df = (a.size - 1.0,)
    degenerate = _constant(PAIRED_T, a - b, df)
    if degenerate is not None:
        return degenerate
    result = sps.ttest_rel(a, b)
    return HypothesisTest(PAIRED_T, float(result.statistic), float(result.pvalue), df)


def wilcoxon_signed_rank(a: np.ndarray, b: np.ndarray) -> HypothesisTest:
    """Wilcoxon's signed-rank test of a - b symmetric about 0 (`scipy.stats.wilcoxon`).

    Zero differences are dropped (``zero_method="wilcox"``); the statistic is the smaller
    of the positive and negative rank sums. All-zero differences give W = 0, p = 1.
    """
    if not np.any(a != b):
        return HypothesisTest(WILCOXON, 0.0, 1.0)
    result = sps.wilcoxon(a, b, zero_method="wilcox")
    return HypothesisTest(WILCOXON, float(result.statistic), float(result.pvalue))


def corrected_resampled_t(d: np.ndarray, *, test_train_ratio: float, name: str = CORRECTED_RESAMPLED_T) -> HypothesisTest:
    """Nadeau and Bengio's corrected resampled t-test on J paired differences.

    ``t = mean(d) / sqrt((1/J + n_test/n_train) * var(d))`` with ``var`` the sample
    variance (ddof=1), referred to Student's t with J - 1 degrees of freedom. The extra
    term ``n_test/n_train`` accounts for the correlation between trials whose training
    sets overlap; without it (the plain paired t-test) the variance of the mean is
    understated and the type I error runs far above alpha.

    Bouckaert and Frank's corrected repeated k-fold cv test is the same statistic over
    all ``J = k * r`` folds of r repetitions of k-fold CV, with ``n_test/n_train = 1/(k-1)``;
    pass ``name=CORRECTED_REPEATED_CV_T`` for it.
    """
    j = d.size
    df = (j - 1.0,)
    degenerate = _constant(name, d, df)
    if degenerate is not None:
        return degenerate
    t = float(d.mean() / math.sqrt((1.0 / j + test_train_ratio) * d.var(ddof=1)))
    return HypothesisTest(name, t, float(2.0 * sps.t.sf(abs(t), j - 1)), df)


def _sum_of_fold_variances(d: np.ndarray) -> float:
    """``sum_i s_i^2`` with ``s_i^2 = sum_j (d[i, j] - mean_i)^2`` over a (5, 2) table."""
    if d.shape != (5, 2):
        raise ValueError(f"expected the 5x2cv differences as an array of shape (5, 2). Received: shape {d.shape}.")
    return float(((d - d.mean(axis=1, keepdims=True)) ** 2).sum())


def dietterich_5x2cv_t(d: np.ndarray) -> HypothesisTest:
    """Dietterich's 5x2cv paired t-test.

    ``d[i, j]`` is the difference on fold j of replication i. With
    ``s_i^2 = (d[i,0] - mean_i)^2 + (d[i,1] - mean_i)^2``:
    ``t = d[0, 0] / sqrt(sum_i s_i^2 / 5)``, Student's t with 5 degrees of freedom. Only
    the first difference enters the numerator, so the result depends on which trial is
    called first (here: the smallest seed, the smallest fold).
    """
    s2 = _sum_of_fold_variances(d)
    df = (5.0,)
    if s2 == 0:  # each replication's two folds agree: t = d[0, 0] / 0
        return _infinite_or_null(DIETTERICH_5X2CV_T, float(d[0, 0]), df)
    t = float(d[0, 0] / math.sqrt(s2 / 5.0))
    return HypothesisTest(DIETTERICH_5X2CV_T, t, float(2.0 * sps.t.sf(abs(t), 5)), df)


def alpaydin_5x2cv_f(d: np.ndarray) -> HypothesisTest:
    """Alpaydin's combined 5x2cv F-test.

    ``f = sum_ij d[i, j]^2 / (2 * sum_i s_i^2)``, F-distributed with (10, 5) degrees of
    freedom; p is its upper tail. It uses all ten differences, so unlike the 5x2cv t-test
    it does not depend on the order of the trials.
    """
    s2 = _sum_of_fold_variances(d)
    df = (10.0, 5.0)
    if s2 == 0:  # f = sum of squares / 0
        return _infinite_or_null(ALPAYDIN_5X2CV_F, float(np.abs(d).sum()), df)
    f = float((d**2).sum() / (2.0 * s2))
    return HypothesisTest(ALPAYDIN_5X2CV_F, f, float(sps.f.sf(f, 10, 5)), df)


def friedman(values: np.ndarray) -> HypothesisTest:
    """Friedman's test over blocks (rows: trials) and groups (columns: losses).

    `scipy.stats.friedmanchisquare` (chi-square with k - 1 degrees of freedom, corrected
    for ties). When every block is a complete tie the statistic is 0 and p = 1.
    """
    df = (values.shape[1] - 1.0,)
    if not np.any(np.ptp(values, axis=1) > 0):
        return HypothesisTest(FRIEDMAN, 0.0, 1.0, df)
    result = sps.friedmanchisquare(*values.T)
    return HypothesisTest(FRIEDMAN, float(result.statistic), float(result.pvalue), df)


def nemenyi_pvalues(values: np.ndarray) -> np.ndarray:
    """The (k, k) matrix of Nemenyi post-hoc p-values after a Friedman test.

    `scikit_posthocs.posthoc_nemenyi_friedman` on the block matrix (rows: trials):
    ``q = |R_i - R_j| / sqrt(k (k + 1) / (6 N))``, p from the studentized range with k
    groups and infinite degrees of freedom at ``q * sqrt(2)``. The p-values already hold
    the family-wise error rate; they need no further adjustment.
    """
    import scikit_posthocs  # its import pulls in plotting libraries (~0.7 s): only pay for it when used

    return scikit_posthocs.posthoc_nemenyi_friedman(values).to_numpy(dtype=float)


def average_ranks(values: np.ndarray, *, higher_is_better: bool) -> np.ndarray:
    """Mean rank of each column over the rows; rank 1 is the best score, ties share ranks."""
    ranked = sps.rankdata(-values if higher_is_better else values, axis=1, method="average")
    return ranked.mean(axis=0)


@functools.lru_cache(maxsize=256)
def _q_alpha(k: int, alpha: float) -> float:
    # The studentized range quantile costs milliseconds (numerical integration); studies reuse few (k, alpha).
    return float(sps.studentized_range.ppf(1.0 - alpha, k, np.inf) / math.sqrt(2.0))


def nemenyi_critical_difference(k: int, n_blocks: int, alpha: float) -> float:
    """Demšar's critical difference ``q_alpha * sqrt(k (k + 1) / (6 N))``.

    ``q_alpha`` is the studentized range quantile for k groups and infinite degrees of
    freedom divided by sqrt(2) (Demšar 2006, Table 5: 2.569 for k = 4 at alpha = 0.05).
    """
    return float(_q_alpha(k, alpha) * math.sqrt(k * (k + 1) / (6.0 * n_blocks)))


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values, in the input's order.

    Sorted ascending, the i-th smallest of m p-values (i from 1) becomes
    ``max_{j <= i} min(1, (m - j + 1) p_(j))``; rejecting where the adjusted p < alpha
    holds the family-wise error rate at alpha.
    """
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p, kind="stable")
    m = p.size
    stepped = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted = np.empty_like(p)
    adjusted[order] = np.maximum.accumulate(stepped)
    return adjusted


def cohens_dz(d: np.ndarray) -> float:
    """Cohen's d for paired data, ``d_z = mean(d) / sd(d)`` (sd with ddof=1).

    0 when every difference is 0; +-inf when the differences are a non-zero constant
    (see `no_spread`).
    """
    mean = float(d.mean())
    if no_spread(d):
        return 0.0 if mean == 0 else math.copysign(math.inf, mean)
    return mean / float(d.std(ddof=1))


def cliffs_delta(a: np.ndarray, b: np.ndarray) -> float:
    """Cliff's delta, ``P(a > b) - P(a < b)`` over all len(a) * len(b) pairs, in [-1, 1].

    The two samples are treated as groups (the pairing is not used): it says how often a
    trial of one loss beats a trial of the other, whatever the scale of the metric.
    """
    return float(np.sign(a[:, None] - b[None, :]).mean())


def mean_difference_ci(
    d: np.ndarray, *, confidence: float, n_resamples: int, rng: np.random.Generator, widen: float = 1.0
) -> tuple[float, float]:
    """Percentile bootstrap interval for mean(d), resampling trials (`scipy.stats.bootstrap`).

    Resampling the paired differences keeps the pairing. ``widen`` stretches the interval
    about the observed mean: resampling trials as if they were independent understates
    the variance when training sets overlap, exactly as the plain t-test does, so the
    caller passes the Nadeau-Bengio factor ``sqrt(1 + J n_test / n_train)`` there.
    """
    mean = float(d.mean())
    if no_spread(d):
        return mean, mean
    result = sps.bootstrap(
        (d,), np.mean, n_resamples=n_resamples, confidence_level=confidence, method="percentile", rng=rng, vectorized=True
    )
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    return mean - widen * (mean - low), mean + widen * (high - mean)
