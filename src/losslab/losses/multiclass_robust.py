"""Multi-class losses for hard or noisy labels: categorical focal and generalized cross-entropy.

See ``multiclass.py`` for the shared checks and probability conventions.
"""

from __future__ import annotations

import numpy as np

from . import validation as v
from .frameworks import import_keras
from . import families
from .spec import LossSpec
from .multiclass import (
    EPSILON,
    KERAS,
    ONE_HOT_FIX,
    _check_classes,
    _check_common,
    _check_prob_rows,
    _check_target_rows,
    _log_probs_numpy,
    _log_probs_torch,
    _smooth,
    _take_class,
)


# ---------------------------------------------------------------- categorical focal cross-entropy
def _cat_focal_numpy(y_true, y_pred, *, alpha, gamma, from_logits, label_smoothing):
    y = _smooth(y_true, label_smoothing, y_true.shape[-1])
    log_p = _log_probs_numpy(y_pred, from_logits)
    # Logits: 1 - p = -expm1(log p) stays exact near p = 1; probabilities: Keras' 1 - clipped p.
    one_minus_p = -np.expm1(log_p) if from_logits else 1.0 - np.exp(log_p)
    return np.sum(np.asarray(alpha, dtype=np.float64) * one_minus_p ** gamma * (-y * log_p), axis=-1)


def _cat_focal_torch(y_true, y_pred, *, alpha, gamma, from_logits, label_smoothing):
    import torch

    y = _smooth(y_true, label_smoothing, y_true.shape[-1])
    log_p = _log_probs_torch(y_pred, from_logits)
    # Logits: 1 - p = -expm1(log p) stays exact near p = 1; probabilities: Keras' 1 - clipped p.
    one_minus_p = -torch.expm1(log_p) if from_logits else 1.0 - torch.exp(log_p)
    a = torch.as_tensor(alpha, dtype=y_pred.dtype, device=y_pred.device)
    return (a * one_minus_p ** gamma * (-y * log_p)).sum(dim=-1)


def _validate_cat_focal(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    _check_common(spec, y_pred)
    v.check_weight_vector(spec.name, "alpha", spec.params["alpha"], y_pred.shape[-1], allow_scalar=True)
    v.check_hyperparameter(spec.name, "gamma", spec.params["gamma"], low=0.0)
    _check_target_rows(spec, y_true, ONE_HOT_FIX)


def _cat_focal_keras(params):
    return import_keras().losses.CategoricalFocalCrossentropy(**params)


categorical_focal_crossentropy = families.softmax_rows(
    name="categorical_focal_crossentropy",
    title="Categorical focal cross-entropy",
    formula=r"\ell(y, p) = -\sum_{j=1}^{k} \alpha_j (1 - p_j)^{\gamma}\, \tilde y_j \log p_j",
    summary="Categorical cross-entropy that down-weights classes already predicted confidently, so training "
    "focuses on hard samples; for strong class imbalance. gamma=0 and alpha=1 give plain categorical cross-entropy.",
    numpy_kernel=_cat_focal_numpy,
    torch_kernel=_cat_focal_torch,
    references=("Lin, Goyal, Girshick, He and Dollar, Focal Loss for Dense Object Detection, ICCV 2017.", KERAS),
    aliases=("CategoricalFocalCrossentropy", "categorical_focal_loss", "softmax_focal_loss"),
    params={"alpha": 0.25, "gamma": 2.0, "from_logits": False, "label_smoothing": 0.0},
    validate=_validate_cat_focal,
    keras_factory=_cat_focal_keras,
    notes=(
        "Matches Keras' CategoricalFocalCrossentropy on probabilities (renormalised rows, clip to [1e-7, 1 - 1e-7]); "
        "alpha is one number or one weight per class.",
        "from_logits=True uses log_softmax and is exact; Keras applies a softmax and clips, so its cross-entropy "
        "saturates at -log(1e-7) = 16.118 where losslab's keeps growing.",
        "Keras 3.15 has no sparse (class-index) focal loss.",
    ),
)


# ---------------------------------------------------------------- generalized cross-entropy
def _gce_numpy(y_true, y_pred, *, q):
    idx = np.broadcast_to(y_true, y_pred.shape[:-1]).astype(np.intp)
    p_c = np.clip(np.take_along_axis(y_pred, idx[..., None], axis=-1)[..., 0], EPSILON, 1.0)  # finite gradient at p = 0
    return (1.0 - p_c ** q) / q


def _gce_torch(y_true, y_pred, *, q):
    p_c = _take_class(y_pred, y_true).clamp(EPSILON, 1.0)  # finite gradient at p = 0
    return (1.0 - p_c ** q) / q


def _validate_gce(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    _check_classes(spec, y_pred)
    v.check_hyperparameter(spec.name, "q", spec.params["q"], low=0.0, high=1.0, low_open=True, high_open=True)
    _check_prob_rows(spec, y_pred)
    v.check_class_indices(spec.name, "y_true", y_true, y_pred.shape[-1])


def _gce_keras(params):
    return import_keras().losses.CategoricalGeneralizedCrossEntropy(q=params["q"])


categorical_generalized_cross_entropy = families.softmax_indices(
    name="categorical_generalized_cross_entropy",
    title="Generalized cross-entropy",
    prediction_domain="probability rows (softmax)",
    formula=r"\ell(c, p) = \frac{1 - p_c^{\,q}}{q},\quad 0 < q < 1",
    summary="A cross-entropy that is robust to noisy labels: q near 0 behaves like cross-entropy, q = 1 like the "
    "mean absolute error. Try it when a fraction of the training labels is wrong.",
    numpy_kernel=_gce_numpy,
    torch_kernel=_gce_torch,
    references=("Zhang and Sabuncu, Generalized Cross Entropy Loss for Training Deep Neural Networks with Noisy Labels, NeurIPS 2018.", KERAS),
    aliases=("CategoricalGeneralizedCrossEntropy", "generalized_cross_entropy", "gce"),
    params={"q": 0.5},
    validate=_validate_gce,
    keras_factory=_gce_keras,
    notes=(
        "Despite Keras' name it takes class indices, as Keras' does.",
        "losslab clips p_c to [1e-7, 1] (Keras does not) so the gradient stays finite at p_c = 0: at p_c = 0 and "
        "q = 0.5 Keras gives 2.0 and losslab 1.999368.",
    ),
)
