"""Tests for the command line (`losslab.cli.main`): compare, report, recommend, check.

Bad input must print one line on stderr, exit with status 2 and leave no traceback and
no study folder behind.
"""

from __future__ import annotations

import re
import sqlite3

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab.cli import main
from losslab.experiment import runner

TINY = ["--repeats", "2", "--cv", "2", "--epochs", "3", "--hidden", "6", "--batch-size", "16"]


def stored_rows(folder) -> list[tuple]:
    db = sqlite3.connect(f"file:{folder / 'study.sqlite'}?mode=ro", uri=True)
    try:
        return db.execute("SELECT * FROM trials ORDER BY loss, repeat, fold").fetchall()
    finally:
        db.close()


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("losslab: error: ")
    return lines[0]


# ---------------------------------------------------------------------- compare and report
def test_compare_writes_a_study_resumes_and_reports(tmp_path, capsys, monkeypatch):
    out = tmp_path / "study"
    assert main(["compare", "--dataset", "iris", *TINY, "--out", str(out), "--format", "csv"]) == 0
    printed = capsys.readouterr().out
    assert "Verdict:" in printed and "accuracy" in printed and "Wrote:" in printed
    assert {p.name for p in out.iterdir()} >= {"report.html", "study.sqlite", "trials.csv"}
    # The advisor's two candidates for three classes, 2 x 2 folds each.
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 8
    assert set(trials.loss) == {"sparse_categorical_crossentropy", "categorical_crossentropy"}
    assert "<img" in (out / "report.html").read_text(encoding="utf-8")
    rows = stored_rows(out)

    # Again: everything is finished, so nothing trains and nothing is written to the store.
    def no_training(*args, **kwargs):
        raise AssertionError("a finished study trained again")

    monkeypatch.setattr(runner, "_train_batch", no_training)
    (out / "report.html").unlink()
    assert main(["compare", "--dataset", "iris", *TINY, "--out", str(out), "--format", "csv"]) == 0
    assert stored_rows(out) == rows
    assert (out / "report.html").exists()
    pd.testing.assert_frame_equal(pd.read_csv(out / "trials.csv"), trials)

    # `losslab report` re-draws from the store alone.
    (out / "report.html").unlink()
    capsys.readouterr()
    assert main(["report", str(out), "--format", "json"]) == 0
    assert "Verdict:" in capsys.readouterr().out
    assert (out / "report.html").exists() and (out / "trials.json").exists()
    assert main(["report", str(out), "--out", str(tmp_path / "copy.html")]) == 0
    assert (tmp_path / "copy.html").read_text(encoding="utf-8").startswith("<!doctype html>")


def test_compare_a_file_with_losses_and_metrics(tmp_path, capsys):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x1": rng.normal(size=60), "x2": rng.normal(size=60),
                          "colour": rng.choice(["red", "blue"], size=60)})
    frame["price"] = 3 * frame.x1 - frame.x2 + (frame.colour == "red") + rng.normal(scale=0.1, size=60) + 10
    path = tmp_path / "houses.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "study"
    code = main(["compare", str(path), "--target", "price", "--losses", "mse,huber(delta=2)", "--also", "mae,r2",
                 "--repeats", "3", "--epochs", "3", "--hidden", "4", "--batch-size", "8", "--out", str(out),
                 "--format", "json"])
    assert code == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "huber(delta=2.0)" in printed and "rmse" in printed and "r2" in printed
    assert (out / "trials.json").exists()


