"""Tests for losslab.report.forest: the frame it draws (each loss against the best) and the figure."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.lines import Line2D
from matplotlib.text import Text

from losslab.report.forest import FOREST_COLUMNS, forest_frame, forest_figures, plot_forest
from losslab.stats.within import Design, compare_losses


def scores(shifts: dict[str, float], n: int = 12, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = rng.normal(0.8, 0.03, n)
    rows = [(loss, s, 0, base[s] + shift + rng.normal(0, 0.01)) for loss, shift in shifts.items() for s in range(n)]
    return pd.DataFrame(rows, columns=["loss", "seed", "fold", "value"])


@pytest.fixture(scope="module")
def comparison():
    # Accuracy: "b" is clearly best, "a" a little behind, "c" far behind.
    return compare_losses(scores({"a": -0.004, "b": 0.0, "c": -0.06}), higher_is_better=True,
                          design=Design("holdout", test_fraction=0.25), metric="accuracy")


def test_frame_is_each_loss_minus_the_best_with_the_pairs_own_interval(comparison):
    frame = forest_frame(comparison)
    assert list(frame.columns) == list(FOREST_COLUMNS)
    means = comparison.summary["mean"]
    assert frame.index[0] == "b" and frame.loc["b", "difference"] == 0.0
    assert math.isnan(frame.loc["b", "low"]) and math.isnan(frame.loc["b", "high"])
    for loss in ("a", "c"):
        assert frame.loc[loss, "difference"] == pytest.approx(means[loss] - means["b"])
        # The pair's own interval, turned to read (loss - best): it holds the difference.
        row = comparison.pairwise[(comparison.pairwise.loss_a.isin([loss, "b"])) & (comparison.pairwise.loss_b.isin([loss, "b"]))].iloc[0]
        sign = 1.0 if row.loss_b == "b" else -1.0
        assert sorted([frame.loc[loss, "low"], frame.loc[loss, "high"]]) == pytest.approx(sorted([sign * row.ci_low, sign * row.ci_high]))
        assert frame.loc[loss, "low"] <= frame.loc[loss, "difference"] <= frame.loc[loss, "high"]
        assert frame.loc[loss, "p_adjusted"] == pytest.approx(row.p_adjusted)
        assert frame.loc[loss, "decided"] == bool(row.significant)
        assert frame.loc[loss, "test"] == row.test
    assert bool(frame.loc["c", "decided"]) and frame.loc["c", "high"] < 0  # far behind: decided, interval below 0
    assert list(frame.index) == ["b", "a", "c"]  # best, then by distance


def test_error_metric_differences_are_positive():
    result = compare_losses(scores({"mse": 0.05, "mae": 0.0}), higher_is_better=False,
                            design=Design("holdout", test_fraction=0.25), metric="rmse")
    frame = forest_frame(result)
    assert frame.index[0] == "mae" and frame.loc["mse", "difference"] > 0
    assert frame.loc["mse", "low"] > 0


def test_figure_draws_one_interval_per_other_loss_and_no_warning(comparison):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a layout warning fails the test
        fig = plot_forest(forest_frame(comparison), metric="accuracy", higher_is_better=True)
        fig.canvas.draw()
    intervals = [line for line in fig.findobj(Line2D) if line.get_linewidth() == 2.2]
    assert len(intervals) == 2
    shown = [t.get_text() for t in fig.findobj(Text)]
    assert "best (reference)" in shown and any(s.startswith("p=") for s in shown)
    assert any("interval of the deciding test (corrected resampled t-test)" in s for s in shown)


def test_figures_are_caption_png_pairs_with_short_names(comparison):
    ((caption, data),) = forest_figures(comparison, names={"b": "b-short"})
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert caption.startswith("Forest plot") and "b-short (the best, at 0)" in caption
    assert "separates 1 of the 2 other losses" in caption
    assert "adjusted for the 3 pairs (Holm)" in caption  # more than two losses: the intervals are per pair


def test_refuses_an_empty_frame():
    with pytest.raises(ValueError, match="frame: expected at least one loss"):
        plot_forest(pd.DataFrame(columns=list(FOREST_COLUMNS)), metric="rmse", higher_is_better=False)


def test_a_pair_that_could_not_be_tested_says_so():
    frame = pd.DataFrame({"difference": [0.0, 0.2], "low": [np.nan, np.nan], "high": [np.nan, np.nan],
                          "p_adjusted": [np.nan, np.nan], "test": ["", ""], "decided": [False, False]},
                         index=pd.Index(["a", "b"], name="loss"))
    shown = [t.get_text() for t in plot_forest(frame, metric="rmse", higher_is_better=False).findobj(Text)]
    assert "best (reference)" in shown and "not tested" in shown


def blown_frame() -> pd.DataFrame:
    # statsmodels' star98, rmse: poisson's blown-up trials give it an interval of -5.7e8 to 8.9e8.
    return pd.DataFrame({"difference": [0.0, 5.5, 38.4, 1.58e8], "low": [np.nan, -130.0, -80.0, -5.7e8],
                         "high": [np.nan, 141.0, 157.0, 8.9e8], "p_adjusted": [np.nan, 1.0, 1.0, 1.0],
                         "test": ["", "t", "t", "t"], "decided": [False, False, False, False]},
                        index=pd.Index(["mse", "mae", "huber", "poisson"], name="loss"))


def test_an_interval_far_wider_than_the_others_is_drawn_off_the_scale():
    from losslab.report.forest import OFF_SCALE, off_scale

    frame = blown_frame()
    assert off_scale(frame) == ["poisson"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plot_forest(frame, metric="rmse", higher_is_better=False)
        fig.canvas.draw()
    ax = fig.axes[0]
    low, high = ax.get_xlim()
    assert -200 < low < -130 and 157 < high < 250  # the others' scale, with a margin
    arrows = [line.get_marker() for line in fig.findobj(Line2D) if line.get_marker() in ("<", ">")]
    assert sorted(arrows) == ["<", ">"]  # both ends run off
    shown = [t.get_text() for t in fig.findobj(Text)]
    assert "p=1, off scale:\n-5.7e+08 to 8.9e+08" in shown
    # The rows on the scale keep their means; the off row's mean (1.58e8) is not drawn at all.
    means = [line.get_xdata()[0] for line in fig.findobj(Line2D) if line.get_marker() in ("o", "D")]
    assert sorted(means) == pytest.approx([0.0, 5.5, 38.4])
    # Comparable intervals, or a single tested row, stay on one scale.
    assert off_scale(frame.iloc[:3]) == [] and off_scale(frame.iloc[[0, 3]]) == []
    wide = frame.copy()
    wide.loc["poisson", ["difference", "low", "high"]] = [100.0, -OFF_SCALE * 150.0, 100.0]
    assert off_scale(wide) == []  # just under OFF_SCALE times the widest other reach (157)


def test_the_caption_says_which_interval_is_off_the_scale(monkeypatch):
    from losslab.report import forest

    comparison = type("C", (), {"alpha": 0.05, "metric": "rmse", "higher_is_better": False, "pairwise": [0, 1, 2, 3, 4, 5]})()
    monkeypatch.setattr(forest, "forest_frame", lambda c: blown_frame())
    ((caption, _),) = forest.forest_figures(comparison)
    assert caption.endswith("The interval of poisson reaches more than 20 times as far as the others': it is drawn to "
                            "the axis' edges (arrows) with its numbers beside it, so that the others stay readable.")
