"""What a landscape trains: the data every loss shares, one engine member and network per
loss, and the recipe (:class:`Training`), built from a tutorial problem
(:func:`tutorial_training`) or from prepared data (:func:`data_training`, as ``compare``
prepares it: :mod:`losslab.experiment.prepare`); and training them (:func:`train_models`),
the optimiser's path recorded for the slice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .. import losses as catalog
from ..losses.expression import split

if TYPE_CHECKING:
    from ..engine import SGD, Adam, Member, Network
    from ..experiment.prepare import Prepared

# The engine (torch) loads inside the functions that train, so that importing this module
# (and losslab.api) stays light.


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
    wanted = split(names) if isinstance(names, str) else [w.strip() for w in names if w.strip()]
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
