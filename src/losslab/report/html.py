"""The study report: one self-contained HTML file (figures embedded as PNG, no network)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np

from .curves import learning_curves, metric_boxes

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1b1b1b}
h1{font-size:1.6em;margin-bottom:.2em} h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em} th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}
th{background:#f3f3f3} td:first-child,th:first-child{text-align:left}
.verdict{font-size:1.15em;background:#eef6ee;border-left:4px solid #3a8a3a;padding:.6em 1em}
.muted{color:#666;font-size:.9em} pre{background:#f7f7f7;padding:.6em;overflow-x:auto}
figure{margin:1em 0} figure img{max-width:100%} .grid{display:flex;flex-wrap:wrap;gap:1em} .grid figure{flex:1 1 45%}
.grid figure.wide{flex-basis:100%} .scroll{overflow-x:auto}
"""


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(fig, alt: str, *, wide: bool = False) -> str:
    # A wide figure (the CD diagram) gets a row of its own: in half a row it shrinks past reading.
    cls = " class='wide'" if wide else ""
    return f'<figure{cls}><img alt="{html.escape(alt)}" src="data:image/png;base64,{_png(fig)}"><figcaption class="muted">{html.escape(alt)}</figcaption></figure>'


def _table(df, digits: int = 4) -> str:
    # Long loss names make tables wider than the page: they scroll inside it instead of overflowing.
    return "<div class='scroll'>" + df.to_html(float_format=lambda x: f"{x:.{digits}g}", border=0, na_rep="", escape=True) + "</div>"


def _rows(runs, key: str) -> np.ndarray:
    """Per-trial curves as one array; trials that stopped early are NaN after their last epoch."""
    out = np.full((len(runs), max(len(r[key]) for r in runs)), np.nan)
    for i, r in enumerate(runs):
        out[i, : len(r[key])] = r[key]
    return out


def _curves(study, label: str) -> dict[str, np.ndarray] | None:
    runs = [r.history for r in study.results if r.loss == label and r.status == "ok"]
    if not runs:
        return None
    held = "loss_test" if "loss_test" in runs[0] else "loss_val"
    metric_key = next((k for k in runs[0] if k.startswith("accuracy_")), None)
    out = {"loss_train": _rows(runs, "loss_train"), "loss_test": _rows(runs, held)}
    if metric_key:
        held_metric = metric_key.rsplit("_", 1)[0] + ("_test" if held == "loss_test" else "_val")
        out["metric_train"] = _rows(runs, metric_key.rsplit("_", 1)[0] + "_train")
        out["metric_test"] = _rows(runs, held_metric)
    else:  # regression: the loss again in the bottom panel would repeat itself; show its log
        out["metric_train"] = np.log10(np.maximum(out["loss_train"], 1e-12))
        out["metric_test"] = np.log10(np.maximum(out["loss_test"], 1e-12))
    return out


def write_report(study, path: str | Path) -> Path:
    """Write the report of ``study`` (a :class:`losslab.experiment.results.Study`) to ``path``."""
    path = Path(path)
    spec, info = study.spec, study.info
    metric = spec.metric
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>losslab study: {html.escape(metric)}</title>"
             f"<style>{_CSS}</style></head><body>"]
    parts.append(f"<h1>Which loss? A losslab study</h1><p class='muted'>{html.escape(str(info.get('source', spec.data)))}"
                 f" &middot; {info.get('rows', '?')} rows, {info.get('features', '?')} features &middot; target "
                 f"{html.escape(', '.join(spec.target))}</p>")

    # Verdict first: it is what the reader came for.
    parts.append("<h2>Verdict</h2>")
    parts.append(f"<p class='verdict'>{html.escape(study.verdict())}</p>")
    comparison = None
    if len(spec.candidates) > 1:
        try:
            comparison = study.comparison()
        except ValueError as err:
            parts.append(f"<p class='muted'>{html.escape(str(err))}</p>")
    if comparison is not None:
        parts.append(f"<p><b>Which test and why.</b> {html.escape(comparison.reason)}</p>")

    parts.append("<h2>Data and problem</h2>")
    parts.append(f"<p>{html.escape(str(info.get('problem', '')))}</p>")
    if info.get("recommendation"):
        parts.append("<p><b>The advisor's recommendation</b> (before anything trained):</p><pre>"
                     + html.escape("\n".join(info["recommendation"])) + "</pre>")
    r, m = spec.resampling, spec.model
    design = {"holdout": f"{r.repeats} random hold-out splits ({r.test_size:g} held out)",
              "kfold": f"{r.k}-fold cross-validation", "repeated_kfold": f"{r.repeats} x {r.k}-fold cross-validation",
              "5x2": "5 x 2-fold cross-validation (Dietterich)"}[r.method]
    stopping = f", early stopping (patience {m.patience}, {m.validation_split:g} validation)" if m.patience else ""
    parts.append(f"<p><b>Design.</b> {len(spec.candidates)} candidate losses x {design} = {r.n_trials} paired trials per loss; "
                 f"MLP {'-'.join(map(str, m.hidden))} ({m.hidden_activation}), {m.optimizer} lr {m.learning_rate:g}"
                 f"{' momentum ' + format(m.momentum, 'g') if m.optimizer == 'sgd' else ''}, batch {m.batch_size}, {m.epochs} epochs{stopping}; "
                 f"seed {spec.seed}. Every loss sees the same splits and seeds.</p>")
    if info.get("notes"):
        parts.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in info["notes"]) + "</ul>")

    parts.append("<h2>Results</h2>")
    parts.append(_table(study.summary()))
    if comparison is not None:
        cols = ["loss_a", "loss_b", "test", "statistic", "p", "p_adjusted", "mean_diff", "ci_low", "ci_high", "cohen_d", "cliffs_delta", "significant"]
        parts.append("<p><b>Pairwise comparisons</b> (mean_diff = loss_a - loss_b in " + html.escape(metric) + "; interval at 95%):</p>")
        parts.append(_table(comparison.pairwise[[c for c in cols if c in comparison.pairwise]].set_index("loss_a")))

    parts.append("<h2>Figures</h2><div class='grid'>")
    t = study.trials()
    ok = t[t.status == "ok"]
    values = {c.label: ok.loc[ok.loss == c.label, metric].to_numpy(dtype=float) for c in spec.candidates}
    parts.append(_img(metric_boxes([("held-out " + metric, metric, values)], title=f"{metric} of every trial, per loss"),
                      f"{metric} per trial and loss (box: quartiles; dots: trials)"))
    for c in spec.candidates:
        curves = _curves(study, c.label)
        if curves is None:
            continue
        held = "validation" if m.patience else "test"
        metric_label = "accuracy" if any(k.startswith("accuracy") for k in study.results[0].history) else "log10 loss"
        fig = learning_curves(curves, title=f"{c.label}: learning curves over {curves['loss_train'].shape[0]} trials",
                              loss_label=f"loss ({c.name})", metric_label=metric_label)
        parts.append(_img(fig, f"{c.label}: train (blue) and {held} (orange) per epoch, mean and 10th-90th percentile band"))
    parts.append("</div>")
    parts.append(f"<p class='muted'>Made by losslab. {len(study.results)} trials stored in "
                 f"{html.escape(str(study.folder or ''))}/study.sqlite; export them with --format json|csv.</p></body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(parts), encoding="utf-8")
    return path
