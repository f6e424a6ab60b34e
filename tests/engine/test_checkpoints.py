"""Mid-training checkpoints of a lockstep group (engine/checkpoints.py): the key that names a
group, a snapshot made of CPU tensors and plain values only, and a resumption that gives the
numbers of an uninterrupted run. A study's store and SIGKILL are tests/experiment/test_checkpoint.py."""

import numpy as np
import pytest
import torch

from losslab import losses
from losslab.engine import Adam, Member, Network, Replicate, train
from losslab.engine.checkpoints import key


class Stop(Exception):
    pass


class Kept:
    """Keeps every state as the engine hands it over (no encoding); stops after ``stop_at`` saves."""

    def __init__(self, stop_at=None, states=None):
        self.stop_at, self.states, self.calls = stop_at, dict(states or {}), 0

    def restore(self, key):
        return self.states.get(key)

    def epoch_done(self, key, epoch, state):
        self.states[key] = state()
        self.calls += 1
        if self.calls == self.stop_at:
            raise Stop


def _problem():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(80, 3))
    y = X @ np.array([1.0, -1.0, 0.5]) + 0.3 * rng.normal(size=80)
    members = [Member(losses.get("mse"), "linear", y), Member(losses.get("huber"), "linear", y)]
    reps = [Replicate(m, seed, np.arange(50), np.arange(65, 80), val=np.arange(50, 65), lr=lr)
            for m in (0, 1) for seed in (1, 2) for lr in (0.003, 0.3)]
    return X, members, reps


def _plain(value):
    """Every leaf of a snapshot: a CPU tensor or a plain Python value, never a NumPy array."""
    if isinstance(value, dict):
        return all(_plain(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if torch.is_tensor(value):
        return value.device.type == "cpu"
    return not isinstance(value, (np.ndarray, np.generic))


def test_a_group_is_named_by_its_replicates():
    X, members, reps = _problem()
    kept = Kept()
    train(X, members, reps[:2], network=Network(3, (4,), 1), epochs=2, batch_size=10, checkpoint=kept)
    assert list(kept.states) == ["1:0:0:50:0.003,1:0:0:50:0.3"]


@pytest.mark.parametrize("stop_at", [2, 6])
def test_a_snapshot_resumes_to_the_numbers_of_an_uninterrupted_run(stop_at):
    X, members, reps = _problem()
    kwargs = {"network": Network(3, (4,), 1), "epochs": 30, "batch_size": 10, "optimizer": Adam(0.01),
              "dtype": "float64", "patience": 2, "metrics": ("mae",)}
    whole = train(X, members, reps, **kwargs)
    kept = Kept(stop_at=stop_at)
    with pytest.raises(Stop):
        train(X, members, reps, **kwargs, checkpoint=kept)
    (state,) = kept.states.values()
    assert state["epoch"] == stop_at and _plain(state)
    again = train(X, members, reps, **kwargs, checkpoint=Kept(states=kept.states))
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(again.loss[split], whole.loss[split])
        np.testing.assert_array_equal(again.metrics["mae"][split], whole.metrics["mae"][split])
    np.testing.assert_array_equal(again.best_epoch, whole.best_epoch)
    np.testing.assert_array_equal(again.stopped_epoch, whole.stopped_epoch)
    for (W1, b1), (W2, b2) in zip(again.weights, whole.weights):
        np.testing.assert_array_equal(W1, W2)
        np.testing.assert_array_equal(b1, b2)


def test_the_key_function_reads_the_group_s_replicates():
    class Group:
        reps = [Replicate(0, 7, np.arange(5), view=1, lr=None), Replicate(1, 8, np.arange(3))]

    assert key(Group()) == "7:0:1:5:None,8:1:0:3:None"
