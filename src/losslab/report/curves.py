"""Learning curves (mean over repeats with a band) and box plots of a metric per loss."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

TRAIN, TEST = "tab:blue", "tab:orange"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _band(ax, values: np.ndarray, color: str, label: str) -> None:
    """Mean line and a band from the 10th to the 90th percentile over repeats (over the
    repeats still training, where early stopping ended some: NaN after their last epoch)."""
    epochs = np.arange(1, values.shape[1] + 1)
    with np.errstate(all="ignore"):
        ax.plot(epochs, np.nanmean(values, axis=0), color=color, label=label, lw=1.6)
    if values.shape[0] > 1:
        lo, hi = np.nanpercentile(values, [10, 90], axis=0)
        ax.fill_between(epochs, lo, hi, color=color, alpha=0.22, lw=0)


# Positive values spanning more than this many decades are drawn on a log scale: one loss whose
# trials blew up (statsmodels' star98 with poisson: rmse to 2.6e9 beside the others' 300) would
# otherwise flatten every other loss to a line at 0.
WIDE_DECADES = 3


def log_scale_if_wide(ax, values) -> bool:
    """Put ``ax``'s y axis on a log scale when the finite ``values`` are positive and span more
    than :data:`WIDE_DECADES` decades; whether it did."""
    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v)]
    if v.size and (v > 0).all() and v.max() > 10**WIDE_DECADES * v.min():
        ax.set_yscale("log")
        return True
    return False


def learning_curves(curves: Mapping[str, np.ndarray], *, title: str, loss_label: str, metric_label: str,
                    path: str | Path | None = None, log_loss: bool = False, held_label: str = "test"):
    """The tutorial's two-panel figure: loss on top, metric below; train blue, held-out orange.

    ``curves`` holds ``loss_train``, ``loss_test``, ``metric_train``, ``metric_test``,
    each of shape (repeats, epochs); ``held_label`` names the held-out curve in the legend
    ("validation" for early-stopped runs). Returns the figure (saved as PNG when ``path`` is given).
    """
    plt = _pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 6.2), sharex=True, layout="constrained")
    n = curves["loss_train"].shape[0]
    _band(top, curves["loss_train"], TRAIN, "train")
    _band(top, curves["loss_test"], TEST, held_label)
    top.set_ylabel(loss_label)
    top.set_title(title, fontsize=11)
    if log_loss:
        top.set_yscale("log")
    _band(bottom, curves["metric_train"], TRAIN, "train")
    _band(bottom, curves["metric_test"], TEST, held_label)
    bottom.set_ylabel(metric_label)
    bottom.set_xlabel("epoch")
    band = f"mean over {n} repeats; band: 10th-90th percentile" if n > 1 else "one run"
    top.legend(title=band, fontsize=8, title_fontsize=8, loc="upper right")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    # Constrained layout, not tight_layout: it fits long titles and labels without warning.
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig


def metric_boxes(groups: Sequence[tuple[str, str, Mapping[str, np.ndarray]]], *, title: str,
                 path: str | Path | None = None, panel_width: float = 4.2, break_underscores: bool = True):
    """Box plots (with the repeats as points) of a test metric per loss, one panel per group.

    ``groups``: ``(panel title, metric label, {loss name: values per repeat})``. Names are
    broken at every underscore (``break_underscores``), or shown as given (already wrapped).
    ``panel_width``: inches per panel.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(groups), figsize=(panel_width * len(groups), 4.4), squeeze=False, layout="constrained")
    rng = np.random.default_rng(0)
    for ax, (panel, metric, values) in zip(axes[0], groups):
        names = list(values)
        data = [np.asarray(values[k]) for k in names]
        ax.boxplot(data, showfliers=False, widths=0.55)
        for i, d in enumerate(data, start=1):
            ax.scatter(i + rng.uniform(-0.12, 0.12, d.size), d, s=9, alpha=0.55, color=TEST, zorder=3)
        ax.set_xticks(range(1, len(names) + 1), [n.replace("_", "\n") if break_underscores else n for n in names], fontsize=8)
        ax.set_title(panel, fontsize=10)
        ax.set_ylabel(metric)
        ax.grid(axis="y", alpha=0.3)
        if metric.lower().startswith("test mse"):
            ax.set_yscale("log")
        else:
            log_scale_if_wide(ax, np.concatenate(data) if data else [])
    fig.suptitle(title, fontsize=11)
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig
