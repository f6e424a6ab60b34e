"""experiment.build: arguments and the advisor's recommendation made into a StudySpec."""

from __future__ import annotations

import numpy as np
import pytest

from losslab.advisor import recommend
from losslab.experiment import build
from losslab.experiment.sources import prepare_source
from losslab.experiment.spec import Candidate


@pytest.fixture(scope="module")
def imbalanced():
    rng = np.random.default_rng(0)
    y = (rng.random(400) < 0.1).astype(int)
    return prepare_source(X=rng.normal(size=(400, 2)), y=y), recommend(y)


def test_the_advisors_candidates_by_default_with_their_parameters(imbalanced):
    prepared, rec = imbalanced
    names = build.candidate_names(None, rec)
    wanted = [(c.loss, dict(c.params)) for c in (rec.primary, *rec.alternatives)]
    assert len(names) == len(wanted) >= 2
    assert any(dict(c.params) for c in (rec.primary, *rec.alternatives))  # a class-weighted loss among them
    assert [Candidate.parse(n) for n in names] == [Candidate.parse(n) for n in
                                                 [__import__("losslab").losses.get(l, **p) for l, p in wanted]]


def test_a_comma_list_is_read_by_the_one_parser(imbalanced):
    _, rec = imbalanced
    assert build.candidate_names("bce, focal(gamma=3,alpha=0.5)", rec) == ["bce", "focal(gamma=3,alpha=0.5)"]
    assert build.candidate_names(["bce"], rec) == ["bce"]
    with pytest.raises(ValueError, match="expected losses to name at least one loss. Received: losses=' , '"):
        build.candidate_names(" , ", rec)


def test_a_sweep_makes_one_candidate_per_value():
    got = build.expand_sweep(["mse", "mse+w*mae"], "w=0,0.5")
    assert got[0] == "mse" and [s.name for s in got[1:]] == ["mean_squared_error+0*mean_absolute_error",
                                                            "mean_squared_error+0.5*mean_absolute_error"]
    with pytest.raises(ValueError, match="no loss in losses uses the symbol 'w'"):
        build.expand_sweep(["mse", "mae"], "w=0,1")
    with pytest.raises(ValueError, match="expected sweep as symbol=values"):
        build.expand_sweep(["mse+w*mae"], "w")


def test_candidates_once_each_in_the_order_first_named():
    got = build.candidates(["huber(delta=2)", "mse", "huber(delta=2.0)", "Huber(delta=2)"])
    assert [c.label for c in got] == ["huber(delta=2.0)", "mean_squared_error"]


def test_the_metric_and_what_to_report_beside_it(imbalanced):
    _, rec = imbalanced
    assert rec.also_report  # imbalanced classes: balanced accuracy and F1 beside accuracy
    assert build.metrics(None, (), rec) == (rec.primary.metric, tuple(rec.also_report))
    assert build.metrics("f1", (), rec) == ("f1", ())  # another metric: nothing added
    assert build.metrics(None, ("roc_auc",), rec) == (rec.primary.metric, ("roc_auc",))


def test_each_protocols_model_defaults():
    args = dict(hidden=[8], epochs=None, batch_size=None, optimizer=None, lr=None, momentum=0.9, patience=None,
                validation_split=None)
    tuned, fixed = build.model(protocol="tuned", **args), build.model(protocol="fixed", **args)
    assert (tuned.optimizer, tuned.epochs, tuned.patience, tuned.validation_split, tuned.hidden) == ("adam", 200, 10, 0.2, (8,))
    assert (fixed.optimizer, fixed.epochs, fixed.patience, fixed.validation_split, fixed.learning_rates) == ("sgd", 100, 0, 0.1, (0.01,))
    assert build.model(protocol="tuned", **{**args, "lr": [0.1, 0.2]}).learning_rates == (0.1, 0.2)
    with pytest.raises(ValueError, match="protocol='tuned' or 'fixed'. Received: protocol='slow'"):
        build.model(protocol="slow", **args)


def test_study_spec_and_a_trials_stored_size(imbalanced):
    from losslab.experiment import planning
    from losslab.experiment.space import trial_bytes

    prepared, rec = imbalanced
    spec = build.study_spec(prepared, rec, losses="bce,hinge", repeats=2, epochs=3, protocol="fixed")
    assert [c.label for c in spec.candidates] == ["binary_crossentropy", "hinge"]
    assert spec.metrics == (rec.primary.metric, *rec.also_report) and spec.target == (str(prepared.y.name),)
    plan = planning.plan(spec, prepared)
    # classes: four curves (loss and accuracy, train and held-out), one number per metric
    assert build.trial_bytes(plan) == trial_bytes(3, 4, len(spec.metrics))
