"""How to encode (advisor/how_to.py): each one-line instruction, run as the Python it shows,
gives the targets encode_targets gives; targets already encoded are said to be so."""

import numpy as np
import pytest

from losslab.advisor import encode_targets, how_to_encode, infer_problem

_LOSS = {"binary_01": "binary_crossentropy", "binary_pm1": "hinge", "integer_class": "sparse_categorical_crossentropy",
         "one_hot": "categorical_crossentropy"}


@pytest.mark.parametrize(("y", "encoding", "text"), [
    (np.array(["no", "yes", "yes", "no"]), "binary_01", "map {'no', 'yes'} -> {0, 1}: y = (y == 'yes').astype(float)"),
    (np.array([-1, 1, 1, -1]), "binary_01", "map {-1, 1} -> {0, 1}: y = (y + 1) / 2"),
    (np.array([False, True, True]), "binary_01", "map {False, True} -> {0, 1}: y = y.astype(float)"),
    (np.array([0, 1, 1, 0]), "binary_pm1", "map {0, 1} -> {-1, 1}: y = 2*y - 1"),
    (np.array([3, 7, 7, 3]), "binary_pm1", "map {3, 7} -> {-1, 1}: y = np.where(y == 7, 1.0, -1.0)"),
    (np.repeat([1, 2, 3], 6), "integer_class", "map 1 .. 3 -> 0 .. 2: y = y - 1"),
    (np.repeat([0, 5, 9], 6), "integer_class",
     "map the 3 labels {0, 5, 9} -> 0 .. 2: y = np.searchsorted(classes, y) (sklearn LabelEncoder)"),
    (np.repeat([0, 1, 2], 6), "one_hot", "one-hot rows from the 3 labels: y = np.eye(3)[y] (keras.utils.to_categorical)"),
    (np.eye(3)[np.repeat([0, 1, 2], 6)], "integer_class", "class indices from one-hot rows: y = y.argmax(axis=1)"),
])
def test_each_instruction_computes_what_encode_targets_gives(y, encoding, text):
    problem = infer_problem(y)
    assert how_to_encode(problem, encoding) == text
    code = text.split(": y = ", 1)[1].split(" (", 1)[0]
    by_hand = eval(code, {"np": np, "y": y, "classes": np.asarray(problem.classes)})  # our own text, not user input
    np.testing.assert_array_equal(np.asarray(by_hand, dtype=float), np.asarray(encode_targets(y, _LOSS[encoding]).values, dtype=float))


def test_targets_already_encoded_are_said_to_be():
    assert how_to_encode(infer_problem([0, 1, 1, 0]), "binary_01") == "already {0, 1}"
    assert how_to_encode(infer_problem([-1, 1, 1, -1]), "binary_pm1") == "already {-1, 1}"
    assert how_to_encode(infer_problem(np.repeat([0, 1, 2], 6)), "integer_class") == "already 0 .. 2"
    assert how_to_encode(infer_problem(np.eye(3)[[0, 1, 2, 1]]), "one_hot") == "already one-hot"
    assert how_to_encode(infer_problem([0.2, 1.5, 3.0]), "real") == "as is, as floats"
    assert how_to_encode(infer_problem([0, 3, 1, 0, 12, 2, 7]), "counts") == "as is: non-negative counts"
