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
from losslab.experiment import trials as trial_batches
from cli_output import one_line_error  # tests/cli_output.py

TINY = ["--repeats", "2", "--cv", "2", "--epochs", "3", "--hidden", "6", "--batch-size", "16"]


def stored_rows(folder) -> list[tuple]:
    db = sqlite3.connect(f"file:{folder / 'study.sqlite'}?mode=ro", uri=True)
    try:
        return db.execute("SELECT * FROM trials ORDER BY loss, repeat, fold").fetchall()
    finally:
        db.close()


# ---------------------------------------------------------------------- compare and report
def test_compare_writes_a_study_resumes_and_reports(tmp_path, capsys, monkeypatch):
    out = tmp_path / "study"
    assert main(["compare", "--dataset", "iris", *TINY, "--out", str(out), "--format", "csv"]) == 0
    printed = capsys.readouterr().out
    assert "Verdict:" in printed and "accuracy" in printed and "Wrote:" in printed
    assert {p.name for p in out.iterdir()} >= {"report.html", "study.sqlite", "trials.csv"}
    # The advisor's two candidates for three balanced classes (cross-entropy and its label-smoothed
    # neighbour; never the same loss on one-hot rows), 2 x 2 folds each.
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 8
    assert set(trials.loss) == {"sparse_categorical_crossentropy", "sparse_categorical_crossentropy(label_smoothing=0.1)"}
    assert "<img" in (out / "report.html").read_text(encoding="utf-8")
    rows = stored_rows(out)

    # Again: everything is finished, so nothing trains and nothing is written to the store.
    def no_training(*args, **kwargs):
        raise AssertionError("a finished study trained again")

    monkeypatch.setattr(trial_batches, "train_batch", no_training)
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


