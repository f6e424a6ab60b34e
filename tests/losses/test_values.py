"""Parameter values in one canonical form (losslab.losses.values): the type of their defaults,
tuples for lists and arrays, the short text a label shows."""

from __future__ import annotations

import numpy as np
import pytest

from losslab.losses import values


def test_coerce_gives_one_form_per_value():
    assert values.coerce("huber", {"delta": 2}, {"delta": 1.0}) == {"delta": 2.0}
    assert type(values.coerce("huber", {"delta": 2}, {"delta": 1.0})["delta"]) is float
    assert values.coerce("multi_margin", {"p": 2}, {"p": 1}) == {"p": 2}
    assert values.coerce("cce", {"class_weight": [1, 2]}, {"class_weight": None}) == {"class_weight": (1.0, 2.0)}
    assert values.coerce("cce", {"class_weight": np.array([1.0, 2.0])}, {"class_weight": None}) == {"class_weight": (1.0, 2.0)}
    assert values.coerce("bce", {"pos_weight": 3}, {"pos_weight": None}) == {"pos_weight": 3.0}
    with pytest.raises(ValueError, match=r"expected bce parameter from_logits to be bool, e\.g\. from_logits=False\. Received: from_logits=1"):
        values.coerce("bce", {"from_logits": 1}, {"from_logits": False})
    with pytest.raises(ValueError, match=r"expected huber parameter delta to be float"):
        values.coerce("huber", {"delta": "abc"}, {"delta": 1.0})


def test_short_labels_never_print_16_digits():
    assert values.short(28.571428571428573) == "28.57"
    assert values.short(2.0) == "2.0" and values.short(0.1) == "0.1" and values.short(1e-7) == "1e-07"
    assert values.short((0.3333333333333333, 2.0)) == "[0.3333, 2.0]"
    assert values.short(True) == "True" and values.short(None) == "None" and values.short(3) == "3"


def test_canonical_and_number_give_one_text_per_value():
    assert values.canonical([1, [2.0, np.float32(0.5)]]) == (1, (2.0, 0.5))
    assert values.canonical(np.array([1.0, 2.0])) == (1.0, 2.0) and values.canonical("ab") == "ab"
    assert type(values.canonical(np.int64(3))) is int
    assert [values.number(v) for v in (2.0, 0.1, 1e-7, -3.5)] == ["2", "0.1", "1e-07", "-3.5"]
    assert float(values.number(0.1 + 0.2)) == 0.1 + 0.2  # shortest text that reads back as the same float
