"""Multi-class losses: one output column per class, exactly one class per sample.

``y_pred`` is ``(n, k)`` (probabilities, logits or scores, k >= 2). ``y_true`` is
``(n, k)`` one-hot or probability rows (``categorical_*``, ``kl_divergence``) or
``(n,)`` class indices (``sparse_*``, ``nll``, ``multi_margin``,
``categorical_generalized_cross_entropy``). Torch kernels take any leading dimensions:
``y_pred (..., k)`` against ``y_true (..., k)``, or against class indices as a long
tensor broadcastable to ``(...)``.

Probability inputs follow Keras: the cross-entropies divide each row of ``y_pred`` by
its sum (a no-op up to rounding, since rows that do not sum to 1 are refused) and clip
to ``[1e-7, 1 - 1e-7]``; ``kl_divergence`` clips to ``[1e-7, 1]`` and the generalized
cross-entropy to ``[1e-7, 1]``, without renormalising. ``from_logits=True`` paths use
log-softmax and stay exact at logits of +-1e4.
"""

from __future__ import annotations

import numpy as np

from . import validation as v
from .frameworks import EPSILON, KERAS, TORCH, import_keras
from .frameworks import losslab_module as _losslab_module
from . import families
from .spec import LossSpec

SZEGEDY = "Szegedy, Vanhoucke, Ioffe, Shlens and Wojna, Rethinking the Inception Architecture for Computer Vision, CVPR 2016 (label smoothing)."
BISHOP = "Bishop, Pattern Recognition and Machine Learning, Springer, 2006 (section 4.3.4)."


LOGITS_FIX = "y_pred looks like logits (raw scores): pass from_logits=True, or put a softmax on the output layer."
ROWS_FIX = "Put a softmax on the output layer, or pass raw scores with from_logits=True."



def _weight_tensor(weight, like=None):
    import torch

    if weight is None:
        return None
    if like is None:
        return torch.as_tensor(weight, dtype=torch.get_default_dtype())
    return torch.as_tensor(weight, dtype=like.dtype, device=like.device)


def _smooth(y, label_smoothing: float, k: int):
    # Keras and PyTorch: y -> y (1 - s) + s / k.
    return y * (1.0 - label_smoothing) + label_smoothing / k


def _log_softmax_numpy(z: np.ndarray) -> np.ndarray:
    # scipy.special is imported on first use: it adds ~0.3 s to `import losslab`.
    from scipy.special import log_softmax

    return log_softmax(z, axis=-1)  # z - logsumexp(z): finite at any logit


def _log_probs_numpy(y_pred: np.ndarray, from_logits: bool) -> np.ndarray:
    if from_logits:
        return _log_softmax_numpy(y_pred)
    p = y_pred / y_pred.sum(axis=-1, keepdims=True)  # Keras renormalises the rows
    return np.log(np.clip(p, EPSILON, 1.0 - EPSILON))  # as Keras: no log(0)


def _log_probs_torch(y_pred, from_logits: bool):
    import torch

    if from_logits:
        return torch.log_softmax(y_pred, dim=-1)  # z - logsumexp(z): finite at any logit
    p = y_pred / y_pred.sum(dim=-1, keepdim=True)  # Keras renormalises the rows
    return torch.log(p.clamp(EPSILON, 1.0 - EPSILON))  # as Keras: no log(0)


def _take_class(values, y_true):
    """``values[..., y]`` for torch class indices ``y`` of shape ``(...)`` (broadcast to ``values.shape[:-1]``)."""
    idx = y_true.expand(values.shape[:-1]).unsqueeze(-1)
    return values.gather(-1, idx).squeeze(-1)


# ---------------------------------------------------------------- shared checks
def _check_classes(spec: LossSpec, y_pred: np.ndarray) -> None:
    if y_pred.shape[-1] < 2:
        raise ValueError(
            f"{spec.name}: expected y_pred of shape (n, k) with one column per class, k >= 2. Received: y_pred with "
            f"{y_pred.shape[-1]} column. For two classes and one sigmoid output use binary_crossentropy."
        )


def _check_prob_rows(spec: LossSpec, y_pred: np.ndarray) -> None:
    v.check_range(spec.name, "y_pred", y_pred, low=0.0, high=1.0, fix=LOGITS_FIX)
    v.check_rows_sum_to_one(spec.name, "y_pred", y_pred, ROWS_FIX)


def _check_target_rows(spec: LossSpec, y_true: np.ndarray, fix: str) -> None:
    v.check_range(spec.name, "y_true", y_true.astype(np.float64), low=0.0, high=1.0, fix=fix)
    v.check_rows_sum_to_one(spec.name, "y_true", y_true.astype(np.float64), fix)


