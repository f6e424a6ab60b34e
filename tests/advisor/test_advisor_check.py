"""check: every refusal triggered once with its message asserted, and setups that work pass."""

import numpy as np
import pandas as pd
import pytest

from losslab import losses
from losslab.advisor import SetupError, check

RNG = np.random.default_rng(0)
ONE_HOT = np.eye(3)[[0, 1, 2, 1, 0, 2]]

# (id, loss, output_activation, y, keyword arguments, the exact message)
REFUSALS = [
    # hinge / squared hinge want {-1, 1}
    ("hinge_01", "hinge", "tanh", [0, 1, 1, 0], {},
     "hinge expects targets in {-1, 1}. Received: {0, 1}. Fix: map with y = 2*y - 1."),
    ("squared_hinge_12", "squared_hinge", "tanh", [1, 2, 2, 1], {},
     "squared_hinge expects targets in {-1, 1}. Received: {1, 2}. Fix: map with y = np.where(y == 2, 1.0, -1.0)."),
    ("hinge_strings", "hinge", "linear", ["no", "yes", "no"], {},
     "hinge expects targets in {-1, 1}. Received: {'no', 'yes'}. Fix: map with y = np.where(y == 'yes', 1.0, -1.0)."),
    ("hinge_multilabel", "hinge", "tanh", [[0, 1], [1, 1], [0, 0]], {},
     "hinge expects targets in {-1, 1}. Received: 0/1 columns. Fix: map with y = 2*y - 1."),
    ("hinge_three_classes", "squared_hinge", "tanh", [0, 1, 2, 0, 1, 2], {},
     "squared_hinge is for two classes; y has 3 classes {0, 1, 2}. Fix: use categorical_hinge on one-hot rows, "
     "or sparse_categorical_crossentropy with 3 softmax units."),
    # binary cross-entropy
    ("bce_two_units", "binary_crossentropy", "sigmoid", [0, 1, 1, 0], {"output_units": 2},
     "binary_crossentropy with 2 output units and one label column: each unit would be scored against the same label. "
     "Fix: use 1 sigmoid unit, or 2 softmax units with sparse_categorical_crossentropy."),
    ("bce_pm1", "binary_crossentropy", "sigmoid", [-1, 1, 1], {},
     "binary_crossentropy expects targets in {0, 1}. Received: {-1, 1}. Fix: map with y = (y + 1) / 2."),
    ("bce_12", "binary_crossentropy", "sigmoid", [1, 2, 2], {},
     "binary_crossentropy expects targets in {0, 1}. Received: {1, 2}. Fix: map with y = (y == 2).astype(float)."),
    ("bce_strings", "binary_crossentropy", "sigmoid", ["cat", "dog"], {},
     "binary_crossentropy expects numeric targets in {0, 1}. Received: labels {'cat', 'dog'}. "
     "Fix: map with y = (y == 'dog').astype(float) (or losslab.advisor.encode_targets(y, 'binary_crossentropy'))."),
    ("bce_multiclass", "binary_crossentropy", "sigmoid", [0, 1, 2, 0, 1, 2], {},
     "binary_crossentropy is for two classes or 0/1 label columns; y has 3 classes {0, 1, 2}. "
     "Fix: use sparse_categorical_crossentropy with 3 softmax units."),
    ("bce_multilabel_units", "binary_crossentropy", "sigmoid", [[0, 1, 1], [1, 0, 1], [0, 0, 1]], {"output_units": 2},
     "binary_crossentropy with output_units=2, but y has 3 columns. Fix: use 3 output units."),
    # categorical vs sparse categorical
    ("cce_integer_labels", "categorical_crossentropy", "softmax", [0, 1, 2, 1], {},
     "categorical_crossentropy expects one-hot rows, one column per class. Received: integer labels {0, 1, 2} in one column. "
     "Fix: use sparse_categorical_crossentropy, or one-hot encode: y = np.eye(3)[y] (keras.utils.to_categorical)."),
    ("cce_multilabel", "categorical_crossentropy", "softmax", [[1, 1, 0], [0, 1, 1], [1, 0, 0]], {},
     "categorical_crossentropy expects one class per row. Received: 0/1 rows with several 1s (multi-label). "
     "Fix: use binary_crossentropy with 3 sigmoid units."),
    ("sparse_one_hot", "sparse_categorical_crossentropy", "softmax", ONE_HOT, {},
     "sparse_categorical_crossentropy expects integer class indices, one column. Received: one-hot rows (3 columns). "
     "Fix: pass y.argmax(axis=1), or use categorical_crossentropy."),
    ("sparse_one_based", "sparse_categorical_crossentropy", "softmax", [1, 2, 3, 3, 2, 1], {},
     "sparse_categorical_crossentropy expects class indices 0 .. 2 (3 classes). Received: labels {1, 2, 3}. "
     "Fix: map with 1 .. 3 -> 0 .. 2: y = y - 1."),
    ("sparse_strings", "sparse_categorical_crossentropy", "softmax", ["a", "b", "c"], {},
     "sparse_categorical_crossentropy expects integer class indices 0 .. 2. Received: labels {'a', 'b', 'c'}. "
     "Fix: y = np.searchsorted(classes, y) (sklearn LabelEncoder) (or losslab.advisor.encode_targets(y, 'sparse_categorical_crossentropy'))."),
    ("sparse_units", "sparse_categorical_crossentropy", "softmax", [0, 1, 2, 0, 1, 2], {"output_units": 4},
     "sparse_categorical_crossentropy with output_units=4, but y has 3 classes {0, 1, 2}. Fix: use 3 output units (one per class)."),
    ("sparse_too_few_units", "sparse_categorical_crossentropy", "softmax", [0, 1, 2, 0, 1, 2], {"output_units": 2},
     "sparse_categorical_crossentropy with output_units=2, but y has 3 classes {0, 1, 2}. Fix: use 3 output units (one per class)."),
    ("sparse_gaps", "sparse_categorical_crossentropy", "softmax", [0, 5, 9, 0, 5, 9], {},
     "sparse_categorical_crossentropy expects class indices 0 .. 2 (3 classes). Received: labels {0, 5, 9}. "
     "Fix: map with the 3 labels {0, 5, 9} -> 0 .. 2: y = np.searchsorted(classes, y) (sklearn LabelEncoder)."),
    ("cce_units", "categorical_crossentropy", "softmax", ONE_HOT, {"output_units": 2},
     "categorical_crossentropy with output_units=2, but y has 3 columns. Fix: use 3 output units (one per class)."),
    ("softmax_one_unit", "sparse_categorical_crossentropy", "softmax", None, {"output_units": 1},
     "sparse_categorical_crossentropy over a single output unit: a softmax of one unit is always 1, so nothing is learned. "
     "Fix: use one unit per class (2 for two classes), or 1 sigmoid unit with binary_crossentropy."),
    # logits vs probabilities
    ("softmax_with_logits", "categorical_crossentropy", "softmax", None, {"from_logits": True},
     "a softmax output feeding categorical_crossentropy with from_logits=True: the loss applies softmax itself, so the outputs "
     "are squashed twice. Fix: use a linear output layer (logits), or set from_logits=False."),
    ("sigmoid_with_logits_alias", "BCEWithLogitsLoss", "sigmoid", None, {},
     "a sigmoid output feeding binary_crossentropy with from_logits=True: the loss applies sigmoid itself, so the outputs "
     "are squashed twice. Fix: use a linear output layer (logits), or set from_logits=False."),
    ("linear_into_bce", "binary_crossentropy", "linear", None, {},
     "a linear output (logits) feeding binary_crossentropy, which expects sigmoid outputs (from_logits=False). "
     "Fix: pass from_logits=True (the stable form), or use a sigmoid output layer."),
    # Poisson's logits switch is log_input, and the message says so.
    ("logits_into_poisson", "poisson", "linear", None, {},
     "a linear output (logits) feeding poisson, which expects exponential or softplus outputs (log_input=False). "
     "Fix: pass log_input=True (the stable form), or use an exponential output layer."),
    ("from_logits_on_mse", "mean_squared_error", "linear", None, {"from_logits": True},
     "mean_squared_error has no from_logits switch: it reads linear outputs as they are. "
     "Fix: drop from_logits=True and give it the output layer it expects."),
    # activations the loss does not fit
    ("sigmoid_into_hinge", "hinge", "sigmoid", None, {},
     "hinge expects a tanh or linear output. Received: output_activation='sigmoid'. Fix: use a tanh or linear output with "
     "targets in {-1, 1} (sigmoid outputs are never negative), or binary_crossentropy with sigmoid."),
    ("softmax_into_bce", "binary_crossentropy", "softmax", None, {},
     "binary_crossentropy expects a sigmoid output. Received: output_activation='softmax'. "
     "Fix: use a sigmoid output layer, or keep softmax and use sparse_categorical_crossentropy (one unit per class)."),
    ("sigmoid_into_cce", "categorical_crossentropy", "sigmoid", None, {},
     "categorical_crossentropy expects a softmax output. Received: output_activation='sigmoid'. "
     "Fix: use a softmax output layer, or for independent labels keep sigmoid and use binary_crossentropy."),
    ("sigmoid_into_mse", "mse", "sigmoid", None, {},
     "mean_squared_error expects a linear output. Received: output_activation='sigmoid'. Fix: use a linear output layer."),
    # domains of regression losses
    ("msle_negative", "msle", "softplus", [-1.0, 2.0, 3.5, 0.5], {},
     "mean_squared_logarithmic_error expects targets >= 0. Received: 1 negative target(s), the smallest -1. "
     "Fix: shift y to y - y.min() (or use mean_squared_error for signed targets)."),
    ("poisson_negative", "poisson", "exponential", np.linspace(-2.0, 5.0, 30), {},
     "poisson expects targets >= 0. Received: 9 negative target(s), the smallest -2. Fix: use mean_squared_error for signed targets."),
    ("cosine_one_column", "cosine_similarity", "linear", [1.0, 2.5, 3.3], {},
     "cosine_similarity compares directions of target vectors. Received: one target column (the direction of a number is only "
     "its sign). Fix: use mean_squared_error, or give vector targets (n, k) with k >= 2."),
    ("mse_units", "mse", "linear", [1.5, 2.5, 3.0], {"output_units": 2},
     "mean_squared_error with output_units=2, but y has one target column. Fix: use 1 output unit."),
    ("gaussian_nll_units", "gaussian_nll", None, [1.0, 2.0, 3.3], {"output_units": 1},
     "gaussian_nll with output_units=1, but y has one target column. Fix: use 2 output units (mean and variance per target)."),
    # KL
    ("kl_rows_not_summing", "kl_divergence", "softmax", [[0.2, 0.9], [0.5, 0.5]], {},
     "kl_divergence expects target rows that sum to 1. Received: 1 of 2 rows that do not (row 0 sums to 1.1). "
     "Fix: normalise them: y = y / y.sum(axis=1, keepdims=True)."),
    ("kl_labels", "kl_divergence", "softmax", [0, 1, 2, 1], {},
     "kl_divergence expects probability rows (n, k). Received: one label column. "
     "Fix: one-hot encode the labels: y = np.eye(k)[y], or use sparse_categorical_crossentropy."),
    ("kl_negative", "kl_divergence", "softmax", [[1.2, -0.2], [0.5, 0.5]], {},
     "kl_divergence expects non-negative target rows. Received: 1 negative value(s), e.g. -0.2. "
     "Fix: pass probabilities, e.g. softmax or normalised counts."),
    # problem kind against the loss
    ("regression_into_bce", "binary_crossentropy", "sigmoid", np.linspace(-3.0, 5.0, 50), {},
     "binary_crossentropy is a classification loss, but y reads as regression: 50 distinct values in [-3, 5]; real-valued. "
     "Fix: use mean_squared_error with a linear output, or bin y into classes first."),
    ("counts_into_sparse", "sparse_categorical_crossentropy", "softmax", np.arange(1.0, 301.0), {},
     "sparse_categorical_crossentropy is a classification loss, but y reads as counts: 300 distinct values in [1, 300]; "
     "non-negative integers from 1, more than 20 distinct values, read as counts, not classes. "
     "Fix: use poisson (or mean_squared_error) with its output layer, or bin y into classes first."),
    ("strings_into_mse", "mean_squared_error", "linear", ["a", "b", "a"], {},
     "mean_squared_error is a regression loss, but y reads as binary: 2 distinct labels {'a', 'b'}, 2 / 1 (minority share 33.3%). "
     "Fix: use binary_crossentropy with 1 sigmoid unit."),
    ("iris_into_mse", "mean_squared_error", "linear", [0, 1, 2] * 10, {},
     "mean_squared_error is a regression loss, but y reads as multiclass: 3 distinct values {0, 1, 2}, 10 / 10 / 10; "
     "at most 20 distinct integers, each seen >= 5 times: read as classes. Fix: use sparse_categorical_crossentropy with "
     "3 softmax units (if these integers are quantities, not classes, pass kind='regression')."),
    ("one_hot_into_huber", "huber", "linear", ONE_HOT, {},
     "huber is a regression loss, but y reads as multiclass (one-hot encoded): 3 columns, exactly one 1 per row, 2 / 2 / 2. "
     "Fix: use categorical_crossentropy with 3 softmax units."),
    # the targets themselves
    ("single_class", "binary_crossentropy", "sigmoid", [1, 1, 1], {},
     "binary_crossentropy: y holds a single class: all 3 targets are 1, so there is nothing to learn. "
     "Fix: check how the sample was drawn or split (stratify it), or drop this target."),
    ("nan", "mse", "linear", [1.0, np.nan, 0.5], {},
     "mean_squared_error: expected finite targets. Received: 1 NaN and 0 infinite value(s) in y (of 3). "
     "Fix: drop or impute those samples first."),
    ("empty", "mse", None, [], {},
     "mean_squared_error: expected at least one target. Received: an empty y (shape (0,)). Fix: pass one target per sample."),
    ("mixed_types", "binary_crossentropy", None, np.array(["a", 1], dtype=object), {},
     "binary_crossentropy: expected y to hold labels of one type. Received: mixed types (int, str). "
     "Fix: convert them to one type first, e.g. y.astype(str)."),
    ("softmax_into_sparse_logits", "sparse_categorical_crossentropy", "sigmoid", None, {"from_logits": True},
     "a sigmoid output feeding sparse_categorical_crossentropy with from_logits=True: the loss applies softmax itself, "
     "so the outputs are squashed twice. Fix: use a linear output layer (logits), or set from_logits=False."),
    ("zero_units", "mse", None, None, {"output_units": 0},
     "output_units=0: an output layer needs at least one unit. Fix: give it one unit per class or target column."),
]
@pytest.mark.parametrize("loss, activation, y, kwargs, message", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_refusal(loss, activation, y, kwargs, message):
    with pytest.raises(SetupError) as info:
        check(loss, activation, y, **kwargs)
    err = info.value
    assert str(err) == message
    assert isinstance(err, ValueError)
    assert "\n" not in str(err) and err.fix and err.problem
    assert str(err) == f"{err.problem}. Fix: {err.fix}."


@pytest.mark.parametrize("loss, activation, y, kwargs", [
    ("binary_crossentropy", "sigmoid", [0, 1, 1, 0], {"output_units": 1}),
    ("binary_crossentropy", "linear", [0, 1, 1, 0], {"from_logits": True, "output_units": 1}),
    ("BCEWithLogitsLoss", "none", [0.0, 1.0], {}),
    ("binary_crossentropy", "sigmoid", [True, False, True], {}),
    ("binary_crossentropy", "sigmoid", [0.1, 0.8, 0.55, 0.3], {}),  # soft targets
    ("binary_crossentropy", "sigmoid", [[0, 1, 1], [1, 0, 1], [0, 0, 1]], {"output_units": 3}),  # multi-label
    ("hinge", "tanh", [-1, 1, 1, -1], {"output_units": 1}),
    ("squared_hinge", "linear", [[-1, 1], [1, 1], [1, -1]], {"output_units": 2}),
    ("sparse_categorical_crossentropy", "softmax", [0, 1, 2, 2, 1, 0], {"output_units": 3}),
    ("sparse_categorical_crossentropy", "linear", [0, 1, 2, 2, 1, 0], {"from_logits": True}),
    ("sparse_categorical_crossentropy", "softmax", [0, 1, 1, 0], {"output_units": 2}),
    ("categorical_crossentropy", "softmax", ONE_HOT, {"output_units": 3}),
    ("categorical_crossentropy", "softmax", RNG.dirichlet([1, 1, 1], size=5), {}),
    ("kl_divergence", "softmax", RNG.dirichlet([1, 1, 1], size=5), {"output_units": 3}),
    ("mean_squared_error", "linear", RNG.normal(size=50), {"output_units": 1}),
    ("mean_squared_error", "identity", RNG.normal(size=(50, 3)), {"output_units": 3}),
    ("mean_squared_error", "linear", [0, 1, 2] * 10, {"kind": "regression"}),  # integer quantities, said so
    ("msle", "softplus", np.exp(RNG.normal(size=40)), {}),
    ("poisson", "exponential", RNG.poisson(3.0, size=200), {}),
    ("poisson", "linear", RNG.poisson(3.0, size=200), {"from_logits": True}),  # log_input=True
    ("gaussian_nll", None, RNG.normal(size=30), {"output_units": 2}),
    ("cosine_similarity", "linear", RNG.normal(size=(20, 3)), {}),
    ("binary_crossentropy", None, None, {}),
    ("hinge", "Tanh", None, {}),
])
def test_setups_that_work_pass(loss, activation, y, kwargs):
    assert check(loss, activation, y, **kwargs) is None


def test_check_accepts_a_spec_and_pandas():
    spec = losses.get("binary_crossentropy", from_logits=True)
    assert check(spec, "linear", pd.Series([0, 1, 1])) is None
    with pytest.raises(SetupError, match="squashed twice"):
        check(spec, "sigmoid")


def test_unknown_loss_is_the_registry_error():
    with pytest.raises(ValueError, match="unknown loss 'hingee'.*hinge"):
        check("hingee", "tanh")
