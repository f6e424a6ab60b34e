"""The one parser of loss text: ``name(k=v, ...)``, weighted sums and comma lists.

Everything a user writes to name a loss is read here, and nothing is ``eval``-ed::

    list       := expression ("," expression)*     commas outside parentheses, brackets and quotes
    expression := term (("+" | "-") term)*
    term       := factor ("*" factor)*
    factor     := number | symbol | loss
    loss       := name [arguments] | reference [arguments]
    arguments  := "(" [name "=" value ("," name "=" value)*] ")"
    value      := ["-"] number | symbol | true | false | none | 'text' | "[" number ("," number)* "]"
                | "(" number ("," number)* ")"
    reference  := path.py ":" function | package.module ":" function

What the names mean (a catalog loss or a symbol) is decided by :mod:`.composite`; this
module only reads the shape. Parameter values are made the type of their defaults once,
in :func:`.values.coerce` (``delta=2`` is ``delta=2.0``, so one loss has one label and one
study); the values of a sweep (``w=0,0.5,1``) are read by :mod:`.sweeps`.

Caps keep absurd input from reaching training: an expression of at most
:data:`MAX_LENGTH` characters, :data:`MAX_TERMS` terms and :data:`MAX_DEPTH` nested
brackets. Imports nothing of losslab's.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

MAX_LENGTH = 2_000
MAX_TERMS = 32
MAX_DEPTH = 16

SHAPE = "Write terms as [weight *] loss joined by +, e.g. '0.7*mse+0.3*mae' or 'mse+w*huber(delta=2)'."
_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<ref>(?:[\w.~/\\]+\.py|[A-Za-z_][\w.]*):[A-Za-z_]\w*)
    | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<name>[A-Za-z_]\w*)
    | (?P<text>'[^']*'|"[^"]*")
    | (?P<op>[-+*(),=\[\]])
    """,
    re.VERBOSE,
)
_WORDS = {"true": True, "false": False, "none": None}
_OPEN, _CLOSE = "([", ")]"


# ---------------------------------------------------------------- what a parse gives
@dataclasses.dataclass(frozen=True)
class Symbol:
    """A name that is not (yet) known to be a loss: a weight or parameter to be given a value."""

    name: str


@dataclasses.dataclass(frozen=True)
class Call:
    """A loss as written: ``kind`` is ``"name"`` (catalog) or ``"ref"`` (a user's function)."""

    kind: str
    text: str
    arguments: tuple[tuple[str, Any], ...] = ()


@dataclasses.dataclass(frozen=True)
class Term:
    """``sign * factor * factor ...`` and the text it was read from."""

    sign: int
    factors: tuple[float | Symbol | Call, ...]
    text: str


def shown(text: str, limit: int = 60) -> str:
    """``text`` quoted for an error message, cut to ``limit`` characters (an error stays one short line)."""
    if len(text) <= limit:
        return repr(text)
    return repr(text[: limit - 20] + "...") + f" ({len(text):,} characters)"


def _check_size(text: str, what: str) -> None:
    if len(text) > MAX_LENGTH:
        raise ValueError(f"{what} {shown(text)}: expected at most {MAX_LENGTH:,} characters. "
                         "Name fewer losses, or compare the parts as separate candidates.")
    depth = deepest = 0
    for ch in text:
        depth += (ch in _OPEN) - (ch in _CLOSE)
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        raise ValueError(f"{what} {shown(text)}: nests brackets {deepest} deep; expected at most {MAX_DEPTH}, as in huber(delta=2).")


# ---------------------------------------------------------------- comma lists
def split(text: str) -> list[str]:
    """Split a comma list of losses at the commas outside parentheses, brackets and quotes.

    >>> split("mse, huber(delta=2), 0.7*mse+0.3*mae, my.py:f, focal(gamma=3,alpha=0.5)")
    ['mse', 'huber(delta=2)', '0.7*mse+0.3*mae', 'my.py:f', 'focal(gamma=3,alpha=0.5)']
    """
    if len(text) > MAX_LENGTH * MAX_TERMS:
        raise ValueError(f"losses {shown(text)}: expected at most {MAX_LENGTH * MAX_TERMS:,} characters in the list of losses.")
    parts, current, depth, quote = [], [], 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
        elif ch == "," and depth <= 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


