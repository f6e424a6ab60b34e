"""Disk space for a study: how much a stored trial takes, whether the disk can hold the trials
left (checked before a run starts), and :class:`DiskFull`, raised then or when a commit
finds the disk full (:mod:`losslab.experiment.store`).
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path


class DiskFull(OSError):
    """The disk cannot hold the study's trials: before a run (an estimate) or when a commit failed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.errno = errno.ENOSPC


# Bytes per stored value of a learning curve (``0.6931472, ``; longer for large losses) and
# per trial for its key, metrics and SQLite's record overhead. Measured: iris, 4 curves of
# 100 epochs, 5.3 kB per trial (estimate 6.0); diabetes, 2 curves of 300 epochs, 8.8 kB (8.8).
_CURVE_VALUE_BYTES = 14
_TRIAL_OVERHEAD_BYTES = 400


def trial_bytes(epochs: int, curves: int, metrics: int) -> int:
    """Estimated bytes one stored trial takes: ``curves`` learning curves of ``epochs`` values
    and ``metrics`` held-out metrics."""
    return _TRIAL_OVERHEAD_BYTES + curves * epochs * _CURVE_VALUE_BYTES + metrics * 40


def check_space(folder: str | Path, todo: int, per_trial: int) -> None:
    """Raise :class:`DiskFull` when the disk that holds (or will hold) ``folder`` clearly
    cannot take ``todo`` trials of ``per_trial`` bytes (see :func:`space_needed`)."""
    if todo <= 0:
        return
    where = Path(folder).absolute()
    while not where.exists():  # a study folder not made yet: the disk of its nearest parent
        where = where.parent
    need = space_needed(todo, per_trial)
    free = shutil.disk_usage(where).free
    if free < need:
        raise DiskFull(f"not enough disk space for this study in {folder}: its {todo} trials to train need about "
                       f"{size_text(need)} ({size_text(per_trial)} per trial, mostly learning curves), and the disk has "
                       f"{size_text(free)} free. Free some space, or use a folder on another disk (out=...).")


def space_needed(trials: int, per_trial: int) -> int:
    """Disk space for ``trials`` more trials: their records with pages ~80% full, plus the
    write-ahead log, which holds what was written since SQLite's last checkpoint (every
    1,000 pages, ~4 MB): at most as much again, and at most ~4 MB."""
    data = trials * per_trial * 1.25
    return int(data + min(data, 4 * 2**20))


def size_text(n: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def is_full(err: sqlite3.Error) -> bool:
    return getattr(err, "sqlite_errorname", "") == "SQLITE_FULL" or "database or disk is full" in str(err)
