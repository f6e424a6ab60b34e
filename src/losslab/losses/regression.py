"""Regression losses: targets are real numbers, the output layer is linear.

Element-wise losses take ``y_true`` and ``y_pred`` of the same shape ``(n,)`` or
``(n, k)``; with k outputs the per-sample loss is the mean over them (Keras' convention).
"""

from __future__ import annotations

import numpy as np

from ._frameworks import keras_loss, torch_loss
from ._registry import register
from ._spec import LossSpec

KERAS = "Chollet et al., Keras 3 API reference: keras.losses, 2023."
TORCH = "Paszke et al., PyTorch: An Imperative Style, High-Performance Deep Learning Library, NeurIPS 2019."


# ---------------------------------------------------------------- mean squared error
def _mse_numpy(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    return np.mean((y_pred - y_true) ** 2, axis=-1)


def _mse_torch(y_true, y_pred):
    return ((y_pred - y_true) ** 2).mean(dim=-1)


mean_squared_error = register(
    LossSpec(
        name="mean_squared_error",
        title="Mean squared error",
        problem_types=("regression",),
        activations=("linear",),
        target_encoding="real",
        target_domain="(-inf, inf)",
        prediction_domain="(-inf, inf)",
        formula=r"\ell(y, \hat y) = \frac{1}{k}\sum_{j=1}^{k} (\hat y_j - y_j)^2",
        summary="The default for regression: the maximum-likelihood loss when the noise is Gaussian. "
        "Large errors weigh quadratically, so outliers pull hard.",
        numpy_kernel=_mse_numpy,
        torch_kernel=_mse_torch,
        references=(KERAS, TORCH),
        aliases=("mse", "MeanSquaredError", "MSELoss", "l2", "l2_loss", "squared_error"),
        keras_factory=keras_loss("MeanSquaredError"),
        torch_factory=torch_loss("MSELoss"),
    )
)
