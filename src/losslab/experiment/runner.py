"""Turn a study's trial grid into vectorized engine calls, score them, store them.

A trial is (candidate loss, repeat, fold). Every candidate sees the same splits and the
same seeds (paired trials). Trials are grouped into engine calls by the output layer's
width; each call trains a batch of repeats, every split being one *view* of X with its
own preprocessing fitted on its training rows only. Loading, column choice, encoding,
scaling and splitting are :mod:`losslab.experiment.prepare`'s. Batches run on an executor (this
process, or Ray tasks); finished trials are committed to the store by the driver batch by
batch as they come back, so a killed run loses at most the batches in flight.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..vocab import scored_as
from ..engine import SGD, Adam, Member, Network, Replicate, train
from ..engine.evaluate import predict
from ..metrics import Metric, get_metric
from .executors import Executor, Failure, LocalExecutor
from .prepare import Prepared, prepare, scale_targets
from .spec import Candidate, StudySpec
from .store import Store, TrialResult

# Engine calls hold at most this many replicates (memory and commit granularity).
MAX_REPLICATES = 240


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
            raise ValueError(f"metric {name!r} does not fit a {problem.kind} target. Use e.g. --metric {_default_metric(kind)}.")
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
        # Every metric must be computable from this loss's outputs: try it on perfect ones.
        for m in metrics:
            try:
                _score(m, enc, y_values, enc.perfect_outputs(), None)
            except ValueError as err:
                raise ValueError(f"metric {m.name!r} cannot score {c.label}: {err}") from None
        encodings[c.label] = enc
        activations[c.label] = activation
    r = spec.resampling
    splits, notes = data.splits(method=r.method, seed=spec.seed, k=r.k if r.method != "holdout" else None,
                                repeats=r.repeats if r.method != "5x2" else None, test_size=r.test_size,
                                stratify=spec.stratify and kind != "regression")
    n_train = min(len(s.train) for s in splits)
    if spec.model.patience:
        n_train = int(n_train * (1 - spec.model.validation_split))
    if cap_batch and spec.model.batch_size > n_train:
        # The default batch on a tiny data set: one batch of every training row, as Keras does.
        spec = dataclasses.replace(spec, model=dataclasses.replace(spec.model, batch_size=n_train))
    if spec.model.batch_size > n_train:
        raise ValueError(f"expected --batch-size <= the smallest training fold ({n_train} rows). Received: --batch-size {spec.model.batch_size}.")
    return Plan(spec, data, metrics, encodings, activations, splits, tuple(notes))


def _default_metric(kind: str) -> str:
    from ..metrics import default_metric

    return default_metric(kind)


def _score(metric: Metric, enc, y_true: np.ndarray, outputs: np.ndarray, target_scale) -> float:
    """A held-out metric from a network's outputs, decoded as the loss's encoding says."""
    given: dict[str, Any] = {}
    if enc.classes is None:  # regression: back to the target's units
        pred = enc.decode(outputs)
        if target_scale is not None:
            mean, std = target_scale
            pred = pred * std + mean
        given["predictions"] = pred
    else:
        given["labels"] = enc.decode(outputs)
        for key, fn in (("probabilities", enc.probabilities), ("scores", enc.positive_scores)):
            try:
                given[key] = fn(outputs)
            except ValueError:
                pass  # this encoding has none (margins have no probabilities)
    return metric.score(y_true, classes=enc.classes, **given)


def run(plan_: Plan, store: Store, *, on_epochs: Callable[[int], None] | None = None,
        on_trials: Callable[[list[TrialResult]], None] | None = None, device: str | None = None,
        executor: Executor | None = None, tracker=None) -> int:
    """Train and score every trial not yet in ``store`` (failed ones again); return how many were trained.

    Each batch is one call of ``executor`` (in this process by default; see
    :mod:`losslab.experiment.executors`) and is stored as soon as it is back, here, by the
    driver. The batches and their seeds do not depend on the executor, so every executor
    gives the same numbers. A batch that fails on a Ray worker after its retries is stored
    as failed trials, which the next run trains again. ``tracker`` (an
    :class:`~losslab.experiment.tracking.MLflowTracker`) logs every stored trial.
    """
    executor = executor if executor is not None else LocalExecutor()
    done = store.finished()
    batches = _batches(plan_, done)
    if tracker is not None:
        tracker.start(plan_, store)
    if executor.in_process:
        shared = plan_
        payloads = [_Batch(cands, units, splits, frozenset(keys), device, on_epochs) for cands, units, splits, keys in batches]
    else:
        # Shipped to workers: every loss resolved here (a worker need not find the user's files),
        # progress reported by the driver when a batch is back.
        shared = portable(plan_)
        device = device if device is not None else executor.default_device
        payloads = [_Batch(cands, units, splits, frozenset(keys), device, None) for cands, units, splits, keys in batches]
    trained = 0
    try:
        for i, out in executor.map(_train_task, shared, payloads):
            batch = payloads[i]
            results = _failed_results(plan_, batch, out.error) if isinstance(out, Failure) else out
            store.add(results)
            trained += sum(r.status != "failed" for r in results)
            if on_epochs is not None and not executor.in_process:
                on_epochs(len(results) * plan_.spec.model.epochs)
            if tracker is not None:
                tracker.log_trials(results)
            if on_trials is not None:
                on_trials(results)
    except BaseException:
        if tracker is not None:
            tracker.interrupted()
        raise
    return trained


@dataclasses.dataclass(frozen=True)
class _Batch:
    """One engine call: candidates of one output width x some splits, minus the trials in ``done``."""

    cands: tuple[Candidate, ...]
    units: int
    splits: tuple[Any, ...]
    done: frozenset
    device: str | None
    on_epochs: Callable[[int], None] | None


def _batches(plan_: Plan, done) -> list[tuple[tuple[Candidate, ...], int, tuple[Any, ...], set]]:
    """Trials grouped by the output layer's width, then into batches of at most MAX_REPLICATES
    replicates; with each batch the trials of it that are already done."""
    by_units: dict[int, list[Candidate]] = {}
    for c in plan_.spec.candidates:
        by_units.setdefault(plan_.encodings[c.label].output_units, []).append(c)
    out = []
    for units, cands in by_units.items():
        todo = [s for s in plan_.splits if any((c.label, s.repeat, s.fold) not in done for c in cands)]
        step = max(1, MAX_REPLICATES // len(cands))
        for start in range(0, len(todo), step):
            splits = tuple(todo[start: start + step])
            keys = {(c.label, s.repeat, s.fold) for c in cands for s in splits} & done
            out.append((tuple(cands), units, splits, keys))
    return out


def _train_task(plan_: Plan, batch: _Batch) -> list[TrialResult]:
    return _train_batch(plan_, batch.cands, batch.units, batch.splits, batch.done, batch.on_epochs, batch.device)


def portable(plan_: Plan) -> Plan:
    """The plan with every candidate's LossSpec resolved, so that a worker in another process
    or on another machine trains exactly what was checked here (a loss from a file is not
    looked up again there)."""
    cands = tuple(dataclasses.replace(c, given=c.spec) for c in plan_.spec.candidates)
    return dataclasses.replace(plan_, spec=dataclasses.replace(plan_.spec, candidates=cands))


def _failed_results(plan_: Plan, batch: _Batch, error: str) -> list[TrialResult]:
    """The trials of a batch that never came back: stored as failed (metrics NaN, the error in
    the history) so that the report shows them and the next run trains them again."""
    out = []
    for c in batch.cands:
        for s in batch.splits:
            if (c.label, s.repeat, s.fold) in batch.done:
                continue
            train_rows, _ = _fit_rows(plan_.spec, s)
            out.append(TrialResult(c.label, s.repeat, s.fold, _seed(plan_.spec, s), len(train_rows), len(s.test),
                                   {m.name: math.nan for m in plan_.metrics}, {"error": [error]}, "failed"))
    return out


def _seed(spec: StudySpec, s) -> int:
    return spec.seed * 1_000_003 + s.repeat * 1_009 + s.fold


def _fit_rows(spec: StudySpec, s) -> tuple[np.ndarray, np.ndarray | None]:
    """The rows a split's model is fitted on, and its validation rows with early stopping."""
    if not spec.model.patience:
        return s.train, None
    # Keras' validation_split: the last share of the training rows, before shuffling.
    rng = np.random.default_rng([spec.seed, s.repeat, s.fold])
    order = rng.permutation(s.train)
    n_val = max(1, int(round(len(order) * spec.model.validation_split)))
    return np.sort(order[:-n_val]), np.sort(order[-n_val:])


