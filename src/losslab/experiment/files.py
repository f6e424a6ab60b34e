"""How losslab writes files without losing anything a user stored.

Three rules, each in one function here:

- :func:`atomic_write`: every file is written to a temporary file in the same folder and
  moved over its name with :func:`os.replace` (atomic on POSIX), so a reader, a crash or a
  full disk never sees half a report, and a failed write leaves the old file as it was.
- :func:`check_output`: losslab never writes over a study's store (``study.sqlite``, its
  journal files, its lock, a suite's ``suite.json``), with or without ``force``; and never
  over an existing file it did not write itself, unless ``force``. What losslab wrote into
  a study folder is recorded with its SHA-256 in that folder's ``.losslab-written.json``,
  so the default ``report.html`` of a study can be redrawn, but a file the user put there,
  or edited since, is refused.
- :class:`StudyLock`: a study folder is locked with an OS file lock (``fcntl.flock`` on
  ``study.lock``) while a process writes to it; the holder's pid is written into the lock
  file so that a second process can say who holds it. The kernel drops the lock when its
  holder exits, however it exits (SIGKILL included), so a lock is never left stale.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

STORE_NAME = "study.sqlite"
LOCK_NAME = "study.lock"
SUITE_MANIFEST = "suite.json"
LEDGER_NAME = ".losslab-written.json"
# The files that make up a study's store (SQLite's journal files included) or a suite's
# list of studies: losing or overwriting one loses trials.
STORE_FILES = (STORE_NAME, f"{STORE_NAME}-wal", f"{STORE_NAME}-shm", f"{STORE_NAME}-journal", LOCK_NAME, SUITE_MANIFEST,
               LEDGER_NAME)


class StudyBusy(ValueError):
    """Another process holds the study folder's lock."""


class OutputRefused(ValueError):
    """losslab will not write to ``path``: ``kind`` is ``"folder"`` (a folder), ``"store"`` (a
    study's store file) or ``"exists"`` (an existing file losslab did not write; ``force`` allows it)."""

    def __init__(self, message: str, path: Path, kind: str) -> None:
        super().__init__(message)
        self.path = path
        self.kind = kind


# ---------------------------------------------------------------------- atomic writes
def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` to write a temporary file beside ``path``, then move it onto ``path``.

    The temporary file is flushed to disk before the rename, so after a crash ``path`` holds
    either the old content or the whole new one. On any error the temporary file is removed
    and ``path`` is left as it was. Returns ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        # mkstemp makes the file 0600; a report is as readable as any file the user writes.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """:func:`atomic_write` of UTF-8 text."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


# ---------------------------------------------------------------------- what may be written
def is_study_folder(folder: Path) -> bool:
    """A folder that holds a study's store or a suite's manifest."""
    return (folder / STORE_NAME).exists() or (folder / SUITE_MANIFEST).exists()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _ledger(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / LEDGER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def wrote_it(path: Path) -> bool:
    """Whether ``path`` holds exactly what losslab last wrote there (per its folder's ledger)."""
    recorded = _ledger(path.parent).get(path.name)
    return recorded is not None and path.is_file() and _sha256(path) == recorded


def check_output(path: str | Path, *, force: bool = False, argument: str = "path") -> Path:
    """Refuse to write to ``path`` when it would destroy something; return it resolved.

    Refused always (``force`` does not apply): a folder; a file named like a study's store
    files (:data:`STORE_FILES`), the store itself through a symbolic link included. Refused
    unless ``force``: an existing file that losslab did not write (or that changed since).
    ``argument`` names the caller's Python argument in the message (default ``path``); the
    command line writes it as its flag (``losslab.cli.errors``).
    """
    given = Path(path)
    resolved = given.resolve()
    if resolved.is_dir():
        raise OutputRefused(f"expected {argument} to be a file to write. Received: {argument}={given}, which is a folder.",
                            given, "folder")
    if resolved.name in STORE_FILES:
        raise OutputRefused(f"refusing to write {given}: that name belongs to a losslab study's store, and writing over it "
                            f"would lose its trials. Received: {argument}={given}. Choose another file name.", given, "store")
    if resolved.exists() and not force and not wrote_it(resolved):
        raise OutputRefused(f"refusing to write over {given}: the file exists and losslab did not write it (or it changed "
                            f"since). Received: {argument}={given}. Choose a new file name, or pass force=True to replace it.",
                            given, "exists")
    return resolved


def write_output(path: str | Path, write: Callable[[Path], object], *, force: bool = False,
                 argument: str = "path") -> Path:
    """:func:`check_output`, then :func:`atomic_write`; what lands in a study folder is recorded
    in its ledger so that losslab may replace it next time. Returns ``path`` as given."""
    given = Path(path)
    resolved = check_output(given, force=force, argument=argument)
    atomic_write(resolved, write)
    if is_study_folder(resolved.parent):
        _record(resolved)
    return given


def _record(path: Path) -> None:
    ledger = _ledger(path.parent)
    ledger[path.name] = _sha256(path)
    atomic_write_text(path.parent / LEDGER_NAME, json.dumps(ledger, indent=1, sort_keys=True))


def folder_writable(folder: str | Path) -> bool:
    """Whether files can be created in ``folder`` (a read-only mount, or no write permission, says no)."""
    folder = Path(folder)
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    # os.access does not see a read-only mount for root on every system: try.
    try:
        fd, name = tempfile.mkstemp(prefix=".losslab-probe-", dir=folder)
    except OSError:
        return False
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(name)
    return True


# ---------------------------------------------------------------------- the study lock
class StudyLock:
    """An exclusive OS lock on a study folder while this process writes to it.

    Use :meth:`acquire` (or ``with StudyLock(folder):``). A second process gets
    :class:`StudyBusy` naming the holder's pid at once; it never waits.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> StudyLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(fd)
            if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise StudyBusy(f"{self.folder} is in use by {self.holder()}: two runs cannot write one study at once. "
                            "Wait for it to finish (or stop it), or use another folder (out=...).") from None
        try:
            # Ours: say who holds it (rewritten in place: a reader sees it whole, or empty for an instant).
            record = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "since": time.strftime("%Y-%m-%d %H:%M:%S"),
                                 "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:2]]) if sys.argv else ""})
            os.ftruncate(fd, 0)
            os.pwrite(fd, record.encode(), 0)
        except BaseException:
            os.close(fd)  # and the lock with it
            raise
        self._fd = fd
        return self

    def holder(self) -> str:
        """``process 1234 (losslab compare, since ...)`` from the lock file, as well as it can be read."""
        try:
            info = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            info = {}
        if not info.get("pid"):
            return "another process"
        where = "" if info.get("host") in (None, socket.gethostname()) else f" on {info['host']}"
        command = f"{info['command']}, " if info.get("command") else ""
        return f"process {info['pid']}{where} ({command}since {info.get('since', '?')})"

    def release(self) -> None:
        if self._fd is not None:
            # The record stays: it names the last holder; the lock itself goes with the descriptor.
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> StudyLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
