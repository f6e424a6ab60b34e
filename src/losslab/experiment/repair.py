"""A damaged study store: count what is still readable, and copy it into a fresh store.

SQLite stores a table as a B-tree keyed by rowid. When a page of it is damaged (a disk
error, a copy cut short, a stray write), a full scan stops at that page with "database
disk image is malformed", but a lookup of one rowid only walks the pages on its own path
from the root: every row on an undamaged leaf page can still be read. :func:`salvage`
reads each table that way, row by row, and keeps a trial only if its JSON columns decode.
:func:`repair` writes what it read into a fresh store in a new folder *beside* the
damaged one (``study-repaired/``); the damaged file is only ever opened read-only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .files import STORE_NAME, StudyLock, atomic_write, folder_writable

# Rowids are given in insertion order; when the table's largest rowid cannot be read, this
# many lookups in a row that find nothing (or fail) past the last row read end the search.
_PROBE_PAST = 2000


class DamagedStore(ValueError):
    """A study's store file is damaged; ``readable`` trials of it can still be read."""

    def __init__(self, message: str, readable: int | None = None) -> None:
        super().__init__(message)
        self.readable = readable


@dataclasses.dataclass
class Salvage:
    """What could be read from a store: every table's readable rows, and how many were not."""

    tables: dict[str, tuple[str, list[str], list[tuple]]]  # name -> (CREATE sql, columns, rows)
    indexes: list[str]  # CREATE INDEX statements
    unreadable: dict[str, int]

    @property
    def trials(self) -> int:
        return len(self.tables.get("trials", ("", [], []))[2])


def is_damage(err: BaseException) -> bool:
    """Whether a SQLite error says the file itself is damaged (not locked, not full, not missing)."""
    if not isinstance(err, sqlite3.DatabaseError):
        return False
    code = getattr(err, "sqlite_errorname", "")
    return code in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or "malformed" in str(err)


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to ``path``, also on a read-only folder or medium.

    SQLite reads a WAL database only with its ``-shm`` file, which it must be able to
    create: in a folder it cannot write, a store without a WAL file is opened with
    ``immutable=1``, and one with a WAL file (committed trials not yet copied into the main
    file) is read from a temporary copy of both files.
    """
    folder = path.parent
    wal = path.with_name(path.name + "-wal")
    copy_dir = None
    if folder_writable(folder):
        uri = f"{path.resolve().as_uri()}?mode=ro"
    elif wal.exists() and wal.stat().st_size > 0:
        copy_dir = tempfile.mkdtemp(prefix="losslab-readonly-")
        shutil.copy2(path, Path(copy_dir) / path.name)
        shutil.copy2(wal, Path(copy_dir) / wal.name)
        uri = f"{(Path(copy_dir) / path.name).as_uri()}?mode=ro"
    else:
        uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    db = sqlite3.connect(uri, uri=True, timeout=30)
    try:
        yield db
    finally:
        db.close()
        if copy_dir is not None:
            shutil.rmtree(copy_dir, ignore_errors=True)


def salvage(path: str | Path) -> Salvage:
    """Read every readable row of every table of the store at ``path`` (opened read-only).

    Raises :class:`DamagedStore` when not even the list of tables can be read.
    """
    path = Path(path)
    with read_only(path) as db:
        try:
            schema = db.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall()
        except sqlite3.DatabaseError as err:
            raise DamagedStore(f"{path} is damaged beyond repair: its list of tables is unreadable ({err}).", 0) from None
        tables, unreadable = {}, {}
        for kind, name, sql in schema:
            if kind != "table" or name.startswith("sqlite_"):
                continue
            columns = [r[1] for r in db.execute(f'PRAGMA table_info("{name}")')]
            rows, bad = _readable_rows(db, name)
            if name == "trials":
                rows, bad = _decodable_trials(columns, rows, bad)
            tables[name] = (sql, columns, rows)
            unreadable[name] = bad
        indexes = [sql for kind, _, sql in schema if kind == "index"]
    return Salvage(tables, indexes, unreadable)


def _readable_rows(db: sqlite3.Connection, table: str) -> tuple[list[tuple], int]:
    """Every row of ``table`` that can be read, in rowid order, and how many lookups failed."""
    quoted = f'"{table}"'
    try:  # an undamaged table: one scan
        return [tuple(r[1:]) for r in db.execute(f"SELECT rowid, * FROM {quoted} ORDER BY rowid")], 0
    except sqlite3.DatabaseError:
        pass
    try:
        last = db.execute(f"SELECT max(rowid) FROM {quoted}").fetchone()[0]
    except sqlite3.DatabaseError:
        last = None
    rows, bad, rowid, misses, trailing = [], 0, 0, 0, 0
    while (rowid < last) if last is not None else (misses < _PROBE_PAST):
        rowid += 1
        try:
            row = db.execute(f"SELECT * FROM {quoted} WHERE rowid = ?", (rowid,)).fetchone()
        except sqlite3.DatabaseError:
            bad += 1
            trailing += 1
            misses += 1
            continue
        if row is None:
            misses += 1
        else:
            rows.append(tuple(row))
            misses = trailing = 0
    if last is None:
        # Past the last row read, a failed lookup may be a lost row or no row at all: not counted.
        bad -= trailing
    return rows, bad


def _decodable_trials(columns: list[str], rows: list[tuple], bad: int) -> tuple[list[tuple], int]:
    """Trials whose metrics and history still decode as JSON objects (a damaged record may read as garbage)."""
    at = {c: columns.index(c) for c in ("metrics", "history") if c in columns}
    kept = []
    for row in rows:
        try:
            ok = all(isinstance(json.loads(row[i]), dict) for i in at.values())
        except (TypeError, ValueError):
            ok = False
        if ok:
            kept.append(row)
        else:
            bad += 1
    return kept, bad


def count_readable(path: str | Path) -> tuple[int, int]:
    """``(readable, unreadable)`` trials of a damaged store."""
    try:
        found = salvage(path)
    except DamagedStore:
        return 0, 0
    return found.trials, found.unreadable.get("trials", 0)


def looks_like_sqlite(path: Path) -> bool:
    """Whether ``path`` starts with SQLite's header (a damaged store, not some other file)."""
    try:
        with open(path, "rb") as f:
            return f.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def damaged(path: Path, err: object) -> DamagedStore:
    """The error for a damaged store at ``path``: how many trials can be read, and the call that copies them."""
    readable, unreadable = count_readable(path)
    folder = path.parent
    return DamagedStore(f"{path} is damaged (SQLite: {err}): {readable} trials are readable"
                        + (f", {unreadable} are not" if unreadable else "")
                        + f". Run repair({str(folder)!r}) to copy them into a fresh store beside it "
                        "(the damaged file is left as it is).", readable)


