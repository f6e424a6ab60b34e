"""Tests for losslab.stats.design: the Design's checks, its correction ratio, and the trial grid it expects.

Moved from test_within.py (the Design checks) with what issue 13 added: ``train_fraction``, the
share of training rows fitted on with early stopping, enters n_test / n_train.
"""

from __future__ import annotations

import pytest

from losslab.stats.design import Design


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kind": "kfold"}, r"kind='kfold' needs the number of folds. Received: k=None; pass e.g. Design\('kfold', k=5\)"),
        ({"kind": "kfold", "k": 5, "repeats": 3}, r"Received: repeats=3; use Design\('repeated_kfold', k=5, repeats=3\)"),
        ({"kind": "repeated_kfold", "k": 5}, r"kind='repeated_kfold' needs repeats >= 2. Received: repeats=None"),
        ({"kind": "5x2cv", "k": 3}, r"5x2cv is 5 repetitions of 2-fold CV. Received: k=3"),
        ({"kind": "holdout", "test_fraction": 1.2}, r"expected test_fraction strictly between 0 and 1. Received: test_fraction=1.2"),
        ({"kind": "kfold", "k": 1}, r"expected k to be an integer >= 2. Received: k=1"),
        ({"kind": "independent", "test_fraction": 0.2}, r"test_fraction does not apply to kind='independent'"),
        ({"kind": "holdout", "train_fraction": 0}, r"expected train_fraction, the share of training rows fitted on, in \(0, 1\]. Received: train_fraction=0"),
        ({"kind": "independent", "train_fraction": 0.9}, r"train_fraction does not apply to kind='independent'"),
    ],
)
def test_bad_designs_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Design(**kwargs)


@pytest.mark.parametrize(
    "design, ratio",
    [
        (Design("independent"), 0.0),
        (Design("holdout", test_fraction=0.25), 1 / 3),  # n_test / n_train = 0.25 / 0.75
        (Design("holdout", test_fraction=0.25, train_fraction=0.9), 0.25 / (0.75 * 0.9)),  # early stopping keeps 10% aside
        (Design("kfold", k=10), 1 / 9),
        (Design("repeated_kfold", k=5, repeats=3, train_fraction=0.8), 1 / (4 * 0.8)),
        (Design("5x2cv"), 1.0),
    ],
)
def test_correction_ratio(design, ratio):
    assert design.ratio() == pytest.approx(ratio)


def test_sizes_take_precedence_and_are_checked():
    assert Design("holdout").ratio(80, 20) == pytest.approx(0.25)
    assert Design("holdout", train_fraction=0.5).ratio(80, 20) == pytest.approx(0.5)
    with pytest.raises(ValueError, match=r"n_train, n_test: expected both or neither. Received: n_train=80, n_test=None"):
        Design("holdout").ratio(80, None)
    with pytest.raises(ValueError, match=r"n_test: expected a positive integer \(rows in one trial's test set\). Received: n_test=0"):
        Design("holdout").ratio(80, 0)
    with pytest.raises(ValueError, match=r"a 'holdout' design needs the held-out share .* Pass Design\('holdout', test_fraction=0.2\)"):
        Design("holdout").ratio()


def test_trial_grid_must_fit():
    Design("repeated_kfold", k=2, repeats=2).check_fits([(0, 0), (0, 1), (1, 0), (1, 1)])
    with pytest.raises(ValueError, match=r"kind='repeated_kfold' with k=2, repeats=3 expects 6 trials per loss \(3 seeds x 2 folds\). Received: 4 trial\(s\)"):
        Design("repeated_kfold", k=2, repeats=3).check_fits([(0, 0), (0, 1), (1, 0), (1, 1)])
    with pytest.raises(ValueError, match=r"For several repetitions use Design\('repeated_kfold', k=2, repeats=2\)"):
        Design("kfold", k=2).check_fits([(0, 0), (0, 1), (1, 0), (1, 1)])


def test_describe_says_what_was_fitted():
    assert Design("holdout", test_fraction=0.25).describe() == "repeated random hold-out splits of one data set, 0.25 held out"
    assert Design("kfold", k=5, train_fraction=0.9).describe() == "the 5 folds of one 5-fold cross-validation, models fitted on 0.9 of each training set"
    assert Design("independent").describe() == "independent trials, each on fresh data" and not Design("independent").overlapping
