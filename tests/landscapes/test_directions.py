"""Landscape directions and axes (``losslab.landscapes.directions``): filter normalisation
(Li et al. 2018), least-squares projection, the grid's coordinates."""

import numpy as np
import pytest

from losslab.engine import Network
from losslab.landscapes import directions as D


def test_filter_normalisation_by_hand():
    net = Network(2, (2,), 1)
    # layer 1: W = [[3, 0], [4, 1]] (column norms 5 and 1), b = [7, 7]; layer 2: W = [[0], [2]] (norm 2), b = [9]
    weights = np.array([3.0, 0.0, 4.0, 1.0, 7.0, 7.0, 0.0, 2.0, 9.0])
    direction = np.array([1.0, 2.0, 0.0, 0.0, 5.0, 5.0, 3.0, 4.0, 5.0])
    # columns of the direction: [1, 0] -> norm 1 -> x5; [2, 0] -> norm 2 -> x1/2; [3, 4] -> norm 5 -> x2/5
    expected = np.array([5.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.2, 1.6, 0.0])
    np.testing.assert_allclose(D.filter_normalized(direction, weights, net), expected, rtol=1e-9)


def test_projection_is_least_squares():
    rng = np.random.default_rng(0)
    dirs = rng.standard_normal((2, 40))
    coords = rng.standard_normal((6, 2))
    origin = rng.standard_normal(40)
    got, captured = D.project(origin + coords @ dirs, origin, dirs)
    np.testing.assert_allclose(got, coords, rtol=1e-9, atol=1e-12)
    assert captured == pytest.approx(1.0)
    _, captured = D.project(origin + coords @ dirs + 10 * rng.standard_normal((6, 40)), origin, dirs)
    assert captured < 0.5


def test_axes():
    np.testing.assert_array_equal(D.plane_axis(5, 2.0), [-2.0, -1.0, 0.0, 1.0, 2.0])
    a = D.line_axis(51, 0.5)
    assert len(a) == 51 and 0.0 in a and 1.0 in a and np.all(np.diff(a) > 0)
