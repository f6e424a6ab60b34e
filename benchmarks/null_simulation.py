"""How often losslab's statistics find a difference that is not there, on overlapping trials.

Each simulated study draws a fresh data set of N rows from one population and compares models
of exactly equal skill on the same resampling splits, as `losslab compare` does: every "loss"
is a scikit-learn RidgeClassifier (alpha = 1) trained on its own group of features, and the
population is symmetric in the groups (same distribution, same weight), so no model is better
than another in expectation: the null hypothesis is true. Within one study the trials share
training and test rows, so their score differences are correlated, exactly as in a real
study; the scores are trained and measured (held-out accuracy), not drawn as independent
numbers.

RidgeClassifier is fitted in closed form for all splits of a study at once (`ridge_accuracy`,
the same centred normal equations scikit-learn solves): 1000 studies per design then run in
minutes on two cores instead of hours. ``--check`` refits every split of the first studies
with scikit-learn's RidgeClassifier and stops if any prediction differs.

For each design the script reports, over ``--studies`` studies, how often each procedure
rejects at alpha = 0.05 (any pair, for more than two losses), with a 95% Wilson interval
(`statsmodels.stats.proportion.proportion_confint`), and the measured correlation rho between
the trials' differences beside Nadeau and Bengio's n_test / n.

Run (the table in docs/statistics.md)::

    python benchmarks/null_simulation.py --studies 1000 --jobs 16 --out null_simulation.md

Seeds are fixed: the same command gives the same table.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import RepeatedKFold, ShuffleSplit
from statsmodels.stats.proportion import proportion_confint

from losslab.stats import bayes
from losslab.stats.tests import (
    CORRECTED_REPEATED_CV_T,
    CORRECTED_RESAMPLED_T,
    alpaydin_5x2cv_f,
    corrected_t,
    dietterich_5x2cv_t,
    friedman,
    holm,
    nemenyi_pvalues,
    paired_t,
    rank_table,
)
from losslab.stats.within import Design, compare_losses

ALPHA = 0.05
N_ROWS = 300  # rows per simulated data set
FEATURES = 4  # features per model (group)


@dataclass(frozen=True)
class Setting:
    label: str
    n_losses: int
    design: Design
    splits: str  # "holdout", "10x10" or "5x2"

    def splitter(self, seed: int):
        if self.splits == "holdout":
            return ShuffleSplit(n_splits=30, test_size=0.25, random_state=seed)
        if self.splits == "10x10":
            return RepeatedKFold(n_splits=10, n_repeats=10, random_state=seed)
        return RepeatedKFold(n_splits=2, n_repeats=5, random_state=seed)

    @property
    def folds(self) -> int:
        return {"holdout": 1, "10x10": 10, "5x2": 2}[self.splits]


SETTINGS = (
    Setting("30 hold-out splits, 25% held out", 2, Design("holdout", test_fraction=0.25), "holdout"),
    Setting("10 x 10-fold", 2, Design("repeated_kfold", k=10, repeats=10), "10x10"),
    Setting("5x2cv", 2, Design("5x2cv"), "5x2"),
    Setting("4 losses, 30 hold-out splits, family-wise", 4, Design("holdout", test_fraction=0.25), "holdout"),
)


def ridge_predictions(x: np.ndarray, y: np.ndarray, trains: np.ndarray, tests: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """RidgeClassifier(alpha).fit(x[train], y[train]).predict(x[test]) for every split at once.

    scikit-learn's binary RidgeClassifier: targets coded -1/+1, x and the targets centred on
    the training rows (fit_intercept=True), ``w = (Xc'Xc + alpha I)^-1 Xc'yc``, intercept
    ``mean(y) - mean(x) w``, class 1 where the decision is > 0. ``trains``/``tests``: (splits, rows).
    """
    xt, yt = x[trains], 2.0 * y[trains] - 1.0  # (S, n_train, p), (S, n_train)
    x_mean, y_mean = xt.mean(axis=1, keepdims=True), yt.mean(axis=1, keepdims=True)
    xc, yc = xt - x_mean, yt - y_mean
    gram = np.einsum("sij,sik->sjk", xc, xc) + alpha * np.eye(x.shape[1])
    w = np.linalg.solve(gram, np.einsum("sij,si->sj", xc, yc)[..., None])[..., 0]
    intercept = y_mean[:, 0] - np.einsum("sj,sj->s", x_mean[:, 0], w)
    decision = np.einsum("sij,sj->si", x[tests], w) + intercept[:, None]
    return (decision > 0).astype(int)


def study_scores(setting: Setting, seed: int, *, check: bool = False) -> np.ndarray:
    """One null study: a fresh data set, the design's splits, every model's held-out accuracy, as (trials, models)."""
    rng = np.random.default_rng([seed, setting.n_losses, setting.folds])
    groups = setting.n_losses
    x = rng.normal(size=(N_ROWS, groups * FEATURES))
    # The label depends on every group alike: the models (one per group) are exchangeable.
    y = (x.sum(axis=1) / math.sqrt(groups * FEATURES) + 0.6 * rng.normal(size=N_ROWS) > 0).astype(int)
    splits = list(setting.splitter(int(rng.integers(2**31 - 1))).split(x))
    trains, tests = np.array([s[0] for s in splits]), np.array([s[1] for s in splits])
    values = np.empty((len(splits), groups))
    for g in range(groups):
        columns = x[:, g * FEATURES : (g + 1) * FEATURES]
        predicted = ridge_predictions(columns, y, trains, tests)
        if check:
            for j, (train, test) in enumerate(splits):
                reference = RidgeClassifier(alpha=1.0).fit(columns[train], y[train]).predict(columns[test])
                if not np.array_equal(reference, predicted[j]):
                    raise AssertionError(f"closed-form ridge differs from scikit-learn's RidgeClassifier on split {j} of study {seed}")
        values[:, g] = (predicted == y[tests]).mean(axis=1)
    return values


def decision(setting: Setting, values: np.ndarray) -> tuple[bool, np.ndarray]:
    """compare_losses' decision from the functions it calls: the design's corrected t per pair, Holm, a direction.

    ``--check`` runs `compare_losses` itself on the first studies and stops if the two disagree;
    this path skips the table checks, the tests reported beside and the words, which cost most
    of the time of a study.
    """
    name = CORRECTED_RESAMPLED_T if setting.design.kind == "holdout" else CORRECTED_REPEATED_CV_T
    ratio = setting.design.ratio()
    pairs = [(a, b) for a in range(values.shape[1]) for b in range(a + 1, values.shape[1])]
    found = [corrected_t(values[:, a] - values[:, b], ratio=ratio, name=name) for a, b in pairs]
    p = np.array([t.p for t in found])
    adjusted = holm(p) if len(pairs) > 1 else p
    significant = np.array([t.tested and q < ALPHA and t.estimate != 0 for t, q in zip(found, adjusted)])
    return bool(significant.any()), p


def rejections(setting: Setting, seed: int, check: bool = False) -> dict[str, float]:
    """What each procedure says about one null study (1 = rejects), and the differences' moments."""
    values = study_scores(setting, seed, check=check)
    decided, p = decision(setting, values)
    if check:
        trials, losses = values.shape
        seeds, folds = np.divmod(np.arange(trials), setting.folds)
        scores = pd.DataFrame({"loss": np.repeat([f"m{g}" for g in range(losses)], trials), "seed": np.tile(seeds, losses),
                               "fold": np.tile(folds, losses), "value": values.T.ravel()})  # fmt: skip
        comparison = compare_losses(scores, higher_is_better=True, design=setting.design, metric="accuracy")
        if bool(comparison.pairwise["significant"].any()) != decided or not np.allclose(np.sort(comparison.pairwise["p"]), np.sort(p), equal_nan=True):
            raise AssertionError(f"the fast decision differs from compare_losses on study {seed} of {setting.label}")
    out = {"losslab": float(decided)}
    pairs = [(a, b) for a in range(values.shape[1]) for b in range(a + 1, values.shape[1])]
    plain = np.array([paired_t(values[:, a] - values[:, b]).p for a, b in pairs])
    out["plain paired t" + (" (Holm)" if len(pairs) > 1 else "")] = float(np.nanmin(holm(plain)) < ALPHA) if np.isfinite(plain).any() else 0.0
    d = values[:, 0] - values[:, 1]
    out["_mean"], out["_var"] = float(d.mean()), float(d.var(ddof=1))
    if setting.splits == "5x2":
        for test in (alpaydin_5x2cv_f(d.reshape(5, 2)), dietterich_5x2cv_t(d.reshape(5, 2))):
            out[test.name] = float(test.tested and test.p < ALPHA)
            out[test.name + ": cannot test"] = float(not test.tested)
    if len(pairs) > 1:
        ranks = rank_table(values, higher_is_better=True)
        out["Friedman (trials as blocks)"] = float(friedman(ranks.mean(axis=0), len(ranks))[0].p < ALPHA)
        nemenyi = nemenyi_pvalues(ranks)[np.triu_indices(values.shape[1], 1)]
        out["Nemenyi (trials as blocks)"] = float(nemenyi.min() < ALPHA)
    else:
        left, _, right = bayes.correlated_t(d, ratio=setting.design.ratio(), rope=0.0)
        out["Bayesian correlated t (reported, not deciding): P(either better) > 0.95, a two-sided 0.10 rule"] = float(max(left, right) > 0.95)
    return out


def wilson(k: float, n: int) -> str:
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    return f"{k / n:.3f} [{low:.3f}, {high:.3f}]"


def run(setting: Setting, studies: int, jobs: int, check: int) -> tuple[pd.DataFrame, float]:
    start = time.perf_counter()
    rows = Parallel(n_jobs=jobs, batch_size=32)(delayed(rejections)(setting, seed, seed < check) for seed in range(studies))
    return pd.DataFrame(rows), time.perf_counter() - start


def correlation(frame: pd.DataFrame, j: int) -> float:
    """rho from Var(mean d) = sigma^2 (rho + (1 - rho)/J) and E[s^2] = sigma^2 (1 - rho), over the studies."""
    shared = frame["_mean"].var(ddof=1) - frame["_var"].mean() / j  # sigma^2 rho
    return float(shared / (frame["_var"].mean() + shared))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default=None, help="write the markdown table here")
    parser.add_argument("--check", type=int, default=20, help="studies per design checked against scikit-learn's RidgeClassifier and compare_losses")
    args = parser.parse_args()
    lines = [f"{args.studies} null studies per design, alpha = {ALPHA}, N = {N_ROWS} rows, RidgeClassifier per feature group, held-out accuracy.", "",
             "| design | procedure | rejection rate [95% Wilson] |", "|---|---|---|"]  # fmt: skip
    notes = []
    for setting in SETTINGS:
        frame, seconds = run(setting, args.studies, args.jobs, args.check)
        j = 30 if setting.splits == "holdout" else 100 if setting.splits == "10x10" else 10
        nb = 0.25 if setting.splits == "holdout" else 0.1 if setting.splits == "10x10" else 0.5
        for column in frame.columns:
            if column.startswith("_"):
                continue
            name = f"losslab's decision ({frame_test(setting)})" if column == "losslab" else column
            lines.append(f"| {setting.label} | {name} | {wilson(frame[column].sum(), len(frame))} |")
        notes.append(f"- {setting.label}: measured rho = {correlation(frame, j):.3f} (Nadeau-Bengio n_test/n = {nb:g}); {seconds:.0f} s with {args.jobs} jobs.")
    text = "\n".join(lines + [""] + notes) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)


def frame_test(setting: Setting) -> str:
    kind = setting.design.kind
    if kind == "holdout":
        test = "corrected resampled t"
    else:
        test = "corrected repeated k-fold cv t"
    return test + (", Holm" if setting.n_losses > 2 else "")


if __name__ == "__main__":
    main()
