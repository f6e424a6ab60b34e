"""Tests for losslab.experiment.executors and the runner on Ray: a local Ray (two CPUs) gives the
same numbers as the local executor; a worker killed mid-task is survived with no trial lost
or duplicated; a task that always fails is stored as failed trials, shown by the summary and
the verdict, and trained again by the next run; Ray missing says how to install it."""

from __future__ import annotations

import logging
import os
import re
import signal
import sqlite3
import sys
import textwrap

import numpy as np
import pytest

import losslab
from losslab.cli import main
from losslab.data import load_dataset
from losslab.experiment import executors, planning, runner
from losslab.experiment.executors import (
    Failure,
    LocalExecutor,
    RayExecutor,
    make_executor,
)
from losslab.experiment.spec import Candidate, Model, Resampling, StudySpec, fingerprint
from losslab.experiment.store import FILENAME, Store

# One Ray for the module (its start-up takes seconds); both tests' workers of `make test` may
# each start their own, so the module's tests are kept on one pytest worker.
pytestmark = pytest.mark.xdist_group("ray")

# breast_cancer: bce and hinge share one sigmoid unit, sparse cross-entropy has two softmax
# units: two widths, and with at most 4 replicates per engine call, several batches of each.
# The fixed protocol: one model per trial, so the batch counts below are trials.
STUDY = dict(dataset="breast_cancer", losses=["bce", "hinge", "sparse_categorical_crossentropy"], repeats=2, cv=3,
             epochs=4, hidden=(6,), batch_size=32, seed=3, protocol="fixed")
N_TRIALS = 3 * 2 * 3


@pytest.fixture(scope="module")
def ray_local():
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING, object_store_memory=200 * 2**20)
    yield ray
    ray.shutdown()


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(runner, "MAX_REPLICATES", 4)


def rows(folder) -> list[tuple]:
    """Every stored trial, without the time it finished."""
    db = sqlite3.connect(f"file:{folder / FILENAME}?mode=ro", uri=True)
    try:
        return db.execute("SELECT loss, repeat, fold, seed, n_train, n_test, metrics, history, status FROM trials "
                          "ORDER BY loss, repeat, fold").fetchall()
    finally:
        db.close()


@pytest.fixture(scope="module")
def local_reference(tmp_path_factory):
    """The study on the local executor, in 4-replicate batches as the Ray runs use."""
    folder = tmp_path_factory.mktemp("local")
    mp = pytest.MonkeyPatch()
    mp.setattr(runner, "MAX_REPLICATES", 4)
    try:
        losslab.compare(**STUDY, out=folder)
    finally:
        mp.undo()
    return rows(folder)


# ---------------------------------------------------------------------- the executors themselves
def test_local_executor_calls_in_order_and_lets_errors_raise():
    calls = list(LocalExecutor().map(lambda shared, p: shared + p, 10, [1, 2, 3]))
    assert calls == [(0, 11), (1, 12), (2, 13)]

    def broken(shared, p):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        list(LocalExecutor().map(broken, None, [1]))


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(name="dask"), "expected executor in ('local', 'ray'). Received: executor='dask'."),
    (dict(name="local", address="auto"), "expected ray_address only with executor='ray'. Received: executor='local', ray_address='auto'."),
    (dict(name="ray", cpus_per_task=0), "expected cpus_per_task > 0. Received: cpus_per_task=0."),
    (dict(name="ray", gpus_per_task=-1), "expected gpus_per_task >= 0. Received: gpus_per_task=-1."),
    (dict(name="ray", max_retries=-1), "expected max_retries >= 0. Received: max_retries=-1."),
])
def test_bad_executor_options_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make_executor(**kwargs)


def test_without_ray_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    with pytest.raises(ValueError, match=r"^executor='ray' needs Ray: pip install 'losslab\[ray\]'$"):
        RayExecutor()
    # Refused before anything is written.
    with pytest.raises(ValueError, match=r"pip install 'losslab\[ray\]'"):
        losslab.compare(**STUDY, out=tmp_path / "study", executor="ray")
    assert not (tmp_path / "study").exists()


def test_ray_executor_streams_results_in_completion_order(ray_local, tmp_path):
    # The first call waits until the other two have finished (marker files), however slowly the
    # workers start on a loaded machine: a fixed sleep made this test depend on the load.
    def slow_first(shared, p):
        import time
        from pathlib import Path

        if p == 0:
            deadline = time.monotonic() + 120
            while len(list(Path(shared[1]).glob("done-*"))) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.2)  # let the finished calls' results reach the driver first
        else:
            (Path(shared[1]) / f"done-{p}").touch()
        return shared[0] * p

    got = list(RayExecutor().map(slow_first, (3, str(tmp_path)), [0, 1, 2]))
    assert sorted(got) == [(0, 0), (1, 3), (2, 6)]
    assert got[-1] == (0, 0)  # the slow call is yielded last, not first


