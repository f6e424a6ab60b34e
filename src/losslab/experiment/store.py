"""The study store: one SQLite file per study, one row per finished trial.

Each batch of finished trials is written in one transaction together with its
histories, so a run killed at any moment (SIGKILL included) loses at most the trials in
flight; running the same study again skips the finished ones (trials stored as failed,
a batch lost with its Ray worker after every retry, are trained again). A store made with a
different spec or different data is refused, never overwritten.

Faults end in one line that says what is kept and what to do: a second writer (:class:`StudyBusy`: a study folder is locked while a process
writes to it), a damaged file (:class:`DamagedStore`, with ``losslab repair``: found and worded in
:mod:`~losslab.experiment.repair`), a full disk (:class:`DiskFull`: checked before a run
starts, and caught when a commit fails; :mod:`~losslab.experiment.space`), a
read-only folder (:class:`ReadOnlyStudy` to write; reading works), Ctrl-C
(:class:`Interrupted`). A new store is built under a temporary name and renamed into
place, so ``study.sqlite`` is never a half-made file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .files import LOCK_NAME, STORE_NAME, StudyBusy, StudyLock, folder_writable
from .repair import DamagedStore, damaged, is_damage, looks_like_sqlite, read_only
from .space import DiskFull, check_space, is_full, size_text, space_needed
from .spec import StudySpec

FILENAME = STORE_NAME
SCHEMA = 1
__all__ = ["FILENAME", "LOCK_NAME", "SCHEMA", "DamagedStore", "Interrupted", "ReadOnlyStudy", "Store", "StudyBusy",
           "TrialResult", "study_path"]

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
    loss TEXT NOT NULL,
    repeat INTEGER NOT NULL,
    fold INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    n_train INTEGER NOT NULL,
    n_test INTEGER NOT NULL,
    metrics TEXT NOT NULL,
    history TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'ok',
    finished REAL NOT NULL,
    PRIMARY KEY (loss, repeat, fold)
);
"""


@dataclasses.dataclass(frozen=True)
class TrialResult:
    """One finished trial: a loss trained on one (repeat, fold) with one seed, scored on its held-out rows."""

    loss: str
    repeat: int
    fold: int
    seed: int
    n_train: int
    n_test: int
    metrics: dict[str, float]
    history: dict[str, list[float]]
    status: str = "ok"


def study_path(folder: str | Path) -> Path:
    return Path(folder) / FILENAME


def _changed_custom_losses(stored: StudySpec, new: StudySpec) -> str:
    """``"the custom loss 'my.py:f' (helpers.py changed)"`` when the studies differ only in the
    versions of their custom losses; ``""`` otherwise."""
    from ..losses.identity import changes

    old_c, new_c = stored.candidates, new.candidates
    if stored.differences(new, ignore=("candidates",)) or [(c.name, c.params) for c in old_c] != [(c.name, c.params) for c in new_c]:
        return ""
    parts = []
    for a, b in zip(old_c, new_c):
        if a.origin != b.origin:
            # A study from before per-file hashes recorded only the total: no file can be named then.
            what = (changes(dict(a.sources), dict(b.sources)) if a.sources else []) or ["its source hash changed"]
            parts.append(f"the custom loss {a.name!r} ({', '.join(what)})")
    return "; ".join(parts)


