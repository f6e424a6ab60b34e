"""The one parser of loss text: ``name(k=v, ...)``, weighted sums, sweep grids and comma lists.

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
in :func:`coerce` (``delta=2`` is ``delta=2.0``, so one loss has one label and one study).

Caps keep absurd input from reaching training: an expression of at most
:data:`MAX_LENGTH` characters, :data:`MAX_TERMS` terms, :data:`MAX_DEPTH` nested
brackets, and sweeps of at most :data:`MAX_SWEEP` values.

(Slightly over 400 lines on purpose: the grammar, its caps and the canonical value forms
are one job, read together.)
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

MAX_LENGTH = 2_000
MAX_TERMS = 32
MAX_DEPTH = 16
MAX_SWEEP = 50

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


# ---------------------------------------------------------------- parameter values
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


# ---------------------------------------------------------------- sweeps
def grid(expression: str, values: str | Mapping[str, Sequence[Any]]) -> dict[str, list[float]]:
    """The values of each swept symbol: ``"w=0,0.1,0.3,1"``, ``"w=0,1;d=1,2"`` or ``{"w": [0, 1]}``.

    At most :data:`MAX_SWEEP` combinations in all.

    >>> grid("mse+w*mae", "w=0,0.5;d=1,2")
    {'w': [0.0, 0.5], 'd': [1.0, 2.0]}
    """
    example = "e.g. 'w=0,0.1,0.3,1' (several symbols: 'w=0,1;d=1,2')"
    where = f"sweep {shown(expression)}"
    if isinstance(values, str):
        if len(values) > 50 * MAX_LENGTH:  # far beyond any sweep that passes the cap below; refused before splitting
            raise ValueError(f"{where}: expected at most {MAX_SWEEP} values in a sweep. Received: {len(values):,} characters of values.")
        axes: dict[str, list[Any]] = {}
        for part in filter(None, (p.strip() for p in values.split(";"))):
            name, eq, listed = part.partition("=")
            name = name.strip()
            if not eq or not re.fullmatch(r"[A-Za-z_]\w*", name):
                raise ValueError(f"{where}: expected symbol=v1,v2,... {example}. Received: {shown(part)}.")
            axes[name] = [v.strip() for v in listed.split(",")]
    elif isinstance(values, Mapping):
        axes = {str(k): list(v) for k, v in values.items()}
    else:
        raise TypeError(f"{where}: expected the grid as a string, {example}, or a mapping. Received: {type(values).__name__}.")
    if not axes:
        raise ValueError(f"{where}: expected at least one symbol with values, {example}. Received: {values!r}.")
    out = {}
    for name, listed in axes.items():
        try:
            numbers = [float(v) for v in listed]
        except (TypeError, ValueError):
            raise ValueError(f"{where}: expected numbers for {name}, {example}. Received: {shown(repr(listed))}.") from None
        if not numbers:
            raise ValueError(f"{where}: expected at least one value for {name}, {example}.")
        if not all(math.isfinite(v) for v in numbers):
            raise ValueError(f"{where}: expected finite numbers for {name}. Received: {', '.join(map(str, numbers[:5]))}...")
        repeated = sorted({v for v in numbers if numbers.count(v) > 1})
        if repeated:
            raise ValueError(f"{where}: {name} repeats {', '.join(number(v) for v in repeated)}; each value gives one candidate.")
        out[name] = numbers
    size = math.prod(len(v) for v in out.values())
    if size > MAX_SWEEP:
        raise ValueError(f"{where}: expected at most {MAX_SWEEP} values in a sweep (each one trains a candidate). "
                         f"Received: {size:,}. Sweep a coarse grid first, then a fine one around the best value.")
    return out


def combinations(axes: Mapping[str, Sequence[float]]) -> list[dict[str, float]]:
    """Every combination of a grid, the first symbol slowest."""
    names = list(axes)
    return [dict(zip(names, combo)) for combo in itertools.product(*axes.values())]
