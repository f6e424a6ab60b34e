"""Mid-training checkpoints of a lockstep group: its key, a snapshot of everything the
training loop needs to continue, and the resumption from one.

A snapshot holds tensors only (NumPy-free, on the CPU): the weights, optimizer and
early-stopping state, which replicates still train, their random streams' positions and
the history so far. A resumed group gives the same numbers as an uninterrupted one, bit for
bit on the same machine. Where snapshots are kept is the caller's :class:`Checkpoints`
(``experiment.checkpoint`` keeps them in a study's store).

One job: capture and restore a group's state. Imports the engine's ``history`` and
``lockstep``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import torch

from .history import History
from .lockstep import Group


class Checkpoints(Protocol):
    """Where :func:`train` saves and finds mid-training states (see its ``checkpoint`` parameter)."""

    def restore(self, key: str) -> dict | None: ...

    def epoch_done(self, key: str, epoch: int, state: Callable[[], dict]) -> None: ...


def key(group: Group) -> str:
    """Names ``group`` among a training run's: its replicates' seeds, members, views, row counts, rates."""
    return ",".join(f"{r.seed}:{r.member}:{r.view}:{len(r.train)}:{r.lr}" + (f":{r.epochs}" if r.epochs else "")
                    for r in group.reps)


def snapshot(group: Group, g: Group | None, done: int, streams: dict | None, history: History, rows_out: np.ndarray,
             traj: list | None, best_loss: np.ndarray, wait: np.ndarray) -> dict:
    """Everything the training loop (:mod:`.trainer`) needs to continue after ``done`` epochs, as CPU tensors.

    ``g`` is the group still training (``group``, a subset of it, or None); ``streams`` the
    stream positions at the start of the current block of keys (None: at a block's end,
    the streams' positions now).
    """
    cpu = lambda v: v.detach().cpu().clone() if torch.is_tensor(v) else v
    params = cpu(group.params)  # the stopped replicates' final weights are here already
    live: dict = {"ids": torch.zeros(0, dtype=torch.int64)}
    if g is not None:
        if g is not group:
            group.put(cpu(g.params), g.ids, into=params)
        live = {"ids": torch.as_tensor(g.ids), "optimizer": {k: cpu(v) for k, v in g.state.items()},
                "best": cpu(g.best),
                "streams": [rng.bit_generator.state if streams is None else streams[i]
                            for i, rng in zip(g.ids, g.rngs)]}
    rows = lambda a: torch.as_tensor(a[rows_out])  # fancy indexing: a copy
    return {"epoch": done, "params": params, "live": live,
            "best_loss": torch.as_tensor(best_loss.copy()), "wait": torch.as_tensor(wait.copy()),
            "loss": {split: rows(a) for split, a in history.loss.items()},
            "metrics": {name: {split: rows(a) for split, a in d.items()} for name, d in history.metrics.items()},
            "best_epoch": rows(history.best_epoch), "stopped_epoch": rows(history.stopped_epoch),
            "trajectory": None if traj is None else [cpu(t) for t in traj]}


def resume(group: Group, saved: dict, history: History, rows_out: np.ndarray, traj: list | None,
           best_loss: np.ndarray, wait: np.ndarray) -> tuple[Group | None, int]:
    """Load a :func:`snapshot` into ``group`` and the loop's state; the group still training
    (None: all stopped) and the epoch to continue from."""
    group.params.copy_(saved["params"])  # in place: the layer views W, b point into it
    for split, v in saved["loss"].items():
        history.loss[split][rows_out] = v.numpy()
    for name, d in saved["metrics"].items():
        for split, v in d.items():
            history.metrics[name][split][rows_out] = v.numpy()
    history.best_epoch[rows_out] = saved["best_epoch"].numpy()
    history.stopped_epoch[rows_out] = saved["stopped_epoch"].numpy()
    if traj is not None:
        traj[:] = [t.to(group.device) for t in saved["trajectory"]]
    best_loss[:] = saved["best_loss"].numpy()
    wait[:] = saved["wait"].numpy()
    live = saved["live"]
    ids = live["ids"].numpy()
    if not ids.size:
        return None, int(saved["epoch"])
    # A subset takes its evaluation rows and masks from this group's, as it did uninterrupted.
    for split in ("val", "test"):
        if split in group.split_rows:
            group.eval_inputs(split)
    g = group if len(ids) == group.R else group.subset(ids)
    g.state = {k: v.to(group.device) if torch.is_tensor(v) else v for k, v in live["optimizer"].items()}
    g.best = None if live["best"] is None else live["best"].to(group.device)
    for rng, state in zip(g.rngs, live["streams"]):
        rng.bit_generator.state = state
    return g, int(saved["epoch"])
