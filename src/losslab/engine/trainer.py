"""Train R replicates x L losses of one MLP shape in lockstep.

The weights of every replicate are stacked on a leading axis and trained with batched
matrix products; each replicate has its own initial weights and its own minibatch order
drawn from its own seed, so replicate r is exactly the model that a plain one-model loop
would produce with that seed (``tests/engine`` holds both to a plain PyTorch loop).

For layers this small the cost is per-operation overhead, so a step is a handful of large
ops: a gather of every replicate's minibatch, one ``baddbmm`` per layer forward, two
``bmm`` per layer backward (hand-written), the loss gradient with respect to the outputs
from autograd on the small output tensor (so any catalog or custom loss trains), and one
optimizer update over a single flat buffer holding every weight of every replicate.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import torch

from ..losses import LossSpec
from . import activations as act
from .gradients import closed_form
from .history import History
from .network import OUTPUT_ACTIVATIONS, Network, shuffle_stream
from .optimizers import SGD, Adam

ENGINE_METRICS = ("accuracy", "mse", "rmse", "mae")
# Minibatch keys are drawn for as many epochs at a time as fit in this many numbers.
_KEY_BLOCK = 2e6
# An evaluation wider than this many activations (replicates x rows x widest layer, 64 MB in
# float32) runs a block of rows at a time.
_EVAL_ELEMENTS = 16_000_000
_DTYPES = {"float32": torch.float32, "float64": torch.float64}


class Checkpoints(Protocol):
    """Where :func:`train` saves and finds mid-training states (see ``checkpoint``)."""

    def restore(self, key: str) -> dict | None: ...

    def epoch_done(self, key: str, epoch: int, state: Callable[[], dict]) -> None: ...


@dataclasses.dataclass(frozen=True, eq=False)
class Member:
    """One loss trained by some of the replicates.

    Parameters
    ----------
    loss : LossSpec
    output_activation : str
        The output layer's activation (``"sigmoid"`` for binary cross-entropy, ...).
    targets : ndarray
        Targets encoded as the loss expects, one row per row of ``X``: ``(N,)`` or ``(N, k)``
        (``(N,)`` integer indices for sparse losses); with a leading view axis ``(V, N, ...)``
        when ``X`` has one.
    labels : ndarray of int, optional
        Class index of every row (``(N,)`` or ``(V, N)``), for the accuracy metric.
    name : str, optional
        How the history names this member; defaults to the loss's name.
    """

    loss: LossSpec
    output_activation: str
    targets: np.ndarray
    labels: np.ndarray | None = None
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or self.loss.name


@dataclasses.dataclass(frozen=True, eq=False)
class Replicate:
    """One network: which member's loss it trains, its seed, its rows of ``X``.

    ``train`` and ``test`` are row indices into view ``view`` of ``X`` (views let every
    fold carry its own preprocessing).
    """

    member: int
    seed: int
    train: np.ndarray
    test: np.ndarray | None = None
    view: int = 0


def train(
    X: np.ndarray,
    members: Sequence[Member],
    replicates: Sequence[Replicate],
    *,
    network: Network,
    epochs: int,
    batch_size: int = 32,
    optimizer: SGD | Adam | None = None,
    metrics: Sequence[str] = (),
    dtype: str = "float32",
    device: str | torch.device | None = None,
    threads: int | None = None,
    record_trajectory: bool = False,
    progress: Callable[[int], None] | None = None,
    closed_forms: bool = True,
    checkpoint: Checkpoints | None = None,
) -> History:
    """Train every replicate; return a :class:`History` with one row per replicate.

    Parameters
    ----------
    X : ndarray of shape (N, d) or (V, N, d)
        Inputs, already scaled; several views when folds are preprocessed separately.
    members : sequence of Member
    replicates : sequence of Replicate
    network : Network
    epochs, batch_size : int
        Keras semantics: a fresh shuffle every epoch, the last minibatch may be smaller.
    optimizer : SGD or Adam
        Defaults to plain SGD with lr 0.01 (Keras' default).
    metrics : sequence of {"accuracy", "mse", "rmse", "mae"}
        Recorded at the end of every epoch on each replicate's train and test rows.
    dtype : {"float32", "float64"}
    device : str, optional
        ``"cpu"`` (default) or ``"cuda"``.
    threads : int, optional
        torch's intra-op threads while training (restored afterwards).
    record_trajectory : bool
        Keep every replicate's flattened weights after every epoch (for loss landscapes).
    progress : callable, optional
        Called with the number of replicate-epochs just finished.
    closed_forms : bool
        Use the closed-form output gradients of common pairs (MSE + linear, BCE + sigmoid,
        hinge + tanh, ...) instead of autograd; the same numbers to rounding, faster.
    checkpoint : Checkpoints, optional
        Mid-training checkpoints: each lockstep group first asks ``checkpoint.restore(key)``
        for a saved state and continues from it, then calls ``checkpoint.epoch_done(key,
        epoch, state)`` after every epoch, ``state()`` giving a snapshot (weights, optimizer
        state, random-stream positions, curves so far) to save when the caller wants one.
        A resumed group gives the same numbers as an uninterrupted one.
    """
    optimizer = optimizer or SGD()
    X, members, replicates = _validate(X, members, replicates, network, epochs, batch_size, metrics, dtype)
    torch_dtype = _DTYPES[dtype]
    device = torch.device(device or "cpu")
    started = time.perf_counter()
    history = History.empty(replicates, [m.label for m in members], network, epochs, metrics, record_trajectory)

    groups: dict[int, list[int]] = {}
    for i, rep in enumerate(replicates):
        groups.setdefault(math.ceil(len(rep.train) / batch_size), []).append(i)
    with _threads(threads), torch.no_grad():
        for rows in groups.values():
            rows.sort(key=lambda i: replicates[i].member)
            group = _Group(X, members, [replicates[i] for i in rows], network, optimizer, batch_size, metrics,
                           torch_dtype, device, closed_forms)
            group.checkpoint = checkpoint
            group.run(epochs, history, rows, record_trajectory, progress)
    history.seconds = time.perf_counter() - started
    return history


@contextlib.contextmanager
def _threads(threads: int | None):
    if threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(int(threads))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _output_at(name: str, pre: np.ndarray) -> np.ndarray:
    """The output layer's activation in NumPy (to validate targets before training)."""
    out = act.forward(name, torch.as_tensor(pre))
    return out.numpy()


def _validate(X, members, replicates, network, epochs, batch_size, metrics, dtype):
    # A private, writable, row-major copy: torch refuses read-only arrays, and gathering rows
    # of a column-major array (what pandas and scikit-learn often give) is 20x slower. float32
    # data trained in float32 is used as it is (torch shares it: the data is held once).
    X = _as_training_array(X, dtype)
    if X.ndim == 2:
        X = X[None]
    if X.ndim != 3:
        raise ValueError(f"train: expected X of shape (n_samples, n_features). Received: X.shape={X.shape}.")
    if not np.isfinite(X).all():
        raise ValueError("train: expected finite values in X. Received: NaN or infinite values; drop or impute them first.")
    if X.shape[2] != network.n_inputs:
        raise ValueError(f"train: expected X with {network.n_inputs} features (network.n_inputs). Received: {X.shape[2]}.")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"train: expected epochs >= 1. Received: epochs={epochs!r}.")
    if dtype not in _DTYPES:
        raise ValueError(f"train: expected dtype in {tuple(_DTYPES)}. Received: dtype={dtype!r}.")
    for m in metrics:
        if m not in ENGINE_METRICS:
            raise ValueError(f"train: expected metrics from {ENGINE_METRICS}. Received: {m!r}.")
    if not members:
        raise ValueError("train: expected at least one member (a loss to train).")
    if not replicates:
        raise ValueError("train: expected at least one replicate.")
    n_views, n_rows = X.shape[:2]
    checked = []
    for m in members:
        if not isinstance(m.loss, LossSpec):
            raise TypeError(f"train: expected Member.loss to be a LossSpec (losslab.losses.get(name)). Received: {type(m.loss).__name__}.")
        name = m.label
        if m.output_activation not in OUTPUT_ACTIVATIONS:
            raise ValueError(f"train: member {name}: expected output_activation in {OUTPUT_ACTIVATIONS}. Received: {m.output_activation!r}.")
        if m.output_activation not in m.loss.output_activations:
            raise ValueError(
                f"train: {m.loss.name} expects an output layer with activation {' or '.join(m.loss.output_activations)}. "
                f"Received: output_activation={m.output_activation!r}. Use output_activation={m.loss.output_activations[0]!r}."
            )
        targets = np.asarray(m.targets)
        if n_views == 1 and targets.shape[:1] == (n_rows,):
            targets = targets[None]
        if targets.shape[:2] != (n_views, n_rows):
            raise ValueError(f"train: member {name}: expected targets with one row per row of X ({n_rows}). Received: targets.shape={np.asarray(m.targets).shape}.")
        # Targets keep a trailing output axis so kernels see (..., k).
        if m.loss.shape_rule != "class_index" and targets.ndim == 2:
            targets = targets[..., None]
        k = targets.shape[-1] * (2 if m.loss.shape_rule == "mean_var" else 1)
        if m.loss.shape_rule != "class_index" and k != network.n_outputs:
            raise ValueError(
                f"train: {m.loss.name} with targets of {targets.shape[-1]} column(s) needs {k} output unit(s). Received: network.n_outputs={network.n_outputs}."
            )
        # The loss checks the targets' encoding and domain here, before anything trains.
        flat_t = targets.reshape(n_views * n_rows, *targets.shape[2:])
        m.loss.numpy(flat_t, _output_at(m.output_activation, np.full((flat_t.shape[0], network.n_outputs), 0.5)))
        labels = None
        if m.labels is not None:
            labels = np.asarray(m.labels).astype(np.int64).reshape(n_views, n_rows)
        elif "accuracy" in metrics:
            raise ValueError(f"train: member {name}: the accuracy metric needs labels (class index per row).")
        checked.append(dataclasses.replace(m, targets=targets, labels=labels))
    reps = []
    for i, r in enumerate(replicates):
        if not 0 <= r.member < len(members):
            raise ValueError(f"train: replicate {i}: expected member in [0, {len(members)}). Received: member={r.member}.")
        if not 0 <= r.view < n_views:
            raise ValueError(f"train: replicate {i}: expected view in [0, {n_views}). Received: view={r.view}.")
        tr = np.asarray(r.train, dtype=np.int64)
        te = None if r.test is None else np.asarray(r.test, dtype=np.int64)
        for arg, idx in (("train", tr), ("test", te)):
            if idx is not None and idx.size and (idx.min() < 0 or idx.max() >= n_rows):
                raise ValueError(f"train: replicate {i}: {arg} indices must lie in [0, {n_rows}).")
        if tr.size == 0:
            raise ValueError(f"train: replicate {i}: expected training rows. Received: an empty train index.")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1 or batch_size > tr.size:
            raise ValueError(
                f"train: expected 1 <= batch_size <= the number of training rows ({tr.size}). Received: batch_size={batch_size!r}."
            )
        reps.append(dataclasses.replace(r, train=tr, test=te))
    return X, checked, reps


