"""The forest plot of a study: each loss's difference from the best, with the deciding test's interval.

Within one data set the trials overlap, so the tests that decide are the corrected pairwise
tests (Holm-adjusted when there are more than two losses), not ranks over trials. This
figure draws exactly what they decide on: one row per loss, its mean difference from the
best loss on the metric (the best loss sits at 0), and the interval of the test that
decided that pair (for the corrected t-test, the corrected t interval). A filled marker
means the deciding test separates that loss from the best; an open one means it does not.
No critical-difference diagram is drawn within one data set: it assumes independent trials.

`forest_figures` returns ``(caption, png)`` pairs, like the report's other figure functions.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .display import number, p_value, png, wrap_name

__all__ = ["FOREST_COLUMNS", "forest_figures", "plot_forest"]

FOREST_COLUMNS = ("difference", "low", "high", "p_adjusted", "test", "decided")
DECIDED, UNDECIDED = "#b2432f", "#5a5a5a"


def forest_frame(comparison) -> pd.DataFrame:
    """``comparison.forest`` (see :class:`losslab.stats.within.Comparison`), best loss first.

    Indexed by loss: ``difference`` (the loss's mean minus the best loss's mean, in metric
    units), ``low``/``high`` (the deciding test's interval, NaN for the best), ``p_adjusted``,
    ``test`` (the deciding test), ``decided`` (whether it separates the loss from the best).
    """
    return _best_first(comparison.forest[list(FOREST_COLUMNS)])


def _best_first(frame: pd.DataFrame) -> pd.DataFrame:
    """The best loss (no interval, difference 0) first, then by how far each loss lies from it."""
    reference = ~np.isfinite(frame["low"].to_numpy(dtype=float)) & (frame["difference"].to_numpy(dtype=float) == 0)
    key = np.where(reference, -1.0, np.abs(frame["difference"].to_numpy(dtype=float)))
    return frame.iloc[np.argsort(key, kind="stable")]


def plot_forest(frame: pd.DataFrame, *, metric: str, higher_is_better: bool, confidence: float = 0.95,
                names: Mapping[str, str] | None = None):
    """Draw the forest plot of ``frame`` (as `forest_frame` returns it) and return its figure.

    Rows run top to bottom in the frame's order (the best loss first, at 0). The right
    margin prints each pair's adjusted p-value and test, so the figure reads alone.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if frame.empty:
        raise ValueError("frame: expected at least one loss. Received: an empty frame.")
    names = names or {}
    labels = [wrap_name(names.get(str(loss), str(loss)), 24) for loss in frame.index]
    lines = sum(label.count("\n") + 1 for label in labels)
    # Narrow, with large type: on a phone the figure is shown at about 60% of its size and must still read.
    fig = Figure(figsize=(6.0, 1.4 + 0.36 * lines + 0.14 * len(labels)), layout="constrained")
    FigureCanvasAgg(fig)  # headless: savefig goes through Agg whatever pyplot's backend
    ax = fig.add_subplot()
    y = np.arange(len(frame))[::-1]
    for yi, (loss, row) in zip(y, frame.iterrows()):
        colour = DECIDED if bool(row["decided"]) else UNDECIDED
        if np.isfinite(row["low"]) and np.isfinite(row["high"]):
            ax.plot([row["low"], row["high"]], [yi, yi], color=colour, lw=2.2, solid_capstyle="butt")
        is_best = not np.isfinite(row["low"]) and row["difference"] == 0
        ax.plot([row["difference"]], [yi], marker="D" if is_best else "o", markersize=7, color=colour,
                markerfacecolor=colour if (bool(row["decided"]) or is_best) else "white", markeredgewidth=1.6, zorder=3)
        tested = np.isfinite(row["p_adjusted"])
        note = "best (reference)" if is_best else f"p={p_value(row['p_adjusted'])}" if tested else "not tested"
        ax.annotate(note, xy=(1.0, yi), xycoords=("axes fraction", "data"), xytext=(6, 0), textcoords="offset points",
                    va="center", ha="left", fontsize=9, color=colour)
    ax.axvline(0.0, color="black", lw=0.9)
    ax.set_yticks(y, labels, fontsize=9)
    ax.set_ylim(-0.7, len(frame) - 0.3)
    worse = "lower" if higher_is_better else "higher"
    ax.set_xlabel(f"{metric}: loss minus best ({worse} is worse)")
    tests = sorted({str(t) for t in frame["test"] if str(t)})
    interval = f"{confidence:.0%} interval of the deciding test" + (f" ({', '.join(tests)})" if tests else "")
    ax.set_title(f"Difference from the best loss on {metric}\n{interval}", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return fig


def forest_figures(comparison, *, names: Mapping[str, str] | None = None) -> list[tuple[str, bytes]]:
    """The study's forest plot as one ``(caption, png)`` pair (none for fewer than two losses)."""
    frame = forest_frame(comparison)
    if len(frame) < 2:
        return []
    confidence = 1.0 - float(comparison.alpha)
    fig = plot_forest(frame, metric=comparison.metric, higher_is_better=comparison.higher_is_better,
                      confidence=confidence, names=names)
    best = (names or {}).get(str(frame.index[0]), str(frame.index[0]))
    decided = [str(loss) for loss, d in frame["decided"].items() if bool(d)]
    rest = len(frame) - 1
    said = (f"the deciding test separates {len(decided)} of the {rest} other losses from it (filled)" if decided
            else f"the deciding test separates none of the {rest} other losses from it")
    spread = ", ".join(f"{(names or {}).get(str(loss), str(loss))} {number(row['difference'], 3)}"
                       for loss, row in frame.iloc[1:].iterrows())
    # With more than two losses the decision is Holm-adjusted but each interval is for its pair alone:
    # an interval clear of 0 beside an undecided pair is no contradiction, and the caption says why.
    multiple = (" Each interval is for its pair alone; the decision and the p-values beside the rows are adjusted "
                f"for the {len(comparison.pairwise)} pairs (Holm).") if len(frame) > 2 else ""
    caption = (f"Forest plot: each loss's mean {comparison.metric} minus that of {best} (the best, at 0), with the "
               f"{confidence:.0%} interval of the test that decided the pair; {said}. Differences: {spread}.{multiple}")
    return [(caption, png(fig))]