def _train_batch(plan_: Plan, cands: Sequence[Candidate], units: int, splits, done, on_epochs, device) -> list[TrialResult]:
    spec, model = plan_.spec, plan_.spec.model
    y_raw = plan_.data.y_values
    fit_rows = [_fit_rows(spec, s) for s in splits]
    # One view of X per split, preprocessed with its training rows' statistics; the table's
    # fixed levels give every view the same width.
    X = np.stack([plan_.data.features(train_rows) for train_rows, _ in fit_rows])
    members, replicates, keys = [], [], []
    for j, c in enumerate(cands):
        enc = plan_.encodings[c.label]
        # Regression targets are scaled with each training fold's statistics (prepare.scale_targets).
        per_view = [scale_targets(enc.values, c.spec.target_encoding, train_rows) for train_rows, _ in fit_rows]
        targets = np.stack([v for v, _ in per_view])
        scale = [sc for _, sc in per_view]
        labels = enc.class_indices()
        if labels is not None:
            labels = np.broadcast_to(labels, (len(splits), len(labels))).copy()
        members.append(Member(c.spec, plan_.activations[c.label], targets, labels=labels, name=c.label))
        for v, s in enumerate(splits):
            if (c.label, s.repeat, s.fold) in done:
                continue
            seed = _seed(spec, s)
            train_rows, val_rows = fit_rows[v]
            replicates.append(Replicate(j, seed, train_rows, val_rows if val_rows is not None else s.test, view=v))
            keys.append((c, s, v, scale[v], seed))
    metrics = ("accuracy",) if all(m.labels is not None for m in members) else ()
    network = Network(X.shape[2], model.hidden, units, model.hidden_activation, "he_uniform", "glorot_uniform")
    optimizer = (SGD(model.learning_rate, model.momentum) if model.optimizer == "sgd" else Adam(model.learning_rate))
    history = train(X, members, replicates, network=network, epochs=model.epochs, batch_size=model.batch_size,
                    optimizer=optimizer, metrics=metrics, record_trajectory=bool(model.patience), progress=on_epochs,
                    device=device)
    results = []
    for r, (c, s, v, scale, seed) in enumerate(keys):
        enc = plan_.encodings[c.label]
        outputs = history.outputs["test"][r]
        curve = {"loss_train": history.loss["train"][r], "loss_test": history.loss["test"][r]}
        for name in metrics:
            curve[f"{name}_train"] = history.metrics[name]["train"][r]
            curve[f"{name}_test"] = history.metrics[name]["test"][r]
        stopped = None
        if model.patience:
            best, stopped = _early_stopping(history.loss["test"][r], model.patience)
            weights = history.trajectory[r, best + 1][None]
            outputs = predict(X[v], weights, network=network, output_activation=plan_.activations[c.label], rows=s.test)[0]
            curve = {("loss_val" if k == "loss_test" else k.replace("_test", "_val")): val for k, val in curve.items()}
        outputs = np.asarray(outputs, dtype=np.float64)
        if plan_.activations[c.label] == "softmax":
            # float32 softmax rows sum to 1 only to float32 precision; the metrics check
            # probability rows at float64 precision.
            outputs = outputs / outputs.sum(axis=-1, keepdims=True)
        status, values = "ok", {}
        if not np.isfinite(outputs).all():
            status = "diverged"
            values = {m.name: math.nan for m in plan_.metrics}
        else:
            y_test = y_raw[s.test]
            for m in plan_.metrics:
                values[m.name] = _score(m, enc, y_test, outputs, scale)
            values.update(_per_output(plan_, enc, y_test, outputs, scale))
        history_json = {k: [round(float(x), 7) for x in val] for k, val in curve.items()}
        if stopped is not None:
            history_json["stopped_epoch"] = [stopped + 1]
        results.append(TrialResult(c.label, s.repeat, s.fold, seed, len(fit_rows[v][0]), len(s.test), values, history_json, status))
    return results


