"""NumPy-reference throughput on 10^6 samples against scikit-learn's metric, side by side.

Run: .venv/bin/python benchmarks/loss_throughput.py
"""

from __future__ import annotations

import time

import numpy as np
from sklearn import metrics

from losslab import losses

N = 1_000_000


def best_of(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=N), rng.normal(size=N)
    pos, prob = np.abs(y), rng.uniform(0.01, 0.99, N)
    labels = (rng.uniform(size=N) < 0.5).astype(float)
    k = 5
    classes = rng.integers(0, k, N)
    probs = rng.dirichlet(np.ones(k), N)
    pairs = [
        ("mean_squared_error", lambda: losses.get("mse").numpy(y, p), lambda: metrics.mean_squared_error(y, p)),
        ("mean_absolute_error", lambda: losses.get("mae").numpy(y, p), lambda: metrics.mean_absolute_error(y, p)),
        ("mean_squared_logarithmic_error", lambda: losses.get("msle").numpy(pos, np.abs(p)),
         lambda: metrics.mean_squared_log_error(pos, np.abs(p))),
        ("binary_crossentropy", lambda: losses.get("bce").numpy(labels, prob), lambda: metrics.log_loss(labels, prob)),
        ("sparse_categorical_crossentropy", lambda: losses.get("sparse_cce").numpy(classes, probs),
         lambda: metrics.log_loss(classes, probs, labels=list(range(k)))),
        ("quantile (tau 0.5)", lambda: losses.get("quantile").numpy(y, p), lambda: metrics.mean_pinball_loss(y, p)),
    ]
    print(f"{'loss':34s} {'losslab':>9s} {'sklearn':>9s} {'ratio':>7s}   (10^6 samples, best of 5; ratio = sklearn / losslab)")
    for name, ours, theirs in pairs:
        a, b = best_of(ours), best_of(theirs)
        print(f"{name:34s} {a * 1e3:7.1f}ms {b * 1e3:7.1f}ms {b / a:6.2f}x")


if __name__ == "__main__":
    main()
