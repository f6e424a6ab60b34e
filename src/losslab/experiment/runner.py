"""Turn a study's trial grid into vectorized engine calls, score them, store them.

A trial is (candidate loss, repeat, fold). Every candidate sees the same splits and the
same seeds (paired trials). Trials are grouped into engine calls by the output layer's
width; each call trains a batch of repeats, every split being one *view* of X with its
own preprocessing fitted on its training rows only. Loading, column choice, encoding,
scaling and splitting are :mod:`losslab.experiment.prepare`'s. With the tuned protocol (the default
of ``losslab.compare``) each trial trains once per learning rate of the grid in the same
call, and its validation rows choose the rate and the stopping epoch before the held-out
rows score the chosen model. Batches run on an executor (this
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
    if spec.model.validates:
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
        # A batch holds every candidate x learning rate of its splits (one lockstep grid).
        step = max(1, MAX_REPLICATES // (len(cands) * len(plan_.spec.model.learning_rates)))
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
    """The rows a split's model is fitted on, and its validation rows (tuning, early stopping)."""
    if not spec.model.validates:
        return s.train, None
    # Keras' validation_split: the last share of the training rows, before shuffling.
    rng = np.random.default_rng([spec.seed, s.repeat, s.fold])
    order = rng.permutation(s.train)
    n_val = max(1, int(round(len(order) * spec.model.validation_split)))
    return np.sort(order[:-n_val]), np.sort(order[-n_val:])


def _train_batch(plan_: Plan, cands: Sequence[Candidate], units: int, splits, done, on_epochs, device) -> list[TrialResult]:
    """Train a batch of trials in one engine call and score them.

    With the tuned protocol every (candidate, split) trains once per learning rate of the
    grid, all in the same lockstep call and from the same seed; per (candidate, split) the
    rate whose model scores best on the validation rows is chosen (its stopping epoch chosen
    by early stopping on the same rows), and only that model is scored on the held-out rows.
    """
    spec, model = plan_.spec, plan_.spec.model
    y_raw = plan_.data.y_values
    fit_rows = [_fit_rows(spec, s) for s in splits]
    # One view of X per split, preprocessed with its training rows' statistics; the table's
    # fixed levels give every view the same width.
    X = np.stack([plan_.data.features(train_rows) for train_rows, _ in fit_rows])
    tuned = model.protocol == "tuned"
    rates = model.learning_rates
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
            first = len(replicates)
            for lr in rates if tuned else (None,):
                # Every rate starts from the same weights and sees the same minibatch order.
                replicates.append(Replicate(j, seed, train_rows, s.test, view=v, val=val_rows, lr=lr))
            keys.append((c, s, v, scale[v], seed, range(first, len(replicates))))
    metrics = ("accuracy",) if all(m.labels is not None for m in members) else ()
    network = Network(X.shape[2], model.hidden, units, model.hidden_activation, "he_uniform", "glorot_uniform")
    optimizer = (SGD(model.learning_rate, model.momentum) if model.optimizer == "sgd" else Adam(model.learning_rate))
    per_trial = len(rates) if tuned else 1
    progress = on_epochs if on_epochs is None or per_trial == 1 else (lambda k: on_epochs(k / per_trial))
    history = train(X, members, replicates, network=network, epochs=model.epochs, batch_size=model.batch_size,
                    optimizer=optimizer, metrics=metrics, progress=progress, device=device, patience=model.patience)
    results = []
    main = plan_.metrics[0]
    for c, s, v, scale, seed, reps in keys:
        enc = plan_.encodings[c.label]
        val_rows = fit_rows[v][1]
        tuning = None
        if tuned:
            # A rate whose validation loss was never finite ends with its untrained weights: no score.
            val_scores = [_val_score(main, enc, y_raw[val_rows], history.outputs["val"][i], scale, plan_.activations[c.label])
                          if history.best_epoch[i] >= 0 else math.nan for i in reps]
            pick = _choose(val_scores, [history.final("val")[r] for r in reps], main.higher_is_better)
            r = reps[pick]
            tuning = {"tuning_lr": list(rates), "tuning_val_score": val_scores,
                      "tuning_best_epoch": [int(history.best_epoch[i]) + 1 for i in reps],
                      "tuning_stopped_epoch": [int(history.stopped_epoch[i]) + 1 for i in reps],
                      "lr": [rates[pick]]}
        else:
            (r,) = reps
        outputs = np.asarray(history.outputs["test"][r], dtype=np.float64)
        if plan_.activations[c.label] == "softmax":
            # float32 softmax rows sum to 1 only to float32 precision; the metrics check
            # probability rows at float64 precision.
            outputs = outputs / outputs.sum(axis=-1, keepdims=True)
        status, values = "ok", {}
        if not np.isfinite(outputs).all() or history.best_epoch[r] < 0:
            status = "diverged"
            values = {m.name: math.nan for m in plan_.metrics}
        else:
            y_test = y_raw[s.test]
            for m in plan_.metrics:
                values[m.name] = _score(m, enc, y_test, outputs, scale)
            values.update(_per_output(plan_, enc, y_test, outputs, scale))
        results.append(TrialResult(c.label, s.repeat, s.fold, seed, len(fit_rows[v][0]), len(s.test), values,
                                   _history_json(history, r, metrics, model, tuning), status))
    return results


