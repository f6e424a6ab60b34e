"""Closed-form gradients of common (loss, output activation) pairs with respect to the
output layer's pre-activation, where they are measurably faster than autograd.

Each function returns the outputs (after the activation), the per-sample loss (``(...)``,
as the loss's torch kernel) and d(per-sample loss)/dz (``(..., k)``), with the same masks as autograd through the
kernel: ``clamp`` passes its gradient where ``min <= x <= max``. Any other pair, or
non-default parameters, goes through autograd; tests hold each closed form to it.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..losses.frameworks import (
    EPSILON,  # Keras' probability clip, as in the catalog's kernels
)
from .activations import softmax


def _mse_linear(y: torch.Tensor, z: torch.Tensor):
    diff = z - y
    return z, (diff * diff).mean(dim=-1), diff * (2.0 / z.shape[-1])


def _mae_linear(y: torch.Tensor, z: torch.Tensor):
    diff = z - y
    return z, diff.abs().mean(dim=-1), torch.sign(diff) / z.shape[-1]


def _bce_sigmoid(y: torch.Tensor, z: torch.Tensor):
    p = torch.sigmoid(z)
    pc = p.clamp(EPSILON, 1.0 - EPSILON)
    loss = -(y * torch.log(pc) + (1.0 - y) * torch.log1p(-pc)).mean(dim=-1)
    # d/dz of -[y log p + (1 - y) log(1 - p)] with p = sigmoid(z) is p - y; zero where the clip holds p.
    inside = (p >= EPSILON) & (p <= 1.0 - EPSILON)
    return p, loss, torch.where(inside, p - y, 0.0) / z.shape[-1]


def _hinge_tanh(y: torch.Tensor, z: torch.Tensor, squared: bool):
    t = torch.tanh(z)
    margin = 1.0 - y * t
    active = margin.clamp(min=0.0)
    if squared:
        loss, dt = (active * active).mean(dim=-1), -2.0 * y * active
    else:
        loss, dt = active.mean(dim=-1), torch.where(margin >= 0.0, -y, 0.0)
    return t, loss, dt * (1.0 - t * t) / z.shape[-1]


def _softmax_grad(p: torch.Tensor, g_p: torch.Tensor) -> torch.Tensor:
    """d/dz from d/dp through p = softmax(z): p * (g - sum(g * p))."""
    return p * (g_p - (g_p * p).sum(dim=-1, keepdim=True))


def _cce_softmax(spec, rows_of):
    def fn(y: torch.Tensor, z: torch.Tensor):
        p = softmax(z)
        loss = spec.torch_kernel(y, p, **spec.params)
        t = rows_of(y, z)
        # The kernel renormalises (q = p / S) and clips q to [eps, 1 - eps], as Keras does.
        S = p.sum(dim=-1, keepdim=True)
        q = p / S
        inside = (q >= EPSILON) & (q <= 1.0 - EPSILON)
        g_q = torch.where(inside, -t / q, 0.0)
        g_p = (g_q - (g_q * q).sum(dim=-1, keepdim=True)) / S
        return p, loss, _softmax_grad(p, g_p)

    return fn


def _kl_softmax(spec):
    def fn(y: torch.Tensor, z: torch.Tensor):
        p = softmax(z)
        loss = spec.torch_kernel(y, p, **spec.params)
        # The kernel clips p to [eps, 1] (not y): the gradient of -y log p where it is inside.
        inside = (p >= EPSILON) & (p <= 1.0)
        return p, loss, _softmax_grad(p, torch.where(inside, -y / p, 0.0))

    return fn


def _one_hot(y: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.one_hot(y, z.shape[-1]).to(z.dtype)


_CLOSED_FORMS: dict[tuple[str, str], Callable] = {
    ("mean_squared_error", "linear"): _mse_linear,
    ("mean_absolute_error", "linear"): _mae_linear,
    ("binary_crossentropy", "sigmoid"): _bce_sigmoid,
    ("hinge", "tanh"): lambda y, z: _hinge_tanh(y, z, squared=False),
    ("squared_hinge", "tanh"): lambda y, z: _hinge_tanh(y, z, squared=True),
}
# Built with the spec (their loss values come from its kernel).
_SPEC_FORMS: dict[tuple[str, str], Callable] = {
    ("categorical_crossentropy", "softmax"): lambda spec: _cce_softmax(spec, lambda y, z: y),
    ("sparse_categorical_crossentropy", "softmax"): lambda spec: _cce_softmax(spec, _one_hot),
    ("kl_divergence", "softmax"): _kl_softmax,
}
_PLAIN_CE = {"from_logits": False, "label_smoothing": 0.0, "class_weight": None}
_DEFAULTS = {"binary_crossentropy": {"from_logits": False, "label_smoothing": 0.0, "pos_weight": None},
             "categorical_crossentropy": _PLAIN_CE, "sparse_categorical_crossentropy": _PLAIN_CE,
             "kl_divergence": {"from_logits": False}}


def closed_form(loss, output_activation: str) -> Callable | None:
    """The closed-form (loss, gradient) function for this pair, or None to use autograd."""
    key = (loss.name, output_activation)
    if loss.origin or (key not in _CLOSED_FORMS and key not in _SPEC_FORMS):
        return None
    defaults = _DEFAULTS.get(loss.name, {})
    if any(loss.params.get(k) != v for k, v in defaults.items()):
        return None
    return _CLOSED_FORMS[key] if key in _CLOSED_FORMS else _SPEC_FORMS[key](loss)
