"""Preprocessor: fitted on the training fold only, applied to the test fold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import StandardScaler

from losslab.data import Preprocessor, load_dataset

TRAIN = pd.DataFrame({"size": [1.0, 2.0, 3.0, 6.0], "rooms": [1, 1, 2, 4], "colour": ["red", "blue", "red", "green"]})
TEST = pd.DataFrame({"size": [10.0, 0.0], "rooms": [3, 1], "colour": ["blue", "purple"]})


def test_test_fold_is_scaled_with_the_training_folds_statistics():
    prep = Preprocessor().fit(TRAIN)
    out = prep.transform(TEST)
    mean, std = TRAIN["size"].mean(), TRAIN["size"].std(ddof=0)  # StandardScaler's population std
    np.testing.assert_allclose(out[:, 0], (TEST["size"] - mean) / std, rtol=1e-15)
    # Nothing about the test rows leaks: fitting on train + test would give other numbers.
    leaky = Preprocessor().fit(pd.concat([TRAIN, TEST])).transform(TEST)
    assert not np.allclose(out[:, :2], leaky[:, :2])


def test_training_fold_comes_out_standardized_and_float64():
    out = Preprocessor().fit_transform(TRAIN)
    assert out.dtype == np.float64 and out.shape == (4, 2 + 3)
    np.testing.assert_allclose(out[:, :2].mean(axis=0), 0.0, atol=1e-15)
    np.testing.assert_allclose(out[:, :2].std(axis=0), 1.0, rtol=1e-12)


def test_numeric_data_equals_scikit_learns_standard_scaler():
    X = load_dataset("regression").X
    train, test = X.iloc[:750], X.iloc[750:]
    scaler = StandardScaler().fit(train)
    prep = Preprocessor().fit(train)
    np.testing.assert_allclose(prep.transform(test), scaler.transform(test), rtol=1e-12)


def test_tutorial_scaling_is_fitting_on_all_rows():
    # The tutorial: X = StandardScaler().fit_transform(X), before splitting. Fit on all rows to reproduce it.
    X = load_dataset("regression").X
    np.testing.assert_allclose(Preprocessor().fit_transform(X), StandardScaler().fit_transform(X.to_numpy()), rtol=1e-12)


def test_categorical_columns_are_one_hot_encoded_and_unknown_categories_ignored():
    prep = Preprocessor().fit(TRAIN)
    assert prep.get_feature_names_out() == ["size", "rooms", "colour_blue", "colour_green", "colour_red"]
    assert prep.categorical_columns_ == ["colour"] and prep.numeric_columns_ == ["size", "rooms"]
    out = prep.transform(TEST)
    np.testing.assert_array_equal(out[0, 2:], [1.0, 0.0, 0.0])  # blue
    np.testing.assert_array_equal(out[1, 2:], [0.0, 0.0, 0.0])  # purple: never seen in training -> all zeros


def test_bool_category_and_string_dtypes_are_categorical():
    frame = pd.DataFrame({
        "flag": [True, False, True],
        "grade": pd.Categorical(["a", "b", "a"]),
        "name": pd.array(["x", "y", "z"], dtype="string"),
        "mixed": [1, "1", "two"],
        "value": [0.5, 1.5, 2.5],
    })
    prep = Preprocessor().fit(frame)
    assert prep.numeric_columns_ == ["value"]
    assert prep.categorical_columns_ == ["flag", "grade", "name", "mixed"]
    out = prep.fit_transform(frame)
    assert out.shape == (3, 1 + 2 + 2 + 3 + 2)
    np.testing.assert_array_equal(out[:, 1:].sum(axis=1), [4.0, 4.0, 4.0])  # one hot per categorical column


def test_arrays_are_accepted_as_numeric_columns():
    X = np.array([[1.0, 10.0], [3.0, 30.0]])
    prep = Preprocessor()
    np.testing.assert_allclose(prep.fit_transform(X), [[-1.0, -1.0], [1.0, 1.0]])
    assert prep.get_feature_names_out() == ["x0", "x1"]


def test_feature_name_clash_falls_back_to_prefixed_names():
    frame = pd.DataFrame({"colour_red": [1.0, 2.0], "colour": ["red", "blue"]})
    names = Preprocessor().fit(frame).get_feature_names_out()
    assert len(set(names)) == 3 and "numeric__colour_red" in names and "categorical__colour_red" in names


def test_target_scaling_uses_the_training_folds_target():
    y_train, y_test = pd.Series([10.0, 20.0, 30.0, 40.0]), np.array([25.0, 50.0])
    prep = Preprocessor(scale_target=True).fit(TRAIN, y_train)
    mean, std = 25.0, np.std([10.0, 20.0, 30.0, 40.0])
    np.testing.assert_allclose(prep.transform_target(y_test), (y_test - mean) / std, rtol=1e-15)
    np.testing.assert_allclose(prep.inverse_transform_target(prep.transform_target(y_test)), y_test, rtol=1e-15)
    assert prep.transform_target(y_test).shape == (2,)


def test_several_target_columns_are_scaled_column_by_column():
    y = pd.DataFrame({"lat": [0.0, 2.0, 4.0, 6.0], "lon": [100.0, 100.0, 200.0, 200.0]})
    prep = Preprocessor(scale_target=True).fit(TRAIN, y)
    out = prep.transform_target(y)
    assert out.shape == (4, 2)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-15)
    np.testing.assert_allclose(prep.inverse_transform_target(out), y.to_numpy())


def test_without_target_scaling_the_target_passes_unchanged():
    prep = Preprocessor().fit(TRAIN)
    out = prep.transform_target([1, 2, 3])
    assert out.dtype == np.float64 and out.tolist() == [1.0, 2.0, 3.0]
    assert prep.inverse_transform_target(out).tolist() == [1.0, 2.0, 3.0]


def test_errors():
    with pytest.raises(ValueError, match=r"expected a fitted preprocessor.*Call fit\(X_train\) first"):
        Preprocessor().transform(TRAIN)
    prep = Preprocessor().fit(TRAIN)
    with pytest.raises(ValueError, match=r"expected the columns seen in fit.*Received: missing \['colour'\], unexpected \[\]"):
        prep.transform(TRAIN.drop(columns="colour"))
    with pytest.raises(ValueError, match=r"missing \[\], unexpected \['price'\]"):
        prep.transform(TRAIN.assign(price=1.0))
    with pytest.raises(ValueError, match=r"expected numeric or categorical feature columns\. Received: column\(s\) \['when'\]"):
        Preprocessor().fit(pd.DataFrame({"when": pd.to_datetime(["2024-01-01", "2024-02-01"])}))
    with pytest.raises(ValueError, match=r"expected y, the training fold's target, with scale_target=True"):
        Preprocessor(scale_target=True).fit(TRAIN)
    with pytest.raises(ValueError, match=r"expected a numeric target\. Received: dtype object"):
        Preprocessor(scale_target=True).fit(TRAIN, np.array(["a", "b", "a", "b"], dtype=object))


# ---------------------------------------------------------------------- issue 12: missing values, fixed levels
def test_missing_values_are_imputed_with_the_training_folds_statistics_and_flagged():
    train = TRAIN.assign(size=[1.0, np.nan, 3.0, 10.0], colour=["red", None, "red", "green"])
    test = pd.DataFrame({"size": [np.nan, 2.0], "rooms": [1, 2], "colour": [np.nan, "blue"]})
    prep = Preprocessor().fit(train)
    assert prep.get_feature_names_out() == ["size", "rooms", "colour_green", "colour_red",
                                            "missingindicator_size", "missingindicator_colour"]
    out = prep.transform(test)
    # The median of the training fold's sizes (1, 3, 10) is 3; scaled with the imputed fold (1, 3, 3, 10).
    filled = np.array([1.0, 3.0, 3.0, 10.0])
    assert out[0, 0] == pytest.approx((3.0 - filled.mean()) / filled.std())
    np.testing.assert_array_equal(out[0, 2:], [0.0, 1.0, 1.0, 1.0])  # most frequent level 'red', both flagged
    np.testing.assert_array_equal(out[1, 2:], [0.0, 0.0, 0.0, 0.0])  # 'blue' never seen: all zeros, nothing missing


def test_fixed_levels_and_indicators_give_every_fold_the_same_width():
    # Issue 12, failure 2: a level absent from one training fold changed that fold's width.
    frame = pd.DataFrame({"x": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0], "site": ["a", "a", "b", "a", "c", "a"]})
    levels, indicate = {"site": ["a", "b", "c"]}, ["x"]
    first = Preprocessor(levels=levels, indicate=indicate).fit(frame.iloc[[0, 1, 3]])  # only 'a', no missing x
    second = Preprocessor(levels=levels, indicate=indicate).fit(frame.iloc[[2, 4, 5]])
    assert first.transform(frame).shape == second.transform(frame).shape == (6, 1 + 3 + 1)
    assert first.get_feature_names_out() == second.get_feature_names_out()
    np.testing.assert_array_equal(first.transform(frame)[:, 1:4].sum(axis=0), [4.0, 1.0, 1.0])
    # A column empty in a training fold is kept (filled with 0), not dropped.
    empty = Preprocessor(levels=levels, indicate=indicate).fit(frame.iloc[[2]])
    assert empty.transform(frame).shape == (6, 5)


# ---------------------------------------------------------------------- large training folds
def _mixed_table(n: int = 3_000) -> pd.DataFrame:
    """Numbers with gaps (float and pandas' Int64), a constant and a mostly empty column, text
    with gaps, and a numeric column named like a one-hot column (names fall back to prefixes)."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({
        "a": rng.normal(5.0, 3.0, n), "b": rng.integers(0, 10, n).astype(float), "colour_red": rng.normal(size=n),
        "colour": rng.choice(np.array(["red", "blue", None], dtype=object), n),
        "k": pd.array(rng.integers(0, 5, n), dtype="Int64"), "const": np.ones(n), "late": np.nan,
    })
    frame.loc[rng.random(n) < 0.1, "a"] = np.nan
    frame.loc[rng.random(n) < 0.1, "k"] = pd.NA
    frame.loc[n - 500:, "late"] = 1.0  # empty in a fold of the first rows
    return frame


