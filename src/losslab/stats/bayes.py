"""The two Bayesian tests: the correlated t-test for one data set, the signed-rank test across data sets.

Both answer the question a user choosing a loss asks — how probable is it that one loss is
better by more than a difference that matters (the region of practical equivalence, rope),
that the two are equivalent within it, or that the other is better — and both put the
rope's edges inside: a difference of exactly +-rope counts as equivalent, with a tolerance
for float rounding (0.93 - 0.92 = 0.010000000000000009).

References
----------
Corani, G. and Benavoli, A. (2015). A Bayesian approach for comparing cross-validated algorithms
    on multiple data sets. Machine Learning 100(2), 285-304 (the correlated t-test, Section 3).
Benavoli, A., Corani, G., Mangili, F., Zaffalon, M. and Ruggeri, F. (2014). A Bayesian Wilcoxon
    signed-rank test based on the Dirichlet process. ICML 2014, PMLR 32, 1026-1034.
Benavoli, A., Corani, G., Demšar, J. and Zaffalon, M. (2017). Time for a change: a tutorial for
    comparing multiple classifiers through Bayesian analysis. JMLR 18(77), 1-36.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps

from .tests import no_spread

CORRELATED_BAYES = "Bayesian correlated t-test"
SIGNED_RANK_BAYES = "Bayesian signed-rank test"
_CHUNK = 8192  # posterior samples per block: bounds the (samples x data sets) work arrays


def rope_edge(rope: float) -> float:
    """The rope's edge with room for rounding: differences up to it are equivalent.

    A relative 1e-9 (and 1e-12 absolute) is far above float64 rounding of a subtraction
    (~1e-16 relative to the scores) and far below any difference a study can resolve.
    """
    return rope * (1.0 + 1e-9) + 1e-12


def correlated_t(d: np.ndarray, *, ratio: float, rope: float) -> tuple[float, float, float]:
    """Corani and Benavoli's Bayesian correlated t-test on J paired differences d = a - b.

    The posterior of the mean difference is Student's t with J - 1 degrees of freedom,
    location mean(d) and scale ``sqrt((1/J + ratio) var(d))``: the corrected resampled
    t-test's variance (``ratio = n_test/n_train``, Nadeau-Bengio), read as a posterior.
    Returns (P(mu > rope), P(-rope <= mu <= rope), P(mu < -rope)), computed from the t
    distribution, as baycomp's ``CorrelatedTTest.probs`` does (baycomp writes ``diff = y - x``
    and ``ratio = 1/(n_folds - 1)``; its ``p_left`` is our first value). ``rope = 0`` splits
    the mass at 0, all-zero differences give P(rope) = 1 (1/2 and 1/2 without a rope), and
    differences with no spread but a non-zero mean cannot be tested: NaN.
    """
    mean = float(d.mean())
    if no_spread(d):
        if mean != 0:
            return math.nan, math.nan, math.nan
        return (0.0, 1.0, 0.0) if rope > 0 else (0.5, 0.0, 0.5)
    j = d.size
    posterior = sps.t(j - 1, loc=mean, scale=math.sqrt((1.0 / j + ratio) * float(d.var(ddof=1))))
    if rope == 0:
        above = float(posterior.sf(0.0))
        return above, 0.0, 1.0 - above
    edge = rope_edge(rope)
    above, below = float(posterior.sf(edge)), float(posterior.cdf(-edge))
    return above, 1.0 - above - below, below


def signed_rank_posterior(d: np.ndarray, *, rope: float, prior_strength: float, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Samples of the Bayesian signed-rank test's posterior, shape (n_samples, 3).

    Benavoli et al. (2014, 2017): the distribution of a difference ``z`` (positive: the first
    loss is better) over data sets gets a Dirichlet-process prior with strength s whose base
    measure is a point mass at 0, the prior's pseudo-observation ``z_0 = 0``. Given the
    observed differences the posterior is a Dirichlet process too; its sampled distributions
    put weights ``w ~ Dirichlet(s, 1, ..., 1)`` on ``(z_0, z_1, ..., z_N)``. For each sample,

    * ``theta_a = sum_ij w_i w_j [z_i + z_j > 2 rope]``: the chance that the average of two
      differences (a Walsh average, as in Wilcoxon's statistic) favours a by more than the rope,
    * ``theta_b = sum_ij w_i w_j [z_i + z_j < -2 rope]``,
    * ``theta_rope = 1 - theta_a - theta_b`` (Walsh averages of exactly +-rope are inside).

    Columns: theta_a, theta_rope, theta_b. With ``rope = 0`` a Walsh average of exactly 0
    counts half to each side, as in baycomp's ``SignedRankTest``.
    """
    z = np.concatenate(([0.0], d))
    sums = z[:, None] + z[None, :]
    if rope == 0:
        tie = 0.5 * (sums == 0)
        favours_a, favours_b = (sums > 0) + tie, (sums < 0) + tie
    else:
        edge = 2.0 * rope_edge(rope)
        favours_a, favours_b = (sums > edge).astype(float), (sums < -edge).astype(float)
    concentration = np.concatenate(([prior_strength], np.ones(d.size)))
    out = np.empty((n_samples, 3))
    for start in range(0, n_samples, _CHUNK):
        w = rng.dirichlet(concentration, size=min(_CHUNK, n_samples - start))
        # sum_ij w_i w_j M_ij for every sampled w at once: rowwise (w @ M) . w
        theta_a = np.einsum("si,si->s", w @ favours_a, w)
        theta_b = np.einsum("si,si->s", w @ favours_b, w)
        out[start : start + w.shape[0]] = np.column_stack((theta_a, 1.0 - theta_a - theta_b, theta_b))
    return out


def winning_shares(samples: np.ndarray) -> tuple[float, float, float]:
    """P(a better), P(rope), P(b better): how often each column is the largest of its sample.

    Ties (within 1e-12, e.g. theta_a = theta_b = 1/2 for identical losses without a rope)
    are shared evenly between the tied columns.
    """
    top = samples >= samples.max(axis=1, keepdims=True) - 1e-12
    shares = (top / top.sum(axis=1, keepdims=True)).mean(axis=0)
    return float(shares[0]), float(shares[1]), float(shares[2])
