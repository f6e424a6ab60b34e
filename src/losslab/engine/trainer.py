"""Train R replicates x L losses of one MLP shape in lockstep: :func:`train`, its argument
checks, and the loop over epochs.

Replicates with the same number of steps per epoch form one lockstep group
(:class:`~.lockstep.Group`: the stacked weights, one step, one epoch, one evaluation);
this module draws each replicate's minibatch keys, runs the epochs, and after each one hands
the group to early stopping (:mod:`.stopping`) and to the caller's checkpoints
(:mod:`.checkpoints`). Replicate r is exactly the model that a plain one-model loop would
produce with its seed (``tests/engine`` holds both to a plain PyTorch loop).

A grid of configurations is one call too: each replicate may carry its own learning rate
and its own validation rows; with early stopping a replicate that stops leaves the batch
(the rest go on, the batch shrinks) and ends with its best epoch's weights, kept in one
buffer updated only when it improves.

Imports ``losses``, ``vocab`` and the engine's modules below it.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch

from ..losses import LossSpec
from ..vocab import OUTPUT_ACTIVATIONS
from . import activations as act
from .checkpoints import Checkpoints, key, resume, snapshot
from .history import History
from .lockstep import Group
from .members import ENGINE_METRICS, Member, Replicate
from .network import Network
from .optimizers import SGD, Adam
from .stopping import stop_at_limit, stop_early
from .threads import torch_threads

__all__ = ["ENGINE_METRICS", "Checkpoints", "Member", "Replicate", "train"]

_DTYPES = {"float32": torch.float32, "float64": torch.float64}
# Minibatch keys are drawn for as many epochs at a time as fit in this many numbers.
_KEY_BLOCK = 2e6


def train(
    X: np.ndarray,
    members: Sequence[Member],
    replicates: Sequence[Replicate],
    *,
    network: Network,
    epochs: int,
    batch_size: int = 32,
    optimizer: SGD | Adam | None = None,
    metrics: Sequence[str] = (),
    dtype: str = "float32",
    device: str | torch.device | None = None,
    threads: int | None = None,
    record_trajectory: bool = False,
    progress: Callable[[int], None] | None = None,
    closed_forms: bool = True,
    patience: int = 0,
    checkpoint: Checkpoints | None = None,
) -> History:
    """Train every replicate; return a :class:`History` with one row per replicate.

    Parameters
    ----------
    X : ndarray of shape (N, d) or (V, N, d)
        Inputs, already scaled; several views when folds are preprocessed separately.
    members : sequence of Member
    replicates : sequence of Replicate
    network : Network
    epochs, batch_size : int
        Keras semantics: a fresh shuffle every epoch, the last minibatch may be smaller.
    optimizer : SGD or Adam
        Defaults to plain SGD with lr 0.01 (Keras' default).
    metrics : sequence of {"accuracy", "mse", "rmse", "mae"}
        Recorded at the end of every epoch on each replicate's train and test rows.
    dtype : {"float32", "float64"}
    device : str, optional
        ``"cpu"`` (default) or ``"cuda"``.
    threads : int, optional
        torch's intra-op threads while training (restored afterwards).
    record_trajectory : bool
        Keep every replicate's flattened weights after every epoch (for loss landscapes).
    progress : callable, optional
        Called with the number of replicate-epochs just finished.
    closed_forms : bool
        Use the closed-form output gradients of common pairs (MSE + linear, BCE + sigmoid,
        hinge + tanh, ...) instead of autograd; the same numbers to rounding, faster.
    patience : int
        Early stopping on each replicate's own ``val`` rows, as Keras'
        ``EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)``:
        a replicate whose validation loss has not improved for ``patience`` epochs stops
        (it leaves the lockstep batch, so the batch shrinks as replicates stop) and ends
        with the weights of its best epoch. Only the best weights are kept, one copy per
        replicate, updated when its validation loss improves. 0: off.
    checkpoint : Checkpoints, optional
        Mid-training checkpoints: each lockstep group first asks ``checkpoint.restore(key)``
        for a saved state and continues from it, then calls ``checkpoint.epoch_done(key,
        epochs_done, state)`` after every epoch, ``state()`` giving a snapshot to save when
        the caller wants one (weights, optimizer and early-stopping state, which replicates
        still train, random-stream positions, the history so far; tensors, NumPy-free, on
        the CPU). A resumed group gives the same numbers as an uninterrupted one, bit for bit
        on the same machine.
    """
    optimizer = optimizer or SGD()
    X, members, replicates = _validate(X, members, replicates, network, epochs, batch_size, metrics, dtype)
    if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 0:
        raise ValueError(f"train: expected patience >= 0 (0: no early stopping). Received: patience={patience!r}.")
    has_val = [r.val is not None and r.val.size > 0 for r in replicates]
    if any(has_val) and not all(has_val):
        raise ValueError("train: expected val rows on every replicate or on none. Received: val on "
                         f"{sum(has_val)} of {len(replicates)} replicates.")
    if patience and not all(has_val):
        raise ValueError(f"train: early stopping (patience={patience}) watches each replicate's val rows. "
                         "Received: replicates without val; give Replicate(..., val=rows).")
    if patience and record_trajectory:
        raise ValueError("train: expected record_trajectory=False with early stopping (a stopped replicate has no "
                         f"later weights). Received: record_trajectory=True, patience={patience}.")
    if patience and any(r.epochs is not None for r in replicates):
        raise ValueError(f"train: expected Replicate.epochs only without early stopping (patience=0). Received: patience={patience}.")
    torch_dtype = _DTYPES[dtype]
    device = torch.device(device or "cpu")
    started = time.perf_counter()
    history = History.empty(replicates, [m.label for m in members], network, epochs, metrics, record_trajectory)

    groups: dict[int, list[int]] = {}
    for i, rep in enumerate(replicates):
        groups.setdefault(math.ceil(len(rep.train) / batch_size), []).append(i)
    with torch_threads(threads), torch.no_grad():
        for rows in groups.values():
            rows.sort(key=lambda i: replicates[i].member)
            group = Group(X, members, [replicates[i] for i in rows], network, optimizer, batch_size, metrics,
                          torch_dtype, device, closed_forms)
            _run(group, epochs, history, np.asarray(rows), record_trajectory, progress, patience, checkpoint)
    history.seconds = time.perf_counter() - started
    return history


def _output_at(name: str, pre: np.ndarray) -> np.ndarray:
    """The output layer's activation in NumPy (to validate targets before training)."""
    out = act.forward(name, torch.as_tensor(pre))
    return out.numpy()


