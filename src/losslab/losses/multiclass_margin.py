"""Multi-class margin losses: categorical hinge (Crammer-Singer) and multi-margin (Weston-Watkins).

Scores in, class targets as one-hot rows or indices; see ``multiclass.py`` for the shared checks.
"""

from __future__ import annotations

import numpy as np

from . import validation as v
from .frameworks import import_keras
from . import families
from .spec import LossSpec
from .multiclass import KERAS, TORCH, _check_classes, _weight_tensor


# ---------------------------------------------------------------- categorical hinge (Crammer-Singer)
def _cat_hinge_numpy(y_true, y_pred):
    pos = np.sum(y_true * y_pred, axis=-1)
    neg = np.max(np.where(y_true > 0, -np.inf, y_pred), axis=-1)  # best wrong class (k >= 2, so finite)
    return np.maximum(1.0 + neg - pos, 0.0)


def _cat_hinge_torch(y_true, y_pred):
    pos = (y_true * y_pred).sum(dim=-1)
    neg = y_pred.masked_fill(y_true > 0, float("-inf")).amax(dim=-1)  # best wrong class; no gradient reaches the mask
    return (1.0 + neg - pos).clamp(min=0.0)


def _validate_cat_hinge(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    _check_classes(spec, y_pred)
    fix = "Give one-hot rows (np.eye(k)[labels]), one 1 per row; for integer labels use multi_margin."
    v.check_in_set(spec.name, "y_true", y_true, {0.0, 1.0}, fix)
    v.check_rows_sum_to_one(spec.name, "y_true", y_true.astype(np.float64), fix, atol=0.0)


def _cat_hinge_keras(params):
    return import_keras().losses.CategoricalHinge()


categorical_hinge = families.multiclass(
    name="categorical_hinge",
    title="Categorical hinge",
    activations=("linear", "softmax"),
    target_encoding="one_hot",
    target_domain="one-hot rows",
    prediction_domain="(-inf, inf) scores (or softmax probabilities)",
    formula=r"\ell(y, \hat y) = \max\big(0,\ 1 + \max_{j \ne c} \hat y_j - \hat y_c\big),\quad c: y_c = 1",
    summary="The multi-class SVM loss (Crammer-Singer): the true class must score at least 1 above the best wrong "
    "class. A margin-based alternative to categorical cross-entropy; gives scores, not probabilities.",
    numpy_kernel=_cat_hinge_numpy,
    torch_kernel=_cat_hinge_torch,
    references=("Crammer and Singer, On the Algorithmic Implementation of Multiclass Kernel-based Vector Machines, JMLR 2001.", KERAS),
    aliases=("CategoricalHinge", "crammer_singer", "multiclass_hinge"),
    validate=_validate_cat_hinge,
    keras_factory=_cat_hinge_keras,
    notes=(
        "Keras computes the best wrong score as max_j (1 - y_j) y_pred_j, which counts the true class as 0: when "
        "every wrong score is negative Keras uses 0 instead. For y=[0, 0, 1], y_pred=[-0.5, -2, 0] Keras gives 1.0, "
        "losslab and scikit-learn's hinge_loss 0.5. Equal whenever the scores are non-negative (softmax outputs).",
    ),
)


# ---------------------------------------------------------------- multi-class margin (Weston-Watkins)
def _multi_margin_numpy(y_true, y_pred, *, p, margin, class_weight):
    k = y_pred.shape[-1]
    idx = np.broadcast_to(y_true, y_pred.shape[:-1]).astype(np.intp)
    score_c = np.take_along_axis(y_pred, idx[..., None], axis=-1)
    others = 1.0 - np.eye(k)[idx]  # every class but the true one
    w = np.ones(k) if class_weight is None else np.asarray(class_weight, dtype=np.float64)
    return w[idx] * np.sum(others * np.maximum(margin - score_c + y_pred, 0.0) ** p, axis=-1) / k


def _multi_margin_torch(y_true, y_pred, *, p, margin, class_weight):
    idx = y_true.expand(y_pred.shape[:-1]).unsqueeze(-1)
    terms = (margin - y_pred.gather(-1, idx) + y_pred).clamp(min=0.0) ** p
    loss = terms.scatter(-1, idx, 0.0).sum(dim=-1) / y_pred.shape[-1]  # scatter drops the j = c term
    return loss if class_weight is None else loss * _weight_tensor(class_weight, y_pred)[y_true]


def _validate_multi_margin(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    _check_classes(spec, y_pred)
    if spec.params["p"] not in (1, 2):
        raise ValueError(f"{spec.name}: expected p in (1, 2), as PyTorch's MultiMarginLoss. Received: p={spec.params['p']!r}.")
    v.check_hyperparameter(spec.name, "margin", spec.params["margin"], low=0.0)
    if spec.params["class_weight"] is not None:
        v.check_weight_vector(spec.name, "class_weight", spec.params["class_weight"], y_pred.shape[-1])
    v.check_class_indices(spec.name, "y_true", y_true, y_pred.shape[-1])


def _multi_margin_module(params):
    import torch

    return torch.nn.MultiMarginLoss(p=params["p"], margin=params["margin"], weight=_weight_tensor(params["class_weight"]))


multi_margin = families.class_indices(
    name="multi_margin",
    title="Multi-class margin",
    activations=("linear",),
    prediction_domain="(-inf, inf) scores",
    formula=r"\ell(c, \hat y) = \frac{w_c}{k}\sum_{j \ne c} \max\big(0,\ m - \hat y_c + \hat y_j\big)^{p}",
    summary="PyTorch's multi-class hinge (Weston-Watkins): every wrong class with a score within the margin of the "
    "true class pays. Sums over wrong classes where categorical_hinge takes only the worst one.",
    numpy_kernel=_multi_margin_numpy,
    torch_kernel=_multi_margin_torch,
    references=("Weston and Watkins, Support Vector Machines for Multi-Class Pattern Recognition, ESANN 1999.", TORCH),
    aliases=("MultiMarginLoss", "multi_margin_loss", "weston_watkins"),
    params={"p": 1, "margin": 1.0, "class_weight": None},
    validate=_validate_multi_margin,
    torch_factory=_multi_margin_module,
    notes=("The sum is divided by k, the number of classes, as in PyTorch; class_weight multiplies by w[c] and "
           "PyTorch's mean then divides by n, as losslab does.",),
)