def repaired_folder(folder: Path) -> Path:
    """The first free ``<folder>-repaired``, ``<folder>-repaired-2``, ... beside ``folder``."""
    base = folder.resolve()
    candidate = base.with_name(f"{base.name}-repaired")
    n = 2
    while candidate.exists():
        candidate = base.with_name(f"{base.name}-repaired-{n}")
        n += 1
    return candidate


@dataclasses.dataclass(frozen=True)
class Repair:
    """What :func:`repair` did."""

    source: Path
    folder: Path
    trials: int
    unreadable: int


def repair(folder: str | Path, out: str | Path | None = None) -> Repair:
    """Copy the readable trials of the study in ``folder`` into a fresh store in ``out``.

    ``out`` defaults to a new folder beside ``folder`` (``<folder>-repaired``); it must not
    hold a study already. The damaged store is only read. The fresh store holds the same
    spec and data fingerprint, so running the study's command with ``--out`` pointing at it
    resumes the study and trains only the trials that were lost.

    Raises ``ValueError`` when there is no store, when its study description (spec, data
    fingerprint) is unreadable, or when ``out`` already holds a study.
    """
    folder = Path(folder)
    source = folder / STORE_NAME
    if not source.is_file():
        raise ValueError(f"no study in {folder}: expected {source}.")
    found = salvage(source)
    meta = found.tables.get("meta")
    keys = {row[0] for row in meta[2]} if meta else set()
    if not {"schema", "spec", "fingerprint"} <= keys:
        raise DamagedStore(f"{source} is damaged beyond repair: its study description (spec, data fingerprint) is unreadable, "
                           f"so its {found.trials} readable trial(s) cannot be attributed. Start the study again in a new folder.",
                           found.trials)
    target = Path(out) if out is not None else repaired_folder(folder)
    if (target / STORE_NAME).exists():
        raise ValueError(f"expected out to be a new folder. Received: out={target}, which holds a study already.")
    if target.resolve() == folder.resolve():
        raise ValueError(f"expected out to be another folder than the damaged study's. Received: out={target}.")
    target.mkdir(parents=True, exist_ok=True)
    with StudyLock(target):
        atomic_write(target / STORE_NAME, lambda tmp: _write(tmp, found))
    return Repair(source, target, found.trials, found.unreadable.get("trials", 0))


def _write(path: Path, found: Salvage) -> None:
    path.unlink(missing_ok=True)  # atomic_write's temporary file: SQLite makes its own
    db = sqlite3.connect(path)
    try:
        with db:
            for name, (sql, columns, rows) in found.tables.items():
                db.execute(sql)
                marks = ", ".join("?" * len(columns))
                db.executemany(f'INSERT OR IGNORE INTO "{name}" VALUES ({marks})', rows)
            for sql in found.indexes:
                db.execute(sql)
        # The study's journal mode, as a store made by losslab compare has.
        db.execute("PRAGMA journal_mode=WAL").fetchone()
    finally:
        db.close()
