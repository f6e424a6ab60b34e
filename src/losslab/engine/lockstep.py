"""The lockstep group: R replicates x L losses of one MLP shape as stacked tensors, and
one minibatch step, one epoch and one evaluation of all of them at once.

The weights of every replicate are stacked on a leading axis and trained with batched
matrix products; each replicate has its own initial weights and its own minibatch order
drawn from its own seed, so replicate r is exactly the model that a plain one-model loop
would produce with that seed (``tests/engine`` holds both to a plain PyTorch loop).

For layers this small the cost is per-operation overhead, so a step is a handful of large
ops: a gather of every replicate's minibatch, one ``baddbmm`` per layer forward, two
``bmm`` per layer backward (hand-written), the loss gradient with respect to the outputs
from autograd on the small output tensor (so any catalog or custom loss trains), and one
optimizer update over a single flat buffer holding every weight of every replicate. Each
replicate may carry its own learning rate (a tensor of rates laid out like the weights)
and its own validation rows; :meth:`Group.subset` drops replicates that stopped early.

One job: the stacked state and what one step, epoch or evaluation does to it; the loop over
epochs, early stopping and checkpoints are :mod:`.trainer`, :mod:`.stopping` and
:mod:`.checkpoints`. Imports ``losses`` (through ``members``) and the engine's
``activations``, ``gradients``, ``history``, ``members``, ``network`` and ``optimizers``.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch

from . import activations as act
from .gradients import closed_form
from .history import History
from .members import Member, predicted_class
from .network import minibatch_order, shuffle_stream

# Evaluation (learning curves, final scores) runs over at most this many rows of a split at a
# time; the tutorials' splits (250 rows) are one chunk.
EVAL_ROWS = 512
# Evaluation inputs are gathered once and kept when they take at most this many activations
# (replicates x rows x widest layer, 64 MB in float32).
EVAL_ELEMENTS = 16_000_000
# Evaluation runs over as many replicates at a time as keep a block's activations (replicates x
# rows x widest layer) at about this many elements (2 MB in float32), so they stay in cache and
# the allocator reuses their memory. Each replicate's numbers do not depend on the blocks.
# Measured on 300 replicates x 500 rows x 25 units (1 thread): the whole-split pass spent
# 7 ms per ReLU and 6 ms filling the biases of its 15 MB activations, mostly faulting in fresh
# pages.
EVAL_BLOCK = 1 << 19


# Batched GEMM (MKL on the CPU) is slow when a product's result has few columns: the
# output layer of regression (1 unit) and of classifiers with a few classes. Those products
# are computed transposed, so the result has the rows as columns (the same sums, in the
# order of the transposed kernel). Measured per product, 1 thread, 60 replicates x 32 rows,
# 50 hidden units: 3 outputs forward 123 -> 71 us and weight gradient 124 -> 32 us; 10
# outputs 190 -> 49 and 162 -> 45 us. With many outputs (25, 64) the plain product is as fast
# or faster, and a weight gradient with more outputs than inputs is 3-5x slower transposed.
NARROW = 16


def narrow(W: torch.Tensor) -> bool:
    """Whether a layer's products are computed transposed: at most ``NARROW`` output units."""
    return W.shape[-1] <= NARROW


def matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a @ b`` for (R, m, k) @ (R, k, n): the product back through a layer."""
    if a.shape[-1] == 1:  # an outer product: broadcasting beats GEMM
        return a * b
    return torch.bmm(a, b)


def affine(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``x @ W + b`` for x (R, m, i), W (R, i, o), b (R, 1, o)."""
    if narrow(W):
        return torch.baddbmm(b.transpose(1, 2), W.transpose(1, 2), x.transpose(1, 2)).transpose(1, 2)
    return torch.baddbmm(b, x, W)


def weight_grad(h: torch.Tensor, delta: torch.Tensor, out: torch.Tensor) -> None:
    """``out = h^T @ delta`` for h (R, m, i), delta (R, m, o), out (R, i, o)."""
    if out.shape[-1] == 1 or (narrow(out) and out.shape[-1] < out.shape[-2]):
        out.copy_(torch.bmm(delta.transpose(1, 2), h).transpose(1, 2))
    else:
        torch.bmm(h.transpose(1, 2), delta, out=out)


