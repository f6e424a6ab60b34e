"""Regression losses: targets are real numbers, the output layer is linear (non-negative
for the logarithmic error, vectors compared by direction for the cosine).

Element-wise losses take ``y_true`` and ``y_pred`` of the same shape ``(n,)`` or
``(n, k)``; with k outputs the per-sample loss is the mean over them (Keras' convention).
The likelihood losses (Poisson, Gaussian NLL) live in :mod:`.probabilistic`.
"""

from __future__ import annotations

import numpy as np

from . import validation as v
from .frameworks import KERAS, TORCH, keras_loss, torch_loss
from . import families
from .spec import LossSpec


# ---------------------------------------------------------------- mean squared error
def _mse_numpy(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    return np.mean((y_pred - y_true) ** 2, axis=-1)


def _mse_torch(y_true, y_pred):
    return ((y_pred - y_true) ** 2).mean(dim=-1)


mean_squared_error = families.regression(
    name="mean_squared_error",
    title="Mean squared error",
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


# ---------------------------------------------------------------- shared checks
def _positive_param(loss: str, name: str, value: float, fix: str = "") -> None:
    if not value > 0:
        raise ValueError(f"{loss}: expected {name} > 0. Received: {name}={value!r}. {fix}".rstrip())


# ---------------------------------------------------------------- mean squared logarithmic error
_KERAS_EPSILON = 1e-7  # keras.backend.epsilon()


def _msle_numpy(y_true: np.ndarray, y_pred: np.ndarray, *, keras_compat: bool) -> np.ndarray:
    r"""mean_j (log(1 + ŷ_j) - log(1 + y_j))^2; with keras_compat, x -> max(x, 1e-7) first."""
    if keras_compat:
        # Keras' own clamp: negative inputs silently become 1e-7 (kept only for the tutorial).
        y_true, y_pred = np.maximum(y_true, _KERAS_EPSILON), np.maximum(y_pred, _KERAS_EPSILON)
    # log1p keeps full precision for small values, where log(1 + x) rounds x away.
    return np.mean((np.log1p(y_pred) - np.log1p(y_true)) ** 2, axis=-1)


def _msle_torch(y_true, y_pred, *, keras_compat: bool):
    if keras_compat:
        y_true, y_pred = y_true.clamp(min=_KERAS_EPSILON), y_pred.clamp(min=_KERAS_EPSILON)
    return ((y_pred.log1p() - y_true.log1p()) ** 2).mean(dim=-1)


def _msle_validate(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    if spec.params["keras_compat"]:
        return
    v.check_range(spec.name, "y_true", y_true, low=0.0,
                  fix="MSLE compares log(1 + y), made for non-negative targets: use mean_squared_error, or shift/log-transform the targets.")
    v.check_range(spec.name, "y_pred", y_pred, low=0.0,
                  fix="Give the model a non-negative output (softplus or exponential activation), or use mean_squared_error.")


mean_squared_logarithmic_error = families.regression(
    name="mean_squared_logarithmic_error",
    title="Mean squared logarithmic error",
    activations=("softplus", "exponential", "relu"),
    # Keras clips negative outputs to 1e-7 in compatibility mode, so a linear layer runs too.
    activations_when={"keras_compat": ("linear", "softplus", "exponential", "relu")},
    target_encoding="non_negative",
    target_domain="[0, inf)",
    prediction_domain="[0, inf)",
    formula=r"\ell(y, \hat y) = \frac{1}{k}\sum_{j=1}^{k} \left(\log(1 + \hat y_j) - \log(1 + y_j)\right)^2",
    summary="For non-negative targets spanning orders of magnitude (prices, counts), where relative errors matter: "
    "under-predicting costs more than over-predicting by the same amount.",
    numpy_kernel=_msle_numpy,
    torch_kernel=_msle_torch,
    references=(KERAS, TORCH),
    aliases=("msle", "MeanSquaredLogarithmicError", "mean_squared_log_error", "squared_log_error"),
    params={"keras_compat": False},
    validate=_msle_validate,
    keras_factory=keras_loss("MeanSquaredLogarithmicError", drop=("keras_compat",)),
    notes=(
        "Negative y_true or y_pred is an error. Keras instead clamps both to max(x, 1e-7), which makes every negative "
        "value look like 0; keras_compat=True reproduces that (off by default, only for the tutorial experiment that "
        "applies MSLE to standardized targets).",
        "Keras clamps zeros too: Keras MSLE(0, 1) = (log 2 - log(1 + 1e-7))^2, 2.9e-7 relative below losslab's (log 2)^2.",
        "PyTorch has no MSLE class: to_torch_module() runs losslab's kernel.",
    ),
)


# ---------------------------------------------------------------- mean absolute error
def _mae_numpy(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    r"""mean_j |ŷ_j - y_j|"""
    return np.mean(np.abs(y_pred - y_true), axis=-1)


def _mae_torch(y_true, y_pred):
    return (y_pred - y_true).abs().mean(dim=-1)


mean_absolute_error = families.regression(
    name="mean_absolute_error",
    title="Mean absolute error",
    formula=r"\ell(y, \hat y) = \frac{1}{k}\sum_{j=1}^{k} |\hat y_j - y_j|",
    summary="Robust to outliers: the maximum-likelihood loss for Laplace noise, it fits the conditional median. "
    "Its gradient has constant size, so it can converge slowly near the optimum.",
    numpy_kernel=_mae_numpy,
    torch_kernel=_mae_torch,
    references=(KERAS, TORCH),
    aliases=("mae", "MeanAbsoluteError", "L1Loss", "l1", "l1_loss", "absolute_error"),
    keras_factory=keras_loss("MeanAbsoluteError"),
    torch_factory=torch_loss("L1Loss"),
)


# ---------------------------------------------------------------- mean absolute percentage error
def _mape_numpy(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    r"""100 · mean_j |y_j - ŷ_j| / max(|y_j|, 1e-7)"""
    # Keras' denominator; validation already refuses y = 0, so the clamp only touches |y| < 1e-7.
    return 100.0 * np.mean(np.abs(y_true - y_pred) / np.maximum(np.abs(y_true), _KERAS_EPSILON), axis=-1)


def _mape_torch(y_true, y_pred):
    return 100.0 * ((y_true - y_pred).abs() / y_true.abs().clamp(min=_KERAS_EPSILON)).mean(dim=-1)


def _mape_validate(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    zeros = int((y_true == 0).sum())
    if zeros:
        raise ValueError(
            f"{spec.name}: expected y_true without zeros: the percentage error |y - y_pred| / |y| is undefined at y = 0. "
            f"Received: {zeros} zero(s) in y_true. Keras divides by 1e-7 there instead (a 1e9 % error per unit of y_pred); "
            "use mean_absolute_error, or drop those samples."
        )


mean_absolute_percentage_error = families.regression(
    name="mean_absolute_percentage_error",
    title="Mean absolute percentage error",
    target_domain="(-inf, 0) or (0, inf)",
    formula=r"\ell(y, \hat y) = \frac{100}{k}\sum_{j=1}^{k} \frac{|y_j - \hat y_j|}{\max(|y_j|, 10^{-7})}",
    summary="Errors relative to the size of the target, in percent: for targets far from zero whose scale varies. "
    "Near-zero targets dominate it, and it favours under-prediction.",
    numpy_kernel=_mape_numpy,
    torch_kernel=_mape_torch,
    references=(KERAS, "de Myttenaere et al., Mean Absolute Percentage Error for regression models, Neurocomputing 2016."),
    aliases=("mape", "MeanAbsolutePercentageError", "mean_absolute_percent_error"),
    validate=_mape_validate,
    keras_factory=keras_loss("MeanAbsolutePercentageError"),
    notes=(
        "A percentage, as in Keras; scikit-learn's mean_absolute_percentage_error is a fraction (ours / 100).",
        "y_true = 0 is an error (Keras divides by max(|y|, 1e-7) and returns ~1e9 % per unit of error). Non-zero "
        "|y_true| < 1e-7 is divided by 1e-7, as in Keras.",
        "PyTorch has no MAPE class: to_torch_module() runs losslab's kernel.",
    ),
)


# ---------------------------------------------------------------- Huber
def _huber_numpy(y_true: np.ndarray, y_pred: np.ndarray, *, delta: float) -> np.ndarray:
    r"""mean_j of 0.5 e^2 if |e| <= delta, else delta (|e| - 0.5 delta), with e = ŷ_j - y_j"""
    e = np.abs(y_pred - y_true)
    return np.mean(np.where(e <= delta, 0.5 * e**2, delta * (e - 0.5 * delta)), axis=-1)


def _huber_torch(y_true, y_pred, *, delta: float):
    e = (y_pred - y_true).abs()
    # Quadratic part up to delta plus linear part beyond: the same function, without a where().
    quad = e.clamp(max=delta)
    return (0.5 * quad**2 + delta * (e - quad)).mean(dim=-1)


def _huber_validate(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    _positive_param(spec.name, "delta", spec.params["delta"], "delta is the error size where the loss turns from quadratic to linear.")


huber = families.regression(
    name="huber",
    title="Huber loss",
    formula=r"\ell(y, \hat y) = \frac{1}{k}\sum_{j=1}^{k} \begin{cases} \tfrac12 e_j^2 & |e_j| \le \delta \\ "
    r"\delta(|e_j| - \tfrac12\delta) & \text{otherwise} \end{cases},\quad e = \hat y - y",
    summary="Squared error for small errors, absolute error for large ones: MSE's smooth optimum with MAE's robustness "
    "to outliers. Set delta to the error size beyond which a point counts as an outlier.",
    numpy_kernel=_huber_numpy,
    torch_kernel=_huber_torch,
    references=("Huber, Robust Estimation of a Location Parameter, Annals of Mathematical Statistics, 1964.", KERAS, TORCH),
    aliases=("huber_loss", "Huber", "HuberLoss"),
    params={"delta": 1.0},
    validate=_huber_validate,
    keras_factory=keras_loss("Huber"),
    torch_factory=torch_loss("HuberLoss"),
    notes=("Keras Huber(delta) and PyTorch HuberLoss(delta) are this loss; smooth_l1(beta) is huber(delta=beta) / beta.",),
)


# ---------------------------------------------------------------- smooth L1
def _smooth_l1_numpy(y_true: np.ndarray, y_pred: np.ndarray, *, beta: float) -> np.ndarray:
    r"""mean_j of 0.5 e^2 / beta if |e| < beta, else |e| - 0.5 beta, with e = ŷ_j - y_j

    smooth_l1(beta) = huber(delta=beta) / beta: the same shape, scaled so that the linear
    part has slope 1 (as L1) instead of delta.
    """
    e = np.abs(y_pred - y_true)
    return np.mean(np.where(e < beta, 0.5 * e**2 / beta, e - 0.5 * beta), axis=-1)


def _smooth_l1_torch(y_true, y_pred, *, beta: float):
    e = (y_pred - y_true).abs()
    # As in _huber_torch: the quadratic part up to beta plus the linear rest, without a where().
    quad = e.clamp(max=beta)
    return (0.5 * quad**2 / beta + (e - quad)).mean(dim=-1)


def _smooth_l1_validate(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    _positive_param(spec.name, "beta", spec.params["beta"], "For beta -> 0 smooth L1 becomes mean_absolute_error: use that.")


smooth_l1 = families.regression(
    name="smooth_l1",
    title="Smooth L1 loss",
    formula=r"\ell(y, \hat y) = \frac{1}{k}\sum_{j=1}^{k} \begin{cases} \tfrac{1}{2\beta} e_j^2 & |e_j| < \beta \\ "
    r"|e_j| - \tfrac12\beta & \text{otherwise} \end{cases},\quad e = \hat y - y",
    summary="Huber loss rescaled to slope 1 in its linear part (huber(delta=beta) / beta), as used for box "
    "regression in object detection; its gradient never exceeds 1 in size.",
    numpy_kernel=_smooth_l1_numpy,
    torch_kernel=_smooth_l1_torch,
    references=("Girshick, Fast R-CNN, ICCV 2015.", TORCH),
    aliases=("SmoothL1Loss", "smooth_l1_loss", "smoothl1"),
    params={"beta": 1.0},
    validate=_smooth_l1_validate,
    torch_factory=torch_loss("SmoothL1Loss"),
    notes=(
        "smooth_l1(beta) = huber(delta=beta) / beta; equal to huber at beta = 1.",
        "PyTorch accepts beta = 0 (plain L1); losslab asks for mean_absolute_error instead.",
        "Keras has no smooth L1: use Huber(delta=beta) and divide by beta.",
    ),
)


# ---------------------------------------------------------------- log-cosh
_LOG2 = float(np.log(2.0))


def _log_cosh_numpy(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    r"""mean_j log(cosh(ŷ_j - y_j))"""
    e = y_pred - y_true
    # cosh overflows from |e| ~ 710; log(cosh e) = log(e^e + e^-e) - log 2 = logaddexp(e, -e) - log 2 does not.
    return np.mean(np.logaddexp(e, -e) - _LOG2, axis=-1)


def _log_cosh_torch(y_true, y_pred):
    e = y_pred - y_true
    return (e.logaddexp(-e) - _LOG2).mean(dim=-1)


log_cosh = families.regression(
    name="log_cosh",
    title="Log-cosh loss",
    formula=r"\ell(y, \hat y) = \frac{1}{k}\sum_{j=1}^{k} \log\cosh(\hat y_j - y_j)",
    summary="A smooth Huber loss with delta = 1: about e^2 / 2 for small errors and |e| - log 2 for large ones, "
    "with no hyperparameter and no kink.",
    numpy_kernel=_log_cosh_numpy,
    torch_kernel=_log_cosh_torch,
    references=(KERAS, "Chen et al., Log Hyperbolic Cosine Loss Improves Variational Auto-Encoder, 2019."),
    aliases=("logcosh", "LogCosh", "log_cosh_loss"),
    keras_factory=keras_loss("LogCosh"),
    notes=(
        "Computed as logaddexp(e, -e) - log 2, finite for any finite error; like Keras' e + softplus(-2e) - log 2 it "
        "loses relative (not absolute) precision for |e| below ~sqrt(machine epsilon).",
        "PyTorch has no log-cosh class: to_torch_module() runs losslab's kernel.",
    ),
)


# ---------------------------------------------------------------- quantile (pinball)
def _quantile_numpy(y_true: np.ndarray, y_pred: np.ndarray, *, tau: float) -> np.ndarray:
    r"""mean_j max(tau (y_j - ŷ_j), (tau - 1)(y_j - ŷ_j))"""
    d = y_true - y_pred
    return np.mean(np.maximum(tau * d, (tau - 1.0) * d), axis=-1)


def _quantile_torch(y_true, y_pred, *, tau: float):
    d = y_true - y_pred
    return (tau * d).maximum((tau - 1.0) * d).mean(dim=-1)


def _quantile_validate(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    tau = spec.params["tau"]
    if not 0.0 < tau < 1.0:
        raise ValueError(f"{spec.name}: expected tau in (0, 1), the quantile to predict (0.5: the median). Received: tau={tau!r}.")


quantile = families.regression(
    name="quantile",
    title="Quantile (pinball) loss",
    formula=r"\ell(y, \hat y) = \frac{1}{k}\sum_{j=1}^{k} \max\left(\tau (y_j - \hat y_j), (\tau - 1)(y_j - \hat y_j)\right)",
    summary="Predicts the tau-quantile of the target instead of its mean (tau = 0.9: a value exceeded 10% of the time); "
    "train one model per tau for prediction intervals. tau = 0.5 is half the absolute error.",
    numpy_kernel=_quantile_numpy,
    torch_kernel=_quantile_torch,
    references=("Koenker and Bassett, Regression Quantiles, Econometrica, 1978.",
                "Pedregosa et al., Scikit-learn: Machine Learning in Python (mean_pinball_loss), JMLR 2011."),
    aliases=("pinball", "pinball_loss", "quantile_loss", "QuantileLoss", "PinballLoss"),
    params={"tau": 0.5},
    validate=_quantile_validate,
    notes=(
        "scikit-learn's mean_pinball_loss(alpha=tau) is this loss.",
        "Neither Keras nor PyTorch has a quantile loss: to_torch_module() runs losslab's kernel.",
    ),
)


# ---------------------------------------------------------------- cosine similarity
def _cosine_numpy(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    r"""-sum_j (y_j / max(||y||, 1e-7)) (ŷ_j / max(||ŷ||, 1e-7))"""
    # Keras' l2-normalize: a zero vector stays zero (loss 0) instead of dividing by 0.
    u = y_true / np.maximum(np.linalg.norm(y_true, axis=-1, keepdims=True), _KERAS_EPSILON)
    w = y_pred / np.maximum(np.linalg.norm(y_pred, axis=-1, keepdims=True), _KERAS_EPSILON)
    return -np.sum(u * w, axis=-1)


def _unit(x):
    # Clamp the squared norm, not the norm: the gradient of sqrt at 0 would be inf (NaN after the product).
    return x / (x * x).sum(dim=-1, keepdim=True).clamp(min=_KERAS_EPSILON**2).sqrt()


def _cosine_torch(y_true, y_pred):
    return -(_unit(y_true) * _unit(y_pred)).sum(dim=-1)


def _cosine_validate(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    if y_true.shape[-1] < 2:
        raise ValueError(
            f"{spec.name}: expected y_true and y_pred of shape (n, k) with k >= 2: it compares the direction of vectors. "
            f"Received: y_true.shape={y_true.shape} (one number per sample, whose cosine is only its sign). Use mean_squared_error."
        )


cosine_similarity = families.regression(
    name="cosine_similarity",
    title="Cosine similarity loss",
    target_encoding="unit_vectors",
    target_domain="vectors in R^k, k >= 2 (only the direction counts)",
    prediction_domain="vectors in R^k",
    formula=r"\ell(y, \hat y) = -\frac{y \cdot \hat y}{\max(\|y\|, \epsilon)\,\max(\|\hat y\|, \epsilon)},\quad \epsilon = 10^{-7}",
    summary="For vector targets where only the direction matters (embeddings, normalised features): "
    "-1 is a perfect match, 0 orthogonal, 1 opposite. The length of the prediction is left free.",
    numpy_kernel=_cosine_numpy,
    torch_kernel=_cosine_torch,
    references=(KERAS, "Salton and McGill, Introduction to Modern Information Retrieval, 1983."),
    aliases=("CosineSimilarity", "cosine", "cosine_proximity", "cosine_loss"),
    validate=_cosine_validate,
    keras_factory=keras_loss("CosineSimilarity"),
    notes=(
        "Keras' convention: the loss is minus the cosine, so it is minimised (PyTorch's F.cosine_similarity is +cos).",
        "A zero vector on either side gives loss 0, as Keras' l2-normalize (x / max(||x||, 1e-7)) leaves it zero; "
        "vectors shorter than 1e-7 are not rescaled to unit length.",
        "PyTorch's CosineEmbeddingLoss is a different loss (pairs with +-1 labels and a margin).",
    ),
)
