"""The lockstep group (engine/lockstep.py): its batched products against plain ones, a
subset of a group against the group, and evaluation in chunks against one pass."""

import numpy as np
import pytest
import torch

from losslab import losses
from losslab.engine import SGD, Member, Network, Replicate, train
from losslab.engine.lockstep import NARROW, Group, affine, matmul, weight_grad


@pytest.mark.parametrize("inputs, columns", [(5, 1), (5, 3), (2, 3), (20, 16), (20, 17), (5, 40)])
def test_batched_products_equal_plain_matrix_products(inputs, columns):
    # Narrow layers (at most NARROW columns) take the transposed or broadcast paths, a weight
    # gradient with more columns than inputs and a wide layer the plain one: all are x @ W + b.
    assert (columns <= NARROW) == (columns in (1, 3, 16))
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 6, inputs, generator=g, dtype=torch.float64)
    W = torch.randn(4, inputs, columns, generator=g, dtype=torch.float64)
    b = torch.randn(4, 1, columns, generator=g, dtype=torch.float64)
    torch.testing.assert_close(affine(x, W, b), x @ W + b, rtol=1e-12, atol=1e-12)
    a = torch.randn(4, 6, 1 if columns == 1 else inputs, generator=g, dtype=torch.float64)
    c = torch.randn(4, a.shape[-1], 3, generator=g, dtype=torch.float64)
    torch.testing.assert_close(matmul(a, c), a @ c, rtol=1e-12, atol=1e-12)
    delta = torch.randn(4, 6, columns, generator=g, dtype=torch.float64)
    out = torch.empty(4, inputs, columns, dtype=torch.float64)
    weight_grad(x, delta, out)
    torch.testing.assert_close(out, x.transpose(1, 2) @ delta, rtol=1e-12, atol=1e-12)


def _group(reps, network, y):
    member = Member(losses.get("mse"), "linear", y[None, :, None])
    return Group(np.zeros((1, len(y), network.n_inputs)) + np.arange(len(y))[None, :, None] / len(y), [member], reps,
                 network, SGD(0.1), 4, (), torch.float64, torch.device("cpu"))


def test_a_subset_holds_its_replicates_weights_rows_and_rates():
    net = Network(2, (3,), 1)
    y = np.linspace(-1, 1, 12)
    reps = [Replicate(0, seed, np.arange(8 + seed), np.arange(10, 12), lr=0.1 * (seed + 1)) for seed in range(3)]
    group = _group(reps, net, y)
    sub = group.subset(np.array([0, 2]))
    assert sub.R == 2 and list(sub.ids) == [0, 2] and [r.seed for r in sub.reps] == [0, 2]
    for W, W_sub in zip(group.W, sub.W):
        torch.testing.assert_close(W_sub, W[[0, 2]], rtol=0, atol=0)
    np.testing.assert_array_equal(sub.n_train, [8, 10])
    torch.testing.assert_close(sub.lr, group.gather(group.lr, torch.tensor([0, 2])), rtol=0, atol=0)
    # put writes a subset's weights back where they came from.
    flat = sub.params.clone() + 1.0
    group.put(flat, np.array([0, 2]))
    torch.testing.assert_close(group.W[0][[0, 2]], sub.W[0] + 1.0, rtol=0, atol=0)
    # A flat buffer's layout: W0, b0, W1, b1 over every replicate, covering it exactly.
    views = group.layout(group.params)
    assert [tuple(v.shape) for v in views] == [(3, 2, 3), (3, 1, 3), (3, 3, 1), (3, 1, 1)]
    assert sum(v.numel() for v in views) == group.params.numel() == 3 * net.n_params


def test_evaluation_in_chunks_gives_the_numbers_of_one_pass(data, monkeypatch):
    from losslab.engine import lockstep

    X, y = data
    labels = (y > 0).astype(np.int64)
    bce = Member(losses.get("bce"), "sigmoid", labels.astype(float), labels=labels)
    # Unequal test sets (masked) and a chunk size that does not divide them.
    reps = [Replicate(0, s, np.arange(100), np.arange(100, 160 - s), val=np.arange(100, 130)) for s in range(3)]
    kwargs = dict(network=Network(4, (8,), 1), epochs=3, batch_size=16, metrics=("accuracy", "mse"), dtype="float64")
    whole = train(X, [bce], reps, **kwargs)
    monkeypatch.setattr(lockstep, "EVAL_ROWS", 7)
    chunked = train(X, [bce], reps, **kwargs)
    for split in ("val", "test"):
        np.testing.assert_allclose(chunked.loss[split], whole.loss[split], rtol=1e-12)
        for name in ("accuracy", "mse"):
            np.testing.assert_allclose(chunked.metrics[name][split], whole.metrics[name][split], rtol=1e-12)
            np.testing.assert_allclose(chunked.evaluation[split][name], whole.evaluation[split][name], rtol=1e-12)
        for a, b in zip(chunked.outputs[split], whole.outputs[split]):
            np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("rows", [None, 7])
def test_evaluation_in_blocks_of_replicates_gives_the_numbers_of_one_pass_bit_for_bit(data, monkeypatch, rows):
    # Two members of 3 replicates each; blocks of 2 replicates cut the second member's slice.
    from losslab.engine import lockstep

    X, y = data
    labels = (y > 0).astype(np.int64)
    members = [Member(losses.get("bce"), "sigmoid", labels.astype(float), labels=labels),
               Member(losses.get("hinge"), "tanh", np.where(labels > 0, 1.0, -1.0), labels=labels)]
    reps = [Replicate(j, s, np.arange(100), np.arange(100, 160 - s), val=np.arange(100, 130)) for j in range(2) for s in range(3)]
    kwargs = dict(network=Network(4, (8,), 1), epochs=3, batch_size=16, metrics=("accuracy", "mse"))
    if rows:
        monkeypatch.setattr(lockstep, "EVAL_ROWS", rows)
    whole = train(X, members, reps, **kwargs)
    monkeypatch.setattr(lockstep, "EVAL_BLOCK", 2 * min(60, rows or 60) * 8)
    blocks = train(X, members, reps, **kwargs)
    for split in ("val", "test"):
        np.testing.assert_array_equal(blocks.loss[split], whole.loss[split])
        for name in ("accuracy", "mse"):
            np.testing.assert_array_equal(blocks.metrics[name][split], whole.metrics[name][split])
            np.testing.assert_array_equal(blocks.evaluation[split][name], whole.evaluation[split][name])
        for a, b in zip(blocks.outputs[split], whole.outputs[split]):
            np.testing.assert_array_equal(a, b)
