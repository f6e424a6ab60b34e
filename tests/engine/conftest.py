"""Fixtures shared by the engine's tests."""

import pytest
from grid_problem import regression_data  # tests/engine/grid_problem.py


@pytest.fixture(scope="module")
def data():
    """A small scaled regression (160 rows, 4 features): X, y."""
    return regression_data()
