"""`losslab reproduce`: the tutorial's experiments, exactly as described."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_regression
from sklearn.preprocessing import StandardScaler

import losslab
from losslab.tutorial import experiments as tutorial
from losslab.tutorial.reproduction import Reproduction


@pytest.fixture(scope="module")
def small():
    """All nine experiments, two seeds each (the real epochs: 100 / 200)."""
    return losslab.reproduce(repeats=2, processes=1)


def test_nine_experiments_with_the_tutorials_losses_and_output_layers():
    got = {(e.problem, e.spec.name, e.output_activation, e.encoding) for e in tutorial.EXPERIMENTS}
    assert got == {
        ("regression", "mean_squared_error", "linear", "real"),
        ("regression", "mean_squared_logarithmic_error", "linear", "real"),
        ("regression", "mean_absolute_error", "linear", "real"),
        ("circles", "binary_crossentropy", "sigmoid", "binary_01"),
        ("circles", "hinge", "tanh", "binary_pm1"),
        ("circles", "squared_hinge", "tanh", "binary_pm1"),
        ("blobs", "categorical_crossentropy", "softmax", "one_hot"),
        ("blobs", "sparse_categorical_crossentropy", "softmax", "integer_class"),
        ("blobs", "kl_divergence", "softmax", "one_hot"),
    }
    assert {p: (s.hidden, s.epochs) for p, s in tutorial.PROBLEMS.items()} == {
        "regression": (25, 100), "circles": (50, 200), "blobs": (50, 100)}


def test_regression_data_is_scaled_before_the_split_as_the_tutorial_does():
    X, y = tutorial.problem_data("regression")
    X0, y0 = make_regression(n_samples=1000, n_features=20, noise=0.1, random_state=1)
    np.testing.assert_allclose(X, StandardScaler().fit_transform(X0))
    np.testing.assert_allclose(y, StandardScaler().fit_transform(y0[:, None])[:, 0])
    assert (y < 0).mean() == pytest.approx(0.5, abs=0.05)  # why MSLE needs Keras' clipping


def test_encodings_follow_each_loss():
    y = np.array([0, 1, 1, 0])
    assert tutorial.encode(y, "binary_pm1", 1)[0].tolist() == [-1, 1, 1, -1]
    assert tutorial.encode(np.array([2, 0]), "one_hot", 3)[0].tolist() == [[0, 0, 1], [1, 0, 0]]
    assert tutorial.encode(np.array([2, 0]), "integer_class", 3)[0].tolist() == [2, 0]


@pytest.mark.parametrize("only, names", [
    ("hinge", ["hinge"]),
    ("bce,kld", ["binary_crossentropy", "kl_divergence"]),
    ("circles", ["binary_crossentropy", "hinge", "squared_hinge"]),
    (["MSE", "sparse_cce"], ["mse", "sparse_categorical_crossentropy"]),
])
def test_select_by_loss_alias_or_problem(only, names):
    assert [e.name for e in tutorial.select(only)] == names


def test_select_refuses_unknown_names():
    with pytest.raises(ValueError, match="unknown experiment 'huber'.*Expected one of: mse"):
        tutorial.select("huber")
    with pytest.raises(ValueError, match="at least one"):
        tutorial.select(" , ")


def test_bad_repeats_and_seed_are_refused():
    with pytest.raises(ValueError, match="repeats >= 1. Received: repeats=0"):
        losslab.reproduce(repeats=0)
    with pytest.raises(ValueError, match="seed >= 0"):
        losslab.reproduce(seed=-1)


def test_table_has_one_row_per_experiment_with_the_tutorials_figure(small):
    table = small.table()
    assert list(table.index) == [e.name for e in tutorial.EXPERIMENTS]
    assert {"train_mean", "test_mean", "test_min", "test_max", "tutorial", "agrees", "comment"} <= set(table.columns)
    acc = table.loc[["binary_crossentropy", "hinge", "categorical_crossentropy"], "test_mean"]
    assert ((acc > 0.5) & (acc <= 1)).all()
    assert (table.loc[["mse", "mae"], "test_mean"] < 0.1).all()


def test_sparse_and_categorical_cross_entropy_are_identical_for_the_same_seed(small):
    a = small.final("categorical_crossentropy")["metric_test"]
    b = small.final("sparse_categorical_crossentropy")["metric_test"]
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_hinge_reports_true_accuracy_and_the_keras2_figure_beside_it(small):
    run = small.runs["circles"]
    rows = run.history.of("hinge")
    _, y = tutorial.problem_data("circles")
    for i, r in enumerate(rows):
        out = run.history.outputs["test"][r][:, 0]
        true = np.mean((out > 0) == (y[500:] == 1))
        keras2 = np.mean(np.round(out) == 2.0 * y[500:] - 1.0)
        assert small.final("hinge")["metric_test"][i] == pytest.approx(true)
        assert small.final("hinge")["keras2_accuracy_test"][i] == pytest.approx(keras2)
        assert keras2 <= true  # rounding can only lose outputs in (-0.5, 0.5)


def test_msle_runs_in_keras_compatibility_mode_and_records_the_refusal(small):
    assert small.experiments[1].spec.params["keras_compat"] is True
    assert "mean_squared_logarithmic_error" in small.refusals["msle"]
    assert "negative" in small.refusals["msle"]


def test_results_files_hold_every_repeat(small, tmp_path):
    json_path, csv_path = small.save(tmp_path)
    frame = pd.read_csv(csv_path)
    assert len(frame) == 9 * 2
    assert set(frame.seed) == {0, 1}
    data = json.loads(json_path.read_text())
    assert len(data["repeats"]) == 18 and len(data["summary"]) == 9
    assert "keras2_accuracy_test" in frame.columns


def test_figures_are_written(small, tmp_path):
    paths = small.plot(tmp_path)
    assert {p.name for p in paths} == {f"{e.name}.png" for e in tutorial.EXPERIMENTS} | {"summary.png"}
    assert all(p.stat().st_size > 10_000 for p in paths)


def test_verdicts_on_planted_numbers():
    """The agreement column, on numbers we choose."""
    res = _fake({"mse": 0.0001, "msle": 0.2, "mae": 0.0002})
    assert res.verdict("mse") == (True, "agrees")
    ok, why = res.verdict("msle")
    assert not ok and "far worse than 'slightly'" in why
    res = _fake({"mse": 0.007, "msle": 0.009, "mae": 0.004})
    ok, why = res.verdict("mse")
    assert not ok and "0.007" in why
    assert res.verdict("msle")[0]


def _fake(test_values):
    """A Reproduction over the regression experiments with constant planted test metrics."""
    from losslab.engine.history import History
    from losslab.tutorial.experiments import ProblemRun

    names = list(test_values)
    member = np.repeat(np.arange(len(names)), 3)
    values = np.array([test_values[n] for n in names]).repeat(3)
    ev = {s: {"loss": values, "mse": values} for s in ("train", "test")}
    h = History(names, member, np.tile([0, 1, 2], len(names)), 1, {"train": values[:, None], "test": values[:, None]},
                {"mse": {"train": values[:, None], "test": values[:, None]}}, [], {}, ev)
    exps = [e for e in tutorial.EXPERIMENTS if e.name in names]
    return Reproduction(exps, [0, 1, 2], {"regression": ProblemRun("regression", names, h, {})})
