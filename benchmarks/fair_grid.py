"""What the tuned protocol costs: a 4-rate learning-rate grid against a single rate, and what
early stopping saves, measured side by side in one run on the tutorial's problems and on a
5,000-row table.

Run: .venv/bin/python benchmarks/fair_grid.py [--repeats 5] [--threads 1] [--rounds 2]

For each problem, the engine trains every loss of the problem x ``--repeats`` seeds:

- ``single``: one learning rate (AdamW 1e-2 with compare's weight decay), the problem's epochs,
  no early stopping;
- ``grid``: the same with the 4 rates 1e-3, 3e-3, 1e-2, 3e-2 in the same lockstep call
  (4x the models); ``grid / single`` is what the grid costs (goal: at most 2x);
- ``grid+stop``: the grid with early stopping (patience 10) on the validation rows;
  ``grid+stop / grid`` is what early stopping saves (below 1: it saves);
- ``+refit``: the grid with early stopping, then the tuned protocol's refit (``compare
  --refit``, off by default): per loss and seed the rate with the lowest validation loss trains again on the
  training and validation rows for its best epoch count, every one in one more lockstep call
  (``Replicate.epochs``); ``+refit / single`` is what the protocol with ``--refit`` costs.

Every configuration records the same per-epoch curves (train, validation, test rows).
Configurations alternate over ``--rounds`` rounds and each keeps its fastest round, so a
busy machine slows them alike. Seconds of training only (no import, no data): CPU seconds
of this process, the measure a machine shared with other work disturbs least with one
thread, and the total wall-clock seconds beside them.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from sklearn.datasets import make_regression
from sklearn.preprocessing import StandardScaler

from losslab import losses
from losslab.experiment.build import TUNED_WEIGHT_DECAY
from losslab.engine import Adam, Member, Network, Replicate, train
from losslab.tutorial import experiments as tutorial

GRID = (1e-3, 3e-3, 1e-2, 3e-2)
SINGLE = 1e-2
# compare's tuned protocol: AdamW with its default weight decay, in every configuration.
OPTIMIZER = Adam(weight_decay=TUNED_WEIGHT_DECAY)


def tutorial_problem(problem: str):
    """(X, members, network, epochs, rows) of one of the tutorial's problems, all its losses."""
    spec = tutorial.PROBLEMS[problem]
    X, y = tutorial.problem_data(problem)
    members = []
    for e in tutorial.select(problem):
        targets, labels = tutorial.encode(y, e.encoding, spec.n_outputs)
        members.append(Member(e.spec, e.output_activation, targets, labels=labels, name=e.name))
    net = Network(X.shape[1], (spec.hidden,), spec.n_outputs)
    return X, members, net, spec.epochs, len(y)


def table_problem(n: int = 5000):
    """A 5,000-row, 10-column regression table; MSE, MAE and Huber, 50 hidden units, 100 epochs."""
    X, y = make_regression(n_samples=n, n_features=10, n_informative=6, noise=25.0, random_state=0)
    X = StandardScaler().fit_transform(X)
    y = StandardScaler().fit_transform(y[:, None])[:, 0]
    members = [Member(losses.get(name), "linear", y, name=name) for name in ("mse", "mae", "huber")]
    return X, members, Network(10, (50,), 1), 100, n


def replicates(n_members: int, n_rows: int, repeats: int, rates):
    """Half the rows train (the last 20% of them validate), half are held out: the tutorial's split."""
    half = n_rows // 2
    fit, val, test = np.arange(int(half * 0.8)), np.arange(int(half * 0.8), half), np.arange(half, n_rows)
    return [Replicate(j, s, fit, test, val=val, lr=lr) for j in range(n_members) for s in range(repeats) for lr in rates]


def refit_replicates(h, reps, n_rates: int) -> list[Replicate]:
    """Per (loss, seed), the rate of the grid with the lowest validation loss, trained again on
    the training and validation rows for its best epoch count (the tuned protocol's refit)."""
    out = []
    val = h.final("val")
    for first in range(0, len(reps), n_rates):
        block = range(first, first + n_rates)
        r = min(block, key=lambda i: val[i] if np.isfinite(val[i]) else np.inf)
        rep = reps[r]
        out.append(Replicate(rep.member, rep.seed, np.concatenate([rep.train, rep.val]), rep.test, lr=rep.lr,
                             epochs=int(h.best_epoch[r]) + 1))
    return out


def seconds(X, members, net, epochs, reps, patience, refit: bool = False) -> tuple[float, float, float]:
    """CPU seconds (this process; with one thread the measure a busy machine disturbs least),
    wall seconds, and the mean number of epochs trained."""
    cpu, wall = time.process_time(), time.perf_counter()
    h = train(X, members, reps, network=net, epochs=epochs, batch_size=32, optimizer=OPTIMIZER, patience=patience)
    if refit:
        again = refit_replicates(h, reps, len(GRID))
        train(X, members, again, network=net, epochs=max(r.epochs for r in again), batch_size=32, optimizer=OPTIMIZER)
    return time.process_time() - cpu, time.perf_counter() - wall, float(np.mean(h.stopped_epoch + 1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    problems = {p: tutorial_problem(p) for p in ("regression", "circles", "blobs")}
    problems["table 5000x10"] = table_problem()
    print(f"{args.repeats} repeats per loss, {args.threads} thread(s), best of {args.rounds} rounds; CPU seconds of training")
    print(f"{'problem':<14} {'models':>6} {'single':>8} {'grid':>8} {'grid+stop':>9} {'+refit':>8} {'grid/single':>11} "
          f"{'stop/grid':>9} {'+refit/single':>13} {'mean epochs (stop)':>18}")
    totals = np.zeros(4)
    wall = 0.0
    for name, (X, members, net, epochs, n) in problems.items():
        configs = {
            "single": (replicates(len(members), n, args.repeats, (SINGLE,)), 0),
            "grid": (replicates(len(members), n, args.repeats, GRID), 0),
            "grid+stop": (replicates(len(members), n, args.repeats, GRID), 10),
            "+refit": (replicates(len(members), n, args.repeats, GRID), 10),
        }
        best = {k: np.inf for k in configs}
        ran = {}
        for _ in range(args.rounds):
            for key, (reps, patience) in configs.items():
                t, w, mean_epochs = seconds(X, members, net, epochs, reps, patience, refit=key == "+refit")
                best[key] = min(best[key], t)
                ran[key] = mean_epochs
                wall += w
        totals += [best["single"], best["grid"], best["grid+stop"], best["+refit"]]
        print(f"{name:<14} {len(configs['single'][0]):>6} {best['single']:>8.2f} {best['grid']:>8.2f} "
              f"{best['grid+stop']:>9.2f} {best['+refit']:>8.2f} {best['grid'] / best['single']:>11.2f} "
              f"{best['grid+stop'] / best['grid']:>9.2f} {best['+refit'] / best['single']:>13.2f} "
              f"{ran['grid+stop']:>10.1f} of {epochs}")
    print(f"{'all':<14} {'':>6} {totals[0]:>8.2f} {totals[1]:>8.2f} {totals[2]:>9.2f} {totals[3]:>8.2f} "
          f"{totals[1] / totals[0]:>11.2f} {totals[2] / totals[1]:>9.2f} {totals[3] / totals[0]:>13.2f}")
    print(f"wall-clock seconds of all the training above: {wall:.1f}")


if __name__ == "__main__":
    main()
