"""Loss landscapes: a 2-D slice around the trained weights, or the straight line from the
initial to the trained weights, every point evaluated by the engine as one weight set
of a batch (:func:`losslab.engine.evaluate`), never one model at a time.

Data files and bundled data sets are prepared as ``compare`` prepares them
(:mod:`losslab.experiment.prepare`: the same columns, imputation, scaling, encoding and
target scaling), so a landscape and a comparison of the same data train on the same
targets; RMSE and MAE are reported in the target's units.

What trains is :mod:`losslab.landscapes.training`; the directions and the grid's axes are
:mod:`losslab.landscapes.directions` (the mathematics of the plane and the line, and the
references, are written there). This module holds the result (:class:`Slice`,
:class:`Landscape`) and computes it (:func:`compute`).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np

from .directions import line_axis, pca_directions, plane_axis, project, random_directions
from .training import Training, train_models

__all__ = ["DEFAULT_SPAN", "DIRECTIONS", "MODES", "VALUES", "Landscape", "Slice", "check_options", "compute",
           "evaluate_points"]

MODES = ("plane", "interpolate")
DIRECTIONS = ("random", "pca")
DEFAULT_SPAN = {"random": 1.0, "pca": 1.25, "interpolate": 0.5}
VALUES = ("loss_train", "loss_test", "metric_train", "metric_test")
# Grid points per engine batch: (points x rows x widest layer) around 1.6e6 floats (6 MB in
# float32) stays in cache; measured 2-3x faster than batches of 256 points or more.
_BATCH_FLOATS = 1_600_000


# ---------------------------------------------------------------------- the result
@dataclasses.dataclass
class Slice:
    """One loss's landscape.

    Attributes
    ----------
    loss : str
        The loss (canonical name).
    output : str
        Its output layer, e.g. ``"1 sigmoid"``.
    values : dict
        ``loss_train``, ``loss_test``, ``metric_train``, ``metric_test``: shape
        ``(len(y), len(x))`` for a plane (rows follow ``y``, columns ``x``, as matplotlib's
        ``contour(x, y, Z)`` wants them), ``(len(x),)`` for a line.
    trained : dict
        The same four numbers for the trained model, as the engine evaluated it after training.
    weights, initial : ndarray of shape (P,)
        Trained and initial weights (flat, ``engine.flatten``'s layout).
    directions : ndarray of shape (2, P) or (1, P)
        The plane's directions, or ``trained - initial`` for a line.
    path : ndarray of shape (epochs + 1, 2) or (epochs + 1, 1)
        The optimiser's path (before training, after every epoch) in the slice's coordinates.
    captured : float
        The share of the path's squared displacement (from the origin of the slice) that
        the projection keeps: near 1 for PCA directions and lines, near 0 for random planes.
    explained : ndarray of shape (2,)
        For PCA directions, each one's share of the path's variance; NaN otherwise.
    """

    loss: str
    output: str
    values: dict[str, np.ndarray]
    trained: dict[str, float]
    weights: np.ndarray
    initial: np.ndarray
    directions: np.ndarray
    path: np.ndarray
    captured: float
    explained: np.ndarray


@dataclasses.dataclass
class Landscape:
    """Loss landscapes of several losses trained with the same seed on the same data.

    ``x`` (and ``y`` for a plane) are the slice's coordinates; ``slices`` holds one
    :class:`Slice` per loss, in the order asked. ``grid(loss)`` gives a surface;
    ``save_npz(path)`` writes every array.
    """

    mode: str
    directions: str
    data: str
    description: str
    seed: int
    direction_seed: int
    metric: str
    span: float
    x: np.ndarray
    y: np.ndarray | None
    slices: dict[str, Slice]
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)
    points: int = 0

    @property
    def losses(self) -> list[str]:
        return list(self.slices)

    def grid(self, loss: str, what: str = "loss", split: str = "train") -> np.ndarray:
        """The ``what`` ("loss" or "metric") surface (or curve) of ``loss`` on ``split`` rows."""
        if loss not in self.slices:
            raise KeyError(f"no loss {loss!r} in this landscape; it has {self.losses}")
        return self.slices[loss].values[f"{what}_{split}"]

    def save_npz(self, path: str | Path) -> Path:
        """Every array (and the labels) in one ``.npz``; keys ``"<loss>.<field>"`` per loss."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {
            "mode": np.array(self.mode), "directions": np.array(self.directions), "data": np.array(self.data),
            "description": np.array(self.description), "metric": np.array(self.metric),
            "seed": np.array(self.seed), "direction_seed": np.array(self.direction_seed), "span": np.array(self.span),
            "losses": np.array(self.losses), "x": self.x, "points": np.array(self.points),
            "seconds": np.array([self.seconds.get("train", np.nan), self.seconds.get("grid", np.nan)]),
        }
        if self.y is not None:
            arrays["y"] = self.y
        for name, s in self.slices.items():
            fields = {"output": np.array(s.output), "weights": s.weights, "initial": s.initial,
                      "directions": s.directions, "path": s.path, "captured": np.array(s.captured), "explained": s.explained,
                      **s.values, **{f"trained_{k}": np.array(v) for k, v in s.trained.items()}}
            arrays.update({f"{name}.{k}": v for k, v in fields.items()})
        np.savez_compressed(path, **arrays)
        return path

    @classmethod
    def load_npz(cls, path: str | Path) -> Landscape:
        """Read back what :meth:`save_npz` wrote."""
        with np.load(path, allow_pickle=False) as f:
            a = {k: f[k] for k in f.files}
        slices = {}
        for name in a["losses"].tolist():
            g = lambda k: a[f"{name}.{k}"]  # noqa: E731
            slices[name] = Slice(name, str(g("output")), {k: g(k) for k in VALUES},
                                 {k: float(g(f"trained_{k}")) for k in VALUES}, g("weights"), g("initial"),
                                 g("directions"), g("path"), float(g("captured")), g("explained"))
        return cls(str(a["mode"]), str(a["directions"]), str(a["data"]), str(a["description"]), int(a["seed"]),
                   int(a["direction_seed"]), str(a["metric"]), float(a["span"]), a["x"], a.get("y"), slices,
                   {"train": float(a["seconds"][0]), "grid": float(a["seconds"][1])}, int(a["points"]))


