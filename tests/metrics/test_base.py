"""A metric's calling convention (metrics/base.py): what it reads, the shapes and values it
accepts, and errors worded under its name."""

from __future__ import annotations

import numpy as np
import pytest
from metric_inputs import Y_BIN, P_BIN, S_BIN, L_BIN, Y_MC, Y_REG, P_REG  # tests/metrics/metric_inputs.py

from losslab.metrics import get_metric


def test_integer_probabilities_are_read_as_floats():
    one_hot = np.eye(3, dtype=int)[Y_MC]
    assert get_metric("neg_brier_score").score(Y_MC, probabilities=one_hot) == 0.0


class _TensorLike:
    """Quacks like a torch.Tensor that requires grad: np.asarray(t) would fail, t.detach().cpu().numpy() works."""

    def __init__(self, array):
        self._array = np.asarray(array)

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self._array

    def __array__(self, *args, **kwargs):
        raise RuntimeError("Can't call numpy() on Tensor that requires grad.")


def test_column_vectors_and_tensors_are_accepted():
    mse = get_metric("mse")
    expected = mse.score(Y_REG, predictions=P_REG)
    assert mse.score(Y_REG[:, None], predictions=P_REG) == pytest.approx(expected)
    assert mse.score(_TensorLike(Y_REG), predictions=_TensorLike(P_REG[:, None])) == pytest.approx(expected)


def test_a_metric_needing_something_not_given_says_what_it_needs():
    with pytest.raises(ValueError, match=r"metric 'log_loss': expected probabilities= \(class probabilities\)\. Received: labels=, scores="):
        get_metric("log_loss").score(Y_BIN, labels=L_BIN, scores=S_BIN)
    with pytest.raises(ValueError, match=r"metric 'accuracy': expected labels=.*Received: probabilities="):
        get_metric("accuracy").score(Y_BIN, probabilities=P_BIN)
    with pytest.raises(ValueError, match=r"metric 'rmse': expected predictions=.*Received: nothing but y_true"):
        get_metric("rmse").score(Y_REG)


def test_non_finite_or_misshapen_predictions_are_refused():
    with pytest.raises(ValueError, match=r"metric 'mse': expected finite predictions\. Received: 1 NaN or infinite value\(s\) \(did training diverge\?\)"):
        get_metric("mse").score(Y_REG, predictions=[1.0, np.nan, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"expected one row of predictions per row of y_true.*y_true.shape=\(4,\), predictions.shape=\(3,\)"):
        get_metric("mse").score(Y_REG, predictions=P_REG[:3])
    with pytest.raises(ValueError, match=r"expected predictions of the same shape as y_true"):
        get_metric("mse").score(Y_REG, predictions=np.column_stack([P_REG, P_REG]))
    with pytest.raises(ValueError, match=r"expected predictions to hold numbers"):
        get_metric("mse").score(Y_REG, predictions=np.array(["a", "b", "c", "d"]))


def test_scikit_learn_errors_are_reported_under_the_metric_name():
    # scikit-learn refuses negative targets for MSLE; the message keeps its words under our metric's name.
    with pytest.raises(ValueError, match=r"metric 'neg_mean_squared_log_error': .*"):
        get_metric("neg_mean_squared_log_error").score([-1.0, 2.0], predictions=[1.0, 2.0])
