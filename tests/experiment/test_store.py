"""Tests for losslab.experiment.store: a new study, resume, refusals that change nothing, SIGKILL."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import sqlite3
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from killed import run_and_kill  # tests/experiment/killed.py
from stored import count_rows  # tests/experiment/stored.py

import losslab
from losslab.experiment import files as files_mod
from losslab.experiment import repair as repair_mod
from losslab.experiment.spec import Candidate, Model, Resampling, StudySpec
from losslab.experiment.store import (
    FILENAME,
    DamagedStore,
    DiskFull,
    Interrupted,
    ReadOnlyStudy,
    Store,
    StudyBusy,
    TrialResult,
)


def small_spec(**changes) -> StudySpec:
    fields = dict(data="arrays", target=("y",), candidates=(Candidate.parse("bce"), Candidate.parse("hinge")),
                  metric="accuracy", resampling=Resampling.from_cli(repeats=2, cv=None), model=Model(hidden=(4,), epochs=3))
    fields.update(changes)
    return StudySpec(**fields)


def trial(loss: str, repeat: int, fold: int = 0, accuracy: float = 0.5) -> TrialResult:
    return TrialResult(loss, repeat, fold, seed=11, n_train=30, n_test=10, metrics={"accuracy": accuracy},
                       history={"loss_train": [0.7, 0.6], "loss_test": [0.71, 0.65]})


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def binary_arrays(n: int = 48, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(int)
    return X, y


STUDY = dict(losses=["bce", "hinge"], repeats=2, epochs=3, hidden=(4,), batch_size=8)


# ---------------------------------------------------------------------- the store itself
def test_new_store_keeps_spec_fingerprint_and_trials(tmp_path):
    spec = small_spec()
    folder = tmp_path / "new" / "study"
    with Store.create_or_resume(folder, spec, "abc123", {"rows": 40}) as store:
        assert store.path == folder / FILENAME and store.path.exists()
        assert store.spec() == spec
        assert store.meta("fingerprint") == "abc123"
        assert store.info() == {"rows": 40}
        assert store.finished() == set() and store.trials() == []
        store.add([trial("binary_crossentropy", 0), trial("hinge", 0, accuracy=0.75)])
        assert store.finished() == {("binary_crossentropy", 0, 0), ("hinge", 0, 0)}
        assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with Store.create_or_resume(folder, spec, "abc123", {"rows": 40}) as store:
        assert store.trials() == [trial("binary_crossentropy", 0), trial("hinge", 0, accuracy=0.75)]


def test_a_batch_is_committed_all_or_none(tmp_path):
    with Store.create_or_resume(tmp_path, small_spec(), "f", {}) as store:
        store.add([trial("hinge", 0)])
        # The second row repeats a finished trial: the PRIMARY KEY refuses it, and the
        # first row of the same batch goes with it.
        with pytest.raises(sqlite3.IntegrityError):
            store.add([trial("hinge", 1), trial("hinge", 0)])
        assert store.finished() == {("hinge", 0, 0)}


def test_out_that_is_a_file_is_refused(tmp_path):
    path = tmp_path / "results.txt"
    path.write_text("mine")
    with pytest.raises(ValueError, match="expected out to be a folder. Received: out="):
        Store.create_or_resume(path, small_spec(), "f", {})
    assert path.read_text() == "mine"


def test_open_existing_without_a_study(tmp_path):
    with pytest.raises(ValueError, match="no study in"):
        Store.open_existing(tmp_path)
    with pytest.raises(ValueError, match="no study in"):
        losslab.load_study(tmp_path)


def _sqlite_of_another_program(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (text TEXT)")
    db.execute("INSERT INTO notes VALUES ('keep me')")
    db.commit()
    db.close()


@pytest.mark.parametrize("kind", ["text", "empty", "other_sqlite"])
def test_a_file_that_is_not_a_study_is_refused_and_left_alone(tmp_path, kind):
    path = tmp_path / FILENAME
    if kind == "text":
        path.write_text("these are my notes, not a database\n")
    elif kind == "empty":
        path.write_bytes(b"")
    else:
        _sqlite_of_another_program(path)
    before = sha(path)
    X, y = binary_arrays()
    with pytest.raises(ValueError, match=f"{FILENAME} is not a losslab study"):
        losslab.compare(X, y, out=tmp_path, **STUDY)
    with pytest.raises(ValueError, match=f"{FILENAME} is not a losslab study"):
        losslab.load_study(tmp_path)
    assert sha(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [FILENAME]


def test_a_store_of_another_schema_is_refused(tmp_path):
    with Store.create_or_resume(tmp_path, small_spec(), "f", {}) as store:
        store.set_meta("schema", "99")
    with pytest.raises(ValueError, match="schema 99"):
        Store.open_existing(tmp_path)


# ---------------------------------------------------------------------- through compare
def stored_rows(folder: Path) -> list[tuple]:
    db = sqlite3.connect(f"file:{folder / FILENAME}?mode=ro", uri=True)
    try:
        return db.execute("SELECT * FROM trials ORDER BY loss, repeat, fold").fetchall()
    finally:
        db.close()


def test_resume_trains_nothing_twice(tmp_path):
    X, y = binary_arrays()
    first = losslab.compare(X, y, out=tmp_path, **STUDY)
    rows = stored_rows(tmp_path)
    assert len(rows) == 4

    todo, batches = [], []
    again = losslab.compare(X, y, out=tmp_path, **STUDY, on_start=lambda plan, n: todo.append(n),
                            on_trials=batches.append)
    assert todo == [0] and batches == []
    # The same rows, finishing times included: nothing was trained or written again.
    assert stored_rows(tmp_path) == rows
    pd.testing.assert_frame_equal(again.trials(), first.trials())


def test_resume_finishes_a_partial_study(tmp_path):
    X, y = binary_arrays()
    full = losslab.compare(X, y, out=tmp_path / "full", **STUDY)
    losslab.compare(X, y, out=tmp_path / "part", **STUDY)
    db = sqlite3.connect(tmp_path / "part" / FILENAME)
    db.execute("DELETE FROM trials WHERE loss = 'hinge' AND repeat = 1")
    db.commit()
    db.close()
    todo, trained = [], []
    resumed = losslab.compare(X, y, out=tmp_path / "part", **STUDY, on_start=lambda plan, n: todo.append(n),
                              on_trials=trained.extend)
    assert todo == [1]
    assert [(r.loss, r.repeat, r.fold) for r in trained] == [("hinge", 1, 0)]
    pd.testing.assert_frame_equal(resumed.trials(), full.trials())


def test_a_different_spec_is_refused_and_the_store_is_unchanged(tmp_path):
    X, y = binary_arrays()
    losslab.compare(X, y, out=tmp_path, **STUDY)
    path = tmp_path / FILENAME
    before = sha(path)
    with pytest.raises(ValueError, match=r"holds a different study \(model: .*'epochs': 3.*'epochs': 4.*Nothing was changed"):
        losslab.compare(X, y, out=tmp_path, **{**STUDY, "epochs": 4})
    with pytest.raises(ValueError, match=r"different study \(candidates: "):
        losslab.compare(X, y, out=tmp_path, **{**STUDY, "losses": ["bce"]})
    assert sha(path) == before
    assert len(losslab.load_study(tmp_path).results) == 4


def test_different_data_is_refused_and_the_store_is_unchanged(tmp_path):
    X, y = binary_arrays()
    losslab.compare(X, y, out=tmp_path, **STUDY)
    path = tmp_path / FILENAME
    before = sha(path)
    X2 = X.copy()
    X2[3, 1] += 0.5
    with pytest.raises(ValueError, match="was made with different data.*Nothing was changed"):
        losslab.compare(X2, y, out=tmp_path, **STUDY)
    assert sha(path) == before


# ---------------------------------------------------------------------- SIGKILL
KILLED_STUDY = dict(dataset="iris", losses=["sparse_categorical_crossentropy", "kld"], repeats=2, cv=3, epochs=4,
                    hidden=(6,), batch_size=16, seed=7)

CHILD = """
import time
import torch
torch.set_num_threads(1)
import losslab
from losslab.experiment import runner
runner.MAX_REPLICATES = 2  # one split (two trials) per engine call: six commits
# Each commit is followed by a pause, so that the kill lands between commits or inside the next batch.
losslab.compare(**{kwargs!r}, out={out!r}, on_trials=lambda results: time.sleep(0.4))
"""


def _committed(path: Path) -> int:
    return count_rows(path, timeout=1)


@pytest.mark.slow
def test_sigkill_loses_nothing_committed_and_the_rerun_completes(tmp_path):
    folder = tmp_path / "killed"
    run_and_kill(textwrap.dedent(CHILD).format(kwargs=KILLED_STUDY, out=str(folder)),
                 lambda: _committed(folder / FILENAME) >= 1, "trial committed")

    expected = 2 * 2 * 3  # losses x repeats x folds
    killed = losslab.load_study(folder)
    assert 0 < len(killed.results) < expected, "the kill must land before the study finished"
    for r in killed.results:
        assert r.status == "ok" and set(r.metrics) == {"accuracy"} and math.isfinite(r.metrics["accuracy"])
        assert len(r.history["loss_train"]) == KILLED_STUDY["epochs"]
    # A killed study still reports (no verdict yet).
    assert "not finished" in killed.verdict()

    resumed = losslab.compare(**KILLED_STUDY, out=folder)
    keys = [(r.loss, r.repeat, r.fold) for r in resumed.results]
    assert len(keys) == expected and len(set(keys)) == expected
    reference = losslab.compare(**KILLED_STUDY, out=tmp_path / "uninterrupted")
    # Same seeds, same numbers: the trials trained before the kill, in another process,
    # with another batching, equal those of one uninterrupted run (to float32 rounding:
    # batched products of another batch size may round the last digit differently).
    pd.testing.assert_frame_equal(resumed.trials(), reference.trials(), check_exact=False, rtol=1e-5)
    for a, b in zip(resumed.results, reference.results):
        assert a.history.keys() == b.history.keys()
        for key in a.history:
            np.testing.assert_allclose(a.history[key], b.history[key], rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------------- faults, one at a time


def test_a_second_writer_is_refused_while_the_first_holds_the_study(tmp_path):
    with Store.create_or_resume(tmp_path, small_spec(), "f", {}) as store:
        store.add([trial("hinge", 0)])
        # Another open file description: flock refuses it as it would another process.
        with pytest.raises(StudyBusy, match=rf"in use by process {os.getpid()} .*two runs cannot write one study"):
            Store.create_or_resume(tmp_path, small_spec(), "f", {})
        # Readers are never refused: WAL lets them read a study being written.
        assert len(losslab.load_study(tmp_path).results) == 1
    # Released on close.
    with Store.create_or_resume(tmp_path, small_spec(), "f", {}) as store:
        assert store.finished() == {("hinge", 0, 0)}


def test_a_lock_that_fails_halfway_is_released(tmp_path, monkeypatch):
    import json

    def broken(*args, **kwargs):
        raise RuntimeError("no memory for the holder's record")

    monkeypatch.setattr(json, "dumps", broken)
    with pytest.raises(RuntimeError):
        files_mod.StudyLock(tmp_path).acquire()
    monkeypatch.undo()
    with files_mod.StudyLock(tmp_path):
        assert json.loads((tmp_path / "study.lock").read_text())["pid"] == os.getpid()


def test_a_new_store_appears_whole_or_not_at_all(tmp_path, monkeypatch):
    def broken(self):
        raise RuntimeError("killed while writing the study's description")

    # Fails after the tables exist, inside the transaction that writes the description.
    monkeypatch.setattr(StudySpec, "to_json", broken)
    with pytest.raises(RuntimeError, match="killed while"):
        Store.create_or_resume(tmp_path, small_spec(), "f", {})
    monkeypatch.undo()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert FILENAME not in names and not any(".tmp" in n for n in names), names
    with Store.create_or_resume(tmp_path, small_spec(), "f", {}) as store:  # and the folder is usable
        assert store.trials() == []


class _FullDisk:
    """A connection whose writes fail as SQLite's do on a full disk, after ``allow`` batches."""

    def __init__(self, db, allow: int) -> None:
        self._db, self.allow = db, allow

    def __getattr__(self, name):
        return getattr(self._db, name)

    def __enter__(self):
        return self._db.__enter__()

    def __exit__(self, *exc):
        return self._db.__exit__(*exc)

    def executemany(self, sql, rows):
        if sql.startswith("INSERT"):
            if self.allow == 0:
                raise sqlite3.OperationalError("database or disk is full")
            self.allow -= 1
        return self._db.executemany(sql, rows)