def _as_training_array(X, dtype: str) -> np.ndarray:
    if (dtype == "float32" and isinstance(X, np.ndarray) and X.dtype == np.float32 and X.flags.c_contiguous
            and X.flags.writeable):
        return X
    return np.array(X, dtype=np.float64, order="C")


def predicted_class(out: torch.Tensor, member: Member) -> torch.Tensor:
    """The class an output layer predicts: (..., k) outputs -> (...) class indices, or for a
    single unit a boolean "positive"."""
    if out.shape[-1] == 1:
        # A single unit: sigmoid outputs are probabilities (cut at 0.5); tanh, linear and
        # logit outputs are scores whose sign is the class.
        cut = 0.5 if member.output_activation == "sigmoid" and not member.loss.takes_logits else 0.0
        return out[..., 0] > cut
    return out.argmax(dim=-1)


# Batched GEMM is slow when a product's result has a single column (the one-unit output
# layer of regression and binary models): those are computed transposed, or broadcast.
# Measured side by side (1 thread, 30 replicates x 3 losses): circles 1.17x faster; the
# same trick for 3 columns made blobs 13% slower, so it is kept to one column.
def _matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a @ b`` for (R, m, k) @ (R, k, n)."""
    if a.shape[-1] == 1:  # an outer product: broadcasting beats GEMM
        return a * b
    return torch.bmm(a, b)


def _affine(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``x @ W + b`` for x (R, m, i), W (R, i, o), b (R, 1, o)."""
    if W.shape[-1] == 1:  # one output unit: a batched matrix-vector product
        return torch.baddbmm(b.transpose(1, 2), W.transpose(1, 2), x.transpose(1, 2)).transpose(1, 2)
    return torch.baddbmm(b, x, W)


