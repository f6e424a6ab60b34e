"""Sweep grids: the values each symbol of an expression takes (``"w=0,0.1,0.3,1"``,
``"w=0,1;d=1,2"`` or a mapping), and every combination of them.

A sweep is capped at :data:`MAX_SWEEP` combinations (each one trains a candidate). Imports
the parser's caps and :func:`~.expression.shown`, and :func:`~.values.number`.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .expression import MAX_LENGTH, shown
from .values import number

MAX_SWEEP = 50


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
