"""Train one batch of trials in one lockstep engine call and score them.

A batch is some candidates of one output width x some splits. Every split is one *view* of
X, its preprocessing fitted on that split's training rows only (:func:`_views`); every trial
of a split shares its seed (:func:`trial_seed`) and its fitted and validation rows
(:func:`fit_and_val_rows`). With the tuned protocol each trial trains once per learning rate of the
grid in the same call, its validation rows choose the rate and the stopping epoch
(:func:`losslab.experiment.scoring.choose`), and with a refit the chosen configuration trains
again on all the training rows (:func:`_refit`); the held-out rows then score one model per trial.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..engine import SGD, Adam, Member, Network, Replicate, train
from ..engine.evaluate import predict
from ..engine.trainer import Checkpoints
from .planning import Plan
from .prepare import scale_targets
from .scoring import choose, score, val_score
from .spec import Candidate, StudySpec
from .store import TrialResult


def trial_seed(spec: StudySpec, s) -> int:
    """The seed of split ``s``'s trials: every candidate trains from it (paired trials)."""
    return spec.seed * 1_000_003 + s.repeat * 1_009 + s.fold


def fit_and_val_rows(spec: StudySpec, s) -> tuple[np.ndarray, np.ndarray | None]:
    """The rows a split's model is fitted on, and its validation rows (tuning, early stopping)."""
    if not spec.model.validates:
        return s.train, None
    # Keras' validation_split: the last share of the training rows, before shuffling.
    rng = np.random.default_rng([spec.seed, s.repeat, s.fold])
    order = rng.permutation(s.train)
    n_val = max(1, int(round(len(order) * spec.model.validation_split)))
    return np.sort(order[:-n_val]), np.sort(order[-n_val:])


def train_batch(plan_: Plan, cands: Sequence[Candidate], units: int, splits, done, on_epochs, device,
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
    fit_rows = [fit_and_val_rows(spec, s) for s in splits]
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
            seed = trial_seed(spec, s)
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
            val_scores = [val_score(main, enc, y_raw[val_used], history.outputs["val"][i], scale, plan_.activations[c.label],
                                     _levels(plan_))
                          if history.best_epoch[i] >= 0 else math.nan for i in reps]
            pick = choose(val_scores, [history.final("val")[r] for r in reps], main.higher_is_better)
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
                values[m.name] = score(m, enc, y_test, outputs, scale, levels=_levels(plan_))
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


def _levels(plan_: Plan) -> tuple | None:
    """The ordered levels of an ordinal target (what its predictions are scored as), else None."""
    return tuple(plan_.problem.classes) if plan_.problem.kind == "ordinal" else None

