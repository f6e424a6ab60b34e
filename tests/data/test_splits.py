"""make_splits: partitions, counts, stratification, determinism, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import KFold, RepeatedKFold, ShuffleSplit, StratifiedKFold

from losslab.data import METHODS, Split, make_splits


def _check_partition(splits, n):
    for s in splits:
        assert s.train.dtype == np.int64 and s.test.dtype == np.int64
        assert np.all(np.diff(s.train) > 0) and np.all(np.diff(s.test) > 0)  # sorted, no repeats
        assert np.intersect1d(s.train, s.test).size == 0
        np.testing.assert_array_equal(np.union1d(s.train, s.test), np.arange(n))


def _check_folds_cover_each_row_once(splits, n, k):
    for r in {s.repeat for s in splits}:
        tests = np.concatenate([s.test for s in splits if s.repeat == r])
        assert len([s for s in splits if s.repeat == r]) == k
        np.testing.assert_array_equal(np.sort(tests), np.arange(n))


def test_kfold():
    splits = make_splits(103, method="kfold", k=5, seed=0)
    assert [(s.repeat, s.fold) for s in splits] == [(0, f) for f in range(5)]
    _check_partition(splits, 103)
    _check_folds_cover_each_row_once(splits, 103, 5)
    assert sorted(s.test.size for s in splits) == [20, 20, 21, 21, 21]


def test_kfold_is_scikit_learns_shuffled_kfold():
    ours = make_splits(50, method="kfold", k=4, seed=7)
    theirs = KFold(n_splits=4, shuffle=True, random_state=7).split(np.zeros(50))
    for s, (train, test) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(s.test, np.sort(test))
        np.testing.assert_array_equal(s.train, np.sort(train))


def test_repeated_kfold():
    splits = make_splits(40, method="repeated_kfold", k=4, repeats=3, seed=1)
    assert [(s.repeat, s.fold) for s in splits] == [(r, f) for r in range(3) for f in range(4)]
    _check_partition(splits, 40)
    _check_folds_cover_each_row_once(splits, 40, 4)
    theirs = list(RepeatedKFold(n_splits=4, n_repeats=3, random_state=1).split(np.zeros(40)))
    np.testing.assert_array_equal(splits[5].test, np.sort(theirs[5][1]))
    assert not np.array_equal(splits[0].test, splits[4].test)  # each repeat reshuffles


def test_five_by_two_gives_ten_splits_of_halves():
    splits = make_splits(101, method="5x2", seed=3)
    assert len(splits) == 10
    assert [(s.repeat, s.fold) for s in splits] == [(r, f) for r in range(5) for f in range(2)]
    _check_partition(splits, 101)
    _check_folds_cover_each_row_once(splits, 101, 2)
    assert {s.test.size for s in splits} == {50, 51}


def test_holdout():
    splits = make_splits(200, method="holdout", seed=5, test_size=0.3, repeats=4)
    assert [(s.repeat, s.fold) for s in splits] == [(r, 0) for r in range(4)]
    _check_partition(splits, 200)
    assert {s.test.size for s in splits} == {60}
    theirs = list(ShuffleSplit(n_splits=4, test_size=0.3, random_state=5).split(np.zeros(200)))
    np.testing.assert_array_equal(splits[2].test, np.sort(theirs[2][1]))


def test_holdout_repeats_keep_the_earlier_splits():
    few = make_splits(50, method="holdout", seed=9, repeats=2)
    many = make_splits(50, method="holdout", seed=9, repeats=5)
    assert few == many[:2]


@pytest.mark.parametrize("method", METHODS)
def test_same_seed_same_splits_other_seed_other_splits(method):
    y = np.repeat([0, 1, 2], 20)
    for stratify in (None, y):
        a = make_splits(60, method=method, seed=11, stratify=stratify)
        b = make_splits(60, method=method, seed=11, stratify=stratify)
        c = make_splits(60, method=method, seed=12, stratify=stratify)
        assert a == b
        assert a != c


def test_stratified_folds_keep_class_ratios():
    y = np.array([0] * 60 + [1] * 30 + [2] * 10)
    rng = np.random.default_rng(0)
    y = y[rng.permutation(y.size)]
    splits = make_splits(y, method="repeated_kfold", k=5, repeats=2, seed=0, stratify=True)
    _check_partition(splits, 100)
    for s in splits:
        np.testing.assert_array_equal(np.bincount(y[s.test], minlength=3), [12, 6, 2])
    theirs = StratifiedKFold(n_splits=5, shuffle=True, random_state=4).split(np.zeros(100), y)
    ours = make_splits(100, method="kfold", seed=4, stratify=y)
    for s, (_, test) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(s.test, np.sort(test))


def test_stratified_holdout_keeps_class_ratios():
    y = np.array(["a"] * 80 + ["b"] * 20)
    for s in make_splits(100, method="holdout", seed=2, test_size=0.25, repeats=3, stratify=y):
        values, counts = np.unique(y[s.test], return_counts=True)
        assert dict(zip(values.tolist(), counts.tolist())) == {"a": 20, "b": 5}


def test_unstratified_folds_can_miss_the_ratio_stratified_cannot():
    # 10 rows of a rare class over 5 folds: stratified gives exactly 2 per fold.
    y = np.array([1] * 10 + [0] * 90)
    counts = {len(np.intersect1d(s.test, np.flatnonzero(y))) for s in make_splits(100, method="kfold", seed=0, stratify=y)}
    assert counts == {2}


def test_split_is_frozen_and_read_only():
    s = make_splits(10, method="kfold", k=2, seed=0)[0]
    with pytest.raises(AttributeError):
        s.fold = 3
    with pytest.raises(ValueError):
        s.train[0] = 99
    assert repr(s) == "Split(repeat=0, fold=0, train=5 rows, test=5 rows)"
    assert Split(0, 0, [3, 1], [2]).train.tolist() == [1, 3]


def test_target_or_row_count():
    y = np.arange(30)
    assert make_splits(y, method="kfold", seed=0) == make_splits(30, method="kfold", seed=0)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 60), k=st.integers(2, 6), seed=st.integers(0, 2**32 - 1))
def test_kfold_always_partitions_the_rows(n, k, seed):
    if n < k:
        with pytest.raises(ValueError, match="at least as many rows as folds"):
            make_splits(n, method="kfold", k=k, seed=seed)
        return
    splits = make_splits(n, method="kfold", k=k, seed=seed)
    _check_partition(splits, n)
    _check_folds_cover_each_row_once(splits, n, k)


# ---------------------------------------------------------------------------- errors
def test_fewer_rows_than_folds():
    with pytest.raises(ValueError, match=r"expected at least as many rows as folds\. Received: 3 rows for k=5 folds\. Use k <= 3"):
        make_splits(3, method="kfold", seed=0)


@pytest.mark.parametrize("k", [1, 0, -2, 2.5, True])
def test_k_below_two(k):
    with pytest.raises(ValueError, match=r"expected k, the number of folds, to be an int of at least 2\. Received: k="):
        make_splits(10, method="kfold", k=k, seed=0)


@pytest.mark.parametrize("test_size", [0, 1, 1.5, -0.1, 0.0, "0.2"])
def test_test_size_outside_zero_one(test_size):
    with pytest.raises(ValueError, match=r"expected test_size strictly between 0 and 1.*Received: test_size="):
        make_splits(10, method="holdout", seed=0, test_size=test_size)


def test_test_size_leaving_no_training_row():
    with pytest.raises(ValueError, match=r"expected at least one training row"):
        make_splits(2, method="holdout", seed=0, test_size=0.9)


def test_stratify_with_a_class_smaller_than_k_names_the_class():
    y = np.array(["cat"] * 20 + ["dog"] * 3)
    with pytest.raises(ValueError, match=r"expected every class to have at least k=5 rows for stratified folds\. Received: class 'dog' has 3 row\(s\)\. Use k <= 3"):
        make_splits(23, method="kfold", seed=0, stratify=y)
    with pytest.raises(ValueError, match=r"class 'dog' has 3 row"):
        make_splits(23, method="repeated_kfold", k=4, repeats=2, seed=0, stratify=y)


def test_stratified_holdout_needs_two_rows_per_class_and_room():
    with pytest.raises(ValueError, match=r"expected every class to have at least 2 rows for a stratified holdout\. Received: class 7 has 1 row"):
        make_splits(5, method="holdout", seed=0, stratify=[1, 1, 1, 1, 7])
    with pytest.raises(ValueError, match=r"expected room for each of the 3 classes in both sets"):
        make_splits(6, method="holdout", seed=0, test_size=0.1, stratify=[0, 0, 1, 1, 2, 2])


def test_other_argument_errors():
    with pytest.raises(ValueError, match=r"expected method in \('holdout', 'kfold', 'repeated_kfold', '5x2'\)\. Received: method='k-fold'\. Did you mean 'kfold'\?"):
        make_splits(10, method="k-fold", seed=0)
    with pytest.raises(ValueError, match=r"expected seed to be an int from 0 to 2\*\*32 - 1\. Received: seed=-1"):
        make_splits(10, method="kfold", seed=-1)
    with pytest.raises(ValueError, match=r"expected repeats=1 with method='kfold'.*Use method='repeated_kfold'"):
        make_splits(10, method="kfold", seed=0, repeats=3)
    with pytest.raises(ValueError, match=r"expected no k or repeats with method='5x2'.*Received: k=3"):
        make_splits(10, method="5x2", seed=0, k=3)
    with pytest.raises(ValueError, match=r"expected one stratify label per row\. Received: 4 labels for 10 rows"):
        make_splits(10, method="kfold", k=2, seed=0, stratify=[0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"expected stratify to be 1-D class labels.*y\.argmax\(axis=1\)"):
        make_splits(4, method="kfold", k=2, seed=0, stratify=np.eye(2)[[0, 1, 0, 1]])
    with pytest.raises(ValueError, match=r"expected class labels in n_samples_or_y with stratify=True"):
        make_splits(10, method="kfold", seed=0, stratify=True)
    with pytest.raises(ValueError, match=r"expected at least 2 rows to split\. Received: 1"):
        make_splits(1, method="holdout", seed=0)