def _validate(X, members, replicates, network, epochs, batch_size, metrics, dtype):
    # A private, writable, row-major copy: torch refuses read-only arrays, and gathering rows
    # of a column-major array (what pandas and scikit-learn often give) is 20x slower. float32
    # data trained in float32 is used as it is (torch shares it: the data is held once).
    X = _as_training_array(X, dtype)
    if X.ndim == 2:
        X = X[None]
    if X.ndim != 3:
        raise ValueError(f"train: expected X of shape (n_samples, n_features). Received: X.shape={X.shape}.")
    if not np.isfinite(X).all():
        raise ValueError("train: expected finite values in X. Received: NaN or infinite values; drop or impute them first.")
    if X.shape[2] != network.n_inputs:
        raise ValueError(f"train: expected X with {network.n_inputs} features (network.n_inputs). Received: {X.shape[2]}.")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"train: expected epochs >= 1. Received: epochs={epochs!r}.")
    if dtype not in _DTYPES:
        raise ValueError(f"train: expected dtype in {tuple(_DTYPES)}. Received: dtype={dtype!r}.")
    for m in metrics:
        if m not in ENGINE_METRICS:
            raise ValueError(f"train: expected metrics from {ENGINE_METRICS}. Received: {m!r}.")
    if not members:
        raise ValueError("train: expected at least one member (a loss to train).")
    if not replicates:
        raise ValueError("train: expected at least one replicate.")
    n_views, n_rows = X.shape[:2]
    checked = []
    for m in members:
        if not isinstance(m.loss, LossSpec):
            raise TypeError(f"train: expected Member.loss to be a LossSpec (losslab.losses.get(name)). Received: {type(m.loss).__name__}.")
        name = m.label
        if m.output_activation not in OUTPUT_ACTIVATIONS:
            raise ValueError(f"train: member {name}: expected output_activation in {OUTPUT_ACTIVATIONS}. Received: {m.output_activation!r}.")
        if m.output_activation not in m.loss.output_activations:
            raise ValueError(
                f"train: {m.loss.name} expects an output layer with activation {' or '.join(m.loss.output_activations)}. "
                f"Received: output_activation={m.output_activation!r}. Use output_activation={m.loss.output_activations[0]!r}."
            )
        targets = np.asarray(m.targets)
        if n_views == 1 and targets.shape[:1] == (n_rows,):
            targets = targets[None]
        if targets.shape[:2] != (n_views, n_rows):
            raise ValueError(f"train: member {name}: expected targets with one row per row of X ({n_rows}). Received: targets.shape={np.asarray(m.targets).shape}.")
        # Targets keep a trailing output axis so kernels see (..., k).
        if m.loss.shape_rule != "class_index" and targets.ndim == 2:
            targets = targets[..., None]
        k = targets.shape[-1] * (2 if m.loss.shape_rule == "mean_var" else 1)
        if m.loss.shape_rule != "class_index" and k != network.n_outputs:
            raise ValueError(
                f"train: {m.loss.name} with targets of {targets.shape[-1]} column(s) needs {k} output unit(s). Received: network.n_outputs={network.n_outputs}."
            )
        # The loss checks the targets' encoding and domain here, before anything trains.
        flat_t = targets.reshape(n_views * n_rows, *targets.shape[2:])
        m.loss.numpy(flat_t, _output_at(m.output_activation, np.full((flat_t.shape[0], network.n_outputs), 0.5)))
        labels = None
        if m.labels is not None:
            labels = np.asarray(m.labels).astype(np.int64).reshape(n_views, n_rows)
        elif "accuracy" in metrics:
            raise ValueError(f"train: member {name}: the accuracy metric needs labels (class index per row).")
        checked.append(dataclasses.replace(m, targets=targets, labels=labels))
    reps = []
    for i, r in enumerate(replicates):
        if not 0 <= r.member < len(members):
            raise ValueError(f"train: replicate {i}: expected member in [0, {len(members)}). Received: member={r.member}.")
        if not 0 <= r.view < n_views:
            raise ValueError(f"train: replicate {i}: expected view in [0, {n_views}). Received: view={r.view}.")
        tr = np.asarray(r.train, dtype=np.int64)
        te = None if r.test is None else np.asarray(r.test, dtype=np.int64)
        va = None if r.val is None else np.asarray(r.val, dtype=np.int64)
        for arg, idx in (("train", tr), ("test", te), ("val", va)):
            if idx is not None and idx.size and (idx.min() < 0 or idx.max() >= n_rows):
                raise ValueError(f"train: replicate {i}: {arg} indices must lie in [0, {n_rows}).")
        if r.lr is not None and not (isinstance(r.lr, (int, float, np.floating)) and math.isfinite(r.lr) and r.lr > 0):
            raise ValueError(f"train: replicate {i}: expected lr > 0 (or None: the optimizer's). Received: lr={r.lr!r}.")
        if tr.size == 0:
            raise ValueError(f"train: replicate {i}: expected training rows. Received: an empty train index.")
        if r.epochs is not None and (isinstance(r.epochs, bool) or not isinstance(r.epochs, (int, np.integer))
                                     or not 1 <= r.epochs <= epochs):
            raise ValueError(f"train: replicate {i}: expected epochs in [1, {epochs}] (train's epochs) or None. "
                             f"Received: epochs={r.epochs!r}.")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1 or batch_size > tr.size:
            raise ValueError(
                f"train: expected 1 <= batch_size <= the number of training rows ({tr.size}). Received: batch_size={batch_size!r}."
            )
        reps.append(dataclasses.replace(r, train=tr, test=te, val=va))
    return X, checked, reps


