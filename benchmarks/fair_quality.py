"""Is the default study's model any good? `losslab compare` under the tuned protocol (the
default) and the fixed one, against scikit-learn baselines on the very same splits.

Run: .venv/bin/python benchmarks/fair_quality.py [--datasets diabetes,breast_cancer] [--repeats 10]

Per data set: the advisor's candidate losses, each trial's held-out metric averaged over the
repeats, for both protocols; and on the same hold-out splits, with the same per-fold
preprocessing (fitted on each training fold only), ridge or logistic regression (their
regularization chosen by internal cross-validation on the training fold) and histogram
gradient boosting (scikit-learn's defaults). The last column is the best network's gap to the
best baseline: relative for RMSE-like metrics (goal within 5%), absolute for accuracy (0.02).
"""

from __future__ import annotations

import argparse
import warnings
import tempfile
import time

import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegressionCV, RidgeCV

import losslab
from losslab.data import Preprocessor
from losslab.metrics import get_metric


def baselines(plan, metric) -> dict[str, float]:
    y = plan.y.to_numpy()
    regression = plan.problem.kind == "regression"
    models = {"ridge" if regression else "logistic": (lambda: RidgeCV(alphas=np.logspace(-3, 3, 13))) if regression
              else (lambda: LogisticRegressionCV(Cs=10, max_iter=2000)),
              "hist_gb": (lambda: HistGradientBoostingRegressor(random_state=0)) if regression
              else (lambda: HistGradientBoostingClassifier(random_state=0))}
    out = {}
    for name, make in models.items():
        scores = []
        for s in plan.splits:
            pre = Preprocessor().fit(plan.X.iloc[s.train])
            Xs = pre.transform(plan.X)
            model = make().fit(Xs[s.train], y[s.train])
            given = {"predictions": model.predict(Xs[s.test])} if regression else {"labels": model.predict(Xs[s.test])}
            scores.append(metric.score(y[s.test], **given))
        out[name] = float(np.mean(scores))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", default="diabetes,breast_cancer")
    ap.add_argument("--repeats", type=int, default=10)
    args = ap.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=FutureWarning)  # scikit-learn 1.8 on its coming defaults
    for name in args.datasets.split(","):
        row = {}
        for protocol in ("tuned", "fixed"):
            start = time.perf_counter()
            study = losslab.compare(dataset=name, repeats=args.repeats, protocol=protocol,
                                    out=tempfile.mkdtemp(prefix=f"fair-{name}-{protocol}-"))
            seconds = time.perf_counter() - start
            metric = get_metric(study.spec.metric)
            means = study.summary()[f"{metric.name}_mean"]
            row[protocol] = (means, seconds)
        plan = losslab.plan_study(dataset=name, repeats=args.repeats)
        base = baselines(plan, metric)
        pick = max if metric.higher_is_better else min
        best_nn, best_base = pick(row["tuned"][0]), pick(base.values())
        gap = best_nn - best_base if metric.higher_is_better else (best_nn - best_base) / best_base
        print(f"\n{name}: {len(plan.y)} rows, {metric.name} on held-out rows, mean over {args.repeats} hold-out splits")
        for protocol, (means, seconds) in row.items():
            print(f"  losslab {protocol:<5} ({seconds:5.1f} s): " + ", ".join(f"{k} {v:.4g}" for k, v in means.items()))
        print("  baselines, same splits: " + ", ".join(f"{k} {v:.4g}" for k, v in base.items()))
        kind = "absolute" if metric.higher_is_better else "relative"
        print(f"  best tuned network vs best baseline: {best_nn:.4g} vs {best_base:.4g} ({kind} gap {gap:+.3g})")


if __name__ == "__main__":
    main()
