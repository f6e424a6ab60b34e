"""The report of a suite: statistics across data sets, and each data set's verdict."""

from __future__ import annotations

import html
from pathlib import Path

from .cd_diagram import plot_critical_difference
from .html import _CSS, _img, _table


def write_suite_report(suite, path: str | Path) -> Path:
    """Write the suite's report to ``path`` (each data set's report lies in its folder)."""
    path = Path(path)
    across = suite.across()
    metric = suite.metric
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>losslab suite: {html.escape(metric)}</title>"
             f"<style>{_CSS}</style></head><body>"]
    parts.append(f"<h1>Which loss, in general? A losslab suite</h1><p class='muted'>{len(suite.studies)} data sets &middot; "
                 f"{len(suite.losses)} losses &middot; held-out {html.escape(metric)}</p>")
    parts.append("<h2>Across data sets</h2>")
    parts.append(f"<p class='verdict'>{html.escape(across.verdict())}</p>")
    parts.append(f"<p><b>Which test and why.</b> {html.escape(across.reason)}</p>")
    parts.append(f"<p>Mean {html.escape(metric)} per data set (each data set's own trials averaged):</p>")
    parts.append(_table(across.values))
    parts.append("<p>Average ranks over the data sets (1 = best):</p>")
    parts.append(_table(across.summary))
    cols = ["loss_a", "loss_b", "test", "statistic", "p", "p_adjusted", "significant", "wins", "ties", "losses",
            "p_a_better", "p_rope", "p_b_better"]
    parts.append("<p><b>Pairs</b> (wins/ties/losses count data sets; p_a_better, p_rope, p_b_better: the Bayesian "
                 f"signed-rank posterior, rope {across.rope:g} {html.escape(metric)}):</p>")
    parts.append(_table(across.pairwise[[c for c in cols if c in across.pairwise]].set_index("loss_a")))
    fig = plot_critical_difference(across.avg_ranks, across.critical_difference,
                                   title=f"Average rank on {metric} over {across.n_datasets} data sets (Nemenyi CD = {across.critical_difference:.2f})")
    parts.append("<div class='grid'>" + _img(fig, "critical-difference diagram: losses joined by a bar are not significantly different", wide=True) + "</div>")
    parts.append("<h2>Each data set</h2><ul>")
    for name, study in suite.studies.items():
        link = html.escape(f"{name}/report.html")
        parts.append(f"<li><b><a href='{link}'>{html.escape(name)}</a></b> ({html.escape(str(study.info.get('problem', '')))}): "
                     f"{html.escape(study.verdict())}</li>")
    parts.append("</ul><p class='muted'>Made by losslab.</p></body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(parts), encoding="utf-8")
    return path
