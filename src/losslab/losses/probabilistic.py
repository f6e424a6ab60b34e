"""Likelihood losses: the model predicts a distribution (a Poisson rate, a Gaussian mean and
variance) and the loss is the negative log-likelihood of the target under it.

These are log-densities, so unlike the other regression losses they are not bounded
below by 0: a negative value is normal and says nothing is wrong.
"""

from __future__ import annotations

import math

import numpy as np

from . import validation as v
from .frameworks import KERAS, TORCH, import_keras, torch_loss
from . import families
from .spec import LossSpec

_KERAS_EPSILON = 1e-7  # keras.backend.epsilon()
_GAUSSIAN_EPSILON = 1e-6  # PyTorch GaussianNLLLoss's default eps
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


# ---------------------------------------------------------------- Poisson
def _poisson_numpy(y_true: np.ndarray, y_pred: np.ndarray, *, log_input: bool) -> np.ndarray:
    r"""mean_j ŷ_j - y_j log(ŷ_j + 1e-7) for a rate ŷ; mean_j exp(ŷ_j) - y_j ŷ_j for a log-rate ŷ

    Both drop the constant log(y!) (PyTorch's ``full=False``).
    """
    if log_input:
        # Taking the log-rate avoids log(0) altogether: exp(ŷ) > 0 for every finite ŷ.
        return np.mean(np.exp(y_pred) - y_true * y_pred, axis=-1)
    # Keras' epsilon keeps log finite at a predicted rate of exactly 0.
    return np.mean(y_pred - y_true * np.log(y_pred + _KERAS_EPSILON), axis=-1)


def _poisson_torch(y_true, y_pred, *, log_input: bool):
    if log_input:
        return (y_pred.exp() - y_true * y_pred).mean(dim=-1)
    return (y_pred - y_true * (y_pred + _KERAS_EPSILON).log()).mean(dim=-1)


