"""Tests for losslab.stats.wording: the sentences a reader sees, for the cases issue 13 names.

The verdicts' numbers are checked against the result objects (test_within.py, test_across.py);
here the wording itself: numbers to three significant digits, p-values to two, a direction only
from a directional statistic, and the Bayesian probabilities beside every verdict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from losslab.stats import wording
from losslab.stats.within import Design, compare_losses


def long_form(table: dict[str, list[float]], *, folds: int = 1) -> pd.DataFrame:
    rows = [(loss, t // folds, t % folds, v) for loss, values in table.items() for t, v in enumerate(values)]
    return pd.DataFrame(rows, columns=["loss", "seed", "fold", "value"])


def test_numbers_and_p_values():
    assert wording._num(-0.0) == "0" and wording._num(0.012345) == "0.0123"
    assert wording._p(3e-5) == "p<0.0001" and wording._p(0.0474) == "p=0.047"


def test_two_losses_verdict_carries_the_bayesian_probabilities():
    # The wording: "P(huber better) = 0.91, P(equivalent within 0.01 RMSE) = 0.08".
    rng = np.random.default_rng(2)
    mse = rng.normal(0.50, 0.02, 30)
    result = compare_losses(long_form({"huber": list(mse - 0.012 + rng.normal(0, 0.02, 30)), "mse": list(mse)}),
                            higher_is_better=False, design=Design("holdout", test_fraction=0.25), metric="RMSE")  # fmt: skip
    verdict = result.verdict()
    row = result.bayes.iloc[0]
    p_huber = row["p_left"] if row["loss_a"] == "huber" else row["p_right"]
    assert f"Bayesian correlated t-test: P(huber better) = {p_huber:.2f}, P(equivalent within 0.01 RMSE) = {row['p_rope']:.2f}" in verdict
    assert "corrected resampled t-test" in verdict and "(95% CI " in verdict


def test_no_difference_verdict_names_the_interval_of_the_deciding_test():
    d = np.array([0.02, -0.01, 0.03, -0.02, 0.01, 0.0])
    result = compare_losses(long_form({"a": list(0.7 + d), "b": [0.7] * 6}), higher_is_better=True, design=Design("holdout", test_fraction=0.2))
    row = result.pairwise.iloc[0]
    assert result.verdict().startswith(
        f"no significant difference in score between a and b at alpha=0.05 over 6 trials (corrected resampled t-test p={row['p']:.2g}); "
        f"mean difference a - b = {row['estimate']:.3g} (95% CI {row['ci_low']:.3g} to {row['ci_high']:.3g}); Bayesian correlated t-test: P(a better) = "
    )
    assert "bootstrap" not in result.verdict() and "bootstrap" not in result.reason


def test_5x2cv_reason_says_f_has_no_direction_and_never_decides():
    table = np.array([[0.02, 0.04], [0.01, 0.03], [0.05, 0.01], [0.00, 0.02], [0.03, 0.03]]).ravel()
    result = compare_losses(long_form({"a": list(0.7 + table), "b": [0.7] * 10}, folds=2), higher_is_better=True, design="5x2cv")
    assert "never decides" in result.reason and "no direction" in result.reason
    assert "the combined 5x2cv F-test beside it (no direction): p=" in result.verdict()
