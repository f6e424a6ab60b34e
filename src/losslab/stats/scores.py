"""Argument checks for `compare_losses`, and the score table read into a paired matrix.

One place, one wording: each error names the argument, says what was expected and what
came ("Expected ... Received: ..."), and how to fix it where that is not obvious.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..vocab import DESIGNS

if TYPE_CHECKING:
    from .within import Design

DESIGN_KINDS = DESIGNS
COLUMNS = ("loss", "seed", "fold", "value")
_SHOWN = 3  # examples quoted in an error message


def _quote(items: list[Any]) -> str:
    shown = ", ".join(map(str, items[:_SHOWN]))
    return shown + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def _plain(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x  # np.int64(3) -> 3, for readable messages


def _trial(seed: Any, fold: Any) -> str:
    return f"(seed={_plain(seed)!r}, fold={_plain(fold)!r})"


def check_design(design: Design) -> None:
    """Refuse a Design whose kind and parameters do not go together."""

    def count(name: str, value: object, minimum: int) -> None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, Integral) or value < minimum):
            raise ValueError(f"Design: expected {name} to be an integer >= {minimum}. Received: {name}={value!r}.")

    def absent(name: str, value: object, why: str) -> None:
        if value is not None:
            raise ValueError(f"Design: {name} does not apply to kind={design.kind!r} ({why}). Received: {name}={value!r}; leave it out.")

    if design.kind not in DESIGN_KINDS:
        raise ValueError(f"Design: expected kind to be one of {', '.join(map(repr, DESIGN_KINDS))}. Received: kind={design.kind!r}.")
    count("k", design.k, 2)
    count("repeats", design.repeats, 1)
    tf = design.test_fraction
    if tf is not None and (isinstance(tf, bool) or not isinstance(tf, Real) or not 0 < tf < 1):
        raise ValueError(f"Design: expected test_fraction strictly between 0 and 1. Received: test_fraction={tf!r}.")
    if design.kind in ("kfold", "repeated_kfold"):
        if design.k is None:
            raise ValueError(f"Design: kind={design.kind!r} needs the number of folds. Received: k=None; pass e.g. Design({design.kind!r}, k=5{', repeats=10' if design.kind == 'repeated_kfold' else ''}).")
        absent("test_fraction", tf, f"k-fold holds out 1/k = {1 / design.k:g}")
    if design.kind == "kfold" and design.repeats not in (None, 1):
        raise ValueError(f"Design: kind='kfold' is one cross-validation. Received: repeats={design.repeats!r}; use Design('repeated_kfold', k={design.k}, repeats={design.repeats}).")
    if design.kind == "repeated_kfold" and (design.repeats is None or design.repeats < 2):
        raise ValueError(f"Design: kind='repeated_kfold' needs repeats >= 2. Received: repeats={design.repeats!r}; for one repetition use Design('kfold', k={design.k}).")
    if design.kind == "5x2cv":
        for name, value, fixed in (("k", design.k, 2), ("repeats", design.repeats, 5), ("test_fraction", tf, 0.5)):
            if value not in (None, fixed):
                raise ValueError(f"Design: 5x2cv is 5 repetitions of 2-fold CV. Received: {name}={value!r}; leave it out (it is {fixed}).")
    if design.kind in ("holdout", "independent"):
        absent("k", design.k, "there are no folds")
    if design.kind == "independent":
        absent("test_fraction", tf, "no data is shared between trials, so no correction needs it")


def check_arguments(*, design: Any, higher_is_better: Any, metric: Any, alpha: Any, rng: Any, n_bootstrap: Any) -> None:
    """Refuse arguments of `compare_losses` (other than ``scores``) that cannot be right."""
    from .within import (
        Design,  # the dataclass lives with the API; imported late to avoid a cycle
    )

    if not isinstance(design, Design):
        raise TypeError(f"design: expected a Design or a kind name such as 'kfold'. Received: design of type {type(design).__name__}.")
    if not isinstance(higher_is_better, (bool, np.bool_)):
        raise TypeError(f"higher_is_better: expected True or False (is a larger {metric} better?). Received: higher_is_better={higher_is_better!r}.")
    if not isinstance(metric, str) or not metric.strip():
        raise ValueError(f"metric: expected the metric's name, a non-empty string such as 'accuracy'. Received: metric={metric!r}.")
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0 < alpha < 1:
        raise ValueError(f"alpha: expected a significance level strictly between 0 and 1, such as 0.05. Received: alpha={alpha!r}.")
    if isinstance(rng, bool) or not isinstance(rng, (Integral, np.random.Generator)) or (isinstance(rng, Integral) and rng < 0):
        raise TypeError(f"rng: expected a non-negative integer seed or a numpy.random.Generator (results must be reproducible). Received: rng={rng!r}.")
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, Integral) or n_bootstrap < 100:
        raise ValueError(f"n_bootstrap: expected an integer >= 100. Received: n_bootstrap={n_bootstrap!r}.")


def score_table(scores: Any) -> tuple[tuple[str, ...], list[tuple[Any, Any]], np.ndarray]:
    """Check the long-form scores and return (losses, trials, values[trial, loss]).

    Losses are sorted by name and trials by (seed, fold); ``values`` is float64.
    """
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(f"scores: expected a pandas DataFrame in long form with columns {list(COLUMNS)}. Received: scores of type {type(scores).__name__}.")
    missing = [c for c in COLUMNS if c not in scores.columns]
    if missing:
        hint = " A study with one split per seed can use fold=0 throughout." if missing == ["fold"] else ""
        raise ValueError(f"scores: expected columns {list(COLUMNS)}. Received: columns {list(map(str, scores.columns))}, missing {missing}.{hint}")
    value = scores["value"]
    if not pd.api.types.is_numeric_dtype(value) or pd.api.types.is_bool_dtype(value):
        raise ValueError(f"scores: expected numbers in column 'value' (the metric of each trial). Received: dtype {value.dtype}.")
    bad = ~np.isfinite(value.to_numpy(dtype=float))
    if bad.any():
        where = [f"(loss={r.loss!r}, seed={_plain(r.seed)!r}, fold={_plain(r.fold)!r})" for r in scores.loc[bad, ["loss", "seed", "fold"]].itertuples()]
        raise ValueError(
            f"scores: expected finite numbers in column 'value'. Received: {int(bad.sum())} NaN or infinite value(s), at {_quote(where)}. "
            "Re-run those trials, or drop them for every loss so the trials stay paired."
        )
    loss, seed, fold = (scores[c].to_numpy() for c in ("loss", "seed", "fold"))
    unlabelled = pd.isna(loss) | pd.isna(seed) | pd.isna(fold)
    if unlabelled.any():
        raise ValueError(f"scores: expected a loss, seed and fold on every row. Received: {int(unlabelled.sum())} row(s) with one missing, e.g. row {scores.index[unlabelled][0]!r}.")
    # Integer codes, sorted: losses by name, trials by (seed, fold). Cheaper than a pivot, and
    # duplicated and missing trials both show up in the one count matrix.
    loss_code, losses = pd.factorize(loss.astype(str), sort=True)
    seed_code, seeds = pd.factorize(seed, sort=True)
    fold_code, folds = pd.factorize(fold, sort=True)
    trial_ids, trial_code = np.unique(seed_code * len(folds) + fold_code, return_inverse=True)
    trials = [(_plain(seeds[t // len(folds)]), _plain(folds[t % len(folds)])) for t in trial_ids]
    losses = tuple(str(name) for name in losses)
    counts = np.zeros((len(trials), len(losses)), dtype=np.int64)
    np.add.at(counts, (trial_code, loss_code), 1)
    if (counts > 1).any():
        where = [f"(loss={losses[j]!r}, seed={trials[t][0]!r}, fold={trials[t][1]!r})" for t, j in zip(*np.nonzero(counts > 1))]
        raise ValueError(f"scores: expected one row per (loss, seed, fold). Received: {int((counts - 1).clip(0).sum())} duplicated trial(s), e.g. {_quote(where)}.")
    if len(losses) < 2:
        raise ValueError(f"scores: expected at least 2 losses to compare. Received: {len(losses)} loss(es) {list(losses)}.")
    if (counts == 0).any():
        lines = []
        for j, loss in enumerate(losses):
            lacking = [_trial(*trials[t]) for t in np.flatnonzero(counts[:, j] == 0)]
            if lacking:
                lines.append(f"loss {loss!r} lacks {len(lacking)} trial(s): {_quote(lacking)}")
        raise ValueError(
            "scores: expected every loss to have the same (seed, fold) trials (the comparison is paired). "
            f"Received: {'; '.join(lines)}. Run the missing trials, or drop those trials for every loss."
        )
    if len(trials) < 2:
        raise ValueError(f"scores: expected at least 2 trials (seed, fold) per loss. Received: {len(trials)} trial {_trial(*trials[0])}.")
    values = np.empty((len(trials), len(losses)))
    values[trial_code, loss_code] = value.to_numpy(dtype=float)
    return losses, trials, values


def check_design_fits(design: Design, trials: list[tuple[Any, Any]]) -> None:
    """Refuse trials whose (seed, fold) grid does not match what the design says was run."""
    seeds = {seed for seed, _ in trials}
    folds = {fold for _, fold in trials}
    got = f"{len(trials)} trial(s) per loss ({len(seeds)} seed(s) x {len(folds)} fold(s))"
    full_grid = len(trials) == len(seeds) * len(folds)
    if design.kind == "5x2cv":
        if not (len(seeds) == 5 and len(folds) == 2 and full_grid):
            raise ValueError(f"design: 5x2cv expects 10 trials per loss (5 seeds x 2 folds). Received: {got}.")
    elif design.kind == "kfold":
        if len(seeds) != 1:
            raise ValueError(
                f"design: kind='kfold' expects the {design.k} folds of one cross-validation (one seed). Received: {got}. "
                f"For several repetitions use Design('repeated_kfold', k={design.k}, repeats={len(seeds)})."
            )
        if len(folds) != design.k:
            raise ValueError(f"design: kind='kfold' with k={design.k} expects {design.k} folds. Received: {got}.")
    elif design.kind == "repeated_kfold":
        if not (len(folds) == design.k and len(seeds) == design.repeats and full_grid):
            raise ValueError(
                f"design: kind='repeated_kfold' with k={design.k}, repeats={design.repeats} expects {design.k * design.repeats} trials per loss "
                f"({design.repeats} seeds x {design.k} folds). Received: {got}."
            )
    elif design.repeats is not None and len(trials) != design.repeats:
        raise ValueError(f"design: kind={design.kind!r} with repeats={design.repeats} expects {design.repeats} trials per loss. Received: {got}.")


def overlap_ratio(design: Design, n_train: Any, n_test: Any) -> float:
    """n_test / n_train for the Nadeau-Bengio correction (0 for independent trials, which need none)."""
    if (n_train is None) != (n_test is None):
        raise ValueError(f"n_train, n_test: expected both or neither. Received: n_train={n_train!r}, n_test={n_test!r}.")
    if n_train is not None:
        for name, value in (("n_train", n_train), ("n_test", n_test)):
            if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
                raise ValueError(f"{name}: expected a positive integer (samples in one trial's {name[2:]} set). Received: {name}={value!r}.")
    if not design.overlapping:
        return 0.0
    if n_train is not None:
        return n_test / n_train
    if design.kind in ("kfold", "repeated_kfold"):
        return 1.0 / (design.k - 1)
    if design.kind == "5x2cv":
        return 1.0
    if design.test_fraction is None:
        raise ValueError(
            "design: a 'holdout' design needs the held-out share for the corrected resampled t-test. "
            "Received: test_fraction=None and no n_train/n_test. Pass Design('holdout', test_fraction=0.2) or n_train= and n_test=."
        )
    return design.test_fraction / (1.0 - design.test_fraction)
