"""Tests for losslab.stats.bayes: the correlated t-test against baycomp, the rope's edges, the signed-rank sampler.

baycomp 1.0.3's ``CorrelatedTTest.probs(x, y, rope, runs)`` is the reference (Corani & Benavoli 2015):
it takes ``diff = y - x``, corrects the variance by ``1/n + 1/(n_folds - 1)`` with n_folds = n / runs,
and returns (p_left, p_rope, p_right) = (P(diff < -rope), P(|diff| <= rope), P(diff > rope)). Our
``correlated_t(d, ratio, rope)`` takes d = a - b and returns (P(mu > rope), P(rope), P(mu < -rope)):
with a = y and b = x that is baycomp's (p_right, p_rope, p_left).
"""

from __future__ import annotations

import math

import baycomp  # a test dependency: installed by `make test`
import numpy as np
import pandas as pd
import pytest

from losslab.stats import bayes
from losslab.stats.across import compare_across
from losslab.stats.within import Design, compare_losses

RNG = np.random.default_rng(7)
X = RNG.normal(0.80, 0.02, 30)
Y = X + RNG.normal(0.005, 0.01, 30)


@pytest.mark.parametrize("rope", [0.0, 0.001, 0.01, 0.05])
@pytest.mark.parametrize("runs", [1, 3, 10])
def test_correlated_t_matches_baycomp(rope, runs):
    n_folds = 30 / runs
    ours = bayes.correlated_t(Y - X, ratio=1 / (n_folds - 1), rope=rope)
    reference = baycomp.CorrelatedTTest.probs(X, Y, rope=rope, runs=runs)
    if rope == 0:  # baycomp returns (p_left, p_right) without a rope
        assert (ours[0], ours[2]) == (pytest.approx(reference[1], rel=1e-9), pytest.approx(reference[0], rel=1e-9)) and ours[1] == 0
    else:
        # abs 1e-8: our rope edge is widened by 1e-9 relative (`rope_edge`), which moves a probability by pdf * 1e-11.
        assert ours == (pytest.approx(reference[2], abs=1e-8), pytest.approx(reference[1], abs=1e-8), pytest.approx(reference[0], abs=1e-8))


def test_correlated_t_through_compare_losses_matches_baycomp():
    # 10 folds of one 10-fold CV: n_test/n_train = 1/9, as baycomp's runs=1, n_folds = 10.
    a, b = Y[:10], X[:10]
    rows = [("a", 0, f, v) for f, v in enumerate(a)] + [("b", 0, f, v) for f, v in enumerate(b)]
    result = compare_losses(pd.DataFrame(rows, columns=["loss", "seed", "fold", "value"]), higher_is_better=True, design=Design("kfold", k=10), rope=0.005)
    left, inside, right = baycomp.CorrelatedTTest.probs(b, a, rope=0.005, runs=1)
    row = result.bayes.set_index(["loss_a", "loss_b"]).loc[(result.pairwise["loss_a"].iloc[0], result.pairwise["loss_b"].iloc[0])]
    p_a = row["p_left"] if result.pairwise["loss_a"].iloc[0] == "a" else row["p_right"]
    assert (p_a, row["p_rope"]) == (pytest.approx(right, abs=1e-8), pytest.approx(inside, abs=1e-8))


def test_correlated_t_degenerate_differences():
    assert bayes.correlated_t(np.zeros(6), ratio=0.2, rope=0.01) == (0.0, 1.0, 0.0)
    assert bayes.correlated_t(np.zeros(6), ratio=0.2, rope=0.0) == (0.5, 0.0, 0.5)  # baycomp's split of an exact tie
    assert all(math.isnan(p) for p in bayes.correlated_t(np.full(6, 0.03), ratio=0.2, rope=0.01))  # no spread: cannot test


def test_rope_edges_are_included_despite_rounding():
    # Regression (issue 13): differences of exactly +-rope landed inside only about half of the time, because
    # subtraction rounds 0.93 - 0.92 to 0.010000000000000009 and 0.51 - 0.50 to 0.010000000000000009 or 0.00999...
    d = np.array([0.93 - 0.92, 0.51 - 0.50, 0.77 - 0.76, 0.35 - 0.34, 0.62 - 0.61, 0.88 - 0.87, 0.44 - 0.43, 0.19 - 0.18])
    assert (d > 0.01).any() and (d < 0.01).any()  # the rounding the test is about
    for signed in (d, -d):
        samples = bayes.signed_rank_posterior(signed, rope=0.01, prior_strength=0.5, n_samples=2000, rng=np.random.default_rng(0))
        assert np.all(samples[:, 1] == pytest.approx(1.0))  # every Walsh average is within the rope
    scores = pd.DataFrame([(f"d{i}", loss, v) for i in range(8) for loss, v in (("x", [0.93, 0.51, 0.77, 0.35, 0.62, 0.88, 0.44, 0.19][i]),
                           ("y", [0.92, 0.50, 0.76, 0.34, 0.61, 0.87, 0.43, 0.18][i]))], columns=["dataset", "loss", "value"])  # fmt: skip
    result = compare_across(scores, higher_is_better=True, method="bayesian", rope=0.01, n_samples=2000)
    assert result.pairwise["p_rope"].iloc[0] == 1.0 and bool(result.pairwise["equivalent"].iloc[0])
    assert bayes.rope_edge(0.01) - 0.01 > 1e-13 and bayes.rope_edge(0.01) - 0.01 < 1e-10


def test_winning_shares_split_ties():
    samples = np.array([[0.5, 0.0, 0.5], [0.2, 0.7, 0.1], [0.6, 0.1, 0.3]])
    assert bayes.winning_shares(samples) == pytest.approx((0.5 / 3 + 1 / 3, 1 / 3, 0.5 / 3))
