"""Figures of `losslab landscape`: the losses side by side, one column each.

- Plane: ``<data>_plane.png`` (the train loss as filled contours with the optimiser's path
  on top, and the test metric below) and ``<data>_plane_surface.png`` (the train loss as
  a 3-D surface).
- Line: ``<data>_interpolate.png`` (loss and metric along the line from the initial to
  the trained weights, train and test).

Every panel is titled with the loss, the data and the directions' seed. Loss axes and
colours turn logarithmic when the values span more than a factor of 20, as they do far
from a minimum.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..landscapes.slices import Landscape, Slice
from .curves import TEST, TRAIN, _pyplot

_METRIC = {"accuracy": "accuracy", "mse": "MSE", "rmse": "RMSE", "mae": "MAE"}
_LOG_RATIO = 20.0


def draw(result: Landscape, out: str | Path) -> list[Path]:
    """Write the figures of ``result`` into ``out``; return their paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if result.mode == "interpolate":
        path = out / f"{result.data}_interpolate.png"
        interpolation_figure(result, path)
        return [path]
    contour, surface = out / f"{result.data}_plane.png", out / f"{result.data}_plane_surface.png"
    plane_figure(result, contour)
    surface_figure(result, surface)
    return [contour, surface]


# ---------------------------------------------------------------------- labels
def _title(result: Landscape, s: Slice) -> str:
    if result.mode == "interpolate":
        how = f"initial -> trained, seed {result.seed}"
    elif result.directions == "pca":
        how = f"PCA of the path, seed {result.seed}"
    else:
        how = f"random directions, seed {result.direction_seed}"
    return f"{s.loss} ({s.output})\n{result.data}: {how}"


def _axis_labels(result: Landscape, s: Slice) -> tuple[str, str]:
    if result.directions == "pca":
        return tuple(f"PC {k + 1} ({100 * s.explained[k]:.1f}% of path variance)" for k in range(2))  # type: ignore[return-value]
    return "direction 1 (filter-normalised)", "direction 2 (filter-normalised)"


def _log_scale(values: np.ndarray) -> bool:
    v = values[np.isfinite(values)]
    return v.size > 0 and v.min() > 0 and v.max() / v.min() > _LOG_RATIO


def _levels(values: np.ndarray, n: int = 24) -> tuple[np.ndarray, bool]:
    """Contour levels over the finite values: geometric when they span > 20x, else even."""
    v = values[np.isfinite(values)]
    if v.size == 0:
        return np.linspace(0.0, 1.0, n), False
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        hi = lo + max(abs(lo), 1.0) * 1e-6
    if _log_scale(values):
        return np.geomspace(lo, hi, n), True
    return np.linspace(lo, hi, n), False


# ---------------------------------------------------------------------- plane
def plane_figure(result: Landscape, path: str | Path | None = None):
    """Per loss: the train loss as filled contours with the path, and the test metric."""
    from matplotlib import colors

    plt = _pyplot()
    n = len(result.slices)
    fig, axes = plt.subplots(2, n, figsize=(4.9 * n, 9.4), squeeze=False)
    X, Y = np.meshgrid(result.x, result.y)
    metric = _METRIC.get(result.metric, result.metric)
    for col, s in enumerate(result.slices.values()):
        top, bottom = axes[0, col], axes[1, col]
        Z = s.values["loss_train"]
        levels, log = _levels(Z)
        norm = colors.LogNorm(levels[0], levels[-1]) if log else None
        # Overflowed points (inf, NaN far from a minimum) draw as the highest level.
        Z = np.where(np.isfinite(Z), Z, levels[-1])
        filled = top.contourf(X, Y, Z, levels=levels, norm=norm, cmap="viridis")
        top.contour(X, Y, Z, levels=levels[::3], colors="white", linewidths=0.5, alpha=0.6, norm=norm)
        bar = fig.colorbar(filled, ax=top, fraction=0.046, pad=0.03)
        bar.set_label("train loss" + (" (log scale)" if log else ""))
        if log:
            _log_colorbar(bar, levels[0], levels[-1])
        _draw_path(top, s)
        top.set_title(_title(result, s), fontsize=10)
        xl, yl = _axis_labels(result, s)
        top.set_xlabel(xl, fontsize=9)
        top.set_ylabel(yl, fontsize=9)
        top.set_aspect("equal")
        top.legend(loc="lower left", fontsize=7.5, framealpha=0.85, title_fontsize=7.5,
                   title=f"the plane keeps {100 * s.captured:.1f}% of the path's movement")

        M = s.values["metric_test"]
        m_lo, m_hi = _metric_range(result.metric, M)
        mesh = bottom.pcolormesh(X, Y, M, shading="auto", cmap="magma" if result.metric == "accuracy" else "magma_r",
                                 vmin=m_lo, vmax=m_hi)
        _draw_path(bottom, s, legend=False)
        bar = fig.colorbar(mesh, ax=bottom, fraction=0.046, pad=0.03)
        bar.set_label(f"test {metric}")
        bottom.set_title(f"test {metric}; trained: {s.trained['metric_test']:.3g}", fontsize=10)
        bottom.set_xlabel(xl, fontsize=9)
        bottom.set_ylabel(yl, fontsize=9)
        bottom.set_aspect("equal")
    fig.suptitle(f"Loss landscape around the trained weights: {result.description}", fontsize=11)
    fig.tight_layout()
    return _save(fig, path)