def test_compare_losses_with_several_parameters(tmp_path, capsys):
    out = tmp_path / "study"
    code = main(["compare", "--dataset", "breast_cancer", "--losses", "binary_focal_crossentropy(gamma=3,alpha=0.5),bce",
                 "--repeats", "2", "--epochs", "2", "--hidden", "4", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    study = losslab.load_study(out)
    assert [c.label for c in study.spec.candidates] == ["binary_focal_crossentropy(alpha=0.5, gamma=3.0)",
                                                       "binary_crossentropy"]
    assert len(study.results) == 4


def test_a_study_where_every_trial_diverges_exits_non_zero_with_the_fix(tmp_path, capsys):
    out = tmp_path / "study"
    code = main(["compare", "--dataset", "diabetes", "--losses", "mse,mae", "--lr", "1000", "--repeats", "2",
                 "--epochs", "3", "--hidden", "8", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    # The table and the report are still there: the study is stored, it just has nothing to compare.
    assert "(2 diverged)" in captured.out and "4 of 4 trials diverged" in captured.out
    assert (out / "report.html").exists()
    assert set(losslab.load_study(out).trials().status) == {"diverged"}
    line = captured.err.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert line.startswith("losslab: no result: every one of the 4 trials diverged")
    assert "--lr 1000.0 is 100000 times the default for sgd; try --lr 0.01" in line
    # No internal message leaks, in the verdict or the report.
    for text in (captured.out, captured.err, (out / "report.html").read_text(encoding="utf-8")):
        assert "Design:" not in text and "repeats=0" not in text


def test_every_trial_diverging_at_the_default_rate_suggests_a_smaller_rate_or_adam():
    study = losslab.compare(dataset="diabetes", losses="mse", repeats=2, epochs=2, hidden=(4,), lr=0.01,
                            optimizer="sgd", _validate_only=False)
    assert study.no_result_reason() is None  # it trains fine: no reason to give
    from losslab.api import _no_result_reason
    from losslab.experiment.store import TrialResult

    diverged = [TrialResult(r.loss, r.repeat, r.fold, r.seed, r.n_train, r.n_test, {"rmse": float("nan")},
                            {"loss_train": [1.0, float("nan")]}, "diverged") for r in study.results]
    fake = type("S", (), {"results": diverged, "complete": True, "spec": study.spec})()
    text = _no_result_reason(fake, cli=False)
    assert "every one of the 2 trials diverged (" in text
    assert "lr=0.001" in text and "optimizer='adam'" in text
    assert "--lr" not in text  # the library names Python arguments


# ---------------------------------------------------------------------- one-line errors
def write_csv(path, rows: int = 30, classes: int = 2) -> str:
    rng = np.random.default_rng(1)
    pd.DataFrame({"a": rng.normal(size=rows), "b": rng.normal(size=rows),
                  "y": np.arange(rows) % classes}).to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize(("args", "match"), [
    (lambda d: ["compare", str(d / "missing.csv"), "--target", "y"], "no such file"),
    (lambda d: ["compare", write_csv(d / "data.csv"), "--target", "nope"], "unknown target column 'nope'"),
    (lambda d: ["compare", str(d / "sheet.xlsx"), "--target", "y"], "extension '.xlsx'"),
    (lambda d: ["compare", write_csv(d / "one.csv", classes=1), "--target", "y"], "single class"),
    (lambda d: ["compare", write_csv(d / "few.csv", rows=4), "--target", "y", "--cv", "5"], "fold"),
    (lambda d: ["compare", "--dataset", "iris", "--losses", "no_such_loss"], "unknown loss 'no_such_loss'"),
    (lambda d: ["compare", "--dataset", "diabetes", "--losses", "hinge"], "hinge"),
    (lambda d: ["compare", "--dataset", "iris", "--metric", "rmse"], "metric 'rmse' does not fit"),
    (lambda d: ["compare", "--dataset", "iris", "--format", "xml"], "--format json or csv"),
    (lambda d: ["compare", write_csv(d / "data.csv"), "--target", "y", "--dataset", "iris"], "exactly one of"),
    (lambda d: ["compare", "--dataset", "iris", "--cv", "abc"], "--cv"),
    (lambda d: ["compare", "--dataset", "iris", "--hidden", "a,b"], "--hidden"),
    (lambda d: ["compare", "--dataset", "iris", "--epochs", "0"], "--epochs"),
    (lambda d: ["compare", "--dataset", "iris", "--device", "gpu"], "--device cpu or cuda"),
    (lambda d: ["compare", "--dataset", "iris", "--losses", "sparse_categorical_crossentropy(label_smoothing=x)"], "label_smoothing|unexpected"),
])
def test_compare_errors_are_one_line(tmp_path, capsys, args, match):
    (tmp_path / "sheet.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    out = tmp_path / "study"
    argv = [*args(tmp_path), "--out", str(out)]
    # Small, in case a refusal regressed and the study ran.
    argv += [] if "--epochs" in argv else ["--epochs", "2", "--repeats", "2"]
    assert main(argv) == 2
    line = one_line_error(capsys)
    assert re.search(match, line), line
    assert not out.exists()


def test_report_errors_are_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "no study in" in one_line_error(capsys)
    (tmp_path / "study.sqlite").write_text("not a database")
    assert main(["report", str(tmp_path)]) == 2
    assert "is not a losslab study" in one_line_error(capsys)
    assert (tmp_path / "study.sqlite").read_text() == "not a database"
    assert main(["compare", "--dataset", "iris", *TINY, "--out", str(tmp_path)]) == 2
    assert "is not a losslab study" in one_line_error(capsys)


def test_compare_refuses_another_study_in_the_folder(tmp_path, capsys):
    out = tmp_path / "study"
    losslab.compare(dataset="iris", repeats=2, cv=2, epochs=3, hidden=(6,), batch_size=16, out=out)
    assert main(["compare", "--dataset", "iris", *TINY, "--out", str(out)]) == 0  # the same study: resumes
    before = (out / "study.sqlite").read_bytes()
    capsys.readouterr()
    assert main(["compare", "--dataset", "iris", *TINY[:-2], "--batch-size", "8", "--out", str(out)]) == 2
    line = one_line_error(capsys)
    assert "holds a different study" in line and "batch_size" in line
    assert (out / "study.sqlite").read_bytes() == before


# ---------------------------------------------------------------------- the advisor
def test_recommend(capsys):
    assert main(["recommend", "--dataset", "wine"]) == 0
    out = capsys.readouterr().out
    assert "Recommended: sparse_categorical_crossentropy" in out
    assert "softmax" in out and "accuracy" in out
    assert "losslab compare --dataset wine --losses sparse_categorical_crossentropy,categorical_crossentropy" in out


def test_check_refuses_hinge_with_a_sigmoid_and_says_the_fix(capsys):
    assert main(["check", "--loss", "hinge", "--output", "sigmoid", "--dataset", "breast_cancer"]) == 2
    line = one_line_error(capsys)
    assert "hinge" in line and "sigmoid" in line and "tanh" in line and "binary_crossentropy" in line


def test_check_accepts_bce_with_a_sigmoid(capsys):
    assert main(["check", "--loss", "bce", "--output", "sigmoid", "--dataset", "breast_cancer"]) == 0
    assert "OK: loss bce, sigmoid output, the targets fit together." in capsys.readouterr().out


def test_check_and_recommend_need_exactly_one_data_source(capsys, tmp_path):
    assert main(["recommend"]) == 2
    assert "one of the two" in one_line_error(capsys)
    path = write_csv(tmp_path / "data.csv")
    assert main(["recommend", path, "--target", "y", "--dataset", "wine"]) == 2
    assert "one of the two" in one_line_error(capsys)
