"""What :func:`~losslab.advisor.recommend` returns: :class:`Choice` (one loss with its output
layer, target encoding and metric) and :class:`Recommendation` (the problem, a primary
choice, the alternatives worth comparing, and the ``losslab compare`` command that runs them).
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Mapping
from typing import Any

from .. import losses
from ..losses import LossSpec
from ..vocab import SERVES
from .how_to import how_to_encode
from .problem import Problem

#: Significant digits of float parameters (class weights, pos_weight): a readable label,
#: and the same value in the printed command and in the study it starts.
PARAM_DIGITS = 4


def round_param(value: Any) -> Any:
    """Floats (also inside tuples) to :data:`PARAM_DIGITS` significant digits."""
    if isinstance(value, float):
        return float(f"{value:.{PARAM_DIGITS}g}")
    if isinstance(value, tuple):
        return tuple(round_param(v) for v in value)
    return value


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.{PARAM_DIGITS}g}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_short(v) for v in value) + ")"
    return repr(value)


@dataclasses.dataclass(frozen=True)
class Choice:
    """One loss with the output layer, target encoding and metric that go with it.

    Attributes
    ----------
    loss : str
        Canonical name (``losses.get(choice.loss, **choice.params)`` gives the spec).
    output_units : int
        Units of the output layer.
    output_activation : str
        Its activation (from the loss's metadata).
    target_encoding : str
        The encoding the loss expects (a key of ``losses.TARGET_ENCODINGS``).
    encode : str
        How to produce it from the user's ``y``, e.g. ``"map {0, 1} -> {-1, 1}: y = 2*y - 1"``.
    metric : str
        The metric to report and choose models by.
    why : str
        One line.
    params : Mapping
        Loss hyperparameters to set (empty: the defaults); floats to 4 significant digits.
    trigger : str or None
        For alternatives: the measured statistic that put it on the list.
    class_weight : Mapping or None
        Per-class weights (label -> weight) to train with, when the choice is about them.
    caveat : str or None
        What to watch for.
    """

    loss: str
    output_units: int
    output_activation: str
    target_encoding: str
    encode: str
    metric: str
    why: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    trigger: str | None = None
    class_weight: Mapping[Any, float] | None = None
    caveat: str | None = None

    def spec(self) -> LossSpec:
        """The catalog's spec for this choice, with its parameters."""
        return losses.get(self.loss, **dict(self.params))

    @property
    def label(self) -> str:
        """The candidate as ``losslab compare --losses`` takes it: ``binary_crossentropy`` or
        ``binary_crossentropy(pos_weight=29.03)``."""
        params = ", ".join(f"{k}={_short(v)}" for k, v in self.params.items())
        return f"{self.loss}({params})" if params else self.loss

    def headline(self) -> str:
        weights = ", class weights" if self.class_weight else ""
        units = f"{self.output_units} output unit{'s' if self.output_units != 1 else ''}"
        return f"{self.label}{weights}: {units}, {self.output_activation}; targets {self.target_encoding} ({self.encode})"

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["params"] = dict(self.params)
        out["label"] = self.label
        if self.class_weight is not None:
            out["class_weight"] = {str(k): v for k, v in self.class_weight.items()}
        return out


@dataclasses.dataclass
class Recommendation:
    """What :func:`recommend` says: the problem, one primary choice and the alternatives."""

    problem: Problem
    primary: Choice
    alternatives: list[Choice]
    warnings: list[str] = dataclasses.field(default_factory=list)
    also_report: tuple[str, ...] = ()
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def candidates(self) -> list[str]:
        """Candidates worth comparing, as ``--losses`` takes them: the primary first, then each
        alternative once, parameters (class weights) included."""
        return list(dict.fromkeys(c.label for c in [self.primary, *self.alternatives]))

    def compare_command(self, data: str, *, target: str | None = None, kind: str | None = None) -> str:
        """The shell command that compares every candidate on ``data`` (quoted for a POSIX shell).

        >>> from losslab.advisor import recommend
        >>> recommend([0] * 90 + [1] * 10).compare_command("credit.csv", target="default")
        "losslab compare credit.csv --target default --losses 'binary_crossentropy,hinge,squared_hinge,binary_focal_crossentropy,binary_crossentropy(pos_weight=9)'"
        """
        parts = ["losslab", "compare", shlex.quote(str(data))]
        if target:
            parts += ["--target", shlex.quote(target)]
        if kind:
            parts += ["--kind", shlex.quote(kind)]
        parts += ["--losses", shlex.quote(",".join(self.candidates))]
        return " ".join(parts)

    def lines(self) -> list[str]:
        """The recommendation as lines of text, for the terminal."""
        out = [f"Problem: {self.problem.evidence}"]
        out += [f"  note: {n}" for n in self.problem.notes]
        metric = self.primary.metric + (f" (also {', '.join(self.also_report)})" if self.also_report else "")
        out += [f"Recommended: {self.primary.headline()}", f"  why: {self.primary.why}", f"  report: {metric}"]
        if self.primary.caveat:
            out.append(f"  caveat: {self.primary.caveat}")
        if self.alternatives:
            out.append("Alternatives:")
            for c in self.alternatives:
                out.append(f"  - {c.headline()}")
                out.append(f"    because: {c.trigger}; {c.why}")
                if c.class_weight:
                    out.append("    class weights: " + ", ".join(f"{k!r}: {v:.3g}" for k, v in c.class_weight.items()))
                if c.caveat:
                    out.append(f"    caveat: {c.caveat}")
        out += [f"Note: {n}" for n in self.notes]
        out += [f"Warning: {w}" for w in self.warnings]
        return out

    def to_text(self) -> str:
        return "\n".join(self.lines())

    __str__ = to_text

    def to_dict(self) -> dict[str, Any]:
        return {
            "problem": self.problem.to_dict(),
            "primary": self.primary.to_dict(),
            "alternatives": [c.to_dict() for c in self.alternatives],
            "candidates": self.candidates,
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "also_report": list(self.also_report),
        }


# ---------------------------------------------------------------------- building choices
def _activation(spec: LossSpec, prefer: tuple[str, ...] = ()) -> str:
    """An output activation the loss's metadata allows, the preferred one where it does."""
    allowed = spec.output_activations
    return next((a for a in prefer if a in allowed), allowed[0])


def choose(problem: Problem, loss: str, units: int, metric: str, why: str, *, prefer: tuple[str, ...] = (),
           trigger: str | None = None, encode: str | None = None, **extra: Any) -> Choice:
    """A :class:`Choice` whose activation and encoding come from the catalog's entry for ``loss``."""
    if "params" in extra:
        extra["params"] = {k: round_param(v) for k, v in extra["params"].items()}
    spec = losses.get(loss, **extra.get("params", {}))
    return Choice(loss=spec.name, output_units=units, output_activation=_activation(spec, prefer),
                  target_encoding=spec.target_encoding, encode=encode or how_to_encode(problem, spec.target_encoding),
                  metric=metric, why=why, trigger=trigger, **extra)


def fits(choice: Choice, p: Problem) -> bool:
    """Whether the catalog says ``choice.loss`` serves this kind of problem."""
    return bool(set(SERVES[p.kind]) & set(losses.get(choice.loss).problem_types))


def finish(p: Problem, primary: Choice, alts: list[Choice], warnings: list[str], also: tuple[str, ...],
           notes: list[str] | None = None) -> Recommendation:
    """The recommendation, keeping only choices whose catalog entry lists this kind of problem,
    each candidate once."""
    if not fits(primary, p):
        raise RuntimeError(f"the catalog says {primary.loss} is not for {p.kind} problems; the advisor's rules need updating")
    seen = {primary.label}
    kept = []
    for c in alts:
        if fits(c, p) and c.label not in seen:
            seen.add(c.label)
            kept.append(c)
    return Recommendation(p, primary, kept, warnings, also, list(notes or []))