def _poisson_validate(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    v.check_range(spec.name, "y_true", y_true, low=0.0,
                  fix="The Poisson loss models counts (or non-negative rates); for real-valued targets use mean_squared_error.")
    if not spec.params["log_input"]:
        v.check_range(spec.name, "y_pred", y_pred, low=0.0,
                      fix="y_pred is a rate: give the model an exponential or softplus output, or pass log_input=True with a linear output.")


def _poisson_keras(params):
    if params["log_input"]:
        raise ValueError("poisson: Keras' Poisson takes the rate, not its log. Use log_input=False with an exponential output, "
                         "or spec.to_torch_module() (nn.PoissonNLLLoss(log_input=True)).")
    return import_keras().losses.Poisson()


poisson = families.probabilistic(
    name="poisson",
    title="Poisson loss",
    activations=("exponential", "softplus"),
    logits_activations=("linear",),
    logits_param="log_input",
    target_encoding="counts",
    target_domain="[0, inf) (counts; non-integer rates are accepted)",
    prediction_domain="rate [0, inf); with log_input=True the log-rate (-inf, inf)",
    formula=r"\ell(y, \hat y) = \frac{1}{k}\sum_{j=1}^{k} \hat y_j - y_j \log(\hat y_j + \epsilon),\quad \epsilon = 10^{-7}"
    r"\qquad(\text{log\_input: } e^{\hat y_j} - y_j \hat y_j)",
    summary="For counts (visits, events, items sold): the negative log-likelihood of a Poisson distribution "
    "with the predicted rate. Pair it with an exponential output, or log_input=True with a linear one.",
    numpy_kernel=_poisson_numpy,
    torch_kernel=_poisson_torch,
    references=("McCullagh and Nelder, Generalized Linear Models, 2nd ed., 1989.", KERAS, TORCH),
    aliases=("Poisson", "poisson_loss"),
    params={"log_input": False},
    validate=_poisson_validate,
    keras_factory=_poisson_keras,
    torch_factory=torch_loss("PoissonNLLLoss", full=False, eps=_KERAS_EPSILON),
    notes=(
        "Negative y_true is an error; so is a negative rate y_pred (Keras returns NaN).",
        "The constant log(y!) is dropped, so the loss can be negative, and its minimum depends on y.",
        "PyTorch's PoissonNLLLoss defaults to log_input=True (the name 'PoissonNLLLoss' selects it here); with "
        "log_input=False it adds eps=1e-8 inside the log, Keras 1e-7: at y=1, rate 0 PyTorch gives 18.42 and Keras "
        "16.12. losslab uses Keras' 1e-7, and builds nn.PoissonNLLLoss(eps=1e-7) so that both agree.",
        "Keras has no log-rate form: to_keras() raises for log_input=True.",
        "scikit-learn's mean_poisson_deviance is 2 * (this loss - mean(y - y log y)), up to the 1e-7.",
    ),
    # PyTorch's PoissonNLLLoss / F.poisson_nll_loss default to log_input=True (one key: case and _ are ignored).
    param_aliases={"PoissonNLLLoss": {"log_input": True}},
)


# ---------------------------------------------------------------- Gaussian NLL
def _gaussian_nll_numpy(y_true: np.ndarray, y_pred: np.ndarray, *, full: bool) -> np.ndarray:
    r"""mean_j 0.5 (log v_j + (y_j - mu_j)^2 / v_j) [+ 0.5 log 2 pi], v_j = max(var_j, 1e-6)

    ``y_pred`` holds k means then k variances. The value is a negative log-density, so it is
    negative whenever the predicted density at y exceeds 1 (a small variance around a good
    mean): that is normal for continuous targets, not a bug.
    """
    k = y_true.shape[-1]
    mean, var = y_pred[..., :k], y_pred[..., k:]
    # PyTorch's clamp: a variance collapsing to 0 would make the loss -inf.
    var = np.maximum(var, _GAUSSIAN_EPSILON)
    per_element = 0.5 * (np.log(var) + (y_true - mean) ** 2 / var)
    if full:
        per_element = per_element + _HALF_LOG_2PI
    return np.mean(per_element, axis=-1)


def _gaussian_nll_torch(y_true, y_pred, *, full: bool):
    k = y_true.shape[-1]
    mean, var = y_pred[..., :k], y_pred[..., k:]
    # PyTorch's clamp: the value uses max(var, eps) while the gradient flows as if unclamped,
    # so a variance pushed below eps still gets pulled back up.
    var = var + (var.clamp(min=_GAUSSIAN_EPSILON) - var).detach()
    per_element = 0.5 * (var.log() + (y_true - mean) ** 2 / var)
    if full:
        per_element = per_element + _HALF_LOG_2PI
    return per_element.mean(dim=-1)


def _gaussian_nll_validate(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    k = y_true.shape[-1]
    v.check_range(spec.name, f"y_pred[:, {k}:] (the variances)", y_pred[:, k:], low=0.0, low_open=True,
                  fix="Put a softplus (or exp) on the variance outputs of the model, or predict log-variances and exponentiate.")


gaussian_nll = families.probabilistic(
    name="gaussian_nll",
    title="Gaussian negative log-likelihood",
    problem_types=("regression", "probabilistic"),
    activations=("linear+softplus", "linear+exponential"),
    target_encoding="real",
    target_domain="(-inf, inf)",
    prediction_domain="(n, 2k): k means in (-inf, inf), then k variances in (0, inf)",
    shape_rule="mean_var",
    formula=r"\ell(y, \mu, \sigma^2) = \frac{1}{k}\sum_{j=1}^{k} \frac12\left(\log v_j + \frac{(y_j - \mu_j)^2}{v_j}\right)"
    r"\;[+\tfrac12\log 2\pi],\quad v_j = \max(\sigma_j^2, 10^{-6})",
    summary="When the noise level varies from sample to sample and you want it predicted: the network outputs a mean "
    "and a variance per target (linear means, softplus variances). Continuous densities exceed 1, so a negative "
    "loss is normal.",
    numpy_kernel=_gaussian_nll_numpy,
    torch_kernel=_gaussian_nll_torch,
    references=("Nix and Weigend, Estimating the Mean and Variance of the Target Probability Distribution, ICNN 1994.", TORCH),
    aliases=("GaussianNLLLoss", "gaussian_nll_loss", "gaussian_negative_log_likelihood", "heteroscedastic_gaussian_nll"),
    params={"full": False},
    validate=_gaussian_nll_validate,
    notes=(
        "y_pred holds k means then k variances (n, 2k); PyTorch's nn.GaussianNLLLoss takes (input, target, var) "
        "instead, so to_torch_module() returns a losslab module taking the stacked y_pred.",
        "Variances are clamped to max(var, 1e-6) as PyTorch does (eps=1e-6, gradients as if unclamped); a variance "
        "<= 0 is an error (PyTorch clamps 0 silently and raises only for negative ones).",
        "full=False drops the constant 0.5 log(2 pi), as PyTorch's default does.",
        "Keras has no Gaussian NLL.",
    ),
)
