"""Tests for losslab.experiment.tracking: a study in MLflow's local file store, read back with
``mlflow.search_runs``: one parent run (the spec as params, data and problem as tags, the
verdict, the report and its figures as artifacts), one nested run per trial (loss, repeat,
fold, seed; learning curves with step = epoch; held-out metrics), once each across resumes."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import mlflow
import pytest

import losslab
from losslab.api import load_data
from losslab.cli import main
from losslab.experiment import planning, tracking
from losslab.experiment.results import Study
from losslab.experiment.store import FILENAME, Store

STUDY = dict(dataset="iris", losses=["sparse_categorical_crossentropy", "kld"], repeats=3, epochs=4, hidden=(6,),
             batch_size=16, seed=1)
N_TRIALS = 2 * 3


@pytest.fixture
def uri(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    return (tmp_path / "mlruns").as_uri()


def runs(uri: str):
    mlflow.set_tracking_uri(uri)
    try:
        return mlflow.search_runs(experiment_names=["losslab"])
    finally:
        mlflow.set_tracking_uri(None)


def split(frame):
    """The parent run and the nested runs."""
    nested = frame["tags.mlflow.parentRunId"].notna()
    assert (~nested).sum() == 1
    return frame[~nested].iloc[0], frame[nested]


def test_a_study_is_one_parent_run_with_a_nested_run_per_trial(tmp_path, uri):
    study = losslab.compare(**STUDY, out=tmp_path / "study", mlflow=uri)
    parent, nested = split(runs(uri))
    assert parent.status == "FINISHED"
    assert parent["params.model.epochs"] == "4" and parent["params.resampling.repeats"] == "3"
    assert parent["params.candidates"] == "sparse_categorical_crossentropy; kl_divergence"
    assert parent["params.metric"] == "accuracy" and parent["params.seed"] == "1"
    assert parent["tags.data"] == "dataset:iris" and parent["tags.problem"] == "multiclass"
    assert parent["tags.losslab.verdict"] == study.verdict()

    assert len(nested) == N_TRIALS and (nested["tags.mlflow.parentRunId"] == parent.run_id).all()
    assert (nested.status == "FINISHED").all()
    got = {(r["params.loss"], int(r["params.repeat"]), int(r["params.fold"])): r for _, r in nested.iterrows()}
    client = mlflow.MlflowClient(tracking_uri=uri)
    for trial in study.results:
        run = got[(trial.loss, trial.repeat, trial.fold)]
        assert int(run["params.seed"]) == trial.seed
        assert run["metrics.accuracy"] == pytest.approx(trial.metrics["accuracy"])
        for curve in ("loss_train", "loss_test", "accuracy_train", "accuracy_test"):
            history = client.get_metric_history(run.run_id, curve)
            assert [m.step for m in history] == [1, 2, 3, 4]
            assert [m.value for m in history] == pytest.approx(trial.history[curve])

    artifacts = {a.path for a in client.list_artifacts(parent.run_id)}
    assert {"verdict.txt", "summary.csv", "report.html", "figures"} <= artifacts
    figures = [a.path for a in client.list_artifacts(parent.run_id, "figures")]
    assert figures and all(p.endswith(".png") for p in figures)
    local = Path(client.download_artifacts(parent.run_id, "verdict.txt", str(tmp_path)))
    assert local.read_text().strip() == study.verdict()
    png = Path(client.download_artifacts(parent.run_id, figures[0], str(tmp_path)))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_resumed_study_logs_into_the_same_parent_once_per_trial(tmp_path, uri):
    folder = tmp_path / "study"
    # Trained without MLflow first: the trials already stored are logged when tracking starts.
    losslab.compare(**STUDY, out=folder)
    losslab.compare(**STUDY, out=folder, mlflow=uri)
    first_parent, nested = split(runs(uri))
    assert len(nested) == N_TRIALS

    # A trial stored as failed (its Ray batch lost) is trained again: its run is replaced.
    db = sqlite3.connect(folder / FILENAME)
    db.execute("UPDATE trials SET status = 'failed', history = '{\"error\": [\"WorkerCrashedError: gone\"]}' "
               "WHERE loss = 'kl_divergence' AND repeat = 2")
    db.commit()
    db.close()
    retried = []
    losslab.compare(**STUDY, out=folder, mlflow=uri, on_trials=retried.extend)
    assert [(r.loss, r.repeat) for r in retried] == [("kl_divergence", 2)]
    parent, nested = split(runs(uri))
    assert parent.run_id == first_parent.run_id and parent.status == "FINISHED"
    assert len(nested) == N_TRIALS and (nested["tags.losslab.status"] == "ok").all()
    keys = list(zip(nested["params.loss"], nested["params.repeat"], nested["params.fold"]))
    assert len(set(keys)) == N_TRIALS


def test_failed_trials_are_failed_runs_with_their_error(tmp_path, uri):
    folder = tmp_path / "study"
    losslab.compare(**STUDY, out=folder)
    db = sqlite3.connect(folder / FILENAME)
    db.execute("UPDATE trials SET status = 'failed', metrics = '{\"accuracy\": NaN}', "
               "history = '{\"error\": [\"WorkerCrashedError: gone\"]}' WHERE repeat = 0")
    db.commit()
    db.close()
    # The tracker on its own, as the runner drives it: start (logs what is stored), finish.
    tracker = tracking.MLflowTracker(uri)
    X, y, _ = load_data("dataset:iris")
    with Store.open_existing(folder) as store:
        tracker.start(planning.plan(store.spec(), X, y), store)
    tracker.finish(Study.load(folder))
    parent, nested = split(runs(uri))
    assert parent.status == "FAILED"
    failed = nested[nested["tags.losslab.status"] == "failed"]
    assert len(failed) == 2 and (failed.status == "FAILED").all()
    assert (failed["tags.losslab.error"] == "WorkerCrashedError: gone").all()
    assert "(2 failed trial(s) left out with their pairs: WorkerCrashedError: gone." in parent["tags.losslab.verdict"]


def test_the_command_line_flag(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.chdir(tmp_path)
    args = ["compare", "--dataset", "iris", "--losses", "sparse_categorical_crossentropy,kld", "--repeats", "3",
            "--epochs", "2", "--hidden", "4", "--batch-size", "16", "--out", "study", "--mlflow", "local"]
    assert main(args) == 0
    capsys.readouterr()
    parent, nested = split(runs((tmp_path / "mlruns").as_uri()))  # "local": ./mlruns
    assert len(nested) == N_TRIALS and parent.status == "FINISHED"


def test_without_mlflow_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)
    with pytest.raises(ValueError, match=r"^mlflow=\.\.\. needs MLflow: pip install 'losslab\[mlflow\]'$"):
        tracking.MLflowTracker()
    with pytest.raises(ValueError, match=r"pip install 'losslab\[mlflow\]'"):
        losslab.compare(**STUDY, out=tmp_path / "study", mlflow="local")
    assert not (tmp_path / "study").exists()


@pytest.mark.parametrize(("given", "expected"), [
    (None, (Path.cwd() / "mlruns").as_uri()), ("local", (Path.cwd() / "mlruns").as_uri()),
    ("http://tracking:5000", "http://tracking:5000"), ("sqlite:///mlflow.db", "sqlite:///mlflow.db"),
    ("file:///data/mlruns", "file:///data/mlruns"),
])
def test_tracking_uri(given, expected):
    assert tracking.tracking_uri(given) == expected


def test_metric_names_mlflow_accepts():
    assert tracking.metric_key("rmse[lat]") == "rmse/lat"
    assert tracking.metric_key("accuracy_test") == "accuracy_test"
    assert tracking.metric_key("f1[a+b]") == "f1/a_b"


def test_flatten():
    assert tracking.flatten({"a": 1, "model": {"hidden": [8, 4], "lr": None}}) == {"a": 1, "model.hidden": "8,4", "model.lr": None}