def test_an_exception_on_a_worker_comes_back_as_a_failure_without_retries(ray_local):
    def broken(shared, p):
        if p == 1:
            raise ValueError(f"no such column {p}")
        return p

    got = dict(RayExecutor(max_retries=2).map(broken, None, [0, 1]))
    assert got[0] == 0
    failure = got[1]
    assert isinstance(failure, Failure) and failure.attempts == 1  # the same seeds would raise again
    assert "ValueError" in failure.error and "no such column 1" in failure.error


# ---------------------------------------------------------------------- same numbers
def test_ray_gives_exactly_the_numbers_of_the_local_executor(ray_local, tmp_path, small_batches, local_reference):
    batches = []
    study = losslab.compare(**STUDY, out=tmp_path, executor="ray", on_trials=batches.append)
    # One sigmoid unit: 2 losses x 2 splits per call, 3 calls; two softmax units: 4 + 2 splits.
    assert len(batches) == 5
    assert rows(tmp_path) == local_reference
    assert len(study.results) == N_TRIALS and {r.status for r in study.results} == {"ok"}


def test_a_custom_loss_from_a_file_trains_on_ray_workers(ray_local, tmp_path, small_batches):
    # The loss's module exists only in this process (made from the file at run time): it
    # travels to the workers by value, and they train exactly what was checked here.
    (tmp_path / "my_losses.py").write_text(textwrap.dedent("""
        import losslab

        @losslab.loss(problem="regression", output="linear")
        def trimmed_mse(y_true, y_pred):
            return ((y_pred - y_true) ** 2).clamp(max=9.0).mean(dim=-1)
    """))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=60)
    kwargs = dict(losses=[f"{tmp_path / 'my_losses.py'}:trimmed_mse", "mse"], repeats=3, epochs=3, hidden=(4,), batch_size=16)
    losslab.compare(X, y, out=tmp_path / "local", **kwargs)
    losslab.compare(X, y, out=tmp_path / "ray", executor="ray", **kwargs)
    assert rows(tmp_path / "ray") == rows(tmp_path / "local")


# ---------------------------------------------------------------------- failures
def _kill_after_training_once(marker):
    """The batch function, but the first call anywhere trains and then kills its own worker
    before returning: its batch is lost mid-task and must be run again."""
    real = runner._train_task

    def task(shared, payload):
        results = real(shared, payload)
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL))  # atomic: exactly one call wins
        except FileExistsError:
            return results
        os.kill(os.getpid(), signal.SIGKILL)

    return task


def test_a_worker_killed_mid_task_is_retried_and_nothing_is_lost_or_duplicated(ray_local, tmp_path, small_batches,
                                                                            monkeypatch, local_reference):
    marker = tmp_path / "killed-once"
    monkeypatch.setattr(runner, "_train_task", _kill_after_training_once(str(marker)))
    stored = []
    study = losslab.compare(**STUDY, out=tmp_path / "study", executor="ray", max_retries=1,
                            on_trials=lambda results: stored.extend((r.loss, r.repeat, r.fold) for r in results))
    assert marker.exists(), "no worker was killed"
    assert len(stored) == N_TRIALS and len(set(stored)) == N_TRIALS  # each trial stored once
    assert {r.status for r in study.results} == {"ok"}
    assert rows(tmp_path / "study") == local_reference


def _always_kill_the_first_two_unit_batch():
    real = runner._train_task

    def task(shared, payload):
        if payload.units == 2 and (payload.splits[0].repeat, payload.splits[0].fold) == (0, 0):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(shared, payload)

    return task


