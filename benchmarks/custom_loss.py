"""The engine's time with a catalog loss, a user-defined loss and a composite, side by side.

The tutorial's regression problem (make_regression, 20-25-1 MLP, SGD lr 0.01 momentum 0.9,
batch 32, 500 training rows), 30 replicates x 100 epochs, one torch thread; each loss trains
in its own engine call, the three calls interleaved over several rounds, best time kept.

Run: .venv/bin/python benchmarks/custom_loss.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from losslab import losses
from losslab.engine import SGD, Member, Network, Replicate, train
from losslab.tutorial import experiments as tutorial

REPLICATES = 30


def custom_mse(y_true, y_pred):
    """MSE as a user writes it."""
    return ((y_pred - y_true) ** 2).mean(dim=-1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    X, y = tutorial.problem_data("regression")
    problem = tutorial.PROBLEMS["regression"]
    n = len(y)
    rows, test = np.arange(n // 2), np.arange(n // 2, n)
    network = Network(X.shape[1], (problem.hidden,), 1, "relu", "he_uniform", "glorot_uniform")
    candidates = {
        "mse (catalog)": losses.get("mse"),
        "custom torch MSE": losses.custom(custom_mse),
        "0.5*mse+0.5*mae": losses.get("0.5*mse+0.5*mae"),
    }

    def run(spec):
        start = time.perf_counter()
        history = train(X, [Member(spec, "linear", y)], [Replicate(0, s, rows, test) for s in range(REPLICATES)],
                        network=network, epochs=problem.epochs, batch_size=32, optimizer=SGD(lr=0.01, momentum=0.9),
                        metrics=("mse",))
        return time.perf_counter() - start, history

    best = {name: float("inf") for name in candidates}
    finals = {}
    for _ in range(args.rounds):
        for name, spec in candidates.items():
            seconds, history = run(spec)
            best[name] = min(best[name], seconds)
            finals[name] = float(np.mean(history.metrics["mse"]["test"][:, -1]))
    base = best["mse (catalog)"]
    print(f"engine: {REPLICATES} replicates x {problem.epochs} epochs, tutorial regression, 1 thread, best of {args.rounds}")
    print(f"{'loss':20s} {'seconds':>8s} {'ratio':>7s} {'test MSE':>9s}   (ratio = time / catalog mse)")
    for name in candidates:
        print(f"{name:20s} {best[name]:8.2f} {best[name] / base:6.2f}x {finals[name]:9.4f}")


if __name__ == "__main__":
    main()
