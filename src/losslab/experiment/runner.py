"""Turn a study's trial grid into vectorized engine calls, score them, store them.

A trial is (candidate loss, repeat, fold). Every candidate sees the same splits and the
same seeds (paired trials). Trials are grouped into engine calls by the output layer's
width; each call trains a chunk of splits, every split being one *view* of X with its
own preprocessing fitted on its training rows only. Loading, column choice, encoding,
scaling and splitting are :mod:`losslab.experiment.prepare`'s. With the tuned protocol (the default
of ``losslab.compare``) each trial trains once per learning rate of the grid in the same
call, and its validation rows choose the rate and the stopping epoch before the held-out
rows score the chosen model. A chunk holds as many splits as train in about a minute on this
machine (:mod:`losslab.experiment.estimate` times a few steps first), so that committing each
chunk as it finishes bounds what a kill loses. Chunks run on an executor (this process, or Ray
tasks); finished trials are committed to the store by the driver chunk by chunk as they come
back, so a killed run loses at most the chunks in flight.
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
from ..engine.trainer import Checkpoints
from ..metrics import Metric, get_metric
from . import estimate
from .estimate import CHUNK_SECONDS, StepCost
from .checkpoint import StoreCheckpoints, checkpointed_chunks, chunk_key, drop_checkpoint
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
                             f"Use e.g. metric={_default_metric(kind)!r}.")
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
                _score(m, enc, y_values, enc.perfect_outputs(), None, levels=levels)
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


def design_notes(plan_: Plan, *, batch_given: bool) -> tuple[list[str], dict[str, Any]]:
    """How this study trains, in words for the report's design section and as values for the store."""
    model = plan_.spec.model
    n_fit = len(_fit_rows(plan_.spec, plan_.splits[0])[0])
    curve = len(_fit_rows(plan_.spec, plan_.splits[0])[1]) if model.validates else len(plan_.splits[0].test)
    why = ("as given" if batch_given else
           f"Keras' 32 up to {32 * STEPS_PER_EPOCH:,} training rows, then about {STEPS_PER_EPOCH} steps an epoch "
           f"(at most {MAX_DEFAULT_BATCH}); batch_size=32 for Keras' default")
    notes = [f"Minibatch: {model.batch_size} rows ({why}); {math.ceil(n_fit / model.batch_size)} steps an epoch."]
    sampled = curve > CURVE_ROWS
    if sampled:
        what = "Learning curves and the choice of rate and epoch are" if model.validates else "Learning curves are"
        notes.append(f"{what} evaluated every epoch on a fixed sample of {CURVE_ROWS:,} of each trial's {curve:,} "
                     f"{'validation' if model.validates else 'held-out'} rows; each trial's score uses all of its held-out rows.")
    if model.protocol == "tuned" and model.refit:
        notes.append(f"Refit: once the validation rows have chosen a loss's learning rate and stopping epoch, it trains "
                     f"again with that rate on all {len(plan_.splits[0].train):,} training rows of the trial for the chosen "
                     "number of epochs (scikit-learn's GridSearchCV refit), and that model is scored; --no-refit scores "
                     "the chosen model itself.")
    if model.weight_decay:
        notes.append(f"Weight decay: AdamW, each step shrinks every weight by learning rate x {model.weight_decay:g} of itself.")
    sched = plan_.schedule
    if sched is not None and sched.threads:
        notes.append(f"Trained in chunks of about {estimate.CHUNK_SECONDS:.0f} s each, every chunk stored as it finishes; "
                     f"torch with {sched.threads} thread{'s' if sched.threads > 1 else ''}.")
    design = {"batch_size": model.batch_size, "batch_rule": "given" if batch_given else "default",
              "curve_rows": CURVE_ROWS if sampled else curve, "threads": None if sched is None else sched.threads,
              "estimated_seconds": None if sched is None else round(sched.total_seconds, 1),
              "refit": bool(model.refit), "weight_decay": model.weight_decay}
    return notes, design


def _default_metric(kind: str) -> str:
    from ..metrics import default_metric

    return default_metric(kind)


def _levels(plan_: Plan) -> tuple | None:
    """The ordered levels of an ordinal target (what its predictions are scored as), else None."""
    return tuple(plan_.problem.classes) if plan_.problem.kind == "ordinal" else None


def _score(metric: Metric, enc, y_true: np.ndarray, outputs: np.ndarray, target_scale, levels: tuple | None = None) -> float:
    """A held-out metric from a network's outputs, decoded as the loss's encoding says."""
    if levels is not None:
        return _score_levels(metric, enc, y_true, outputs, target_scale, levels)
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


