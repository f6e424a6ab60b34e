"""Small data sets and a study helper shared by the experiment tests (imported as `from frames import ...`)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def tiny_arrays(n: int):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 2)), np.arange(n) % 2


def regression_frame(n: int = 60, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.uniform(0, 5, size=n),
                      "colour": rng.choice(["red", "green", "blue"], size=n)})
    y = pd.Series(3.0 * X["a"] - X["b"] + rng.normal(scale=0.3, size=n) + 40.0, name="y")
    return X, y


def keys(study) -> dict[str, set[tuple[int, int]]]:
    out: dict[str, set[tuple[int, int]]] = {}
    for r in study.results:
        out.setdefault(r.loss, set()).add((r.repeat, r.fold))
    return out