def test_a_full_disk_keeps_what_was_committed_and_says_what_the_rest_needs(tmp_path):
    with Store.create_or_resume(tmp_path, small_spec(), "f", {}) as store:
        store.expect(total=40, per_trial_bytes=50_000)
        store._db = _FullDisk(store._db, allow=1)
        store.add([trial("hinge", 0), trial("hinge", 1)])
        with pytest.raises(DiskFull) as caught:
            store.add([trial("bce", 0)])
        assert store.finished() == {("hinge", 0, 0), ("hinge", 1, 0)}
    text = str(caught.value)
    assert caught.value.errno == 28 and "\n" not in text
    assert "the 2 trials stored so far are kept (the 1 just trained were not stored)" in text
    # 38 trials left x 50 kB x 1.25, and as much again for the write-ahead log.
    assert "the 38 trials left need about 4.8 MB" in text and "run the same command to resume" in text


def test_the_free_space_estimate_refuses_a_study_that_clearly_does_not_fit(tmp_path, monkeypatch):
    import shutil

    from losslab.experiment import space
    from losslab.experiment import store as store_mod

    with Store.create_or_resume(tmp_path, small_spec(), "f", {}) as store:
        store.expect(total=1000, per_trial_bytes=space.trial_bytes(epochs=500, curves=4, metrics=1))
        usage = shutil.disk_usage(tmp_path)
        monkeypatch.setattr(store_mod.shutil, "disk_usage", lambda p: usage._replace(free=5_000_000))
        with pytest.raises(DiskFull, match=r"its 1000 trials to train need about 39\.7 MB \(28\.4 kB per trial.*5\.0 MB free"):
            store.check_space(1000)
        store.check_space(10)  # 10 trials fit


