"""The numbers behind `compare_across`: the data-set table, Demšar's rank statistics and the
Bayesian signed-rank test, as plain functions on arrays, and the argument checks.

`across.py` decides which of these to run and reads them into an `AcrossComparison`.
Errors follow `_scores.py`: they name the argument, say what was expected and what came
("Expected ... Received: ..."), and how to fix it where that is not obvious.

References
----------
Demšar, J. (2006). Statistical comparisons of classifiers over multiple data sets.
    Journal of Machine Learning Research 7, 1-30.
Iman, R. L. and Davenport, J. M. (1980). Approximations of the critical region of the
    Friedman statistic. Communications in Statistics A 9(6), 571-595.
Benavoli, A., Corani, G., Mangili, F., Zaffalon, M. and Ruggeri, F. (2014). A Bayesian
    Wilcoxon signed-rank test based on the Dirichlet process. ICML 2014, PMLR 32, 1026-1034.
Benavoli, A., Corani, G., Demšar, J. and Zaffalon, M. (2017). Time for a change: a
    tutorial for comparing multiple classifiers through Bayesian analysis. Journal of
    Machine Learning Research 18(77), 1-36.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from .tests import FRIEDMAN, WILCOXON, HypothesisTest

IMAN_DAVENPORT = "Iman-Davenport F-test"
HOLM = "Holm test"  # Demšar's rank z against a control, Holm's step-down
BAYESIAN_SIGNED_RANK = "Bayesian signed-rank test"
METHODS = ("auto", "demsar", "bayesian")
COLUMNS = ("dataset", "loss", "value")
TRIAL_COLUMNS = ("seed", "fold")
_SHOWN = 3  # examples quoted in an error message
_CHUNK = 8192  # posterior samples per block: bounds the (samples x data sets) work arrays


def _quote(items: list[Any]) -> str:
    shown = ", ".join(map(str, items[:_SHOWN]))
    return shown + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def _plain(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x  # np.int64(3) -> 3, for readable messages


# --- arguments ----------------------------------------------------------------------------


def check_arguments(
    *, higher_is_better: Any, metric: Any, alpha: Any, method: Any, rope: Any, prior_strength: Any, n_samples: Any, rng: Any
) -> None:
    """Refuse arguments of `compare_across` (other than ``scores`` and ``control``) that cannot be right."""
    if not isinstance(higher_is_better, (bool, np.bool_)):
        raise TypeError(f"higher_is_better: expected True or False (is a larger {metric} better?). Received: higher_is_better={higher_is_better!r}.")
    if not isinstance(metric, str) or not metric.strip():
        raise ValueError(f"metric: expected the metric's name, a non-empty string such as 'accuracy'. Received: metric={metric!r}.")
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0 < alpha < 1:
        raise ValueError(f"alpha: expected a significance level strictly between 0 and 1, such as 0.05. Received: alpha={alpha!r}.")
    if method not in METHODS:
        raise ValueError(f"method: expected one of {', '.join(map(repr, METHODS))}. Received: method={method!r}.")
    if isinstance(rope, bool) or not isinstance(rope, Real) or not math.isfinite(rope) or rope < 0:
        raise ValueError(
            f"rope: expected the region of practical equivalence in {metric} units, a finite number >= 0 "
            f"(differences within +-rope count as no difference in practice). Received: rope={rope!r}."
        )
    if isinstance(prior_strength, bool) or not isinstance(prior_strength, Real) or not math.isfinite(prior_strength) or prior_strength <= 0:
        raise ValueError(f"prior_strength: expected a positive number (the weight of the prior's pseudo-observation at 0), such as 0.5. Received: prior_strength={prior_strength!r}.")
    if isinstance(n_samples, bool) or not isinstance(n_samples, Integral) or n_samples < 1000:
        raise ValueError(f"n_samples: expected an integer >= 1000 (posterior samples per pair). Received: n_samples={n_samples!r}.")
    if isinstance(rng, bool) or not isinstance(rng, (Integral, np.random.Generator)) or (isinstance(rng, Integral) and rng < 0):
        raise TypeError(f"rng: expected a non-negative integer seed or a numpy.random.Generator (results must be reproducible). Received: rng={rng!r}.")


def check_control(control: Any, losses: tuple[str, ...]) -> None:
    """Refuse a control that is not one of the losses."""
    if control is not None and (not isinstance(control, str) or control not in losses):
        raise ValueError(f"control: expected None or one of the losses {list(losses)}. Received: control={control!r}.")


# --- the table of data sets x losses ------------------------------------------------------


def dataset_table(scores: Any) -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray, tuple[str, ...]]:
    """Check the long-form scores; return (datasets, losses, values[dataset, loss], trial columns).

    With a ``seed`` and/or ``fold`` column the rows are trials, averaged per (dataset, loss)
    after checking that, within each data set, every loss has the same trials. Without them
    there must be exactly one row per (dataset, loss). Names are compared as strings, and data
    sets and losses are sorted by name.
    """
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(f"scores: expected a pandas DataFrame in long form with columns {list(COLUMNS)}. Received: scores of type {type(scores).__name__}.")
    missing = [c for c in COLUMNS if c not in scores.columns]
    if missing:
        hint = " For the trials of a single data set use compare_losses." if "dataset" in missing else ""
        raise ValueError(f"scores: expected columns {list(COLUMNS)}. Received: columns {list(map(str, scores.columns))}, missing {missing}.{hint}")
    trial_columns = tuple(c for c in TRIAL_COLUMNS if c in scores.columns)
    keys = ["dataset", "loss", *trial_columns]
    value = scores["value"]
    if not pd.api.types.is_numeric_dtype(value) or pd.api.types.is_bool_dtype(value):
        raise ValueError(f"scores: expected numbers in column 'value' (the held-out metric). Received: dtype {value.dtype}.")
    labels = scores[keys]
    unlabelled = labels.isna().any(axis=1).to_numpy()
    if unlabelled.any():
        raise ValueError(f"scores: expected {', '.join(keys)} on every row. Received: {int(unlabelled.sum())} row(s) with one missing, e.g. row {scores.index[unlabelled][0]!r}.")
    frame = labels.astype({"dataset": str, "loss": str}).assign(value=value.to_numpy(dtype=float))
    bad = ~np.isfinite(frame["value"].to_numpy())
    if bad.any():
        where = [_where(row, keys) for row in frame.loc[bad, keys].itertuples(index=False)]
        raise ValueError(
            f"scores: expected finite numbers in column 'value'. Received: {int(bad.sum())} NaN or infinite value(s), at {_quote(where)}. "
            "Re-run those trials, or leave that data set out for every loss."
        )
    duplicated = frame.duplicated(keys, keep="first").to_numpy()
    if duplicated.any():
        where = [_where(row, keys) for row in frame.loc[duplicated, keys].itertuples(index=False)]
        if trial_columns:
            expected = f"one row per ({', '.join(keys)})"
        else:
            expected = "one row per (dataset, loss), the mean of that loss on that data set; or pass the trials with their seed and fold columns and they are averaged"
        raise ValueError(f"scores: expected {expected}. Received: {int(duplicated.sum())} duplicated row(s), e.g. {_quote(where)}.")
    if trial_columns:
        _check_paired_trials(frame, trial_columns)
    table = frame.groupby(["dataset", "loss"], sort=True)["value"].mean().unstack("loss")
    datasets, losses = tuple(table.index), tuple(table.columns)
    if len(losses) < 2:
        raise ValueError(f"scores: expected at least 2 losses to compare. Received: {len(losses)} loss(es) {list(losses)}.")
    if len(datasets) < 2:
        raise ValueError(
            f"scores: expected at least 2 data sets (Demšar's procedure needs about 5 or more). Received: {len(datasets)} data set(s) {list(datasets)}. "
            "For the trials of a single data set use compare_losses."
        )
    holes = table.isna()
    if holes.to_numpy().any():
        lines = [f"loss {loss!r} lacks {int(holes[loss].sum())} data set(s): {_quote(list(map(repr, table.index[holes[loss]])))}" for loss in losses if holes[loss].any()]
        raise ValueError(
            f"scores: expected every loss on every data set (the comparison is paired by data set). Received: {'; '.join(lines)}. "
            "Run the missing losses, or leave those data sets out for every loss."
        )
    return datasets, losses, table.to_numpy(dtype=float), trial_columns


def _where(row: tuple, keys: list[str]) -> str:
    return "(" + ", ".join(f"{key}={_plain(v)!r}" for key, v in zip(keys, row)) + ")"


def _check_paired_trials(frame: pd.DataFrame, trial_columns: tuple[str, ...]) -> None:
    """Within each data set, every loss run on it must have the same trials: the means are then paired."""
    counts = pd.crosstab([frame["dataset"], *(frame[c] for c in trial_columns)], frame["loss"])
    ran = counts.groupby(level="dataset").transform("sum") > 0  # losses run on that data set at all
    lacking = (counts == 0) & ran
    if lacking.to_numpy().any():
        where = []
        for key, row in lacking.iterrows():
            for loss in row.index[row.to_numpy()]:
                where.append(f"loss {loss!r} on " + _where((key[0], *key[1:]), ["dataset", *trial_columns]))
        raise ValueError(
            "scores: expected every loss to have the same trials within a data set, so that their means are comparable. "
            f"Received: {len(where)} missing trial(s): {_quote(where)}. Run them, or drop those trials for every loss of that data set."
        )


# --- Demšar's rank statistics ----------------------------------------------------------------


def rank_table(values: np.ndarray, *, higher_is_better: bool) -> np.ndarray:
    """Rank of each loss (column) within each data set (row); 1 is the best, ties share average ranks."""
    return sps.rankdata(-values if higher_is_better else values, axis=1, method="average")


def rank_spread(k: int, n: int) -> float:
    """Standard error of a difference of two average ranks, ``sqrt(k (k + 1) / (6 N))`` (Demšar 2006, Section 3.2.2)."""
    return math.sqrt(k * (k + 1) / (6.0 * n))


def friedman_tests(avg_ranks: np.ndarray, n: int) -> tuple[HypothesisTest, HypothesisTest]:
    """Friedman's chi2_F and Iman and Davenport's F_F from the average ranks, as Demšar (2006) writes them.

    ``chi2_F = 12 N / (k (k + 1)) * (sum_j R_j^2 - k (k + 1)^2 / 4)`` with k - 1 degrees of
    freedom, and ``F_F = (N - 1) chi2_F / (N (k - 1) - chi2_F)`` with (k - 1, (k - 1)(N - 1)).
    No correction for ties: this is Demšar's formula and reproduces his worked example;
    with tied ranks it is a little conservative (SciPy's tie-corrected statistic is larger).
    When every data set ranks the losses the same way (no ties), chi2_F reaches its maximum
    N (k - 1) and F_F is infinite with p = 0.
    """
    k = avg_ranks.size
    spread = float(np.sum(avg_ranks**2) - k * (k + 1) ** 2 / 4.0)
    chi2 = max(0.0, 12.0 * n / (k * (k + 1)) * spread)  # max: rounding can leave -1e-15 when all ranks tie
    friedman = HypothesisTest(FRIEDMAN, chi2, float(sps.chi2.sf(chi2, k - 1)), (k - 1.0,))
    df = (k - 1.0, (k - 1.0) * (n - 1.0))
    room = n * (k - 1) - chi2
    if room <= 1e-12 * n * (k - 1):  # perfect agreement: F = x / 0
        return friedman, HypothesisTest(IMAN_DAVENPORT, math.inf, 0.0, df)
    f = (n - 1) * chi2 / room
    return friedman, HypothesisTest(IMAN_DAVENPORT, float(f), float(sps.f.sf(f, *df)), df)


def normal_p(z: np.ndarray) -> np.ndarray:
    """Two-sided p of Demšar's z statistic against the standard normal."""
    return 2.0 * sps.norm.sf(np.abs(z))


def nemenyi_p(z: np.ndarray, k: int) -> np.ndarray:
    """Nemenyi's family-wise p: the studentized range with k groups and infinite df at ``|z| sqrt(2)``.

    The same as `scikit_posthocs.posthoc_nemenyi_friedman`; p < alpha exactly when the two
    average ranks differ by more than the critical difference.
    """
    return np.clip(sps.studentized_range.sf(np.abs(z) * math.sqrt(2.0), k, np.inf), 0.0, 1.0)


# --- two losses: paired differences over data sets --------------------------------------------


def paired_differences(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a - b`` rounded to 12 significant digits of the scores' scale.

    Subtraction leaves float noise (0.768 - 0.763 != 0.936 - 0.931 in float64); rounding
    makes equal differences tie in the Wilcoxon ranks and differences of zero exactly zero.
    """
    scale = float(max(np.max(np.abs(a)), np.max(np.abs(b))))
    if scale == 0:
        return np.zeros_like(a)
    return np.round((a - b) / scale, 12) * scale


def wilcoxon_over_datasets(d: np.ndarray) -> tuple[HypothesisTest, float, float]:
    """Wilcoxon's signed-rank test on per-data-set differences, with zero differences split (Demšar 2006, Section 3.1.3).

    Returns the test (statistic ``T = min(R+, R-)``, `scipy.stats.wilcoxon` with
    ``zero_method="zsplit"``) and the rank sums R+ and R-; ranks of zero differences are
    shared evenly between the two sums, as Demšar recommends. All-zero differences give p = 1.
    """
    ranks = sps.rankdata(np.abs(d))
    zero = 0.5 * float(ranks[d == 0].sum())
    r_plus, r_minus = float(ranks[d > 0].sum()) + zero, float(ranks[d < 0].sum()) + zero
    if not np.any(d != 0):
        return HypothesisTest(WILCOXON, min(r_plus, r_minus), 1.0), r_plus, r_minus
    result = sps.wilcoxon(d, zero_method="zsplit")
    return HypothesisTest(WILCOXON, float(result.statistic), float(result.pvalue)), r_plus, r_minus


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
    * ``theta_rope = 1 - theta_a - theta_b``.

    Columns: theta_a, theta_rope, theta_b. With ``rope = 0`` a Walsh average of exactly 0
    counts half to each side, as in baycomp's ``SignedRankTest``.
    """
    z = np.concatenate(([0.0], d))
    sums = z[:, None] + z[None, :]
    if rope == 0:
        tie = 0.5 * (sums == 0)
        favours_a, favours_b = (sums > 0) + tie, (sums < 0) + tie
    else:
        favours_a, favours_b = (sums > 2 * rope).astype(float), (sums < -2 * rope).astype(float)
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