# ---------------------------------------------------------------------- computing it
def evaluate_points(training: Training, index: int, points: np.ndarray, *, device: str | None = None,
                    dtype: str = "float32", threads: int | None = 1) -> dict[str, np.ndarray]:
    """Loss and metric of every weight set in ``points`` (G, P) for loss ``index``, on the
    train and the test rows: batched engine passes over chunks of points, in ``dtype``
    (float32, as the engine trains) with ``threads`` torch threads (one: on two busy
    cores a second thread measured slower, not faster)."""
    from ..engine import evaluate
    net = training.networks[index]
    widest = max(*net.hidden, net.n_outputs, net.n_inputs)
    rows = max(len(training.train_rows), len(training.test_rows))
    chunk = int(np.clip(_BATCH_FLOATS // (rows * widest), 16, 4096))
    values = {}
    from ..engine.threads import torch_threads

    with torch_threads(threads):
        for split, idx in (("train", training.train_rows), ("test", training.test_rows)):
            r = evaluate(training.X, training.members[index], points, network=net, rows=idx, metrics=(training.metric,),
                         chunk=chunk, dtype=dtype, device=device)
            values[f"loss_{split}"], values[f"metric_{split}"] = r["loss"], training.scale(index) * r[training.metric]
    return values


def check_options(*, mode: str, directions: str, grid: int, span: float | None, seed: int,
                  direction_seed: int | None) -> float:
    """Refuse options that cannot work (before anything loads or trains); return the span to use."""
    if mode not in MODES:
        raise ValueError(f"landscape: expected mode in {MODES}. Received: mode={mode!r}.")
    if directions not in DIRECTIONS:
        raise ValueError(f"landscape: expected directions in {DIRECTIONS}. Received: directions={directions!r}.")
    if isinstance(grid, bool) or not isinstance(grid, (int, np.integer)) or grid < 3:
        raise ValueError(f"landscape: expected grid >= 3 points per axis. Received: grid={grid!r}.")
    for arg, value in (("seed", seed), ("direction_seed", direction_seed)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0):
            raise ValueError(f"landscape: expected {arg} to be an int >= 0. Received: {arg}={value!r}.")
    if span is None:
        return DEFAULT_SPAN["interpolate" if mode == "interpolate" else directions]
    if isinstance(span, bool) or not isinstance(span, (int, float, np.floating, np.integer)) or not np.isfinite(span) \
            or (span < 0 if mode == "interpolate" else span <= 0):
        bound = ">= 0" if mode == "interpolate" else "> 0"
        raise ValueError(f"landscape: expected a finite span {bound}. Received: span={span!r}.")
    return float(span)


def compute(training: Training, *, mode: str = "plane", directions: str = "random", grid: int = 51,
            span: float | None = None, seed: int = 0, direction_seed: int | None = None,
            device: str | None = None, threads: int | None = 1) -> Landscape:
    """Train every loss of ``training`` with ``seed`` and evaluate its landscape (see the module docstring)."""
    span = check_options(mode=mode, directions=directions, grid=grid, span=span, seed=seed, direction_seed=direction_seed)
    if mode == "plane" and directions == "pca" and training.epochs < 2:
        raise ValueError(f"landscape: PCA directions need a path of at least 3 points (epochs >= 2). Received: epochs={training.epochs}.")
    direction_seed = seed if direction_seed is None else int(direction_seed)

    started = time.perf_counter()
    models = train_models(training, seed, device=device, threads=threads)
    trained_at = time.perf_counter()
    x = plane_axis(grid, span) if mode == "plane" else line_axis(grid, span)
    y = x.copy() if mode == "plane" else None
    slices: dict[str, Slice] = {}
    points = 0
    for i, (member, net, model) in enumerate(zip(training.members, training.networks, models)):
        w, path = model["weights"], model["path"]
        w0 = path[0]
        explained = np.full(2, np.nan)
        if mode == "interpolate":
            dirs = (w - w0)[None]
            origin = w0
            weight_sets = w0 + x[:, None] * dirs[0]
        else:
            if directions == "random":
                dirs = random_directions(w, net, direction_seed)
            else:
                dirs, explained = pca_directions(path, w)
            origin = w
            a, b = np.meshgrid(x, y)
            weight_sets = w + a.reshape(-1, 1) * dirs[0] + b.reshape(-1, 1) * dirs[1]
        coords, captured = project(path, origin, dirs)
        values = evaluate_points(training, i, weight_sets, device=device, threads=threads)
        shape = (len(y), len(x)) if y is not None else (len(x),)
        points += len(weight_sets)
        slices[member.label] = Slice(
            loss=member.label, output=f"{net.n_outputs} {member.output_activation}",
            values={k: v.reshape(shape) for k, v in values.items()}, trained=model["trained"],
            weights=w, initial=w0, directions=dirs, path=coords, captured=captured, explained=explained,
        )
    done = time.perf_counter()
    return Landscape(
        mode=mode, directions="line" if mode == "interpolate" else directions, data=training.data,
        description=training.description, seed=int(seed), direction_seed=direction_seed,
        metric=training.metric_label or training.metric,
        span=float(span), x=x, y=y, slices=slices,
        seconds={"train": trained_at - started, "grid": done - trained_at}, points=points,
    )
