"""Mid-training checkpoints: the engine continues from a saved state with the numbers of an
uninterrupted run, and a study killed with SIGKILL mid-chunk resumes from its last checkpoint."""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from killed import run_and_kill  # tests/experiment/killed.py
from stored import count_rows  # tests/experiment/stored.py

import losslab
from losslab import losses
from losslab.engine import SGD, Adam, Member, Network, Replicate, train, trainer
from losslab.experiment import checkpoint as checkpoints
from losslab.experiment.store import FILENAME

# The CUDA path (weights on the device, snapshots on the CPU) runs where a GPU is at hand.
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device"))]


class Killed(Exception):
    pass


class InMemory:
    """Saves every epoch; raises after the ``kill_at``-th save (a kill, as the engine sees it).

    Every state goes through the store's encoding (torch.save, loaded with weights_only), as
    a study's checkpoints do.
    """

    def __init__(self, kill_at=None, states=None):
        self.kill_at, self.states, self.restored, self.calls = kill_at, dict(states or {}), {}, 0

    def restore(self, key):
        state = self.states.get(key)
        if state is not None:
            self.restored[key] = state["epoch"]
        return state

    def epoch_done(self, key, epoch, state):
        self.states[key] = checkpoints._decode(checkpoints._encode(state()))
        self.calls += 1
        if self.calls == self.kill_at:
            raise Killed


def _problem():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(90, 3))
    labels = (X[:, 0] - X[:, 1] > 0).astype(int)
    members = [Member(losses.get("bce"), "sigmoid", labels.astype(float), labels=labels),
               Member(losses.get("hinge"), "tanh", 2.0 * labels - 1, labels=labels)]
    # Two lockstep groups (60 and 45 training rows: 4 and 3 steps of 16), each checkpointed under its key.
    reps = [Replicate(m, seed, np.arange(60 if seed == 4 else 45), np.arange(60, 90), view=0) for m in (0, 1) for seed in (4, 5)]
    return X, members, reps


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("optimizer", [SGD(0.05, 0.9), Adam(0.01)], ids=["sgd", "adam"])
# The first group's 3rd epoch (inside a block of minibatch keys), its 4th (a block's start), the second group's 3rd.
@pytest.mark.parametrize("kill_at", [3, 4, 10])
def test_a_resumed_run_gives_the_numbers_of_an_uninterrupted_one(monkeypatch, optimizer, kill_at, dtype):
    monkeypatch.setattr(trainer, "_KEY_BLOCK", 2 * 4 * 60)  # keys drawn 2 epochs at a time
    X, members, reps = _problem()
    kwargs = dict(network=Network(3, (5,), 1), epochs=7, batch_size=16, optimizer=optimizer, metrics=("accuracy",),
                  record_trajectory=True, dtype=dtype)
    whole = train(X, members, reps, **kwargs)
    saved = InMemory(kill_at=kill_at)
    with pytest.raises(Killed):
        train(X, members, reps, **kwargs, checkpoint=saved)
    resumed = InMemory(states=saved.states)
    again = train(X, members, reps, **kwargs, checkpoint=resumed)
    assert sorted(resumed.restored.values()) == ([kill_at] if kill_at < 7 else [3, 7])
    for split in ("train", "test"):
        np.testing.assert_array_equal(again.loss[split], whole.loss[split])
        np.testing.assert_array_equal(again.metrics["accuracy"][split], whole.metrics["accuracy"][split])
    np.testing.assert_array_equal(again.trajectory, whole.trajectory)
    for (W1, b1), (W2, b2) in zip(again.weights, whole.weights):
        np.testing.assert_array_equal(W1, W2)
        np.testing.assert_array_equal(b1, b2)


def _assert_same(again, whole):
    """Every number of two histories equal, bit for bit."""
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(again.loss[split], whole.loss[split])
        for name in whole.metrics:
            np.testing.assert_array_equal(again.metrics[name][split], whole.metrics[name][split])
        for key in whole.evaluation[split]:
            np.testing.assert_array_equal(again.evaluation[split][key], whole.evaluation[split][key])
        for a, b in zip(again.outputs[split], whole.outputs[split]):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(again.best_epoch, whole.best_epoch)
    np.testing.assert_array_equal(again.stopped_epoch, whole.stopped_epoch)
    for (W1, b1), (W2, b2) in zip(again.weights, whole.weights):
        np.testing.assert_array_equal(W1, W2)
        np.testing.assert_array_equal(b1, b2)


