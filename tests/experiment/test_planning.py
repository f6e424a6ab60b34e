"""Tests for losslab.experiment.planning: resampling designs and their trial counts, the protocols'
defaults, refusals before anything is written."""

from __future__ import annotations

import pytest
from frames import keys, regression_frame, tiny_arrays  # tests/experiment/frames.py

import losslab



@pytest.mark.parametrize(("kwargs", "match"), [
    ({"dataset": "diabetes", "losses": ["hinge"]}, "hinge"),
    ({"dataset": "diabetes", "losses": ["bce"]}, "binary_crossentropy"),
    ({"dataset": "iris", "losses": ["hinge"]}, "hinge"),
    ({"dataset": "breast_cancer", "losses": ["msle", "bce"]}, "regression loss|mean_squared_logarithmic_error"),
    ({"dataset": "iris", "metric": "rmse"}, "metric 'rmse' does not fit a multiclass target"),
    ({"dataset": "diabetes", "metric": "accuracy"}, "metric 'accuracy' does not fit a regression target"),
    ({"dataset": "breast_cancer", "losses": ["bce", "hinge"], "metric": "log_loss"}, "metric 'log_loss' cannot score hinge"),
    ({"dataset": "iris", "losses": ["kld"], "batch_size": 500}, r"expected batch_size <= the smallest training fold \(\d+ rows\). Received: batch_size=500"),
    ({"X": tiny_arrays(4)[0], "y": tiny_arrays(4)[1], "losses": ["bce"], "cv": 5}, "fold"),
    ({"dataset": "iris", "losses": ["nope"]}, "unknown loss 'nope'"),
    ({"dataset": "iris", "losses": ["huber(delta=abc)"]}, "delta"),
])
def test_unfit_setups_are_refused_before_anything_is_written(tmp_path, kwargs, match):
    out = tmp_path / "study"
    with pytest.raises(ValueError, match=match):
        losslab.compare(**kwargs, out=out, repeats=2, epochs=2, hidden=(4,))
    assert not out.exists()


@pytest.mark.parametrize(("repeats", "cv", "grid", "n_test"), [
    (3, None, {(r, 0) for r in range(3)}, 38),
    (1, 3, {(0, f) for f in range(3)}, 50),
    (2, 3, {(r, f) for r in range(2) for f in range(3)}, 50),
    (9, "5x2", {(r, f) for r in range(5) for f in range(2)}, 75),
])
def test_designs_give_their_trial_counts(tmp_path, repeats, cv, grid, n_test):
    study = losslab.compare(dataset="iris", losses=["sparse_categorical_crossentropy", "kld"], repeats=repeats, cv=cv,
                            out=tmp_path, epochs=2, hidden=(4,))
    assert len(study.results) == 2 * len(grid)
    assert all(k == grid for k in keys(study).values())
    assert set(study.trials().n_test) == {n_test}
    assert study.complete


def test_compare_defaults_to_the_tuned_protocol_and_fixed_keeps_the_tutorials_setup(tmp_path):
    X, y = regression_frame()
    tuned = losslab.plan_study(X, y, losses=["mse"], repeats=1, hidden=(4,))
    m = tuned.spec.model
    assert (m.protocol, m.optimizer, m.patience, m.epochs, m.validation_split) == ("tuned", "adam", 10, 200, 0.2)
    assert m.learning_rates == (1e-3, 3e-3, 1e-2, 3e-2)
    fixed = losslab.plan_study(X, y, losses=["mse"], repeats=1, hidden=(4,), protocol="fixed").spec.model
    assert (fixed.protocol, fixed.optimizer, fixed.patience, fixed.epochs, fixed.learning_rates) == ("fixed", "sgd", 0, 100, (0.01,))
    one = losslab.plan_study(X, y, losses=["mse"], repeats=1, lr=[0.02]).spec.model
    assert one.learning_rates == (0.02,)
    with pytest.raises(ValueError, match="protocol='fixed'"):
        losslab.compare(X, y, losses=["mse"], protocol="fixed", lr=[0.01, 0.1], out=tmp_path / "x")
    with pytest.raises(ValueError, match="protocol='tuned' or 'fixed'"):
        losslab.compare(X, y, losses=["mse"], protocol="best", out=tmp_path / "x")