def _score_levels(metric: Metric, enc, y_true: np.ndarray, outputs: np.ndarray, target_scale, levels: tuple) -> float:
    """An ordinal target's metric: every candidate's prediction becomes a level, so that a
    softmax over the levels and a regression on the level index are scored alike. A regression
    on the index is rounded to the nearest level and clipped to the ends; label metrics compare
    levels, and mae/rmse/mse the level indices (0 .. k-1), as :mod:`losslab.metrics` says."""
    position = {level: i for i, level in enumerate(levels)}
    true_index = np.array([position[v] for v in np.asarray(y_true).ravel()])
    given: dict[str, Any] = {}
    if enc.classes is None:  # a regression on the level index
        pred = np.asarray(enc.decode(outputs), dtype=np.float64).ravel()
        if target_scale is not None:
            mean, std = target_scale
            pred = pred * std + mean
        index = np.clip(np.rint(pred), 0, len(levels) - 1).astype(int)
    else:
        index = np.array([position[v] for v in np.asarray(enc.decode(outputs)).ravel()])
        try:
            given["probabilities"] = enc.probabilities(outputs)
        except ValueError:
            pass
    if metric.name in ("mae", "rmse", "mse") or getattr(metric, "same_as", None) in ("mae", "rmse", "mse"):
        return metric.score(true_index, predictions=index.astype(np.float64), classes=tuple(range(len(levels))))
    labels = np.asarray(levels)[index]
    return metric.score(np.asarray(y_true).ravel(), labels=labels, classes=levels, **given)


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
    sched = plan_.schedule
    pinned = checkpointed_chunks(store)
    if sched is None or sched.done != frozenset(done) or pinned:
        # A chunk with a saved mid-training state is trained again as it was, to continue from it.
        sched = schedule(plan_, done, device=device, pinned=pinned)
    batches = sched.batches
    if tracker is not None:
        tracker.start(plan_, store)
    if executor.in_process:
        shared = plan_
        payloads = [_Batch(cands, units, splits, frozenset(keys), device, on_epochs, sched.threads,
                           StoreCheckpoints(store, *_chunk(cands, units, splits)))
                    for cands, units, splits, keys in batches]
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
            if payloads[i].checkpoint is not None:
                drop_checkpoint(store, payloads[i].checkpoint.chunk)
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
    threads: int | None = None  # torch threads in this process (a Ray task sets its own)
    checkpoint: Any = None  # StoreCheckpoints, in this process only (workers never write the store)


def _chunk(cands, units: int, splits) -> tuple[str, list]:
    return chunk_key(units, [c.label for c in cands], splits), [[s.repeat, s.fold] for s in splits]


@dataclasses.dataclass(frozen=True)
class Schedule:
    """A study's remaining trials cut into chunks (one engine call and one commit each),
    and how long they are estimated to train on this machine."""

    batches: list  # (candidates, output units, splits, trials of them already done)
    seconds: list[float]  # estimated training seconds of each batch
    trials: int  # trials left to train
    total_trials: int
    losses: int
    done: frozenset
    threads: int | None = None  # torch threads to train with here (the faster measured)
    per_trial: int = 1  # replicates trained per trial (the learning rates of a tuned protocol's grid)

    @property
    def total_seconds(self) -> float:
        return float(sum(self.seconds))

    def describe(self) -> str:
        """``"270 trials (5 losses x 54 splits) in 6 chunks, about 3 min on this machine"``."""
        if not self.trials:
            return f"all {self.total_trials} trials already stored"
        splits = self.total_trials // max(1, self.losses)
        text = f"{self.trials} trials ({self.losses} loss{'es' if self.losses != 1 else ''} x {splits} split{'s' if splits != 1 else ''}"
        if self.trials != self.total_trials:
            text += f", {self.total_trials - self.trials} already stored"
        chunks = len(self.batches)
        return text + f") in {chunks} chunk{'s' if chunks != 1 else ''}, {estimate.duration(self.total_seconds)} on this machine"


