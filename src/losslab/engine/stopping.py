"""Early stopping as Keras' ``EarlyStopping(monitor="val_loss", restore_best_weights=True)``,
replicate by replicate inside a lockstep group.

After each epoch a replicate whose validation loss improved has its weights copied into
the group's best-weights buffer (copy-on-improve: never every epoch's weights); a replicate
that has waited ``patience`` epochs without improving stops, its best weights are put back
into the group as it started, and the group goes on without it (the batch shrinks).

A replicate with its own number of epochs (``Replicate.epochs``, a refit) stops when it has
trained them, with its weights as they are (:func:`stop_at_limit`).

One job: the decision after an epoch and the best-weights bookkeeping. Imports the
engine's ``history`` and ``lockstep``.
"""

from __future__ import annotations

import numpy as np
import torch

from .history import History
from .lockstep import Group


def stop_early(group: Group, g: Group, epoch: int, epochs: int, patience: int, history: History, rows_out: np.ndarray,
               best_loss: np.ndarray, wait: np.ndarray, progress) -> Group | None:
    """Early stopping after ``epoch``: keep the improved replicates' weights, put the stopped
    ones' best weights back into ``group`` (the group as it started); ``g`` is the group still
    training, and the result the group that goes on (None: all stopped)."""
    val = history.loss["val"][rows_out[g.ids], epoch]
    alive = g.ids
    improved = val < best_loss[alive]  # NaN is no improvement, as in Keras
    best_loss[alive[improved]] = val[improved]
    wait[alive] = np.where(improved, 0, wait[alive] + 1)
    history.best_epoch[rows_out[alive[improved]]] = epoch
    if improved.any():
        # Copy-on-improve: only the replicates that improved, never every epoch's weights.
        k = torch.as_tensor(np.flatnonzero(improved), device=g.device)
        for dst, src in zip(g.layout(g.best), g.layout(g.params)):
            dst.index_copy_(0, k, src.index_select(0, k))
    stop = (wait[alive] >= patience) & (epoch > 0) if epoch < epochs - 1 else np.ones(g.R, dtype=bool)
    if not stop.any():
        return g
    history.stopped_epoch[rows_out[alive[stop]]] = epoch
    # restore_best_weights: the stopped replicates' best weights go back into the group as
    # it started, which evaluates everyone once at the end (one call, not one per stop).
    idx = np.flatnonzero(stop)
    group.put(g.gather(g.best, torch.as_tensor(idx, device=g.device)), g.ids[idx])
    if progress is not None and epoch < epochs - 1:
        progress(len(idx) * (epochs - epoch - 1))  # epochs they will not train: the bar still ends full
    if stop.all():
        return None
    return g.subset(np.flatnonzero(~stop))


def stop_at_limit(group: Group, g: Group, epoch: int, epochs: int, limits: np.ndarray, history: History,
                  rows_out: np.ndarray, progress) -> Group | None:
    """After ``epoch``, the replicates whose own number of epochs (``limits``) is reached stop
    with their weights as they are, put back into ``group``; the result is the group still
    training (None: all stopped)."""
    stop = limits[g.ids] <= epoch + 1
    if not stop.any():
        return g
    done = rows_out[g.ids[stop]]
    history.stopped_epoch[done] = epoch
    history.best_epoch[done] = epoch  # no early stopping: the model is its last epoch's
    idx = np.flatnonzero(stop)
    if g is not group:
        group.put(g.gather(g.params, torch.as_tensor(idx, device=g.device)), g.ids[idx])
    if progress is not None and epoch < epochs - 1:
        progress(len(idx) * (epochs - epoch - 1))
    if stop.all():
        return None
    return g.subset(np.flatnonzero(~stop))