@pytest.mark.parametrize("kwargs", [{}, {"levels": {"colour": ["blue", "green", "red"]}, "indicate": ["a", "k", "late"]}])
@pytest.mark.parametrize("rows", ["random", "first"])
def test_a_large_fold_column_by_column_equals_scikit_learns_pipeline(monkeypatch, kwargs, rows):
    from losslab.data import preprocess

    frame = _mixed_table()
    fit_rows = (np.sort(np.random.default_rng(2).choice(len(frame), 2_000, replace=False)) if rows == "random"
                else np.arange(2_000))
    whole = Preprocessor(**kwargs).fit(frame.iloc[fit_rows])
    monkeypatch.setattr(preprocess, "LEAN_CELLS", 0)  # every fold counts as large
    lean = Preprocessor(**kwargs).fit(frame, rows=fit_rows)
    assert lean._lean is not None and whole._lean is None  # the two paths did run
    assert lean.get_feature_names_out() == whole.get_feature_names_out()
    assert lean.get_feature_names_out()[0] == "numeric__a"  # the clash with colour_red
    np.testing.assert_allclose(lean.transform(frame), whole.transform(frame), rtol=1e-12, atol=1e-12)
    if rows == "first":  # `late` is empty in the fold: filled with 0, as SimpleImputer(keep_empty_features=True)
        assert lean.get_feature_names_out()[5] == "numeric__late"
        np.testing.assert_array_equal(lean.transform(frame)[:2_000, 5], 0.0)


