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

__all__ = ["FOREST_COLUMNS", "forest_figures", "off_scale", "plot_forest"]

FOREST_COLUMNS = ("difference", "low", "high", "p_adjusted", "test", "decided")
DECIDED, UNDECIDED = "#b2432f", "#5a5a5a"
# A row whose interval reaches more than this many times as far from 0 as any other row's is
# drawn off the scale (to the axis' edge, with an arrow, its numbers beside it), so that the
# others stay readable: statsmodels' star98 with poisson, whose blown-up trials gave an interval
# of -5.8e8 to 9e8 rmse beside the others' +-100, drew every other loss as one dot at 0.
OFF_SCALE = 20.0


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


def off_scale(frame: pd.DataFrame) -> list:
    """The rows (losses) of ``frame`` drawn off the scale: those whose interval reaches more
    than :data:`OFF_SCALE` times as far from 0 as every row kept on it (never all of them)."""
    reach = frame[["difference", "low", "high"]].abs().max(axis=1, skipna=True).to_numpy(dtype=float)
    tested = np.isfinite(frame["low"].to_numpy(dtype=float)) & np.isfinite(frame["high"].to_numpy(dtype=float))
    order = [i for i in np.argsort(-reach, kind="stable") if tested[i]]
    off: list[int] = []
    for i in order:
        rest = np.delete(reach, [*off, i])
        if rest.size and rest.max() > 0 and reach[i] > OFF_SCALE * rest.max() and len(off) + 1 < int(tested.sum()):
            off.append(i)
        else:
            break
    return [frame.index[i] for i in off]


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
    off = off_scale(frame)
    if off:
        kept = frame.drop(index=off)[["difference", "low", "high"]].to_numpy(dtype=float)
        lo, hi = min(0.0, np.nanmin(kept)), max(0.0, np.nanmax(kept))
        pad = 0.08 * (hi - lo) if hi > lo else 1.0
        ax.set_xlim(lo - pad, hi + pad)
        left, right = lo - pad, hi + pad
    y = np.arange(len(frame))[::-1]
    for yi, (loss, row) in zip(y, frame.iterrows()):
        colour = DECIDED if bool(row["decided"]) else UNDECIDED
        is_best = not np.isfinite(row["low"]) and row["difference"] == 0
        marker = "D" if is_best else "o"
        mean = row["difference"]
        if loss in off:  # to the edges, an arrow where the interval goes on; the mean only if it is on the scale
            a, b = max(row["low"], left), min(row["high"], right)
            ax.plot([a, b], [yi, yi], color=colour, lw=2.2, solid_capstyle="butt")
            for end, cut, head in ((row["low"], left, "<"), (row["high"], right, ">")):
                if end < left or end > right:
                    ax.plot([cut], [yi], marker=head, markersize=8, color=colour, zorder=3)
            if not left <= mean <= right:
                mean = None
        elif np.isfinite(row["low"]) and np.isfinite(row["high"]):
            ax.plot([row["low"], row["high"]], [yi, yi], color=colour, lw=2.2, solid_capstyle="butt")
        if mean is not None:
            ax.plot([mean], [yi], marker=marker, markersize=7, color=colour,
                    markerfacecolor=colour if (bool(row["decided"]) or is_best) else "white", markeredgewidth=1.6, zorder=3)
        tested = np.isfinite(row["p_adjusted"])
        note = "best (reference)" if is_best else f"p={p_value(row['p_adjusted'])}" if tested else "not tested"
        if loss in off:
            note += f", off scale:\n{number(row['low'], 2)} to {number(row['high'], 2)}"
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
    off = [(names or {}).get(str(loss), str(loss)) for loss in off_scale(frame)]
    scale = (f" The interval of {', '.join(off)} reaches more than {OFF_SCALE:g} times as far as the others': it is drawn "
             "to the axis' edges (arrows) with its numbers beside it, so that the others stay readable.") if off else ""
    caption = (f"Forest plot: each loss's mean {comparison.metric} minus that of {best} (the best, at 0), with the "
               f"{confidence:.0%} interval of the test that decided the pair; {said}. Differences: {spread}.{multiple}{scale}")
    return [(caption, png(fig))]