def _as_training_array(X, dtype: str) -> np.ndarray:
    if (dtype == "float32" and isinstance(X, np.ndarray) and X.dtype == np.float32 and X.flags.c_contiguous
            and X.flags.writeable):
        return X
    return np.array(X, dtype=np.float64, order="C")



def _run(group: Group, epochs, history: History, rows_out: np.ndarray, record_trajectory: bool, progress,
         patience: int = 0, checkpoint: Checkpoints | None = None) -> None:
    """Train for ``epochs`` (fewer for replicates that stop early) and fill ``history``'s rows ``rows_out``."""
    g = group  # the replicates still training: the group, then subsets of it as they stop (None: all stopped)
    R = g.R
    n_max = g.train_rows.shape[1]
    # Draw minibatch keys a block of epochs at a time (bounded memory); a replicate's
    # stream gives the same numbers whatever the block size.
    block = max(1, min(epochs, int(_KEY_BLOCK // max(1, R * n_max))))
    traj = [g.flat_weights()] if record_trajectory else None
    # Keras' EarlyStopping state per replicate; the best weights in one flat buffer.
    best_loss = np.full(R, np.inf)
    wait = np.zeros(R, dtype=np.int64)
    if patience:
        g.best = g.params.clone()
        history.best_epoch[rows_out] = -1  # the initial weights, until an epoch improves
    # Each replicate's own number of epochs, where some replicate has one.
    limits = (np.array([epochs if r.epochs is None else int(r.epochs) for r in group.reps])
              if any(r.epochs is not None for r in group.reps) else None)
    first = 0
    saved = checkpoint.restore(key(group)) if checkpoint is not None else None
    if saved:
        g, first = resume(group, saved, history, rows_out, traj, best_loss, wait)
    streams: dict = {}  # each replicate's stream position at the start of the current block of keys
    for epoch in range(first, epochs if g is not None else first):
        start = epoch - epoch % block
        if epoch == start or epoch == first:
            # A resumed run starting inside a block draws that block again from its start.
            streams = {i: rng.bit_generator.state for i, rng in zip(g.ids, g.rngs)}
            nb = min(block, epochs - start)
            g.keys = np.full((nb, g.R, n_max), np.inf)  # an epoch's keys contiguous
            for i, rng in enumerate(g.rngs):
                g.keys[:, i, : g.n_train[i]] = rng.random((nb, g.n_train[i]))
        g.run_epoch(epoch - start, history, rows_out, epoch)
        if traj is not None:
            traj.append(g.flat_weights())
        if progress is not None:
            progress(g.R)
        if patience:
            g = stop_early(group, g, epoch, epochs, patience, history, rows_out, best_loss, wait, progress)
        elif limits is not None:
            g = stop_at_limit(group, g, epoch, epochs, limits, history, rows_out, progress)
        if checkpoint is not None:
            done = epochs if g is None else epoch + 1
            # The streams where the next epoch's keys come from: inside a block, its start.
            at = streams if done % block else None
            checkpoint.epoch_done(key(group), done, functools.partial(snapshot, group, g, done, at, history, rows_out,
                                                                     traj, best_loss, wait))
        if g is None:
            break
    if traj is not None:
        history.trajectory[rows_out] = np.stack([t.cpu().numpy() for t in traj], axis=1)
    # Without early stopping g is the group; with it, every replicate stopped and was put back here.
    history.fill(rows_out, group.final())
