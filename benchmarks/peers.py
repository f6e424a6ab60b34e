"""losslab's lockstep engine beside the other ways to train R small MLPs, in one run.

Run: .venv/bin/python benchmarks/peers.py [--quick] [--device cuda] [--sample 3]

The same work for every method: R replicates of one MLP (ReLU hidden layer), each with its
own initial weights and its own minibatch order, SGD lr 0.01 momentum 0.9, minibatches of
32, and (except scikit-learn, which has no such hook) the loss on the held-out rows after
every epoch (the learning curve). One torch/XLA thread on the CPU, so that the ratios say
what the methods do rather than how they use threads.

- losslab: ``losslab.engine.train`` (replicates stacked, hand-written batched backward);
- torch loop: one ``nn.Sequential`` + ``torch.optim.SGD`` model after another (what a user
  writes); timed on ``--sample`` models and scaled to R;
- torch.func: PyTorch's model-ensembling recipe, ``stack_module_state`` +
  ``functional_call`` + ``vmap(grad(...))``, the update written on the stacked weights;
- JAX: ``vmap`` over replicates of a ``lax.scan`` over epochs and steps, jitted; compile
  time reported apart (``pip install "jax[cpu]"``; skipped with the reason when absent).
  ``lax.scan`` needs equal minibatches: the last partial minibatch of an epoch is dropped
  (480 of 500 rows), so JAX does 4% less work on the tutorial's problems;
- scikit-learn: ``MLPRegressor`` / ``MLPClassifier`` (solver sgd, the same settings), one
  after another; timed on ``--sample`` models and scaled to R;
- fused (numba): one compiled loop per epoch that trains each replicate's minibatches with
  no call between steps (``benchmarks/fused_kernel.py``; ``pip install numba``, skipped with
  the reason when absent; compile time reported apart). It measures what fusing the whole
  epoch into one kernel, the route proposed to reach 3x over JAX, gives on this processor.

Problems: the tutorial's three (regression 20-25-1 MSE 100 epochs, circles 2-50-1 BCE 200
epochs, blobs 2-50-3 CCE 100 epochs; 500 training rows, 500 held out) and a 5,000-row
table (10-50-1, MSE, 3,750 training rows, 100 epochs). ``--quick``: 20 epochs each.
At R = 300 the engine's useful multiply-adds per second are compared with this machine's
measured matmul peak (a 1024 x 1024 float32 product on the same thread count).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
import warnings

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from fused_kernel import fused_runner  # noqa: E402  (benchmarks/ is the script's folder)

from losslab import losses  # noqa: E402
from losslab.engine import SGD, Member, Network, Replicate, train  # noqa: E402
from losslab.engine.network import shuffle_stream  # noqa: E402
from losslab.tutorial import experiments as tutorial  # noqa: E402

LR, MOMENTUM, BATCH = 0.01, 0.9, 32


@dataclasses.dataclass
class Problem:
    name: str
    X: np.ndarray
    y: np.ndarray  # float targets (N, k) for mse/bce, one-hot (N, k) for cce
    labels: np.ndarray | None
    hidden: int
    kind: str  # "mse", "bce", "cce"
    epochs: int
    n_train: int

    @property
    def n_outputs(self) -> int:
        return self.y.shape[1]

    @property
    def macs_per_row(self) -> int:
        return self.X.shape[1] * self.hidden + self.hidden * self.n_outputs


def problems(quick: bool) -> list[Problem]:
    out = []
    for name, kind in (("regression", "mse"), ("circles", "bce"), ("blobs", "cce")):
        X, y = tutorial.problem_data(name)
        spec = tutorial.PROBLEMS[name]
        if kind == "cce":
            labels = y.astype(int)
            Y = np.eye(3)[labels]
        else:
            labels = None
            Y = y.reshape(len(y), -1).astype(np.float64)
        out.append(Problem(name, X.astype(np.float64), Y, labels, spec.hidden, kind, 20 if quick else spec.epochs, 500))
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5000, 10))
    y = X @ rng.standard_normal(10) + np.sin(2 * X[:, 0]) + 0.5 * rng.standard_normal(5000)
    y = (y - y[:3750].mean()) / y[:3750].std()
    out.append(Problem("table 5k", X, y[:, None], None, 50, "mse", 20 if quick else 100, 3750))
    return out


# ---------------------------------------------------------------------- losslab
def run_engine(p: Problem, R: int, device: str) -> float:
    name = {"mse": "mse", "bce": "binary_crossentropy", "cce": "categorical_crossentropy"}[p.kind]
    act = {"mse": "linear", "bce": "sigmoid", "cce": "softmax"}[p.kind]
    member = Member(losses.get(name), act, p.y if p.kind != "mse" or p.n_outputs > 1 else p.y[:, 0])
    reps = [Replicate(0, s, np.arange(p.n_train), np.arange(p.n_train, len(p.X))) for s in range(R)]
    start = time.perf_counter()
    train(p.X, [member], reps, network=Network(p.X.shape[1], (p.hidden,), p.n_outputs), epochs=p.epochs,
          batch_size=BATCH, optimizer=SGD(LR, MOMENTUM), device=device)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start


# ---------------------------------------------------------------------- PyTorch
def _torch_loss(kind: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if kind == "mse":
        return ((out - y) ** 2).mean()
    if kind == "bce":
        return torch.nn.functional.binary_cross_entropy_with_logits(out, y)
    return torch.nn.functional.cross_entropy(out, y.argmax(-1))


def _torch_model(p: Problem, seed: int) -> torch.nn.Sequential:
    layers = []
    for i, (w, b) in enumerate(Network(p.X.shape[1], (p.hidden,), p.n_outputs).initial_weights(seed)):
        lin = torch.nn.Linear(*w.shape)
        with torch.no_grad():
            lin.weight.copy_(torch.as_tensor(w.T))
            lin.bias.copy_(torch.as_tensor(b))
        layers += [lin, torch.nn.ReLU()] if i == 0 else [lin]
    return torch.nn.Sequential(*layers).float()


def run_torch_loop(p: Problem, n_models: int, device: str) -> float:
    """``n_models`` models one after another; seconds."""
    X = torch.tensor(p.X, dtype=torch.float32, device=device)
    Y = torch.tensor(p.y, dtype=torch.float32, device=device)
    n = p.n_train
    start = time.perf_counter()
    for seed in range(n_models):
        model = _torch_model(p, seed).to(device)
        opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
        rng = shuffle_stream(seed)
        for _ in range(p.epochs):
            order = torch.as_tensor(np.argsort(rng.random(n), kind="stable"), device=device)
            for s in range(0, n, BATCH):
                idx = order[s: s + BATCH]
                opt.zero_grad()
                _torch_loss(p.kind, model(X[idx]), Y[idx]).backward()
                opt.step()
            with torch.no_grad():
                _torch_loss(p.kind, model(X[n:]), Y[n:]).item()
    return time.perf_counter() - start


def run_torch_func(p: Problem, R: int, device: str) -> float:
    """PyTorch's model-ensembling recipe (torch.func), SGD with momentum on the stacked weights."""
    from torch.func import functional_call, grad, stack_module_state, vmap

    models = [_torch_model(p, s).to(device) for s in range(R)]
    params, _ = stack_module_state(models)
    params = {k: v.detach().clone() for k, v in params.items()}
    base = _torch_model(p, 0).to("meta")
    X = torch.tensor(p.X, dtype=torch.float32, device=device)
    Y = torch.tensor(p.y, dtype=torch.float32, device=device)
    n = p.n_train

    def loss_fn(prm, x, y):
        return _torch_loss(p.kind, functional_call(base, (prm,), (x,)), y)

    grads_of = vmap(grad(loss_fn))
    evaluate = vmap(loss_fn, in_dims=(0, None, None))
    velocity = {k: torch.zeros_like(v) for k, v in params.items()}
    rngs = [shuffle_stream(s) for s in range(R)]
    start = time.perf_counter()
    for _ in range(p.epochs):
        order = torch.as_tensor(np.stack([np.argsort(r.random(n), kind="stable") for r in rngs]), device=device)
        for s in range(0, n, BATCH):
            idx = order[:, s: s + BATCH]
            g = grads_of(params, X[idx], Y[idx])
            with torch.no_grad():
                for k in params:
                    velocity[k].mul_(MOMENTUM).sub_(g[k], alpha=LR)
                    params[k].add_(velocity[k])
        with torch.no_grad():
            evaluate(params, X[n:], Y[n:])
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start


