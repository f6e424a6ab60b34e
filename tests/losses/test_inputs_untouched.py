"""The NumPy reference works on the caller's float64 arrays without copying them: it must
never write to them."""

import numpy as np
import pytest

from losslab import losses

from _inputs import valid_inputs


@pytest.mark.parametrize("name", losses.names())
def test_numpy_reference_leaves_the_inputs_as_they_were(name):
    spec = losses.get(name)
    y_true, y_pred = valid_inputs(spec, 16, np.random.default_rng(0), np.float64)
    before = (np.array(y_true, copy=True), np.array(y_pred, copy=True))
    spec.numpy(y_true, y_pred, reduction="none")
    np.testing.assert_array_equal(y_true, before[0])
    np.testing.assert_array_equal(y_pred, before[1])