def test_compare_stops_before_training_when_the_disk_is_too_small(tmp_path, monkeypatch):
    import shutil

    from losslab.experiment import store as store_mod
    from losslab.experiment import trials

    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(store_mod.shutil, "disk_usage", lambda p: usage._replace(free=4_000))
    monkeypatch.setattr(trials, "train_batch", lambda *a, **k: pytest.fail("trained despite too little space"))
    X, y = binary_arrays()
    with pytest.raises(DiskFull, match="not enough disk space"):
        losslab.compare(X, y, out=tmp_path / "new", **STUDY)
    assert not (tmp_path / "new").exists()
    # A study already begun: checked for the trials it has left, once it is open.
    monkeypatch.undo()
    losslab.compare(X, y, out=tmp_path / "begun", **STUDY)
    db = sqlite3.connect(tmp_path / "begun" / FILENAME)
    db.execute("DELETE FROM trials WHERE repeat = 1")
    db.commit()
    db.close()
    monkeypatch.setattr(store_mod.shutil, "disk_usage", lambda p: usage._replace(free=1_000))
    monkeypatch.setattr(trials, "train_batch", lambda *a, **k: pytest.fail("trained despite too little space"))
    with pytest.raises(DiskFull, match="its 2 trials to train"):
        losslab.compare(X, y, out=tmp_path / "begun", **STUDY)


