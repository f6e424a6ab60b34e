"""Tests for losslab.experiment.spec: candidates, resampling, the model, the spec and its fingerprint."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from losslab import losses
from losslab.experiment.spec import Candidate, Model, Resampling, StudySpec, fingerprint


def make_spec(**changes) -> StudySpec:
    fields = dict(
        data="dataset:iris", target=("target",),
        candidates=(Candidate.parse("sparse_categorical_crossentropy"), Candidate.parse("huber(delta=2.0)")),
        metric="accuracy", extra_metrics=("f1_macro",),
        resampling=Resampling.from_cli(repeats=3, cv=4),
        model=Model(hidden=(16, 8), epochs=7, optimizer="adam", patience=2, validation_split=0.2),
        seed=5,
    )
    fields.update(changes)
    return StudySpec(**fields)


# ---------------------------------------------------------------------- Candidate
def test_parse_reads_parameters():
    c = Candidate.parse("huber(delta=2.0)")
    assert c == Candidate("huber", (("delta", 2.0),))
    assert c.label == "huber(delta=2.0)"
    assert c.spec.name == "huber" and c.spec.params["delta"] == 2.0


def test_parse_gives_one_candidate_for_one_loss():
    # "delta=2" and "delta=2.0" are the same loss: one label, so one study (resume works
    # whichever the user types); the default value is no parameter at all.
    assert Candidate.parse("huber(delta=2)") == Candidate.parse("huber(delta=2.0)")
    assert Candidate.parse("huber(delta=2)").label == "huber(delta=2.0)"
    assert Candidate.parse("huber(delta=1.0)") == Candidate.parse("huber") == Candidate.parse("huber()")
    assert Candidate.parse(" Huber(delta = 2.0) ") == Candidate("huber", (("delta", 2.0),))


@pytest.mark.parametrize(("text", "name", "params"), [
    ("mse", "mean_squared_error", ()),
    ("MAE", "mean_absolute_error", ()),
    ("bce", "binary_crossentropy", ()),
    ("kld", "kl_divergence", ()),
    ("kullback_leibler_divergence", "kl_divergence", ()),
    ("msle", "mean_squared_logarithmic_error", ()),
    ("HuberLoss", "huber", ()),
    ("BCEWithLogitsLoss", "binary_crossentropy", (("from_logits", True),)),
    ("CrossEntropyLoss", "sparse_categorical_crossentropy", (("from_logits", True),)),
    ("bce(from_logits=true)", "binary_crossentropy", (("from_logits", True),)),
])
def test_parse_maps_aliases_to_canonical_names(text, name, params):
    c = Candidate.parse(text)
    assert (c.name, c.params) == (name, params)


def test_parse_reads_several_parameters():
    c = Candidate.parse("binary_focal_crossentropy(gamma=3, alpha=0.5)")
    assert c == Candidate("binary_focal_crossentropy", (("alpha", 0.5), ("gamma", 3.0)))
    assert c.label == "binary_focal_crossentropy(alpha=0.5, gamma=3.0)"


@pytest.mark.parametrize("text", ["0.7*mse+0.3*mae", "mse+0.5*huber(delta=2)", "huber(delta=2)+mae"])
def test_parse_passes_composite_expressions_to_the_registry(text):
    # The parentheses of a composite belong to one of its terms, not to the whole.
    c = Candidate.parse(text)
    assert c.params == () and c.spec.name == losses.get(text).name == c.name


def test_parse_accepts_a_loss_spec_and_a_candidate():
    spec = losses.get("huber", delta=3.0)
    assert Candidate.parse(spec) == Candidate("huber", (("delta", 3.0),))
    c = Candidate("hinge")
    assert Candidate.parse(c) is c


@pytest.mark.parametrize(("text", "error", "match"), [
    ("huber(2.0)", ValueError, "name=value"),
    ("huber(delta=2.0", ValueError, r"huber\(delta=2\.0"),
    ("no_such_loss", ValueError, "unknown loss 'no_such_loss'"),
    ("huber(delta=abc)", ValueError, "delta"),
    ("huber(delta=)", ValueError, "delta"),
    ("bce(from_logits=1)", ValueError, "from_logits"),
    ("huber(foo=1)", TypeError, "foo"),
])
def test_parse_refuses_bad_syntax(text, error, match):
    with pytest.raises(error, match=match):
        Candidate.parse(text)


def test_parameters_have_one_canonical_form_and_a_short_label():
    # Issue 12, failure 5: the store wrote class weights as a tuple and read them back as a list, so the
    # labels differed and the summary found "0 trials". One form (tuples, Python floats), whatever came in.
    as_tuple = Candidate("categorical_crossentropy", (("class_weight", (0.5, 2.0, 1.0)),))
    as_list = Candidate("categorical_crossentropy", (("class_weight", [0.5, 2.0, 1.0]),))
    as_array = Candidate.parse(losses.get("cce", class_weight=np.array([0.5, 2.0, 1.0])))
    assert as_tuple == as_list == as_array
    assert as_tuple.label == as_list.label == as_array.label == "categorical_crossentropy(class_weight=[0.5, 2.0, 1.0])"
    assert Candidate.parse("cce(class_weight=[0.5, 2, 1])") == as_tuple
    # Floats are shortened in the label only: never 16 digits, and the parameter keeps its value.
    c = Candidate.parse(losses.get("bce", pos_weight=200 / 7))
    assert c.label == "binary_crossentropy(pos_weight=28.57)"
    assert c.params == (("pos_weight", 200 / 7),)


def test_a_stored_candidate_reads_back_equal_with_its_label():
    spec = make_spec(candidates=(Candidate.parse("cce(class_weight=[0.5, 2.0, 1.0])"), Candidate.parse(losses.get("bce", pos_weight=200 / 7))))
    again = StudySpec.from_dict(json.loads(spec.to_json()))
    assert again == spec and [c.label for c in again.candidates] == [c.label for c in spec.candidates]
    assert "sources" not in spec.to_dict()["candidates"][0]  # catalog candidates keep the stored form they always had


# ---------------------------------------------------------------------- Resampling
@pytest.mark.parametrize("cv", [None, "", 0, 1, "1"])
def test_no_cv_is_holdout(cv):
    r = Resampling.from_cli(repeats=7, cv=cv, test_size=0.3)
    assert (r.method, r.repeats, r.k, r.test_size) == ("holdout", 7, None, 0.3)
    assert r.n_trials == 7
    assert r.design().kind == "holdout"


def test_cv_with_repeats_is_repeated_kfold():
    r = Resampling.from_cli(repeats=3, cv=5)
    assert (r.method, r.repeats, r.k, r.n_trials) == ("repeated_kfold", 3, 5, 15)
    assert (r.design().kind, r.design().k) == ("repeated_kfold", 5)
    assert Resampling.from_cli(repeats=3, cv="5") == r


def test_cv_with_one_repeat_is_kfold():
    r = Resampling.from_cli(repeats=1, cv=5)
    assert (r.method, r.k, r.n_trials) == ("kfold", 5, 5)
    assert r.design().kind == "kfold"


@pytest.mark.parametrize("cv", ["5x2", "5X2"])
def test_5x2(cv):
    r = Resampling.from_cli(repeats=30, cv=cv)
    assert (r.method, r.repeats, r.k, r.n_trials) == ("5x2", 5, 2, 10)
    assert r.design().kind == "5x2cv"


@pytest.mark.parametrize(("cv", "match"), [("abc", "Received: cv='abc'"), ("3x3", "cv="), (-2, "cv >= 2 folds. Received: cv=-2")])
def test_bad_cv_is_refused(cv, match):
    with pytest.raises(ValueError, match=match):
        Resampling.from_cli(repeats=2, cv=cv)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"method": "bootstrap"}, "method in .*Received: method='bootstrap'"),
    ({"repeats": 0}, "expected repeats >= 1. Received: repeats=0."),
    ({"method": "kfold", "k": None}, "Received: cv=None"),
    ({"test_size": 1.0}, r"test_size in \(0, 1\). Received: test_size=1.0"),
])
def test_resampling_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Resampling(**kwargs)


# ---------------------------------------------------------------------- Model
@pytest.mark.parametrize(("kwargs", "match"), [
    ({"hidden": ()}, r"Received: hidden=\(\)"),
    ({"hidden": (8, 0)}, r"Received: hidden=\(8, 0\)"),
    ({"epochs": 0}, "expected epochs >= 1. Received: epochs=0."),
    ({"batch_size": 0}, "Received: batch_size=0"),
    ({"optimizer": "rmsprop"}, "Received: optimizer='rmsprop'"),
    ({"lr": 0.0}, "Received: lr=0.0"),
    ({"patience": -1}, "Received: patience=-1"),
    ({"patience": 3, "validation_split": 0.6}, "Received: validation_split=0.6"),
])
def test_model_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Model(**kwargs)


def test_learning_rate_defaults_follow_keras():
    assert Model().learning_rate == 0.01
    assert Model(optimizer="adam").learning_rate == 0.001
    assert Model(optimizer="adam", lr=0.05).learning_rate == 0.05
    assert Model(hidden=[8, 4]).hidden == (8, 4)


# ---------------------------------------------------------------------- StudySpec
def test_spec_validates():
    with pytest.raises(ValueError, match="at least one candidate"):
        make_spec(candidates=())
    with pytest.raises(ValueError, match="distinct.*huber more than once"):
        make_spec(candidates=(Candidate.parse("huber"), Candidate.parse("HuberLoss")))
    with pytest.raises(ValueError, match="expected seed >= 0. Received: seed=-1."):
        make_spec(seed=-1)


def test_metrics_put_the_main_metric_first_once():
    assert make_spec(extra_metrics=("f1_macro", "accuracy")).metrics == ("accuracy", "f1_macro")


def test_to_dict_from_dict_round_trip():
    spec = make_spec()
    assert StudySpec.from_dict(spec.to_dict()) == spec
    # Through the JSON text the store keeps: tuples become lists and come back as tuples.
    again = StudySpec.from_dict(json.loads(spec.to_json()))
    assert again == spec
    assert again.to_json() == spec.to_json()
    assert again.candidates[1].label == "huber(delta=2.0)"
    assert again.model.hidden == (16, 8) and again.resampling.method == "repeated_kfold"


def test_differences():
    spec = make_spec()
    assert spec.differences(make_spec()) == []
    diffs = spec.differences(make_spec(model=Model(hidden=(16, 8), epochs=9, optimizer="adam", patience=2,
                                                    validation_split=0.2)))
    assert len(diffs) == 1
    assert diffs[0].startswith("model: ") and "'epochs': 7" in diffs[0] and "'epochs': 9" in diffs[0]
    diffs = spec.differences(make_spec(seed=6, candidates=(Candidate.parse("huber(delta=2.0)"),)))
    assert sorted(d.split(":")[0] for d in diffs) == ["candidates", "seed"]
    assert spec.differences(make_spec(seed=6), ignore=("seed",)) == []


# ---------------------------------------------------------------------- fingerprint
def test_fingerprint_follows_values_names_and_dtypes():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])
    y = pd.Series(rng.integers(0, 2, 30), name="y")
    f = fingerprint(X, y)
    assert f == fingerprint(X.copy(), y.copy())
    assert len(f) == 20
    X2 = X.copy()
    X2.iloc[4, 1] += 1e-9
    y2 = y.copy()
    y2.iloc[0] = 1 - y2.iloc[0]
    renamed = X.rename(columns={"c": "d"})
    as_float = y.astype(float)
    others = {fingerprint(X2, y), fingerprint(X, y2), fingerprint(renamed, y), fingerprint(X, as_float),
              fingerprint(X, y.rename("z"))}
    assert f not in others and len(others) == 5


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(weight_decay=-0.1, optimizer="adam"), r"expected weight_decay >= 0 .* Received: weight_decay=-0.1"),
    (dict(weight_decay=float("inf"), optimizer="adam"), r"expected weight_decay >= 0 .* Received: weight_decay=inf"),
    (dict(weight_decay=0.1, optimizer="sgd"), r"weight_decay with optimizer='adam' .* Received: optimizer='sgd'"),
    (dict(refit=True), r"refit=True with protocol='tuned' .* Received: protocol='fixed'"),
])
def test_model_refuses_bad_weight_decay_and_refit(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Model(**kwargs)


def test_weight_decay_and_refit_are_stored_only_when_on():
    plain = StudySpec(data="arrays", target=("y",), candidates=(Candidate.parse("mse"),), metric="rmse",
                      model=Model(protocol="tuned", optimizer="adam"))
    # A study without them keeps the stored form it always had (and so its resumability).
    assert "refit" not in plain.to_dict()["model"] and "weight_decay" not in plain.to_dict()["model"]
    on = StudySpec(**{**vars(plain), "model": Model(protocol="tuned", optimizer="adam", refit=True, weight_decay=0.05)})
    assert on.to_dict()["model"]["refit"] is True and on.to_dict()["model"]["weight_decay"] == 0.05
    assert StudySpec.from_dict(on.to_dict()) == on and StudySpec.from_dict(plain.to_dict()) == plain
    assert any(d.startswith("model:") for d in on.differences(plain))
