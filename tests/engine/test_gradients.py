"""The engine's closed-form output gradients against autograd through the catalog's kernels."""

import numpy as np
import pytest
import torch

from losslab import losses
from losslab.engine import SGD, Member, Network, Replicate, train
from losslab.engine import activations as act
from losslab.engine.gradients import closed_form

PAIRS = [("mean_squared_error", "linear", "real"), ("mean_absolute_error", "linear", "real"),
         ("binary_crossentropy", "sigmoid", "binary_01"), ("hinge", "tanh", "binary_pm1"),
         ("squared_hinge", "tanh", "binary_pm1"), ("categorical_crossentropy", "softmax", "one_hot"),
         ("sparse_categorical_crossentropy", "softmax", "integer_class"), ("kl_divergence", "softmax", "probability_rows")]


def targets(encoding, shape, gen):
    if encoding == "integer_class":
        return torch.randint(0, shape[-1], shape[:-1], generator=gen)
    if encoding in ("one_hot", "probability_rows"):
        if encoding == "one_hot":
            return torch.nn.functional.one_hot(torch.randint(0, shape[-1], shape[:-1], generator=gen), shape[-1]).double()
        w = torch.rand(shape, generator=gen, dtype=torch.float64)
        return w / w.sum(-1, keepdim=True)
    if encoding == "real":
        return torch.randn(shape, generator=gen, dtype=torch.float64)
    labels = (torch.rand(shape, generator=gen) < 0.5).double()
    return labels if encoding == "binary_01" else 2 * labels - 1


@pytest.mark.parametrize("name, activation, encoding", PAIRS)
@pytest.mark.parametrize("k", [1, 3])
def test_closed_form_equals_autograd(name, activation, encoding, k):
    if activation == "softmax" and k == 1:
        k = 4
    gen = torch.Generator().manual_seed(0)
    spec = losses.get(name)
    z = torch.randn(4, 16, k, generator=gen, dtype=torch.float64) * 3
    z[0, 0] = 40.0  # saturated: BCE's probability clip holds, tanh's derivative vanishes
    z[0, 1] = -40.0
    y = targets(encoding, (4, 16, k), gen)
    leaf = z.clone().requires_grad_()
    expected = spec.torch_kernel(y, act.forward(activation, leaf), **spec.params)
    (grad,) = torch.autograd.grad(expected.sum(), leaf)
    out, loss, dz = closed_form(spec, activation)(y, z)
    torch.testing.assert_close(out, act.forward(activation, z), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(loss, expected.detach(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(dz, grad, rtol=1e-9, atol=1e-12)


def test_non_default_parameters_fall_back_to_autograd():
    assert closed_form(losses.get("bce", label_smoothing=0.1), "sigmoid") is None
    assert closed_form(losses.get("bce"), "linear") is None
    assert closed_form(losses.get("huber"), "linear") is None
    assert closed_form(losses.get("mse"), "linear") is not None
    assert closed_form(losses.get("cce", label_smoothing=0.1), "softmax") is None
    assert closed_form(losses.get("CrossEntropyLoss"), "linear") is None


@pytest.mark.parametrize("name, activation, encoding", PAIRS)
def test_training_with_closed_forms_equals_training_with_autograd(name, activation, encoding):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = X[:, 0] - X[:, 1] ** 2
    units = 1
    if activation == "softmax":
        labels = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
        y = labels if encoding == "integer_class" else np.eye(3)[labels]
        units = 3
    elif encoding != "real":
        y = (y > np.median(y)).astype(float)
        y = 2 * y - 1 if encoding == "binary_pm1" else y
    member = Member(losses.get(name), activation, y)
    kw = dict(network=Network(4, (8,), units), epochs=3, batch_size=16, optimizer=SGD(0.05, 0.9))
    reps = [Replicate(0, s, np.arange(100), np.arange(100, 120)) for s in range(3)]
    a = train(X, [member], reps, closed_forms=True, **kw)
    b = train(X, [member], reps, closed_forms=False, **kw)
    for (Wa, ba), (Wb, bb) in zip(a.weights, b.weights):
        np.testing.assert_allclose(Wa, Wb, atol=1e-5)
        np.testing.assert_allclose(ba, bb, atol=1e-5)
    np.testing.assert_allclose(a.loss["train"], b.loss["train"], rtol=1e-5)


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid", "linear", "softplus"])
def test_in_place_hidden_activation_gives_the_numbers_of_the_plain_one_bit_for_bit(name):
    pre = torch.randn(3, 40, 7, generator=torch.Generator().manual_seed(0))
    expected = act.forward(name, pre.clone())
    torch.testing.assert_close(act.forward_(name, pre.clone()), expected, rtol=0, atol=0)
