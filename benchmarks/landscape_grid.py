"""A 51 x 51 loss-landscape plane for the tutorial's circles model: the engine's batch against
a plain point-by-point loop, measured side by side in one run.

Every grid point is one weight set; the engine evaluates them as a batch (chunks of weight
sets through batched matrix products), on the train rows and the test rows, loss and
accuracy. The loop does what a user of a one-model tool does: load one weight set into a
plain ``torch.nn.Sequential``, evaluate it, next. It runs on a sample of the grid's points
and its time per point is scaled to the grid.

    .venv/bin/python benchmarks/landscape_grid.py [--sample 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from losslab.landscapes import slices as L


def batch_seconds(training, planes, threads: int, repeats: int) -> tuple[float, float]:
    """Best of ``repeats`` (wall and process CPU seconds): every loss's grid on train and
    test rows, as `compute` evaluates it."""
    wall = cpu = np.inf
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        for i, points in planes:
            L.evaluate_points(training, i, points, threads=threads)
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - cpu_started)
    return wall, cpu


def plain_model(net, flat: np.ndarray, activation: str) -> torch.nn.Sequential:
    layers, offset = [], 0
    for k, (fan_in, fan_out) in enumerate(net.layer_shapes):
        lin = torch.nn.Linear(fan_in, fan_out)
        with torch.no_grad():
            lin.weight.copy_(torch.as_tensor(flat[offset: offset + fan_in * fan_out].reshape(fan_in, fan_out).T))
            offset += fan_in * fan_out
            lin.bias.copy_(torch.as_tensor(flat[offset: offset + fan_out]))
            offset += fan_out
        layers.append(lin)
        if k < len(net.hidden):
            layers.append(torch.nn.ReLU())
    layers.append({"sigmoid": torch.nn.Sigmoid(), "tanh": torch.nn.Tanh()}[activation])
    return torch.nn.Sequential(*layers).float()


def loop_seconds_per_point(training, index: int, points: np.ndarray) -> tuple[float, float]:
    """One weight set at a time: build the model, loss and accuracy on train and test rows."""
    member, net = training.members[index], training.networks[index]
    cut = 0.5 if member.output_activation == "sigmoid" else 0.0
    splits = []
    for rows in (training.train_rows, training.test_rows):
        x = torch.as_tensor(training.X[rows], dtype=torch.float32)
        y = torch.as_tensor(np.asarray(member.targets)[rows], dtype=torch.float32)[:, None]
        splits.append((x, y, torch.as_tensor(member.labels[rows])))
    started, cpu_started = time.perf_counter(), time.process_time()
    with torch.no_grad():
        for flat in points:
            model = plain_model(net, flat, member.output_activation)
            for x, y, labels in splits:
                out = model(x)
                member.loss.torch(y, out)
                ((out[:, 0] > cut).long() == labels).float().mean()
    return (time.perf_counter() - started) / len(points), (time.process_time() - cpu_started) / len(points)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=200, help="grid points the loop evaluates")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--grid", type=int, default=51)
    args = parser.parse_args()
    torch.set_num_threads(1)

    training = L.tutorial_training("circles", "bce,hinge,squared_hinge")
    started = time.perf_counter()
    models = L.train_models(training, seed=0)
    trained = time.perf_counter() - started
    axis = L.plane_axis(args.grid, 1.0)
    a, b = (m.reshape(-1, 1) for m in np.meshgrid(axis, axis))
    planes = []
    for i, (model, net) in enumerate(zip(models, training.networks)):
        d = L.random_directions(model["weights"], net, seed=0)
        planes.append((i, model["weights"] + a * d[0] + b * d[1]))
    G = len(a)

    print(f"circles, {training.networks[0].n_params} parameters, {len(training.train_rows)} train + "
          f"{len(training.test_rows)} test rows; {args.grid} x {args.grid} = {G} points per loss, "
          f"loss and accuracy on train and test rows per point")
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (shared machine: wall times include contention)")
    print(f"training 3 losses x {training.epochs} epochs (lockstep, one thread): {trained:.2f} s")
    results = {}
    for threads in (1, 2):
        one, one_cpu = batch_seconds(training, planes[:1], threads, args.repeats)
        three, three_cpu = batch_seconds(training, planes, threads, args.repeats)
        results[threads] = (one, one_cpu)
        print(f"batch, {threads} thread(s): one loss {one:.3f} s wall, {one_cpu:.3f} s CPU ({G / one:,.0f} points/s); "
              f"three losses {three:.3f} s wall, {three_cpu:.3f} s CPU ({3 * G / three:,.0f} points/s)")
    rng = np.random.default_rng(0)
    sample = planes[0][1][rng.choice(G, size=min(args.sample, G), replace=False)]
    per_point, per_point_cpu = loop_seconds_per_point(training, 0, sample)
    wall, cpu = results[1]
    print(f"point by point (plain torch model, one thread, {len(sample)} sampled points): {per_point * 1e3:.2f} ms/point wall, "
          f"{per_point_cpu * 1e3:.2f} ms CPU; {per_point * G:.2f} s per grid ({1 / per_point:,.0f} points/s)")
    print(f"ratio, point by point / batch (one loss, {G} points, one thread each): {per_point * G / wall:.1f}x wall, "
          f"{per_point_cpu * G / cpu:.1f}x CPU")

if __name__ == "__main__":
    main()
