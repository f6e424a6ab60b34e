"""A learning-rate grid in one lockstep call (engine/trainer.py): per-replicate learning rates and
per-replicate stopping give each configuration's numbers alone, and bad grids are refused.
Early stopping itself is tests/engine/test_stopping.py."""

import dataclasses

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


def test_replicates_with_their_own_epochs_equal_plain_runs_of_that_length(data):
    # A refit trains each chosen configuration for its own number of epochs in one call: each
    # equals the same replicate trained alone for exactly that many epochs.
    X, y = data
    net = Network(4, (8,), 1)
    rows, test = np.arange(130), np.arange(130, 160)
    lengths = (3, 11, 7, 20)
    reps = [Replicate(j, seed, rows, test, lr=lr, epochs=n)
            for j, (seed, lr, n) in enumerate(zip((0, 1), (1e-2, 3e-2), lengths[:2]))]
    reps += [Replicate(0, 2, rows, test, lr=3e-3, epochs=lengths[2]), Replicate(1, 3, rows, test, lr=1e-2)]
    seen = []
    kwargs = dict(network=net, batch_size=16, optimizer=Adam(weight_decay=0.01), metrics=("mae",), dtype="float64")
    both = train(X, members(y), reps, epochs=20, progress=seen.append, **kwargs)
    assert sum(seen) == len(reps) * 20  # the progress bar still ends full
    for i, (rep, n) in enumerate(zip(reps, (3, 11, 7, 20))):
        alone = train(X, members(y), [dataclasses.replace(rep, epochs=None)], epochs=n, **kwargs)
        assert both.stopped_epoch[i] == both.best_epoch[i] == n - 1
        for (W, b), (W1, b1) in zip(both.weights, alone.weights):
            np.testing.assert_allclose(W[i], W1[0], rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(b[i], b1[0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(both.outputs["test"][i], alone.outputs["test"][0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(both.loss["train"][i, :n], alone.loss["train"][0], rtol=1e-10)
        assert np.isnan(both.loss["train"][i, n:]).all()


@pytest.mark.parametrize(("rep", "kwargs", "message"), [
    (dict(epochs=0), {}, r"epochs in \[1, 5\]"),
    (dict(epochs=6), {}, r"epochs in \[1, 5\]"),
    (dict(epochs=3, val=np.arange(130, 160)), dict(patience=2), "only without early stopping"),
])
def test_bad_replicate_epochs_are_refused(data, rep, kwargs, message):
    X, y = data
    with pytest.raises(ValueError, match=message):
        train(X, members(y), [Replicate(0, 0, np.arange(100), **rep)], network=Network(4, (8,), 1), epochs=5,
              batch_size=16, **kwargs)
