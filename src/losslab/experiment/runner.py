"""Run a planned study: its trial grid cut into chunks, each chunk trained on an executor and
committed to the store as it comes back.

A trial is (candidate loss, repeat, fold). Every candidate sees the same splits and the
same seeds (paired trials). Trials are grouped into engine calls by the output layer's
width; each call trains a chunk of splits (:mod:`losslab.experiment.trials`: one view of X per
split, the tuned choice, the refit, the scores). What a study is and its checks are
:mod:`losslab.experiment.planning`'s; loading, column choice, encoding, scaling and splitting
:mod:`losslab.experiment.prepare`'s. A chunk holds as many splits as train in about a minute on this
machine (:mod:`losslab.experiment.estimate` times a few steps first), so that committing each
chunk as it finishes bounds what a kill loses. Chunks run on an executor (this process, or Ray
tasks); finished trials are committed to the store by the driver chunk by chunk as they come
back, so a killed run loses at most the chunks in flight.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

from . import estimate, trials
from .checkpoint import StoreCheckpoints, checkpointed_chunks, chunk_key, drop_checkpoint
from .estimate import CHUNK_SECONDS, StepCost
from .executors import Executor, Failure, LocalExecutor
from .planning import MAX_DEFAULT_BATCH, STEPS_PER_EPOCH, Plan
from .spec import Candidate
from .store import Store, TrialResult

# Engine calls hold at most this many replicates (memory and commit granularity).
MAX_REPLICATES = 240


def design_notes(plan_: Plan, *, batch_given: bool) -> tuple[list[str], dict[str, Any]]:
    """How this study trains, in words for the report's design section and as values for the store."""
    model = plan_.spec.model
    n_fit = len(trials.fit_and_val_rows(plan_.spec, plan_.splits[0])[0])
    curve = len(trials.fit_and_val_rows(plan_.spec, plan_.splits[0])[1]) if model.validates else len(plan_.splits[0].test)
    why = ("as given" if batch_given else
           f"Keras' 32 up to {32 * STEPS_PER_EPOCH:,} training rows, then about {STEPS_PER_EPOCH} steps an epoch "
           f"(at most {MAX_DEFAULT_BATCH}); batch_size=32 for Keras' default")
    notes = [f"Minibatch: {model.batch_size} rows ({why}); {math.ceil(n_fit / model.batch_size)} steps an epoch."]
    sampled = curve > trials.CURVE_ROWS
    if sampled:
        what = "Learning curves and the choice of rate and epoch are" if model.validates else "Learning curves are"
        notes.append(f"{what} evaluated every epoch on a fixed sample of {trials.CURVE_ROWS:,} of each trial's {curve:,} "
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
        size = (f"estimated at {estimate.duration(sched.budget)} each with every epoch counted (early stopping "
                "ends most trials sooner)" if model.patience else f"of {estimate.duration(sched.budget)} each")
        notes.append(f"Trained in chunks {size}, every chunk stored as it finishes; "
                     f"torch with {sched.threads} thread{'s' if sched.threads > 1 else ''}"
                     + (" (one for a chunk that starts when the machine is busy)." if sched.threads > 1 else "."))
    design = {"batch_size": model.batch_size, "batch_rule": "given" if batch_given else "default",
              "curve_rows": trials.CURVE_ROWS if sampled else curve, "threads": None if sched is None else sched.threads,
              "estimated_seconds": None if sched is None else round(sched.total_seconds, 1),
              "refit": bool(model.refit), "weight_decay": model.weight_decay}
    return notes, design


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
        sched = schedule(plan_, done, device=device, pinned=pinned, executor=executor)
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
    stops_early: bool = False  # early stopping on: the estimate counts every epoch, most trials stop sooner
    budget: float = CHUNK_SECONDS  # estimated seconds a chunk was sized for (:func:`chunk_budget`)

    @property
    def total_seconds(self) -> float:
        return float(sum(self.seconds))

    def describe(self) -> str:
        """``"270 trials (5 losses x 54 splits) in 6 chunks, about 3 min on this machine"``; with
        early stopping ``"..., about 12 min on this machine if every epoch runs (early stopping
        usually ends sooner)"``: the real-table runs stopped at 20-80 of 200 epochs. Not "at
        most": a small study's fixed costs, which the estimate leaves out, can outweigh what
        early stopping saves (penguins: 4 s estimated, 6 s trained)."""
        if not self.trials:
            return f"all {self.total_trials} trials already stored"
        splits = self.total_trials // max(1, self.losses)
        text = f"{self.trials} trials ({self.losses} loss{'es' if self.losses != 1 else ''} x {splits} split{'s' if splits != 1 else ''}"
        if self.trials != self.total_trials:
            text += f", {self.total_trials - self.trials} already stored"
        chunks = len(self.batches)
        text += f") in {chunks} chunk{'s' if chunks != 1 else ''}, "
        if self.stops_early:
            return text + (f"{estimate.duration(self.total_seconds)} on this machine if every epoch runs (early "
                           "stopping usually ends sooner)")
        return text + f"{estimate.duration(self.total_seconds)} on this machine"


def schedule(plan_: Plan, done=frozenset(), *, device: str | None = None, budget: float | None = None,
             cost: StepCost | None = None, pinned: dict[str, list] | None = None,
             executor: Executor | None = None) -> Schedule:
    """Trials grouped by the output layer's width, then into chunks estimated to train in
    about ``budget`` seconds each (at most MAX_REPLICATES replicates); with each chunk the
    trials of it that are already done. ``budget`` defaults to :func:`chunk_budget` for
    ``executor`` (None: this process). ``cost`` replaces the step cost measured here;
    ``pinned`` (chunk key -> its [repeat, fold] splits) are chunks to keep as they were (they
    have a mid-training checkpoint), first."""
    done = frozenset(done)
    spec, model = plan_.spec, plan_.spec.model
    budget = chunk_budget(model, executor) if budget is None else budget
    by_units: dict[int, list[Candidate]] = {}
    for c in spec.candidates:
        by_units.setdefault(plan_.encodings[c.label].output_units, []).append(c)
    fit = [trials.fit_and_val_rows(spec, s) for s in plan_.splits[:1]]
    n_fit = min(len(s.train) for s in plan_.splits)
    if model.patience:
        n_fit -= len(fit[0][1])
    steps = math.ceil(max(1, n_fit) / model.batch_size)
    eval_rows = min(trials.CURVE_ROWS, len(fit[0][1]) if model.validates else len(plan_.splits[0].test))
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
    return Schedule(batches, seconds, left, total, len(spec.candidates), done, threads, per_trial,
                    stops_early=bool(model.patience), budget=budget)


def chunk_budget(model, executor: Executor | None = None) -> float:
    """Estimated seconds of one chunk: ``CHUNK_SECONDS``, or with early stopping (whose trials
    train a fraction of the epochs the estimate counts) ``STOPPING_CHUNK_FACTOR`` times that
    when the chunks train in this process (where a chunk checkpoints as it trains). Chunks
    shipped to workers (Ray) keep ``CHUNK_SECONDS``: more of them, spread over the workers."""
    in_process = executor is None or executor.in_process
    return CHUNK_SECONDS * (estimate.STOPPING_CHUNK_FACTOR if model.patience and in_process else 1.0)


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
    return trials.train_batch(plan_, batch.cands, batch.units, batch.splits, batch.done, batch.on_epochs, batch.device,
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
            train_rows, _ = trials.fit_and_val_rows(plan_.spec, s)
            out.append(TrialResult(c.label, s.repeat, s.fold, trials.trial_seed(plan_.spec, s), len(train_rows), len(s.test),
                                   {m.name: math.nan for m in plan_.metrics}, {"error": [error]}, "failed"))
    return out
