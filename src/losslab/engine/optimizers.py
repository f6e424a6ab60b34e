"""Optimizers with Keras 3 semantics, applied to one flat buffer of every replicate's weights.

SGD with momentum (Keras): ``v = m * v - lr * g; w = w + v``; Nesterov:
``w = w + m * v - lr * g`` after the velocity update. This equals PyTorch's
``b = m * b + g; w = w - lr * b`` for a constant learning rate (``v = -lr * b``).
Adam (Keras): ``m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2);``
``w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)``, eps = 1e-7.
With ``weight_decay`` it is AdamW (Loshchilov & Hutter; Keras' and PyTorch's ``AdamW``):
before that step every weight shrinks by ``lr * weight_decay`` of itself, ``w -= lr * wd * w``,
decoupled from the gradient's moments.

``step_`` takes an optional ``lr`` tensor laid out like the weights (one rate per weight,
in practice one per replicate): a grid of learning rates then trains in one lockstep
call. Without it the optimizer's own ``lr`` is used, with the arithmetic it always had.
"""

from __future__ import annotations

import dataclasses
import math

import torch


@dataclasses.dataclass(frozen=True)
class SGD:
    lr: float = 0.01
    momentum: float = 0.0
    nesterov: bool = False

    def __post_init__(self) -> None:
        if not self.lr > 0:
            raise ValueError(f"SGD: expected lr > 0. Received: lr={self.lr}.")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"SGD: expected momentum in [0, 1). Received: momentum={self.momentum}.")

    def state(self, params: torch.Tensor) -> dict:
        return {"v": torch.zeros_like(params)} if self.momentum else {}

    def step_(self, params: torch.Tensor, grads: torch.Tensor, state: dict, lr: torch.Tensor | None = None) -> None:
        if lr is not None:
            # -lr * g per weight: the same formulas with a tensor of rates.
            step = grads * lr
            if not self.momentum:
                params.sub_(step)
                return
            v = state["v"]
            v.mul_(self.momentum).sub_(step)
            if self.nesterov:
                params.add_(v, alpha=self.momentum).sub_(step)
            else:
                params.add_(v)
            return
        if not self.momentum:
            params.add_(grads, alpha=-self.lr)
            return
        v = state["v"]
        v.mul_(self.momentum).add_(grads, alpha=-self.lr)
        if self.nesterov:
            params.add_(v, alpha=self.momentum).add_(grads, alpha=-self.lr)
        else:
            params.add_(v)


@dataclasses.dataclass(frozen=True)
class Adam:
    lr: float = 0.001
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-7
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        if not self.lr > 0:
            raise ValueError(f"Adam: expected lr > 0. Received: lr={self.lr}.")
        if not (isinstance(self.weight_decay, (int, float)) and 0 <= self.weight_decay < math.inf):
            raise ValueError(f"Adam: expected weight_decay >= 0 (0: plain Adam). Received: weight_decay={self.weight_decay!r}.")
        for arg in ("beta_1", "beta_2"):
            if not 0 <= getattr(self, arg) < 1:
                raise ValueError(f"Adam: expected {arg} in [0, 1). Received: {arg}={getattr(self, arg)}.")

    def state(self, params: torch.Tensor) -> dict:
        return {"m": torch.zeros_like(params), "v": torch.zeros_like(params), "t": 0}

    def step_(self, params: torch.Tensor, grads: torch.Tensor, state: dict, lr: torch.Tensor | None = None) -> None:
        state["t"] += 1
        t = state["t"]
        if self.weight_decay:
            # AdamW's decoupled decay, before the moment step (as torch.optim.AdamW).
            if lr is None:
                params.mul_(1 - self.lr * self.weight_decay)
            else:
                params.addcmul_(params, lr, value=-self.weight_decay)  # one fused op: w - wd * lr * w
        m, v = state["m"], state["v"]
        m.lerp_(grads, 1 - self.beta_1)
        v.mul_(self.beta_2).addcmul_(grads, grads, value=1 - self.beta_2)
        if lr is not None:
            correction = math.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
            params.addcdiv_(m * lr, v.sqrt().add_(self.epsilon), value=-correction)
            return
        step = self.lr * math.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        params.addcdiv_(m, v.sqrt().add_(self.epsilon), value=-step)


def make_optimizer(name: str, lr: float | None = None, **kwargs) -> SGD | Adam:
    """``make_optimizer("sgd", lr=0.01, momentum=0.9)`` or ``make_optimizer("adam")``."""
    name = name.lower()
    if name == "sgd":
        return SGD(lr=0.01 if lr is None else lr, **kwargs)
    if name == "adam":
        return Adam(lr=0.001 if lr is None else lr, **kwargs)
    raise ValueError(f"expected optimizer in ('sgd', 'adam'). Received: optimizer={name!r}.")