def _check_common(spec: LossSpec, y_pred: np.ndarray) -> None:
    """k >= 2, the optional hyperparameters, and probability rows when y_pred is not logits."""
    _check_classes(spec, y_pred)
    params = spec.params
    if "label_smoothing" in params:
        v.check_hyperparameter(spec.name, "label_smoothing", params["label_smoothing"], low=0.0, high=1.0)
    if params.get("class_weight") is not None:
        v.check_weight_vector(spec.name, "class_weight", params["class_weight"], y_pred.shape[-1])
    if not params.get("from_logits", False):
        _check_prob_rows(spec, y_pred)


ONE_HOT_FIX = ("Give one-hot rows (np.eye(k)[labels]) or probability rows; for integer labels use sparse_categorical_crossentropy; "
               "for several labels per sample use binary_crossentropy.")


# ---------------------------------------------------------------- categorical cross-entropy
def _cce_numpy(y_true, y_pred, *, from_logits, label_smoothing, class_weight):
    y = _smooth(y_true, label_smoothing, y_true.shape[-1])
    w = 1.0 if class_weight is None else np.asarray(class_weight, dtype=np.float64)
    return -np.sum(w * y * _log_probs_numpy(y_pred, from_logits), axis=-1)


def _cce_torch(y_true, y_pred, *, from_logits, label_smoothing, class_weight):
    y = _smooth(y_true, label_smoothing, y_true.shape[-1])
    w = 1.0 if class_weight is None else _weight_tensor(class_weight, y_pred)
    return -(w * y * _log_probs_torch(y_pred, from_logits)).sum(dim=-1)


