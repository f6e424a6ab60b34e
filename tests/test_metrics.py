"""losslab.metrics against scikit-learn, computed directly on fixed inputs.

Golden values were computed by hand and checked with scikit-learn 1.9.1 (sklearn.metrics);
each test also calls the scikit-learn function itself, so a change on either side shows.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

from losslab.metrics import (
    CLASSIFICATION_KINDS, CLUSTERING_SCORERS, INPUTS, METRICS, PROBLEM_KINDS, default_metric, get_metric, metric_names,
    metrics_for,
)

# Fixed inputs. Binary: 8 rows, labels {0, 1}; P(class 1) and the matching logits.
Y_BIN = np.array([0, 0, 1, 1, 0, 1, 1, 0])
P_BIN = np.array([0.1, 0.4, 0.35, 0.8, 0.3, 0.9, 0.6, 0.7])
S_BIN = np.log(P_BIN / (1 - P_BIN))
L_BIN = (P_BIN > 0.5).astype(int)  # [0, 0, 0, 1, 0, 1, 1, 1]
# Multiclass: 6 rows, 3 classes; probability rows sum to 1.
Y_MC = np.array([0, 1, 2, 2, 1, 0])
P_MC = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.3, 0.6], [0.3, 0.4, 0.3], [0.25, 0.5, 0.25], [0.2, 0.2, 0.6]])
L_MC = P_MC.argmax(axis=1)  # [0, 1, 2, 1, 1, 2]
# Regression: one target column, and two.
Y_REG = np.array([3.0, -0.5, 2.0, 7.0])
P_REG = np.array([2.5, 0.0, 2.0, 8.0])
Y_REG2 = np.array([[0.5, 1.0], [-1.0, 1.0], [7.0, -6.0]])
P_REG2 = np.array([[0.0, 2.0], [-1.0, 2.0], [8.0, -5.0]])


# ---------------------------------------------------------------------------- each metric vs scikit-learn
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


def test_neg_scorer_names_are_the_negated_metric_and_higher_is_better():
    pairs = {"neg_mean_squared_error": "mse", "neg_root_mean_squared_error": "rmse", "neg_mean_absolute_error": "mae",
             "neg_mean_absolute_percentage_error": "mape"}
    for scorer, native in pairs.items():
        metric = get_metric(scorer)
        assert metric.sign == -1 and metric.same_as == native and metric.higher_is_better
        assert not get_metric(native).higher_is_better
        assert metric.score(Y_REG, predictions=P_REG) == -get_metric(native).score(Y_REG, predictions=P_REG)
    assert get_metric("neg_log_loss").score(Y_BIN, probabilities=P_BIN) == -skm.log_loss(Y_BIN, P_BIN)


def test_higher_is_better_flags():
    assert [n for n in ("accuracy", "balanced_accuracy", "f1", "precision", "recall", "roc_auc", "r2") if get_metric(n).higher_is_better] \
        == ["accuracy", "balanced_accuracy", "f1", "precision", "recall", "roc_auc", "r2"]
    assert not any(get_metric(n).higher_is_better for n in ("log_loss", "mse", "rmse", "mae", "mape"))


# ---------------------------------------------------------------------------- scikit-learn scorer names
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


# ---------------------------------------------------------------------------- lookup and defaults
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


# ---------------------------------------------------------------------------- conventions
def test_binary_positive_class_is_the_greater_label():
    y = np.array(["no", "yes", "yes", "no", "yes"])
    labels = np.array(["no", "yes", "no", "no", "yes"])
    assert get_metric("f1").score(y, labels=labels) == pytest.approx(skm.f1_score(y, labels, pos_label="yes"))
    # Hinge-style {-1, 1} labels: the positive class is 1.
    assert get_metric("recall").score([-1, 1, 1, -1], labels=[-1, 1, -1, -1]) == pytest.approx(0.5)
    # classes= decides for a fold that holds one class only: here 1 is positive, and f1 is 0.
    assert get_metric("f1").score([0, 0], labels=[0, 0], classes=[0, 1]) == 0.0


def test_multiclass_f1_is_macro_even_when_a_fold_shows_two_classes_if_classes_are_given():
    y, labels = np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])
    assert get_metric("f1").score(y, labels=labels, classes=[0, 1, 2]) == pytest.approx(skm.f1_score(y, labels, average="macro"))
    assert get_metric("f1").score(y, labels=labels) == pytest.approx(skm.f1_score(y, labels))


def test_multilabel_accuracy_is_subset_accuracy_and_f1_is_macro():
    y = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0]])
    labels = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0]])
    assert get_metric("accuracy").score(y, labels=labels) == pytest.approx(2 / 3)
    assert get_metric("f1").score(y, labels=labels) == pytest.approx(skm.f1_score(y, labels, average="macro"))


def test_probabilities_of_a_fold_missing_a_class():
    # The fold holds classes 0 and 2 only; the model has 3 columns.
    y = np.array([0, 2, 2, 0])
    p = np.array([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7], [0.2, 0.2, 0.6], [0.5, 0.4, 0.1]])
    expected = skm.log_loss(y, p, labels=[0, 1, 2])
    assert get_metric("log_loss").score(y, probabilities=p, classes=[0, 1, 2]) == pytest.approx(expected)
    # Integer labels 0..k-1 against k columns need no classes=.
    assert get_metric("log_loss").score(y, probabilities=p) == pytest.approx(expected)
    with pytest.raises(ValueError, match=r"expected one column per class.*Pass classes="):
        get_metric("log_loss").score(np.array([1, 3, 3, 1]), probabilities=p)


def test_binary_probabilities_as_two_columns_equal_one_column():
    two = np.column_stack([1 - P_BIN, P_BIN])
    for name in ("log_loss", "roc_auc", "neg_brier_score"):
        metric = get_metric(name)
        assert metric.score(Y_BIN, probabilities=two) == pytest.approx(metric.score(Y_BIN, probabilities=P_BIN), rel=1e-12)


def test_integer_probabilities_are_read_as_floats():
    one_hot = np.eye(3, dtype=int)[Y_MC]
    assert get_metric("neg_brier_score").score(Y_MC, probabilities=one_hot) == 0.0


def test_float32_softmax_rows_are_accepted():
    p = P_MC.astype(np.float32)
    assert get_metric("log_loss").score(Y_MC, probabilities=p) == pytest.approx(skm.log_loss(Y_MC, P_MC), rel=1e-5)


class _TensorLike:
    """Quacks like a torch.Tensor that requires grad: np.asarray(t) would fail, t.detach().cpu().numpy() works."""

    def __init__(self, array):
        self._array = np.asarray(array)

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self._array

    def __array__(self, *args, **kwargs):
        raise RuntimeError("Can't call numpy() on Tensor that requires grad.")


def test_column_vectors_and_tensors_are_accepted():
    mse = get_metric("mse")
    expected = mse.score(Y_REG, predictions=P_REG)
    assert mse.score(Y_REG[:, None], predictions=P_REG) == pytest.approx(expected)
    assert mse.score(_TensorLike(Y_REG), predictions=_TensorLike(P_REG[:, None])) == pytest.approx(expected)


# ---------------------------------------------------------------------------- errors
def test_a_metric_needing_something_not_given_says_what_it_needs():
    with pytest.raises(ValueError, match=r"metric 'log_loss': expected probabilities= \(class probabilities\)\. Received: labels=, scores="):
        get_metric("log_loss").score(Y_BIN, labels=L_BIN, scores=S_BIN)
    with pytest.raises(ValueError, match=r"metric 'accuracy': expected labels=.*Received: probabilities="):
        get_metric("accuracy").score(Y_BIN, probabilities=P_BIN)
    with pytest.raises(ValueError, match=r"metric 'rmse': expected predictions=.*Received: nothing but y_true"):
        get_metric("rmse").score(Y_REG)


def test_bad_probabilities_are_refused_not_renormalized():
    with pytest.raises(ValueError, match=r"expected probabilities in \[0, 1\].*Pass logits as scores="):
        get_metric("log_loss").score(Y_BIN, probabilities=S_BIN)
    with pytest.raises(ValueError, match=r"expected probability rows that sum to 1.*1 row\(s\) summing to 1\.2"):
        get_metric("log_loss").score(Y_MC, probabilities=P_MC + np.array([[0.2, 0, 0]] + [[0, 0, 0]] * 5))


def test_multiclass_roc_auc_needs_probabilities_and_two_score_columns_are_ambiguous():
    with pytest.raises(ValueError, match=r"expected probabilities= for 3 classes"):
        get_metric("roc_auc").score(Y_MC, scores=np.log(P_MC))
    with pytest.raises(ValueError, match=r"expected one score column.*Received: scores with 2 columns"):
        get_metric("roc_auc").score(Y_BIN, scores=np.column_stack([-S_BIN, S_BIN]))


def test_non_finite_or_misshapen_predictions_are_refused():
    with pytest.raises(ValueError, match=r"metric 'mse': expected finite predictions\. Received: 1 NaN or infinite value\(s\) \(did training diverge\?\)"):
        get_metric("mse").score(Y_REG, predictions=[1.0, np.nan, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"expected one row of predictions per row of y_true.*y_true.shape=\(4,\), predictions.shape=\(3,\)"):
        get_metric("mse").score(Y_REG, predictions=P_REG[:3])
    with pytest.raises(ValueError, match=r"expected predictions of the same shape as y_true"):
        get_metric("mse").score(Y_REG, predictions=np.column_stack([P_REG, P_REG]))
    with pytest.raises(ValueError, match=r"expected predictions to hold numbers"):
        get_metric("mse").score(Y_REG, predictions=np.array(["a", "b", "c", "d"]))


def test_classes_must_be_sorted_and_hold_every_label():
    with pytest.raises(ValueError, match=r"expected classes to be the distinct class labels in sorted order"):
        get_metric("log_loss").score(Y_MC, probabilities=P_MC, classes=[2, 1, 0])
    with pytest.raises(ValueError, match=r"expected y_true to hold only the given classes \[0, 1\]\. Received: y_true with \[2\]"):
        get_metric("log_loss").score(Y_MC, probabilities=P_MC, classes=[0, 1])


def test_undefined_auc_is_an_error_not_nan():
    with pytest.raises(ValueError, match=r"metric 'roc_auc': ROC AUC is undefined when y_true holds one class only \(\[1\]\)"):
        get_metric("roc_auc").score([1, 1, 1], scores=[0.1, 0.2, 0.3])
    p = np.array([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7], [0.2, 0.2, 0.6], [0.5, 0.4, 0.1]])
    with pytest.raises(ValueError, match=r"metric 'roc_auc': one-vs-rest ROC AUC is undefined for class\(es\) \[1\]"):
        get_metric("roc_auc").score([0, 2, 2, 0], probabilities=p, classes=[0, 1, 2])


def test_scikit_learn_errors_are_reported_under_the_metric_name():
    # scikit-learn refuses negative targets for MSLE; the message keeps its words under our metric's name.
    with pytest.raises(ValueError, match=r"metric 'neg_mean_squared_log_error': .*"):
        get_metric("neg_mean_squared_log_error").score([-1.0, 2.0], predictions=[1.0, 2.0])