def test_rows_fits_on_those_rows_and_a_small_fold_keeps_scikit_learns_arithmetic():
    X = load_dataset("regression").X
    rows = np.arange(0, len(X), 3)
    by_rows = Preprocessor().fit(X, rows=rows)
    assert by_rows._lean is None  # below LEAN_CELLS: the pipeline as before, bit for bit
    np.testing.assert_array_equal(by_rows.transform(X), Preprocessor().fit(X.iloc[rows]).transform(X))


def test_a_large_fold_is_never_copied_whole(monkeypatch):
    import tracemalloc

    from losslab.data import preprocess

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(200_000, 20)), columns=[f"x{j}" for j in range(20)])
    rows = np.arange(0, len(frame), 2)
    fold_bytes = len(rows) * 20 * 8  # the training rows as float64: 16 MB
    Preprocessor().fit(frame.iloc[:50])  # scikit-learn's modules imported before measuring
    peaks = {}
    for lean in (False, True):
        monkeypatch.setattr(preprocess, "LEAN_CELLS", 0 if lean else 10**12)
        tracemalloc.start()
        try:
            prep = Preprocessor().fit(frame, rows=rows)
            peaks[lean] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert (prep._lean is not None) == lean
    # Column by column: a few columns' worth of temporaries; scikit-learn's pipeline copies the fold several times.
    assert peaks[True] < fold_bytes / 2 < fold_bytes * 2 < peaks[False]
