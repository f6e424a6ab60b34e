"""The one parser of loss text (losslab.losses.expression): lists, sums, calls, caps."""

from __future__ import annotations

import doctest
import importlib

import pytest

from losslab import losses
from losslab.losses import expression as ex
from losslab.losses.expression import Call, Symbol
from short_error import assert_short_error  # tests/losses/short_error.py


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


# ---------------------------------------------------------------- caps
def test_a_100_kb_expression_is_refused_in_one_short_line():
    text = "+".join(["0.1*mse"] * 12_500)  # 100 kB, 12,500 terms
    message = assert_short_error(lambda: losses.get(text), r"expected at most 2,000 characters")
    assert "(99,999 characters)" in message
    message = assert_short_error(lambda: losses.composite(text), r"expected at most 2,000 characters")
    assert message.startswith("composite '0.1*mse+0.1*mse")
    assert_short_error(lambda: losses.get("m" * 100_000), r"expected at most 2,000 characters")  # no catalog lookup either


def test_more_than_32_terms_are_refused():
    assert losses.get("+".join(["0.03125*mse"] * 32)).name  # 32 terms pass
    assert_short_error(lambda: losses.get("+".join(["0.03*mse"] * 33)), r"expected at most 32 terms")


def test_3000_nested_parentheses_give_an_error_under_200_characters():
    for text in ["(" * 3000 + "mse" + ")" * 3000, "huber(delta=" + "[" * 20 + "1" + "]" * 20 + ")"]:
        with pytest.raises(ValueError) as err:
            losses.get(text)
        assert len(str(err.value)) < 200, str(err.value)
    assert_short_error(lambda: ex.parse("huber(delta=" + "[" * 20 + "1" + "]" * 20 + ")"), r"nests brackets 21 deep; expected at most 16")


def test_docstring_examples_run():
    # The parser's examples here, the values' and the sweeps' in their modules: 9 in all, as before the split.
    attempted = 0
    for name, least in (("expression", 4), ("values", 4), ("sweeps", 1)):
        result = doctest.testmod(importlib.import_module(f"losslab.losses.{name}"), optionflags=doctest.ELLIPSIS)
        assert result.attempted >= least and result.failed == 0, name
        attempted += result.attempted
    assert attempted >= 8


def test_a_list_of_numbers_in_parentheses_is_the_same_as_in_brackets():
    # The advisor prints class weights as Python writes a tuple; the parser reads them back.
    from losslab.losses.expression import parse

    (bracket,) = parse("sparse_categorical_crossentropy(class_weight=[5.411, 0.7109, 12.7])")
    (paren,) = parse("sparse_categorical_crossentropy(class_weight=(5.411, 0.7109, 12.7))")
    assert bracket.factors == paren.factors
    (call,) = paren.factors
    assert dict(call.arguments)["class_weight"] == (5.411, 0.7109, 12.7)
