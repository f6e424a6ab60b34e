"""Critical-difference diagrams (Demšar 2006): average ranks, and which losses are tied.

The diagram puts every loss on an axis of average ranks (1 = best, on the left), labels
the better half on the left and the rest on the right, shows the Nemenyi critical
difference (CD) as a bar of that length, and joins with a thick bar each group of losses
whose average ranks lie within CD of each other: losses joined by a bar are not
significantly different.

Reference: Demšar, J. (2006). Statistical comparisons of classifiers over multiple data
sets. Journal of Machine Learning Research 7, 1-30 (Section 3.2.2 and Figures 1-2).

`plot_critical_difference` takes what `losslab.stats.across.AcrossComparison` holds
(``avg_ranks``, ``critical_difference``): across data sets only, since Nemenyi's test assumes
independent blocks, which the overlapping trials of one data set are not. matplotlib is imported when the function runs;
a figure made here draws with the Agg canvas, so ``fig.savefig("cd.png")`` works without a
display.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Real
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["groups_within_cd", "plot_critical_difference"]

# Layout, in inches (vertical) and in inches per rank (horizontal); chosen to read at 100 dpi.
_ROW = 0.26  # between label rows
_BAR_GAP = 0.13  # between stacked group bars
_INCH_PER_RANK = 1.1
_AXIS_WIDTH = (3.5, 7.0)  # the rank axis, in inches: at least, at most
_FONT = 10


def _checked(avg_ranks: Any, cd: Any) -> list[tuple[str, float]]:
    """(name, rank) pairs sorted best first, after refusing what cannot be drawn."""
    if not isinstance(avg_ranks, Mapping):
        raise TypeError(f"avg_ranks: expected a mapping of loss name to average rank. Received: avg_ranks of type {type(avg_ranks).__name__}.")
    if len(avg_ranks) < 2:
        raise ValueError(f"avg_ranks: expected at least 2 losses. Received: {len(avg_ranks)} ({list(avg_ranks)}).")
    items = []
    for name, rank in avg_ranks.items():
        if isinstance(rank, bool) or not isinstance(rank, Real) or not math.isfinite(rank) or rank < 1:
            raise ValueError(f"avg_ranks: expected finite average ranks >= 1. Received: avg_ranks[{name!r}]={rank!r}.")
        items.append((str(name), float(rank)))
    if isinstance(cd, bool) or not isinstance(cd, Real) or not math.isfinite(cd) or cd < 0:
        raise ValueError(f"cd: expected the critical difference, a finite number >= 0. Received: cd={cd!r}.")
    return sorted(items, key=lambda item: (item[1], item[0]))


def groups_within_cd(avg_ranks: Mapping[str, float], cd: float) -> list[tuple[str, ...]]:
    """The maximal groups of two or more losses whose average ranks all lie within ``cd``.

    Two losses whose ranks differ by more than ``cd`` are significantly different
    (Nemenyi); a group is a run of losses, in rank order, that no such difference splits.
    Groups are returned best first; a group inside a larger one is left out.

    >>> groups_within_cd({"a": 1.2, "b": 1.9, "c": 2.6, "d": 3.9}, 1.0)
    [('a', 'b'), ('b', 'c')]
    """
    items = _checked(avg_ranks, cd)
    groups, reach = [], 0
    for start, (_, rank) in enumerate(items):
        end = start
        while end + 1 < len(items) and items[end + 1][1] - rank <= cd:
            end += 1
        if end > start and end > reach:
            groups.append(tuple(name for name, _ in items[start : end + 1]))
            reach = end
    return groups


def plot_critical_difference(avg_ranks: Mapping[str, float], cd: float, *, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Draw Demšar's critical-difference diagram and return its figure.

    Parameters
    ----------
    avg_ranks : Mapping[str, float]
        Average rank of each loss over the trials (1 = best), as in
        ``Comparison.avg_ranks``.
    cd : float
        Nemenyi critical difference at the study's alpha (``Comparison.critical_difference``).
    ax : matplotlib Axes, optional
        Draw into this axes (its figure keeps its size). By default a new figure is made,
        sized so that every label fits, on the Agg canvas.
    title : str, optional
        Printed above the diagram.

    Returns
    -------
    matplotlib.figure.Figure
    """
    items = _checked(avg_ranks, cd)
    groups = groups_within_cd(dict(items), cd)
    n = len(items)
    low = min(1, math.floor(items[0][1]))
    high = max(n, math.ceil(items[-1][1]))
    span = high - low

    own_figure = ax is None
    if ax is None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure()
        FigureCanvasAgg(fig)  # headless: savefig goes through Agg whatever the pyplot backend
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    fig = ax.figure

    # Vertical positions in inches, axis at 0, upward positive.
    bars_top = -0.22
    first_row = bars_top - _BAR_GAP * len(groups) - 0.12
    left_count = (n + 1) // 2
    rows = max(left_count, n - left_count)
    bottom = first_row - _ROW * (rows - 1) - 0.2
    top = 0.95 + (0.3 if title else 0.0)

    ink = {"color": "black", "linewidth": 0.9, "solid_capstyle": "butt", "clip_on": False}
    overhang = 0.12 * span  # label lines run this far past the axis ends
    ax.plot([low, high], [0, 0], **ink)
    for tick in range(low, high + 1):
        ax.plot([tick, tick], [0, 0.09], **ink)
        ax.text(tick, 0.13, str(tick), ha="center", va="bottom", fontsize=_FONT)
    for tick in range(low, high):
        ax.plot([tick + 0.5, tick + 0.5], [0, 0.05], **ink)
    ax.text((low + high) / 2, 0.38, "average rank (1 = best)", ha="center", va="bottom", fontsize=_FONT - 1, color="0.35")

    cd_y = 0.72
    cd_end = low + min(cd, span)  # a CD longer than the axis is drawn to the axis end; its label keeps the value
    ax.plot([low, cd_end], [cd_y, cd_y], color="black", linewidth=1.4, clip_on=False)
    for end in (low, cd_end):
        ax.plot([end, end], [cd_y - 0.05, cd_y + 0.05], color="black", linewidth=1.0, clip_on=False)
    ax.text((low + cd_end) / 2, cd_y + 0.07, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=_FONT)
    if title:
        ax.text((low + high) / 2, top - 0.05, title, ha="center", va="top", fontsize=_FONT + 2, fontweight="bold")

    labels = []
    for i, (name, rank) in enumerate(items):
        on_left = i < left_count
        row = i if on_left else n - 1 - i  # outermost losses on the top rows: no lines cross
        y = first_row - _ROW * row
        # The line stops just inside the axes; the label starts at the axes edge, in the margin sized for it.
        line_end = low - 0.85 * overhang if on_left else high + 0.85 * overhang
        ax.plot([rank, rank, line_end], [0, y, y], **ink)
        ax.plot([rank], [0], marker="o", markersize=3.5, color="black", clip_on=False)
        text = f"{name} ({rank:.2f})"
        edge = low - overhang if on_left else high + overhang
        labels.append(ax.text(edge, y, text, ha="right" if on_left else "left", va="center", fontsize=_FONT))

    for level, group in enumerate(groups):
        ranks = [dict(items)[name] for name in group]
        y = bars_top - _BAR_GAP * level
        reach = min(0.04 * span, 0.1)  # a little past the end points, not so far it seems to take in a neighbour
        ax.plot([min(ranks) - reach, max(ranks) + reach], [y, y], color="black", linewidth=4.0, solid_capstyle="round", clip_on=False)

    ax.set_xlim(low - overhang, high + overhang)
    ax.set_ylim(bottom, top)
    ax.set_axis_off()

    if own_figure:
        # Size the figure so the labels fit: measure them, then give each side its widest.
        renderer = fig.canvas.get_renderer()
        widths = [label.get_window_extent(renderer).width / fig.dpi for label in labels]
        left_in = max(widths[:left_count]) + 0.15
        right_in = max(widths[left_count:]) + 0.15
        axis_in = min(max(_AXIS_WIDTH[0], _INCH_PER_RANK * span), _AXIS_WIDTH[1]) * 1.24  # the axes also holds the overhangs
        width, height = left_in + axis_in + right_in, top - bottom
        fig.set_size_inches(width, height)
        ax.set_position((left_in / width, 0.0, axis_in / width, 1.0))
    return fig
