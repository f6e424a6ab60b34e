"""How to encode: one line telling a user how to turn their ``y`` into the encoding a loss
wants, in NumPy they can paste (``"map {0, 1} -> {-1, 1}: y = 2*y - 1"``).

The text :func:`~losslab.advisor.recommend` shows beside each choice and
:func:`~losslab.advisor.check` puts in its fixes; the arrays themselves are
:func:`~.encode.encode_targets`. Imports the advisor's ``problem`` and ``targets``.
"""

from __future__ import annotations

from typing import Any

from .problem import Problem
from .targets import show


def _lit(v: Any) -> str:
    return repr(v) if isinstance(v, str) else str(v)


def how_to_encode(problem: Problem, encoding: str) -> str:
    """One line saying how to turn the user's ``y`` into ``encoding``, e.g.
    ``"map {0, 1} -> {-1, 1}: y = 2*y - 1"``."""
    classes, form = problem.classes, problem.form
    if encoding == "binary_01":
        if form in ("indicator", "one_hot"):
            return "already 0/1 columns: use y as floats"
        if form != "labels":
            return "targets in [0, 1] (probabilities of the positive class)"
        a, b = classes
        if (a, b) == (0, 1) and not isinstance(a, bool):
            return "already {0, 1}"
        if (a, b) == (False, True):
            return "map {False, True} -> {0, 1}: y = y.astype(float)"
        if (a, b) == (-1, 1):
            return "map {-1, 1} -> {0, 1}: y = (y + 1) / 2"
        return f"map {{{_lit(a)}, {_lit(b)}}} -> {{0, 1}}: y = (y == {_lit(b)}).astype(float)"
    if encoding == "binary_pm1":
        if form in ("indicator", "one_hot"):
            return "map 0/1 columns -> {-1, 1}: y = 2*y - 1"
        a, b = classes
        if (a, b) == (False, True) and isinstance(a, bool):
            return "map {False, True} -> {-1, 1}: y = 2*y.astype(float) - 1"
        if (a, b) == (-1, 1):
            return "already {-1, 1}"
        if (a, b) == (0, 1):
            return "map {0, 1} -> {-1, 1}: y = 2*y - 1"
        return f"map {{{_lit(a)}, {_lit(b)}}} -> {{-1, 1}}: y = np.where(y == {_lit(b)}, 1.0, -1.0)"
    if encoding == "integer_class":
        if form == "one_hot":
            return "class indices from one-hot rows: y = y.argmax(axis=1)"
        k = len(classes)
        if classes == tuple(range(k)):
            return f"already 0 .. {k - 1}"
        if classes == tuple(range(1, k + 1)):
            return f"map 1 .. {k} -> 0 .. {k - 1}: y = y - 1"
        return f"map the {k} labels {show(classes)} -> 0 .. {k - 1}: y = np.searchsorted(classes, y) (sklearn LabelEncoder)"
    if encoding in ("one_hot", "probability_rows"):
        if form == "one_hot":
            return "already one-hot"
        if form == "probability_rows":
            return "already probability rows"
        k = len(classes)
        index = "y" if classes == tuple(range(k)) else "np.searchsorted(classes, y)"
        return f"one-hot rows from the {k} labels: y = np.eye({k})[{index}] (keras.utils.to_categorical)"
    if encoding == "counts":
        return "as is: non-negative counts"
    if encoding == "non_negative":
        return "as is: non-negative targets"
    if encoding == "positive":
        return "as is: positive targets"
    return "as is, as floats"