def test_compare_warns_of_a_column_that_gives_the_target_away_before_and_after_the_verdict(tmp_path, capsys):
    # As R's birthwt: `low` is `bwt` under 2,500 g, and both are in the table.
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"bwt": rng.normal(2900, 700, size=80).round(), "age": rng.integers(16, 40, size=80)})
    frame["low"] = (frame.bwt < 2500).astype(int)
    path = tmp_path / "births.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "study"
    assert main(["compare", str(path), "--target", "low", *TINY, "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    text = " ".join(lines)
    assert text.count("`bwt` alone predicts the target almost exactly (balanced accuracy 1.000") == 2
    assert "if it is not known when you predict, --exclude bwt" in text
    verdict = next(i for i, line in enumerate(lines) if line.startswith("Verdict:"))
    plan = next(i for i, line in enumerate(lines) if line.startswith("Plan:"))
    assert lines[plan - 1].startswith("warning: `bwt`") or lines[plan - 2].startswith("warning: `bwt`")
    assert any(line.startswith("Warning: `bwt`") for line in lines[verdict:])
    # The report says it beside the verdict; --exclude bwt silences it.
    assert "`bwt` alone predicts the target" in (out / "report.html").read_text()
    assert main(["compare", str(path), "--target", "low", *TINY, "--exclude", "bwt", "--out", str(tmp_path / "s2")]) == 0
    assert "alone predicts" not in capsys.readouterr().out


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
    # The fixed protocol: SGD at one rate for every epoch (the tuned one restores a finite best epoch).
    code = main(["compare", "--dataset", "diabetes", "--losses", "mse,mae", "--lr", "1000", "--repeats", "2",
                 "--epochs", "3", "--hidden", "8", "--protocol", "fixed", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    # The table and the report are still there: the study is stored, it just has nothing to compare.
    assert "(2 diverged)" in captured.out and "4 of 4 trials diverged" in captured.out
    assert (out / "report.html").exists()
    assert set(losslab.load_study(out).trials().status) == {"diverged"}
    line = captured.err.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert line.startswith("losslab: no result: every one of the 4 trials diverged")
    assert "--lr 1000 is 100000 times the default for sgd; try --lr 0.01" in line
    # No internal message leaks, in the verdict or the report.
    for text in (captured.out, captured.err, (out / "report.html").read_text(encoding="utf-8")):
        assert "Design:" not in text and "repeats=0" not in text


def test_every_trial_diverging_at_the_default_rate_suggests_a_smaller_rate_or_adam():
    study = losslab.compare(dataset="diabetes", losses="mse", repeats=2, epochs=2, hidden=(4,), lr=0.01,
                            optimizer="sgd")
    assert study.no_result_reason() is None  # it trains fine: no reason to give
    from losslab.experiment.results import no_result_reason
    from losslab.experiment.store import TrialResult

    diverged = [TrialResult(r.loss, r.repeat, r.fold, r.seed, r.n_train, r.n_test, {"rmse": float("nan")},
                            {"loss_train": [1.0, float("nan")]}, "diverged") for r in study.results]
    fake = type("S", (), {"results": diverged, "complete": True, "spec": study.spec})()
    text = no_result_reason(fake, cli=False)
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
    (lambda d: ["compare", "--dataset", "iris", "--device", "gpu"], "--device to be cpu or cuda"),
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
    # the label-smoothed neighbour, never the same loss on one-hot rows; quoted for the shell
    assert "losslab compare --dataset wine --losses 'sparse_categorical_crossentropy,sparse_categorical_crossentropy(label_smoothing=0.1)'" in out


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


# ---------------------------------------------------------------------- issue 12: one data path, the same flags
def yes_no_csv(path, rows: int = 40) -> str:
    """Failure 9's table: string Yes/No labels, a missing feature value, a target with a space in its name."""
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"a": rng.normal(size=rows), "b": rng.normal(size=rows),
                          "will buy": np.where(np.arange(rows) % 3 == 0, "Yes", "No")})
    frame.loc[4, "a"] = np.nan
    frame.loc[7, "will buy"] = np.nan
    frame.to_csv(path, index=False)
    return str(path)


def test_check_encodes_string_labels_as_compare_does_and_ignores_missing_features(tmp_path, capsys):
    # Failure 9: `check --loss bce --output sigmoid` refused Yes/No labels that compare encodes itself,
    # and a missing feature blocked it with "Pass --dropna".
    path = yes_no_csv(tmp_path / "buyers.csv")
    assert main(["check", "--loss", "bce", "--output", "sigmoid", "--data", path, "--target", "will buy"]) == 0
    assert "OK: loss bce, sigmoid output, the targets fit together." in capsys.readouterr().out
    assert main(["check", "--loss", "hinge", "--output", "sigmoid", "--data", path, "--target", "will buy"]) == 2
    assert "tanh" in one_line_error(capsys)
    assert main(["check", "--loss", "sparse_categorical_crossentropy", "--output", "softmax", "--units", "2",
                 "--data", path, "--target", "will buy", "--dropna", "--exclude", "b"]) == 0


def test_recommend_reads_targets_only_and_quotes_the_command(tmp_path, capsys):
    path = yes_no_csv(tmp_path / "buyers.csv")
    for extra in ([], ["--dropna"]):
        assert main(["recommend", path, "--target", "will buy", *extra]) == 0
        out = capsys.readouterr().out
        assert "dropped 1 row(s) whose target is missing" in out
        assert "25 / 14" in out  # 39 targets: only the row without a target left out, with or without --dropna
        assert f"Compare them: losslab compare {path} --target 'will buy' --losses binary_crossentropy" in out


def test_kind_is_a_flag_of_every_command(tmp_path, capsys):
    # Failure 9: errors said "pass kind='regression'", and no command had --kind.
    path = tmp_path / "visits.csv"
    rng = np.random.default_rng(3)
    pd.DataFrame({"a": rng.normal(size=60), "visits": np.arange(60) % 4}).to_csv(path, index=False)
    assert main(["recommend", str(path), "--target", "visits", "--kind", "counts"]) == 0
    out = capsys.readouterr().out
    assert "counts" in out and "--kind counts" in out
    assert main(["check", "--loss", "poisson", "--data", str(path), "--target", "visits", "--kind", "counts"]) == 0
    capsys.readouterr()
    assert main(["check", "--loss", "poisson", "--data", str(path), "--target", "visits"]) == 2
    line = one_line_error(capsys)
    assert "--kind regression" in line and "kind=" not in line
    assert main(["recommend", str(path), "--target", "visits", "--kind", "ordered"]) == 2
    line = one_line_error(capsys)
    assert "expected --kind in" in line and "Received: --kind ordered." in line
    out_dir = tmp_path / "study"
    assert main(["compare", str(path), "--target", "visits", "--kind", "counts", "--losses", "poisson,mse",
                 "--metric", "mae", "--repeats", "2", "--epochs", "2", "--hidden", "4", "--out", str(out_dir)]) == 0
    assert losslab.load_study(out_dir).spec.kind == "counts"


def test_compare_announces_what_it_leaves_out(tmp_path, capsys):
    # Failure 1 and 11 from the command line: dropped columns one line each, missing values imputed.
    rng = np.random.default_rng(4)
    n = 40
    frame = pd.DataFrame({"rownames": np.arange(1, n + 1), "code": [f"c{i}" for i in range(n)],
                          "x": rng.normal(size=n), "y": np.arange(n) % 2})
    frame.loc[3, "x"] = np.nan
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "study"
    assert main(["compare", str(path), "--target", "y", "--losses", "bce", "--repeats", "2", "--epochs", "2",
                 "--hidden", "4", "--no-stratify", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "dropped `rownames`: row names (unique per row)" in printed
    assert "dropped `code`: unique per row, looks like an ID" in printed
    assert "missing values in `x` (1)" in printed
    study = losslab.load_study(out)
    assert study.info["columns_used"] == ["x"] and study.spec.stratify is False
    assert main(["compare", str(path), "--target", "y", "--exclude", "nope", "--out", str(tmp_path / "never")]) == 2
    line = one_line_error(capsys)
    assert "unknown feature column 'nope'" in line and "Received: --exclude nope;" in line

# ---------------------------------------------------------------------- what report may write
def sha(path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def small_study(tmp_path_factory):
    out = tmp_path_factory.mktemp("small") / "study"
    losslab.compare(dataset="iris", repeats=2, cv=2, epochs=3, hidden=(6,), batch_size=16, out=out)
    return out


def test_report_never_writes_over_the_store(small_study, tmp_path, capsys):
    store = small_study / "study.sqlite"
    before = sha(store)
    other = tmp_path / "other"
    losslab.compare(dataset="iris", repeats=2, cv=2, epochs=3, hidden=(6,), batch_size=16, out=other)
    (tmp_path / "link.html").symlink_to(store)
    for target in (store, other / "study.sqlite", other / "study.lock", other / "study.sqlite-wal", tmp_path / "link.html"):
        for force in ([], ["--force"]):
            assert main(["report", str(small_study), "--out", str(target), *force]) == 2
            line = one_line_error(capsys)
            assert "belongs to a losslab study's store" in line and "Choose another --out file" in line
    assert sha(store) == before
    assert len(losslab.load_study(small_study).results) == 8 and len(losslab.load_study(other).results) == 8
    assert main(["report", str(small_study), "--out", str(tmp_path)]) == 2
    assert "expected --out to be a file to write" in one_line_error(capsys)


def test_report_replaces_only_files_it_wrote_unless_forced(small_study, tmp_path, capsys):
    mine = tmp_path / "mine.html"
    mine.write_text("my notes")
    assert main(["report", str(small_study), "--out", str(mine)]) == 2
    line = one_line_error(capsys)
    assert f"refusing to write over {mine}: the file exists and losslab did not write it" in line
    assert mine.read_text() == "my notes"
    assert main(["report", str(small_study), "--out", str(mine), "--force"]) == 0
    assert mine.read_text(encoding="utf-8").startswith("<!doctype html>")

    # The study's own report.html: losslab wrote it, so it redraws it; edited by hand, it is the user's.
    default = small_study / "report.html"
    assert main(["report", str(small_study), "--format", "csv"]) == 0
    assert main(["report", str(small_study), "--format", "csv"]) == 0
    assert (small_study / "trials.csv").exists()  # exports go beside the store
    default.write_text(default.read_text(encoding="utf-8") + "<!-- my annotations -->", encoding="utf-8")
    capsys.readouterr()
    assert main(["report", str(small_study)]) == 2
    assert "or it changed since" in one_line_error(capsys)
    assert "my annotations" in default.read_text(encoding="utf-8")
    assert main(["report", str(small_study), "--force"]) == 0
    assert "my annotations" not in default.read_text(encoding="utf-8")
    # Written through a temporary file and a rename: nothing is left beside them.
    assert not [p.name for p in small_study.iterdir() if p.name.endswith(".tmp")]


def test_the_library_names_its_arguments_when_it_refuses_an_output(small_study, tmp_path):
    study = losslab.load_study(small_study)
    with pytest.raises(ValueError, match=r"Received: path=.*study\.sqlite"):
        study.report(small_study / "study.sqlite")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ValueError, match="pass force=True to replace it"):
        study.export(tmp_path / "x.json", "json")
    assert study.export(tmp_path / "x.json", "json", force=True).read_text().startswith("{")


# ---------------------------------------------------------------------- bugs, user errors, version
def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"losslab {losslab.__version__}"


def bug_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_a_bug_says_so_in_one_line_and_logs_the_traceback(tmp_path, capsys, monkeypatch):
    from losslab import api

    monkeypatch.setenv("LOSSLAB_LOG_DIR", str(tmp_path / "logs"))

    # A bug: a TypeError that Python raises inside losslab's own code (no `raise` statement of losslab's).
    from losslab.losses.expression import split

    monkeypatch.setattr(api, "load_study", lambda folder: split(None))
    assert main(["report", str(tmp_path)]) == 70
    line = bug_line(capsys)
    assert line.startswith("losslab: internal error (a bug in losslab, not a problem with your input): TypeError: ")
    assert "'NoneType'" in line.split("The full traceback")[0]
    log = next((tmp_path / "logs").iterdir())
    assert f"The full traceback is in {log}" in line and "--debug" in line
    text = log.read_text()
    assert "Traceback (most recent call last)" in text and "in split" in text and "report" in text

    # --debug prints the traceback too.
    assert main(["--debug", "report", str(tmp_path)]) == 70
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and err.strip().splitlines()[-1].startswith("losslab: internal error")


def test_a_value_error_from_a_library_losslab_calls_is_a_bug_too(tmp_path, capsys, monkeypatch):
    from losslab import api

    monkeypatch.setenv("LOSSLAB_LOG_DIR", str(tmp_path / "logs"))
    # Failure 2 of the real-table issue: NumPy's message, raised inside NumPy.
    monkeypatch.setattr(api, "load_study", lambda folder: np.stack([np.zeros(2), np.zeros(3)]))
    assert main(["report", str(tmp_path)]) == 70
    line = bug_line(capsys)
    assert "a bug in losslab" in line and "all input arrays must have the same shape" in line


def test_losslab_s_own_refusals_stay_one_line_without_bug(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    line = one_line_error(capsys)
    assert "no study in" in line and "bug" not in line


def test_an_error_in_the_users_own_code_points_at_it(tmp_path, capsys, monkeypatch):
    import importlib.util

    from losslab import api

    monkeypatch.setenv("LOSSLAB_LOG_DIR", str(tmp_path / "logs"))
    code = tmp_path / "my_losses.py"
    code.write_text("def load(folder):\n    raise ValueError('my own check failed')\n")
    spec = importlib.util.spec_from_file_location("my_losses", code)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(api, "load_study", module.load)
    assert main(["report", str(tmp_path)]) == 2
    line = bug_line(capsys)
    assert line.startswith(f"losslab: error in your code ({code}:2): ValueError: my own check failed")
    assert "bug" not in line


def test_ctrl_c_in_a_command_says_what_is_stored(capsys, monkeypatch, tmp_path):
    from losslab import api
    from losslab.experiment.store import Interrupted

    def interrupted(*args, **kwargs):
        raise Interrupted(3, tmp_path)

    monkeypatch.setattr(api, "compare", interrupted)
    assert main(["compare", "--dataset", "iris", "--out", str(tmp_path)]) == 130
    assert bug_line(capsys) == f"losslab: interrupted: 3 trials stored in {tmp_path}; run the same command to resume."

    def bare(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "load_study", bare)
    assert main(["report", str(tmp_path)]) == 130
    assert bug_line(capsys) == "losslab: interrupted."


# ---------------------------------------------------------------------- numeric guards
@pytest.mark.parametrize(("flags", "match"), [
    (["--lr", "inf"], "expected --lr to be a finite number > 0. Received: --lr inf."),
    (["--lr", "nan"], "expected --lr to be a finite number > 0. Received: --lr nan."),
    (["--lr", "-0.1"], "Received: --lr -0.1."),
    (["--epochs", "0"], "expected --epochs to be an integer >= 1 and <= 100,000. Received: --epochs 0."),
    (["--epochs", "100001"], "Received: --epochs 100001."),
    (["--repeats", "0"], "expected --repeats to be an integer >= 1 and <= 10,000. Received: --repeats 0."),
    (["--repeats", "10001"], "Received: --repeats 10001."),
    (["--batch-size", "0"], "expected --batch-size to be an integer >= 1. Received: --batch-size 0."),
    (["--test-size", "1.5"], "expected --test-size to be a finite number > 0 and < 1. Received: --test-size 1.5."),
    (["--test-size", "nan"], "Received: --test-size nan."),
    (["--patience", "-1"], "expected --patience to be an integer >= 0."),
    (["--cpus-per-task", "0"], "expected --cpus-per-task to be a finite number > 0."),
    (["--gpus-per-task", "inf"], "expected --gpus-per-task to be a finite number >= 0."),
])
def test_absurd_numeric_options_are_refused_by_flag(tmp_path, capsys, flags, match):
    out = tmp_path / "study"
    assert main(["compare", "--dataset", "iris", *flags, "--out", str(out)]) == 2
    line = one_line_error(capsys)
    assert match in line, line
    assert "Design" not in line and not out.exists()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"lr": float("inf")}, "expected lr to be a finite number > 0. Received: lr=inf."),
    ({"epochs": 0}, "Received: epochs=0."),
    ({"repeats": 10_001}, "expected repeats to be an integer >= 1 and <= 10,000. Received: repeats=10001."),
    ({"repeats": 2.5}, "Received: repeats=2.5."),
    ({"batch_size": True}, "Received: batch_size=True."),
    ({"momentum": 1.0}, "expected momentum to be a finite number >= 0 and < 1."),
    ({"hidden": (4, 0)}, "expected hidden to be positive layer widths"),
    ({"lr": [1e-3, float("inf")]}, "expected lr to be a finite number > 0. Received: lr=inf."),
    ({"lr": []}, "expected lr to be a finite number > 0, or a non-empty list of them."),
    ({"validation_split": 0.7}, "Received: validation_split=0.7."),
    ({"patience": -1}, "Received: patience=-1."),
])
def test_the_library_names_python_arguments(kwargs, match):
    with pytest.raises(ValueError) as caught:
        losslab.compare(dataset="iris", **kwargs)
    assert match in str(caught.value) and "--" not in str(caught.value)


def test_a_nested_parquet_column_is_named_in_one_line(tmp_path, capsys):

    path = tmp_path / "nested.parquet"
    pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "tags": [[1, 2], [3], None, [6]], "y": [0, 1, 0, 1]}).to_parquet(path)
    assert main(["compare", str(path), "--target", "y", "--out", str(tmp_path / "s")]) == 2
    line = one_line_error(capsys)
    assert "column 'tags'" in line and "holds a list in 3 of its 4 rows (a nested Parquet column)" in line
    assert "unhashable" not in line
