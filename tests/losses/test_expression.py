"""The one parser of loss text (losslab.losses.expression): lists, sums, parameters, caps."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

from losslab import losses
from losslab.losses import expression as ex
from losslab.losses.expression import Call, Symbol


# ---------------------------------------------------------------- comma lists
@pytest.mark.parametrize(("text", "parts"), [
    ("mse,huber(delta=2),0.7*mse+0.3*mae,my.py:f", ["mse", "huber(delta=2)", "0.7*mse+0.3*mae", "my.py:f"]),
    ("focal(gamma=3, alpha=0.5), cce(class_weight=[1, 2, 3])", ["focal(gamma=3, alpha=0.5)", "cce(class_weight=[1, 2, 3])"]),
    ("f.py:g(mode='a,b'), mae", ["f.py:g(mode='a,b')", "mae"]),
    (" mse , , mae ,", ["mse", "mae"]),
])
def test_split_cuts_only_at_top_level_commas(text, parts):
    assert ex.split(text) == parts


# ---------------------------------------------------------------- sums and calls
def test_parse_reads_terms_calls_and_values():
    terms = ex.parse("0.7*mse + w*huber(delta=2, on=true, ws=[1, -2.5], mode='x', d=d0)")
    assert [t.text for t in terms] == ["0.7*mse", "w*huber(delta=2, on=true, ws=[1, -2.5], mode='x', d=d0)"]
    assert terms[0].factors == (0.7, Symbol("mse"))
    assert terms[1].factors == (Symbol("w"), Call("name", "huber", (("delta", 2), ("on", True), ("ws", (1, -2.5)), ("mode", "x"),
                                                                    ("d", Symbol("d0")))))
    assert ex.parse("my_losses.py:f(q=0.9)")[0].factors == (Call("ref", "my_losses.py:f", (("q", 0.9),)),)
    assert ex.symbols("mse+w*huber(delta=d)") == {"mse", "w", "d"}
    assert ex.symbols("not ( an expression") == set()


@pytest.mark.parametrize("text", ["__import__('os').system('true')", "mse+eval('1')", "().__class__", "mse;import os"])
def test_code_is_never_evaluated(text):
    with pytest.raises(ValueError):
        losses.get(text)


# ---------------------------------------------------------------- parameter values
def test_coerce_gives_one_form_per_value():
    assert ex.coerce("huber", {"delta": 2}, {"delta": 1.0}) == {"delta": 2.0}
    assert type(ex.coerce("huber", {"delta": 2}, {"delta": 1.0})["delta"]) is float
    assert ex.coerce("multi_margin", {"p": 2}, {"p": 1}) == {"p": 2}
    assert ex.coerce("cce", {"class_weight": [1, 2]}, {"class_weight": None}) == {"class_weight": (1.0, 2.0)}
    assert ex.coerce("cce", {"class_weight": np.array([1.0, 2.0])}, {"class_weight": None}) == {"class_weight": (1.0, 2.0)}
    assert ex.coerce("bce", {"pos_weight": 3}, {"pos_weight": None}) == {"pos_weight": 3.0}
    with pytest.raises(ValueError, match=r"expected bce parameter from_logits to be bool, e\.g\. from_logits=False\. Received: from_logits=1"):
        ex.coerce("bce", {"from_logits": 1}, {"from_logits": False})
    with pytest.raises(ValueError, match=r"expected huber parameter delta to be float"):
        ex.coerce("huber", {"delta": "abc"}, {"delta": 1.0})


def test_short_labels_never_print_16_digits():
    assert ex.short(28.571428571428573) == "28.57"
    assert ex.short(2.0) == "2.0" and ex.short(0.1) == "0.1" and ex.short(1e-7) == "1e-07"
    assert ex.short((0.3333333333333333, 2.0)) == "[0.3333, 2.0]"
    assert ex.short(True) == "True" and ex.short(None) == "None" and ex.short(3) == "3"


# ---------------------------------------------------------------- caps
def _assert_short_error(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    assert len(str(err.value)) < 300 and "\n" not in str(err.value)
    return str(err.value)


def test_a_100_kb_expression_is_refused_in_one_short_line():
    text = "+".join(["0.1*mse"] * 12_500)  # 100 kB, 12,500 terms
    message = _assert_short_error(lambda: losses.get(text), r"expected at most 2,000 characters")
    assert "(99,999 characters)" in message
    message = _assert_short_error(lambda: losses.composite(text), r"expected at most 2,000 characters")
    assert message.startswith("composite '0.1*mse+0.1*mse")
    _assert_short_error(lambda: losses.get("m" * 100_000), r"expected at most 2,000 characters")  # no catalog lookup either


def test_more_than_32_terms_are_refused():
    assert losses.get("+".join(["0.03125*mse"] * 32)).name  # 32 terms pass
    _assert_short_error(lambda: losses.get("+".join(["0.03*mse"] * 33)), r"expected at most 32 terms")


def test_3000_nested_parentheses_give_an_error_under_200_characters():
    for text in ["(" * 3000 + "mse" + ")" * 3000, "huber(delta=" + "[" * 20 + "1" + "]" * 20 + ")"]:
        with pytest.raises(ValueError) as err:
            losses.get(text)
        assert len(str(err.value)) < 200, str(err.value)
    _assert_short_error(lambda: ex.parse("huber(delta=" + "[" * 20 + "1" + "]" * 20 + ")"), r"nests brackets 21 deep; expected at most 16")


def test_a_sweep_is_at_most_50_values():
    assert len(losses.sweep("mse+w*mae", {"w": list(range(50))})) == 50
    values = ",".join(str(i) for i in range(1000))
    _assert_short_error(lambda: losses.sweep("mse+w*mae", f"w={values}"), r"expected at most 50 values in a sweep.*Received: 1,000")
    _assert_short_error(lambda: losses.sweep("mse+w*huber(delta=d)", "w=" + ",".join(map(str, range(10))) + ";d=1,2,3,4,5,6"),
                        r"Received: 60")
    with pytest.raises(ValueError, match=r"expected finite numbers for w"):
        ex.grid("mse+w*mae", "w=0,inf")


def test_docstring_examples_run():
    result = doctest.testmod(importlib.import_module("losslab.losses.expression"), optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 8 and result.failed == 0


def test_a_list_of_numbers_in_parentheses_is_the_same_as_in_brackets():
    # The advisor prints class weights as Python writes a tuple; the parser reads them back.
    from losslab.losses.expression import parse

    (bracket,) = parse("sparse_categorical_crossentropy(class_weight=[5.411, 0.7109, 12.7])")
    (paren,) = parse("sparse_categorical_crossentropy(class_weight=(5.411, 0.7109, 12.7))")
    assert bracket.factors == paren.factors
    (call,) = paren.factors
    assert dict(call.arguments)["class_weight"] == (5.411, 0.7109, 12.7)
