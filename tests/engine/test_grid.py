"""A learning-rate grid and early stopping in one lockstep call: per-replicate learning rates,
per-replicate stopping, the best epoch's weights kept without a per-epoch history."""

import dataclasses

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.preprocessing import StandardScaler

from losslab import losses
from losslab.engine import SGD, Adam, History, Member, Network, Replicate, train

RATES = (1e-3, 1e-2, 3e-2, 0.3)


@pytest.fixture(scope="module")
def data():
    X, y = make_regression(n_samples=160, n_features=4, noise=20.0, random_state=3)
    X = StandardScaler().fit_transform(X)
    y = StandardScaler().fit_transform(y[:, None])[:, 0]
    return X, y


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


def grid_replicates(seeds, rates):
    rows = np.arange(160)
    train_rows, val_rows, test_rows = rows[:100], rows[100:130], rows[130:]
    return [Replicate(j, s, train_rows, test_rows, val=val_rows, lr=lr)
            for j in range(2) for s in seeds for lr in rates]


def members(y):
    return [Member(losses.get("mse"), "linear", y), Member(losses.get("mae"), "linear", y)]


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
    from losslab.engine import trainer

    monkeypatch.setattr(trainer._Group, "flat_weights", lambda self: pytest.fail("a per-epoch weight copy was taken"))
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


def test_evaluation_in_chunks_gives_the_numbers_of_one_pass(data, monkeypatch):
    from losslab.engine import trainer

    X, y = data
    labels = (y > 0).astype(np.int64)
    bce = Member(losses.get("bce"), "sigmoid", labels.astype(float), labels=labels)
    # Unequal test sets (masked) and a chunk size that does not divide them.
    reps = [Replicate(0, s, np.arange(100), np.arange(100, 160 - s), val=np.arange(100, 130)) for s in range(3)]
    kwargs = dict(network=Network(4, (8,), 1), epochs=3, batch_size=16, metrics=("accuracy", "mse"), dtype="float64")
    whole = train(X, [bce], reps, **kwargs)
    monkeypatch.setattr(trainer, "EVAL_ROWS", 7)
    chunked = train(X, [bce], reps, **kwargs)
    for split in ("val", "test"):
        np.testing.assert_allclose(chunked.loss[split], whole.loss[split], rtol=1e-12)
        for name in ("accuracy", "mse"):
            np.testing.assert_allclose(chunked.metrics[name][split], whole.metrics[name][split], rtol=1e-12)
            np.testing.assert_allclose(chunked.evaluation[split][name], whole.evaluation[split][name], rtol=1e-12)
        for a, b in zip(chunked.outputs[split], whole.outputs[split]):
            np.testing.assert_allclose(a, b, rtol=1e-12)


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
