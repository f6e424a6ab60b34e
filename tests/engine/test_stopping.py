"""Early stopping (engine/stopping.py) as Keras' EarlyStopping(monitor="val_loss",
restore_best_weights=True), replicate by replicate: the stop and best epochs, the best
epoch's weights kept without a per-epoch history, the progress bar still ending full."""

import numpy as np
import pytest
from grid_problem import RATES, grid_replicates, members  # tests/engine/grid_problem.py

from losslab.engine import Adam, Network, train


def keras_early_stopping(val_loss, patience):
    """Keras' EarlyStopping(monitor="val_loss", patience, restore_best_weights=True) on a
    recorded curve: (best epoch, stopped epoch), 0-based."""
    best, best_epoch, wait = np.inf, -1, 0
    for epoch, value in enumerate(val_loss):
        wait += 1
        if value < best:
            best, best_epoch, wait = value, epoch, 0
            continue
        if wait >= patience and epoch > 0:
            return best_epoch, epoch
    return best_epoch, len(val_loss) - 1


def test_early_stopping_follows_keras_and_restores_the_best_epoch(data):
    X, y = data
    net = Network(4, (8,), 1)
    reps = grid_replicates([0, 1, 2], (1e-2, 0.3))
    kwargs = dict(network=net, batch_size=16, optimizer=Adam(), dtype="float64")
    stopped = train(X, members(y), reps, epochs=60, patience=4, **kwargs)
    free = train(X, members(y), reps, epochs=60, **kwargs)  # the same runs without stopping
    assert stopped.stopped_epoch.min() < 59  # some stop early
    for i in range(len(reps)):
        # The curves agree until the stop; after it the stopped replicate records nothing.
        stop = stopped.stopped_epoch[i]
        np.testing.assert_allclose(stopped.loss["val"][i, : stop + 1], free.loss["val"][i, : stop + 1], rtol=1e-10)
        assert np.isnan(stopped.loss["val"][i, stop + 1:]).all()
        assert (stopped.best_epoch[i], stop) == keras_early_stopping(free.loss["val"][i], 4)
        # Its weights are those of its best epoch: the same run cut there.
        cut = train(X, members(y), [reps[i]], epochs=int(stopped.best_epoch[i]) + 1, **kwargs)
        for (W, _), (W1, _) in zip(stopped.weights, cut.weights):
            np.testing.assert_allclose(W[i], W1[0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(stopped.final("val")[i], stopped.loss["val"][i, stopped.best_epoch[i]], rtol=1e-10)


def test_early_stopping_keeps_no_per_epoch_weights(data, monkeypatch):
    X, y = data
    net = Network(4, (32,), 1)
    reps = grid_replicates(range(5), RATES)
    # flat_weights is what a weight history is made of: early stopping must never call it.
    from losslab.engine import lockstep

    monkeypatch.setattr(lockstep.Group, "flat_weights", lambda self: pytest.fail("a per-epoch weight copy was taken"))
    epochs = 50
    h = train(X, members(y), reps, network=net, epochs=epochs, batch_size=16, optimizer=Adam(), patience=5)
    assert h.trajectory is None
    # Nothing in the history grows with epochs x weights.
    big = [name for name, v in vars(h).items() if isinstance(v, np.ndarray) and v.size >= epochs * net.n_params]
    assert not big


def test_progress_adds_up_when_replicates_stop_early(data):
    X, y = data
    reps = grid_replicates([0, 1], RATES)
    seen = []
    h = train(X, members(y), reps, network=Network(4, (8,), 1), epochs=30, batch_size=16, optimizer=Adam(),
              patience=2, progress=seen.append)
    assert h.stopped_epoch.min() < 29
    assert sum(seen) == len(reps) * 30
