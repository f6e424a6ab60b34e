"""Several data sets in one study: per-data-set verdicts and statistics across data sets."""

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab.cli import main
from losslab.stats.across import compare_across

TINY = dict(repeats=2, epochs=3, hidden=(6,), batch_size=16)


@pytest.fixture
def tables(tmp_path):
    folder = tmp_path / "tables"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        X = rng.normal(size=(80, 3))
        y = X @ rng.normal(size=3) + rng.standard_t(2 + i, size=80) * 0.3
        pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y}).to_csv(folder / f"set{i}.csv", index=False)
    (folder / "notes.txt").write_text("not data")
    return folder


def test_a_suite_compares_the_same_losses_on_every_data_set_and_across_them(tables, tmp_path):
    suite = losslab.compare_suite(datasets_dir=tables, target="y", losses="mse,mae,huber", out=tmp_path / "s", **TINY)
    assert list(suite.studies) == ["set0", "set1", "set2"]
    means = suite.means()
    assert list(means.columns) == ["mean_squared_error", "mean_absolute_error", "huber"]
    for name, study in suite.studies.items():
        np.testing.assert_allclose(means.loc[name], study.summary()["rmse_mean"].to_numpy())
    # The across-data-set statistics are compare_across on those means.
    long = means.reset_index(names="dataset").melt(id_vars="dataset", var_name="loss", value_name="value")
    expected = compare_across(long, higher_is_better=False, metric="rmse")
    assert suite.across().avg_ranks == expected.avg_ranks
    assert "over 3 data sets" in suite.verdict()
    assert set(suite.verdicts()) == {"set0", "set1", "set2"}
    page = suite.report().read_text()
    assert "set1/report.html" in page and "data:image/png;base64," in page
    assert all((tmp_path / "s" / n / "report.html").exists() for n in suite.studies)


def test_a_suite_resumes_and_refuses_other_data_sets_in_its_folder(tables, tmp_path):
    a = losslab.compare_suite(datasets_dir=tables, target="y", losses="mse,mae", out=tmp_path / "s", **TINY)
    b = losslab.compare_suite(datasets_dir=tables, target="y", losses="mse,mae", out=tmp_path / "s", **TINY)
    pd.testing.assert_frame_equal(a.means(), b.means())
    with pytest.raises(ValueError, match="lists other data sets"):
        losslab.compare_suite("diabetes,linnerud", losses="mse,mae", out=tmp_path / "s", **TINY)


def test_every_data_set_is_checked_before_any_trains(tables, tmp_path):
    pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "y": [1, 1, 1, 1]}).to_csv(tables / "set9.csv", index=False)
    with pytest.raises(ValueError, match="data set set9: .*single"):
        losslab.compare_suite(datasets_dir=tables, target="y", losses="mse,mae", out=tmp_path / "s", **TINY)
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("kwargs, message", [
    (dict(datasets="iris"), "at least 2 data sets"),
    (dict(datasets="iris,breast_cancer", losses=None), r"the advisor recommends no loss for all of them \(iris: "
     r"sparse_categorical_crossentropy, .*; breast_cancer: binary_crossentropy, hinge, squared_hinge\)\. Received: no "
     r"losses\. Pass losses= with at least two, e\.g\. losses='sparse_categorical_crossentropy,"),
    (dict(datasets=None), "datasets='a,b,c' or datasets_dir=FOLDER"),
])
def test_suite_arguments_are_validated(kwargs, message, tmp_path):
    args = {"losses": "cce,kld", **kwargs}
    with pytest.raises(ValueError, match=message):
        losslab.compare_suite(args.pop("datasets"), out=tmp_path / "s", **args, **TINY)


def test_without_losses_a_suite_compares_the_advisors_candidates_common_to_every_data_set(tmp_path):
    from losslab.experiment import sources, suite as suites

    named = sources.suite_sources("iris,wine", None)
    common = ["sparse_categorical_crossentropy", "sparse_categorical_crossentropy(label_smoothing=0.1)"]
    assert suites.suite_losses(named) == common
    ran = losslab.compare_suite("iris,wine", out=tmp_path / "s", **TINY)
    assert all([c.label for c in study.spec.candidates] == common for study in ran.studies.values())

    # Candidates weighted for one data set's classes are not offered for the others.
    folder = tmp_path / "imbalanced"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name, labels in (("ninety", [0] * 90 + [1] * 10), ("eightyfive", [0] * 85 + [1] * 15), ("three", [0] * 70 + [1] * 20 + [2] * 10)):
        pd.DataFrame({"x": rng.normal(size=100), "y": labels}).to_csv(folder / f"{name}.csv", index=False)
        if name == "eightyfive":  # two binary sets: their pos_weight differs, so it is not in common
            binary = suites.suite_losses(sources.suite_sources(None, folder), "y")
            assert binary == ["binary_crossentropy", "hinge", "squared_hinge", "binary_focal_crossentropy"]
    with pytest.raises(ValueError) as refused:
        suites.suite_losses(sources.suite_sources(None, folder), "y")
    said = str(refused.value)
    assert "binary_crossentropy(pos_weight=" in said.split("Received")[0]  # listed per data set
    assert "weight=" not in said.split("e.g.")[1]  # not offered for all


def test_the_command_line_runs_and_redraws_a_suite(tmp_path, capsys):
    out = tmp_path / "suite"
    args = ["compare", "--dataset", "iris,wine", "--losses", "cce,kld", "--repeats", "2", "--epochs", "2", "--hidden", "4",
            "--out", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "Across data sets:" in text and "average rank" in text
    # Each data set's progress counts its own 4 trials (2 losses x 2 repeats), not the suite's so far.
    done = [line for line in text.splitlines() if "trials done" in line]
    assert len(done) == 2 and all("] 4 trials done" in line for line in done), done
    assert main(["report", str(out)]) == 0
    assert (out / "report.html").exists() and (out / "iris" / "report.html").exists()