def test_ctrl_c_says_how_many_trials_are_stored(tmp_path, monkeypatch):
    from losslab.experiment import runner, trials

    real = trials.train_batch
    calls = []

    def interrupted_after_one_batch(*args, **kwargs):
        if calls:
            raise KeyboardInterrupt
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "MAX_REPLICATES", 2)
    monkeypatch.setattr(trials, "train_batch", interrupted_after_one_batch)
    X, y = binary_arrays()
    with pytest.raises(Interrupted) as caught:
        losslab.compare(X, y, out=tmp_path, **STUDY)
    assert isinstance(caught.value, KeyboardInterrupt) and caught.value.stored == 2
    assert str(caught.value) == f"interrupted: 2 trials stored in {tmp_path}; run the same command to resume."
    monkeypatch.undo()
    assert len(losslab.compare(X, y, out=tmp_path, **STUDY).results) == 4  # and the lock went with it


def damage_trial_pages(path: Path, keep_first: bool = True) -> int:
    """Overwrite the header of one page that holds trial records (its b-tree page type becomes
    invalid); returns the page number. The store must be closed (its log folded into the file)."""
    data = bytearray(path.read_bytes())
    size = int.from_bytes(data[16:18], "big")
    pages = [i for i in range(1, len(data) // size) if b'"loss_train"' in data[i * size:(i + 1) * size]]
    assert len(pages) >= 3, pages
    victim = pages[len(pages) // 2]
    data[victim * size: victim * size + 12] = b"\xee" * 12
    path.write_bytes(bytes(data))
    return victim


def many_trials_store(folder: Path, n: int = 30) -> None:
    with Store.create_or_resume(folder, small_spec(resampling=Resampling.from_cli(repeats=n, cv=None)), "f", {}) as store:
        long = {"loss_train": [round(0.5 + i * 1e-4, 7) for i in range(60)], "loss_test": [0.6] * 60}
        store.add([dataclasses.replace(trial(loss, r), history=long) for loss in ("binary_crossentropy", "hinge")
                   for r in range(n)])


def test_a_damaged_store_says_how_many_trials_are_readable_and_repair_copies_them(tmp_path):
    folder = tmp_path / "study"
    many_trials_store(folder)
    damage_trial_pages(folder / FILENAME)
    before = sha(folder / FILENAME)
    with pytest.raises(DamagedStore) as caught:
        losslab.load_study(folder)
    text = str(caught.value)
    readable = caught.value.readable
    assert 0 < readable < 60 and "\n" not in text
    assert f"{readable} trials are readable, {60 - readable} are not" in text
    assert f"Run repair({str(folder)!r}) to copy them" in text and "losslab repair" not in text
    # Resuming refuses it too, and changes nothing.
    with pytest.raises(DamagedStore):
        Store.create_or_resume(folder, small_spec(resampling=Resampling.from_cli(repeats=30, cv=None)), "f", {})
    done = losslab.repair(folder)
    assert done.folder == tmp_path / "study-repaired" and done.trials == readable and done.unreadable == 60 - readable
    assert sha(folder / FILENAME) == before
    with Store.open_existing(done.folder) as store:
        assert len(store.trials()) == readable
        assert store.spec() == small_spec(resampling=Resampling.from_cli(repeats=30, cv=None))
        assert store.meta("fingerprint") == "f"
        assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # A second repair goes beside the first, never over it.
    assert losslab.repair(folder).folder == tmp_path / "study-repaired-2"
    with pytest.raises(ValueError, match="holds a study already"):
        losslab.repair(folder, out=done.folder)


def test_repair_refuses_a_store_whose_description_is_gone(tmp_path):
    many_trials_store(tmp_path / "s")
    path = tmp_path / "s" / FILENAME
    data = bytearray(path.read_bytes())
    size = int.from_bytes(data[16:18], "big")
    # Page 2 is the meta table's (created first): without it no trial can be attributed.
    data[size: size + 12] = b"\xee" * 12
    path.write_bytes(bytes(data))
    with pytest.raises(DamagedStore, match="beyond repair: its study description"):
        losslab.repair(tmp_path / "s")
    assert not (tmp_path / "s-repaired").exists()


@pytest.mark.parametrize("with_log", [False, True])
def test_a_store_in_a_folder_that_cannot_be_written_is_read(tmp_path, monkeypatch, with_log):
    folder = tmp_path / "study"
    spec = small_spec()
    store = Store.create_or_resume(folder, spec, "f", {})
    store.add([trial("hinge", 0), trial("hinge", 1)])
    if with_log:
        # A writer that stopped without closing: committed trials still in the write-ahead log.
        store._db.execute("PRAGMA wal_autocheckpoint=0")
        store.add([trial("bce", 0)])
        copy = tmp_path / "copy"
        copy.mkdir()
        for name in (FILENAME, FILENAME + "-wal"):
            (copy / name).write_bytes((folder / name).read_bytes())
        store.close()
        folder = copy
    else:
        store.close()
    monkeypatch.setattr(repair_mod, "folder_writable", lambda f: False)
    from losslab.experiment import store as store_mod

    monkeypatch.setattr(store_mod, "folder_writable", lambda f: False)
    before = {p.name: sha(p) for p in folder.iterdir()}
    study = losslab.load_study(folder)
    assert len(study.results) == (3 if with_log else 2)
    assert {p.name: sha(p) for p in folder.iterdir()} == before
    with pytest.raises(ReadOnlyStudy, match=f"{folder} is read-only.* its {3 if with_log else 2} trials can be read"):
        Store.create_or_resume(folder, spec, "f", {})
