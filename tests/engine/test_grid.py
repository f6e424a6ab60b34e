"""A learning-rate grid in one lockstep call (engine/trainer.py): per-replicate learning rates and
per-replicate stopping give each configuration's numbers alone, and bad grids are refused.
Early stopping itself is tests/engine/test_stopping.py."""

import numpy as np
import pytest
from grid_problem import RATES, grid_replicates, members  # tests/engine/grid_problem.py

from losslab.engine import SGD, Adam, History, Network, Replicate, train


@pytest.mark.parametrize("optimizer", [Adam(), SGD(0.01, 0.9)], ids=["adam", "sgd"])
def test_grid_in_lockstep_equals_each_configuration_alone(data, optimizer):
    X, y = data
    net = Network(4, (8,), 1)
    kwargs = dict(network=net, epochs=40, batch_size=16, optimizer=optimizer, metrics=("mae",), dtype="float64",
                  patience=3)
    reps = grid_replicates([0, 1], RATES)
    grid = train(X, members(y), reps, **kwargs)
    # Different rates stop at different epochs: the batch shrinks as it goes.
    assert len(set(grid.stopped_epoch)) > 1
    for i, rep in enumerate(reps):
        alone = train(X, members(y), [rep], **kwargs)
        assert alone.best_epoch[0] == grid.best_epoch[i] and alone.stopped_epoch[0] == grid.stopped_epoch[i]
        for (W, b), (W1, b1) in zip(grid.weights, alone.weights):
            np.testing.assert_allclose(W[i], W1[0], rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(b[i], b1[0], rtol=1e-10, atol=1e-12)
        for split in ("train", "val", "test"):
            np.testing.assert_allclose(grid.loss[split][i], alone.loss[split][0], rtol=1e-10, equal_nan=True)
            np.testing.assert_allclose(grid.outputs[split][i], alone.outputs[split][0], rtol=1e-10, atol=1e-12)


def test_a_per_replicate_rate_trains_as_the_optimizer_with_that_rate(data):
    X, y = data
    net = Network(4, (8,), 1)
    rows = np.arange(120)
    for opt, make in ((SGD(0.05, 0.9), lambda lr: SGD(lr, 0.9)), (Adam(), lambda lr: Adam(lr))):
        grid = train(X, members(y)[:1], [Replicate(0, 5, rows, lr=lr) for lr in RATES], network=net, epochs=5,
                     batch_size=16, optimizer=opt, dtype="float64")
        for i, lr in enumerate(RATES):
            plain = train(X, members(y)[:1], [Replicate(0, 5, rows)], network=net, epochs=5, batch_size=16,
                          optimizer=make(lr), dtype="float64")
            for (W, b), (W1, b1) in zip(grid.weights, plain.weights):
                np.testing.assert_allclose(W[i], W1[0], rtol=1e-9, atol=1e-12)
        # Different rates, different models.
        assert not np.allclose(grid.weights[0][0][0], grid.weights[0][0][1])


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(patience=-1), "patience >= 0"),
    (dict(patience=2, record_trajectory=True), "record_trajectory=False"),
])
def test_bad_early_stopping_is_refused(data, kwargs, message):
    X, y = data
    with pytest.raises(ValueError, match=message):
        train(X, members(y), grid_replicates([0], (0.01,)), network=Network(4, (8,), 1), epochs=3, batch_size=16,
              **kwargs)


def test_patience_needs_val_rows_and_rates_must_be_positive(data):
    X, y = data
    rows = np.arange(100)
    with pytest.raises(ValueError, match="val rows"):
        train(X, members(y), [Replicate(0, 0, rows)], network=Network(4, (8,), 1), epochs=3, batch_size=16, patience=2)
    with pytest.raises(ValueError, match="lr > 0"):
        train(X, members(y), [Replicate(0, 0, rows, lr=-1.0)], network=Network(4, (8,), 1), epochs=3, batch_size=16)
    with pytest.raises(ValueError, match="every replicate or on none"):
        train(X, members(y), [Replicate(0, 0, rows, val=np.arange(100, 120)), Replicate(0, 1, rows)],
              network=Network(4, (8,), 1), epochs=3, batch_size=16)


def test_history_without_early_stopping_reports_the_last_epoch(data):
    X, y = data
    h = train(X, members(y), grid_replicates([0], (0.01,)), network=Network(4, (8,), 1), epochs=4, batch_size=16)
    assert isinstance(h, History)
    assert (h.best_epoch == 3).all() and (h.stopped_epoch == 3).all()
    assert np.isfinite(h.loss["val"]).all() and np.isfinite(h.loss["test"]).all()
