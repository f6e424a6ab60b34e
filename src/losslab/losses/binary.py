"""Binary and multi-label classification losses: one output column per label.

``y_true`` and ``y_pred`` have the same shape ``(n,)`` or ``(n, k)``; with k labels the
per-sample loss is the mean over them (Keras' convention, and PyTorch's ``"mean"``
over all elements gives the same batch value). Losses that take probabilities clip them
to ``[1e-7, 1 - 1e-7]`` as Keras does; their ``from_logits=True`` path is exact
(softplus) at any logit.
"""

from __future__ import annotations

import numpy as np

from . import validation as v
from .frameworks import EPSILON, KERAS, TORCH, import_keras
from .frameworks import losslab_module as _losslab_module
from . import families
from .spec import LossSpec

BISHOP = "Bishop, Pattern Recognition and Machine Learning, Springer, 2006 (section 4.3.2)."
JANOCHA = "Janocha and Czarnecki, On Loss Functions for Deep Neural Networks in Classification, 2017."


LOGITS_FIX = "y_pred looks like logits (raw scores): pass from_logits=True, or put a sigmoid on the output layer."
PM1_FIX = "Map {0, 1} labels with y = 2*y - 1."



def _smooth(y, label_smoothing: float):
    # Keras' binary label smoothing squeezes labels towards 1/2.
    return y * (1.0 - label_smoothing) + 0.5 * label_smoothing


def _check_targets_01(spec: LossSpec, y_true: np.ndarray) -> None:
    v.check_range(spec.name, "y_true", y_true.astype(np.float64), low=0.0, high=1.0,
                  fix=f"{spec.name} takes labels in {{0, 1}} or probabilities in [0, 1]; map {{-1, 1}} labels with y = (y + 1) / 2, "
                  "and use sparse_categorical_crossentropy for class indices.")


def _check_pm1(spec: LossSpec, y_true: np.ndarray) -> None:
    values = set(np.unique(y_true).tolist())
    if values <= {-1, 1}:
        return
    if values <= {0, 1}:
        fix = f"Keras converts {{0, 1}} labels silently; losslab refuses them. {PM1_FIX}"
    else:
        fix = f"Map your two classes to -1 and 1. {PM1_FIX}"
    v.check_in_set(spec.name, "y_true", y_true, {-1.0, 1.0}, fix)


# ---------------------------------------------------------------- binary cross-entropy
def _bce_numpy(y_true, y_pred, *, from_logits, label_smoothing, pos_weight):
    y = _smooth(y_true, label_smoothing)
    w = 1.0 if pos_weight is None else np.asarray(pos_weight, dtype=np.float64)
    if from_logits:
        # -log sigmoid(z) = softplus(-z) and -log(1 - sigmoid(z)) = softplus(z): exact for any z.
        pos, neg = np.logaddexp(0.0, -y_pred), np.logaddexp(0.0, y_pred)
    else:
        p = np.clip(y_pred, EPSILON, 1.0 - EPSILON)  # as Keras: no log(0) at probabilities 0 and 1
        pos, neg = -np.log(p), -np.log1p(-p)  # log1p: log(1 - p) stays accurate for small p
    return np.mean(w * y * pos + (1.0 - y) * neg, axis=-1)


def _bce_torch(y_true, y_pred, *, from_logits, label_smoothing, pos_weight):
    import torch
    import torch.nn.functional as F

    y = _smooth(y_true, label_smoothing)
    w = 1.0 if pos_weight is None else torch.as_tensor(pos_weight, dtype=y_pred.dtype, device=y_pred.device)
    if from_logits:
        # -log sigmoid(z) = softplus(-z) and -log(1 - sigmoid(z)) = softplus(z): exact for any z.
        pos, neg = F.softplus(-y_pred), F.softplus(y_pred)
    else:
        p = y_pred.clamp(EPSILON, 1.0 - EPSILON)  # as Keras: no log(0) at probabilities 0 and 1
        pos, neg = -torch.log(p), -torch.log1p(-p)  # log1p: log(1 - p) stays accurate for small p
    return (w * y * pos + (1.0 - y) * neg).mean(dim=-1)


