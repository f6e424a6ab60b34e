"""The metrics registry (metrics/catalog.py): directions, scikit-learn scorer names, the closed
vocabularies, lookup by name and the default metric of each problem kind."""

from __future__ import annotations

import pytest
from sklearn import metrics as skm
from metric_inputs import Y_BIN, P_BIN, Y_REG, P_REG  # tests/metrics/metric_inputs.py

from losslab.metrics import CLASSIFICATION_KINDS, CLUSTERING_SCORERS, INPUTS, METRICS, PROBLEM_KINDS, default_metric, get_metric, metric_names, metrics_for


def test_higher_is_better_flags():
    assert [n for n in ("accuracy", "balanced_accuracy", "f1", "precision", "recall", "roc_auc", "r2") if get_metric(n).higher_is_better] \
        == ["accuracy", "balanced_accuracy", "f1", "precision", "recall", "roc_auc", "r2"]
    assert not any(get_metric(n).higher_is_better for n in ("log_loss", "mse", "rmse", "mae", "mape"))


def test_neg_scorer_names_are_the_negated_metric_and_higher_is_better():
    pairs = {"neg_mean_squared_error": "mse", "neg_root_mean_squared_error": "rmse", "neg_mean_absolute_error": "mae",
             "neg_mean_absolute_percentage_error": "mape"}
    for scorer, native in pairs.items():
        metric = get_metric(scorer)
        assert metric.sign == -1 and metric.same_as == native and metric.higher_is_better
        assert not get_metric(native).higher_is_better
        assert metric.score(Y_REG, predictions=P_REG) == -get_metric(native).score(Y_REG, predictions=P_REG)
    assert get_metric("neg_log_loss").score(Y_BIN, probabilities=P_BIN) == -skm.log_loss(Y_BIN, P_BIN)


def test_registry_covers_every_supervised_scorer_and_refuses_clustering_ones():
    assert set(skm.get_scorer_names()) - set(CLUSTERING_SCORERS) <= set(METRICS)
    with pytest.raises(ValueError, match="clustering score"):
        get_metric("adjusted_rand_score")


def test_registry_metadata_uses_the_closed_vocabularies():
    for metric in METRICS.values():
        assert metric.problem_kinds and set(metric.problem_kinds) <= set(PROBLEM_KINDS), metric.name
        assert metric.needs and set(metric.needs) <= set(INPUTS), metric.name
        assert metric.sign in (1, -1)
        assert metric.same_as is None or metric.same_as in METRICS
    assert metric_names() == sorted(METRICS)


def test_lookup_ignores_case_and_knows_scikit_learn_function_names():
    assert get_metric("RMSE") is METRICS["rmse"]
    assert get_metric("mean_squared_error") is METRICS["mse"]
    assert get_metric("r2_score") is METRICS["r2"]
    assert get_metric("Balanced-Accuracy") is METRICS["balanced_accuracy"]
    assert get_metric(METRICS["mae"]) is METRICS["mae"]


def test_unknown_metric_lists_names_and_suggests_a_close_one():
    with pytest.raises(ValueError, match=r"unknown metric 'acuracy'\. Did you mean 'accuracy'.*Available: .*rmse"):
        get_metric("acuracy")
    with pytest.raises(TypeError, match="expected metric to be a name"):
        get_metric(3)


@pytest.mark.parametrize(("kind", "expected"), [
    ("binary", "accuracy"), ("multiclass", "accuracy"), ("multilabel", "accuracy"),
    ("probability_rows", "accuracy"), ("regression", "rmse"), ("counts", "rmse"),
])
def test_default_metric(kind, expected):
    assert default_metric(kind) == expected
    assert get_metric(expected).applies_to(kind)


def test_unknown_problem_kind_is_refused():
    with pytest.raises(ValueError, match=r"expected problem_kind in .*Received: problem_kind='classification'"):
        default_metric("classification")


def test_metrics_for_a_kind():
    binary = metrics_for("binary")
    assert {"accuracy", "roc_auc", "log_loss", "f1"} <= set(binary) and "rmse" not in binary
    assert {"rmse", "mse", "r2"} <= set(metrics_for("regression")) and "accuracy" not in metrics_for("regression")
    assert all(k in CLASSIFICATION_KINDS + ("ordinal",) for k in METRICS["accuracy"].problem_kinds)
    assert {"accuracy", "log_loss", "rmse"} <= set(metrics_for("probability_rows"))


def test_kinds_are_the_advisors():
    from losslab.advisor.problem import KINDS

    assert set(PROBLEM_KINDS) == set(KINDS)
