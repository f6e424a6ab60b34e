"""Named data sets: scikit-learn's bundled ones and the tutorial's three problems, exactly."""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest
import sklearn.datasets as skd

from losslab.data import Dataset, dataset_names, load_dataset

BUNDLED = {"iris": skd.load_iris, "wine": skd.load_wine, "breast_cancer": skd.load_breast_cancer,
           "digits": skd.load_digits, "diabetes": skd.load_diabetes, "linnerud": skd.load_linnerud}


def test_names():
    assert dataset_names() == ["blobs", "breast_cancer", "circles", "diabetes", "digits", "iris", "linnerud", "regression", "wine"]


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_data_sets_equal_scikit_learns_arrays(name):
    X, y = BUNDLED[name](return_X_y=True)
    ds = load_dataset(name)
    assert isinstance(ds.X, pd.DataFrame)
    np.testing.assert_array_equal(ds.X.to_numpy(), X)
    np.testing.assert_array_equal(ds.y.to_numpy(), y)
    assert ds.source == f"scikit-learn {BUNDLED[name].__name__}"
    assert ds.name == name and "\n" not in ds.description and f"{len(X)} rows" in ds.description


def test_linnerud_has_three_target_columns():
    ds = load_dataset("linnerud")
    assert isinstance(ds.y, pd.DataFrame)
    assert ds.target_columns == ["Weight", "Waist", "Pulse"]
    assert list(ds.X.columns) == ["Chins", "Situps", "Jumps"]


def test_single_targets_are_series():
    ds = load_dataset("iris")
    assert isinstance(ds.y, pd.Series) and ds.target_columns == ["target"]
    assert sorted(ds.y.unique()) == [0, 1, 2]


@pytest.mark.parametrize(("name", "make", "kwargs"), [
    # The tutorial's calls, word for word ("How to Choose Loss Functions When Training Deep Learning Neural Networks").
    ("regression", skd.make_regression, {"n_samples": 1000, "n_features": 20, "noise": 0.1, "random_state": 1}),
    ("circles", skd.make_circles, {"n_samples": 1000, "noise": 0.1, "random_state": 1}),
    ("blobs", skd.make_blobs, {"n_samples": 1000, "centers": 3, "n_features": 2, "cluster_std": 2, "random_state": 2}),
])
def test_tutorial_problems_equal_the_generators_exactly_and_unscaled(name, make, kwargs):
    X, y = make(**kwargs)
    ds = load_dataset(name)
    np.testing.assert_array_equal(ds.X.to_numpy(), X)  # bit for bit: no scaling
    np.testing.assert_array_equal(ds.y.to_numpy(), y)
    assert ds.X.dtypes.eq(np.float64).all() and ds.y.dtype == y.dtype
    assert list(ds.X.columns) == [f"x{j}" for j in range(X.shape[1])] and ds.y.name == "y"
    assert ds.source.startswith(f"scikit-learn {make.__name__}(n_samples=1000")


def test_names_ignore_case_hyphens_and_spaces():
    assert load_dataset("Breast-Cancer").name == "breast_cancer"
    assert load_dataset(" IRIS ").name == "iris"


def test_unknown_name_lists_the_known_ones_and_suggests_a_close_match():
    with pytest.raises(ValueError, match=r"unknown data set name='irsi'\. Did you mean 'iris'\? Known names: blobs, breast_cancer, .*wine\."):
        load_dataset("irsi")
    with pytest.raises(ValueError, match=r"unknown data set name='houses.csv'\..*use load_table\(path, target\)"):
        load_dataset("houses.csv")
    with pytest.raises(ValueError, match="Known names") as info:
        load_dataset("mnist")
    assert "Did you mean" not in str(info.value)


def test_nothing_touches_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("losslab.data tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    for name in dataset_names():
        assert len(load_dataset(name).X) > 0


def test_summary():
    s = load_dataset("digits").summary()
    assert s == {"name": "digits", "rows": 1797, "features": 64, "numeric_features": 64, "categorical_features": 0,
                 "other_features": 0, "targets": ["target"], "dropped_rows": 0, "source": "scikit-learn load_digits"}
    mixed = Dataset("m", pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"], "c": [True, False],
                                       "d": pd.Categorical(["u", "v"])}), pd.Series([0, 1], name="t"), "test", "mixed")
    assert (mixed.summary()["numeric_features"], mixed.summary()["categorical_features"]) == (1, 3)


def test_dataset_checks_its_parts():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"expected one target row per feature row\. Received: 3 rows in X, 2 in y"):
        Dataset("d", X, pd.Series([1, 2]), "test", "bad")
    with pytest.raises(TypeError, match="expected X to be a pandas DataFrame. Received: ndarray"):
        Dataset("d", X.to_numpy(), pd.Series([1, 2, 3]), "test", "bad")
    with pytest.raises(TypeError, match="expected y to be a pandas Series or DataFrame"):
        Dataset("d", X, [1, 2, 3], "test", "bad")
    ds = Dataset("d", X, pd.Series([1, 2, 3], name="t"), "test", "ok")
    with pytest.raises(AttributeError):
        ds.name = "other"  # frozen