def _val_score(metric: Metric, enc, y_val: np.ndarray, outputs: np.ndarray, scale, activation: str) -> float:
    """The study's metric on the validation rows (NaN for a model whose outputs are not finite)."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if not np.isfinite(outputs).all():
        return math.nan
    if activation == "softmax":  # rows that sum to 1 at float64 precision, as for the held-out score
        outputs = outputs / outputs.sum(axis=-1, keepdims=True)
    try:
        return float(_score(metric, enc, y_val, outputs, scale))
    except ValueError:
        # A metric a few validation rows cannot give (AUC with one class among them): no score.
        return math.nan


def _choose(val_scores: Sequence[float], val_losses: Sequence[float], higher_is_better: bool) -> int:
    """The learning rate chosen: the best validation score; ties go to the lower validation
    loss, then to the smaller rate (the grid's order). Only validation rows decide."""
    best = None
    for i, (score, loss) in enumerate(zip(val_scores, val_losses)):
        if not math.isfinite(score):
            continue
        key = (-score if higher_is_better else score, loss if math.isfinite(loss) else math.inf, i)
        if best is None or key < best[0]:
            best = (key, i)
    if best is None:  # no rate gave a finite score: the one with the lowest finite loss, or the first
        finite = [i for i, loss in enumerate(val_losses) if math.isfinite(loss)]
        return min(finite, key=lambda i: val_losses[i]) if finite else 0
    return best[1]


def _history_json(history, r: int, metrics, model, tuning: dict | None) -> dict[str, list]:
    """A trial's stored history: its curves up to the epoch it stopped at, where it stopped,
    and with the tuned protocol what was chosen."""
    n = int(history.stopped_epoch[r]) + 1
    curve = {"loss_train": history.loss["train"][r, :n]}
    splits = [sp for sp in ("val", "test") if np.isfinite(history.loss[sp][r, :n]).any()]
    for sp in splits:
        curve[f"loss_{sp}"] = history.loss[sp][r, :n]
    for name in metrics:
        curve[f"{name}_train"] = history.metrics[name]["train"][r, :n]
        for sp in splits:
            curve[f"{name}_{sp}"] = history.metrics[name][sp][r, :n]
    out: dict[str, list] = {k: [round(float(x), 7) for x in val] for k, val in curve.items()}
    if model.patience:
        # Stored 1-based, as Keras prints "Epoch 5: early stopping".
        out["stopped_epoch"] = [n]
        out["best_epoch"] = [int(history.best_epoch[r]) + 1]
    if tuning is not None:
        out.update(tuning)
    return out


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