def _validate_bce(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    v.check_hyperparameter(spec.name, "label_smoothing", spec.params["label_smoothing"], low=0.0, high=1.0)
    if spec.params["pos_weight"] is not None:
        v.check_weight_vector(spec.name, "pos_weight", spec.params["pos_weight"], y_pred.shape[-1], allow_scalar=True)
    _check_targets_01(spec, y_true)
    if not spec.params["from_logits"]:
        v.check_range(spec.name, "y_pred", y_pred, low=0.0, high=1.0, fix=LOGITS_FIX)


def _bce_keras(params):
    v.check_framework_supports("binary_crossentropy", "keras.losses.BinaryCrossentropy", params, pos_weight=None)
    return import_keras().losses.BinaryCrossentropy(from_logits=params["from_logits"], label_smoothing=params["label_smoothing"])


def _bce_torch_module(params):
    import torch

    if params["label_smoothing"] == 0.0:
        if params["from_logits"]:
            pw = None if params["pos_weight"] is None else torch.as_tensor(params["pos_weight"], dtype=torch.get_default_dtype())
            return torch.nn.BCEWithLogitsLoss(pos_weight=pw)
        if params["pos_weight"] is None:
            # Same numbers inside [1e-7, 1 - 1e-7]; BCELoss clamps log at -100 instead of clipping at 1e-7.
            return torch.nn.BCELoss()
    return _losslab_module("binary_crossentropy", params)


binary_crossentropy = families.sigmoid(
    name="binary_crossentropy",
    title="Binary cross-entropy",
    formula=r"\ell(y, p) = -\frac{1}{k}\sum_{j=1}^{k} \big[w_+ y_j \log p_j + (1 - y_j)\log(1 - p_j)\big],"
    r"\quad p_j = \operatorname{clip}(\hat y_j, \epsilon, 1 - \epsilon)\ \text{or}\ \sigma(z_j)",
    summary="The default for binary and multi-label problems with a sigmoid output: the negative log-likelihood of "
    "a Bernoulli model. Prefer from_logits=True (a linear output) for exact, saturation-free training.",
    numpy_kernel=_bce_numpy,
    torch_kernel=_bce_torch,
    references=(BISHOP, KERAS, TORCH),
    aliases=("bce", "BinaryCrossentropy", "binary_cross_entropy", "log_loss", "BCELoss", "logistic_loss"),
    params={"from_logits": False, "label_smoothing": 0.0, "pos_weight": None},
    validate=_validate_bce,
    keras_factory=_bce_keras,
    torch_factory=_bce_torch_module,
    notes=(
        "Probabilities are clipped to [1e-7, 1 - 1e-7] as Keras does, so the largest loss per label is "
        "-log(1e-7) = 16.118. PyTorch's BCELoss instead clamps each log at -100 (loss 100 at a wrong 0 or 1).",
        "from_logits=True is exact: softplus(z) - y z. BCE(logit 20, label 0) = 20.000000002 where a sigmoid "
        "output followed by the probability path gives 16.118.",
        "label_smoothing follows Keras: y -> y (1 - s) + s / 2.",
        "pos_weight follows PyTorch's BCEWithLogitsLoss: it multiplies the y log p term; one weight per column or one number. "
        "Keras has no equivalent.",
        "Targets outside [0, 1] are refused; {-1, 1} labels must be mapped with y = (y + 1) / 2.",
    ),
    param_aliases={"BCEWithLogitsLoss": {"from_logits": True}, "sigmoid_cross_entropy_with_logits": {"from_logits": True}},
)


# ---------------------------------------------------------------- hinge and squared hinge
def _hinge_numpy(y_true, y_pred):
    return np.mean(np.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def _hinge_torch(y_true, y_pred):
    return (1.0 - y_true * y_pred).clamp(min=0.0).mean(dim=-1)


def _squared_hinge_numpy(y_true, y_pred):
    return np.mean(np.maximum(1.0 - y_true * y_pred, 0.0) ** 2, axis=-1)


def _squared_hinge_torch(y_true, y_pred):
    return ((1.0 - y_true * y_pred).clamp(min=0.0) ** 2).mean(dim=-1)


def _validate_pm1(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    _check_pm1(spec, y_true)


def _keras_plain(class_name: str):
    def build(params):
        return getattr(import_keras().losses, class_name)()

    return build


_PM1_NOTE = ("Targets must be exactly -1 or 1. Keras converts a {0, 1} target to {-1, 1} silently (and leaves any other "
             "target as it is); losslab refuses both with the fix y = 2*y - 1.")

hinge = families.margin(
    name="hinge",
    title="Hinge",
    formula=r"\ell(y, \hat y) = \frac{1}{k}\sum_{j=1}^{k} \max(0,\ 1 - y_j \hat y_j)",
    summary="The support-vector-machine loss: zero once a sample is on the right side with margin 1, so it stops "
    "pushing on easy samples. Needs {-1, 1} targets and gives scores, not probabilities.",
    numpy_kernel=_hinge_numpy,
    torch_kernel=_hinge_torch,
    references=("Cortes and Vapnik, Support-Vector Networks, Machine Learning, 1995.", JANOCHA, KERAS),
    aliases=("Hinge", "hinge_loss"),
    validate=_validate_pm1,
    keras_factory=_keras_plain("Hinge"),
    notes=(_PM1_NOTE, "scikit-learn's hinge_loss(y, decision) is the same for one column of {-1, 1} labels (it "
           "binarizes any two labels itself); with several classes it is categorical_hinge (Crammer-Singer)."),
)

squared_hinge = families.margin(
    name="squared_hinge",
    title="Squared hinge",
    formula=r"\ell(y, \hat y) = \frac{1}{k}\sum_{j=1}^{k} \max(0,\ 1 - y_j \hat y_j)^2",
    summary="Hinge loss squared: smooth at the margin (a continuous gradient) and harder on large violations. "
    "Needs {-1, 1} targets.",
    numpy_kernel=_squared_hinge_numpy,
    torch_kernel=_squared_hinge_torch,
    references=(JANOCHA, KERAS),
    aliases=("SquaredHinge", "squared_hinge_loss", "l2_hinge"),
    validate=_validate_pm1,
    keras_factory=_keras_plain("SquaredHinge"),
    notes=(_PM1_NOTE,),
)


# ---------------------------------------------------------------- soft margin (logistic on {-1, 1})
def _soft_margin_numpy(y_true, y_pred):
    # log(1 + exp(-y z)) = softplus(-y z), finite for any z.
    return np.mean(np.logaddexp(0.0, -y_true * y_pred), axis=-1)


def _soft_margin_torch(y_true, y_pred):
    import torch.nn.functional as F

    # log(1 + exp(-y z)) = softplus(-y z), finite for any z.
    return F.softplus(-y_true * y_pred).mean(dim=-1)


def _soft_margin_module(params):
    import torch

    return torch.nn.SoftMarginLoss()


soft_margin = families.margin(
    name="soft_margin",
    title="Soft margin",
    activations=("linear",),
    prediction_domain="(-inf, inf) logits",
    formula=r"\ell(y, z) = \frac{1}{k}\sum_{j=1}^{k} \log\big(1 + e^{-y_j z_j}\big)",
    summary="Logistic loss on {-1, 1} labels and logits: binary cross-entropy with from_logits=True written "
    "for SVM-style labels. Use it when your labels are already -1 and 1.",
    numpy_kernel=_soft_margin_numpy,
    torch_kernel=_soft_margin_torch,
    references=(BISHOP, TORCH),
    aliases=("SoftMarginLoss", "soft_margin_loss"),
    validate=_validate_pm1,
    torch_factory=_soft_margin_module,
    notes=("Equals binary_crossentropy(from_logits=True) with targets (y + 1) / 2.",),
)


# ---------------------------------------------------------------- binary focal cross-entropy
def _focal_numpy(y_true, y_pred, *, apply_class_balancing, alpha, gamma, from_logits, label_smoothing):
    y = _smooth(y_true, label_smoothing)
    if from_logits:
        # Exact logits path: BCE = softplus(z) - y z, and 1 - p_t = y sigmoid(-z) + (1 - y) sigmoid(z).
        from scipy.special import (
            expit,  # imported here: scipy.special adds ~0.3 s to `import losslab`
        )

        bce = np.logaddexp(0.0, y_pred) - y * y_pred
        one_minus_pt = y * expit(-y_pred) + (1.0 - y) * expit(y_pred)
    else:
        clipped = np.clip(y_pred, EPSILON, 1.0 - EPSILON)  # Keras clips inside the BCE only
        bce = -(y * np.log(clipped) + (1.0 - y) * np.log1p(-clipped))
        one_minus_pt = 1.0 - (y * y_pred + (1.0 - y) * (1.0 - y_pred))  # Keras: from the unclipped probability
    loss = one_minus_pt ** gamma * bce
    if apply_class_balancing:
        loss = (y * alpha + (1.0 - y) * (1.0 - alpha)) * loss
    return np.mean(loss, axis=-1)


def _focal_torch(y_true, y_pred, *, apply_class_balancing, alpha, gamma, from_logits, label_smoothing):
    import torch
    import torch.nn.functional as F

    y = _smooth(y_true, label_smoothing)
    if from_logits:
        # Exact logits path: BCE = softplus(z) - y z, and 1 - p_t = y sigmoid(-z) + (1 - y) sigmoid(z).
        bce = F.softplus(y_pred) - y * y_pred
        one_minus_pt = y * torch.sigmoid(-y_pred) + (1.0 - y) * torch.sigmoid(y_pred)
    else:
        clipped = y_pred.clamp(EPSILON, 1.0 - EPSILON)  # Keras clips inside the BCE only
        bce = -(y * torch.log(clipped) + (1.0 - y) * torch.log1p(-clipped))
        one_minus_pt = 1.0 - (y * y_pred + (1.0 - y) * (1.0 - y_pred))  # Keras: from the unclipped probability
    loss = one_minus_pt ** gamma * bce
    if apply_class_balancing:
        loss = (y * alpha + (1.0 - y) * (1.0 - alpha)) * loss
    return loss.mean(dim=-1)


def _validate_focal(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    p = spec.params
    v.check_hyperparameter(spec.name, "alpha", p["alpha"], low=0.0, high=1.0)
    v.check_hyperparameter(spec.name, "gamma", p["gamma"], low=0.0)
    v.check_hyperparameter(spec.name, "label_smoothing", p["label_smoothing"], low=0.0, high=1.0)
    _check_targets_01(spec, y_true)
    if not p["from_logits"]:
        v.check_range(spec.name, "y_pred", y_pred, low=0.0, high=1.0, fix=LOGITS_FIX)


def _focal_keras(params):
    return import_keras().losses.BinaryFocalCrossentropy(**params)


binary_focal_crossentropy = families.sigmoid(
    name="binary_focal_crossentropy",
    title="Binary focal cross-entropy",
    formula=r"\ell(y, p) = \frac{1}{k}\sum_{j=1}^{k} a_j (1 - p_{t,j})^{\gamma}\,\mathrm{BCE}(y_j, p_j),\quad "
    r"p_t = y p + (1 - y)(1 - p),\ a = y\alpha + (1 - y)(1 - \alpha)\ \text{if balancing, else } 1",
    summary="Binary cross-entropy that down-weights samples already classified well, so training focuses on the "
    "hard ones; made for heavy class imbalance (dense object detection). gamma=0 gives plain BCE.",
    numpy_kernel=_focal_numpy,
    torch_kernel=_focal_torch,
    references=("Lin, Goyal, Girshick, He and Dollar, Focal Loss for Dense Object Detection, ICCV 2017.", KERAS),
    aliases=("BinaryFocalCrossentropy", "binary_focal_loss", "focal_loss", "sigmoid_focal_loss"),
    params={"apply_class_balancing": False, "alpha": 0.25, "gamma": 2.0, "from_logits": False, "label_smoothing": 0.0},
    validate=_validate_focal,
    keras_factory=_focal_keras,
    notes=(
        "Matches Keras' BinaryFocalCrossentropy: alpha is used only with apply_class_balancing=True (Lin et al. "
        "always weight by alpha), and the focal factor uses the unclipped probability while the BCE clips it.",
        "from_logits=True is exact (softplus); Keras applies a sigmoid and clips, so at logit 20 and label 0 Keras "
        "gives 16.118 and losslab 20.0 (gamma=0), and they differ wherever |logit| > 16.",
    ),
)


# ---------------------------------------------------------------- multi-label soft margin
def _mlsm_numpy(y_true, y_pred, *, class_weight):
    w = 1.0 if class_weight is None else np.asarray(class_weight, dtype=np.float64)
    # -[y log sigmoid(z) + (1 - y) log sigmoid(-z)] = softplus(z) - y z, exact for any z.
    return np.mean(w * (np.logaddexp(0.0, y_pred) - y_true * y_pred), axis=-1)


def _mlsm_torch(y_true, y_pred, *, class_weight):
    import torch
    import torch.nn.functional as F

    w = 1.0 if class_weight is None else torch.as_tensor(class_weight, dtype=y_pred.dtype, device=y_pred.device)
    # -[y log sigmoid(z) + (1 - y) log sigmoid(-z)] = softplus(z) - y z, exact for any z.
    return (w * (F.softplus(y_pred) - y_true * y_pred)).mean(dim=-1)


def _validate_mlsm(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    if spec.params["class_weight"] is not None:
        v.check_weight_vector(spec.name, "class_weight", spec.params["class_weight"], y_pred.shape[-1])
    _check_targets_01(spec, y_true)


def _mlsm_module(params):
    import torch

    w = params["class_weight"]
    return torch.nn.MultiLabelSoftMarginLoss(weight=None if w is None else torch.as_tensor(w, dtype=torch.get_default_dtype()))


multilabel_soft_margin = families.multilabel(
    name="multilabel_soft_margin",
    title="Multi-label soft margin",
    problem_types=("multilabel", "binary"),
    target_domain="[0, 1] (multi-hot rows of 0 and 1)",
    prediction_domain="(-inf, inf) logits",
    formula=r"\ell(y, z) = -\frac{1}{k}\sum_{j=1}^{k} w_j\big[y_j \log\sigma(z_j) + (1 - y_j)\log\sigma(-z_j)\big]",
    summary="PyTorch's multi-label loss on logits: per-label binary cross-entropy averaged over the labels, with "
    "optional per-label weights. The same as binary_crossentropy(from_logits=True) without weights.",
    numpy_kernel=_mlsm_numpy,
    torch_kernel=_mlsm_torch,
    references=(TORCH,),
    aliases=("MultiLabelSoftMarginLoss", "multilabel_soft_margin_loss"),
    params={"class_weight": None},
    validate=_validate_mlsm,
    torch_factory=_mlsm_module,
    notes=("class_weight is PyTorch's weight: one weight per label (column), inside the mean over labels.",),
)


# ---------------------------------------------------------------- multi-label margin (ranking hinge)
def _mlm_numpy(y_true, y_pred):
    # Every (relevant j, irrelevant i) pair pays max(0, 1 - (z_j - z_i)).
    pairs = y_true[..., :, None] * (1.0 - y_true[..., None, :])
    hinge_ = np.maximum(1.0 - y_pred[..., :, None] + y_pred[..., None, :], 0.0)
    return np.sum(pairs * hinge_, axis=(-2, -1)) / y_pred.shape[-1]


def _mlm_torch(y_true, y_pred):
    # Every (relevant j, irrelevant i) pair pays max(0, 1 - (z_j - z_i)).
    pairs = y_true[..., :, None] * (1.0 - y_true[..., None, :])
    hinge_ = (1.0 - y_pred[..., :, None] + y_pred[..., None, :]).clamp(min=0.0)
    return (pairs * hinge_).sum(dim=(-2, -1)) / y_pred.shape[-1]


def _validate_mlm(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    v.check_in_set(spec.name, "y_true", y_true, {0.0, 1.0}, "Give multi-hot rows: 1 for each relevant label, 0 otherwise.")


multilabel_margin = families.multilabel(
    name="multilabel_margin",
    title="Multi-label margin",
    problem_types=("multilabel",),
    target_domain="{0, 1} (multi-hot rows)",
    prediction_domain="(-inf, inf) scores",
    formula=r"\ell(y, z) = \frac{1}{k}\sum_{j: y_j = 1}\ \sum_{i: y_i = 0} \max\big(0,\ 1 - (z_j - z_i)\big)",
    summary="A ranking hinge for multi-label problems: every relevant label must score at least 1 above every "
    "irrelevant one. Use it when the ranking of labels matters more than calibrated probabilities.",
    numpy_kernel=_mlm_numpy,
    torch_kernel=_mlm_torch,
    references=("Elisseeff and Weston, A kernel method for multi-labelled classification, NeurIPS 2001.", TORCH),
    aliases=("MultiLabelMarginLoss", "multilabel_margin_loss"),
    validate=_validate_mlm,
    notes=(
        "PyTorch's MultiLabelMarginLoss takes the relevant labels as class indices padded with -1 "
        "([[3, 0, -1, 1]]); losslab takes multi-hot rows ([[1, 1, 0, 1]]), so to_torch_module() returns losslab's module.",
        "A row with no relevant (or no irrelevant) label costs 0, as in PyTorch.",
    ),
)
