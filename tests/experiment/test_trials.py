"""Tests for losslab.experiment.trials: per-fold preprocessing, targets scaled and encoded per loss,
early stopping, the tuned lockstep grid, the choice blind to held-out labels, the refit, several
target columns and ordinal levels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from frames import regression_frame, tiny_arrays  # tests/experiment/frames.py

import losslab
from losslab.data import load_dataset
from losslab.experiment import planning, runner, trials
from losslab.experiment.spec import Candidate, Model, Resampling, StudySpec, fingerprint
from losslab.experiment.store import Store

TINY = dict(epochs=3, hidden=(6,), batch_size=16)


@pytest.mark.parametrize("patience", [0, 2])
def test_preprocessing_is_fitted_on_training_rows_only(tmp_path, engine_calls, patience):
    X, y = regression_frame()
    spec = StudySpec(data="arrays", target=("y",), candidates=(Candidate.parse("mse"),), metric="rmse",
                     resampling=Resampling.from_cli(repeats=2, cv=None),
                     model=Model(hidden=(4,), epochs=3, batch_size=8, patience=patience))
    splits = planning.plan(spec, X, y).splits
    # Make the held-out rows of the first split huge: if they took part in the scaling,
    # the training rows would all collapse to one value.
    X.loc[splits[0].test, "a"] = 1e6
    plan = planning.plan(spec, X, y)
    assert all(np.array_equal(s.test, t.test) for s, t in zip(plan.splits, splits))
    with Store.create_or_resume(tmp_path, spec, fingerprint(X, y), {}) as store:
        assert runner.run(plan, store) == 2
    (views, members, replicates), = engine_calls
    assert views.shape == (2, 60, 5)  # a, b and three one-hot columns
    for rep in replicates:
        split = plan.splits[rep.view]
        fitted = views[rep.view][rep.train]
        assert len(rep.train) == (len(split.train) if not patience else len(split.train) - round(0.1 * len(split.train)))
        assert set(rep.train) <= set(split.train)
        # The views are float32 (the engine trains in float32): scaled to float32 rounding.
        assert views.dtype == np.float32
        np.testing.assert_allclose(fitted[:, :2].astype(np.float64).mean(axis=0), 0.0, atol=1e-6)
        np.testing.assert_allclose(fitted[:, :2].astype(np.float64).std(axis=0), 1.0, atol=1e-6)
        targets = members[0].targets[rep.view][rep.train]
        np.testing.assert_allclose([targets.mean(), targets.std()], [0.0, 1.0], atol=1e-12)
    first = views[0][:, 0]
    assert (first[splits[0].test] > 1e3).all()  # the huge rows, scaled with training statistics


def test_a_study_on_scaled_targets_scales_its_rmse(tmp_path):
    ds = load_dataset("diabetes")
    kw = dict(losses=["mse", "mae"], repeats=2, **TINY)
    small = losslab.compare(ds.X, ds.y, out=tmp_path / "y", **kw).trials()
    large = losslab.compare(ds.X, ds.y * 1000, out=tmp_path / "y1000", **kw).trials()
    assert small.rmse.between(20, 500).all()  # diabetes' target has std 77
    np.testing.assert_allclose(large.rmse.to_numpy(), 1000 * small.rmse.to_numpy(), rtol=1e-5)


def test_a_study_with_patience_stores_where_it_stopped(tmp_path):
    # Pure noise: the validation loss soon stops improving, so some trials stop early.
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(80, 4)), rng.normal(size=80)
    epochs = 12
    study = losslab.compare(X, y, losses=["mse", "mae"], repeats=3, epochs=epochs, hidden=(16,), batch_size=8,
                            optimizer="adam", lr=0.05, patience=2, validation_split=0.25, protocol="fixed", out=tmp_path)
    stops = []
    for r in study.results:
        assert set(r.history) == {"loss_train", "loss_val", "loss_test", "stopped_epoch", "best_epoch"}
        # stored 1-based, as Keras prints "Epoch 5: early stopping"; the curves end there.
        (stopped,), (best,) = r.history["stopped_epoch"], r.history["best_epoch"]
        assert len(r.history["loss_val"]) == len(r.history["loss_test"]) == stopped
        val = np.array(r.history["loss_val"])
        assert best == int(np.argmin(val)) + 1
        assert stopped == epochs or stopped - best == 2
        assert r.n_train == 60 - 15 and r.n_test == 20
        stops.append(stopped)
    assert min(stops) < epochs
    assert study.spec.model.patience == 2 and study.spec.model.protocol == "fixed"


def _train_one_at_a_time(X, members, replicates, **kwargs):
    """The engine called once per replicate, the histories put together: what lockstep replaces."""
    from losslab.engine import History

    real = trials.__dict__["_real_train"]
    parts = [real(X, members, [rep], **kwargs) for rep in replicates]
    h = History.empty(replicates, parts[0].members, kwargs["network"], kwargs["epochs"], kwargs.get("metrics", ()), False)
    for i, p in enumerate(parts):
        for split in h.loss:
            h.loss[split][i] = p.loss[split][0]
            for name in h.metrics:
                h.metrics[name][split][i] = p.metrics[name][split][0]
        h.fill([i], ([(W[:1], b[:1]) for W, b in p.weights], {k: v[:1] for k, v in p.outputs.items() if v[0] is not None},
                     {k: {m: v[:1] for m, v in d.items()} for k, d in p.evaluation.items()}))
        h.best_epoch[i], h.stopped_epoch[i] = p.best_epoch[0], p.stopped_epoch[0]
    return h


@pytest.mark.parametrize("dataset,losses", [("diabetes", ["mse", "mae"]), ("breast_cancer", ["bce", "hinge"])])
def test_tuned_lockstep_grid_equals_each_configuration_trained_alone(tmp_path, monkeypatch, dataset, losses):
    kw = dict(losses=losses, repeats=2, epochs=25, patience=3, hidden=(6,), lr=[1e-3, 1e-2, 0.1])
    lockstep = losslab.compare(dataset=dataset, out=tmp_path / "lockstep", **kw)
    monkeypatch.setitem(trials.__dict__, "_real_train", trials.train)
    monkeypatch.setattr(trials, "train", _train_one_at_a_time)
    alone = losslab.compare(dataset=dataset, out=tmp_path / "alone", **kw)
    a, b = lockstep.study.tuning(), alone.study.tuning()
    assert len(a) == 2 * 2 * 3
    pd.testing.assert_frame_equal(a.drop(columns="val_score"), b.drop(columns="val_score"))
    np.testing.assert_allclose(a.val_score, b.val_score, rtol=1e-5)
    metric = lockstep.study.spec.metric
    np.testing.assert_allclose(lockstep.trials()[metric], alone.trials()[metric], rtol=1e-5)
    # Something was chosen, and not always the same thing.
    assert a.chosen.sum() == 4 and a.epoch.nunique() > 1


@pytest.mark.parametrize("refit", [False, True], ids=["chosen", "refit"])
def test_held_out_labels_do_not_steer_the_choice(tmp_path, refit):
    # The held-out rows only score: shuffling their targets changes the score, not the
    # chosen learning rate, stopping epoch or validation scores (nor, with a refit, what is
    # trained again and for how long).
    ds = load_dataset("diabetes")
    X, y = ds.X, ds.y
    spec = StudySpec(data="arrays", target=("y",), candidates=(Candidate.parse("mse"), Candidate.parse("mae")),
                     metric="rmse", resampling=Resampling.from_cli(repeats=1, cv=None),
                     model=Model(hidden=(8,), epochs=40, patience=4, optimizer="adam", protocol="tuned", validation_split=0.2,
                                 refit=refit))
    plan = planning.plan(spec, X, y)
    test = plan.splits[0].test
    shuffled = y.copy()
    shuffled.iloc[test] = np.random.default_rng(0).permutation(y.iloc[test].to_numpy())
    plan2 = planning.plan(spec, X, shuffled)
    assert all(np.array_equal(s.test, t.test) and np.array_equal(s.train, t.train) for s, t in zip(plan.splits, plan2.splits))
    first = trials.train_batch(plan, spec.candidates, 1, plan.splits, frozenset(), None, None)
    second = trials.train_batch(plan2, spec.candidates, 1, plan2.splits, frozenset(), None, None)
    for r1, r2 in zip(first, second):
        for key in ("lr", "tuning_val_score", "tuning_best_epoch", "tuning_stopped_epoch", "loss_train", "loss_val",
                    *(["refit_epochs"] if refit else [])):
            assert r1.history[key] == r2.history[key], key
        assert r1.metrics["rmse"] != r2.metrics["rmse"]  # the held-out targets did change


def test_refit_is_a_plain_run_on_all_training_rows_for_the_chosen_epochs():
    # GridSearchCV's refit: the chosen rate trained again, from the same seed, on every training
    # row (features and targets scaled with them) for the chosen epoch count; that model is scored.
    from sklearn.metrics import mean_squared_error

    from losslab.engine import Adam, Member, Network, Replicate, train
    from losslab.experiment.prepare import scale_targets

    ds = load_dataset("diabetes")
    model = dict(hidden=(8,), epochs=40, patience=4, optimizer="adam", protocol="tuned", validation_split=0.2,
                 weight_decay=0.01)
    spec = StudySpec(data="arrays", target=("y",), candidates=(Candidate.parse("mse"), Candidate.parse("mae")),
                     metric="rmse", resampling=Resampling.from_cli(repeats=2, cv=None), model=Model(**model, refit=True))
    plan = planning.plan(spec, ds.X, ds.y)
    refit = trials.train_batch(plan, spec.candidates, 1, plan.splits, frozenset(), None, None)
    plain_spec = StudySpec(**{**vars(spec), "model": Model(**model)})
    chosen = trials.train_batch(planning.plan(plain_spec, ds.X, ds.y), spec.candidates, 1, plan.splits, frozenset(), None, None)
    y = ds.y.to_numpy(dtype=float)
    for res, before in zip(refit, chosen):
        h = res.history
        assert {k: h[k] for k in before.history} == before.history  # the same choice, with or without the refit
        s = next(s for s in plan.splits if (s.repeat, s.fold) == (res.repeat, res.fold))
        pick = h["tuning_lr"].index(h["lr"][0])
        assert h["refit_epochs"] == [h["tuning_best_epoch"][pick]]
        cand = next(c for c in spec.candidates if c.label == res.loss)
        targets, (mean, std) = scale_targets(plan.encodings[cand.label].values, cand.spec.target_encoding, s.train)
        X = plan.data.features(s.train).astype(np.float32)  # preprocessing fitted on all training rows
        alone = train(X, [Member(cand.spec, "linear", targets)], [Replicate(0, res.seed, s.train, s.test, lr=h["lr"][0])],
                      network=Network(X.shape[1], (8,), 1, "relu", "he_uniform", "glorot_uniform"),
                      epochs=h["refit_epochs"][0], batch_size=spec.model.batch_size, optimizer=Adam(weight_decay=0.01))
        pred = alone.outputs["test"][0][:, 0].astype(np.float64) * std + mean
        expected = math.sqrt(mean_squared_error(y[s.test], pred))
        assert res.metrics["rmse"] == pytest.approx(expected, rel=1e-6)
        assert res.n_train == len(s.train) and before.n_train < len(s.train)
        assert res.metrics["rmse"] != before.metrics["rmse"]


def test_hinge_targets_are_mapped_to_plus_minus_one(engine_calls, tmp_path):
    X, y = tiny_arrays(40)
    losslab.compare(X, y, losses=["hinge"], repeats=2, epochs=2, hidden=(4,), batch_size=8, out=tmp_path)
    (_, members, _), = engine_calls
    assert set(np.unique(members[0].targets)) == {-1.0, 1.0}
    assert members[0].output_activation == "tanh"


def test_multi_output_regression_on_linnerud(tmp_path):
    ds = load_dataset("linnerud")
    study = losslab.compare(dataset="linnerud", losses=["mse", "mae"], repeats=2, epochs=5, hidden=(6,), batch_size=4,
                            extra_metrics=["mae"], out=tmp_path)
    assert study.spec.target == ("Weight", "Waist", "Pulse")
    t = study.trials()
    # In the targets' units: mean per-column RMSE of weights (~180), waists (~35), pulses (~55).
    assert t.rmse.between(1, 200).all() and t.mae.between(1, 200).all()
    assert ds.y.shape == (20, 3)


def test_categorical_and_sparse_categorical_give_the_same_numbers(tmp_path):
    study = losslab.compare(dataset="iris", losses=["categorical_crossentropy", "sparse_categorical_crossentropy"],
                            repeats=2, cv=2, out=tmp_path, **TINY)
    t = study.trials().set_index(["repeat", "fold"])
    one_hot, sparse = t[t.loss == "categorical_crossentropy"], t[t.loss == "sparse_categorical_crossentropy"]
    np.testing.assert_array_equal(one_hot.accuracy.to_numpy(), sparse.accuracy.to_numpy())
    by_key = {(r.loss, r.repeat, r.fold): r.history for r in study.results}
    for rep in range(2):
        for fold in range(2):
            a = by_key[("categorical_crossentropy", rep, fold)]
            b = by_key[("sparse_categorical_crossentropy", rep, fold)]
            for name in a:
                np.testing.assert_allclose(a[name], b[name], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("levels", [(0, 1, 2), ("low", "mid", "high")])
def test_compare_scores_every_candidate_of_an_ordinal_target_on_levels(tmp_path, levels):
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"x": rng.normal(size=120)})
    y = pd.Series(np.array(levels)[np.clip(np.rint(X.x + 1 + rng.normal(scale=0.3, size=120)), 0, 2).astype(int)], name="grade")
    study = losslab.compare(X, y, kind="ordinal", repeats=5, epochs=5, hidden=(4,), out=tmp_path / "s")
    summary = study.summary()
    assert "sparse_categorical_crossentropy" in summary.index
    if isinstance(levels[0], int):  # numbers have an order: regressions on the level index, scored on levels
        assert "mean_squared_error" in summary.index and summary["mae_mean"].between(0, 2).all()
    else:  # text levels have none losslab can read: nothing that uses it is proposed
        assert "mean_squared_error" not in summary.index
    assert summary[f"{study.spec.metric}_mean"].between(0, 1).all()
