"""Tests for losslab.experiment.scoring: predictions back in the target's units, ordinal levels,
the tuned protocol's choice of learning rate."""

from __future__ import annotations

import math

import numpy as np
import pytest

from losslab import advisor
from losslab.experiment import scoring
from losslab.metrics import get_metric



def test_score_puts_regression_predictions_back_in_the_targets_units():
    rng = np.random.default_rng(1)
    y = rng.normal(50.0, 10.0, size=40)
    z = rng.normal(size=40)  # the network's output, in standardized units
    rmse = get_metric("rmse")
    enc = advisor.encode_targets(y, "mse")
    got = scoring.score(rmse, enc, y, z, (48.0, 9.0))
    assert got == pytest.approx(math.sqrt(np.mean((z * 9.0 + 48.0 - y) ** 2)), rel=1e-12)
    enc_k = advisor.encode_targets(y * 1000, "mse")
    assert scoring.score(rmse, enc_k, y * 1000, z, (48_000.0, 9_000.0)) == pytest.approx(1000 * got, rel=1e-12)
    # Several targets: each column in its own units; rmse is the mean of per-column RMSEs.
    Y = np.column_stack([y, y * 100])
    Z = np.column_stack([z, -z])
    mean, std = np.array([48.0, 4800.0]), np.array([9.0, 900.0])
    expected = np.mean([math.sqrt(np.mean((Z[:, j] * std[j] + mean[j] - Y[:, j]) ** 2)) for j in range(2)])
    assert scoring.score(rmse, advisor.encode_targets(Y, "mse"), Y, Z, (mean, std)) == pytest.approx(expected, rel=1e-12)


def test_choice_prefers_the_best_validation_score_then_the_lower_loss():
    assert scoring.choose([0.5, 0.7, 0.6], [1.0, 2.0, 0.5], higher_is_better=True) == 1
    assert scoring.choose([0.5, 0.7, 0.6], [1.0, 2.0, 0.5], higher_is_better=False) == 0
    assert scoring.choose([0.7, 0.7, math.nan], [1.0, 0.5, 0.1], higher_is_better=True) == 1
    assert scoring.choose([math.nan, math.nan], [math.nan, 3.0], higher_is_better=True) == 1


class _IndexRegression:
    """An encoding of a regression on the level index (what prepare gives mse on ordinal levels)."""

    classes = None

    @staticmethod
    def decode(outputs):
        return np.asarray(outputs)[:, 0]


def test_an_ordinal_regression_is_rounded_to_the_nearest_level_and_clipped():
    levels = ("low", "mid", "high")
    y_true = np.array(["low", "mid", "high", "high"])
    outputs = np.array([[0.4], [1.6], [7.0], [-3.0]])  # levels 0, 2, 2 (clipped), 0 (clipped)
    mae = scoring.score_levels(get_metric("mae"), _IndexRegression(), y_true, outputs, None, levels)
    assert mae == pytest.approx((0 + 1 + 0 + 2) / 4)
    acc = scoring.score_levels(get_metric("accuracy"), _IndexRegression(), y_true, outputs, None, levels)
    assert acc == pytest.approx(2 / 4)
    # standardized index targets come back to index units before rounding
    scaled = scoring.score_levels(get_metric("mae"), _IndexRegression(), y_true, (outputs - 1.0) / 2.0, (1.0, 2.0), levels)
    assert scaled == pytest.approx(mae)