def _log_colorbar(bar, lo: float, hi: float) -> None:
    """Plain numbers on a log colour bar: powers of ten over 2+ decades, else 6 rounded values."""
    from matplotlib import ticker

    if np.log10(hi / lo) >= 2:
        bar.ax.yaxis.set_major_locator(ticker.LogLocator(base=10, numticks=8))
    else:
        ticks = [float(f"{v:.2g}") for v in np.geomspace(lo, hi, 6)]
        bar.ax.yaxis.set_major_locator(ticker.FixedLocator([t for t in ticks if lo <= t <= hi]))
    bar.ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    bar.ax.yaxis.set_minor_locator(ticker.NullLocator())


def _metric_range(metric: str, values: np.ndarray) -> tuple[float, float]:
    v = values[np.isfinite(values)]
    if metric == "accuracy":
        return 0.0, 1.0
    if v.size == 0:
        return 0.0, 1.0
    # Error metrics explode far from the minimum; the colours follow the better 90%.
    return float(v.min()), float(np.percentile(v, 90))


def _draw_path(ax, s: Slice, legend: bool = True) -> None:
    p = s.path
    ax.plot(p[:, 0], p[:, 1], color="white", lw=2.6, alpha=0.9, zorder=3)
    ax.plot(p[:, 0], p[:, 1], color="tab:red", lw=1.3, zorder=4, label="optimiser's path (per epoch)" if legend else None)
    ax.plot(*p[0], "o", color="tab:red", mec="white", ms=7, zorder=5, label="initial weights" if legend else None)
    ax.plot(*p[-1], "*", color="gold", mec="black", ms=13, zorder=5, label="trained weights" if legend else None)


def surface_figure(result: Landscape, path: str | Path | None = None):
    """Per loss: the train loss over the plane as a 3-D surface (log10 when it spans > 20x)."""
    plt = _pyplot()
    n = len(result.slices)
    fig = plt.figure(figsize=(5.0 * n, 5.4))
    X, Y = np.meshgrid(result.x, result.y)
    for col, s in enumerate(result.slices.values(), start=1):
        # computed_zorder=False: draw the trained point over the surface, not hidden behind it.
        ax = fig.add_subplot(1, n, col, projection="3d", computed_zorder=False)
        Z = s.values["loss_train"].astype(np.float64)
        log = _log_scale(Z)
        finite = np.isfinite(Z)
        top = Z[finite].max() if finite.any() else 1.0
        Z = np.where(finite, Z, top)
        shown = np.log10(Z) if log else Z
        ax.plot_surface(X, Y, shown, cmap="viridis", rstride=1, cstride=1, linewidth=0, antialiased=True, alpha=0.9,
                        zorder=1)
        trained = np.log10(s.trained["loss_train"]) if log else s.trained["loss_train"]
        ax.scatter([0.0], [0.0], [trained], marker="*", s=160, color="gold", edgecolors="black", zorder=10,
                   depthshade=False, label="trained weights")
        ax.set_title(_title(result, s), fontsize=10)
        xl, yl = _axis_labels(result, s)
        ax.set_xlabel(xl.replace(" (", "\n("), fontsize=8, labelpad=6)
        ax.set_ylabel(yl.replace(" (", "\n("), fontsize=8, labelpad=6)
        ax.set_zlabel("log10 train loss" if log else "train loss", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.view_init(elev=32, azim=-58)
    fig.suptitle(f"Train loss around the trained weights: {result.description}", fontsize=11)
    fig.subplots_adjust(left=0.02, right=0.96, top=0.85, bottom=0.08, wspace=0.12)
    return _save(fig, path)


# ---------------------------------------------------------------------- line
def interpolation_figure(result: Landscape, path: str | Path | None = None):
    """Per loss: loss (top) and metric (bottom) along the line, train and test."""
    plt = _pyplot()
    n = len(result.slices)
    fig, axes = plt.subplots(2, n, figsize=(4.6 * n, 6.6), squeeze=False, sharex=True)
    a = result.x
    metric = _METRIC.get(result.metric, result.metric)
    for col, s in enumerate(result.slices.values()):
        top, bottom = axes[0, col], axes[1, col]
        for ax, what, label in ((top, "loss", "loss"), (bottom, "metric", metric)):
            for split, color in (("train", TRAIN), ("test", TEST)):
                ax.plot(a, s.values[f"{what}_{split}"], color=color, lw=1.6, label=split)
            for x0, name in ((0.0, "initial"), (1.0, "trained")):
                ax.axvline(x0, color="0.45", ls="--", lw=0.9)
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
        if _log_scale(np.concatenate([s.values["loss_train"], s.values["loss_test"]])):
            top.set_yscale("log")
        if result.metric == "accuracy":
            bottom.set_ylim(-0.02, 1.02)
        else:
            both = np.concatenate([s.values["metric_train"], s.values["metric_test"]])
            lo, hi = _metric_range(result.metric, both)
            bottom.set_ylim(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo))
        for x0, name in ((0.0, "initial"), (1.0, "trained")):
            top.annotate(name, (x0, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -10), textcoords="offset points",
                         fontsize=8, color="0.3")
        top.set_title(_title(result, s), fontsize=10)
        bottom.set_xlabel("alpha: weights (1 - alpha) w_initial + alpha w_trained")
        top.legend(fontsize=8, loc="upper center")
    fig.suptitle(f"Loss along the line from the initial to the trained weights: {result.description}", fontsize=11)
    fig.tight_layout()
    return _save(fig, path)


def _save(fig, path):
    if path is None:
        return fig
    plt = _pyplot()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return fig