def _tuned_problem():
    """The tuned protocol's shape: a learning-rate grid per (loss, seed), early stopping at
    different epochs, validation rows of two sizes (the evaluation masks the padding; the
    largest rate, which stops first, has the longer rows: the replicates left have equal
    ones, and a resumed group must still evaluate them as the group that started did)."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(160, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.5 * rng.normal(size=160)
    members = [Member(losses.get("mse"), "linear", y), Member(losses.get("mae"), "linear", y)]
    rows = np.arange(160)
    reps = [Replicate(j, seed, rows[:100], rows[130:], val=rows[100: 130 if lr == 0.5 else 125], lr=lr)
            for j in range(2) for seed in (0, 1) for lr in (1e-3, 1e-2, 0.1, 0.5)]
    return X, members, reps


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("optimizer", [SGD(0.02, 0.9), Adam(0.01)], ids=["sgd", "adam"])
# Epochs done at the kill, past the first early stop: inside a block of keys (3 epochs), at a block's start, at its end.
@pytest.mark.parametrize("after_first_stop", [1, 2, 3])
def test_a_resumed_tuned_run_with_early_stopping_gives_the_numbers_of_an_uninterrupted_one(monkeypatch, optimizer,
                                                                                         after_first_stop, device):
    monkeypatch.setattr(trainer, "_KEY_BLOCK", 3 * 16 * 100)  # keys drawn 3 epochs at a time
    X, members, reps = _tuned_problem()
    kwargs = {"network": Network(4, (6,), 1), "epochs": 60, "batch_size": 16, "optimizer": optimizer,
              "metrics": ("mae",), "dtype": "float64", "patience": 3, "device": device}
    whole = train(X, members, reps, **kwargs)
    first_stop = int(whole.stopped_epoch.min())
    kill_at = first_stop + 1 + after_first_stop  # epochs done (one save per epoch)
    assert kill_at <= whole.stopped_epoch.max()  # some replicates still train at the kill
    saved = InMemory(kill_at=kill_at)
    with pytest.raises(Killed):
        train(X, members, reps, **kwargs, checkpoint=saved)
    (state,) = saved.states.values()
    alive = state["live"]["ids"].numpy()
    # The group had shrunk: some replicates stopped, some still train.
    assert 0 < len(alive) < len(reps)
    np.testing.assert_array_equal(np.sort(alive), np.flatnonzero(whole.stopped_epoch >= kill_at))
    resumed = InMemory(states=saved.states)
    again = train(X, members, reps, **kwargs, checkpoint=resumed)
    assert list(resumed.restored.values()) == [kill_at]
    _assert_same(again, whole)


def test_a_run_killed_after_every_replicate_stopped_resumes_to_the_end():
    X, members, reps = _tuned_problem()
    reps = [r for r in reps if r.lr >= 0.1]  # the large rates stop early
    kwargs = {"network": Network(4, (6,), 1), "epochs": 60, "batch_size": 16, "optimizer": Adam(0.01),
              "dtype": "float64", "patience": 3}
    whole = train(X, members, reps, **kwargs)
    assert whole.stopped_epoch.max() < 59  # all stopped early: the last save says the loop is done
    saved = InMemory()
    train(X, members, reps, **kwargs, checkpoint=saved)
    resumed = InMemory(states=saved.states)
    seen = []
    again = train(X, members, reps, **kwargs, checkpoint=resumed, progress=seen.append)
    assert list(resumed.restored.values()) == [60] and seen == []  # nothing trained again
    _assert_same(again, whole)


# ---------------------------------------------------------------------- SIGKILL during a chunk
STUDY = dict(dataset="iris", losses=["sparse_categorical_crossentropy", "kld"], protocol="fixed", repeats=2, epochs=1500,
             hidden=(4,), batch_size=16, seed=3)
# The tuned protocol: a rate grid trained in one lockstep group that shrinks as rates stop early
# (the largest rate stops at epoch 50, usually before the kills: measured 10 of 12 still training).
TUNED = {**STUDY, "protocol": "tuned", "lr": [0.003, 0.03, 0.3], "patience": 40, "epochs": 800}

CHILD = """
import torch
torch.set_num_threads(1)
import losslab
from losslab.experiment import checkpoint, estimate
checkpoint.CHECKPOINT_SECONDS = 0.3
estimate.CHUNK_SECONDS = 1e9  # one chunk for the whole study: only checkpoints bound what a kill loses
losslab.compare(**{kwargs!r}, out={out!r})
"""


def _checkpoint_epochs(path: Path) -> int:
    """How many checkpoints the store holds (0 before its table exists)."""
    return count_rows(path, "checkpoints", timeout=1)


def _run_and_kill(folder: Path, wait_after_checkpoint: float, study: dict) -> None:
    run_and_kill(textwrap.dedent(CHILD).format(kwargs=study, out=str(folder)),
                 lambda: _checkpoint_epochs(folder / FILENAME) >= 1, "checkpoint", wait_after=wait_after_checkpoint)


@pytest.mark.slow
@pytest.mark.parametrize("study", [STUDY, TUNED], ids=["fixed", "tuned"])
def test_sigkill_mid_chunk_resumes_from_the_last_checkpoint_with_the_same_numbers(tmp_path, monkeypatch, study):
    folder = tmp_path / "killed"
    _run_and_kill(folder, 0.0, study)  # just after a checkpoint
    _run_and_kill(folder, 0.2, study)  # between two checkpoints, after resuming from the first kill's
    assert losslab.load_study(folder).results == []  # one chunk: nothing committed yet

    monkeypatch.setattr(checkpoints, "CHECKPOINT_SECONDS", 1e9)
    epochs = []
    resumed = losslab.compare(**study, out=folder, on_epochs=epochs.append)
    # Continued from the checkpoint: fewer replicate-epochs than the whole study (4 trials x epochs).
    assert 0 < sum(epochs) < 4 * study["epochs"]
    with sqlite3.connect(folder / FILENAME) as db:
        assert db.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0] == 0  # dropped with the commit
    reference = losslab.compare(**study, out=tmp_path / "uninterrupted")
    # The same process-independent arithmetic on the same values: equal bit for bit.
    assert [(r.loss, r.repeat, r.fold, r.metrics, r.history) for r in resumed.results] == \
           [(r.loss, r.repeat, r.fold, r.metrics, r.history) for r in reference.results]
