"""Tests for losslab.experiment.results: the tables, the verdict and the exports of a study."""

from __future__ import annotations

import dataclasses
import json
import sqlite3

import numpy as np
import pandas as pd
import pytest

import losslab
from losslab.experiment.results import Study
from losslab.experiment.spec import StudySpec
from losslab.experiment.store import FILENAME

LOSSES = ["sparse_categorical_crossentropy", "kld", "CrossEntropyLoss"]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("iris")
    return losslab.compare(dataset="iris", losses=LOSSES, extra_metrics=["f1_macro"], repeats=2, cv=2, epochs=3,
                           hidden=(6,), batch_size=16, out=folder)


def test_trials_table(study):
    t = study.trials()
    assert list(t.columns) == ["loss", "repeat", "fold", "seed", "n_train", "n_test", "status", "accuracy", "f1_macro"]
    assert len(t) == 12 and (t.status == "ok").all()


def test_summary_columns(study):
    s = study.summary()
    labels = ["sparse_categorical_crossentropy", "kl_divergence", "sparse_categorical_crossentropy(from_logits=True)"]
    assert list(s.index) == labels
    stats = ["mean", "std", "median", "min", "max"]
    assert list(s.columns) == ["trials", "diverged", "failed"] + [f"{m}_{x}" for m in ("accuracy", "f1_macro") for x in stats]
    assert (s.trials == 4).all() and (s.diverged == 0).all() and (s.failed == 0).all()
    t = study.trials()
    kld = t[t.loss == "kl_divergence"].accuracy
    assert s.loc["kl_divergence", "accuracy_mean"] == pytest.approx(kld.mean())
    assert s.loc["kl_divergence", "accuracy_std"] == pytest.approx(kld.std(ddof=1))
    assert s.loc["kl_divergence", "accuracy_max"] == kld.max()


def test_verdict_names_the_metric_and_the_trial_count(study):
    text = study.verdict()
    assert "accuracy" in text and "over 4 trials" in text
    assert "not finished" not in text
    assert "f1_macro" in study.verdict("f1_macro")
    with pytest.raises(ValueError, match="metric of this study"):
        study.verdict("rmse")
    assert study.comparison().metric == "accuracy"


def test_export_json_round_trip(study, tmp_path):
    path = study.export(tmp_path / "trials.json", "json")
    payload = json.loads(path.read_text())
    assert StudySpec.from_dict(payload["spec"]) == study.spec
    assert len(payload["trials"]) == 12
    first = payload["trials"][0]
    assert first["loss"] == study.results[0].loss and first["metrics"] == study.results[0].metrics
    assert first["history"] == study.results[0].history


def test_export_csv_round_trip(study, tmp_path):
    path = study.export(tmp_path / "trials.csv", "csv")
    back = pd.read_csv(path)
    assert len(back) == len(study.results)
    pd.testing.assert_frame_equal(back, study.trials(), check_dtype=False)


def test_export_refuses_other_formats(study, tmp_path):
    with pytest.raises(ValueError, match="expected fmt to be 'json' or 'csv'. Received: fmt='xlsx'"):
        study.export(tmp_path / "trials.xlsx", "xlsx")


def test_an_unfinished_study_still_has_tables_and_says_so(study, tmp_path):
    folder = tmp_path / "copy"
    folder.mkdir()
    source = sqlite3.connect(study.folder / FILENAME)
    target = sqlite3.connect(folder / FILENAME)
    source.backup(target)
    source.close()
    target.execute("DELETE FROM trials WHERE loss = 'kl_divergence' AND repeat = 1")
    target.commit()
    target.close()
    partial = Study.load(folder)
    assert not partial.complete and len(partial.results) == 10
    assert "not finished (10 of 12 trials stored)" in partial.verdict()
    assert partial.summary().loc["kl_divergence", "trials"] == 2
    db = sqlite3.connect(folder / FILENAME)
    db.execute("DELETE FROM trials")
    db.commit()
    db.close()
    empty = Study.load(folder)
    assert empty.trials().empty and list(empty.trials().columns)[-2:] == ["accuracy", "f1_macro"]
    assert np.isnan(empty.summary().accuracy_mean).all()
    assert "not finished (0 of 12 trials stored)" in empty.verdict()


def test_the_correction_counts_only_the_rows_a_model_was_fitted_on(tmp_path):
    # The tuned protocol holds back a validation share of each training fold even without early
    # stopping: the corrected test's n_train is what remains (Nadeau & Bengio's ratio grows).
    import losslab

    kwargs = dict(dataset="iris", losses=["cce", "kld"], repeats=5, epochs=2, hidden=(4,), patience=0)
    tuned = losslab.compare(**kwargs, lr=[1e-3, 1e-2], validation_split=0.2, out=tmp_path / "t")
    fixed = losslab.compare(**kwargs, protocol="fixed", out=tmp_path / "f")
    ratio = lambda study: study.comparison().design.ratio()  # noqa: E731
    assert ratio(fixed) == pytest.approx(0.25 / 0.75)
    assert ratio(tuned) == pytest.approx(0.25 / (0.75 * 0.8))


def test_extreme_trials_are_named_with_the_median_they_hide(tmp_path):
    # statsmodels' star98 with poisson: a few trials' held-out rmse is 1e7-2.6e9 where the
    # others are near 300 (an exponential output on rows outside the training range).
    losslab.compare(dataset="diabetes", losses=["mse", "mae"], extra_metrics=["r2"], repeats=4, epochs=2, hidden=(4,),
                    protocol="fixed", out=tmp_path / "s")
    study = Study.load(tmp_path / "s")
    assert not [d for d in study.diagnoses() if "far worse" in d]
    mae = [r for r in study.results if r.loss == "mean_absolute_error"]
    blown = {id(mae[0]): 1e9, id(mae[2]): 3e9}
    results = [dataclasses.replace(r, metrics={**r.metrics, "rmse": blown[id(r)]}) if id(r) in blown else r
               for r in study.results]
    typical = float(np.median([r.metrics["rmse"] for r in study.results]))
    median = float(np.median([blown.get(id(r), r.metrics["rmse"]) for r in study.results]))
    own = float(np.median([blown.get(id(r), r.metrics["rmse"]) for r in mae]))
    hit = [d for d in dataclasses.replace(study, results=results).diagnoses() if "far worse" in d]
    assert hit == [f"mean_absolute_error: 2 of 4 trials scored a far worse rmse than the study's typical trial (the worst "
                   f"3e+09, against a median of {median:.4g} over every loss's trials), so they, not its typical trial, make "
                   f"its mean and standard deviation (its median: {own:.4g}). Usually a few held-out predictions far outside "
                   "the targets' range cause this (an exponential output extrapolates steeply); the table of trials shows "
                   "them (study.trials(), or `losslab report FOLDER --format csv`)."]
    assert 10 < typical < 1e4
    # An r2 (higher is better, can be negative) has no such scale: nothing is said.
    assert not [d for d in dataclasses.replace(study, results=results).diagnoses() if "far worse r2" in d]
    # A loss worse throughout is not a blow-up: every mae trial at 20x is the table's to show.
    worse = [dataclasses.replace(r, metrics={**r.metrics, "rmse": 20 * typical}) if r.loss == "mean_absolute_error" else r
             for r in study.results]
    assert not [d for d in dataclasses.replace(study, results=worse).diagnoses() if "far worse" in d]