def _per_output(plan_: Plan, enc, y_test: np.ndarray, outputs: np.ndarray, scale) -> dict[str, float]:
    """Several target columns (multi-output regression, multi-label): every metric per column,
    as ``"rmse[lat]"``, beside its average over the columns."""
    if plan_.problem.kind not in ("regression", "multilabel") or y_test.ndim != 2 or y_test.shape[1] < 2:
        return {}
    if enc.classes is None:
        pred = enc.decode(outputs)
        if scale is not None:
            pred = pred * scale[1] + scale[0]
    else:
        pred = enc.decode(outputs)
    out = {}
    for j, column in enumerate(plan_.y.columns):
        for m in plan_.metrics:
            given = {"predictions": pred[:, j]} if enc.classes is None else {"labels": pred[:, j]}
            try:
                out[f"{m.name}[{column}]"] = m.score(y_test[:, j], **given)
            except ValueError:
                pass  # a metric that needs what one column cannot give (probabilities)
    return out


def _early_stopping(val_loss: np.ndarray, patience: int) -> tuple[int, int]:
    """Keras' EarlyStopping(monitor="val_loss", patience, restore_best_weights=True):
    the epoch whose weights are kept and the epoch training stopped at (0-based)."""
    best, best_epoch, wait = math.inf, 0, 0
    for epoch, value in enumerate(val_loss):
        if value < best:
            best, best_epoch, wait = value, epoch, 0
        else:
            wait += 1
            if wait >= patience and epoch > 0:
                return best_epoch, epoch
    return best_epoch, len(val_loss) - 1
