"""What a training run leaves behind: per-epoch curves and final weights, per replicate."""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass
class History:
    """Per-epoch loss and metrics of every replicate, and its final weights and outputs.

    Attributes
    ----------
    members : list of str
        Member names; ``member[r]`` indexes it for replicate r.
    member, seed : ndarray of shape (R,)
    loss : dict
        ``{"train": (R, E), "val": (R, E), "test": (R, E)}``, per epoch, as Keras'
        ``history`` has them: "train" is the running mean over the epoch's minibatches
        (weighted by batch size, the weights changing as they go), "val" and "test" the
        model at the end of the epoch. NaN where a replicate has no such rows or had
        stopped early.
    metrics : dict
        ``{name: {"train": (R, E), "val": (R, E), "test": (R, E)}}``, the same way.
    evaluation : dict
        ``{"train": {"loss": (R,), name: (R,)}, "val": {...}, "test": {...}}``: the trained
        model (with early stopping: its best epoch's weights) evaluated on all of its rows
        of each split (Keras' ``model.evaluate``).
    weights : list of (W, b)
        Final weights per layer: ``W`` (R, fan_in, fan_out), ``b`` (R, fan_out).
    outputs : dict
        ``{"train": [...], "test": [...]}``: each replicate's final outputs (after the
        output activation) on its own rows, in the order of its index.
    trajectory : ndarray of shape (R, E + 1, P), optional
        Flattened weights before training and after every epoch.
    best_epoch, stopped_epoch : ndarray of int, shape (R,)
        0-based, as Keras counts: the epoch whose weights the replicate ends with (-1: its
        initial weights, when no epoch improved on them) and the last epoch it trained.
        Without early stopping both are the last epoch.
    """

    members: list[str]
    member: np.ndarray
    seed: np.ndarray
    epochs: int
    loss: dict[str, np.ndarray]
    metrics: dict[str, dict[str, np.ndarray]]
    weights: list[tuple[np.ndarray, np.ndarray]]
    outputs: dict[str, list[np.ndarray]]
    evaluation: dict[str, dict[str, np.ndarray]]
    trajectory: np.ndarray | None = None
    seconds: float = 0.0
    best_epoch: np.ndarray | None = None
    stopped_epoch: np.ndarray | None = None

    @classmethod
    def empty(cls, replicates, member_names, network, epochs, metrics, record_trajectory) -> History:
        R = len(replicates)
        nan = lambda: np.full((R, epochs), np.nan)  # noqa: E731
        return cls(
            members=list(member_names),
            member=np.array([r.member for r in replicates]),
            seed=np.array([r.seed for r in replicates]),
            epochs=epochs,
            loss={"train": nan(), "val": nan(), "test": nan()},
            metrics={m: {"train": nan(), "val": nan(), "test": nan()} for m in metrics},
            weights=[(np.zeros((R, i, o)), np.zeros((R, o))) for i, o in network.layer_shapes],
            outputs={"train": [None] * R, "val": [None] * R, "test": [None] * R},
            evaluation={split: {k: np.full(R, np.nan) for k in ("loss", *metrics)} for split in ("train", "val", "test")},
            trajectory=np.zeros((R, epochs + 1, network.n_params)) if record_trajectory else None,
            best_epoch=np.full(R, epochs - 1),
            stopped_epoch=np.full(R, epochs - 1),
        )

    def fill(self, rows, final) -> None:
        """Copy the final weights, outputs and evaluation of some replicates into rows ``rows``."""
        rows = np.asarray(rows)
        weights, outputs, evaluation = final
        for split, values in evaluation.items():
            for k, v in values.items():
                self.evaluation[split][k][rows] = v
        for layer, (W, b) in enumerate(weights):
            self.weights[layer][0][rows] = W
            self.weights[layer][1][rows] = b
        for split, outs in outputs.items():
            for r, o in zip(rows, outs):
                self.outputs[split][r] = o

    def final(self, split: str = "test", metric: str | None = None) -> np.ndarray:
        """The trained model's loss (or ``metric``) on each replicate's ``split`` rows."""
        return self.evaluation[split]["loss" if metric is None else metric]

    def of(self, member: str) -> np.ndarray:
        """Indices of the replicates that trained ``member``."""
        if member not in self.members:
            raise KeyError(f"no member {member!r}; members are {self.members}")
        return np.flatnonzero(self.member == self.members.index(member))
