"""Each metric against scikit-learn, computed directly on fixed inputs (metrics/compute.py),
and every supervised scikit-learn scorer name against the number its scorer gives."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm
from metric_inputs import Y_BIN, P_BIN, S_BIN, L_BIN, Y_MC, P_MC, L_MC, Y_REG, P_REG, Y_REG2, P_REG2  # tests/metrics/metric_inputs.py

from losslab.metrics import CLUSTERING_SCORERS, get_metric


@pytest.mark.parametrize(("name", "y", "kwargs", "expected"), [
    ("accuracy", Y_BIN, {"labels": L_BIN}, skm.accuracy_score(Y_BIN, L_BIN)),
    ("balanced_accuracy", Y_BIN, {"labels": L_BIN}, skm.balanced_accuracy_score(Y_BIN, L_BIN)),
    ("f1", Y_BIN, {"labels": L_BIN}, skm.f1_score(Y_BIN, L_BIN)),
    ("precision", Y_BIN, {"labels": L_BIN}, skm.precision_score(Y_BIN, L_BIN)),
    ("recall", Y_BIN, {"labels": L_BIN}, skm.recall_score(Y_BIN, L_BIN)),
    ("jaccard", Y_BIN, {"labels": L_BIN}, skm.jaccard_score(Y_BIN, L_BIN)),
    ("roc_auc", Y_BIN, {"scores": S_BIN}, skm.roc_auc_score(Y_BIN, S_BIN)),
    ("roc_auc", Y_BIN, {"probabilities": P_BIN}, skm.roc_auc_score(Y_BIN, P_BIN)),
    ("log_loss", Y_BIN, {"probabilities": P_BIN}, skm.log_loss(Y_BIN, P_BIN)),
    ("accuracy", Y_MC, {"labels": L_MC}, skm.accuracy_score(Y_MC, L_MC)),
    ("f1", Y_MC, {"labels": L_MC}, skm.f1_score(Y_MC, L_MC, average="macro")),
    ("precision", Y_MC, {"labels": L_MC}, skm.precision_score(Y_MC, L_MC, average="macro")),
    ("recall", Y_MC, {"labels": L_MC}, skm.recall_score(Y_MC, L_MC, average="macro")),
    ("roc_auc", Y_MC, {"probabilities": P_MC}, skm.roc_auc_score(Y_MC, P_MC, multi_class="ovr")),
    ("log_loss", Y_MC, {"probabilities": P_MC}, skm.log_loss(Y_MC, P_MC)),
    ("mse", Y_REG, {"predictions": P_REG}, skm.mean_squared_error(Y_REG, P_REG)),
    ("rmse", Y_REG, {"predictions": P_REG}, skm.root_mean_squared_error(Y_REG, P_REG)),
    ("mae", Y_REG, {"predictions": P_REG}, skm.mean_absolute_error(Y_REG, P_REG)),
    ("r2", Y_REG, {"predictions": P_REG}, skm.r2_score(Y_REG, P_REG)),
    ("mape", Y_REG, {"predictions": P_REG}, skm.mean_absolute_percentage_error(Y_REG, P_REG)),
    ("mse", Y_REG2, {"predictions": P_REG2}, skm.mean_squared_error(Y_REG2, P_REG2)),
    ("rmse", Y_REG2, {"predictions": P_REG2}, skm.root_mean_squared_error(Y_REG2, P_REG2)),
    ("r2", Y_REG2, {"predictions": P_REG2}, skm.r2_score(Y_REG2, P_REG2)),
])
def test_metric_equals_scikit_learn(name, y, kwargs, expected):
    assert get_metric(name).score(y, **kwargs) == pytest.approx(expected, rel=1e-12)


def test_golden_values():
    # By hand: errors 0.5, -0.5, 0, -1 -> MSE 1.5/4 = 0.375, MAE 2/4 = 0.5; as sklearn 1.9.1 gives.
    assert get_metric("mse").score(Y_REG, predictions=P_REG) == pytest.approx(0.375)
    assert get_metric("mae").score(Y_REG, predictions=P_REG) == pytest.approx(0.5)
    # 6 of 8 labels right (rows 2 and 7 wrong).
    assert get_metric("accuracy").score(Y_BIN, labels=L_BIN) == pytest.approx(0.75)
    # Binary log loss, by hand: -mean(log p of the true class); sklearn.metrics.log_loss gives 0.4672...
    by_hand = -np.mean(np.log(np.where(Y_BIN == 1, P_BIN, 1 - P_BIN)))
    assert get_metric("log_loss").score(Y_BIN, probabilities=P_BIN) == pytest.approx(by_hand, rel=1e-12)


def test_rmse_is_sqrt_mse_for_one_column_and_mean_of_column_rmses_for_several():
    mse = get_metric("mse").score(Y_REG, predictions=P_REG)
    assert get_metric("rmse").score(Y_REG, predictions=P_REG) == pytest.approx(math.sqrt(mse), rel=1e-15)
    per_column = np.sqrt(((Y_REG2 - P_REG2) ** 2).mean(axis=0))
    assert get_metric("rmse").score(Y_REG2, predictions=P_REG2) == pytest.approx(per_column.mean(), rel=1e-12)
    assert get_metric("rmse").score(Y_REG2, predictions=P_REG2) != pytest.approx(math.sqrt(get_metric("mse").score(Y_REG2, predictions=P_REG2)))


def test_mape_is_a_fraction_as_in_scikit_learn_not_a_percentage_as_in_keras():
    # |3 - 2.5|/3 = 1/6 -> 0.1667, not 16.67.
    assert get_metric("mape").score([3.0], predictions=[2.5]) == pytest.approx(1 / 6)


def _fitted_problems():
    from sklearn.datasets import make_classification, make_multilabel_classification
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(0)
    Xb, yb = make_classification(n_samples=120, n_features=5, random_state=0)
    Xm, ym = make_classification(n_samples=150, n_features=6, n_informative=4, n_classes=3, random_state=0)
    Xl, yl = make_multilabel_classification(n_samples=80, n_features=5, n_classes=3, random_state=0)
    Xr = rng.normal(size=(100, 3))
    yr = 10 + Xr @ np.array([1.0, -0.5, 0.25]) + rng.normal(scale=0.3, size=100)  # positive: fine for log/gamma/poisson
    return {
        "binary": (LogisticRegression().fit(Xb, yb), Xb, yb),
        "multiclass": (LogisticRegression().fit(Xm, ym), Xm, ym),
        "multilabel": (KNeighborsClassifier().fit(Xl, yl), Xl, yl),
        "regression": (LinearRegression().fit(Xr, yr), Xr, yr),
    }


_PROBLEMS: dict = {}


@pytest.mark.parametrize("name", sorted(set(skm.get_scorer_names()) - set(CLUSTERING_SCORERS)))
def test_every_scorer_name_gives_the_number_scikit_learns_scorer_gives(name):
    if not _PROBLEMS:
        _PROBLEMS.update(_fitted_problems())
    metric = get_metric(name)
    kind = next(k for k in ("binary", "multiclass", "multilabel", "regression") if k in metric.problem_kinds)
    model, X, y = _PROBLEMS[kind]
    if kind == "regression":
        given = {"predictions": model.predict(X)}
    else:
        given = {"labels": model.predict(X)}
        if kind != "multilabel":
            given["probabilities"] = model.predict_proba(X)
            given["scores"] = model.decision_function(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ours passes zero_division=0: no UndefinedMetricWarning
        ours = metric.score(y, **given)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the scorer's zero_division="warn" gives the same 0.0, with a warning
        expected = skm.get_scorer(name)(model, X, y)
    assert ours == pytest.approx(expected, rel=1e-9)


def test_multiclass_f1_is_macro_even_when_a_fold_shows_two_classes_if_classes_are_given():
    y, labels = np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])
    assert get_metric("f1").score(y, labels=labels, classes=[0, 1, 2]) == pytest.approx(skm.f1_score(y, labels, average="macro"))
    assert get_metric("f1").score(y, labels=labels) == pytest.approx(skm.f1_score(y, labels))


def test_multilabel_accuracy_is_subset_accuracy_and_f1_is_macro():
    y = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0]])
    labels = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0]])
    assert get_metric("accuracy").score(y, labels=labels) == pytest.approx(2 / 3)
    assert get_metric("f1").score(y, labels=labels) == pytest.approx(skm.f1_score(y, labels, average="macro"))


def test_multiclass_roc_auc_needs_probabilities_and_two_score_columns_are_ambiguous():
    with pytest.raises(ValueError, match=r"expected probabilities= for 3 classes"):
        get_metric("roc_auc").score(Y_MC, scores=np.log(P_MC))
    with pytest.raises(ValueError, match=r"expected one score column.*Received: scores with 2 columns"):
        get_metric("roc_auc").score(Y_BIN, scores=np.column_stack([-S_BIN, S_BIN]))


def test_undefined_auc_is_an_error_not_nan():
    with pytest.raises(ValueError, match=r"metric 'roc_auc': ROC AUC is undefined when y_true holds one class only \(\[1\]\)"):
        get_metric("roc_auc").score([1, 1, 1], scores=[0.1, 0.2, 0.3])
    p = np.array([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7], [0.2, 0.2, 0.6], [0.5, 0.4, 0.1]])
    with pytest.raises(ValueError, match=r"metric 'roc_auc': one-vs-rest ROC AUC is undefined for class\(es\) \[1\]"):
        get_metric("roc_auc").score([0, 2, 2, 0], probabilities=p, classes=[0, 1, 2])


def test_balanced_accuracy_with_a_predicted_class_absent_from_the_rows_is_sklearns_without_its_warning():
    # A rare class can be missing from a small validation share while the model predicts it:
    # scikit-learn averages the recall of the classes present (here 1 of 2 right for 'a', 1 of 1
    # for 'b': 0.75) and warns on every call, which flooded a study's output (AER's Affairs).
    y, labels = np.array(["a", "a", "b"]), np.array(["a", "c", "b"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        expected = skm.balanced_accuracy_score(y, labels)
    assert any("not in y_true" in str(w.message) for w in caught)
    assert expected == pytest.approx(0.75)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert get_metric("balanced_accuracy").score(y, labels=labels) == pytest.approx(expected, rel=1e-15)
