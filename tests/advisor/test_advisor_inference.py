"""infer_problem (advisor/inference.py): one test per branch of the enumeration, the refusals, and properties."""

import doctest
import importlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losslab.advisor import MAX_CLASSES, infer_problem


# ---------------------------------------------------------------- binary
def test_breast_cancer_evidence_reads_like_the_brief():
    from sklearn.datasets import load_breast_cancer

    p = infer_problem(load_breast_cancer().target)
    assert p.kind == "binary" and p.form == "labels"
    assert p.evidence == "binary: 2 distinct values {0, 1}, 212 / 357 (minority share 37.3%)"
    assert p.classes == (0, 1) and p.class_counts == (212, 357)
    assert p.minority_share == pytest.approx(212 / 569)


@pytest.mark.parametrize("y, classes", [
    ([1, 2, 2, 1, 2], (1, 2)),
    ([-1, 1, 1, -1], (-1, 1)),
    ([0.5, 3.7, 3.7], (0.5, 3.7)),  # any two numbers are two classes
    ([2.0, 1.0, 2.0], (1.0, 2.0)),
])
def test_any_two_numeric_values_are_binary(y, classes):
    p = infer_problem(y)
    assert p.kind == "binary"
    assert p.classes == classes


@pytest.mark.parametrize("y", [[True, False, True], np.array([True, False, False]), pd.Series([True, False, True])])
def test_booleans_are_binary_labels(y):
    p = infer_problem(y)
    assert p.kind == "binary"
    assert p.classes == (False, True)
    assert "labels" in p.evidence


def test_string_labels_are_classes():
    p = infer_problem(["spam", "ham", "ham", "spam", "ham"])
    assert p.kind == "binary" and p.classes == ("ham", "spam") and p.class_counts == (3, 2)
    assert p.evidence.startswith("binary: 2 distinct labels {'ham', 'spam'}, 3 / 2")
    p = infer_problem(np.array(["a", "b", "c", "a"]))
    assert p.kind == "multiclass" and p.classes == ("a", "b", "c") and p.integer_valued is None


def test_pandas_categorical_keeps_category_order_and_drops_unused_categories():
    y = pd.Series(["high", "low", "mid", "low"], dtype=pd.CategoricalDtype(["low", "mid", "high", "extreme"]))
    p = infer_problem(y)
    assert p.kind == "multiclass"
    assert p.classes == ("low", "mid", "high")
    assert p.class_counts == (2, 1, 1)


def test_categorical_of_numbers_is_still_labels():
    p = infer_problem(pd.Series(pd.Categorical([10, 20, 30, 10, 20, 30])))
    assert p.kind == "multiclass" and p.classes == (10, 20, 30) and "labels" in p.evidence


def test_torch_tensors_and_column_vectors_are_read():
    import torch

    assert infer_problem(torch.tensor([0, 1, 1, 0])).kind == "binary"
    p = infer_problem(np.array([[0.1], [0.7], [2.5]]))  # (n, 1) is one column
    assert p.kind == "regression" and p.n_columns == 1
    assert infer_problem(pd.DataFrame({"y": ["a", "b", "a"]})).kind == "binary"


# ---------------------------------------------------------------- multiclass vs counts
@pytest.mark.parametrize("loader, k", [("load_iris", 3), ("load_wine", 3), ("load_digits", 10)])
def test_integer_labels_with_many_samples_per_value_are_classes(loader, k):
    import sklearn.datasets

    p = infer_problem(getattr(sklearn.datasets, loader)().target)
    assert p.kind == "multiclass" and p.n_classes == k and p.form == "labels"
    assert p.classes == tuple(range(k))
    # the ambiguity is said, with the way out
    assert any("kind='counts'" in n for n in p.notes)


def test_float_counts_1_to_300_are_counts_not_300_classes():
    y = np.arange(1.0, 301.0)
    p = infer_problem(y)
    assert p.kind == "counts"
    assert p.classes is None and p.n_distinct == 300
    assert "not classes" in p.evidence and "more than 20 distinct values" in p.evidence
    assert p.integer_valued is True


def test_poisson_counts_with_a_rare_tail_are_counts():
    rng = np.random.default_rng(0)
    y = rng.poisson(2.0, size=1000).astype(float)
    p = infer_problem(y)
    assert p.kind == "counts"
    assert p.zero_share == pytest.approx(np.mean(y == 0))
    # few distinct values: the note says why they are not classes, and how to say they are
    assert any("kind='multiclass'" in n for n in p.notes)


def test_small_samples_of_integer_labels_are_classes():
    # each value needs min(5, n // k) samples: 2 here
    assert infer_problem([0, 1, 2, 2, 1, 0]).kind == "multiclass"
    assert infer_problem([-1, 0, 1, -1, 0, 1, 1]).kind == "multiclass"


def test_integers_from_25_are_a_regression_target_with_a_counts_hint():
    from sklearn.datasets import load_diabetes

    p = infer_problem(load_diabetes().target)
    assert p.kind == "regression" and p.integer_valued
    assert (p.min, p.max) == (25.0, 346.0)
    assert any("kind='counts'" in n for n in p.notes)


def test_signed_integers_with_many_values_are_regression():
    y = np.arange(-50, 50)
    p = infer_problem(y)
    assert p.kind == "regression" and "negative" in p.evidence


def test_real_values_are_regression_and_unit_interval_gets_a_soft_target_note():
    rng = np.random.default_rng(1)
    p = infer_problem(rng.normal(size=200))
    assert p.kind == "regression" and p.form == "values" and not p.integer_valued
    p = infer_problem(rng.uniform(size=50))
    assert any("soft targets" in n for n in p.notes)