# ---------------------------------------------------------------------- JAX
def jax_runner():
    """``run(p, R) -> (compile seconds, run seconds)``, or the reason JAX cannot run here."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError as err:
        return f"JAX not installed ({err}); pip install 'jax[cpu]'"

    def run(p: Problem, R: int) -> tuple[float, float]:
        n, steps = p.n_train, p.n_train // BATCH
        X, Y = jnp.asarray(p.X, jnp.float32), jnp.asarray(p.y, jnp.float32)
        init = [Network(p.X.shape[1], (p.hidden,), p.n_outputs).initial_weights(s) for s in range(R)]
        params = tuple(jnp.asarray(np.stack([w[i][j] for w in init]), jnp.float32) for i in range(2) for j in range(2))

        def forward(prm, x):
            W1, b1, W2, b2 = prm
            return jax.nn.relu(x @ W1 + b1) @ W2 + b2

        def loss_fn(prm, x, y):
            out = forward(prm, x)
            if p.kind == "mse":
                return jnp.mean((out - y) ** 2)
            if p.kind == "bce":
                return jnp.mean(jnp.logaddexp(0.0, out) - y * out)
            return jnp.mean(jax.nn.logsumexp(out, -1) - jnp.sum(out * y, -1))

        def one_model(prm, key):
            def epoch(carry, k):
                prm, vel = carry
                order = jax.random.permutation(k, n)[: steps * BATCH].reshape(steps, BATCH)

                def step(carry, idx):
                    prm, vel = carry
                    g = jax.grad(loss_fn)(prm, X[idx], Y[idx])
                    vel = tuple(MOMENTUM * v - LR * gi for v, gi in zip(vel, g))
                    return (tuple(w + v for w, v in zip(prm, vel)), vel), None

                (prm, vel), _ = jax.lax.scan(step, (prm, vel), order)
                return (prm, vel), loss_fn(prm, X[n:], Y[n:])

            vel = tuple(jnp.zeros_like(w) for w in prm)
            (prm, _), curve = jax.lax.scan(epoch, (prm, vel), jax.random.split(key, p.epochs))
            return prm, curve

        fn = jax.jit(jax.vmap(one_model))
        keys = jax.random.split(jax.random.PRNGKey(0), R)
        t = time.perf_counter()
        compiled = fn.lower(params, keys).compile()
        compile_s = time.perf_counter() - t
        t = time.perf_counter()
        jax.block_until_ready(compiled(params, keys))
        return compile_s, time.perf_counter() - t

    return run


# ---------------------------------------------------------------------- scikit-learn
def run_sklearn(p: Problem, n_models: int) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    X, n = p.X, p.n_train
    y = p.y[:, 0] if p.kind in ("mse", "bce") else p.labels
    cls = MLPRegressor if p.kind == "mse" else MLPClassifier
    start = time.perf_counter()
    for seed in range(n_models):
        model = cls(hidden_layer_sizes=(p.hidden,), solver="sgd", learning_rate_init=LR, momentum=MOMENTUM,
                    nesterovs_momentum=False, batch_size=BATCH, max_iter=p.epochs, tol=0.0,
                    n_iter_no_change=p.epochs + 1, alpha=0.0, shuffle=True, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X[:n], y[:n])
    return time.perf_counter() - start


# ---------------------------------------------------------------------- peak
def matmul_gflops(device: str) -> float:
    size = 1024 if device == "cpu" else 8192
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    for _ in range(3):
        a @ b
    reps = 20
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(reps):
        a @ b
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return 2 * size**3 * reps / (time.perf_counter() - start) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20 epochs per problem")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sample", type=int, default=3, help="models timed for the one-by-one methods")
    parser.add_argument("--replicates", default="1,30,300")
    parser.add_argument("--problems", default=None, help="e.g. regression,'table 5k'")
    args = parser.parse_args()
    torch.set_num_threads(1)
    device = args.device
    if device == "cpu":
        os.environ["JAX_PLATFORMS"] = "cpu"  # JAX would take a GPU if it saw one: compare on the same processor
    jax_run = jax_runner()
    if device != "cpu" and not isinstance(jax_run, str):
        import jax

        if jax.default_backend() == "cpu":
            jax_run = f"JAX has no GPU backend here (jax.default_backend() is 'cpu'); pip install 'jax[cuda12]' for {device}"
    if isinstance(jax_run, str):
        print(f"JAX skipped: {jax_run}")
    fused = fused_runner() if device == "cpu" else f"the fused kernel runs on the CPU only, not {device}"
    if isinstance(fused, str):
        print(f"fused (numba) skipped: {fused}")
    peak = matmul_gflops(device)
    print(f"device {device}, 1 CPU thread, load average {os.getloadavg()[0]:.1f}; matmul peak {peak:.1f} GFLOP/s")
    print("seconds (torch loop and scikit-learn: timed on a sample, scaled to R); x: how many times faster losslab is")
    header = (f"{'problem':>10} {'R':>4} {'losslab':>8} {'torch loop':>11} {'torch.func':>11} {'JAX (+compile)':>16} "
              f"{'sklearn':>9} {'fused (+compile)':>17}  losslab vs loop/func/JAX/sklearn/fused")
    print(header)
    wanted = None if args.problems is None else {s.strip() for s in args.problems.split(",")}
    for p in problems(args.quick):
        if wanted and p.name not in wanted:
            continue
        for R in (int(r) for r in args.replicates.split(",")):
            engine = run_engine(p, R, device)
            k = min(R, args.sample)
            loop = run_torch_loop(p, k, device) * R / k
            func = run_torch_func(p, R, device)
            jax_s = "" if isinstance(jax_run, str) else jax_run(p, R)
            sk = run_sklearn(p, k) * R / k
            fu = "" if isinstance(fused, str) else fused(p.X, p.y, p.n_train, p.kind, p.epochs, R, LR, MOMENTUM, BATCH,
                                                         Network(p.X.shape[1], (p.hidden,), p.n_outputs).initial_weights)
            jtext = f"{jax_s[1]:.2f} (+{jax_s[0]:.1f})" if jax_s else "-"
            ftext = f"{fu[1]:.2f} (+{fu[0]:.1f})" if fu else "-"
            nan = float("nan")
            ratios = [loop / engine, func / engine, (jax_s[1] / engine) if jax_s else nan, sk / engine,
                      (fu[1] / engine) if fu else nan]
            print(f"{p.name:>10} {R:>4} {engine:>8.2f} {loop:>11.2f} {func:>11.2f} {jtext:>16} {sk:>9.2f} {ftext:>17}  "
                  + " / ".join(f"{r:.1f}x" for r in ratios), flush=True)
            if R == 300:
                n_test = len(p.X) - p.n_train
                gflop = 2 * R * p.epochs * p.macs_per_row * (3 * p.n_train + n_test) / 1e9
                print(f"{'':>10} R=300: the engine did {gflop / engine:.1f} GFLOP/s of dense-layer work, "
                      f"{gflop / engine / peak:.0%} of the measured matmul peak", flush=True)


if __name__ == "__main__":
    main()
