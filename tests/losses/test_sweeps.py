"""Sweep grids (losslab.losses.sweeps): the values of each swept symbol, the cap of 50
combinations, every combination in order."""

from __future__ import annotations

import pytest

from losslab import losses
from losslab.losses import sweeps
from short_error import assert_short_error  # tests/losses/short_error.py


def test_a_sweep_is_at_most_50_values():
    assert len(losses.sweep("mse+w*mae", {"w": list(range(50))})) == 50
    values = ",".join(str(i) for i in range(1000))
    assert_short_error(lambda: losses.sweep("mse+w*mae", f"w={values}"), r"expected at most 50 values in a sweep.*Received: 1,000")
    assert_short_error(lambda: losses.sweep("mse+w*huber(delta=d)", "w=" + ",".join(map(str, range(10))) + ";d=1,2,3,4,5,6"),
                        r"Received: 60")
    with pytest.raises(ValueError, match=r"expected finite numbers for w"):
        sweeps.grid("mse+w*mae", "w=0,inf")


def test_grids_from_text_or_a_mapping_and_their_combinations():
    assert sweeps.grid("mse+w*mae", "w=0,0.5;d=1,2") == {"w": [0.0, 0.5], "d": [1.0, 2.0]}
    assert sweeps.grid("mse+w*mae", {"w": [0, 1]}) == {"w": [0.0, 1.0]}
    assert sweeps.combinations({"w": [0.0, 1.0], "d": [1.0, 2.0]}) == [
        {"w": 0.0, "d": 1.0}, {"w": 0.0, "d": 2.0}, {"w": 1.0, "d": 1.0}, {"w": 1.0, "d": 2.0}]  # the first slowest
    with pytest.raises(ValueError, match=r"w repeats 1; each value gives one candidate"):
        sweeps.grid("mse+w*mae", "w=1,1.0")
    with pytest.raises(ValueError, match=r"expected symbol=v1,v2"):
        sweeps.grid("mse+w*mae", "0,1")
    with pytest.raises(TypeError, match=r"expected the grid as a string"):
        sweeps.grid("mse+w*mae", [0, 1])
