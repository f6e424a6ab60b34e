"""Reading a study's store from outside, as a second process sees it while a run writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def count_rows(path: Path, table: str = "trials", *, timeout: float = 5) -> int:
    """Rows committed to ``table`` of the store at ``path``, read-only (0 before the file or its
    tables exist: a store being created)."""
    if not path.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout)
        try:
            return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0
