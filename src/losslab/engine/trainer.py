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

A grid of configurations is one call too: each replicate may carry its own learning rate
(a tensor of rates laid out like the weights) and its own validation rows; with early
stopping a replicate that stops leaves the batch (the rest go on, the batch shrinks) and ends
with its best epoch's weights, kept in one buffer updated only when it improves.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
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
from ..vocab import OUTPUT_ACTIVATIONS
from .network import Network, shuffle_stream
from .optimizers import SGD, Adam
from .threads import torch_threads

ENGINE_METRICS = ("accuracy", "mse", "rmse", "mae")
# Evaluation (learning curves, final scores) runs over at most this many rows of a split at a
# time; the tutorials' splits (250 rows) are one chunk.
EVAL_ROWS = 512
# Evaluation inputs are gathered once and kept when they take at most this many activations
# (replicates x rows x widest layer, 64 MB in float32).
_EVAL_ELEMENTS = 16_000_000
_DTYPES = {"float32": torch.float32, "float64": torch.float64}
# Minibatch keys are drawn for as many epochs at a time as fit in this many numbers.
_KEY_BLOCK = 2e6


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
    """One network: which member's loss it trains, its seed, its rows of ``X``, its learning rate.

    ``train``, ``val`` and ``test`` are row indices into view ``view`` of ``X`` (views let
    every fold carry its own preprocessing). ``val`` rows are what early stopping watches;
    ``test`` rows are only recorded (learning curves) and never steer training. ``lr``
    overrides the optimizer's learning rate for this replicate alone, so a grid of
    learning rates trains in one lockstep call. ``epochs`` (at most :func:`train`'s) makes this
    replicate stop after that many epochs with the weights it has then (without early
    stopping), so models trained for different numbers of epochs share one call (a refit of
    each configuration for its chosen epochs).
    """

    member: int
    seed: int
    train: np.ndarray
    test: np.ndarray | None = None
    view: int = 0
    val: np.ndarray | None = None
    lr: float | None = None
    epochs: int | None = None


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
    patience: int = 0,
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
    patience : int
        Early stopping on each replicate's own ``val`` rows, as Keras'
        ``EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)``:
        a replicate whose validation loss has not improved for ``patience`` epochs stops
        (it leaves the lockstep batch, so the batch shrinks as replicates stop) and ends
        with the weights of its best epoch. Only the best weights are kept, one copy per
        replicate, updated when its validation loss improves. 0: off.
    checkpoint : Checkpoints, optional
        Mid-training checkpoints: each lockstep group first asks ``checkpoint.restore(key)``
        for a saved state and continues from it, then calls ``checkpoint.epoch_done(key,
        epochs_done, state)`` after every epoch, ``state()`` giving a snapshot to save when
        the caller wants one (weights, optimizer and early-stopping state, which replicates
        still train, random-stream positions, the history so far; tensors, NumPy-free, on
        the CPU). A resumed group gives the same numbers as an uninterrupted one, bit for bit
        on the same machine.
    """
    optimizer = optimizer or SGD()
    X, members, replicates = _validate(X, members, replicates, network, epochs, batch_size, metrics, dtype)
    if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 0:
        raise ValueError(f"train: expected patience >= 0 (0: no early stopping). Received: patience={patience!r}.")
    has_val = [r.val is not None and r.val.size > 0 for r in replicates]
    if any(has_val) and not all(has_val):
        raise ValueError("train: expected val rows on every replicate or on none. Received: val on "
                         f"{sum(has_val)} of {len(replicates)} replicates.")
    if patience and not all(has_val):
        raise ValueError(f"train: early stopping (patience={patience}) watches each replicate's val rows. "
                         "Received: replicates without val; give Replicate(..., val=rows).")
    if patience and record_trajectory:
        raise ValueError("train: expected record_trajectory=False with early stopping (a stopped replicate has no "
                         f"later weights). Received: record_trajectory=True, patience={patience}.")
    if patience and any(r.epochs is not None for r in replicates):
        raise ValueError(f"train: expected Replicate.epochs only without early stopping (patience=0). Received: patience={patience}.")
    torch_dtype = _DTYPES[dtype]
    device = torch.device(device or "cpu")
    started = time.perf_counter()
    history = History.empty(replicates, [m.label for m in members], network, epochs, metrics, record_trajectory)

    groups: dict[int, list[int]] = {}
    for i, rep in enumerate(replicates):
        groups.setdefault(math.ceil(len(rep.train) / batch_size), []).append(i)
    with torch_threads(threads), torch.no_grad():
        for rows in groups.values():
            rows.sort(key=lambda i: replicates[i].member)
            _Group(X, members, [replicates[i] for i in rows], network, optimizer, batch_size, metrics,
                   torch_dtype, device, closed_forms).run(epochs, history, np.asarray(rows), record_trajectory,
                                                          progress, patience, checkpoint)
    history.seconds = time.perf_counter() - started
    return history


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
        va = None if r.val is None else np.asarray(r.val, dtype=np.int64)
        for arg, idx in (("train", tr), ("test", te), ("val", va)):
            if idx is not None and idx.size and (idx.min() < 0 or idx.max() >= n_rows):
                raise ValueError(f"train: replicate {i}: {arg} indices must lie in [0, {n_rows}).")
        if r.lr is not None and not (isinstance(r.lr, (int, float, np.floating)) and math.isfinite(r.lr) and r.lr > 0):
            raise ValueError(f"train: replicate {i}: expected lr > 0 (or None: the optimizer's). Received: lr={r.lr!r}.")
        if tr.size == 0:
            raise ValueError(f"train: replicate {i}: expected training rows. Received: an empty train index.")
        if r.epochs is not None and (isinstance(r.epochs, bool) or not isinstance(r.epochs, (int, np.integer))
                                     or not 1 <= r.epochs <= epochs):
            raise ValueError(f"train: replicate {i}: expected epochs in [1, {epochs}] (train's epochs) or None. "
                             f"Received: epochs={r.epochs!r}.")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1 or batch_size > tr.size:
            raise ValueError(
                f"train: expected 1 <= batch_size <= the number of training rows ({tr.size}). Received: batch_size={batch_size!r}."
            )
        reps.append(dataclasses.replace(r, train=tr, test=te, val=va))
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
        self.split_rows: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for split in ("train", "val", "test"):
            sets = [getattr(r, split) for r in reps]
            if all(t is not None and t.size for t in sets):
                self.split_rows[split] = self._pad([r.view * n_rows + t for r, t in zip(reps, sets)])
        self.train_rows, self.n_train = self.split_rows["train"]
        self.has_test, self.has_val = "test" in self.split_rows, "val" in self.split_rows
        self.equal_train = bool((self.n_train == self.n_train[0]).all())
        # Parameters: one flat buffer; each layer's W (R, in, out) and b (R, 1, out) are views.
        self.params = torch.zeros(R * network.n_params, dtype=dtype, device=device)
        self.grads = torch.zeros_like(self.params)
        self._views()
        for i, r in enumerate(reps):
            for layer, (w, bias) in enumerate(network.initial_weights(r.seed)):
                self.W[layer][i].copy_(torch.as_tensor(w))
                self.b[layer][i, 0].copy_(torch.as_tensor(bias))
        self.state = optimizer.state(self.params)
        # A learning rate per replicate, laid out like the weights (one value per weight):
        # only when some replicate asks for its own, so the plain path keeps its arithmetic.
        self.lr = None
        if any(r.lr is not None for r in reps):
            rates = torch.tensor([optimizer.lr if r.lr is None else float(r.lr) for r in reps], dtype=dtype, device=device)
            self.lr = torch.empty_like(self.params)
            for view in self._layout(self.lr):
                view.copy_(rates.view(R, *[1] * (view.dim() - 1)).expand_as(view))
        self._eval_cache: dict = {}
        self.closed_forms = [closed_form(m.loss, m.output_activation) if closed_forms else None for _, _, m, _, _ in self.slices]
        self.rngs = [shuffle_stream(r.seed) for r in reps]
        self.ids = np.arange(R)  # each replicate's place in the group as it started
        self.keys = None
        self.best = None

    def _layout(self, flat: torch.Tensor) -> list[torch.Tensor]:
        """Views of a flat buffer laid out like the weights: W0 (R, in, out), b0 (R, 1, out), W1, ..."""
        views, offset = [], 0
        for fan_in, fan_out in self.net.layer_shapes:
            for shape in ((self.R, fan_in, fan_out), (self.R, 1, fan_out)):
                size = math.prod(shape)
                views.append(flat[offset: offset + size].view(shape))
                offset += size
        return views

    def _views(self) -> None:
        w, g = self._layout(self.params), self._layout(self.grads)
        self.W, self.b, self.gW, self.gb = w[0::2], w[1::2], g[0::2], g[1::2]

    def _gather(self, flat: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """The replicates ``keep`` of a flat buffer laid out like the weights."""
        return torch.cat([v.reshape(self.R, -1).index_select(0, keep).reshape(-1) for v in self._layout(flat)])

    def subset(self, keep: np.ndarray) -> _Group:
        """A group of the replicates ``keep`` (positions in this group), in the state they are in now.

        Each replicate's numbers do not depend on which others train beside it, so a group
        can drop the replicates that stopped early and go on with the rest.
        """
        keep = np.asarray(keep, dtype=np.int64)
        k = torch.as_tensor(keep, device=self.device)
        g = copy.copy(self)
        flat_shape = self.params.shape
        g.params = self._gather(self.params, k)
        g.grads = torch.zeros_like(g.params)
        g.state = {name: self._gather(v, k) if torch.is_tensor(v) and v.shape == flat_shape else v
                   for name, v in self.state.items()}
        g.lr = None if self.lr is None else self._gather(self.lr, k)
        g.best = None if self.best is None else self._gather(self.best, k)
        g.R = len(keep)
        g._views()
        slices, closed, start = [], [], 0
        for (a, b, m, t, lab), cf in zip(self.slices, self.closed_forms):
            count = int(((keep >= a) & (keep < b)).sum())
            if count:
                slices.append((start, start + count, m, t, lab))
                closed.append(cf)
                start += count
        g.slices, g.closed_forms = slices, closed
        g.split_rows = {split: (rows[keep], n[keep]) for split, (rows, n) in self.split_rows.items()}
        g.train_rows, g.n_train = g.split_rows["train"]
        g.equal_train = bool((g.n_train == g.n_train[0]).all())
        g._eval_cache = {split: (rows[k], None if mask is None else mask[k], counts[k], None if x is None else x[k], n[keep])
                         for split, (rows, mask, counts, x, n) in self._eval_cache.items()}
        g.rngs = [self.rngs[i] for i in keep]
        g.keys = None if self.keys is None else self.keys[keep]
        g.ids = self.ids[keep]
        g.reps = [self.reps[i] for i in keep]
        return g

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
        self.opt.step_(self.params, self.grads, self.state, self.lr)
        return total, batch_metrics

    # ------------------------------------------------------------------ evaluation
    def _eval_inputs(self, split: str):
        """Rows, mask, counts and (when small enough) the gathered inputs of a split, built once."""
        cached = self._eval_cache.get(split)
        if cached is None:
            rows_np, n = self.split_rows[split]
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

    def evaluate(self, split: str, outputs: bool = True):
        """Mean loss, metrics and (with ``outputs``) outputs of every replicate on its own rows of ``split``."""
        rows, mask, counts, x, _ = self._eval_inputs(split)
        if rows.shape[1] > EVAL_ROWS:
            return self._evaluate_chunks(rows, mask, counts, x, outputs)
        if x is None:
            x = self.X.index_select(0, rows.reshape(-1)).view(*rows.shape, -1)
        _, _, z = self.forward(x, keep=False)
        loss, parts, _ = self._member_losses(z, rows, mask, counts)
        values = {name: self._finish(name, self._metric_sums(name, parts), counts) for name in self.metrics}
        return loss, values, torch.cat([p[1] for p in parts]) if outputs else None

    def _evaluate_chunks(self, rows, mask, counts, x, outputs: bool):
        """:meth:`evaluate` over ``EVAL_ROWS`` rows at a time: the activations of a chunk stay in
        cache (on a large table a whole split's do not: 1.5x faster) and memory stays bounded.
        The chunks do not depend on how many replicates train together."""
        R, n_max = rows.shape
        loss = torch.zeros(R, dtype=self.dtype, device=self.device)
        sums = {name: torch.zeros_like(loss) for name in self.metrics}
        outs = []
        for lo in range(0, n_max, EVAL_ROWS):
            r = rows[:, lo: lo + EVAL_ROWS]
            xc = x[:, lo: lo + EVAL_ROWS] if x is not None else self.X.index_select(0, r.reshape(-1)).view(*r.shape, -1)
            # A mask on every chunk: each contributes its rows' sum over all of a replicate's rows.
            m = mask[:, lo: lo + EVAL_ROWS] if mask is not None else torch.ones(r.shape, dtype=self.dtype, device=self.device)
            _, _, z = self.forward(xc, keep=False)
            part_loss, parts, _ = self._member_losses(z, r, m, counts)
            loss.add_(part_loss)
            for name in self.metrics:
                sums[name].add_(self._metric_sums(name, parts))
            if outputs:
                outs.append(torch.cat([p[1] for p in parts]))
        values = {name: self._finish(name, sums[name], counts) for name in self.metrics}
        return loss, values, torch.cat(outs, dim=1) if outputs else None

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
    def run(self, epochs, history: History, rows_out: np.ndarray, record_trajectory: bool, progress,
            patience: int = 0, checkpoint: Checkpoints | None = None) -> None:
        """Train for ``epochs`` (fewer for replicates that stop early) and fill ``history``'s rows ``rows_out``."""
        g = self  # the replicates still training: this group, then subsets of it as they stop (None: all stopped)
        R = g.R
        n_max = g.train_rows.shape[1]
        # Draw minibatch keys a block of epochs at a time (bounded memory); a replicate's
        # stream gives the same numbers whatever the block size.
        block = max(1, min(epochs, int(_KEY_BLOCK // max(1, R * n_max))))
        traj = [g.flat_weights()] if record_trajectory else None
        # Keras' EarlyStopping state per replicate; the best weights in one flat buffer.
        best_loss = np.full(R, np.inf)
        wait = np.zeros(R, dtype=np.int64)
        if patience:
            g.best = g.params.clone()
            history.best_epoch[rows_out] = -1  # the initial weights, until an epoch improves
        # Each replicate's own number of epochs, where some replicate has one.
        limits = (np.array([epochs if r.epochs is None else int(r.epochs) for r in self.reps])
                  if any(r.epochs is not None for r in self.reps) else None)
        first = 0
        saved = checkpoint.restore(self.key) if checkpoint is not None else None
        if saved:
            g, first = self._resume(saved, history, rows_out, traj, best_loss, wait)
        streams: dict = {}  # each replicate's stream position at the start of the current block of keys
        for epoch in range(first, epochs if g is not None else first):
            start = epoch - epoch % block
            if epoch == start or epoch == first:
                # A resumed run starting inside a block draws that block again from its start.
                streams = {i: rng.bit_generator.state for i, rng in zip(g.ids, g.rngs)}
                nb = min(block, epochs - start)
                g.keys = np.full((g.R, nb, n_max), np.inf)
                for i, rng in enumerate(g.rngs):
                    g.keys[i, :, : g.n_train[i]] = rng.random((nb, g.n_train[i]))
            g._epoch(epoch - start, history, rows_out, epoch)
            if traj is not None:
                traj.append(g.flat_weights())
            if progress is not None:
                progress(g.R)
            if patience:
                g = self._stop_early(g, epoch, epochs, patience, history, rows_out, best_loss, wait, progress)
            elif limits is not None:
                g = self._stop_at_limit(g, epoch, epochs, limits, history, rows_out, progress)
            if checkpoint is not None:
                done = epochs if g is None else epoch + 1
                # The streams where the next epoch's keys come from: inside a block, its start.
                at = streams if done % block else None
                checkpoint.epoch_done(self.key, done, functools.partial(self.snapshot, g, done, at, history, rows_out,
                                                                         traj, best_loss, wait))
            if g is None:
                break
        if traj is not None:
            history.trajectory[rows_out] = np.stack([t.cpu().numpy() for t in traj], axis=1)
        # Without early stopping g is this group; with it, every replicate stopped and was put back here.
        history.fill(rows_out, self.final())

    def _stop_early(self, g: _Group, epoch: int, epochs: int, patience: int, history: History, rows_out: np.ndarray,
                    best_loss: np.ndarray, wait: np.ndarray, progress) -> _Group | None:
        """Early stopping after ``epoch``: keep the improved replicates' weights, put the stopped
        ones' best weights back into this group; the group still training (None: all stopped)."""
        val = history.loss["val"][rows_out[g.ids], epoch]
        alive = g.ids
        improved = val < best_loss[alive]  # NaN is no improvement, as in Keras
        best_loss[alive[improved]] = val[improved]
        wait[alive] = np.where(improved, 0, wait[alive] + 1)
        history.best_epoch[rows_out[alive[improved]]] = epoch
        if improved.any():
            # Copy-on-improve: only the replicates that improved, never every epoch's weights.
            k = torch.as_tensor(np.flatnonzero(improved), device=g.device)
            for dst, src in zip(g._layout(g.best), g._layout(g.params)):
                dst.index_copy_(0, k, src.index_select(0, k))
        stop = (wait[alive] >= patience) & (epoch > 0) if epoch < epochs - 1 else np.ones(g.R, dtype=bool)
        if not stop.any():
            return g
        history.stopped_epoch[rows_out[alive[stop]]] = epoch
        # restore_best_weights: the stopped replicates' best weights go back into the group as
        # it started, which evaluates everyone once at the end (one call, not one per stop).
        idx = np.flatnonzero(stop)
        self._put(g._gather(g.best, torch.as_tensor(idx, device=g.device)), g.ids[idx])
        if progress is not None and epoch < epochs - 1:
            progress(len(idx) * (epochs - epoch - 1))  # epochs they will not train: the bar still ends full
        if stop.all():
            return None
        return g.subset(np.flatnonzero(~stop))

    def _stop_at_limit(self, g: _Group, epoch: int, epochs: int, limits: np.ndarray, history: History,
                       rows_out: np.ndarray, progress) -> _Group | None:
        """After ``epoch``, the replicates whose own number of epochs (``limits``) is reached stop
        with their weights as they are, put back into this group; the group still training."""
        stop = limits[g.ids] <= epoch + 1
        if not stop.any():
            return g
        done = rows_out[g.ids[stop]]
        history.stopped_epoch[done] = epoch
        history.best_epoch[done] = epoch  # no early stopping: the model is its last epoch's
        idx = np.flatnonzero(stop)
        if g is not self:
            self._put(g._gather(g.params, torch.as_tensor(idx, device=g.device)), g.ids[idx])
        if progress is not None and epoch < epochs - 1:
            progress(len(idx) * (epochs - epoch - 1))
        if stop.all():
            return None
        return g.subset(np.flatnonzero(~stop))

    # ------------------------------------------------------------------ checkpoints
    @property
    def key(self) -> str:
        """Names this group among a training run's: its replicates' seeds, members, views, row counts, rates."""
        return ",".join(f"{r.seed}:{r.member}:{r.view}:{len(r.train)}:{r.lr}" + (f":{r.epochs}" if r.epochs else "")
                        for r in self.reps)

    def snapshot(self, g: _Group | None, done: int, streams: dict | None, history: History, rows_out: np.ndarray,
                 traj: list | None, best_loss: np.ndarray, wait: np.ndarray) -> dict:
        """Everything :meth:`run` needs to continue after ``done`` epochs, as CPU tensors.

        ``g`` is the group still training (this one, a subset, or None); ``streams`` the
        stream positions at the start of the current block of keys (None: at a block's end,
        the streams' positions now).
        """
        cpu = lambda v: v.detach().cpu().clone() if torch.is_tensor(v) else v
        params = cpu(self.params)  # the stopped replicates' final weights are here already
        live: dict = {"ids": torch.zeros(0, dtype=torch.int64)}
        if g is not None:
            if g is not self:
                self._put(cpu(g.params), g.ids, into=params)
            live = {"ids": torch.as_tensor(g.ids), "optimizer": {k: cpu(v) for k, v in g.state.items()},
                    "best": cpu(g.best),
                    "streams": [rng.bit_generator.state if streams is None else streams[i]
                                for i, rng in zip(g.ids, g.rngs)]}
        rows = lambda a: torch.as_tensor(a[rows_out])  # fancy indexing: a copy
        return {"epoch": done, "params": params, "live": live,
                "best_loss": torch.as_tensor(best_loss.copy()), "wait": torch.as_tensor(wait.copy()),
                "loss": {split: rows(a) for split, a in history.loss.items()},
                "metrics": {name: {split: rows(a) for split, a in d.items()} for name, d in history.metrics.items()},
                "best_epoch": rows(history.best_epoch), "stopped_epoch": rows(history.stopped_epoch),
                "trajectory": None if traj is None else [cpu(t) for t in traj]}

    def _resume(self, saved: dict, history: History, rows_out: np.ndarray, traj: list | None,
                best_loss: np.ndarray, wait: np.ndarray) -> tuple[_Group | None, int]:
        """Load a :meth:`snapshot` into this group and the loop's state; the group still training
        (None: all stopped) and the epoch to continue from."""
        self.params.copy_(saved["params"])  # in place: the layer views W, b point into it
        for split, v in saved["loss"].items():
            history.loss[split][rows_out] = v.numpy()
        for name, d in saved["metrics"].items():
            for split, v in d.items():
                history.metrics[name][split][rows_out] = v.numpy()
        history.best_epoch[rows_out] = saved["best_epoch"].numpy()
        history.stopped_epoch[rows_out] = saved["stopped_epoch"].numpy()
        if traj is not None:
            traj[:] = [t.to(self.device) for t in saved["trajectory"]]
        best_loss[:] = saved["best_loss"].numpy()
        wait[:] = saved["wait"].numpy()
        live = saved["live"]
        ids = live["ids"].numpy()
        if not ids.size:
            return None, int(saved["epoch"])
        # A subset takes its evaluation rows and masks from this group's, as it did uninterrupted.
        for split in ("val", "test"):
            if split in self.split_rows:
                self._eval_inputs(split)
        g = self if len(ids) == self.R else self.subset(ids)
        g.state = {k: v.to(self.device) if torch.is_tensor(v) else v for k, v in live["optimizer"].items()}
        g.best = None if live["best"] is None else live["best"].to(self.device)
        for rng, state in zip(g.rngs, live["streams"]):
            rng.bit_generator.state = state
        return g, int(saved["epoch"])

    def _put(self, flat: torch.Tensor, ids: np.ndarray, into: torch.Tensor | None = None) -> None:
        """Write the weights of replicates ``ids`` (a flat buffer laid out like the weights of
        ``len(ids)`` replicates) into this group's weights (or ``into``, laid out like them)."""
        k = torch.as_tensor(ids, device=self.device if into is None else into.device)
        offset = 0
        for view in self._layout(self.params if into is None else into):
            size = len(ids) * view[0].numel()
            view.index_copy_(0, k, flat[offset: offset + size].view(len(ids), *view.shape[1:]))
            offset += size

    def _epoch(self, key_index: int, history: History, rows_out: np.ndarray, epoch: int) -> None:
        """One epoch of every replicate; its curves go to ``history`` at column ``epoch``."""
        R, B = self.R, self.B
        n_max = self.train_rows.shape[1]
        steps = math.ceil(self.n_train.min() / B)
        pad = np.arange(n_max)[None, :] >= self.n_train[:, None]
        counts_full = torch.full((R,), float(B), dtype=self.dtype, device=self.device)
        n_train = torch.as_tensor(self.n_train, dtype=self.dtype, device=self.device)
        order = np.argsort(self.keys[:, key_index], axis=1, kind="stable")
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
        out = rows_out[self.ids]
        history.loss["train"][out, epoch] = (run_loss / n_train).cpu().numpy()
        for name, acc in zip(self.metrics, run_metrics):
            history.metrics[name]["train"][out, epoch] = self._finish(name, acc, n_train).cpu().numpy()
        for split in ("val", "test"):
            if split in self.split_rows:
                loss, values, _ = self.evaluate(split, outputs=False)
                history.loss[split][out, epoch] = loss.cpu().numpy()
                for name, v in values.items():
                    history.metrics[name][split][out, epoch] = v.cpu().numpy()

    def flat_weights(self) -> torch.Tensor:
        parts = []
        for W, b in zip(self.W, self.b):
            parts += [W.reshape(self.R, -1), b.reshape(self.R, -1)]
        return torch.cat(parts, dim=1).clone()

    def final(self):
        """Final weights, and the model evaluated on every replicate's train (val, test) rows."""
        weights = [(W.cpu().numpy().copy(), b[:, 0].cpu().numpy().copy()) for W, b in zip(self.W, self.b)]
        outputs, evaluation = {}, {}
        for split in self.split_rows:
            loss, values, out = self.evaluate(split)
            n = self._eval_inputs(split)[4]
            out = out.cpu().numpy()
            outputs[split] = [out[i, : n[i]] for i in range(self.R)]
            evaluation[split] = {"loss": loss.cpu().numpy(), **{k: v.cpu().numpy() for k, v in values.items()}}
        return weights, outputs, evaluation
