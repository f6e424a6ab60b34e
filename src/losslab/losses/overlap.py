"""Overlap losses (Dice, Tversky): one minus a soft set-overlap score between targets and predictions.

Per sample: the overlap of the k outputs of one row (a multi-hot or one-hot row against
sigmoid or softmax outputs), then the mean over rows. Keras' ``Dice()`` and
``Tversky()`` with their default ``axis=None`` instead pool every element of the batch
into one overlap score; ``keras.losses.Dice(axis=-1)`` is the per-sample form that
``to_keras()`` returns. The two differ (see the notes); a per-sample score is what a
per-sample loss catalog, sample weights and the engine's replicates can use.
"""

from __future__ import annotations

import numpy as np

from . import validation as v
from .frameworks import KERAS, import_keras
from . import families
from .spec import LossSpec

MILLETARI = ("Milletari, Navab and Ahmadi, V-Net: Fully Convolutional Neural Networks for Volumetric Medical Image "
             "Segmentation, 3DV 2016.")
SALEHI = ("Salehi, Erdogmus and Gholipour, Tversky loss function for image segmentation using 3D fully convolutional "
          "deep networks, MLMI 2017.")

# Keras adds backend.epsilon() to the denominator so that an empty row (no target, no prediction) divides by > 0.
EPSILON = 1e-7

_PER_SAMPLE_NOTE = (
    "Per sample: overlap over the k outputs of each row, then the mean over rows. Keras' Dice() (axis=None) pools the "
    "whole batch into one score: on Keras' docstring example (two samples) the per-sample losses are 0.5 and 0.7576, "
    "mean 0.6288, where the batch-level Dice is 0.6164."
)
_EMPTY_NOTE = (
    "A row whose targets are all 0 scores 1 whatever is predicted (no gradient), as in Keras per sample; so this loss "
    "suits rows with several outputs (multi-label, one-hot), not a single sigmoid output, where every negative sample "
    "would cost 1."
)


def _check_inputs(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    v.check_range(spec.name, "y_true", y_true.astype(np.float64), low=0.0, high=1.0,
                  fix="Give multi-hot or one-hot rows of 0 and 1 (or probabilities).")
    v.check_range(spec.name, "y_pred", y_pred, low=0.0, high=1.0,
                  fix=f"{spec.name} takes probabilities: put a sigmoid (multi-label) or softmax (one class per row) on the output layer.")


# ---------------------------------------------------------------- Dice
def _dice_numpy(y_true, y_pred):
    intersection = np.sum(y_true * y_pred, axis=-1)
    return 1.0 - 2.0 * intersection / (np.sum(y_true, axis=-1) + np.sum(y_pred, axis=-1) + EPSILON)


def _dice_torch(y_true, y_pred):
    intersection = (y_true * y_pred).sum(dim=-1)
    return 1.0 - 2.0 * intersection / (y_true.sum(dim=-1) + y_pred.sum(dim=-1) + EPSILON)


def _validate_dice(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    _check_inputs(spec, y_true, y_pred)


def _dice_keras(params):
    return import_keras().losses.Dice(axis=-1)


dice = families.overlap(
    name="dice",
    title="Dice",
    formula=r"\ell(y, p) = 1 - \frac{2\sum_j y_j p_j}{\sum_j y_j + \sum_j p_j + \epsilon}",
    summary="One minus the soft Dice (F1) overlap of each row: insensitive to how many outputs are negative, so "
    "it suits rows where the positives are rare. Mostly used for segmentation, often added to cross-entropy.",
    numpy_kernel=_dice_numpy,
    torch_kernel=_dice_torch,
    references=("Dice, Measures of the Amount of Ecologic Association Between Species, Ecology, 1945.", MILLETARI, KERAS),
    aliases=("Dice", "dice_loss", "soft_dice"),
    validate=_validate_dice,
    keras_factory=_dice_keras,
    notes=(_PER_SAMPLE_NOTE, _EMPTY_NOTE, "epsilon = 1e-7 in the denominator, as Keras."),
)


# ---------------------------------------------------------------- Tversky
def _tversky_numpy(y_true, y_pred, *, alpha, beta):
    tp = np.sum(y_true * y_pred, axis=-1)
    fp = np.sum((1.0 - y_true) * y_pred, axis=-1)
    fn = np.sum(y_true * (1.0 - y_pred), axis=-1)
    return 1.0 - tp / (tp + alpha * fp + beta * fn + EPSILON)


def _tversky_torch(y_true, y_pred, *, alpha, beta):
    tp = (y_true * y_pred).sum(dim=-1)
    fp = ((1.0 - y_true) * y_pred).sum(dim=-1)
    fn = (y_true * (1.0 - y_pred)).sum(dim=-1)
    return 1.0 - tp / (tp + alpha * fp + beta * fn + EPSILON)


def _validate_tversky(spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
    v.check_hyperparameter(spec.name, "alpha", spec.params["alpha"], low=0.0)
    v.check_hyperparameter(spec.name, "beta", spec.params["beta"], low=0.0)
    _check_inputs(spec, y_true, y_pred)


def _tversky_keras(params):
    # Keras' code weighs false negatives by alpha and false positives by beta (its docstring says the reverse).
    return import_keras().losses.Tversky(alpha=params["beta"], beta=params["alpha"], axis=-1)


tversky = families.overlap(
    name="tversky",
    title="Tversky",
    formula=r"\ell(y, p) = 1 - \frac{TP}{TP + \alpha FP + \beta FN + \epsilon},\quad TP = \sum_j y_j p_j,"
    r"\ FP = \sum_j (1 - y_j) p_j,\ FN = \sum_j y_j (1 - p_j)",
    summary="Dice with separate prices for false positives (alpha) and false negatives (beta): raise beta to "
    "trade precision for recall on rare positives. alpha = beta = 0.5 is Dice.",
    numpy_kernel=_tversky_numpy,
    torch_kernel=_tversky_torch,
    references=(SALEHI, KERAS),
    aliases=("Tversky", "tversky_loss"),
    params={"alpha": 0.5, "beta": 0.5},
    validate=_validate_tversky,
    keras_factory=_tversky_keras,
    notes=(
        "alpha weighs false positives and beta false negatives, as in Salehi et al. and Keras' docstring. Keras' "
        "code does the reverse (alpha * sum(y (1 - p)), a false-negative sum), so to_keras() swaps them: for "
        "y=[1, 1, 0, 0], p=[0.9, 0.2, 0.7, 0.1], alpha=0.7, beta=0.3 losslab gives 0.4301 and "
        "keras.losses.Tversky(alpha=0.7, beta=0.3, axis=-1) 0.4416.",
        "Per sample, as dice (alpha = beta = 0.5 gives the same numbers); Keras' Tversky() (axis=None) pools the "
        "whole batch into one score.",
        _EMPTY_NOTE,
    ),
)