def schedule(plan_: Plan, done=frozenset(), *, device: str | None = None, budget: float = CHUNK_SECONDS,
             cost: StepCost | None = None, pinned: dict[str, list] | None = None) -> Schedule:
    """Trials grouped by the output layer's width, then into chunks estimated to train in
    about ``budget`` seconds each (at most MAX_REPLICATES replicates); with each chunk the
    trials of it that are already done. ``cost`` replaces the step cost measured here;
    ``pinned`` (chunk key -> its [repeat, fold] splits) are chunks to keep as they were
    (they have a mid-training checkpoint), first."""
    done = frozenset(done)
    spec, model = plan_.spec, plan_.spec.model
    by_units: dict[int, list[Candidate]] = {}
    for c in spec.candidates:
        by_units.setdefault(plan_.encodings[c.label].output_units, []).append(c)
    fit = [_fit_rows(spec, s) for s in plan_.splits[:1]]
    n_fit = min(len(s.train) for s in plan_.splits)
    if model.patience:
        n_fit -= len(fit[0][1])
    steps = math.ceil(max(1, n_fit) / model.batch_size)
    eval_rows = min(CURVE_ROWS, len(fit[0][1]) if model.validates else len(plan_.splits[0].test))
    n_inputs = None
    batches, seconds, threads = [], [], None
    per_trial = _replicates_per_trial(model)
    for units, cands in by_units.items():
        todo = [s for s in plan_.splits if any((c.label, s.repeat, s.fold) not in done for c in cands)]
        if not todo:
            continue
        kept = []
        labels = [c.label for c in cands]
        for key, pairs in (pinned or {}).items():
            chosen = [s for s in todo if [s.repeat, s.fold] in pairs]
            if len(chosen) == len(pairs) and key == chunk_key(units, labels, chosen):
                kept.append(tuple(chosen))
                todo = [s for s in todo if s not in chosen]
        if cost is None:
            n_inputs = n_inputs or _n_inputs(plan_)
            unit_cost = estimate.measure(n_inputs, model.hidden, units, model.batch_size,
                                         hidden_activation=model.hidden_activation, device=device)
        else:
            unit_cost = cost
        threads = threads or unit_cost.threads
        width = len(cands) * per_trial
        chunks = [estimate.Chunk(k, len(k) * width, unit_cost.seconds(len(k) * width, steps, model.batch_size, eval_rows,
                                                                      model.epochs)) for k in kept]
        chunks += estimate.chunk_splits(todo, width, cost=unit_cost, epochs=model.epochs, steps=steps,
                                        batch_size=model.batch_size, eval_rows=eval_rows, budget=budget,
                                        max_replicates=MAX_REPLICATES)
        for chunk in chunks:
            keys = {(c.label, s.repeat, s.fold) for c in cands for s in chunk.splits} & done
            batches.append((tuple(cands), units, chunk.splits, keys))
            seconds.append(chunk.seconds)
    total = len(plan_.trials)
    left = sum(1 for t in plan_.trials if t not in done)
    return Schedule(batches, seconds, left, total, len(spec.candidates), done, threads, per_trial)


def _replicates_per_trial(model) -> int:
    """Networks trained per trial: one per learning rate of the grid under a tuned protocol, else one."""
    if getattr(model, "protocol", "fixed") == "tuned":
        # A refit trains one more network per trial, for fewer epochs than the grid's: counted as one.
        return len(model.learning_rates) + bool(getattr(model, "refit", False))
    return 1


def _n_inputs(plan_: Plan) -> int:
    """The network's input width: the table's fixed levels and indicator columns make it the
    same for every split, so a preprocessing fitted on a few training rows tells it (a large
    table is not copied for this)."""
    return len(plan_.data.preprocessor().fit(plan_.X.iloc[plan_.splits[0].train[:100]]).get_feature_names_out())


def _train_task(plan_: Plan, batch: _Batch) -> list[TrialResult]:
    return _train_batch(plan_, batch.cands, batch.units, batch.splits, batch.done, batch.on_epochs, batch.device,
                        threads=estimate.threads_now(batch.threads), checkpoint=batch.checkpoint)


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


