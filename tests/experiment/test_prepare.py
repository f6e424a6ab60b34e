"""experiment.prepare: one preparation for compare, check, recommend and landscape; and the
issue-12 regression tests on small tables that reproduce each failure (1, 2, 4, 11)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab import api
from losslab.experiment import prepare as P
from losslab.experiment import trials

TINY = dict(epochs=2, hidden=(4,), batch_size=16, protocol="fixed")


@pytest.fixture
def engine_calls(monkeypatch):
    """Every engine call's X views, then the real training."""
    calls = []
    real = trials.train

    def spy(X, members, replicates, **kwargs):
        calls.append(np.array(X))
        return real(X, members, replicates, **kwargs)

    monkeypatch.setattr(trials, "train", spy)
    return calls


def leaky_table(n: int = 90, seed: int = 0) -> pd.DataFrame:
    """Failure 1's table: sorted by class, with the row names, a unique name and a date column."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    label = np.where(x[:, 0] + rng.normal(scale=1.5, size=n) > 0, "Yes", "No")
    order = np.argsort(label, kind="stable")
    return pd.DataFrame({"rownames": np.arange(1, n + 1), "name": [f"passenger {i}" for i in range(n)],
                         "date": pd.date_range("2020-01-01", periods=n).strftime("%Y-%m-%d"),
                         "x0": x[order, 0], "x1": x[order, 1], "label": label[order]})


# ---------------------------------------------------------------------- failure 1
def test_failure_1_id_row_name_and_date_columns_are_left_out_and_announced(tmp_path, engine_calls):
    path = tmp_path / "passengers.csv"
    leaky_table().to_csv(path, index=False)
    study = losslab.compare(data=str(path), target="label", losses=["bce"], repeats=2, out=tmp_path / "s", **TINY)
    assert study.info["columns_used"] == ["x0", "x1"]
    assert study.data_notes()[:3] == ["dropped `rownames`: row names (unique per row)",
                                      "dropped `name`: unique per row, looks like an ID",
                                      "dropped `date`: dates/times (include= uses them as days since 1970-01-01)"]
    # Two standardized features, not 2 + 90 one-hot names + 90 one-hot dates + a leaking row number.
    assert engine_calls[0].shape == (2, 90, 2)


def test_failure_1_include_and_exclude_override(tmp_path):
    prepared = P.prepare(X=leaky_table().drop(columns="label"), y=leaky_table().label, include=["date"], exclude="x1")
    assert list(prepared.X.columns) == ["date", "x0"]
    assert prepared.dropped_columns["x1"] == "excluded (exclude=)"


# ---------------------------------------------------------------------- failure 2
def test_failure_2_a_level_missing_from_a_training_split_gives_the_same_width(tmp_path, engine_calls):
    rng = np.random.default_rng(1)
    n = 40
    site = np.array(["a", "b"] * (n // 2), dtype=object)
    site[7] = "rare"  # one row: absent from the training rows of every split that holds it out
    X = pd.DataFrame({"x": rng.normal(size=n), "site": site})
    y = X.x * 2 + (X.site == "a") + rng.normal(scale=0.1, size=n)
    study = losslab.compare(X, y, losses=["mse"], repeats=1, cv=4, out=tmp_path, **TINY)
    assert len(study.results) == 4 and set(study.trials().status) == {"ok"}
    views = engine_calls[0]
    assert views.shape == (4, n, 1 + 3)  # x and one column per level of the whole column, in every fold
    # The level set is the column's: where row 7 is held out, 'rare' is still a column (all zeros in
    # training), and row 7 is one-hot in it in every view.
    assert (views[:, 7, 1:].sum(axis=1) == 1).all()


# ---------------------------------------------------------------------- failure 4
def many_classes(n: int = 150, k: int = 28):
    rng = np.random.default_rng(2)
    labels = np.array([f"species {i:02d}" for i in range(k)])[np.arange(n) % k]
    labels[0] = "singleton"  # a class with one row
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    return X, pd.Series(labels, name="species")


def test_failure_4_string_classes_stay_classes_after_encoding(tmp_path):
    X, y = many_classes()
    prepared = P.prepare(X=X, y=y)
    assert prepared.kind == "multiclass" and len(prepared.classes) == 29
    enc = prepared.encode("sparse_categorical_crossentropy", "softmax")  # codes 0..28 would read as counts
    assert enc.values.max() == 28 and enc.output_units == 29
    study = losslab.compare(X, y, repeats=2, cv=3, out=tmp_path, **TINY)  # the advisor's own candidates
    assert "sparse_categorical_crossentropy" in {c.name for c in study.spec.candidates}
    assert len(study.results) == len(study.spec.candidates) * 6
    assert any("'singleton' (1 row(s)) have fewer than 3 rows" in n for n in study.data_notes())


@pytest.mark.parametrize(("method", "k", "test_size"), [("holdout", None, 0.25), ("kfold", 5, 0.25), ("5x2", None, 0.5)])
def test_rare_classes_are_pooled_out_of_stratification_not_refused(method, k, test_size):
    X, y = many_classes()
    prepared = P.prepare(X=X, y=y)
    splits, notes = prepared.splits(method=method, seed=0, k=k, test_size=test_size)
    assert splits and notes and "singleton" in notes[0]
    # Every class with enough rows is still spread evenly: 5 or 6 rows each, one or two per test fold.
    strata = prepared.strata()
    for s in splits:
        per_class = np.bincount(strata[s.test], minlength=29)[1:]
        assert per_class.max() - per_class.min() <= 2


def test_stratify_false_and_too_many_classes_for_a_holdout():
    X, y = many_classes()
    prepared = P.prepare(X=X, y=y)
    assert prepared.splits(method="holdout", seed=0, stratify=False)[1] == []
    small = P.prepare(X=X.iloc[:60], y=y.iloc[:60])  # 28 classes, 15 test rows: cannot hold every class
    splits, notes = small.splits(method="holdout", seed=0, test_size=0.25)
    assert "splits not stratified" in notes[-1] and len(splits[0].test) == 15


# ---------------------------------------------------------------------- failure 11
def gappy(n: int = 60):
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"x": rng.normal(size=n), "age": rng.uniform(20, 60, size=n),
                      "port": rng.choice(["S", "C", "Q"], size=n).astype(object)})
    y = pd.Series(2 * X.x + rng.normal(scale=0.2, size=n), name="y")
    X.loc[[2, 9, 30, 41], "age"] = np.nan
    X.loc[[5], "port"] = None
    y[[11, 12]] = np.nan
    return X, y


def test_failure_11_missing_values_are_imputed_not_refused(tmp_path, engine_calls):
    X, y = gappy()
    study = losslab.compare(X, y, losses=["mse"], repeats=2, out=tmp_path / "a", **TINY)
    t = study.trials()
    assert (t.n_train + t.n_test == 58).all() and set(t.status) == {"ok"}  # the 2 rows without a target dropped
    assert study.data_notes() == [
        "dropped 2 row(s) whose target is missing",
        "missing values in `age` (4), `port` (1): imputed with each training fold's median (numbers) or most "
        "frequent level (text), plus a missing-indicator column each",
    ]
    assert engine_calls[0].shape[2] == 2 + 3 + 2  # x, age, three ports, two indicators
    dropped = losslab.compare(X, y, losses=["mse"], repeats=2, dropna=True, out=tmp_path / "b", **TINY)
    assert (dropped.trials().n_train + dropped.trials().n_test == 53).all()
    assert dropped.data_notes()[1] == "dropped 5 row(s) with a missing feature value (dropna)"


def test_features_are_imputed_with_the_training_rows_statistics_only():
    X, y = gappy()
    prepared = P.prepare(X=X, y=y)
    train = np.arange(0, 40)
    out = prepared.features(train)
    ages = prepared.X.age.to_numpy()
    filled = np.where(np.isnan(ages[train]), np.nanmedian(ages[train]), ages[train])
    missing_row = int(np.flatnonzero(np.isnan(ages))[0])
    assert out[missing_row, 1] == pytest.approx((np.nanmedian(ages[train]) - filled.mean()) / filled.std())


# ---------------------------------------------------------------------- the kind, carried
def test_kind_overrides_inference_and_is_carried():
    rng = np.random.default_rng(4)
    X = pd.DataFrame({"a": rng.normal(size=80)})
    y = pd.Series(rng.poisson(3, size=80), name="visits")
    assert P.prepare(X=X, y=y).kind in ("multiclass", "counts")
    assert P.prepare(X=X, y=y, kind="counts").kind == "counts"
    assert P.prepare(X=X, y=y, kind="regression").strata() is None
    assert P.prepare(X=X, y=(y > 3).map({True: "yes", False: "no"}), kind="binary").kind == "binary"
    assert P.check_kind("probabilities") == "probability_rows"
    with pytest.raises(ValueError, match=r"expected kind in .*Received: kind='ordered'"):
        P.prepare(X=X, y=y, kind="ordered")


def test_targets_only_ignore_features_and_their_gaps():
    X, y = gappy()
    prepared = P.prepare(X=X, y=y, dropna=True, features=False)
    assert prepared.X.shape == (58, 0) and len(prepared.y) == 58  # --dropna drops only rows without a target
    with pytest.raises(ValueError, match="features=False"):
        prepared.features(np.arange(10))


def test_encode_refuses_with_the_advisors_fix():
    X, y = many_classes()
    with pytest.raises(ValueError, match="binary_crossentropy is for two classes or 0/1 label columns"):
        P.prepare(X=X, y=y).encode("bce", "sigmoid")


def test_scale_targets_matches_the_formula():
    values = np.array([1.0, 2.0, 4.0, 8.0, 100.0])
    rows = np.array([0, 1, 2, 3])
    scaled, (mean, std) = P.scale_targets(values, "real", rows)
    assert mean == pytest.approx(3.75) and std == pytest.approx(np.std(values[:4]))
    np.testing.assert_allclose(scaled * std + mean, values)
    positive, (zero, std2) = P.scale_targets(values, "counts", rows)
    assert zero == 0.0 and (positive > 0).all() and std2 == std
    same, none = P.scale_targets(values, "binary_01", rows)
    assert none is None and same is values
    flat, (_, one) = P.scale_targets(np.ones(5), "real", rows)
    assert one == 1.0 and (flat == 0).all()


def test_sources_and_their_errors(tmp_path):
    assert P.prepare(dataset="iris").data == "dataset:iris"
    with pytest.raises(ValueError, match="exactly one of"):
        P.prepare(dataset="iris", X=np.zeros((3, 1)), y=[0, 1, 0])
    with pytest.raises(ValueError, match="expected no target with dataset='iris'"):
        P.prepare(dataset="iris", target="species")
    path = tmp_path / "t.csv"
    pd.DataFrame({"id": range(12), "k": [1] * 12, "y": [0, 1] * 6}).to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"every column was left out \(id: counts the rows .*; k: constant .*\)\. Pass include="):
        P.prepare(str(path), "y")
    assert list(P.prepare(str(path), "y", include=["k"]).X.columns) == ["k"]


def test_the_python_api_reads_data_the_same_way(tmp_path):
    path = tmp_path / "buyers.csv"
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"a": rng.normal(size=30), "answer": np.where(np.arange(30) % 3 == 0, "Yes", "No")})
    frame.loc[2, "a"] = np.nan
    frame.loc[4, "answer"] = None
    frame.to_csv(path, index=False)
    losslab.check("bce", "sigmoid", data=str(path), target="answer")  # encoded as compare encodes it
    with pytest.raises(ValueError, match="expects numeric targets in"):
        losslab.check("bce", "sigmoid", frame.answer.dropna())  # y given as is: checked as the loss would see it
    assert losslab.recommend(data=str(path), target="answer").problem.n_samples == 29
    assert losslab.recommend(data=str(path), target="answer", kind="multiclass").problem.kind == "multiclass"
    X, y, info = api.load_data(str(path), "answer")
    assert list(X.columns) == ["a"] and len(y) == 29 and info["kind"] == "binary"


# ---------------------------------------------------------------------- memory on large tables
def _table_with_gaps(n: int = 3_000) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(rng.normal(size=(n, 4)) * [1.0, 10.0, 1e3, 0.01], columns=["a", "b", "c", "d"])
    frame["site"] = rng.choice(["north", "south", "east"], n)
    frame.loc[rng.random(n) < 0.05, "b"] = np.nan
    return frame, frame["a"].to_numpy() * 2 + rng.normal(size=n)


@pytest.mark.parametrize("lean", [False, True])
def test_views_are_one_float32_array_equal_to_each_splits_float64_features(monkeypatch, lean):
    from losslab.data import preprocess

    frame, y = _table_with_gaps()
    prepared = P.prepare(X=frame, y=y)
    rng = np.random.default_rng(0)
    train_sets = [np.sort(rng.choice(len(frame), 2_000, replace=False)) for _ in range(3)]
    monkeypatch.setattr(preprocess, "LEAN_CELLS", 0 if lean else 10**12)
    monkeypatch.setattr(trials, "_VIEW_ROWS", 700)  # several blocks of rows, the last one short
    views = trials._views(prepared, train_sets)
    # One float32 array that owns its data, (splits, rows, columns): no float64 stack, no view of a copy.
    assert views.dtype == np.float32 and views.base is None and views.flags.c_contiguous
    assert views.shape == (3, len(frame), 4 + 3 + 1)  # 4 numbers, 3 sites, b's missing indicator
    for v, rows in enumerate(train_sets):
        np.testing.assert_allclose(views[v], prepared.features(rows), rtol=1e-6, atol=1e-6)


@pytest.mark.skipif(int(pd.__version__.split(".")[0]) < 3, reason="pandas < 3 copies a selection of columns (no copy-on-write)")
def test_prepare_keeps_the_tables_columns_without_copying_them():
    frame, y = _table_with_gaps()
    prepared = P.prepare(X=frame, y=y)
    for c in "abcd":  # (a text column's to_numpy converts pandas' strings, so only numbers are compared)
        assert np.shares_memory(prepared.X[c].to_numpy(), frame[c].to_numpy())
