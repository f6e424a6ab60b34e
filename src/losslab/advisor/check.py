"""Refuse setups that cannot work, before anything trains: :func:`check`.

Every refusal is a :class:`SetupError` (a ``ValueError``) with one line that names what
is wrong and, after ``Fix:``, the one-line fix. What is checked, in this order:

1. ``from_logits`` on a loss that has no logits switch.
2. The output activation against the loss's metadata (``spec.output_activations``):
   softmax / sigmoid feeding a loss told ``from_logits=True`` (squashed twice); a
   linear output (logits) feeding a loss that expects probabilities; any other
   activation the loss does not list (sigmoid with hinge: hinge wants tanh or linear).
3. Output units that cannot work whatever the targets: a softmax over one unit.
4. With ``y``: no targets, NaN / infinite, a single class (as :func:`infer_problem`
   refuses them); then the targets against the loss's ``target_encoding``: labels
   outside {0, 1} for binary cross-entropy, outside {-1, 1} for hinge, integer labels
   for categorical cross-entropy, one-hot rows for the sparse one, rows not summing to
   1 for KL, negative targets for MSLE and Poisson, a regression target with a
   classification loss and class labels with a regression loss.
5. With ``y`` and ``output_units``: units that do not match the classes or columns
   (binary cross-entropy with two units and one label column, ...).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from .. import losses
from ..losses import LossSpec
from .encode import CLASS_ENCODINGS
from .how_to import how_to_encode
from .inference import infer_problem
from .problem import Problem
from .targets import ROW_SUM_ATOL, Targets, read_targets, show

# How people write the activations, and what the catalog calls them.
_ACTIVATION_ALIASES = {"none": "linear", "identity": "linear", "logits": "linear", "logit": "linear",
                       "exp": "exponential", "logistic": "sigmoid"}
# Activations that squash outputs into probabilities.
_PROBABILITY_ACTIVATIONS = ("sigmoid", "softmax")


class SetupError(ValueError):
    """A loss, output layer and targets that do not go together.

    ``str(err)`` is one line: what is wrong, then ``Fix:`` and the fix. The two parts
    are also on ``err.problem`` and ``err.fix``.
    """

    def __init__(self, problem: str, fix: str) -> None:
        self.problem = " ".join(problem.split()).rstrip(".")
        self.fix = " ".join(fix.split()).rstrip(".")
        super().__init__(f"{self.problem}. Fix: {self.fix}.")


def _a(phrase: str) -> str:
    return ("an " if phrase[:1] in "aeiou" else "a ") + phrase


def _normalize_activation(activation: str) -> str:
    a = str(activation).strip().lower()
    return _ACTIVATION_ALIASES.get(a, a)


def _resolve(loss: str | LossSpec, from_logits: bool | None) -> LossSpec:
    spec = losses.get(loss)
    if from_logits is None:
        return spec
    if spec.logits_param in spec.params:
        return spec.with_params(**{spec.logits_param: bool(from_logits)})
    if from_logits:
        raise SetupError(
            f"{spec.name} has no from_logits switch: it reads {' or '.join(spec.output_activations)} outputs as they are",
            "drop from_logits=True and give it the output layer it expects",
        )
    return spec


def _check_activation(spec: LossSpec, act: str) -> None:
    allowed = spec.output_activations
    if act in allowed:
        return
    name, switch = spec.name, spec.logits_param
    if spec.takes_logits and act in _PROBABILITY_ACTIVATIONS:
        raise SetupError(
            f"a {act} output feeding {name} with {switch}=True: the loss applies {spec.activations[0]} itself, so the outputs are squashed twice",
            f"use a linear output layer (logits), or set {switch}=False",
        )
    if not spec.takes_logits and switch in spec.params and act in spec.logits_activations:
        raise SetupError(
            f"a {act} output (logits) feeding {name}, which expects {' or '.join(allowed)} outputs ({switch}=False)",
            f"pass {switch}=True (the stable form), or use {_a(allowed[0])} output layer",
        )
    fix = f"use {_a(' or '.join(allowed))} output layer"
    if act == "softmax" and spec.target_encoding == "binary_01":
        fix += ", or keep softmax and use sparse_categorical_crossentropy (one unit per class)"
    elif act == "sigmoid" and spec.target_encoding in ("integer_class", "one_hot", "probability_rows"):
        fix += ", or for independent labels keep sigmoid and use binary_crossentropy"
    elif act == "sigmoid" and spec.target_encoding == "binary_pm1":
        fix = f"use {_a(' or '.join(allowed))} output with targets in {{-1, 1}} (sigmoid outputs are never negative), or binary_crossentropy with sigmoid"
    raise SetupError(f"{name} expects {_a(' or '.join(allowed))} output. Received: output_activation={act!r}", fix)


def _check_units_alone(spec: LossSpec, act: str | None, units: int) -> None:
    if units < 1:
        raise SetupError(f"output_units={units}: an output layer needs at least one unit", "give it one unit per class or target column")
    if units == 1 and (act == "softmax" or spec.shape_rule == "class_index"):
        raise SetupError(
            f"{spec.name} over a single output unit: a softmax of one unit is always 1, so nothing is learned",
            "use one unit per class (2 for two classes), or 1 sigmoid unit with binary_crossentropy",
        )


# ---------------------------------------------------------------------- targets
def _read(spec: LossSpec, y: Any, kind: str | None) -> tuple[Targets, Problem]:
    try:
        return read_targets(y), infer_problem(y, kind=kind)
    except (ValueError, TypeError) as err:
        # The refusals of read_targets / infer_problem end with their fix, as one sentence.
        *heads, tail = re.split(r"\. (?=[A-Z])", str(err))
        if not heads:
            heads, tail = [str(err)], "pass one target per sample, as a 1-D or 2-D array"
        raise SetupError(f"{spec.name}: {'. '.join(heads)}", tail[:1].lower() + tail[1:]) from None


def _regression_instead(p: Problem) -> str:
    if p.kind == "counts":
        return "use poisson (or mean_squared_error) with its output layer, or bin y into classes first"
    return "use mean_squared_error with a linear output, or bin y into classes first"


def _classifier_for(p: Problem) -> str:
    if p.kind == "binary":
        fix = "use binary_crossentropy with 1 sigmoid unit"
    elif p.kind == "multilabel":
        fix = f"use binary_crossentropy with {p.n_classes} sigmoid units"
    elif p.kind == "probability_rows":
        fix = f"use kl_divergence with {p.n_classes} softmax units"
    else:
        fix = f"use {'categorical' if p.form == 'one_hot' else 'sparse_categorical'}_crossentropy with {p.n_classes} softmax units"
    if p.form == "labels" and p.integer_valued:
        fix += " (if these integers are quantities, not classes, pass kind='regression')"
    return fix


def _binary_map(p: Problem, encoding: str) -> str:
    return "map with " + how_to_encode(p, encoding).split(": ", 1)[-1]


def _check_binary_01(spec: LossSpec, t: Targets, p: Problem) -> None:
    name = spec.name
    if p.kind == "multiclass" and p.form == "labels":
        raise SetupError(f"{name} is for two classes or 0/1 label columns; y has {p.n_classes} classes {show(p.classes)}",
                         f"use sparse_categorical_crossentropy with {p.n_classes} softmax units")
    if t.labels and t.array.dtype.kind != "b":
        raise SetupError(f"{name} expects numeric targets in {{0, 1}}. Received: labels {show(p.classes)}",
                         f"{_binary_map(p, 'binary_01')} (or losslab.advisor.encode_targets(y, {name!r}))")
    x = t.array.astype(np.float64)
    if x.min() >= 0 and x.max() <= 1:
        return  # {0, 1} labels, 0/1 columns, or soft targets in [0, 1]
    if p.kind == "binary":
        raise SetupError(f"{name} expects targets in {{0, 1}}. Received: {show(p.classes)}", _binary_map(p, "binary_01"))
    if p.kind in ("regression", "counts"):
        raise SetupError(f"{name} is a classification loss, but y reads as {p.evidence}", _regression_instead(p))
    raise SetupError(f"{name} expects targets in [0, 1]. Received: values in [{x.min():g}, {x.max():g}]", "rescale or re-encode y to {0, 1}")


def _check_binary_pm1(spec: LossSpec, t: Targets, p: Problem) -> None:
    name = spec.name
    x = None if t.labels and t.array.dtype.kind != "b" else t.array.astype(np.float64)
    if x is not None and np.isin(x, (-1.0, 1.0)).all():
        return
    if p.kind in ("regression", "counts"):
        raise SetupError(f"{name} is a classification loss, but y reads as {p.evidence}", _regression_instead(p))
    if p.kind == "multiclass" and p.form == "labels":
        raise SetupError(f"{name} is for two classes; y has {p.n_classes} classes {show(p.classes)}",
                         f"use categorical_hinge on one-hot rows, or sparse_categorical_crossentropy with {p.n_classes} softmax units")
    shown = show(p.classes) if p.form == "labels" else "0/1 columns"
    raise SetupError(f"{name} expects targets in {{-1, 1}}. Received: {shown}", _binary_map(p, "binary_pm1"))


def _check_one_hot(spec: LossSpec, t: Targets, p: Problem) -> None:
    name = spec.name
    if p.kind in ("regression", "counts") and t.array.ndim == 1:
        raise SetupError(f"{name} is a classification loss, but y reads as {p.evidence}", _regression_instead(p))
    if p.form == "labels":
        what = "integer labels" if not t.labels else "labels"
        raise SetupError(f"{name} expects one-hot rows, one column per class. Received: {what} {show(p.classes)} in one column",
                         f"use sparse_categorical_crossentropy, or one-hot encode: {how_to_encode(p, 'one_hot').split(': ', 1)[-1]}")
    if p.form == "indicator":
        raise SetupError(f"{name} expects one class per row. Received: 0/1 rows with several 1s (multi-label)",
                         f"use binary_crossentropy with {p.n_columns} sigmoid units")
    _check_rows(spec, t)


def _check_rows(spec: LossSpec, t: Targets) -> None:
    name = spec.name
    if t.array.ndim == 1:
        raise SetupError(f"{name} expects probability rows (n, k). Received: one label column",
                         "one-hot encode the labels: y = np.eye(k)[y], or use sparse_categorical_crossentropy")
    x = t.array.astype(np.float64)
    if x.min() < 0:
        raise SetupError(f"{name} expects non-negative target rows. Received: {int((x < 0).sum())} negative value(s), e.g. {x[x < 0][0]:g}",
                         "pass probabilities, e.g. softmax or normalised counts")
    sums = x.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > ROW_SUM_ATOL)
    if bad.size:
        raise SetupError(
            f"{name} expects target rows that sum to 1. Received: {bad.size} of {x.shape[0]} rows that do not (row {bad[0]} sums to {sums[bad[0]]:.4g})",
            "normalise them: y = y / y.sum(axis=1, keepdims=True)",
        )


def _check_integer_class(spec: LossSpec, t: Targets, p: Problem) -> None:
    name = spec.name
    if t.array.ndim == 2:
        if p.form == "one_hot":
            raise SetupError(f"{name} expects integer class indices, one column. Received: one-hot rows ({p.n_columns} columns)",
                             "pass y.argmax(axis=1), or use categorical_crossentropy")
        if p.form == "probability_rows":
            raise SetupError(f"{name} expects integer class indices. Received: probability rows (soft targets)",
                             "use kl_divergence or categorical_crossentropy")
        if p.form == "indicator":
            raise SetupError(f"{name} expects one class per row. Received: 0/1 rows with several 1s (multi-label)",
                             f"use binary_crossentropy with {p.n_columns} sigmoid units")
        raise SetupError(f"{name} is a classification loss, but y reads as {p.evidence}", _regression_instead(p))
    if p.kind in ("regression", "counts"):
        raise SetupError(f"{name} is a classification loss, but y reads as {p.evidence}", _regression_instead(p))
    k = p.n_classes
    if t.labels and t.array.dtype.kind != "b":
        raise SetupError(f"{name} expects integer class indices 0 .. {k - 1}. Received: labels {show(p.classes)}",
                         f"{how_to_encode(p, 'integer_class').split(': ', 1)[-1]} (or losslab.advisor.encode_targets(y, {name!r}))")
    x = t.array.astype(np.float64)
    # Labels 0 .. k-1 with the wrong number of units is left to the units check, which says so.
    if x.min() < 0 or x.max() >= k:
        raise SetupError(f"{name} expects class indices 0 .. {k - 1} ({k} classes). Received: labels {show(p.classes)}",
                         how_to_encode(p, "integer_class").replace("map", "map with", 1))


def _check_values(spec: LossSpec, t: Targets, p: Problem) -> None:
    name, enc = spec.name, spec.target_encoding
    if p.is_classification and p.kind != "probability_rows":
        raise SetupError(f"{name} is a regression loss, but y reads as {p.evidence}", _classifier_for(p))
    if p.kind == "ordinal" and t.labels:
        # A regression on ordered levels reads their index, which string levels do not give.
        raise SetupError(f"{name} on ordered levels regresses on the level index. Received: levels {show(p.classes)}",
                         f"map them to 0 .. {p.n_classes - 1} in their order: y = np.searchsorted(levels, y) with levels in order "
                         "(or losslab.advisor.encode_targets(y, 'sparse_categorical_crossentropy').values)")
    x = t.array.astype(np.float64)
    if enc in ("non_negative", "counts") and x.min() < 0:
        fix = ("use mean_squared_error for signed targets" if enc == "counts"
               else "shift y to y - y.min() (or use mean_squared_error for signed targets)")
        raise SetupError(f"{name} expects targets >= 0. Received: {int((x < 0).sum())} negative target(s), the smallest {x.min():g}", fix)
    if enc == "positive" and x.min() <= 0:
        raise SetupError(f"{name} expects targets > 0. Received: {int((x <= 0).sum())} target(s) <= 0, the smallest {x.min():g}",
                         "shift y above 0, or use mean_squared_error")
    if enc == "unit_vectors" and x.ndim == 1:
        raise SetupError(f"{name} compares directions of target vectors. Received: one target column (the direction of a number is only its sign)",
                         "use mean_squared_error, or give vector targets (n, k) with k >= 2")


def _expected_units(spec: LossSpec, t: Targets, p: Problem) -> int:
    enc = spec.target_encoding
    if enc in ("binary_01", "binary_pm1"):
        return 1 if t.array.ndim == 1 else t.array.shape[1]
    if enc in CLASS_ENCODINGS:
        return p.n_classes if t.array.ndim == 1 else t.array.shape[1]
    k = 1 if t.array.ndim == 1 else t.array.shape[1]
    return 2 * k if spec.shape_rule == "mean_var" else k


def _check_units(spec: LossSpec, t: Targets, p: Problem, units: int) -> None:
    want = _expected_units(spec, t, p)
    if units == want:
        return
    name, enc = spec.name, spec.target_encoding
    if enc == "binary_01" and t.array.ndim == 1 and units == 2:
        raise SetupError(f"{name} with 2 output units and one label column: each unit would be scored against the same label",
                         "use 1 sigmoid unit, or 2 softmax units with sparse_categorical_crossentropy")
    if enc in CLASS_ENCODINGS and t.array.ndim == 1 and enc not in ("binary_01", "binary_pm1"):
        what = f"y has {p.n_classes} classes {show(p.classes)}"
    elif t.array.ndim == 2:
        what = f"y has {t.array.shape[1]} columns"
    else:
        what = "y has one target column"
    per = "mean and variance per target" if spec.shape_rule == "mean_var" else ("one per class" if enc in CLASS_ENCODINGS and enc not in ("binary_01", "binary_pm1") else "")
    raise SetupError(f"{name} with output_units={units}, but {what}", f"use {want} output unit{'s' if want != 1 else ''}{' (' + per + ')' if per else ''}")


def check(loss: str | LossSpec, output_activation: str | None = None, y: Any = None, *,
          output_units: int | None = None, from_logits: bool | None = None, kind: str | None = None) -> None:
    """Refuse a loss, output layer and targets that do not go together.

    Parameters
    ----------
    loss : str or LossSpec
        Any name ``losses.get`` knows, or a spec.
    output_activation : str, optional
        The output layer's activation: ``"linear"`` (also ``None``-like ``"none"``,
        ``"logits"``), ``"sigmoid"``, ``"softmax"``, ``"tanh"``, ...
    y : array-like, optional
        The targets, as the loss will see them.
    output_units : int, optional
        Units of the output layer.
    from_logits : bool, optional
        The loss's logits switch (``from_logits``, or Poisson's ``log_input``); default:
        the spec's.
    kind : str, optional
        The problem kind, overriding inference (see ``infer_problem``): ``kind="regression"``
        for integer quantities that would read as classes, ``kind="ordinal"`` for ordered
        levels, ``kind="probabilities"`` for probability rows.

    Returns
    -------
    None
        On success.

    Raises
    ------
    SetupError
        One line: what is wrong, then ``Fix:`` and how to fix it.

    Examples
    --------
    >>> check("binary_crossentropy", "sigmoid", [0, 1, 1], output_units=1)
    >>> check("hinge", "tanh", [0, 1, 1])
    Traceback (most recent call last):
    ...
    losslab.advisor.check.SetupError: hinge expects targets in {-1, 1}. Received: {0, 1}. Fix: map with y = 2*y - 1.
    """
    spec = _resolve(loss, from_logits)
    act = None if output_activation is None else _normalize_activation(output_activation)
    if act is not None:
        _check_activation(spec, act)
    if output_units is not None:
        _check_units_alone(spec, act, int(output_units))
    if y is None:
        return None
    t, p = _read(spec, y, kind)
    enc = spec.target_encoding
    if enc == "binary_01":
        _check_binary_01(spec, t, p)
    elif enc == "binary_pm1":
        _check_binary_pm1(spec, t, p)
    elif enc == "one_hot":
        _check_one_hot(spec, t, p)
    elif enc == "probability_rows":
        if p.kind in ("regression", "counts") and t.array.ndim == 1:
            raise SetupError(f"{spec.name} is a classification loss, but y reads as {p.evidence}", _regression_instead(p))
        _check_rows(spec, t)
    elif enc == "integer_class":
        _check_integer_class(spec, t, p)
    else:
        _check_values(spec, t, p)
    if output_units is not None:
        _check_units(spec, t, p, int(output_units))
    return None
