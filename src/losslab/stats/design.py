"""How the trials of a study were resampled: the `Design` that picks the test within one data set."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..vocab import DESIGNS
from . import validate


@dataclass(frozen=True)
class Design:
    """How the trials of a study were resampled; it decides which tests are valid.

    Parameters
    ----------
    kind : {"independent", "holdout", "kfold", "repeated_kfold", "5x2cv"}
        ``"independent"``: fresh data for every trial, nothing shared between trials.
        ``"holdout"``: each seed draws a fresh random train/test split of one data set
        (training sets overlap across trials). ``"kfold"``: one k-fold cross-validation,
        one seed, k folds. ``"repeated_kfold"``: ``repeats`` k-fold cross-validations,
        one seed each. ``"5x2cv"``: Dietterich's five repetitions (seeds) of 2-fold CV.
    k : int, optional
        Number of folds; required for ``"kfold"`` and ``"repeated_kfold"``.
    repeats : int, optional
        Number of repetitions; required for ``"repeated_kfold"``. For ``"holdout"`` and
        ``"independent"`` it is optional, and when given the number of trials must match.
    test_fraction : float, optional
        ``"holdout"`` only: the held-out share of the data (n_test / (n_train + n_test)),
        for the corrected tests; or pass ``n_train``/``n_test`` to `compare_losses` instead.
    train_fraction : float
        The share of each trial's training rows the model was actually fitted on, in (0, 1]:
        1 - the validation share with early stopping. The correction's n_test/n_train uses the
        rows fitted on, so a validation share makes it larger.
    """

    kind: str
    k: int | None = None
    repeats: int | None = None
    test_fraction: float | None = None
    train_fraction: float = 1.0

    def __post_init__(self) -> None:
        _check(self)

    @property
    def overlapping(self) -> bool:
        """Whether different trials train on overlapping data (every kind but independent)."""
        return self.kind != "independent"

    def describe(self) -> str:
        """The design in words, for the reason paragraph."""
        fitted = f", models fitted on {self.train_fraction:g} of each training set" if self.train_fraction < 1 else ""
        if self.kind == "holdout":
            fraction = f", {self.test_fraction:g} held out" if self.test_fraction is not None else ""
            return f"repeated random hold-out splits of one data set{fraction}{fitted}"
        if self.kind == "kfold":
            return f"the {self.k} folds of one {self.k}-fold cross-validation{fitted}"
        if self.kind == "repeated_kfold":
            return f"{self.repeats} repetitions of {self.k}-fold cross-validation{fitted}"
        if self.kind == "5x2cv":
            return f"5 repetitions of 2-fold cross-validation (5x2cv){fitted}"
        return "independent trials, each on fresh data"

    def ratio(self, n_train: Any = None, n_test: Any = None) -> float:
        """n_test / n_fitted for the Nadeau-Bengio correction (0 for independent trials, which need none).

        ``n_train`` and ``n_test`` (rows of one trial's sets, both or neither) take precedence
        over the design's own ratio: 1/(k-1) for k-fold and 5x2cv (k = 2), test_fraction /
        (1 - test_fraction) for hold-out; either is divided by ``train_fraction``.
        """
        validate.check_sizes(n_train, n_test)
        if not self.overlapping:
            return 0.0
        if n_train is not None:
            return n_test / (n_train * self.train_fraction)
        if self.kind in ("kfold", "repeated_kfold"):
            return 1.0 / ((self.k - 1) * self.train_fraction)
        if self.kind == "5x2cv":
            return 1.0 / self.train_fraction
        if self.test_fraction is None:
            raise ValueError(
                "design: a 'holdout' design needs the held-out share for the corrected resampled t-test. "
                "Received: test_fraction=None and no n_train/n_test. Pass Design('holdout', test_fraction=0.2) or n_train= and n_test=."
            )
        return self.test_fraction / ((1.0 - self.test_fraction) * self.train_fraction)

    def check_fits(self, trials: list[tuple[Any, Any]]) -> None:
        """Refuse trials whose (seed, fold) grid does not match what the design says was run."""
        seeds = {seed for seed, _ in trials}
        folds = {fold for _, fold in trials}
        got = f"{len(trials)} trial(s) per loss ({len(seeds)} seed(s) x {len(folds)} fold(s))"
        full_grid = len(trials) == len(seeds) * len(folds)
        if self.kind == "5x2cv":
            if not (len(seeds) == 5 and len(folds) == 2 and full_grid):
                raise ValueError(f"design: 5x2cv expects 10 trials per loss (5 seeds x 2 folds). Received: {got}.")
        elif self.kind == "kfold":
            if len(seeds) != 1:
                raise ValueError(
                    f"design: kind='kfold' expects the {self.k} folds of one cross-validation (one seed). Received: {got}. "
                    f"For several repetitions use Design('repeated_kfold', k={self.k}, repeats={len(seeds)})."
                )
            if len(folds) != self.k:
                raise ValueError(f"design: kind='kfold' with k={self.k} expects {self.k} folds. Received: {got}.")
        elif self.kind == "repeated_kfold":
            if not (len(folds) == self.k and len(seeds) == self.repeats and full_grid):
                raise ValueError(
                    f"design: kind='repeated_kfold' with k={self.k}, repeats={self.repeats} expects {self.k * self.repeats} trials per loss "
                    f"({self.repeats} seeds x {self.k} folds). Received: {got}."
                )
        elif self.repeats is not None and len(trials) != self.repeats:
            raise ValueError(f"design: kind={self.kind!r} with repeats={self.repeats} expects {self.repeats} trials per loss. Received: {got}.")


def _check(design: Design) -> None:
    """Refuse a Design whose kind and parameters do not go together (errors name Design's arguments)."""

    def count(name: str, value: object, minimum: int) -> None:
        if value is not None and (not validate.is_integer(value) or value < minimum):
            raise ValueError(f"Design: expected {name} to be an integer >= {minimum}. Received: {name}={value!r}.")

    def absent(name: str, value: object, why: str) -> None:
        if value is not None:
            raise ValueError(f"Design: {name} does not apply to kind={design.kind!r} ({why}). Received: {name}={value!r}; leave it out.")

    if design.kind not in DESIGNS:
        raise ValueError(f"Design: expected kind to be one of {', '.join(map(repr, DESIGNS))}. Received: kind={design.kind!r}.")
    count("k", design.k, 2)
    count("repeats", design.repeats, 1)
    tf = design.test_fraction
    if tf is not None and (not validate.is_real(tf) or not 0 < tf < 1):
        raise ValueError(f"Design: expected test_fraction strictly between 0 and 1. Received: test_fraction={tf!r}.")
    if not validate.is_real(design.train_fraction) or not 0 < design.train_fraction <= 1:
        raise ValueError(f"Design: expected train_fraction, the share of training rows fitted on, in (0, 1]. Received: train_fraction={design.train_fraction!r}.")
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
        if design.train_fraction != 1:
            absent("train_fraction", design.train_fraction, "no data is shared between trials, so no correction needs it")
