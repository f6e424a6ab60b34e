"""Class labels and probabilities as scikit-learn reads them (metrics/classes.py): the positive
class, classes in column order, a fold missing a class, probability checks."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm
from metric_inputs import Y_BIN, P_BIN, S_BIN, Y_MC, P_MC  # tests/metrics/metric_inputs.py

from losslab.metrics import get_metric


def test_binary_positive_class_is_the_greater_label():
    y = np.array(["no", "yes", "yes", "no", "yes"])
    labels = np.array(["no", "yes", "no", "no", "yes"])
    assert get_metric("f1").score(y, labels=labels) == pytest.approx(skm.f1_score(y, labels, pos_label="yes"))
    # Hinge-style {-1, 1} labels: the positive class is 1.
    assert get_metric("recall").score([-1, 1, 1, -1], labels=[-1, 1, -1, -1]) == pytest.approx(0.5)
    # classes= decides for a fold that holds one class only: here 1 is positive, and f1 is 0.
    assert get_metric("f1").score([0, 0], labels=[0, 0], classes=[0, 1]) == 0.0


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


def test_float32_softmax_rows_are_accepted():
    p = P_MC.astype(np.float32)
    assert get_metric("log_loss").score(Y_MC, probabilities=p) == pytest.approx(skm.log_loss(Y_MC, P_MC), rel=1e-5)


def test_bad_probabilities_are_refused_not_renormalized():
    with pytest.raises(ValueError, match=r"expected probabilities in \[0, 1\].*Pass logits as scores="):
        get_metric("log_loss").score(Y_BIN, probabilities=S_BIN)
    with pytest.raises(ValueError, match=r"expected probability rows that sum to 1.*1 row\(s\) summing to 1\.2"):
        get_metric("log_loss").score(Y_MC, probabilities=P_MC + np.array([[0.2, 0, 0]] + [[0, 0, 0]] * 5))


def test_classes_must_be_sorted_and_hold_every_label():
    with pytest.raises(ValueError, match=r"expected classes to be the distinct class labels in sorted order"):
        get_metric("log_loss").score(Y_MC, probabilities=P_MC, classes=[2, 1, 0])
    with pytest.raises(ValueError, match=r"expected y_true to hold only the given classes \[0, 1\]\. Received: y_true with \[2\]"):
        get_metric("log_loss").score(Y_MC, probabilities=P_MC, classes=[0, 1])
