"""What the engine trains: :class:`Member` (a loss, its output layer and its targets) and
:class:`Replicate` (one network: its member, seed, rows and learning rate), the metrics the
engine records, and the class a member's outputs predict.

One job: describe a training run's parts, so that the trainer, the lockstep group and
:mod:`.evaluate` share them without importing each other. Imports only ``losses``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from ..losses import LossSpec

ENGINE_METRICS = ("accuracy", "mse", "rmse", "mae")


@dataclasses.dataclass(frozen=True, eq=False)
class Member:
    """One loss trained by some of the replicates.

    Parameters
    ----------
    loss : LossSpec
    output_activation : str
        The output layer's activation (``"sigmoid"`` for binary cross-entropy, ...).
    targets : ndarray
        Targets encoded as the loss expects, one row per row of ``X``: ``(N,)`` or ``(N, k)``
        (``(N,)`` integer indices for sparse losses); with a leading view axis ``(V, N, ...)``
        when ``X`` has one.
    labels : ndarray of int, optional
        Class index of every row (``(N,)`` or ``(V, N)``), for the accuracy metric.
    name : str, optional
        How the history names this member; defaults to the loss's name.
    """

    loss: LossSpec
    output_activation: str
    targets: np.ndarray
    labels: np.ndarray | None = None
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or self.loss.name


@dataclasses.dataclass(frozen=True, eq=False)
class Replicate:
    """One network: which member's loss it trains, its seed, its rows of ``X``, its learning rate.

    ``train``, ``val`` and ``test`` are row indices into view ``view`` of ``X`` (views let
    every fold carry its own preprocessing). ``val`` rows are what early stopping watches;
    ``test`` rows are only recorded (learning curves) and never steer training. ``lr``
    overrides the optimizer's learning rate for this replicate alone, so a grid of
    learning rates trains in one lockstep call. ``epochs`` (at most :func:`train`'s) makes this
    replicate stop after that many epochs with the weights it has then (without early
    stopping), so models trained for different numbers of epochs share one call (a refit of
    each configuration for its chosen epochs).
    """

    member: int
    seed: int
    train: np.ndarray
    test: np.ndarray | None = None
    view: int = 0
    val: np.ndarray | None = None
    lr: float | None = None
    epochs: int | None = None


def predicted_class(out: torch.Tensor, member: Member) -> torch.Tensor:
    """The class an output layer predicts: (..., k) outputs -> (...) class indices, or for a
    single unit a boolean "positive"."""
    if out.shape[-1] == 1:
        # A single unit: sigmoid outputs are probabilities (cut at 0.5); tanh, linear and
        # logit outputs are scores whose sign is the class.
        cut = 0.5 if member.output_activation == "sigmoid" and not member.loss.takes_logits else 0.0
        return out[..., 0] > cut
    return out.argmax(dim=-1)