def _weight_grad(h: torch.Tensor, delta: torch.Tensor, out: torch.Tensor) -> None:
    """``out = h^T @ delta`` for h (R, m, i), delta (R, m, o), out (R, i, o)."""
    if out.shape[-1] == 1:
        out.copy_(torch.bmm(delta.transpose(1, 2), h).transpose(1, 2))
    else:
        torch.bmm(h.transpose(1, 2), delta, out=out)


class _Group:
    """Replicates with the same number of steps per epoch, trained in lockstep."""

    def __init__(self, X, members, reps, network, optimizer, batch_size, metrics, dtype, device, closed_forms=True):
        self.net, self.opt, self.B, self.metrics = network, optimizer, batch_size, metrics
        self.members, self.reps, self.dtype, self.device = members, reps, dtype, device
        R = self.R = len(reps)
        n_views, n_rows, _ = X.shape
        self.n_rows = n_rows
        self.X = torch.as_tensor(X.reshape(n_views * n_rows, -1), dtype=dtype, device=device)
        # Contiguous slices of replicates per member (replicates arrive sorted by member).
        self.slices: list[tuple[int, int, Member, torch.Tensor, torch.Tensor | None]] = []
        start = 0
        for j, m in enumerate(members):
            count = sum(1 for r in reps if r.member == j)
            if count:
                t = torch.as_tensor(m.targets.reshape(n_views * n_rows, *m.targets.shape[2:]), device=device)
                t = t.long() if m.loss.shape_rule == "class_index" else t.to(dtype)
                lab = None if m.labels is None else torch.as_tensor(m.labels.reshape(-1), device=device)
                if lab is not None and self.net.n_outputs == 1:
                    lab = lab.bool()  # compared with (output > cut) every step: convert once
                self.slices.append((start, start + count, m, t, lab))
                start += count
        # Row indices into the flattened (view, row) axis, padded to the longest set.
        self.train_rows, self.n_train = self._pad([r.view * n_rows + r.train for r in reps])
        tests = [r.test for r in reps]
        self.has_test = all(t is not None and t.size for t in tests)
        if self.has_test:
            self.test_rows, self.n_test = self._pad([r.view * n_rows + r.test for r in reps])
        self.equal_train = bool((self.n_train == self.n_train[0]).all())
        # Parameters: one flat buffer; each layer's W (R, in, out) and b (R, 1, out) are views.
        self.params = torch.zeros(R * network.n_params, dtype=dtype, device=device)
        self.grads = torch.zeros_like(self.params)
        self.W, self.b, self.gW, self.gb = [], [], [], []
        offset = 0
        for fan_in, fan_out in network.layer_shapes:
            for store, gstore, shape in ((self.W, self.gW, (R, fan_in, fan_out)), (self.b, self.gb, (R, 1, fan_out))):
                size = math.prod(shape)
                store.append(self.params[offset: offset + size].view(shape))
                gstore.append(self.grads[offset: offset + size].view(shape))
                offset += size
        for i, r in enumerate(reps):
            for layer, (w, bias) in enumerate(network.initial_weights(r.seed)):
                self.W[layer][i].copy_(torch.as_tensor(w))
                self.b[layer][i, 0].copy_(torch.as_tensor(bias))
        self.state = optimizer.state(self.params)
        self._eval_cache: dict = {}
        self.closed_forms = [closed_form(m.loss, m.output_activation) if closed_forms else None for _, _, m, _, _ in self.slices]
        self.rngs = [shuffle_stream(r.seed) for r in reps]

    def _pad(self, index_sets):
        lengths = np.array([len(s) for s in index_sets])
        rows = np.zeros((len(index_sets), lengths.max()), dtype=np.int64)
        for i, s in enumerate(index_sets):
            rows[i, : len(s)] = s
        return rows, lengths

    # ------------------------------------------------------------------ forward / backward
    def forward(self, x: torch.Tensor, keep: bool):
        """Pre-activations and activations of every layer; the last entry is the output pre-activation."""
        pres, outs = [], [x]
        h = x
        last = len(self.W) - 1
        for layer in range(last + 1):
            pre = _affine(h, self.W[layer], self.b[layer])
            if layer == last:
                pres.append(pre)
                break
            h = act.forward(self.net.hidden_activation, pre)
            if keep:
                pres.append(pre)
                outs.append(h)
        return pres, outs, pre

    def _member_losses(self, z: torch.Tensor, rows: torch.Tensor, mask: torch.Tensor | None, counts: torch.Tensor,
                       grad: bool = False):
        """Per-replicate mean loss (R,), per member its outputs, targets and per-sample losses,
        and with ``grad`` d(sum of the mean losses)/dz."""
        losses, parts, grads = [], [], []
        for (a, b, m, targets, labels), closed in zip(self.slices, self.closed_forms):
            y = targets[rows[a:b]]
            zm = z[a:b]
            if grad and closed is not None:
                out, per_sample, dz = closed(y, zm)
            elif grad:
                with torch.enable_grad():
                    leaf = zm.detach().requires_grad_()
                    out = act.forward(m.output_activation, leaf)
                    per_sample = m.loss.torch_kernel(y, out, **m.loss.params)
                    (dz,) = torch.autograd.grad(per_sample.sum(), leaf)
                out, per_sample = out.detach(), per_sample.detach()
            else:
                out = act.forward(m.output_activation, zm)
                per_sample = m.loss.torch_kernel(y, out, **m.loss.params)
            if mask is not None:
                per_sample = per_sample * mask[a:b]
            if grad:
                # The step's loss is each replicate's mean over its (unmasked) rows; without a
                # mask every replicate has the same number of rows, a plain number.
                scale = 1.0 / zm.shape[1] if mask is None else (mask[a:b] / counts[a:b, None])[..., None]
                grads.append(dz * scale)
            losses.append(per_sample.mean(dim=1) if mask is None else per_sample.sum(dim=1) / counts[a:b])
            parts.append((m, out, y, labels, per_sample, rows[a:b], None if mask is None else mask[a:b]))
        dz = (torch.cat(grads) if len(grads) > 1 else grads[0]) if grad else None
        return torch.cat(losses) if len(losses) > 1 else losses[0], parts, dz

    def step(self, rows: torch.Tensor, mask: torch.Tensor | None, counts: torch.Tensor):
        """One minibatch for every replicate: returns its mean loss and its metric sums per replicate."""
        R, w = rows.shape
        x = self.X.index_select(0, rows.reshape(-1)).view(R, w, -1)
        pres, outs, z = self.forward(x, keep=True)
        total, parts, dz = self._member_losses(z, rows, mask, counts, grad=True)
        # Keras reports an epoch's training loss and metrics from running sums over its
        # minibatches (the weights changing as they go); so does the history.
        batch_metrics = [self._metric_sums(name, parts) for name in self.metrics]
        delta = dz
        for layer in range(len(self.W) - 1, -1, -1):
            _weight_grad(outs[layer], delta, self.gW[layer])
            torch.sum(delta, dim=1, keepdim=True, out=self.gb[layer])
            if layer:
                delta = _matmul(delta, self.W[layer].transpose(1, 2))
                delta = act.backward_(self.net.hidden_activation, delta, pres[layer - 1], outs[layer])
        self.opt.step_(self.params, self.grads, self.state)
        return total, batch_metrics

    # ------------------------------------------------------------------ evaluation
    def _eval_inputs(self, split: str):
        """Rows, mask, counts and (when small enough) the gathered inputs of a split, built once."""
        cached = self._eval_cache.get(split)
        if cached is None:
            rows_np, n = (self.train_rows, self.n_train) if split == "train" else (self.test_rows, self.n_test)
            R, n_max = rows_np.shape
            rows = torch.as_tensor(rows_np, device=self.device)
            mask = None
            if not (n == n_max).all():
                mask = torch.as_tensor(np.arange(n_max)[None, :] < n[:, None], dtype=self.dtype, device=self.device)
            counts = torch.as_tensor(n, dtype=self.dtype, device=self.device)
            # The evaluation rows never change: gather their inputs once (up to ~64 MB).
            small = R * n_max * self.X.shape[1] <= 16e6 and R * n_max * max(self.net.sizes) <= _EVAL_ELEMENTS
            x = self.X.index_select(0, rows.reshape(-1)).view(R, n_max, -1) if small else None
            cached = self._eval_cache[split] = (rows, mask, counts, x, n)
        return cached

    def evaluate(self, split: str):
        """Mean loss, metrics and outputs of every replicate on its own rows of ``split``."""
        rows, mask, counts, x, _ = self._eval_inputs(split)
        if rows.shape[0] * rows.shape[1] * max(self.net.sizes) > _EVAL_ELEMENTS:
            return self._evaluate_in_chunks(rows, mask, counts)
        if x is None:
            x = self.X.index_select(0, rows.reshape(-1)).view(*rows.shape, -1)
        _, _, z = self.forward(x, keep=False)
        loss, parts, _ = self._member_losses(z, rows, mask, counts)
        values = {name: self._finish(name, self._metric_sums(name, parts), counts) for name in self.metrics}
        return loss, values, torch.cat([p[1] for p in parts])

    def _evaluate_in_chunks(self, rows: torch.Tensor, mask: torch.Tensor | None, counts: torch.Tensor):
        """:meth:`evaluate` a block of rows at a time, so that memory is bounded by the batch
        (replicates x a block of rows), not by the table: the loss and metric sums add up
        over blocks (equal to one pass to float rounding), the outputs are concatenated."""
        R, n_max = rows.shape
        width = max(1, _EVAL_ELEMENTS // (R * max(self.net.sizes)))
        loss = torch.zeros(R, dtype=self.dtype, device=self.device)
        sums = {name: torch.zeros(R, dtype=self.dtype, device=self.device) for name in self.metrics}
        outputs = []
        for lo in range(0, n_max, width):
            hi = min(lo + width, n_max)
            block = rows[:, lo:hi]
            # Always masked, so that a block's losses are sums over counts (a mean over the block would not add up).
            valid = (torch.ones(R, hi - lo, dtype=self.dtype, device=self.device) if mask is None else mask[:, lo:hi])
            _, _, z = self.forward(self.X.index_select(0, block.reshape(-1)).view(R, hi - lo, -1), keep=False)
            part, parts, _ = self._member_losses(z, block, valid, counts)
            loss += part
            for name in self.metrics:
                sums[name] += self._metric_sums(name, parts)
            outputs.append(torch.cat([p[1] for p in parts]))
        values = {name: self._finish(name, sums[name], counts) for name in self.metrics}
        return loss, values, torch.cat(outputs, dim=1)

    @staticmethod
    def _finish(name: str, sums: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
        mean = sums / counts
        return mean.sqrt() if name == "rmse" else mean

    def _metric_sums(self, name: str, parts) -> torch.Tensor:
        """Per-replicate sums over samples of a metric (accuracy: hits; mse/rmse: squared errors)."""
        sums = []
        for m, out, y, labels, per_sample, rows, mask in parts:
            out = out.detach()
            if name == "accuracy":
                hit = predicted_class(out, m) == labels[rows]
                if mask is None:  # count on the booleans: integer sums, added to float accumulators
                    sums.append(hit.sum(dim=1))
                    continue
                hit = hit.to(self.dtype)
            elif name in ("mse", "rmse") and m.loss.name == "mean_squared_error" and m.output_activation == "linear":
                sums.append(per_sample.detach().sum(dim=1))  # the loss is the metric
                continue
            else:
                if y.shape != out.shape:
                    raise ValueError(f"the {name} metric needs real-valued targets shaped like the outputs; {m.loss.name} has {tuple(y.shape)}.")
                hit = ((out - y).abs() if name == "mae" else (out - y) ** 2).mean(-1)
            sums.append((hit if mask is None else hit * mask).sum(dim=1))
        return torch.cat(sums)

    # ------------------------------------------------------------------ the loop
    def run(self, epochs, history: History, rows_out: list[int], record_trajectory: bool, progress) -> None:
        R, B = self.R, self.B
        n_max = self.train_rows.shape[1]
        steps = math.ceil(self.n_train.min() / B)
        arange = np.arange(n_max)
        pad = arange[None, :] >= self.n_train[:, None]
        # Draw minibatch keys a block of epochs at a time (bounded memory); a replicate's
        # stream gives the same numbers whatever the block size.
        block = max(1, min(epochs, int(_KEY_BLOCK // max(1, R * n_max))))
        keys = None
        loss_rec = {"train": [], "test": []}
        metric_rec = {m: {"train": [], "test": []} for m in self.metrics}
        traj = [self.flat_weights()] if record_trajectory else None
        counts_full = torch.full((R,), float(B), dtype=self.dtype, device=self.device)
        n_train = torch.as_tensor(self.n_train, dtype=self.dtype, device=self.device)
        first = self._resume(loss_rec, metric_rec, traj) if self.checkpoint is not None else 0
        for epoch in range(first, epochs):
            if epoch % block == 0 or epoch == first:
                block_start = epoch - epoch % block
                if epoch == first and first:
                    # Resumed: at a block's start the streams go on from where they were; inside
                    # a block, its keys are drawn again from the block's starting positions.
                    started, now = self._saved_streams
                    for rng, state in zip(self.rngs, now if epoch == block_start else started):
                        rng.bit_generator.state = state
                self._block_streams = [rng.bit_generator.state for rng in self.rngs]
                nb = min(block, epochs - block_start)
                keys = np.full((R, nb, n_max), np.inf)
                for i, rng in enumerate(self.rngs):
                    keys[i, :, : self.n_train[i]] = rng.random((nb, self.n_train[i]))
            order = np.argsort(keys[:, epoch % block], axis=1, kind="stable")
            rows = torch.as_tensor(np.take_along_axis(self.train_rows, order, axis=1), device=self.device)
            run_loss = torch.zeros(R, dtype=self.dtype, device=self.device)
            run_metrics = [torch.zeros_like(run_loss) for _ in self.metrics]
            for s in range(steps):
                lo = s * B
                hi = min(lo + B, n_max)
                if self.equal_train and hi - lo == B:
                    mask, counts = None, counts_full
                else:
                    valid = ~pad[:, lo:hi]
                    mask = torch.as_tensor(valid, dtype=self.dtype, device=self.device)
                    counts = torch.as_tensor(valid.sum(1), dtype=self.dtype, device=self.device)
                loss, sums = self.step(rows[:, lo:hi], mask, counts)
                run_loss.add_(loss * counts)
                for acc, v in zip(run_metrics, sums):
                    acc.add_(v)
            loss_rec["train"].append(run_loss / n_train)
            for name, acc in zip(self.metrics, run_metrics):
                metric_rec[name]["train"].append(self._finish(name, acc, n_train))
            if self.has_test:
                self._record(loss_rec, metric_rec, "test")
            if traj is not None:
                traj.append(self.flat_weights())
            if progress is not None:
                progress(R)
            if self.checkpoint is not None:
                self.checkpoint.epoch_done(self.key, epoch + 1, lambda: self.snapshot(epoch + 1, loss_rec, metric_rec, traj))
        history.fill(rows_out, loss_rec, metric_rec, traj, self.final(), self.has_test)

    # ------------------------------------------------------------------ checkpoints
    checkpoint = None

    @property
    def key(self) -> str:
        """Names this group among a training run's: its replicates' seeds, members and row counts."""
        return ",".join(f"{r.seed}:{r.member}:{r.view}:{len(r.train)}" for r in self.reps)

    def snapshot(self, epoch: int, loss_rec, metric_rec, traj) -> dict:
        """Everything the loop needs to continue after ``epoch`` epochs, on the CPU."""
        cpu = lambda v: v.cpu().clone() if torch.is_tensor(v) else v  # noqa: E731
        return {"epoch": epoch, "params": cpu(self.params), "optimizer": {k: cpu(v) for k, v in self.state.items()},
                "streams": list(self._block_streams), "streams_now": [rng.bit_generator.state for rng in self.rngs],
                "loss": {k: [cpu(t) for t in v] for k, v in loss_rec.items()},
                "metrics": {m: {k: [cpu(t) for t in v] for k, v in d.items()} for m, d in metric_rec.items()},
                "trajectory": None if traj is None else [cpu(t) for t in traj]}

    def _resume(self, loss_rec, metric_rec, traj) -> int:
        """Load the saved state of this group, if any; the epoch to continue from."""
        saved = self.checkpoint.restore(self.key)
        if not saved:
            return 0
        dev = lambda v: v.to(self.device) if torch.is_tensor(v) else v  # noqa: E731
        self.params.copy_(saved["params"])  # in place: the layer views W, b point into it
        self.state = {k: dev(v) for k, v in saved["optimizer"].items()}
        self._saved_streams = (saved["streams"], saved["streams_now"])
        for k, v in saved["loss"].items():
            loss_rec[k][:] = [dev(t) for t in v]
        for m, d in saved["metrics"].items():
            for k, v in d.items():
                metric_rec[m][k][:] = [dev(t) for t in v]
        if traj is not None:
            traj[:] = [dev(t) for t in saved["trajectory"]]
        return int(saved["epoch"])

    def _record(self, loss_rec, metric_rec, split):
        loss, values, _ = self.evaluate(split)
        loss_rec[split].append(loss)
        for name, v in values.items():
            metric_rec[name][split].append(v)

    def flat_weights(self) -> torch.Tensor:
        parts = []
        for W, b in zip(self.W, self.b):
            parts += [W.reshape(self.R, -1), b.reshape(self.R, -1)]
        return torch.cat(parts, dim=1).clone()

    def final(self):
        """Final weights, and the model evaluated on every replicate's train and test rows."""
        weights = [(W.cpu().numpy().copy(), b[:, 0].cpu().numpy().copy()) for W, b in zip(self.W, self.b)]
        outputs, evaluation = {}, {}
        for split in ("train", "test") if self.has_test else ("train",):
            loss, values, out = self.evaluate(split)
            n = self._eval_inputs(split)[4]
            out = out.cpu().numpy()
            outputs[split] = [out[i, : n[i]] for i in range(self.R)]
            evaluation[split] = {"loss": loss.cpu().numpy(), **{k: v.cpu().numpy() for k, v in values.items()}}
        return weights, outputs, evaluation
