"""The tutorial's suite (9 experiments x 30 repeats): losslab's engine against a plain
sequential PyTorch loop (what a typical user writes), measured side by side in one run.

Run: .venv/bin/python benchmarks/reproduce_suite.py [--sample 2] [--keras] [--scaling]

- ``losslab reproduce`` start to finish (a subprocess: import, training, table, figures);
- the same 270 models with a sequential loop over a sample of repeats per experiment,
  extrapolated to 30;
- ``--keras``: the tutorial's own Keras code (Keras 3, torch backend) on a sample;
- ``--scaling``: engine time for R = 1, 30, 300, 3000 replicates (regression, MSE),
  one and two threads, and the fraction of this machine's measured matmul GFLOP/s reached.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from losslab.engine import SGD, Member, Network, Replicate, train
from losslab.engine.network import shuffle_stream
from losslab.tutorial import experiments as tutorial

REPEATS = 30


def losslab_cli_seconds() -> float:
    exe = shutil.which("losslab") or str(Path(sys.executable).with_name("losslab"))
    out = tempfile.mkdtemp()
    start = time.perf_counter()
    subprocess.run([exe, "reproduce", "--out", out], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def sequential_model(e: tutorial.Experiment, seed: int) -> float:
    """One model the way a user writes it: nn.Sequential, autograd, torch.optim.SGD,
    per-epoch evaluation on train and test (the tutorial's learning curves). Seconds."""
    spec = tutorial.PROBLEMS[e.problem]
    X, y = tutorial.problem_data(e.problem)
    targets, _ = tutorial.encode(y, e.encoding, spec.n_outputs)
    net = Network(X.shape[1], (spec.hidden,), spec.n_outputs)
    layers = []
    for i, (w, b) in enumerate(net.initial_weights(seed)):
        lin = torch.nn.Linear(*w.shape)
        with torch.no_grad():
            lin.weight.copy_(torch.as_tensor(w.T))
            lin.bias.copy_(torch.as_tensor(b))
        layers += [lin, torch.nn.ReLU()] if i == 0 else [lin]
    act = {"linear": torch.nn.Identity(), "sigmoid": torch.nn.Sigmoid(), "tanh": torch.nn.Tanh(), "softmax": torch.nn.Softmax(-1)}
    model = torch.nn.Sequential(*layers, act[e.output_activation]).float()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss = e.spec
    Xt = torch.tensor(X, dtype=torch.float32)
    Yt = torch.tensor(targets)
    Yt = Yt.long() if loss.shape_rule == "class_index" else Yt.float().reshape(len(y), -1)
    rng = shuffle_stream(seed)
    start = time.perf_counter()
    for _ in range(spec.epochs):
        order = np.argsort(rng.random(500), kind="stable")
        for s in range(0, 500, 32):
            idx = torch.as_tensor(order[s: s + 32])
            opt.zero_grad()
            out = model(Xt[idx])
            loss.torch_kernel(Yt[idx], out, **loss.params).mean().backward()
            opt.step()
        with torch.no_grad():
            for rows in (slice(0, 500), slice(500, 1000)):
                loss.torch_kernel(Yt[rows], model(Xt[rows]), **loss.params).mean()
    return time.perf_counter() - start


def keras_model(e: tutorial.Experiment, seed: int) -> float:
    """The tutorial's own code, on Keras 3 (torch backend). Seconds for fit()."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    spec = tutorial.PROBLEMS[e.problem]
    X, y = tutorial.problem_data(e.problem)
    targets, _ = tutorial.encode(y, e.encoding, spec.n_outputs)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((X.shape[1],)),
                              keras.layers.Dense(spec.hidden, activation="relu", kernel_initializer="he_uniform"),
                              keras.layers.Dense(spec.n_outputs, activation=e.output_activation)])
    model.compile(loss=e.spec.to_keras() if e.name != "msle" else "mean_squared_logarithmic_error",
                  optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9), metrics=["accuracy"] if e.metric == "accuracy" else ["mse"])
    start = time.perf_counter()
    model.fit(X[:500], targets[:500], validation_data=(X[500:], targets[500:]), epochs=spec.epochs, verbose=0)
    return time.perf_counter() - start


def engine_seconds(R: int, threads: int) -> tuple[float, float]:
    """Regression, MSE, 100 epochs, R replicates: seconds and GFLOP done."""
    X, y = tutorial.problem_data("regression")
    net = Network(20, (25,), 1)
    member = Member(tutorial.EXPERIMENTS[0].spec, "linear", y)
    reps = [Replicate(0, s, np.arange(500), np.arange(500, 1000)) for s in range(R)]
    start = time.perf_counter()
    train(X, [member], reps, network=net, epochs=100, batch_size=32, optimizer=SGD(0.01, 0.9), threads=threads)
    seconds = time.perf_counter() - start
    # Multiply-adds of the dense layers: forward once per training row, backward twice
    # (weights and inputs; the first layer needs only weights), forward on the 500 test rows.
    per_row = 20 * 25 + 25 * 1
    flops = 2 * R * 100 * (500 * per_row * 3 + 500 * per_row)
    return seconds, flops / 1e9


def matmul_gflops(threads: int) -> float:
    torch.set_num_threads(threads)
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    for _ in range(3):
        a @ b
    start = time.perf_counter()
    n = 20
    for _ in range(n):
        a @ b
    return 2 * 1024**3 * n / (time.perf_counter() - start) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=int, default=2, help="sequential repeats timed per experiment")
    parser.add_argument("--keras", action="store_true", help="also time the tutorial's Keras code")
    parser.add_argument("--scaling", action="store_true", help="engine scaling over R and threads")
    args = parser.parse_args()
    torch.set_num_threads(1)

    cli = losslab_cli_seconds()
    print(f"losslab reproduce (9 x {REPEATS}, start to finish, figures included): {cli:.1f} s")
    from losslab import api

    engine = api.reproduce(repeats=REPEATS).seconds
    print(f"  of which training the 270 models (api.reproduce, one process per problem): {engine:.1f} s")
    seq_total, keras_total = 0.0, 0.0
    for e in tutorial.EXPERIMENTS:
        times = [sequential_model(e, s) for s in range(args.sample)]
        seq_total += np.mean(times) * REPEATS
        line = f"  {e.name:32s} sequential PyTorch {np.mean(times):5.2f} s/model"
        if args.keras:
            k = keras_model(e, 0)
            keras_total += k * REPEATS
            line += f"   Keras {k:5.1f} s/model"
        print(line)
    print(f"sequential PyTorch loop, extrapolated to 270 models: {seq_total:.0f} s  -> the engine is {seq_total / engine:.0f}x faster, "
          f"the whole CLI run {seq_total / cli:.0f}x")
    if args.keras:
        print(f"tutorial's Keras code, extrapolated to 270 models: {keras_total / 3600:.2f} h  -> losslab is {keras_total / cli:.0f}x faster")
    if args.scaling:
        for threads in (1, 2):
            peak = matmul_gflops(threads)
            print(f"threads={threads}: matmul peak {peak:.1f} GFLOP/s")
            for R in (1, 30, 300, 3000):
                s, gf = engine_seconds(R, threads)
                print(f"  R={R:5d}: {s:6.2f} s  {R / s:8.1f} models/s  {gf / s:6.2f} GFLOP/s = {gf / s / peak:5.1%} of peak")


if __name__ == "__main__":
    main()