# ---------------------------------------------------------------- expressions
def _tokens(text: str, what: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ValueError(f"{what} {shown(text)}: unexpected character {text[pos]!r} at position {pos}. {SHAPE}")
        if m.lastgroup != "space":
            out.append((m.lastgroup, m.group(), pos))
        pos = m.end()
    return out


def parse(text: str, *, what: str = "loss expression") -> tuple[Term, ...]:
    """The terms of a weighted sum, as written; ``what`` names the text in errors.

    >>> [t.text for t in parse("0.7*mse + 0.3*huber(delta=2)")]
    ['0.7*mse', '0.3*huber(delta=2)']
    >>> parse("huber(delta=2)")[0].factors
    (Call(kind='name', text='huber', arguments=(('delta', 2),)),)
    """
    if not isinstance(text, str):
        raise TypeError(f"{what}: expected a string such as '0.7*mse+0.3*mae'. Received: {type(text).__name__}.")
    text = text.strip()
    _check_size(text, what)
    return _Parser(text, what).expression()


class _Parser:
    """Recursive descent over the token list; each method reads one rule of the grammar."""

    def __init__(self, text: str, what: str) -> None:
        self.text, self.what, self.tokens, self.i = text, what, _tokens(text, what), 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str, int] | None:
        tok = self.peek()
        self.i += tok is not None
        return tok

    def fail(self, expected: str) -> ValueError:
        tok = self.peek()
        before = self.tokens[self.i - 1][1] if self.i else None
        at = f" after {before!r}" if before else ""
        if tok is None:
            return ValueError(f"{self.what} {shown(self.text)}: expected {expected}{at} at the end of the expression. {SHAPE}")
        return ValueError(f"{self.what} {shown(self.text)}: expected {expected}{at} (position {tok[2]}). Received: {tok[1]!r}. {SHAPE}")

    def is_op(self, op: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] == "op" and tok[1] == op

    def expression(self) -> tuple[Term, ...]:
        if not self.tokens:
            raise ValueError(f"{self.what} {shown(self.text)}: expected an expression. {SHAPE}")
        terms = [self.term(+1)]
        while self.peek() is not None:
            if not (self.is_op("+") or self.is_op("-")):
                raise self.fail("'+' between terms or '*' within one")
            sign = +1 if self.take()[1] == "+" else -1
            if len(terms) == MAX_TERMS:
                raise ValueError(f"{self.what} {shown(self.text)}: expected at most {MAX_TERMS} terms. "
                                 "A sum of that many losses cannot be tuned by comparison; keep the few that matter.")
            terms.append(self.term(sign))
        return tuple(terms)

    def term(self, sign: int) -> Term:
        if self.is_op("-"):
            self.take()
            sign = -sign
        start = self.peek()[2] if self.peek() is not None else len(self.text)
        factors = [self.factor()]
        while self.is_op("*"):
            self.take()
            factors.append(self.factor())
        last = self.tokens[self.i - 1]
        return Term(sign, tuple(factors), self.text[start:last[2] + len(last[1])])

    def factor(self) -> float | Symbol | Call:
        tok = self.peek()
        if tok is None or tok[0] in ("op", "text"):
            raise self.fail("a loss, a number or a symbol")
        self.take()
        kind, text, _ = tok
        if kind == "number":
            return float(text)
        if kind == "ref":
            return Call("ref", text, self.arguments())
        if self.is_op("("):
            return Call("name", text, self.arguments())
        return Symbol(text)

    def arguments(self) -> tuple[tuple[str, Any], ...]:
        if not self.is_op("("):
            return ()
        self.take()
        out: list[tuple[str, Any]] = []
        while not self.is_op(")"):
            if out:
                if not self.is_op(","):
                    raise self.fail("',' or ')' in the loss's arguments")
                self.take()
            name = self.peek()
            if name is None or name[0] != "name":
                raise self.fail("a parameter name, as in huber(delta=2) (parameters are name=value)")
            self.take()
            if not self.is_op("="):
                raise self.fail(f"'=' after the parameter {name[1]!r} (parameters are name=value)")
            self.take()
            out.append((name[1], self.value(name[1])))
        self.take()
        return tuple(out)

    def value(self, key: str) -> Any:
        # A list of numbers in brackets, or in parentheses as Python writes a tuple
        # (class_weight=(5.41, 0.71)): the same value.
        for opening, closing in (("[", "]"), ("(", ")")):
            if self.is_op(opening):
                self.take()
                items: list[float] = []
                while not self.is_op(closing):
                    if items:
                        if not self.is_op(","):
                            raise self.fail(f"',' or '{closing}' in a list of numbers")
                        self.take()
                    items.append(self.number(key))
                self.take()
                return tuple(items)
        tok = self.peek()
        if tok is not None and tok[0] == "name":
            self.take()
            return _WORDS[tok[1].lower()] if tok[1].lower() in _WORDS else Symbol(tok[1])
        if tok is not None and tok[0] == "text":
            self.take()
            return tok[1][1:-1]
        return self.number(key)

    def number(self, key: str) -> float | int:
        sign = 1
        if self.is_op("-"):
            self.take()
            sign = -1
        tok = self.peek()
        if tok is None or tok[0] != "number":
            raise self.fail("a number")
        self.take()
        # Integral parameters stay int (multi_margin's p=1), as a Python literal would; coerce() makes
        # them float where the default is.
        return sign * int(tok[1]) if tok[1].isdigit() else sign * float(tok[1])


def symbols(text: str) -> set[str]:
    """The bare names of an expression (weights and parameter values that are not numbers),
    or an empty set where ``text`` is no expression.

    >>> sorted(symbols("mse+w*huber(delta=d)"))
    ['d', 'mse', 'w']
    """
    try:
        terms = parse(text)
    except (TypeError, ValueError):
        return set()
    found = set()
    for term in terms:
        for f in term.factors:
            if isinstance(f, Symbol):
                found.add(f.name)
            elif isinstance(f, Call):
                found.update(v.name for _, v in f.arguments if isinstance(v, Symbol))
    return found

