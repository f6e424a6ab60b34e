"""Loss landscapes: a 2-D slice around the trained weights, or the straight line from the
initial to the trained weights, every point evaluated by the engine as one weight set
of a batch (:func:`losslab.engine.evaluate`), never one model at a time.

Data files and bundled data sets are prepared as ``compare`` prepares them
(:mod:`losslab.experiment.prepare`: the same columns, imputation, scaling, encoding and
target scaling), so a landscape and a comparison of the same data train on the same
targets; RMSE and MAE are reported in the target's units.

Plane (Li et al., 2018)
    ``w(a, b) = w* + a d1 + b d2`` for ``a, b`` on a ``grid x grid`` lattice over
    ``[-span, span]``; ``w*`` is the trained model.

    ``directions="random"`` (default): ``d1, d2`` are standard Gaussian vectors from one
    generator seeded with the directions' seed, then *filter-normalised*: each filter of
    the direction is rescaled to the norm of the same filter of ``w*``. A filter of a
    dense layer is the incoming weights of one unit, one column of ``W`` (a row of
    PyTorch's ``(out, in)`` weight); the output layer is a dense layer like the others,
    one filter per output unit, as the paper treats fully connected layers. Bias
    directions are zero (the paper's ``ignore="biasbn"``), so biases stay trained. The two
    directions are not orthogonalised, as in the paper. The same directions' seed gives
    every loss the same Gaussian draws, rescaled to its own trained filters.

    ``directions="pca"``: ``d1, d2`` are the first two principal components of the
    optimiser's path ``{w_e - w*}`` over the epochs (weights and biases, centred), as the
    paper draws trajectories; both are scaled by the path's largest excursion along
    them, so the path lies in ``[-1, 1]^2`` and ``span`` 1.25 shows a margin around it.

    The path (the weights before training and after every epoch) is overlaid in both: each
    ``w_e - w*`` projected onto the plane by least squares (for the orthonormal PCA
    directions this is the dot product). On a random plane it stays near the centre: almost
    all of the path is orthogonal to two random directions (the paper's Figure 8).
    ``Slice.captured`` says how much of it the plane keeps.

Interpolation (Goodfellow et al., 2015)
    ``w(a) = (1 - a) w0 + a w*`` for ``a`` on ``grid`` points over ``[-span, 1 + span]``; the
    points nearest 0 and 1 are moved onto them, so the initial and trained models are on
    the line.

References
----------
Li, H., Xu, Z., Taylor, G., Studer, C. and Goldstein, T. "Visualizing the Loss Landscape
of Neural Nets." NeurIPS 2018.
Goodfellow, I. J., Vinyals, O. and Saxe, A. M. "Qualitatively characterizing neural
network optimization problems." ICLR 2015.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import losses as catalog

if TYPE_CHECKING:
    from ..engine import SGD, Adam, Member, Network
    from ..experiment.prepare import Prepared

# The engine (torch) loads inside the functions that train or evaluate, so that importing
# this module (and losslab.api) stays light.

MODES = ("plane", "interpolate")
DIRECTIONS = ("random", "pca")
DEFAULT_SPAN = {"random": 1.0, "pca": 1.25, "interpolate": 0.5}
VALUES = ("loss_train", "loss_test", "metric_train", "metric_test")
# Grid points per engine batch: (points x rows x widest layer) around 1.6e6 floats (6 MB in
# float32) stays in cache; measured 2-3x faster than batches of 256 points or more.
_BATCH_FLOATS = 1_600_000


# ---------------------------------------------------------------------- what trains
@dataclasses.dataclass(frozen=True, eq=False)
class Training:
    """The data every loss shares, one engine member (and network) per loss, and the recipe.

    Built by :func:`tutorial_training` or :func:`data_training`; ``members[i]`` trains
    ``networks[i]``, and ``labels[i]`` names it (the loss's canonical name).
    ``metric_scale[i]`` turns member ``i``'s metric into the target's units (the
    standard deviation its regression target was divided by; 1 when the metric is
    already in them), and ``metric_label`` names the metric as the landscape reports it.
    """

    data: str
    description: str
    X: np.ndarray
    train_rows: np.ndarray
    test_rows: np.ndarray
    members: tuple[Member, ...]
    networks: tuple[Network, ...]
    epochs: int
    metric: str
    optimizer: SGD | Adam
    batch_size: int = 32
    metric_scale: tuple[float, ...] = ()
    metric_label: str = ""

    @property
    def labels(self) -> list[str]:
        return [m.label for m in self.members]

    def scale(self, index: int) -> float:
        """The factor that puts member ``index``'s metric in the target's units."""
        return self.metric_scale[index] if self.metric_scale else 1.0


def _check_epochs(epochs: int | None, default: int) -> int:
    if epochs is None:
        return default
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"landscape: expected epochs >= 1. Received: epochs={epochs!r}.")
    return int(epochs)


def loss_specs(names: str | Sequence[str]) -> list[catalog.LossSpec]:
    """Specs for comma-separated names or aliases (``"bce,hinge"``), once each, in order."""
    wanted = [w.strip() for w in (names.split(",") if isinstance(names, str) else names) if w.strip()]
    if not wanted:
        raise ValueError("landscape: expected at least one loss. Received: an empty list.")
    specs: list[catalog.LossSpec] = []
    for w in wanted:
        spec = catalog.get(w)
        if all(_label(spec) != _label(s) for s in specs):
            specs.append(spec)
    return specs


def _label(spec: catalog.LossSpec) -> str:
    """The loss's name, with the parameters an alias set (``BCEWithLogitsLoss``: from_logits=True)."""
    base = catalog.get(spec.name).params
    changed = {k: v for k, v in spec.params.items() if base.get(k) != v}
    return spec.name + ("(" + ", ".join(f"{k}={v}" for k, v in changed.items()) + ")" if changed else "")


def _output_activation(spec: catalog.LossSpec) -> str:
    from ..vocab import OUTPUT_ACTIVATIONS

    usable = [a for a in spec.output_activations if a in OUTPUT_ACTIVATIONS]
    if not usable:
        raise ValueError(f"landscape: {spec.name} expects a {' or '.join(spec.output_activations)} output, which the engine has no layer for.")
    return usable[0]


def tutorial_training(problem: str, losses: str | Sequence[str] | None = None, *, epochs: int | None = None) -> Training:
    """The tutorial's model for ``problem`` ("regression", "circles", "blobs") and each loss.

    Data, split (first half train), network, SGD lr 0.01 momentum 0.9, batch 32 and epochs
    are the tutorial's; a loss the tutorial ran on this problem keeps its output layer and
    target encoding, any other takes them from the catalog (``advisor.encode_targets``).
    Default losses: the tutorial's for the problem that ``advisor.check`` accepts
    (regression: MSE and MAE; its MSLE on standardized targets is refused).
    Every setup is checked before anything trains.
    """
    from ..advisor import check, encode_targets
    from ..engine import SGD, Member, Network
    from ..tutorial import experiments as tutorial

    key = str(problem).strip().lower()
    if key not in tutorial.PROBLEMS:
        raise ValueError(f"landscape: expected problem in {tuple(tutorial.PROBLEMS)} (or dataset=... for a bundled data set). "
                         f"Received: problem={problem!r}.")
    spec_p = tutorial.PROBLEMS[key]
    X, y = tutorial.problem_data(key)
    experiments = {e.loss: e for e in tutorial.EXPERIMENTS if e.problem == key}
    members, units = [], []
    if losses is None:
        specs = []
        for e in experiments.values():
            try:
                check(e.loss, e.output_activation, tutorial.encode(y, e.encoding, spec_p.n_outputs)[0], output_units=spec_p.n_outputs)
            except ValueError:
                continue
            specs.append(catalog.get(e.loss))
    else:
        specs = loss_specs(losses)
    for spec in specs:
        e = experiments.get(spec.name)
        if e is not None and _label(spec) == spec.name:
            activation = e.output_activation
            targets, labels = tutorial.encode(y, e.encoding, spec_p.n_outputs)
            k = spec_p.n_outputs
        else:
            activation = _output_activation(spec)
            enc = encode_targets(y, spec)
            targets, k, labels = enc.values, enc.output_units, enc.class_indices()
        check(spec, activation, targets, output_units=k)
        members.append(Member(spec, activation, targets, labels=labels, name=_label(spec)))
        units.append(k)
    n = len(y)
    networks = tuple(Network(X.shape[1], (spec_p.hidden,), k, "relu", "he_uniform", "glorot_uniform") for k in units)
    return Training(
        data=key, description=f"the tutorial's {spec_p.title} problem, {X.shape[1]}-{spec_p.hidden} ReLU MLP",
        X=np.array(X, dtype=np.float64), train_rows=np.arange(n // 2), test_rows=np.arange(n // 2, n), members=tuple(members), networks=networks,
        epochs=_check_epochs(epochs, spec_p.epochs), metric=spec_p.metric, optimizer=SGD(lr=0.01, momentum=0.9),
    )


def dataset_training(name: str, losses: str | Sequence[str] | None = None, *, seed: int = 0,
                     epochs: int | None = None) -> Training:
    """A bundled data set (``data.load_dataset``) and each loss: :func:`data_training` on it."""
    from ..experiment.prepare import prepare

    return data_training(prepare(dataset=name), losses, seed=seed, epochs=epochs)


def data_training(data: Prepared, losses: str | Sequence[str] | None = None, *, seed: int = 0,
                  epochs: int | None = None) -> Training:
    """A prepared data set (:func:`losslab.experiment.prepare.prepare`) and each loss, as ``compare`` trains them.

    A 75/25 split drawn with ``seed`` (stratified for class labels, rare classes pooled);
    features imputed, scaled and encoded with the training rows' statistics
    (``Prepared.features``); targets encoded and checked for each loss
    (``Prepared.encode``), a regression target standardized with the training rows'
    statistics (divided by their standard deviation alone for losses that need
    non-negative targets: ``prepare.scale_targets``, as in ``compare``). One hidden layer
    of 50 ReLU units (he_uniform), SGD lr 0.01 momentum 0.9, batch 32, 100 epochs.
    Default losses: ``advisor.recommend``'s primary and alternatives (those without
    parameters). RMSE and MAE are reported in the target's units; with several target
    columns, each scaled on its own, in standardized units (``metric_label`` says so).
    """
    from ..advisor import recommend
    from ..engine import SGD, Member, Network
    from ..experiment.prepare import scale_targets

    split = data.splits(method="holdout", seed=seed, repeats=1, test_size=0.25)[0][0]
    tr, te = split.train, split.test
    X = data.features(tr)
    classes = data.problem.is_classification
    metric = "accuracy" if classes else "rmse"
    if losses is None:
        rec = recommend(data.y, kind=data.kind)
        specs = loss_specs([c.loss for c in (rec.primary, *rec.alternatives) if not c.params and c.class_weight is None])
    else:
        specs = loss_specs(losses)
    members, units, factors = [], [], []
    for spec in specs:
        activation = _output_activation(spec)
        enc = data.encode(spec, activation)
        targets, scale = scale_targets(enc.values, spec.target_encoding, tr)
        members.append(Member(spec, activation, targets, labels=enc.class_indices(), name=_label(spec)))
        units.append(enc.output_units)
        # outputs * std + mean in the target's units: errors scale by std (one column, or equal stds).
        std = None if scale is None else np.atleast_1d(scale[1])
        factors.append(1.0 if classes or std is None else (float(std[0]) if np.all(std == std[0]) else float("nan")))
    label = metric
    if any(np.isnan(f) for f in factors):
        factors = [1.0] * len(factors)
        label = f"{metric} (standardized targets)"
    networks = tuple(Network(X.shape[1], (50,), k, "relu", "he_uniform", "glorot_uniform") for k in units)
    return Training(
        data=data.name, description=f"{data.name}, {X.shape[1]}-50 ReLU MLP, 75/25 split (seed {seed})",
        X=np.array(X, dtype=np.float64), train_rows=tr, test_rows=te, members=tuple(members), networks=networks,
        epochs=_check_epochs(epochs, 100), metric=metric, optimizer=SGD(lr=0.01, momentum=0.9),
        batch_size=min(32, len(tr)), metric_scale=tuple(factors), metric_label=label,
    )


# ---------------------------------------------------------------------- directions
def filter_normalized(direction: np.ndarray, weights: np.ndarray, network: Network) -> np.ndarray:
    """``direction`` with each filter rescaled to the norm of the same filter of ``weights``.

    Filters are the columns of every layer's ``W`` (the incoming weights of one unit),
    output layer included; bias entries become 0 (Li et al. 2018, ``ignore="biasbn"``).
    Both arguments are flat weight vectors in the engine's layout (``engine.flatten``).
    """
    out = np.array(direction, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    offset = 0
    for fan_in, fan_out in network.layer_shapes:
        size = fan_in * fan_out
        d = out[offset: offset + size].reshape(fan_in, fan_out)
        w = weights[offset: offset + size].reshape(fan_in, fan_out)
        # Exact where the paper adds 1e-10 to the divisor; a zero filter of the direction stays zero.
        norm_d = np.linalg.norm(d, axis=0)
        d *= np.divide(np.linalg.norm(w, axis=0), norm_d, out=np.zeros_like(norm_d), where=norm_d > 0)
        offset += size
        out[offset: offset + fan_out] = 0.0
        offset += fan_out
    return out


def random_directions(weights: np.ndarray, network: Network, seed: int) -> np.ndarray:
    """Two filter-normalised Gaussian directions ``(2, P)`` around ``weights``."""
    raw = np.random.default_rng(seed).standard_normal((2, network.n_params))
    return np.stack([filter_normalized(d, weights, network) for d in raw])


def pca_directions(path: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The path's first two principal components, scaled so that the path lies in [-1, 1]^2.

    Returns the directions ``(2, P)`` and each one's share of the path's variance.
    """
    diffs = np.asarray(path, dtype=np.float64) - weights
    if len(diffs) < 3:
        raise ValueError(f"landscape: PCA directions need a path of at least 3 points (epochs >= 2). Received: {len(diffs)} points.")
    _, s, vt = np.linalg.svd(diffs - diffs.mean(axis=0), full_matrices=False)
    pcs = vt[:2]
    coords = diffs @ pcs.T
    # An SVD's signs are arbitrary: fix them so that the start of the path has positive coordinates.
    pcs *= np.where(coords[0] < 0, -1.0, 1.0)[:, None]
    reach = np.abs(coords).max()
    if not reach > 0:
        raise ValueError("landscape: the weights never moved during training, so the path has no principal components.")
    explained = s[:2] ** 2 / np.sum(s ** 2)
    return pcs * reach, explained


def project(path: np.ndarray, origin: np.ndarray, directions: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares coordinates ``(E, k)`` of ``path - origin`` in ``directions`` (k, P),
    and the share of the path's squared displacement that the projection keeps."""
    diffs = np.asarray(path, dtype=np.float64) - origin
    coords = np.linalg.lstsq(directions.T, diffs.T, rcond=None)[0].T
    total = float(np.sum(diffs ** 2))
    kept = float(np.sum((coords @ directions) ** 2))
    return coords, (kept / total if total > 0 else 1.0)


def plane_axis(grid: int, span: float) -> np.ndarray:
    """``grid`` points over [-span, span], symmetric, with an exact 0 in the middle for odd ``grid``."""
    half = (grid - 1) / 2
    return span * (np.arange(grid) - half) / half


def line_axis(grid: int, span: float) -> np.ndarray:
    """``grid`` points over [-span, 1 + span] with the ones nearest 0 and 1 moved onto them."""
    alphas = np.linspace(-span, 1.0 + span, grid)
    alphas[np.argmin(np.abs(alphas))] = 0.0
    alphas[np.argmin(np.abs(alphas - 1.0))] = 1.0
    return alphas


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
def train_models(training: Training, seed: int, *, device: str | None = None, threads: int | None = 1) -> list[dict]:
    """Train every loss with ``seed`` (losses of one network shape in one lockstep call).

    Returns per loss ``{"weights": (P,), "path": (epochs + 1, P), "trained": {...}}``.
    """
    from ..engine import Replicate, train
    out: list[dict | None] = [None] * len(training.members)
    groups: dict[Network, list[int]] = {}
    for i, net in enumerate(training.networks):
        groups.setdefault(net, []).append(i)
    for net, idx in groups.items():
        reps = [Replicate(k, seed, training.train_rows, training.test_rows) for k in range(len(idx))]
        h = train(training.X, [training.members[i] for i in idx], reps, network=net, epochs=training.epochs,
                  batch_size=training.batch_size, optimizer=training.optimizer, metrics=(training.metric,),
                  record_trajectory=True, device=device, threads=threads)
        for k, i in enumerate(idx):
            trained = {f"loss_{s}": float(h.final(s)[k]) for s in ("train", "test")}
            trained.update({f"metric_{s}": training.scale(i) * float(h.final(s, training.metric)[k]) for s in ("train", "test")})
            out[i] = {"weights": h.trajectory[k, -1].copy(), "path": h.trajectory[k].copy(), "trained": trained}
    return out  # type: ignore[return-value]


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
