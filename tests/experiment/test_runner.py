"""Tests for losslab.experiment.runner, end to end through compare: paired trials, the reported
tuning and protocol, the tutorial's target encodings scored against the labels, refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
from frames import keys  # tests/experiment/frames.py

import losslab
from losslab.data import load_dataset
from losslab.experiment.spec import Model

TINY = dict(epochs=3, hidden=(6,), batch_size=16)


def test_trials_are_paired(tmp_path, engine_calls):
    # One sigmoid unit (bce, hinge) and two softmax units (sparse cross-entropy): two engine
    # calls, and still the same splits and seeds for every loss.
    study = losslab.compare(dataset="breast_cancer", losses=["bce", "sparse_categorical_crossentropy", "hinge"],
                            repeats=2, cv=3, out=tmp_path, **TINY)
    assert len(engine_calls) == 2
    by_loss = keys(study)
    assert len(by_loss) == 3
    grid = {(r, f) for r in range(2) for f in range(3)}
    assert all(k == grid for k in by_loss.values())
    t = study.trials()
    # Every loss trains with the same seed on the same rows of each (repeat, fold).
    per_trial = t.groupby(["repeat", "fold"])[["seed", "n_train", "n_test"]].nunique()
    assert (per_trial == 1).all().all()
    assert t.seed.nunique() == 6


def test_cuda_is_refused_before_anything_is_written_where_torch_has_none(tmp_path, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        losslab.compare(dataset="iris", repeats=2, epochs=2, hidden=(4,), device="cuda", out=tmp_path / "study")
    assert not (tmp_path / "study").exists()


def test_study_reports_its_tuning_diagnoses_and_protocol(tmp_path):
    ds = load_dataset("diabetes")
    study = losslab.compare(ds.X, ds.y, losses=["mse", "mae"], repeats=2, hidden=(8,), epochs=30,
                            lr=[1e-4, 3e-4], out=tmp_path)
    t = study.study.tuning()
    assert list(t.columns) == ["loss", "trial", "repeat", "fold", "lr", "epoch", "stopped", "val_score", "chosen"]
    assert set(t.lr) == {1e-4, 3e-4} and (t.groupby(["loss", "trial"]).chosen.sum() == 1).all()
    # Rates this small still improve at the last epoch: chosen at the grid's top, every time.
    notes = study.study.diagnoses()
    assert any("grid's largest" in n and "widen the learning-rate grid (lr=[0.0001, 0.0003, 0.0009])" in n for n in notes)
    assert "Protocol: tuned" in study.verdict()
    exported = json.loads(study.study.export(tmp_path / "trials.json").read_text())
    assert len(exported["tuning"]) == len(t) and exported["diagnoses"] == notes
    assert exported["protocol"].startswith("tuned")


def test_overfitting_is_diagnosed_from_the_learning_curves():
    from losslab.experiment.results import _overfitting

    epochs = np.arange(1, 41)
    train = list(1.0 / epochs)
    test = list(1.0 / epochs[:10]) + list(0.1 + 0.02 * (epochs[10:] - 10))
    fixed = Model(epochs=40)
    text = _overfitting("mse", [{"loss_train": train, "loss_test": test}] * 3, fixed)
    assert text.startswith("mse: its mean held-out loss rises after epoch 10") and "last epoch's model" in text
    flat = list(1.0 / epochs)
    assert _overfitting("mse", [{"loss_train": train, "loss_test": flat}] * 3, fixed) is None


def test_custom_losses_on_diabetes(tmp_path):
    study = losslab.compare(dataset="diabetes", losses=["mse", "mae"], repeats=2, out=tmp_path, **TINY)
    s = study.summary()
    assert list(s.index) == ["mean_squared_error", "mean_absolute_error"]
    assert study.spec.metric == "rmse"
    assert s.rmse_mean.between(20, 500).all() and (s.trials == 2).all() and (s.diverged == 0).all()


def test_hinge_on_binary_targets_scores_against_the_labels(tmp_path):
    ds = load_dataset("breast_cancer")
    labels = np.where(ds.y.to_numpy() == 1, "benign", "malignant")
    study = losslab.compare(ds.X, labels, losses=["hinge", "bce"], repeats=2, epochs=5, hidden=(8,), out=tmp_path,
                            extra_metrics=["roc_auc"])
    for r in study.results:
        # The engine's accuracy compares class indices in training; the study's decodes the
        # margins back to "benign"/"malignant" and compares those: the same number.
        assert r.metrics["accuracy"] == pytest.approx(r.history["accuracy_test"][-1], abs=1e-6)
        assert r.metrics["accuracy"] > 0.85 and r.metrics["roc_auc"] > 0.9


@pytest.mark.parametrize(("threads", "said"), [
    (2, "torch with 2 threads (one for a chunk that starts when the machine is busy)."),
    (1, "torch with 1 thread."),
])
def test_the_design_notes_say_the_threads_as_the_chunks_use_them(threads, said):
    import dataclasses

    from losslab.experiment import planning, runner
    from losslab.experiment.estimate import StepCost
    from losslab.experiment.spec import Candidate, Resampling, StudySpec

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), rng.normal(size=60)
    spec = StudySpec(data="arrays", target=("y",), candidates=(Candidate.parse("mse"),), metric="rmse",
                     resampling=Resampling.from_cli(repeats=2, cv=None), model=Model(hidden=(4,), epochs=3, batch_size=8))
    plan = planning.plan(spec, X, y)
    plan.schedule = dataclasses.replace(runner.schedule(plan, cost=StepCost(1e-3, 1e-5, 1e-6)), threads=threads)
    notes, design = runner.design_notes(plan, batch_given=True)
    assert any(note.endswith(said) for note in notes), notes
    assert design["threads"] == threads
