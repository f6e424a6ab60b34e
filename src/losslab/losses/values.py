"""Parameter values in one canonical form: the type of their defaults (``delta=2`` is
``delta=2.0``), tuples for lists and arrays, and the short text a label shows.

One loss has one label and one study whatever way its parameters were written (a Python
literal, the command line, JSON read back from a store). Imports the parser's
:class:`~.expression.Symbol` only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .expression import Symbol


def coerce(loss: str, params: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters of the type of their defaults, in one canonical form.

    ``delta=2`` is ``delta=2.0``, a list of weights is a tuple of floats, and a value of the
    wrong kind (``from_logits=1``, ``delta='abc'``) is refused here rather than halfway
    through training. Names the loss does not have pass through, for the spec to refuse.

    >>> coerce("huber", {"delta": 2}, {"delta": 1.0})
    {'delta': 2.0}
    >>> coerce("cce", {"class_weight": [1, 2]}, {"class_weight": None})
    {'class_weight': (1.0, 2.0)}
    """
    out = {}
    for key, value in params.items():
        default = defaults.get(key)
        value = canonical(value)
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, (int, float)):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            if ok and isinstance(default, float):
                value = float(value)
        elif isinstance(default, str):
            ok = isinstance(value, str)
        else:
            ok = value != "" and not isinstance(value, Symbol)
            # A weight written 2 is the weight 2.0: one loss, one label.
            if isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            elif isinstance(value, tuple):
                value = tuple(float(x) if isinstance(x, int) and not isinstance(x, bool) else x for x in value)
        if not ok:
            expected = type(default).__name__ if default is not None else "a value"
            raise ValueError(f"expected {loss} parameter {key} to be {expected}, e.g. {key}={default!r}. Received: {key}={value!r}.")
        out[key] = value
    return out


def canonical(value: Any) -> Any:
    """One form per value: NumPy scalars as Python numbers, lists and arrays as tuples.

    A stored study reads its parameters back from JSON (lists); the study that wrote them
    held tuples. Both must give the same candidate and the same label.
    """
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()  # NumPy arrays and scalars, torch tensors
    if isinstance(value, (list, tuple)):
        return tuple(canonical(v) for v in value)
    return value


def number(x: float) -> str:
    """Shortest text that reads back as the same float; integral values without '.0'.

    >>> number(2.0), number(0.1), number(1e-7)
    ('2', '0.1', '1e-07')
    """
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def short(value: Any) -> str:
    """A parameter value for a label: floats to 4 significant digits (``28.57``, never 16),
    integral floats with ``.0`` (``2.0``), lists in brackets.

    >>> short(28.571428571428573), short(2.0), short((1.0, 2.5)), short(True), short(3)
    ('28.57', '2.0', '[1.0, 2.5]', 'True', '3')
    """
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(short(v) for v in value) + "]"
    if isinstance(value, float):
        text = format(value, ".4g")
        return text + ".0" if re.fullmatch(r"-?\d+", text) else text
    if isinstance(value, str):
        return repr(value)
    return str(value)