class Group:
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
            for view in self.layout(self.lr):
                view.copy_(rates.view(R, *[1] * (view.dim() - 1)).expand_as(view))
        self._eval_cache: dict = {}
        self.closed_forms = [closed_form(m.loss, m.output_activation) if closed_forms else None for _, _, m, _, _ in self.slices]
        self.rngs = [shuffle_stream(r.seed) for r in reps]
        self.ids = np.arange(R)  # each replicate's place in the group as it started
        self.keys = None
        self.best = None

    def layout(self, flat: torch.Tensor) -> list[torch.Tensor]:
        """Views of a flat buffer laid out like the weights: W0 (R, in, out), b0 (R, 1, out), W1, ..."""
        views, offset = [], 0
        for fan_in, fan_out in self.net.layer_shapes:
            for shape in ((self.R, fan_in, fan_out), (self.R, 1, fan_out)):
                size = math.prod(shape)
                views.append(flat[offset: offset + size].view(shape))
                offset += size
        return views

    def _views(self) -> None:
        w, g = self.layout(self.params), self.layout(self.grads)
        self.W, self.b, self.gW, self.gb = w[0::2], w[1::2], g[0::2], g[1::2]

    def gather(self, flat: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """The replicates ``keep`` of a flat buffer laid out like the weights."""
        return torch.cat([v.reshape(self.R, -1).index_select(0, keep).reshape(-1) for v in self.layout(flat)])

    def subset(self, keep: np.ndarray) -> Group:
        """A group of the replicates ``keep`` (positions in this group), in the state they are in now.

        Each replicate's numbers do not depend on which others train beside it, so a group
        can drop the replicates that stopped early and go on with the rest.
        """
        keep = np.asarray(keep, dtype=np.int64)
        k = torch.as_tensor(keep, device=self.device)
        g = copy.copy(self)
        flat_shape = self.params.shape
        g.params = self.gather(self.params, k)
        g.grads = torch.zeros_like(g.params)
        g.state = {name: self.gather(v, k) if torch.is_tensor(v) and v.shape == flat_shape else v
                   for name, v in self.state.items()}
        g.lr = None if self.lr is None else self.gather(self.lr, k)
        g.best = None if self.best is None else self.gather(self.best, k)
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
        g.keys = None if self.keys is None else self.keys[:, keep]
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
    def forward(self, x: torch.Tensor, keep: bool, reps: slice = slice(None)):
        """Pre-activations and activations of every layer (of the replicates ``reps``); the last
        entry is the output pre-activation."""
        pres, outs = [], [x]
        h = x
        last = len(self.W) - 1
        for layer in range(last + 1):
            pre = affine(h, self.W[layer][reps], self.b[layer][reps])
            if layer == last:
                pres.append(pre)
                break
            h = act.forward(self.net.hidden_activation, pre) if keep else act.forward_(self.net.hidden_activation, pre)
            if keep:
                pres.append(pre)
                outs.append(h)
        return pres, outs, pre

    def _member_losses(self, z: torch.Tensor, rows: torch.Tensor, mask: torch.Tensor | None, counts: torch.Tensor,
                       grad: bool = False, slices=None):
        """Per-replicate mean loss (R,), per member its outputs, targets and per-sample losses,
        and with ``grad`` d(sum of the mean losses)/dz. ``slices``: the members' replicates
        within ``z`` when it holds a block of them (:meth:`_block_slices`)."""
        losses, parts, grads = [], [], []
        for (a, b, m, targets, labels), closed in slices or zip(self.slices, self.closed_forms):
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
            weight_grad(outs[layer], delta, self.gW[layer])
            torch.sum(delta, dim=1, keepdim=True, out=self.gb[layer])
            if layer:
                delta = matmul(delta, self.W[layer].transpose(1, 2))
                delta = act.backward_(self.net.hidden_activation, delta, pres[layer - 1], outs[layer])
        self.opt.step_(self.params, self.grads, self.state, self.lr)
        return total, batch_metrics

    # ------------------------------------------------------------------ evaluation
    def eval_inputs(self, split: str):
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
            small = R * n_max * self.X.shape[1] <= 16e6 and R * n_max * max(self.net.sizes) <= EVAL_ELEMENTS
            x = self.X.index_select(0, rows.reshape(-1)).view(R, n_max, -1) if small else None
            cached = self._eval_cache[split] = (rows, mask, counts, x, n)
        return cached

    def _block_slices(self, lo: int, hi: int):
        """The members' slices (and closed forms) of the replicates ``lo:hi``, counted from ``lo``."""
        out = []
        for (a, b, m, t, lab), closed in zip(self.slices, self.closed_forms):
            if a < hi and b > lo:
                out.append(((max(a, lo) - lo, min(b, hi) - lo, m, t, lab), closed))
        return out

    def evaluate(self, split: str, outputs: bool = True):
        """Mean loss, metrics and (with ``outputs``) outputs of every replicate on its own rows of
        ``split``, ``EVAL_BLOCK`` activations' worth of replicates at a time."""
        rows, mask, counts, x, _ = self.eval_inputs(split)
        R, n_max = rows.shape
        step = max(1, EVAL_BLOCK // (min(n_max, EVAL_ROWS) * max(self.net.sizes)))
        blocks = [self._evaluate_block(rows, mask, counts, x, outputs, lo, min(lo + step, R)) for lo in range(0, R, step)]
        if len(blocks) == 1:
            return blocks[0]
        loss = torch.cat([b[0] for b in blocks])
        values = {name: torch.cat([b[1][name] for b in blocks]) for name in self.metrics}
        return loss, values, torch.cat([b[2] for b in blocks]) if outputs else None

    def _evaluate_block(self, rows, mask, counts, x, outputs: bool, lo: int, hi: int):
        """:meth:`evaluate` of the replicates ``lo:hi``, over ``EVAL_ROWS`` rows at a time when a
        split has more: a chunk's activations stay in cache (on a large table a whole split's do
        not: 1.5x faster) and memory stays bounded. The chunks depend on neither the blocks nor
        how many replicates train together."""
        reps, slices = slice(lo, hi), self._block_slices(lo, hi)
        rows, counts = rows[reps], counts[reps]
        mask = None if mask is None else mask[reps]
        x = None if x is None else x[reps]
        R, n_max = rows.shape
        if n_max <= EVAL_ROWS:
            if x is None:
                x = self.X.index_select(0, rows.reshape(-1)).view(*rows.shape, -1)
            _, _, z = self.forward(x, keep=False, reps=reps)
            loss, parts, _ = self._member_losses(z, rows, mask, counts, slices=slices)
            values = {name: self._finish(name, self._metric_sums(name, parts), counts) for name in self.metrics}
            return loss, values, torch.cat([p[1] for p in parts]) if outputs else None
        loss = torch.zeros(R, dtype=self.dtype, device=self.device)
        sums = {name: torch.zeros_like(loss) for name in self.metrics}
        outs = []
        for start in range(0, n_max, EVAL_ROWS):
            r = rows[:, start: start + EVAL_ROWS]
            xc = x[:, start: start + EVAL_ROWS] if x is not None else self.X.index_select(0, r.reshape(-1)).view(*r.shape, -1)
            # A mask on every chunk: each contributes its rows' sum over all of a replicate's rows.
            m = mask[:, start: start + EVAL_ROWS] if mask is not None else torch.ones(r.shape, dtype=self.dtype, device=self.device)
            _, _, z = self.forward(xc, keep=False, reps=reps)
            part_loss, parts, _ = self._member_losses(z, r, m, counts, slices=slices)
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


    def put(self, flat: torch.Tensor, ids: np.ndarray, into: torch.Tensor | None = None) -> None:
        """Write the weights of replicates ``ids`` (a flat buffer laid out like the weights of
        ``len(ids)`` replicates) into this group's weights (or ``into``, laid out like them)."""
        k = torch.as_tensor(ids, device=self.device if into is None else into.device)
        offset = 0
        for view in self.layout(self.params if into is None else into):
            size = len(ids) * view[0].numel()
            view.index_copy_(0, k, flat[offset: offset + size].view(len(ids), *view.shape[1:]))
            offset += size

    def run_epoch(self, key_index: int, history: History, rows_out: np.ndarray, epoch: int) -> None:
        """One epoch of every replicate; its curves go to ``history`` at column ``epoch``."""
        R, B = self.R, self.B
        n_max = self.train_rows.shape[1]
        steps = math.ceil(self.n_train.min() / B)
        pad = np.arange(n_max)[None, :] >= self.n_train[:, None]
        counts_full = torch.full((R,), float(B), dtype=self.dtype, device=self.device)
        n_train = torch.as_tensor(self.n_train, dtype=self.dtype, device=self.device)
        order = minibatch_order(self.keys[key_index])
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
            n = self.eval_inputs(split)[4]
            out = out.cpu().numpy()
            outputs[split] = [out[i, : n[i]] for i in range(self.R)]
            evaluation[split] = {"loss": loss.cpu().numpy(), **{k: v.cpu().numpy() for k, v in values.items()}}
        return weights, outputs, evaluation
