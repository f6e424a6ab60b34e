"""A study checked before anything trains: its data prepared, its metrics and candidates
fitted to the target, its splits made, its minibatch chosen (:func:`plan`).

Nothing here touches the disk; :mod:`losslab.experiment.runner` trains what a :class:`Plan` holds.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from ..metrics import Metric, default_metric, get_metric
from ..vocab import scored_as
from .prepare import Prepared, prepare
from .scoring import score
from .spec import StudySpec


@dataclasses.dataclass
class Plan:
    """A validated study, ready to train: nothing here has touched the disk."""

    spec: StudySpec
    data: Prepared
    metrics: list[Metric]
    encodings: dict[str, Any]  # candidate label -> advisor.EncodedTargets
    activations: dict[str, str]
    splits: list[Any]  # data.Split
    notes: tuple[str, ...] = ()  # how the splits were stratified
    # The study cut into chunks, with its time estimate (set by :func:`schedule`).
    schedule: Any = None

    @property
    def X(self):
        return self.data.X

    @property
    def y(self):
        return self.data.y

    @property
    def problem(self):
        return self.data.problem

    @property
    def trials(self) -> list[tuple[str, int, int]]:
        return [(c.label, s.repeat, s.fold) for c in self.spec.candidates for s in self.splits]


def plan(spec: StudySpec, X, y=None, *, cap_batch: bool = False) -> Plan:
    """Validate everything a study needs before anything trains or is written.

    ``X`` is a :class:`~losslab.experiment.prepare.Prepared` data set, or features given
    with their targets ``y`` (prepared here with ``spec.kind`` and ``spec.dropna``). With
    ``cap_batch`` (the user gave no batch size) a batch larger than the smallest training
    fold shrinks to it.

    Raises ``ValueError`` with a one-line message: a target the advisor cannot read
    (one class, NaN), a loss that does not fit the targets, a metric that does not fit
    the problem or the loss's outputs, fewer rows than folds.
    """
    data = X if isinstance(X, Prepared) else prepare(X=X, y=y, kind=spec.kind, dropna=spec.dropna)
    problem = data.problem
    kind = scored_as(problem.kind)
    metrics = []
    for name in spec.metrics:
        m = get_metric(name)
        if not m.applies_to(kind):
            raise ValueError(f"compare: metric {name!r} does not fit a {problem.kind} target. Received: metric={name!r}. "
                             f"Use e.g. metric={default_metric(kind)!r}.")
        metrics.append(m)
    y_values = data.y_values
    encodings, activations = {}, {}
    for c in spec.candidates:
        loss = c.spec
        activation = loss.output_activations[0]
        # The targets are encoded for each loss ({0, 1} -> {-1, 1} for hinge, one-hot for
        # categorical cross-entropy, ...) and checked as the loss will get them, read with
        # the problem kind decided once from the raw target.
        enc = data.encode(loss, activation)
        levels = tuple(data.problem.classes) if kind == "ordinal" else None
        # Every metric must be computable from this loss's outputs: try it on perfect ones.
        for m in metrics:
            try:
                score(m, enc, y_values, enc.perfect_outputs(), None, levels=levels)
            except ValueError as err:
                raise ValueError(f"metric {m.name!r} cannot score {c.label}: {err}") from None
        encodings[c.label] = enc
        activations[c.label] = activation
    r = spec.resampling
    splits, notes = data.splits(method=r.method, seed=spec.seed, k=r.k if r.method != "holdout" else None,
                                repeats=r.repeats if r.method != "5x2" else None, test_size=r.test_size,
                                stratify=spec.stratify and kind != "regression")
    n_train = min(len(s.train) for s in splits)
    if spec.model.validates:
        n_train = int(n_train * (1 - spec.model.validation_split))
    if cap_batch and spec.model.batch_size != default_batch_size(n_train):
        # No batch size given: Keras' 32, every training row of a tiny data set (as Keras does),
        # a larger batch for a large table.
        spec = dataclasses.replace(spec, model=dataclasses.replace(spec.model, batch_size=default_batch_size(n_train)))
    if spec.model.batch_size > n_train:
        raise ValueError(f"compare: expected batch_size <= the smallest training fold ({n_train} rows). "
                         f"Received: batch_size={spec.model.batch_size}.")
    return Plan(spec, data, metrics, encodings, activations, splits, tuple(notes))


# The default minibatch: Keras' 32 while that keeps at least this many steps an epoch.
STEPS_PER_EPOCH = 200
MAX_DEFAULT_BATCH = 1024


def default_batch_size(n_train: int) -> int:
    """Keras' 32 up to 6,400 training rows (every row of a smaller fold below 32); beyond, the
    power of two that keeps about 200 steps an epoch, at most 1024.

    On a large table a minibatch of 32 makes an epoch thousands of tiny steps, each paying
    the same fixed overhead (0.1-0.3 ms on a CPU); 200 steps an epoch still give the
    optimiser many updates per epoch.
    """
    n_train = int(n_train)
    if n_train <= 32 * STEPS_PER_EPOCH:
        return max(1, min(32, n_train))
    return min(MAX_DEFAULT_BATCH, 2 ** int(math.log2(n_train / STEPS_PER_EPOCH)))