def _validate_cce(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    _check_common(spec, y_pred)
    _check_target_rows(spec, y_true, ONE_HOT_FIX)


def _cce_keras(params):
    v.check_framework_supports("categorical_crossentropy", "keras.losses.CategoricalCrossentropy", params, class_weight=None)
    return import_keras().losses.CategoricalCrossentropy(from_logits=params["from_logits"], label_smoothing=params["label_smoothing"])


def _cce_torch_module(params):
    import torch

    if params["from_logits"]:
        # With probability (one-hot) targets PyTorch's "mean" divides by n, weights or not: our convention.
        return torch.nn.CrossEntropyLoss(weight=_weight_tensor(params["class_weight"]), label_smoothing=params["label_smoothing"])
    return _losslab_module("categorical_crossentropy", params)


_CLASS_WEIGHT_NOTE = (
    "class_weight w multiplies each class's term, -sum_j w_j y_j log p_j, and reduction='mean' divides by n (Keras' "
    "sum_over_batch_size, like model.fit(class_weight=...)). PyTorch's CrossEntropyLoss(weight=w) with class-index "
    "targets divides by sum_i w[y_i] instead (with probability targets it divides by n, as we do)."
)

categorical_crossentropy = families.softmax_rows(
    name="categorical_crossentropy",
    title="Categorical cross-entropy",
    formula=r"\ell(y, p) = -\sum_{j=1}^{k} w_j\, \tilde y_j \log p_j,\quad \tilde y = (1 - s)\, y + s / k,"
    r"\quad p = \operatorname{clip}(\hat y / \textstyle\sum \hat y, \epsilon, 1 - \epsilon)\ \text{or}\ \operatorname{softmax}(z)",
    summary="The default for multi-class problems with one-hot targets and a softmax output: the negative "
    "log-likelihood of a categorical model. Prefer from_logits=True (a linear output) for exact training.",
    numpy_kernel=_cce_numpy,
    torch_kernel=_cce_torch,
    references=(BISHOP, SZEGEDY, KERAS, TORCH),
    aliases=("cce", "CategoricalCrossentropy", "categorical_cross_entropy", "softmax_cross_entropy"),
    params={"from_logits": False, "label_smoothing": 0.0, "class_weight": None},
    validate=_validate_cce,
    keras_factory=_cce_keras,
    torch_factory=_cce_torch_module,
    notes=(
        "Probabilities follow Keras: each row of y_pred is divided by its sum, then clipped to [1e-7, 1 - 1e-7]. "
        "Rows that do not sum to 1 (within 1e-4) are refused rather than renormalised silently; scikit-learn's "
        "log_loss warns and uses them as they are.",
        "label_smoothing follows Keras and PyTorch: y -> y (1 - s) + s / k.",
        _CLASS_WEIGHT_NOTE,
    ),
)


# ---------------------------------------------------------------- sparse categorical cross-entropy
def _scce_numpy(y_true, y_pred, *, from_logits, label_smoothing, class_weight):
    # The formula of categorical_crossentropy on one-hot rows built from the labels.
    k = y_pred.shape[-1]
    one_hot = np.eye(k)[np.broadcast_to(y_true, y_pred.shape[:-1]).astype(np.intp)]
    return _cce_numpy(one_hot, y_pred, from_logits=from_logits, label_smoothing=label_smoothing, class_weight=class_weight)


def _scce_torch(y_true, y_pred, *, from_logits, label_smoothing, class_weight):
    log_p = _log_probs_torch(y_pred, from_logits)
    if class_weight is not None:
        w = _weight_tensor(class_weight, y_pred)
        loss = -_take_class(log_p, y_true) * w[y_true]
        if label_smoothing:  # PyTorch: (1 - s) w_y (-log p_y) + (s / k) sum_j w_j (-log p_j)
            loss = (1.0 - label_smoothing) * loss - label_smoothing / y_pred.shape[-1] * (w * log_p).sum(dim=-1)
        return loss
    loss = -_take_class(log_p, y_true)  # a gather, not a one-hot product: the engine's hot path
    if label_smoothing:  # PyTorch: (1 - s)(-log p_y) + s * mean_j(-log p_j)
        loss = (1.0 - label_smoothing) * loss - label_smoothing * log_p.mean(dim=-1)
    return loss


def _validate_sparse(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    _check_common(spec, y_pred)
    v.check_class_indices(spec.name, "y_true", y_true, y_pred.shape[-1])


def _scce_keras(params):
    v.check_framework_supports("sparse_categorical_crossentropy", "keras.losses.SparseCategoricalCrossentropy", params,
                               label_smoothing=0.0, class_weight=None)
    return import_keras().losses.SparseCategoricalCrossentropy(from_logits=params["from_logits"])


def _scce_torch_module(params):
    import torch

    if params["from_logits"] and params["class_weight"] is None:
        return torch.nn.CrossEntropyLoss(label_smoothing=params["label_smoothing"])
    # CrossEntropyLoss(weight=...) divides by the summed weights; losslab's module keeps our mean over n.
    return _losslab_module("sparse_categorical_crossentropy", params)


sparse_categorical_crossentropy = families.softmax_indices(
    name="sparse_categorical_crossentropy",
    title="Sparse categorical cross-entropy",
    formula=r"\ell(c, p) = -(1 - s)\, w_c \log p_c - \frac{s}{k}\sum_{j=1}^{k} w_j \log p_j",
    summary="Categorical cross-entropy with integer class labels instead of one-hot rows: the same numbers, "
    "no encoding step. PyTorch's CrossEntropyLoss is this loss with from_logits=True.",
    numpy_kernel=_scce_numpy,
    torch_kernel=_scce_torch,
    references=(BISHOP, KERAS, TORCH),
    aliases=("sparse_cce", "SparseCategoricalCrossentropy", "sparse_categorical_cross_entropy"),
    params={"from_logits": False, "label_smoothing": 0.0, "class_weight": None},
    validate=_validate_sparse,
    keras_factory=_scce_keras,
    torch_factory=_scce_torch_module,
    notes=(
        "Labels must be integers 0 .. k-1 (2.0 is accepted, 2.5 is not). Keras' ignore_class and PyTorch's "
        "ignore_index have no equivalent: give such rows sample_weight 0.",
        "label_smoothing follows PyTorch's CrossEntropyLoss (Keras' sparse loss has none); it equals Keras' "
        "categorical label smoothing on the one-hot rows.",
        _CLASS_WEIGHT_NOTE,
    ),
    param_aliases={"CrossEntropyLoss": {"from_logits": True}, "cross_entropy_with_logits": {"from_logits": True}},
)


# ---------------------------------------------------------------- negative log-likelihood
def _nll_numpy(y_true, y_pred, *, class_weight):
    idx = np.broadcast_to(y_true, y_pred.shape[:-1]).astype(np.intp)
    w = np.ones(y_pred.shape[-1]) if class_weight is None else np.asarray(class_weight, dtype=np.float64)
    return -np.take_along_axis(y_pred, idx[..., None], axis=-1)[..., 0] * w[idx]


def _nll_torch(y_true, y_pred, *, class_weight):
    loss = -_take_class(y_pred, y_true)
    return loss if class_weight is None else loss * _weight_tensor(class_weight, y_pred)[y_true]


def _validate_nll(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    _check_classes(spec, y_pred)
    if spec.params["class_weight"] is not None:
        v.check_weight_vector(spec.name, "class_weight", spec.params["class_weight"], y_pred.shape[-1])
    fix = "nll takes log-probabilities: put a log_softmax on the output layer, or use sparse_categorical_crossentropy(from_logits=True) on raw scores."
    v.check_range(spec.name, "y_pred", y_pred, high=0.0, fix=fix)
    v.check_rows_sum_to_one(spec.name, "exp(y_pred)", np.exp(y_pred), fix)
    v.check_class_indices(spec.name, "y_true", y_true, y_pred.shape[-1])


def _nll_torch_module(params):
    import torch

    if params["class_weight"] is None:
        return torch.nn.NLLLoss()
    # NLLLoss(weight=...) divides by the summed weights; losslab's module keeps our mean over n.
    return _losslab_module("nll", params)


nll = families.class_indices(
    name="nll",
    title="Negative log-likelihood",
    activations=("log_softmax",),
    prediction_domain="log-probability rows (log_softmax: <= 0, exp sums to 1)",
    formula=r"\ell(c, \log p) = -w_c \log p_c",
    summary="PyTorch's NLLLoss: cross-entropy for a network whose last layer is log_softmax. With a linear last "
    "layer use sparse_categorical_crossentropy(from_logits=True), which is the same loss.",
    numpy_kernel=_nll_numpy,
    torch_kernel=_nll_torch,
    references=(BISHOP, TORCH),
    aliases=("NLLLoss", "nll_loss", "negative_log_likelihood"),
    params={"class_weight": None},
    validate=_validate_nll,
    torch_factory=_nll_torch_module,
    notes=(_CLASS_WEIGHT_NOTE.replace("CrossEntropyLoss", "NLLLoss"),
           "Rows of exp(y_pred) must sum to 1 (within 1e-4): raw scores are refused."),
)


# ---------------------------------------------------------------- Kullback-Leibler divergence
def _kl_numpy(y_true, y_pred, *, from_logits):
    from scipy.special import xlogy  # imported on first use, as above

    log_q = _log_softmax_numpy(y_pred) if from_logits else np.log(np.clip(y_pred, EPSILON, 1.0))  # as Keras: clip y_pred only
    # xlogy gives 0 log 0 = 0: classes with y = 0 add nothing.
    return np.sum(xlogy(y_true, y_true) - y_true * log_q, axis=-1)


def _kl_torch(y_true, y_pred, *, from_logits):
    import torch

    log_q = torch.log_softmax(y_pred, dim=-1) if from_logits else torch.log(y_pred.clamp(EPSILON, 1.0))  # as Keras: clip y_pred only
    # xlogy gives 0 log 0 = 0: classes with y = 0 add nothing.
    return (torch.xlogy(y_true, y_true) - y_true * log_q).sum(dim=-1)


def _validate_kl(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    _check_common(spec, y_pred)
    _check_target_rows(spec, y_true, "kl_divergence compares distributions: y_true rows must be non-negative and sum to 1 "
                       "(one-hot rows work); normalise them with y / y.sum(axis=1, keepdims=True).")


def _kl_keras(params):
    v.check_framework_supports("kl_divergence", "keras.losses.KLDivergence", params, from_logits=False)
    return import_keras().losses.KLDivergence()


kl_divergence = families.multiclass(
    name="kl_divergence",
    title="Kullback-Leibler divergence",
    activations=("softmax",),
    logits_activations=("linear", "log_softmax"),
    target_encoding="probability_rows",
    target_domain="probability rows (non-negative, each sums to 1)",
    prediction_domain="probability rows (softmax); logits or log-probabilities with from_logits=True",
    formula=r"\ell(y, q) = \sum_{j=1}^{k} y_j \log\frac{y_j}{q_j},\quad 0 \log 0 = 0,"
    r"\quad q = \operatorname{clip}(\hat y, \epsilon, 1)\ \text{or}\ \operatorname{softmax}(z)",
    summary="How far the predicted distribution is from the target distribution. With one-hot targets it equals "
    "categorical cross-entropy; use it when the targets are themselves distributions (soft labels, distillation).",
    numpy_kernel=_kl_numpy,
    torch_kernel=_kl_torch,
    references=("Kullback and Leibler, On Information and Sufficiency, Annals of Mathematical Statistics, 1951.", KERAS, TORCH),
    aliases=("kld", "kullback_leibler_divergence", "KLDivergence", "kl_div", "relative_entropy"),
    params={"from_logits": False},
    validate=_validate_kl,
    keras_factory=_kl_keras,
    notes=(
        "Argument order is (y_true, y_pred) = (P, Q) and the loss is KL(P || Q).",
        "Keras clips both y_true and y_pred to [1e-7, 1]; losslab clips only y_pred and uses 0 log 0 = 0, so a "
        "zero target adds nothing. Keras adds 1e-7 log(1e-7 / q_j) per zero target: for y=[1, 0, 0], "
        "q=[0.8, 0.1, 0.1] Keras gives 0.2231408 and losslab 0.2231436.",
        "PyTorch's KLDivLoss takes log-probabilities as input (KLDivLoss alias: from_logits=True, which accepts "
        "logits and log-probabilities alike since log_softmax(log q) = log q) and its default reduction='mean' "
        "divides by n*k; reduction='batchmean' gives losslab's mean.",
    ),
    param_aliases={"KLDivLoss": {"from_logits": True}},
)
