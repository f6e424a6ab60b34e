"""The small null simulation: the deciding procedure holds its level on correlated trials, the plain t does not.

A cheap version of benchmarks/null_simulation.py (which trains real models; its table is in
docs/statistics.md). Here the scores are synthetic but correlated as resampled trials are, in
Nadeau and Bengio's model: every loss gets a study-wide component of variance rho = n_test / n
(what the shared rows make common to all trials of a study) plus trial noise, so the paired
differences of one study have correlation rho. Every study goes through `compare_losses`, the
real decision path. 200 studies per design with fixed seeds: the Monte Carlo standard error of a
rate near 0.05 is 0.0154, and the bounds are 3 of them either side of alpha.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from losslab.stats.tests import holm, paired_t
from losslab.stats.within import Design, compare_losses

STUDIES = 200
ALPHA = 0.05
MC = 3 * math.sqrt(ALPHA * (1 - ALPHA) / STUDIES)  # 0.046


def null_studies(n_losses: int, n_trials: int, folds: int, rho: float, seed: int) -> list[pd.DataFrame]:
    rng = np.random.default_rng(seed)
    trial = rng.normal(0, 1, (STUDIES, n_trials, 1))  # shared by every loss of a trial: the pairing
    shared = rng.normal(0, 1, (STUDIES, 1, n_losses)) * math.sqrt(rho)  # the study's data set, shared by its trials
    noise = rng.normal(0, 1, (STUDIES, n_trials, n_losses)) * math.sqrt(1 - rho)
    values = 0.8 + 0.02 * (trial + shared + noise)
    seeds, fold = np.divmod(np.arange(n_trials), folds)
    return [
        pd.DataFrame({"loss": np.repeat([f"l{i}" for i in range(n_losses)], n_trials), "seed": np.tile(seeds, n_losses),
                      "fold": np.tile(fold, n_losses), "value": study.T.ravel()})
        for study in values
    ]  # fmt: skip


@pytest.mark.parametrize(
    "design, n_losses, n_trials, folds, rho",
    [
        (Design("holdout", test_fraction=0.25), 2, 30, 1, 0.25),  # rho = n_test / n = 0.25
        (Design("repeated_kfold", k=10, repeats=10), 2, 100, 10, 0.1),  # 1/k
        (Design("5x2cv"), 2, 10, 2, 0.5),
        (Design("holdout", test_fraction=0.25), 4, 30, 1, 0.25),  # family-wise over the 6 pairs
    ],
    ids=["holdout-30x25%", "10x10-fold", "5x2cv", "4-losses-holdout"],
)
def test_deciding_procedure_holds_alpha_and_the_plain_t_does_not(design, n_losses, n_trials, folds, rho):
    studies = null_studies(n_losses, n_trials, folds, rho, seed=n_trials + n_losses)
    decided, plain = [], []
    for scores in studies:
        result = compare_losses(scores, higher_is_better=True, design=design)
        decided.append(bool(result.pairwise["significant"].any()))
        values = scores.pivot_table(index=["seed", "fold"], columns="loss", values="value").to_numpy()
        p = [paired_t(values[:, a] - values[:, b]).p for a in range(n_losses) for b in range(a + 1, n_losses)]
        plain.append(bool(np.min(holm(np.array(p))) < ALPHA))
    assert abs(np.mean(decided) - ALPHA) <= MC, np.mean(decided)
    assert np.mean(plain) > 0.3, np.mean(plain)  # the plain paired t ignores the overlap
