"""The study store: one SQLite file per study, one row per finished trial.

Each batch of finished trials is written in one transaction together with its
histories, so a run killed at any moment (SIGKILL included) loses at most the trials in
flight; running the same study again skips the finished ones (trials stored as failed,
a batch lost with its Ray worker after every retry, are trained again). A store made with a
different spec or different data is refused, never overwritten.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .spec import StudySpec

FILENAME = "study.sqlite"
SCHEMA = 1

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

    # ------------------------------------------------------------------ opening
    @classmethod
    def create_or_resume(cls, folder: str | Path, spec: StudySpec, data_fingerprint: str, info: dict[str, Any]) -> Store:
        """Open the study in ``folder``: a new one, or the same study to resume.

        Raises ``ValueError`` (and changes nothing) when the folder holds a study with a
        different spec or different data.
        """
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"expected --out to be a folder. Received: {folder}, which is a file.")
        path = study_path(folder)
        if path.exists():
            # Every check on a read-only connection: a refused store is left byte for byte as it was.
            with contextlib.closing(cls._read_only_check(folder, path)) as ro:
                checking = cls(path, ro)
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
                        "use another --out folder, or delete that one to start over."
                    )
                if checking.meta("fingerprint") != data_fingerprint:
                    raise ValueError(
                        f"{path} was made with different data (fingerprint {checking.meta('fingerprint')}, now {data_fingerprint}). "
                        "Nothing was changed: use another --out folder for the new data."
                    )
            return cls(path, cls._connect(path))
        folder.mkdir(parents=True, exist_ok=True)
        db = cls._connect(path)
        with db:
            db.executescript(_TABLES)
            rows = {"schema": str(SCHEMA), "spec": spec.to_json(), "fingerprint": data_fingerprint,
                    "created": time.strftime("%Y-%m-%d %H:%M:%S"), "info": json.dumps(info, default=str)}
            db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", rows.items())
        return cls(path, db)

    @classmethod
    def open_existing(cls, folder: str | Path) -> Store:
        path = study_path(folder)
        cls._read_only_check(folder, path).close()
        return cls(path, cls._connect(path))

    @staticmethod
    def _read_only_check(folder: str | Path, path: Path) -> sqlite3.Connection:
        """A read-only connection to a file known to be a study of this schema.

        Read-only first: setting WAL mode on a file that is not a study (an empty file, another
        program's database) would rewrite it, and on a file that is not SQLite at all it raises.
        """
        if not path.exists():
            raise ValueError(f"no study in {folder}: expected {path}. Run `losslab compare ... --out {folder}` first.")
        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        except sqlite3.Error as err:
            raise ValueError(f"{path} is not a losslab study ({err}).") from None
        try:
            schema = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.DatabaseError as err:
            db.close()
            raise ValueError(f"{path} is not a losslab study ({err}).") from None
        if schema is None or schema[0] != str(SCHEMA):
            db.close()
            found = "none" if schema is None else schema[0]
            raise ValueError(f"{path} is a study of another losslab version (schema {found}); expected schema {SCHEMA}.")
        return db

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=30)
        # WAL: a reader (losslab report) never blocks the running study, and a killed
        # writer leaves the last committed transaction intact.
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def close(self) -> None:
        self._db.close()

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
        return {tuple(r) for r in self._db.execute("SELECT loss, repeat, fold FROM trials WHERE status != 'failed'")}

    def trials(self) -> list[TrialResult]:
        rows = self._db.execute(
            "SELECT loss, repeat, fold, seed, n_train, n_test, metrics, history, status FROM trials ORDER BY loss, repeat, fold"
        )
        return [TrialResult(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), json.loads(r[7]), r[8]) for r in rows]

    # ------------------------------------------------------------------ writing
    def add(self, results: Iterable[TrialResult]) -> None:
        """Commit finished trials, all or none; a trial stored as failed is replaced."""
        results = list(results)
        now = time.time()
        with self._db:
            self._db.executemany("DELETE FROM trials WHERE loss = ? AND repeat = ? AND fold = ? AND status = 'failed'",
                                 [(r.loss, r.repeat, r.fold) for r in results])
            self._db.executemany(
                "INSERT INTO trials (loss, repeat, fold, seed, n_train, n_test, metrics, history, status, finished) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(r.loss, r.repeat, r.fold, r.seed, r.n_train, r.n_test, json.dumps(r.metrics), json.dumps(r.history),
                  r.status, now) for r in results],
            )

    def set_meta(self, key: str, value: str) -> None:
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


# ---------------------------------------------------------------------- mid-training checkpoints
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


def finished_in(folder: str | Path) -> set[tuple[str, int, int]]:
    """The finished trials of the study in ``folder``, read without writing anything; empty when
    there is no study there (or not a readable one: opening it to run says why)."""
    path = study_path(folder)
    if not path.exists():
        return set()
    try:
        with contextlib.closing(Store._read_only_check(folder, path)) as db:
            return Store(path, db).finished()
    except (ValueError, sqlite3.Error):
        return set()