def _train_batch(plan_: Plan, cands: Sequence[Candidate], units: int, splits, done, on_epochs, device,
                 threads: int | None = None, checkpoint: Checkpoints | None = None) -> list[TrialResult]:
    """Train a batch of trials in one engine call and score them.

    With the tuned protocol every (candidate, split) trains once per learning rate of the
    grid, all in the same lockstep call and from the same seed; per (candidate, split) the
    rate whose model scores best on the validation rows is chosen (its stopping epoch chosen
    by early stopping on the same rows), and only that model is scored on the held-out rows.
    On a large table the learning curves (and the choice) see a fixed sample of CURVE_ROWS
    validation and held-out rows; the held-out score always uses every held-out row.
    """
    spec, model = plan_.spec, plan_.spec.model
    y_raw = plan_.data.y_values
    fit_rows = [_fit_rows(spec, s) for s in splits]
    # One view of X per split, preprocessed with its training rows' statistics; the table's
    # fixed levels give every view the same width.
    X = _views(plan_.data, [train_rows for train_rows, _ in fit_rows])
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
            val_used = None if val_rows is None else _curve_rows(val_rows, seed)
            first = len(replicates)
            for lr in rates if tuned else (None,):
                # Every rate starts from the same weights and sees the same minibatch order.
                replicates.append(Replicate(j, seed, train_rows, _curve_rows(s.test, seed), view=v, val=val_used, lr=lr))
            keys.append((c, s, v, scale[v], seed, range(first, len(replicates)), val_used))
    metrics = ("accuracy",) if all(m.labels is not None for m in members) else ()
    network = Network(X.shape[2], model.hidden, units, model.hidden_activation, "he_uniform", "glorot_uniform")
    optimizer = (SGD(model.learning_rate, model.momentum) if model.optimizer == "sgd"
                 else Adam(model.learning_rate, weight_decay=model.weight_decay))
    per_trial = len(rates) if tuned else 1
    progress = on_epochs if on_epochs is None or per_trial == 1 else (lambda k: on_epochs(k / per_trial))
    history = train(X, members, replicates, network=network, epochs=model.epochs, batch_size=model.batch_size,
                    optimizer=optimizer, metrics=metrics, progress=progress, device=device, patience=model.patience,
                    threads=threads, checkpoint=checkpoint)
    main = plan_.metrics[0]
    chosen: list[tuple[int, dict | None]] = []
    for c, s, v, scale, seed, reps, val_used in keys:
        enc = plan_.encodings[c.label]
        tuning = None
        if tuned:
            # A rate whose validation loss was never finite ends with its untrained weights: no score.
            val_scores = [_val_score(main, enc, y_raw[val_used], history.outputs["val"][i], scale, plan_.activations[c.label],
                                     _levels(plan_))
                          if history.best_epoch[i] >= 0 else math.nan for i in reps]
            pick = _choose(val_scores, [history.final("val")[r] for r in reps], main.higher_is_better)
            r = reps[pick]
            tuning = {"tuning_lr": list(rates), "tuning_val_score": val_scores,
                      "tuning_best_epoch": [int(history.best_epoch[i]) + 1 for i in reps],
                      "tuning_stopped_epoch": [int(history.stopped_epoch[i]) + 1 for i in reps],
                      "lr": [rates[pick]]}
        else:
            (r,) = reps
        chosen.append((r, tuning))
    # The refit: each trial's chosen configuration trained again on all its training rows.
    refit = (_refit(plan_, cands, splits, keys, [r for r, _ in chosen], history, rates, network, optimizer, threads, device,
                    checkpoint) if tuned and model.refit else None)
    results = []
    for (c, s, v, scale, seed, reps, val_used), (r, tuning) in zip(keys, chosen):
        enc = plan_.encodings[c.label]
        scored, X_scored = history, X
        if refit is not None and refit[3].get(r) is not None:
            # Scored: the refit model, its features and targets scaled with all the training rows.
            refit_history, X_scored, refit_scales, index = refit
            tuning["refit_epochs"] = [int(refit_history.stopped_epoch[index[r]]) + 1]
            scored, scale, r_scored = refit_history, refit_scales[(c.label, v)], index[r]
        else:
            r_scored = r
        outputs = scored.outputs["test"][r_scored]
        if len(outputs) != len(s.test):  # the curves saw a sample: score every held-out row
            outputs = predict(X_scored[v], _weights_of(scored, r_scored), network=network,
                              output_activation=plan_.activations[c.label], rows=s.test, dtype="float32")[0]
        outputs = np.asarray(outputs, dtype=np.float64)
        if plan_.activations[c.label] == "softmax":
            # float32 softmax rows sum to 1 only to float32 precision; the metrics check
            # probability rows at float64 precision.
            outputs = outputs / outputs.sum(axis=-1, keepdims=True)
        status, values = "ok", {}
        if not np.isfinite(outputs).all() or history.best_epoch[r] < 0 or scored.best_epoch[r_scored] < 0:
            status = "diverged"
            values = {m.name: math.nan for m in plan_.metrics}
        else:
            y_test = y_raw[s.test]
            for m in plan_.metrics:
                values[m.name] = _score(m, enc, y_test, outputs, scale, levels=_levels(plan_))
            values.update(_per_output(plan_, enc, y_test, outputs, scale))
        results.append(TrialResult(c.label, s.repeat, s.fold, seed, len(s.train if scored is not history else fit_rows[v][0]),
                                   len(s.test), values,
                                   _history_json(history, r, metrics, model, tuning), status))
    return results