class Store:
    """A study's SQLite file. Use :meth:`create_or_resume` or :meth:`open_existing`."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection
        self._lock: StudyLock | None = None
        self._closing: contextlib.ExitStack | None = None
        # Set by :meth:`expect`: what a full disk's message says the rest needs.
        self._total: int | None = None
        self._per_trial: int | None = None

    # ------------------------------------------------------------------ opening
    @classmethod
    def create_or_resume(cls, folder: str | Path, spec: StudySpec, data_fingerprint: str, info: dict[str, Any]) -> Store:
        """Open the study in ``folder`` to write: a new one, or the same study to resume.

        The folder is locked (:class:`~losslab.experiment.files.StudyLock`) until
        :meth:`close`. Raises ``ValueError`` (and changes nothing) when the folder holds a
        study with a different spec or different data, a damaged store
        (:class:`DamagedStore`), when another process writes to it (:class:`StudyBusy`)
        or when it cannot be written (:class:`ReadOnlyStudy`).
        """
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"compare: expected out to be a folder. Received: out={str(folder)!r}, which is a file.")
        path = study_path(folder)
        if path.exists():
            # Every check on a read-only connection: a refused store is left byte for byte as it was.
            cls._check_same(folder, path, spec, data_fingerprint, integrity=True)
        folder.mkdir(parents=True, exist_ok=True)
        if not folder_writable(folder):
            cls._refuse_read_only(folder, path)
        lock = StudyLock(folder).acquire()
        try:
            if path.exists():
                # Again under the lock: another process may have made it since the first look.
                cls._check_same(folder, path, spec, data_fingerprint, integrity=False)
            else:
                cls._create(path, spec, data_fingerprint, info)
            store = cls(path, cls._connect(path))
        except BaseException:
            lock.release()
            raise
        store._lock = lock
        return store

    @classmethod
    def open_existing(cls, folder: str | Path) -> Store:
        """Open the study in ``folder`` to read it (read-only: also on a read-only folder or medium)."""
        path = study_path(folder)
        with contextlib.ExitStack() as stack:
            db = stack.enter_context(cls._read_only_check(folder, path))
            store = cls(path, db)
            store._closing = stack.pop_all()
        return store

    @classmethod
    def _check_same(cls, folder: Path, path: Path, spec: StudySpec, data_fingerprint: str, *, integrity: bool) -> None:
        with cls._read_only_check(folder, path) as ro:
            checking = cls(path, ro)
            if integrity:
                checking._check_integrity()
            stored = checking.spec()
            changed = _changed_custom_losses(stored, spec)
            if changed:
                raise ValueError(
                    f"{path} was made with another version of {changed}. Nothing was changed: a study never mixes "
                    "two versions of a loss. To train the new version, start a new study in another folder (out=...), "
                    "or delete this one; to resume this study, restore the old code."
                )
            diffs = stored.differences(spec)
            if diffs:
                raise ValueError(
                    f"{path} holds a different study ({'; '.join(diffs)}). Nothing was changed: "
                    "use another folder (out=...), or delete that one to start over."
                )
            if checking.meta("fingerprint") != data_fingerprint:
                raise ValueError(
                    f"{path} was made with different data (fingerprint {checking.meta('fingerprint')}, now {data_fingerprint}). "
                    "Nothing was changed: use another folder for the new data (out=...)."
                )

    @staticmethod
    def _create(path: Path, spec: StudySpec, data_fingerprint: str, info: dict[str, Any]) -> None:
        """Build the new store under a temporary name, then rename it: ``study.sqlite`` exists only whole."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            leftover.unlink(missing_ok=True)
        try:
            db = sqlite3.connect(tmp, timeout=30)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                with db:
                    db.executescript(_TABLES)
                    rows = {"schema": str(SCHEMA), "spec": spec.to_json(), "fingerprint": data_fingerprint,
                            "created": time.strftime("%Y-%m-%d %H:%M:%S"), "info": json.dumps(info, default=str)}
                    db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", rows.items())
            finally:
                db.close()  # the last connection: SQLite folds its WAL into the file
            os.replace(tmp, path)
        except sqlite3.OperationalError as err:
            tmp.unlink(missing_ok=True)
            if is_full(err):
                raise DiskFull(f"the disk holding {path.parent} is full: not even an empty study fits "
                               f"({shutil.disk_usage(path.parent).free} bytes free). Free some space, or use another folder (out=...).") from None
            raise
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    @staticmethod
    @contextlib.contextmanager
    def _read_only_check(folder: str | Path, path: Path):
        """A read-only connection to a file known to be a study of this schema (a context manager).

        Read-only first: setting WAL mode on a file that is not a study (an empty file, another
        program's database) would rewrite it, and on a file that is not SQLite at all it raises.
        """
        if not path.exists():
            raise ValueError(f"no study in {folder}: expected {path}. Make one first with compare(..., out={str(folder)!r}).")
        try:
            opened = read_only(path)
            db = opened.__enter__()
        except sqlite3.Error as err:
            raise ValueError(f"{path} is not a losslab study ({err}).") from None
        try:
            try:
                schema = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            except sqlite3.DatabaseError as err:
                if is_damage(err) and looks_like_sqlite(path):
                    raise damaged(path, err) from None
                raise ValueError(f"{path} is not a losslab study ({err}).") from None
            if schema is None or schema[0] != str(SCHEMA):
                found = "none" if schema is None else schema[0]
                raise ValueError(f"{path} is a study of another losslab version (schema {found}); expected schema {SCHEMA}.")
            yield db
        finally:
            opened.__exit__(None, None, None)

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=30)
        # WAL: a reader (losslab report) never blocks the running study, and a killed
        # writer leaves the last committed transaction intact.
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def close(self) -> None:
        try:
            self._db.close()
        finally:
            if self._closing is not None:
                self._closing.close()
            if self._lock is not None:
                self._lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ reading
    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def spec(self) -> StudySpec:
        return StudySpec.from_dict(json.loads(self.meta("spec")))

    def info(self) -> dict[str, Any]:
        return json.loads(self.meta("info") or "{}")

    def finished(self) -> set[tuple[str, int, int]]:
        """(loss, repeat, fold) of every trial already stored, except failed ones (a run trains them again)."""
        with self._reading():
            return {tuple(r) for r in self._db.execute("SELECT loss, repeat, fold FROM trials WHERE status != 'failed'")}

    def count(self) -> int:
        """How many trials are stored (failed ones included)."""
        with self._reading():
            return self._db.execute("SELECT COUNT(*) FROM trials").fetchone()[0]

    def trials(self) -> list[TrialResult]:
        with self._reading():
            rows = self._db.execute(
                "SELECT loss, repeat, fold, seed, n_train, n_test, metrics, history, status FROM trials ORDER BY loss, repeat, fold"
            ).fetchall()
            try:
                return [TrialResult(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), json.loads(r[7]), r[8]) for r in rows]
            except ValueError as err:  # a record that reads but no longer decodes: damage too
                raise damaged(self.path, err) from None

    # ------------------------------------------------------------------ writing
    def add(self, results: Iterable[TrialResult]) -> None:
        """Commit finished trials, all or none; a trial stored as failed is replaced."""
        results = list(results)
        now = time.time()
        try:
            with self._db:
                self._db.executemany("DELETE FROM trials WHERE loss = ? AND repeat = ? AND fold = ? AND status = 'failed'",
                                     [(r.loss, r.repeat, r.fold) for r in results])
                self._db.executemany(
                    "INSERT INTO trials (loss, repeat, fold, seed, n_train, n_test, metrics, history, status, finished) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(r.loss, r.repeat, r.fold, r.seed, r.n_train, r.n_test, json.dumps(r.metrics), json.dumps(r.history),
                      r.status, now) for r in results],
                )
        except sqlite3.OperationalError as err:
            if is_full(err):  # the transaction was rolled back: every earlier commit stays
                raise self._disk_full(len(results)) from None
            raise
        except sqlite3.DatabaseError as err:
            if is_damage(err):
                raise damaged(self.path, err) from None
            raise

    def set_meta(self, key: str, value: str) -> None:
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # ------------------------------------------------------------------ faults
    @contextlib.contextmanager
    def _reading(self):
        """Reads of a damaged file end in :class:`DamagedStore` (with what is readable), not a SQLite error."""
        try:
            yield
        except sqlite3.DatabaseError as err:
            if is_damage(err):
                raise damaged(self.path, err) from None
            raise

    def _check_integrity(self) -> None:
        """SQLite's quick check (every page, no index cross-check): a damaged store is refused
        before a run adds to it. A read skips pages it does not need, so resuming needs this."""
        with self._reading():
            problems = [r[0] for r in self._db.execute("PRAGMA quick_check(5)")]
        if problems != ["ok"]:
            raise damaged(self.path, problems[0])

    @staticmethod
    def _refuse_read_only(folder: Path, path: Path) -> None:
        held = ""
        if path.exists():
            with contextlib.suppress(ValueError, sqlite3.Error), Store.open_existing(folder) as store:
                # Both spellings: the store cannot tell whether Python or the command line opened it.
                held = (f" its {store.count()} trials can be read and reported elsewhere (load_study({str(folder)!r}).report(path); "
                        f"`losslab report {folder} --out FILE`), but")
        raise ReadOnlyStudy(f"{folder} is read-only (a read-only medium, or no permission to write):{held} a run cannot "
                            "store trials there. Copy the folder somewhere writable and use that (out=...).")

    def expect(self, total: int, per_trial_bytes: int) -> None:
        """Tell the store how many trials the study has and how large one is (see :func:`trial_bytes`),
        so that a full disk's message says what the rest needs."""
        self._total, self._per_trial = total, per_trial_bytes

    def check_space(self, todo: int) -> None:
        """Refuse to start when the disk clearly cannot hold ``todo`` more trials (raises :class:`DiskFull`)."""
        if self._per_trial is not None:
            check_space(self.path.parent, todo, self._per_trial)

    def _disk_full(self, lost: int) -> DiskFull:
        stored = self.count()
        left = (self._total - stored) if self._total is not None else None
        free = shutil.disk_usage(self.path.parent).free
        rest = ""
        if left is not None and self._per_trial is not None:
            rest = f" the {left} trials left need about {size_text(space_needed(left, self._per_trial))} ({size_text(free)} free now);"
        return DiskFull(f"the disk holding {self.path.parent} is full: the {stored} trials stored so far are kept (the "
                        f"{lost} just trained were not stored);{rest} free some space, then run the same command to resume.")


# ---------------------------------------------------------------------- faults
class ReadOnlyStudy(ValueError):
    """A run needs to write to a study folder that cannot be written."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run: every trial committed before it stays stored."""

    def __init__(self, stored: int, folder: Path) -> None:
        super().__init__(f"interrupted: {stored} trials stored in {folder}; run the same command to resume.")
        self.stored = stored
        self.folder = folder


def finished_in(folder: str | Path) -> set[tuple[str, int, int]]:
    """The finished trials of the study in ``folder``, read without writing anything; empty when
    there is no study there (or not a readable one: opening it to run says why)."""
    path = study_path(folder)
    if not path.exists():
        return set()
    try:
        with Store._read_only_check(folder, path) as db:  # a context manager that closes what it opened
            return Store(path, db).finished()
    except (ValueError, sqlite3.Error):
        return set()

