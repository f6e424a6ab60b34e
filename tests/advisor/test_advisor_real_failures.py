"""Regression tests for the advisor's failures seen on real tables (issue 12: failures 3, 6, 7,
8 and 9's wording, and the ordinal kind), each on a small table that reproduces it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from losslab.advisor import SetupError, check, infer_problem, recommend
from losslab.metrics import get_metric


def _losses(rec):
    return [c.loss for c in [rec.primary, *rec.alternatives]]


# ---------------------------------------------------------------- failure 3: counts
# Days absent from school (MASS quine, first rows): counts from 0 with a long tail.
DAYS = np.array([2, 11, 14, 5, 5, 13, 20, 22, 6, 6, 15, 7, 14, 6, 32, 53, 57, 14, 16, 16, 17, 40, 43, 46, 8, 23, 23, 28,
                 34, 36, 38, 3, 5, 11, 24, 45, 5, 6, 6, 9, 13, 23, 25, 32, 53, 54, 5, 5, 11, 17, 19, 8, 13, 14, 20, 47, 48,
                 60, 81, 2, 0, 2, 3, 5, 10, 14, 21, 36, 40, 6, 17, 67, 0, 0, 2, 7, 11, 12, 0, 0, 5, 5, 5, 11, 17, 3, 3])


def test_counts_are_chosen_by_a_metric_every_candidate_can_be_scored_with():
    rec = recommend(DAYS)
    assert rec.problem.kind == "counts" and rec.primary.loss == "poisson"
    assert rec.primary.metric == "rmse" and rec.also_report == ("mae",)
    assert "mean_squared_error" in _losses(rec)
    # RMSE and MAE score any prediction; the Poisson deviance is left out because MSE's linear output can give <= 0
    for name in (rec.primary.metric, *rec.also_report):
        assert get_metric(name).score(DAYS, predictions=np.r_[-1.0, DAYS[1:]]) >= 0
    assert any("Poisson deviance needs predictions > 0" in n for n in rec.notes)


def test_poisson_deviance_of_a_non_positive_prediction_says_what_to_use():
    with pytest.raises(ValueError, match=r"Poisson deviance needs predictions > 0\. Received: 1 of 3 predictions <= 0.*rmse or mae"):
        get_metric("neg_mean_poisson_deviance").score([0.0, 1.0, 3.0], predictions=[0.0, 1.0, 3.0])
    assert get_metric("neg_mean_poisson_deviance").score([0.0, 1.0, 3.0], predictions=[0.5, 1.0, 3.0]) < 0


@pytest.mark.slow
def test_compare_on_counts_runs_with_the_advisors_defaults():
    # The crash of issue 12: "metric 'neg_mean_poisson_deviance' cannot score poisson".
    from losslab import api

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=DAYS.size)})
    result = api.compare(X, pd.Series(DAYS, name="days"), repeats=2, epochs=2)
    summary = result.summary()
    assert set(summary.index) == set(recommend(DAYS).candidates)
    assert summary["rmse_mean"].notna().all()


def test_measurements_are_not_counts():
    # hand spans in cm, half-centimetre steps (MASS survey): real-valued, never Poisson
    spans = np.array([18.5, 19.5, 18.0, 18.8, 20.0, 18.0, 17.7, 17.0, 20.0, 18.5, 17.0, 21.0, 16.0, 19.5, 16.0, 17.5, 18.0, 19.4, 20.5, 21.0])
    assert "poisson" not in _losses(recommend(spans))
    # integer body weights in lb (R women): integers far from 0 are measurements, not counts
    weights = np.array([115, 117, 120, 123, 126, 129, 132, 135, 139, 142, 146, 150, 154, 159, 164])
    rec = recommend(weights)
    assert rec.problem.kind == "regression" and "poisson" not in _losses(rec)
    # counts of warp breaks from 10 (R warpbreaks) stay close enough to 0: Poisson is proposed
    breaks = np.array([26, 30, 54, 25, 70, 52, 51, 26, 67, 18, 21, 29, 17, 12, 18, 35, 30, 36, 36, 21, 24, 18, 10, 43, 28, 15, 26, 27])
    assert "poisson" in _losses(recommend(breaks))


def test_twenty_distinct_float_values_are_not_twenty_classes():
    y = np.array([1.0, 3.0, 4.0, 7.0, 9.0, 12.0, 15.0, 19.0, 22.0, 30.0, 41.0, 55.0, 62.0, 80.0, 101.0, 130.0, 170.0, 220.0, 290.0, 355.0])
    p = infer_problem(y)
    assert p.kind == "counts" and p.classes is None
    assert infer_problem([0, 1, 2]).kind == "multiclass"  # a run of labels, each once, is still classes


# ---------------------------------------------------------------- failure 6: skew
# Hourly wages (AER CPS1985, 1985 dollars): right-skewed, 1 .. 44.5 spans 1.65 orders of magnitude.
WAGES = np.array([5.1, 4.95, 6.67, 4.0, 7.5, 13.07, 4.45, 19.47, 13.28, 8.75, 11.35, 11.5, 6.5, 6.25, 19.98, 7.3, 8.0, 22.2,
                  3.65, 20.55, 5.71, 7.0, 3.75, 4.5, 9.56, 5.75, 9.36, 6.5, 3.35, 4.5, 44.5, 1.0, 9.0, 5.5, 10.0, 5.0, 3.5,
                  4.25, 2.01, 3.35, 6.0, 8.9, 3.4, 4.28, 24.98, 26.0, 6.88, 15.0, 9.0, 12.0])


def test_skewed_positive_targets_get_msle_with_the_statistic():
    rec = recommend(WAGES)
    msle = next(c for c in rec.alternatives if c.loss == "mean_squared_logarithmic_error")
    assert "skewness" in msle.trigger and "orders of magnitude" in msle.trigger
    assert rec.problem.skewness > 1 and rec.problem.orders_of_magnitude == pytest.approx(np.log10(44.5), rel=1e-9)
    assert "log(1 + y)" in msle.why
    assert any("Gamma or Tweedie" in n for n in rec.notes)


def test_symmetric_targets_do_not_get_msle():
    y = np.random.default_rng(3).normal(50.0, 5.0, size=500)
    assert "mean_squared_logarithmic_error" not in _losses(recommend(y))


# ---------------------------------------------------------------- failure 7: imbalance
def test_strong_imbalance_chooses_by_balanced_accuracy_and_keeps_every_candidate():
    y = np.array(["No"] * 97 + ["Yes"] * 3)  # 3% minority, string labels
    rec = recommend(y)
    assert rec.primary.metric == "balanced_accuracy"
    assert rec.also_report == ("average_precision", "accuracy")
    weighted = rec.alternatives[-1]
    assert weighted.label == "binary_crossentropy(pos_weight=32.33)"  # 97 / 3, four significant digits
    command = rec.compare_command("credit.csv", target="default")
    assert command.endswith("--losses 'binary_crossentropy,hinge,squared_hinge,binary_focal_crossentropy,"
                            "binary_crossentropy(pos_weight=32.33)'")
    # the study's label is the advisor's: the command names the candidate the study reports
    from losslab.experiment.spec import Candidate

    assert [Candidate.parse(c).label for c in rec.candidates] == rec.candidates
    # average precision reads string labels: "Yes" (the greater label) is the positive class
    ap = get_metric("average_precision").score(y[:6].tolist() + ["Yes"], probabilities=[0.1] * 6 + [0.9])
    assert ap == pytest.approx(1.0)


# ---------------------------------------------------------------- failure 8: wasted candidates
def test_the_same_loss_in_another_encoding_is_a_note_not_a_competitor():
    rec = recommend(["Adelie", "Gentoo", "Chinstrap"] * 40)
    assert "categorical_crossentropy" not in {c.loss for c in rec.alternatives}
    assert any("same loss" in n for n in rec.notes)


@pytest.mark.parametrize("y", [
    np.random.default_rng(4).normal(size=300),  # Gaussian regression
    np.array(["a", "b", "c"] * 30),  # balanced classes
    (np.random.default_rng(5).uniform(size=(200, 3)) < 0.5).astype(int),  # balanced multilabel
    np.random.default_rng(6).dirichlet([1, 1, 1], size=50),  # probability rows
], ids=["regression", "multiclass", "multilabel", "probability_rows"])
def test_a_single_recommendation_comes_with_its_nearest_alternative(y):
    rec = recommend(y)
    assert len(rec.candidates) >= 2
    assert rec.alternatives[0].trigger.startswith("nearest alternative to")


# ---------------------------------------------------------------- ordinal levels
PID = np.array([0, 1, 2, 3, 4, 5, 6] * 10 + [0, 0, 1, 5, 6, 6])  # a 7-level party identification


def test_ordinal_when_asked():
    assert infer_problem(PID).kind == "multiclass"  # never inferred
    rec = recommend(PID, kind="ordinal")
    assert rec.problem.kind == "ordinal" and rec.problem.classes == tuple(range(7))
    assert (rec.primary.loss, rec.primary.output_units, rec.primary.metric) == ("sparse_categorical_crossentropy", 7, "accuracy")
    mse = next(c for c in rec.alternatives if c.loss == "mean_squared_error")
    assert (mse.output_units, mse.output_activation) == (1, "linear")
    assert "level index" in mse.why and "round" in mse.caveat
    assert "mae" in rec.also_report and get_metric("mae").applies_to("ordinal")
    check("mean_squared_error", "linear", PID, kind="ordinal")
    check("sparse_categorical_crossentropy", "softmax", PID, output_units=7, kind="ordinal")


def test_ordinal_refusals_say_how_to_fix():
    with pytest.raises(ValueError, match=r"at least 3 ordered levels.*pass kind='binary'"):
        infer_problem([0, 1, 1, 0], kind="ordinal")
    with pytest.raises(SetupError, match=r"regresses on the level index.*Fix: map them to 0 \.\. 2"):
        check("mean_squared_error", "linear", ["low", "mid", "high"] * 3, kind="ordinal")
    levels = pd.Series(pd.Categorical(["low", "high", "mid"] * 3, categories=["low", "mid", "high"], ordered=True))
    assert recommend(levels, kind="ordinal").problem.classes == ("low", "mid", "high")


@pytest.mark.parametrize("kind", ["regression", "counts", "binary", "multiclass", "multilabel", "ordinal", "probabilities"])
def test_every_kind_of_the_command_line_is_accepted(kind):
    y = {"multilabel": np.array([[1, 0], [0, 1], [1, 1], [0, 0]] * 5), "probabilities": np.array([[0.2, 0.8], [0.5, 0.5]] * 5),
         "binary": np.array([0, 1] * 10)}.get(kind, np.array([0, 1, 2, 3] * 5))
    expected = "probability_rows" if kind == "probabilities" else kind
    assert infer_problem(y, kind=kind).kind == expected
    assert recommend(y, kind=kind).problem.kind == expected


# ---------------------------------------------------------------- failure 9: wording
def _refusals() -> list[str]:
    messages = []
    for call in (lambda: infer_problem([1.0, np.nan, 2.0]), lambda: infer_problem(["a", None, "b"]),
                 lambda: infer_problem([0, 1, 2], kind="bogus"), lambda: recommend([3, 3, 3]),
                 lambda: check("mean_squared_error", "linear", [0, 1, 2, 1, 0, 2] * 5),
                 lambda: check("poisson", "exponential", [-1.0, 2.0, 3.0])):
        with pytest.raises(ValueError) as info:
            call()
        messages.append(str(info.value))
    return messages


def test_library_errors_name_python_arguments_never_flags():
    messages = _refusals()
    assert any("kind='regression'" in m for m in messages)
    for m in messages:
        assert "--" not in m and "dropna" not in m, m