def test_a_task_that_always_fails_is_stored_as_failed_reported_and_retried(ray_local, tmp_path, small_batches,
                                                                          monkeypatch, local_reference):
    folder = tmp_path / "study"
    real = runner._train_task
    monkeypatch.setattr(runner, "_train_task", _always_kill_the_first_two_unit_batch())
    study = losslab.compare(**STUDY, out=folder, executor="ray", max_retries=1)

    sce = "sparse_categorical_crossentropy"
    failed = [r for r in study.results if r.status == "failed"]
    # That batch: its first 4 splits (repeat 0 folds 0-2, repeat 1 fold 0), tried twice.
    assert {(r.loss, r.repeat, r.fold) for r in failed} == {(sce, 0, 0), (sce, 0, 1), (sce, 0, 2), (sce, 1, 0)}
    assert len(study.results) == N_TRIALS  # never dropped: every trial is in the store
    for r in failed:
        assert np.isnan(r.metrics["accuracy"]) and r.n_test > 0
        assert "Worker" in r.history["error"][0] or "worker" in r.history["error"][0]
    assert {r.status for r in study.results if r not in failed} == {"ok"}
    summary = study.summary()
    assert summary.loc[sce, "failed"] == 4 and summary.loc[sce, "diverged"] == 0 and summary.loc[sce, "trials"] == 6
    assert summary.loc["hinge", "failed"] == 0
    # Repeated k-fold needs every fold: no verdict, and it says why and what to do.
    verdict = study.verdict()
    assert verdict.startswith("No verdict: 4 of 18 trials failed (WorkerCrashedError: ")
    assert verdict.endswith("Run the same command again to retry them.")
    report = study.report().read_text(encoding="utf-8")
    assert "failed" in report

    # The next run trains exactly the failed trials again, and the study ends as a clean one.
    monkeypatch.setattr(runner, "_train_task", real)
    ok_before = [row for row in rows(folder) if row[-1] == "ok"]
    retried = []
    again = losslab.compare(**STUDY, out=folder, executor="ray", on_trials=retried.extend)
    assert sorted((r.loss, r.repeat, r.fold) for r in retried) == sorted((r.loss, r.repeat, r.fold) for r in failed)
    assert [row for row in rows(folder) if (row[0], row[1], row[2]) not in {(r.loss, r.repeat, r.fold) for r in failed}] == ok_before
    assert rows(folder) == local_reference
    assert "failed" not in again.verdict()


def test_a_failure_becomes_failed_trials_whatever_the_executor_yields(tmp_path, small_batches):
    class LosingExecutor(LocalExecutor):
        """Runs in this process but, like Ray, reports progress from the driver; loses one batch."""

        in_process = False

        def map(self, fn, shared, payloads):
            for i, p in enumerate(payloads):
                lost = p.units == 1 and p.splits[0].repeat == 0
                yield i, (Failure("WorkerCrashedError: the worker died", 3) if lost else fn(shared, p))

    ds = load_dataset("breast_cancer")
    spec = StudySpec(data="dataset:breast_cancer", target=(str(ds.y.name),), candidates=tuple(map(Candidate.parse, STUDY["losses"])),
                     metric="accuracy", resampling=Resampling.from_cli(repeats=5, cv=None), model=Model(hidden=(6,), epochs=4), seed=3)
    plan = planning.plan(spec, ds.X, ds.y)
    with Store.create_or_resume(tmp_path, plan.spec, fingerprint(ds.X, ds.y), {}) as store:
        epochs = []
        trained = runner.run(plan, store, executor=LosingExecutor(), on_epochs=epochs.append)
        assert trained == 15 - 4  # the lost batch: bce and hinge on repeats 0 and 1
        assert sum(epochs) == 15 * 4  # progress counts every trial that came back, failed or not
        assert len(store.finished()) == 11
        failed = {(r.loss, r.repeat) for r in store.trials() if r.status == "failed"}
    assert failed == {(loss, r) for loss in ("binary_crossentropy", "hinge") for r in (0, 1)}
    # Hold-out repeats: the verdict stands on the 3 repeats every loss finished, and says what is missing.
    verdict = losslab.load_study(tmp_path).verdict()
    assert "(4 failed trial(s) left out with their pairs: WorkerCrashedError: the worker died. " in verdict
    assert verdict.endswith("Run the same command again to retry them.)")


# ---------------------------------------------------------------------- the command line
def test_cli_runs_a_study_on_ray(ray_local, tmp_path, capsys, small_batches, local_reference):
    out = tmp_path / "study"
    args = ["compare", "--dataset", "breast_cancer", "--losses", "bce,hinge,sparse_categorical_crossentropy",
            "--repeats", "2", "--cv", "3", "--epochs", "4", "--hidden", "6", "--batch-size", "32", "--seed", "3", "--protocol", "fixed",
            "--out", str(out), "--executor", "ray", "--cpus-per-task", "1", "--max-retries", "1"]
    assert main(args) == 0
    assert "Verdict:" in capsys.readouterr().out
    assert rows(out) == local_reference


def test_cli_refuses_an_unknown_executor(tmp_path, capsys):
    assert main(["compare", "--dataset", "iris", "--executor", "spark", "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert "expected --executor in ('local', 'ray'). Received: --executor spark." in err and "Traceback" not in err
    assert not (tmp_path / "s").exists()


def test_the_install_hint_names_the_extra():
    assert executors.INSTALL_RAY == "executor='ray' needs Ray: pip install 'losslab[ray]'"
