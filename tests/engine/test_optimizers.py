"""Tests for losslab.engine.optimizers: Keras' update rules, held to torch.optim and to the formulas."""

from __future__ import annotations

import math

import pytest
import torch

from losslab.engine.optimizers import SGD, Adam, make_optimizer


def _grads(steps: int, n: int = 7) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return [torch.randn(n, generator=g, dtype=torch.float64) for _ in range(steps)]


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_equals_torch_optim_sgd_for_a_constant_rate(momentum, nesterov):
    grads = _grads(20)
    ours = torch.linspace(-1, 1, 7, dtype=torch.float64)
    ref = ours.clone().requires_grad_(True)
    opt = SGD(lr=0.05, momentum=momentum, nesterov=nesterov)
    state = opt.state(ours)
    torch_opt = torch.optim.SGD([ref], lr=0.05, momentum=momentum, nesterov=nesterov)
    for g in grads:
        opt.step_(ours, g, state)
        ref.grad = g.clone()
        torch_opt.step()
    torch.testing.assert_close(ours, ref.detach(), rtol=1e-12, atol=1e-12)


def test_adam_follows_keras_formula():
    grads = _grads(10)
    w = torch.zeros(7, dtype=torch.float64)
    opt = Adam(lr=0.01)
    state = opt.state(w)
    m = torch.zeros(7, dtype=torch.float64)
    v = torch.zeros(7, dtype=torch.float64)
    expected = torch.zeros(7, dtype=torch.float64)
    for t, g in enumerate(grads, start=1):
        opt.step_(w, g, state)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        expected -= 0.01 * math.sqrt(1 - 0.999**t) / (1 - 0.9**t) * m / (v.sqrt() + 1e-7)
    torch.testing.assert_close(w, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("weight_decay", "reference", "start"), [
    (0.0, torch.optim.Adam, torch.ones(7, dtype=torch.float64)),
    (0.1, torch.optim.AdamW, torch.linspace(-2, 2, 7, dtype=torch.float64)),  # decoupled decay: AdamW
])
def test_adam_is_close_to_torch_adam_away_from_epsilon(weight_decay, reference, start):
    # torch adds eps to the bias-corrected sqrt(v); Keras to the raw one: equal when eps is negligible.
    grads = _grads(30)
    ours = start.clone()
    ref = ours.clone().requires_grad_(True)
    opt = Adam(lr=0.01, epsilon=1e-12, weight_decay=weight_decay)
    state = opt.state(ours)
    torch_opt = reference([ref], lr=0.01, eps=1e-12, weight_decay=weight_decay)
    for g in grads:
        opt.step_(ours, g, state)
        ref.grad = g.clone()
        torch_opt.step()
    torch.testing.assert_close(ours, ref.detach(), rtol=1e-9, atol=1e-9)


def test_adamw_with_a_tensor_of_rates_equals_the_scalar_rate():
    grads = _grads(15)
    a = torch.linspace(-2, 2, 7, dtype=torch.float64)
    b = a.clone()
    opt = Adam(lr=0.03, weight_decay=0.05)
    sa, sb = opt.state(a), opt.state(b)
    rates = torch.full_like(b, 0.03)
    for g in grads:
        opt.step_(a, g, sa)
        opt.step_(b, g, sb, lr=rates)
    torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)
    # The decay shrinks the weights: without it they end elsewhere.
    c = torch.linspace(-2, 2, 7, dtype=torch.float64)
    plain = Adam(lr=0.03)
    sc = plain.state(c)
    for g in grads:
        plain.step_(c, g, sc)
    assert a.abs().sum() < c.abs().sum()


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf")])
def test_adam_refuses_a_bad_weight_decay_by_name(bad):
    with pytest.raises(ValueError, match="weight_decay"):
        Adam(weight_decay=bad)


@pytest.mark.parametrize("bad", [dict(lr=0.0), dict(lr=-1.0), dict(lr=float("nan")), dict(momentum=1.0)])
def test_sgd_refuses_bad_settings_by_name(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        SGD(**bad)


def test_make_optimizer_defaults_and_refusal():
    assert make_optimizer("SGD") == SGD(lr=0.01)
    assert make_optimizer("adam") == Adam(lr=0.001)
    assert make_optimizer("sgd", lr=0.1, momentum=0.9) == SGD(lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="optimizer"):
        make_optimizer("rmsprop")
