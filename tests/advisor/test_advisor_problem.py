"""The Problem record (advisor/problem.py): the statistics it carries and the thresholds that
describe it (imbalanced, heavy-tailed, spanning orders of magnitude, right-skewed, counts),
its plain-Python form."""

import json

import numpy as np
import pandas as pd
import pytest

from losslab.advisor import IMBALANCE_RATIO, MAGNITUDE_ORDERS, SKEWNESS, Problem, infer_problem


def test_tail_and_magnitude_statistics():
    rng = np.random.default_rng(3)
    gauss = infer_problem(rng.normal(size=5000))
    assert not gauss.heavy_tailed and abs(gauss.excess_kurtosis) < 0.3 and gauss.outlier_share < 0.01
    heavy = infer_problem(rng.standard_t(2, size=5000))
    assert heavy.heavy_tailed and heavy.excess_kurtosis > 3
    wide = infer_problem(np.exp(rng.normal(0, 2, size=2000)))
    assert wide.spans_magnitudes and wide.orders_of_magnitude > 2 and wide.skewness > 0
    narrow = infer_problem(rng.uniform(10, 20, size=100))
    assert not narrow.spans_magnitudes and narrow.orders_of_magnitude < 1


def test_imbalance_is_measured():
    p = infer_problem([0] * 90 + [1] * 10)
    assert p.minority_share == pytest.approx(0.1) and p.imbalanced
    assert not infer_problem([0] * 50 + [1] * 40).imbalanced


def test_to_dict_is_json_ready():
    p = infer_problem(pd.Series(["x", "y", "x"]))
    d = p.to_dict()
    json.dumps(d)
    assert d["kind"] == "binary" and d["classes"] == ["x", "y"]
    assert str(p) == p.evidence





def _values(**fields):
    return Problem(kind="regression", form="values", evidence="", n_samples=10, n_columns=1, n_distinct=10, **fields)


def test_the_thresholds_decide_at_their_values():
    two = dict(kind="binary", form="labels", evidence="", n_samples=10, n_columns=1, n_distinct=2, classes=(0, 1))
    assert Problem(**two, imbalance_ratio=IMBALANCE_RATIO - 1e-9).imbalanced
    assert not Problem(**two, imbalance_ratio=IMBALANCE_RATIO).imbalanced
    assert Problem(**two).n_classes == 2 and Problem(**two).is_classification
    assert _values().n_classes is None and not _values().is_classification
    assert _values(min=1.0, max=100.0, orders_of_magnitude=MAGNITUDE_ORDERS).spans_magnitudes
    assert not _values(min=-1.0, max=100.0, orders_of_magnitude=MAGNITUDE_ORDERS).spans_magnitudes
    assert _values(min=0.0, max=5.0, skewness=SKEWNESS).right_skewed
    assert not _values(min=0.0, max=5.0, skewness=SKEWNESS - 1e-9).right_skewed
    assert not _values(min=-2.0, max=5.0, skewness=3.0).right_skewed  # only non-negative targets are skewed here


def test_counts_lie_within_one_standard_deviation_of_zero():
    assert _values(integer_valued=True, min=0.0, std=2.0).looks_like_counts
    assert not _values(integer_valued=True, min=115.0, std=12.0).looks_like_counts  # weights in pounds
    assert not _values(integer_valued=False, min=0.0, std=2.0).looks_like_counts
