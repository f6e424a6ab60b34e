"""Composite losses: weighted sums of catalog and user-defined losses, written as expressions.

``"0.7*mse+0.3*mae"``, ``"mse+w*huber(delta=2)"``, ``"0.5*my_losses.py:trimmed_mse+0.5*mae"``.
The grammar is :mod:`losslab.losses.expression`'s (nothing is ``eval``-ed); here each
term gets its meaning: exactly one factor of a term is a loss. A *name* is any catalog name or alias (``mse``, ``MeanAbsoluteError``, ``huber_loss``); any
other identifier is a *symbol* whose value comes from keyword arguments
(``composite("mse+w*mae", w=0.3)``) or from :func:`sweep`. Weights multiply: ``0.5*w*mae``
weighs ``mae`` by ``0.5 * w``. ``-`` parses only to be refused: a negative weight rewards the
network for making that loss large, so the sum can fall without bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from . import expression as ex
from . import registry, sweeps
from .expression import SHAPE as _SHAPE
from .expression import Call as _Loss
from .expression import Symbol as _Symbol
from .expression import Term as _Term
from .values import coerce
from .values import number as _number
from .spec import TARGET_ENCODINGS, LossSpec


# ---------------------------------------------------------------- meaning
# A reference to a user's function is read by the caller's loader (losslab.losses.load), passed in:
# this module never imports the code that runs users' files (losslab.losses.lookup wires them together).
Loader = Callable[[str], LossSpec]


def build(expression: str, values: Mapping[str, Any], load: Loader) -> LossSpec:
    """The LossSpec of ``expression`` with its symbols' ``values``: :func:`losslab.losses.composite`.

    >>> from losslab.losses import load
    >>> build("0.7*mse+0.3*mae", {}, load).name
    '0.7*mean_squared_error+0.3*mean_absolute_error'
    >>> build("mse+w*mae", {"w": 0.5}, load).title
    '1 × Mean squared error + 0.5 × Mean absolute error (w=0.5)'
    >>> build("1*huber(delta=2)", {}, load)
    LossSpec('huber', delta=2.0)
    """
    if not isinstance(expression, str):
        raise TypeError(f"composite: expected an expression (str) such as '0.7*mse+0.3*mae'. Received: {type(expression).__name__}.")
    return _Expression(expression, load).build(values)


def build_sweep(expression: str, grid: str | Mapping[str, Sequence[Any]], values: Mapping[str, Any], load: Loader) -> list[LossSpec]:
    """One LossSpec per point of ``grid``: :func:`losslab.losses.sweep`."""
    parsed = _Expression(expression, load)
    axes = sweeps.grid(expression, grid)
    clash = set(axes) & set(values)
    if clash:
        raise ValueError(f"sweep {ex.shown(expression)}: {', '.join(sorted(clash))} is both swept and held fixed. Give it in one place.")
    return [parsed.build({**values, **combo}) for combo in sweeps.combinations(axes)]


class _Expression:
    """A parsed expression; :meth:`build` gives its LossSpec for given symbol values."""

    def __init__(self, text: str, load: Loader) -> None:
        self.text, self.load = text.strip(), load
        self.terms = ex.parse(self.text, what="composite")
        self.loaded: dict[str, LossSpec] = {}  # each reference is read once, so a sweep shares one version

    def build(self, values: Mapping[str, Any]) -> LossSpec:
        used: set[str] = set()
        parts = [self._term(term, values, used) for term in self.terms]
        unused = sorted(set(values) - used)
        if unused:
            raise ValueError(f"composite {ex.shown(self.text)}: got a value for {', '.join(unused)}, which the expression does not use. "
                             "Symbols are the names in it that are not losses.")
        for weight, (spec, _), term in parts:
            if weight < 0:
                raise ValueError(
                    f"composite {ex.shown(self.text)}: expected non-negative weights. Received: {_number(weight)} on {spec.name} (in "
                    f"{term.text!r}). A negative weight rewards the network for making {spec.name} large, so the sum can fall "
                    "without bound; write the terms with + and weights >= 0."
                )
        if all(weight == 0 for weight, _, _ in parts):
            raise ValueError(f"composite {ex.shown(self.text)}: every weight is 0{_given(values)}, so the loss is constant and nothing trains. "
                             "Give at least one term a positive weight.")
        components = [(weight, spec) for weight, (spec, _), _ in parts]
        if len(components) == 1 and components[0][0] == 1.0:
            return components[0][1]
        return _combine(self.text, components, [label for _, (_, label), _ in parts], values)

    def _term(self, term: _Term, values: Mapping[str, Any], used: set[str]) -> tuple[float, tuple[LossSpec, str], _Term]:
        found: list[_Loss] = []
        weight = float(term.sign)
        missing, unknown = [], []
        for f in term.factors:
            if isinstance(f, float):
                weight *= f
            elif isinstance(f, _Loss):
                found.append(f)
            elif f.name in values:
                if registry.lookup(f.name) is not None:
                    raise ValueError(f"composite {ex.shown(self.text)}: {f.name!r} is both a loss and a symbol given a value. Rename the symbol.")
                used.add(f.name)
                weight *= _weight(self.text, f.name, values[f.name])
            elif registry.lookup(f.name) is not None:
                found.append(_Loss("name", f.name))
            else:
                (unknown if registry.suggest(f.name) else missing).append(f.name)
        if not found:
            name = (unknown or missing)[-1] if unknown or missing else None
            if name is None:
                raise ValueError(f"composite {ex.shown(self.text)}: the term {term.text!r} names no loss. {_SHAPE}")
            raise ValueError(f"composite {ex.shown(self.text)}: unknown loss {name!r} in the term {term.text!r}.{registry.suggest(name)} "
                             "Run `losslab losses` for the catalog; for your own function write file.py:function.")
        if len(found) > 1:
            raise ValueError(f"composite {ex.shown(self.text)}: the term {term.text!r} multiplies the losses "
                             f"{' and '.join(f.text for f in found)}. Join losses with +.")
        if unknown or missing:
            name = (unknown + missing)[0]
            raise ValueError(
                f"composite {ex.shown(self.text)}: needs a value for the symbol {name!r} (in {term.text!r}). Pass it, "
                f"losses.composite({self.text!r}, {name}=0.3), or sweep it: losses.sweep({self.text!r}, '{name}=0,0.1,0.3,1')."
            )
        return weight, self._loss(found[0], values, used), term

    def _loss(self, loss: _Loss, values: Mapping[str, Any], used: set[str]) -> tuple[LossSpec, str]:
        arguments = {}
        for key, value in loss.arguments:
            if isinstance(value, _Symbol):
                if value.name not in values:
                    raise ValueError(f"composite {ex.shown(self.text)}: needs a value for the symbol {value.name!r} "
                                     f"(in {loss.text}({key}={value.name})). Pass it: losses.composite(..., {value.name}=...).")
                used.add(value.name)
                value = values[value.name]
            arguments[key] = value
        if loss.kind == "ref":
            if loss.text not in self.loaded:
                self.loaded[loss.text] = self.load(loss.text)
            spec = self.loaded[loss.text]
            arguments = coerce(spec.name, arguments, spec.params)
            spec = spec.with_params(**arguments) if arguments else spec
        else:
            base = registry.lookup(loss.text)
            if base is None:
                raise ValueError(f"composite {ex.shown(self.text)}: unknown loss {loss.text!r}.{registry.suggest(loss.text)} "
                                 "Run `losslab losses` for the catalog.")
            arguments = coerce(base.name, arguments, base.params)
            spec = base.with_params(**arguments) if arguments else base
        return spec, _label(spec, arguments)


def _weight(text: str, name: str, value: Any) -> float:
    try:
        w = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"composite {ex.shown(text)}: expected a number for {name}. Received: {name}={value!r}.") from None
    if not math.isfinite(w):
        raise ValueError(f"composite {ex.shown(text)}: expected a finite number for {name}. Received: {name}={value!r}.")
    return w


def _given(values: Mapping[str, Any]) -> str:
    return f" (with {_assignments(values)})" if values else ""


def _assignments(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={_number(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v}" for k, v in values.items())


# ---------------------------------------------------------------- the spec
def _combine(text: str, components: list[tuple[float, LossSpec]], labels: list[str], values: Mapping[str, Any]) -> LossSpec:
    first, a = components[0][1], labels[0]
    activations = list(first.output_activations)
    problems = list(first.problem_types)
    for (_, other), b in zip(components[1:], labels[1:]):
        reasons = []
        if other.target_encoding != first.target_encoding:
            reasons.append(f"{a} expects targets as {TARGET_ENCODINGS[first.target_encoding]} ({first.target_encoding}), "
                           f"{b} as {TARGET_ENCODINGS[other.target_encoding]} ({other.target_encoding})")
        elif other.shape_rule != first.shape_rule:
            reasons.append(f"{a} takes targets shaped {first.shape_rule!r}, {b} {other.shape_rule!r}")
        shared = [x for x in activations if x in other.output_activations]
        if not shared:
            reasons.append(f"{a} expects a {' or '.join(activations)} output layer, {b} a {' or '.join(other.output_activations)} one")
        if reasons:
            raise ValueError(f"composite {ex.shown(text)}: {a} and {b} cannot be summed: {'; and '.join(reasons)}. "
                             "Combine losses made for the same output layer and targets (e.g. 0.7*mse+0.3*mae), or compare them as "
                             "separate candidates.")
        activations = shared
        problems = [p for p in problems if p in other.problem_types] or problems
    name = "+".join(label if w == 1.0 else f"{_number(w)}*{label}" for (w, _), label in zip(components, labels))
    active = tuple((w, spec) for w, spec in components if w != 0)
    given = _assignments(values)
    title = " + ".join(f"{_number(w)} × {spec.title}" for w, spec in components) + (f" ({given})" if given else "")
    references = tuple(dict.fromkeys(r for _, spec in components for r in spec.references))
    return LossSpec(
        name=name,
        title=title,
        problem_types=tuple(problems),
        activations=tuple(activations),
        target_encoding=first.target_encoding,
        target_domain=_joined(spec.target_domain for _, spec in components),
        prediction_domain=_joined(spec.prediction_domain for _, spec in components),
        formula=r"\ell(y, \hat y) = " + " + ".join(f"{_number(w)}\\left[{_rhs(spec.formula)}\\right]" for w, spec in components),
        summary=f"A weighted sum of {', '.join(labels)}{f' ({given})' if given else ''}: a training loss of your own design; "
        "compare it with its parts on a held-out metric before trusting it.",
        numpy_kernel=_WeightedSum(active, "numpy"),
        torch_kernel=_WeightedSum(active, "torch"),
        references=references,
        shape_rule=first.shape_rule,
        logits_activations=tuple(activations),
        validate=_ValidateEach(tuple(spec for _, spec in active)),
        notes=(
            f"Composite of {', '.join(labels)}, from the expression {text!r}{f' with {given}' if given else ''}.",
            "Each term keeps its own input checks; terms of weight 0 are neither computed nor checked.",
        ),
        origin="; ".join(dict.fromkeys(spec.origin for _, spec in components if spec.origin)),
        sources={f"{spec.name}: {part}": h for _, spec in components for part, h in spec.sources.items()},
    )


class _WeightedSum:
    """sum_i w_i * kernel_i(y_true, y_pred, **params_i), terms of weight 0 already dropped."""

    def __init__(self, terms: tuple[tuple[float, LossSpec], ...], kind: str) -> None:
        self.terms = tuple((w, getattr(spec, f"{kind}_kernel"), dict(spec.params)) for w, spec in terms)

    def __call__(self, y_true, y_pred):
        total = None
        for w, kernel, params in self.terms:
            part = kernel(y_true, y_pred, **params)
            # Weight 1 skips the product, so "1*mse+0*mae" is mse bit for bit.
            part = part if w == 1.0 else w * part
            total = part if total is None else total + part
        return total


class _ValidateEach:
    def __init__(self, specs: tuple[LossSpec, ...]) -> None:
        self.specs = specs

    def __call__(self, spec: LossSpec, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        for component in self.specs:
            if component.validate is not None:
                component.validate(component, y_true, y_pred)


def _label(spec: LossSpec, arguments: Mapping[str, Any]) -> str:
    """How a component reads in the normalized expression: its name and the parameters that
    differ from the catalog's defaults (for a user's function: the arguments written)."""
    base = registry.lookup(spec.name) if registry.canonical(spec.name) == spec.name else None
    if base is not None:
        changed = [(k, v) for k, v in spec.params.items() if base.params.get(k) != v]
    else:
        changed = list(arguments.items())
    if not changed:
        return spec.name
    return f"{spec.name}({', '.join(f'{k}={_value(v)}' for k, v in changed)})"


def _value(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return _number(float(v)) if isinstance(v, (float, np.floating)) else str(int(v))
    if isinstance(v, (tuple, list, np.ndarray)):
        return "[" + ",".join(_value(x) for x in np.asarray(v).tolist()) + "]"
    return repr(v)


def _rhs(formula: str) -> str:
    head, eq, rest = formula.partition("=")
    return rest.strip() if eq and head.strip().startswith(r"\ell") else formula


def _joined(parts) -> str:
    unique = list(dict.fromkeys(parts))
    return unique[0] if len(unique) == 1 else " and ".join(unique)