def _refit(plan_: Plan, cands: Sequence[Candidate], splits, keys, chosen: Sequence[int], history, rates, network, optimizer,
           threads, device, checkpoint) -> tuple[dict, Any, dict, dict]:
    """Train each trial's chosen configuration again on all of its training rows (the
    validation share included): the chosen rate, for the chosen number of epochs (its best
    epoch), from the same seed, in one lockstep call with every trial of the batch.

    Features and regression targets are scaled with all the training rows, as the final model
    of scikit-learn's ``GridSearchCV(refit=True)`` is fitted. Only the validation rows chose
    what is trained here. Returns the refit history, its views of X, the target scales per
    (candidate, view) and ``index``: chosen replicate -> its row in the refit history (a trial
    whose choice never improved on its initial weights is not refitted: None).
    """
    model = plan_.spec.model
    X = _views(plan_.data, [s.train for s in splits])
    members, scales, replicates, index = [], {}, [], {}
    for j, c in enumerate(cands):
        enc = plan_.encodings[c.label]
        per_view = [scale_targets(enc.values, c.spec.target_encoding, s.train) for s in splits]
        for v, (_, sc) in enumerate(per_view):
            scales[(c.label, v)] = sc
        labels = enc.class_indices()
        if labels is not None:
            labels = np.broadcast_to(labels, (len(splits), len(labels))).copy()
        members.append(Member(c.spec, plan_.activations[c.label], np.stack([t for t, _ in per_view]), labels=labels,
                              name=c.label))
    for (c, s, v, _, seed, reps, _), r in zip(keys, chosen):
        best = int(history.best_epoch[r])
        if best < 0:
            index[r] = None
            continue
        index[r] = len(replicates)
        replicates.append(Replicate(cands.index(c), seed, s.train, _curve_rows(s.test, seed), view=v,
                                    lr=rates[list(reps).index(r)], epochs=best + 1))
    if not replicates:
        return None, X, scales, index
    metrics = ("accuracy",) if all(m.labels is not None for m in members) else ()
    refit = train(X, members, replicates, network=network, epochs=max(r.epochs for r in replicates),
                  batch_size=model.batch_size, optimizer=optimizer, metrics=metrics, device=device, threads=threads,
                  checkpoint=checkpoint)
    return refit, X, scales, index


def _val_score(metric: Metric, enc, y_val: np.ndarray, outputs: np.ndarray, scale, activation: str,
               levels: tuple | None = None) -> float:
    """The study's metric on the validation rows (NaN for a model whose outputs are not finite)."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if not np.isfinite(outputs).all():
        return math.nan
    if activation == "softmax":  # rows that sum to 1 at float64 precision, as for the held-out score
        outputs = outputs / outputs.sum(axis=-1, keepdims=True)
    try:
        return float(_score(metric, enc, y_val, outputs, scale, levels=levels))
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


# Learning curves (and early stopping) of a large table are evaluated every epoch on a fixed
# sample of this many held-out rows per trial; the trial's score always uses all of them.
CURVE_ROWS = 5_000


_VIEW_ROWS = 65_536


def _curve_rows(rows: np.ndarray, seed: int) -> np.ndarray:
    """``rows``, or a fixed sample of CURVE_ROWS of them (sorted, drawn from the trial's seed)."""
    if len(rows) <= CURVE_ROWS:
        return rows
    return np.sort(np.random.default_rng([seed, 7]).choice(rows, CURVE_ROWS, replace=False))


def _views(data, train_sets: Sequence[np.ndarray]) -> np.ndarray:
    """One float32 copy of the features per split, preprocessed with that split's training rows
    (:meth:`Prepared.features`): ``(V, N, d)`` written in place, one split and a block of rows at
    a time (no float64 stack of every view)."""
    X, out = data.X, None
    for v, train_rows in enumerate(train_sets):
        pre = data.preprocessor().fit(X, rows=np.asarray(train_rows))  # (no copy of the training rows)
        # A block of rows at a time: scikit-learn's float64 temporaries stay small on a large table.
        for lo in range(0, len(X), _VIEW_ROWS):
            block = pre.transform(X.iloc[lo: lo + _VIEW_ROWS])
            if out is None:
                out = np.empty((len(train_sets), len(X), block.shape[1]), dtype=np.float32)
            out[v, lo: lo + len(block)] = block  # float64 -> float32 here rather than in the engine: the same numbers
    return out


def _weights_of(history, r: int) -> np.ndarray:
    """Replicate ``r``'s final weights as one flat vector ``(1, P)`` (the layout of predict)."""
    from ..engine import flatten

    return flatten([(W[r: r + 1], b[r: r + 1]) for W, b in history.weights])


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
