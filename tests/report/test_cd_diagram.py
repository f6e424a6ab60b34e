"""Tests for losslab.report.cd_diagram: groups within the critical difference, and the figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.lines import Line2D
from matplotlib.text import Text

from losslab.report.cd_diagram import groups_within_cd, plot_critical_difference
from losslab.stats.across import compare_across

# Demšar (2006), Section 3.2.4: average ranks of C4.5 and three variants over 14 data sets;
# CD = 1.25 at alpha = 0.05 and 1.12 at alpha = 0.10 (k = 4, N = 14).
DEMSAR = {"C4.5": 3.143, "C4.5+m": 2.000, "C4.5+cf": 2.893, "C4.5+m+cf": 1.964}


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text)]


def group_bars(fig: Figure) -> list[Line2D]:
    return [line for line in fig.findobj(Line2D) if line.get_linewidth() == 4.0]


def test_groups_match_demsars_example():
    # At CD = 1.25 the largest gap, 3.143 - 1.964 = 1.179, is within CD: one group of all four.
    assert groups_within_cd(DEMSAR, 1.25) == [("C4.5+m+cf", "C4.5+m", "C4.5+cf", "C4.5")]
    # At CD = 1.12, C4.5 is apart from C4.5+m (1.143) and C4.5+m+cf (1.179); C4.5+cf joins both sides.
    assert groups_within_cd(DEMSAR, 1.12) == [("C4.5+m+cf", "C4.5+m", "C4.5+cf"), ("C4.5+cf", "C4.5")]
    # Nothing within CD: no groups; a group inside a larger one is not repeated.
    assert groups_within_cd({"a": 1.0, "b": 2.0, "c": 3.0}, 0.5) == []
    assert groups_within_cd({"a": 1.0, "b": 1.1, "c": 1.2}, 0.5) == [("a", "b", "c")]


def test_figure_has_the_names_the_cd_and_one_bar_per_group(tmp_path):
    fig = plot_critical_difference(DEMSAR, 1.12, title="AUC, 14 data sets")
    shown = texts(fig)
    for name, rank in DEMSAR.items():
        assert f"{name} ({rank:.2f})" in shown
    assert "CD = 1.12" in shown and "AUC, 14 data sets" in shown
    assert len(group_bars(fig)) == 2
    path = tmp_path / "cd.png"
    fig.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 300
    assert image[..., :3].min() < 0.1  # something dark was drawn


def test_long_names_fit_inside_the_figure():
    ranks = {name: rank for name, rank in zip(
        ["sparse_categorical_crossentropy", "binary_crossentropy", "kullback_leibler_divergence", "squared_hinge", "hinge",
         "mean_squared_logarithmic_error", "mean_absolute_error", "huber", "log_cosh", "poisson"],
        np.linspace(1.3, 9.4, 10),
    )}  # fmt: skip
    fig = plot_critical_difference(ranks, 2.1)
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    for text in fig.findobj(Text):
        if text.get_text():
            box = text.get_window_extent(renderer)
            assert box.x0 >= 0 and box.x1 <= width and box.y0 >= 0 and box.y1 <= height, text.get_text()
    assert sum(name in " ".join(texts(fig)) for name in ranks) == 10


def test_draws_into_a_given_axes_without_resizing_it():
    fig = Figure(figsize=(6, 3))
    ax = fig.add_subplot()
    returned = plot_critical_difference({"mse": 1.4, "mae": 1.6}, 0.3, ax=ax)
    assert returned is fig
    assert tuple(fig.get_size_inches()) == (6.0, 3.0)
    assert {"mse (1.40)", "mae (1.60)", "CD = 0.30"} <= set(texts(fig))
    assert len(group_bars(fig)) == 1


def test_reads_a_comparison():
    rng = np.random.default_rng(0)
    rows = [(f"d{i}", loss, rng.normal(shift)) for loss, shift in (("bce", 1.0), ("hinge", 0.0), ("mse", 0.2)) for i in range(15)]
    result = compare_across(pd.DataFrame(rows, columns=["dataset", "loss", "value"]), higher_is_better=True, method="demsar")
    fig = plot_critical_difference(result.avg_ranks, result.critical_difference)
    assert f"CD = {result.critical_difference:.2f}" in texts(fig)
    assert all(any(t.startswith(f"{name} (") for t in texts(fig)) for name in ("bce", "hinge", "mse"))


@pytest.mark.parametrize(
    "avg_ranks, cd, error, message",
    [
        ({"a": 1.0}, 1.0, ValueError, r"avg_ranks: expected at least 2 losses. Received: 1 \(\['a'\]\)"),
        ({"a": 1.0, "b": 0.5}, 1.0, ValueError, r"avg_ranks: expected finite average ranks >= 1. Received: avg_ranks\['b'\]=0.5"),
        ({"a": 1.0, "b": float("nan")}, 1.0, ValueError, r"Received: avg_ranks\['b'\]=nan"),
        ({"a": 1.0, "b": 2.0}, -1.0, ValueError, r"cd: expected the critical difference, a finite number >= 0. Received: cd=-1.0"),
        ({"a": 1.0, "b": 2.0}, float("inf"), ValueError, r"Received: cd=inf"),
        ([("a", 1.0), ("b", 2.0)], 1.0, TypeError, r"avg_ranks: expected a mapping of loss name to average rank. Received: avg_ranks of type list"),
    ],
)
def test_bad_arguments_are_refused(avg_ranks, cd, error, message):
    with pytest.raises(error, match=message):
        plot_critical_difference(avg_ranks, cd)
