"""Mid-training checkpoints of a chunk of trials, kept in the study's store.

A chunk is committed when it finishes (:mod:`losslab.experiment.runner`); one whose
training runs longer than a minute (a huge table, ``--epochs 100000``) would lose all of it
to a kill. While it trains, the engine calls :meth:`StoreCheckpoints.epoch_done` after every
epoch; at most every :data:`CHECKPOINT_SECONDS` this saves the engine's state (weights,
optimizer state, early-stopping state and which replicates still train, random-stream
positions, learning curves so far) to the store in one transaction. A resumed run trains the same chunk again (the store remembers its splits),
and the engine continues from the saved epoch: the same numbers as an uninterrupted run
(bit for bit on the same machine: the same operations on the same values).
"""

from __future__ import annotations

import io
import json
import sqlite3
import time
from collections.abc import Callable, Sequence

from .store import Store

CHECKPOINT_SECONDS = 60.0


def chunk_key(units: int, labels: Sequence[str], splits: Sequence) -> str:
    """Names a chunk: its output width, its losses and its (repeat, fold) splits."""
    return f"{units}|{','.join(labels)}|" + ";".join(f"{s.repeat}.{s.fold}" for s in splits)


class StoreCheckpoints:
    """The engine's :class:`~losslab.engine.trainer.Checkpoints`, saved in a study's store.

    Parameters
    ----------
    store : Store
    chunk : str
        The chunk's key (:func:`chunk_key`); its splits are saved beside the state so that a
        resumed run trains the same chunk.
    splits : list
        ``[[repeat, fold], ...]``.
    every : float, optional
        Seconds of training between two saves (default :data:`CHECKPOINT_SECONDS`).
    """

    def __init__(self, store: Store, chunk: str, splits: list, *, every: float | None = None) -> None:
        self.store, self.chunk, self.splits = store, chunk, splits
        self.every = CHECKPOINT_SECONDS if every is None else every
        self.last = time.monotonic()
        self.saves = 0
        blob = load_checkpoint(store, chunk)
        # One state per lockstep group of the chunk (groups train one after another).
        self.states: dict[str, dict] = _decode(blob) if blob is not None else {}
        self.resumed = {key: state["epoch"] for key, state in self.states.items()}

    def restore(self, key: str) -> dict | None:
        return self.states.get(key)

    def epoch_done(self, key: str, epoch: int, state: Callable[[], dict]) -> None:
        if time.monotonic() - self.last < self.every:
            return
        self.states[key] = state()
        save_checkpoint(self.store, self.chunk, self.splits, _encode(self.states))
        self.saves += 1
        self.last = time.monotonic()


def _encode(states: dict) -> bytes:
    import torch

    buffer = io.BytesIO()
    torch.save(states, buffer)
    return buffer.getvalue()


def _decode(blob: bytes) -> dict:
    import torch

    # weights_only: tensors, numbers, strings, lists and dicts; nothing executable is loaded.
    return torch.load(io.BytesIO(blob), weights_only=True)


# ---------------------------------------------------------------------- the checkpoints table
# A chunk of trials whose training is under way saves its engine state here (one row per chunk,
# replaced atomically by each save) and drops it when its trials are committed.
_CHECKPOINTS = """
CREATE TABLE IF NOT EXISTS checkpoints (
    chunk TEXT PRIMARY KEY,
    splits TEXT NOT NULL,
    state BLOB NOT NULL,
    saved REAL NOT NULL
);
"""


def save_checkpoint(store: Store, chunk: str, splits: list, state: bytes) -> None:
    """Replace chunk ``chunk``'s saved state in one transaction (a kill keeps the old or the new)."""
    with store._db:
        store._db.executescript(_CHECKPOINTS)
        store._db.execute("INSERT OR REPLACE INTO checkpoints (chunk, splits, state, saved) VALUES (?, ?, ?, ?)",
                          (chunk, json.dumps(splits), sqlite3.Binary(state), time.time()))


def _has_checkpoints(store: Store) -> bool:
    return store._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'checkpoints'").fetchone() is not None


def load_checkpoint(store: Store, chunk: str) -> bytes | None:
    if not _has_checkpoints(store):
        return None
    row = store._db.execute("SELECT state FROM checkpoints WHERE chunk = ?", (chunk,)).fetchone()
    return None if row is None else bytes(row[0])


def checkpointed_chunks(store: Store) -> dict[str, list]:
    """Chunk key -> its splits as saved, for every chunk with a saved state."""
    if not _has_checkpoints(store):
        return {}
    return {k: json.loads(v) for k, v in store._db.execute("SELECT chunk, splits FROM checkpoints")}


def drop_checkpoint(store: Store, chunk: str) -> None:
    if _has_checkpoints(store):
        with store._db:
            store._db.execute("DELETE FROM checkpoints WHERE chunk = ?", (chunk,))
