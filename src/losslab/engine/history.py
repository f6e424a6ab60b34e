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
        ``{"train": (R, E), "test": (R, E)}``, per epoch, as Keras' ``history`` has them:
        "train" is the running mean over the epoch's minibatches (weighted by batch
        size, the weights changing as they go), "test" the model at the end of the epoch.
    metrics : dict
        ``{name: {"train": (R, E), "test": (R, E)}}``, the same way.
    evaluation : dict
        ``{"train": {"loss": (R,), name: (R,)}, "test": {...}}``: the trained model
        evaluated on all of its train and test rows (Keras' ``model.evaluate``).
    weights : list of (W, b)
        Final weights per layer: ``W`` (R, fan_in, fan_out), ``b`` (R, fan_out).
    outputs : dict
        ``{"train": [...], "test": [...]}``: each replicate's final outputs (after the
        output activation) on its own rows, in the order of its index.
    trajectory : ndarray of shape (R, E + 1, P), optional
        Flattened weights before training and after every epoch.
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

    @classmethod
    def empty(cls, replicates, member_names, network, epochs, metrics, record_trajectory) -> History:
        R = len(replicates)
        nan = lambda: np.full((R, epochs), np.nan)  # noqa: E731
        return cls(
            members=list(member_names),
            member=np.array([r.member for r in replicates]),
            seed=np.array([r.seed for r in replicates]),
            epochs=epochs,
            loss={"train": nan(), "test": nan()},
            metrics={m: {"train": nan(), "test": nan()} for m in metrics},
            weights=[(np.zeros((R, i, o)), np.zeros((R, o))) for i, o in network.layer_shapes],
            outputs={"train": [None] * R, "test": [None] * R},
            evaluation={split: {k: np.full(R, np.nan) for k in ("loss", *metrics)} for split in ("train", "test")},
            trajectory=np.zeros((R, epochs + 1, network.n_params)) if record_trajectory else None,
        )

    def fill(self, rows, loss_rec, metric_rec, traj, final, has_test) -> None:
        """Copy one lockstep group's records into rows ``rows``."""
        rows = np.asarray(rows)
        for split in ("train", "test"):
            if loss_rec[split]:
                self.loss[split][rows] = np.stack([t.cpu().numpy() for t in loss_rec[split]], axis=1)
            for name in self.metrics:
                if metric_rec[name][split]:
                    self.metrics[name][split][rows] = np.stack([t.cpu().numpy() for t in metric_rec[name][split]], axis=1)
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
        if traj is not None:
            self.trajectory[rows] = np.stack([t.cpu().numpy() for t in traj], axis=1)

    def final(self, split: str = "test", metric: str | None = None) -> np.ndarray:
        """The trained model's loss (or ``metric``) on each replicate's ``split`` rows."""
        return self.evaluation[split]["loss" if metric is None else metric]

    def of(self, member: str) -> np.ndarray:
        """Indices of the replicates that trained ``member``."""
        if member not in self.members:
            raise KeyError(f"no member {member!r}; members are {self.members}")
        return np.flatnonzero(self.member == self.members.index(member))