# ---------------------------------------------------------------- 2-D targets
def test_one_hot_rows_are_multiclass_with_column_labels():
    y = pd.DataFrame(np.eye(3, dtype=int)[[0, 1, 2, 1, 1]], columns=["cat", "dog", "owl"])
    p = infer_problem(y)
    assert p.kind == "multiclass" and p.form == "one_hot"
    assert p.classes == ("cat", "dog", "owl") and p.class_counts == (1, 3, 1)
    assert p.evidence.startswith("multiclass (one-hot encoded): 3 columns, exactly one 1 per row")


def test_one_hot_with_an_unused_column_notes_it():
    p = infer_problem(np.eye(4)[[0, 1, 0, 1]])
    assert p.kind == "multiclass" and p.n_classes == 4
    assert any("never set" in n for n in p.notes)


def test_several_01_columns_are_multilabel():
    y = np.array([[1, 0, 1], [0, 1, 1], [0, 0, 1], [1, 1, 1]])
    p = infer_problem(y)
    assert p.kind == "multilabel" and p.form == "indicator"
    assert p.classes == (0, 1, 2) and p.class_counts == (2, 2, 4)
    assert any("always set" in n for n in p.notes)
    assert infer_problem(y.astype(bool)).kind == "multilabel"


def test_probability_rows():
    rng = np.random.default_rng(2)
    p = infer_problem(rng.dirichlet([1.0, 1.0, 1.0], size=20))
    assert p.kind == "probability_rows" and p.n_classes == 3 and p.class_counts is None


def test_several_real_columns_are_multi_output_regression():
    from sklearn.datasets import load_linnerud

    p = infer_problem(load_linnerud().target)
    assert p.kind == "regression" and p.n_columns == 3 and p.form == "values"
    assert p.evidence.startswith("regression with 3 outputs")


# ---------------------------------------------------------------- refusals
@pytest.mark.parametrize("y", [[3, 3, 3], ["a", "a"], [[1, 0], [1, 0]], np.ones((4, 2)) * 0.5, [[0, 1, 1], [0, 1, 1]]])
def test_a_single_class_is_refused(y):
    with pytest.raises(ValueError, match="a single class"):
        infer_problem(y)


def test_nan_and_inf_are_counted():
    with pytest.raises(ValueError, match=r"2 NaN and 1 infinite value\(s\) in y \(of 6\)"):
        infer_problem([1.0, np.nan, 2.0, np.inf, np.nan, 3.0])


def test_missing_labels_are_counted():
    with pytest.raises(ValueError, match=r"2 missing value\(s\)"):
        infer_problem(["a", None, "b", np.nan])
    with pytest.raises(ValueError, match=r"1 missing value"):
        infer_problem(pd.Series([1, None, 2], dtype="Int64"))


@pytest.mark.parametrize("y, match", [
    ([], "empty"),
    (np.zeros((0, 3)), "empty"),
    (3.0, "scalar"),
    (np.zeros((2, 2, 2)), "shape"),
    ([[1, 2], [3]], "ragged"),
    ([["a", "b"], ["c", "d"]], "multi-output multiclass"),
])
def test_bad_shapes_are_refused(y, match):
    with pytest.raises(ValueError, match=match):
        infer_problem(y)


def test_mixed_label_types_are_refused():
    with pytest.raises(TypeError, match="mixed types"):
        infer_problem(np.array(["a", 1, 2.0], dtype=object))


# ---------------------------------------------------------------- kind=
def test_kind_settles_the_ambiguity():
    from sklearn.datasets import load_iris

    p = infer_problem(load_iris().target, kind="counts")
    assert p.kind == "counts" and "inferred 'multiclass'" in p.notes[0]
    q = infer_problem(np.random.default_rng(0).poisson(2.0, 500), kind="multiclass")
    assert q.kind == "multiclass" and q.classes[0] == 0
    r = infer_problem([0, 1, 0, 1], kind="regression")
    assert r.kind == "regression"


@pytest.mark.parametrize("y, kind, match", [
    ([-1, 2, 5, 7, 9], "counts", "non-negative"),
    ([0, 1, 2, 0], "binary", "exactly 2"),
    ([0.1, 0.2, 0.3], "multilabel", "does not fit"),
    (["a", "b"], "regression", "does not fit"),
    ([0, 1], "ordinal", "at least 3 ordered levels"),
])
def test_kind_must_fit_the_targets(y, kind, match):
    with pytest.raises(ValueError, match=match):
        infer_problem(y, kind=kind)


# ---------------------------------------------------------------- statistics
# ---------------------------------------------------------------- properties
@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 5000), min_size=MAX_CLASSES + 1, max_size=300, unique=True), st.booleans())
def test_numeric_targets_with_many_distinct_values_are_never_classes(values, as_float):
    y = np.array(values, dtype=float if as_float else int)
    p = infer_problem(y)
    assert p.kind in ("counts", "regression")
    assert p.kind == ("counts" if min(values) <= 1 else "regression")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-30, 30), min_size=3, max_size=MAX_CLASSES, unique=True), st.integers(5, 12))
def test_integer_labels_repeated_enough_are_classes(labels, repeat):
    y = np.repeat(labels, repeat)
    np.random.default_rng(0).shuffle(y)
    p = infer_problem(y)
    assert p.kind == "multiclass" and p.classes == tuple(sorted(labels))
    assert sum(p.class_counts) == y.size


# ---------------------------------------------------------------- the docstring examples run
# The package re-exports functions named like their modules (advisor.check is the function).
@pytest.mark.parametrize("module", ["", ".inference", ".problem", ".recommend", ".check", ".encode"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module("losslab.advisor" + module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
