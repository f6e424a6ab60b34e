"""A ``torch.nn.Module`` around a losslab loss, for losses PyTorch has no class for."""

from __future__ import annotations

from typing import Any

import torch


class LossModule(torch.nn.Module):
    """``loss_fn = LossModule(spec); loss_fn(y_pred, y_true)``: PyTorch's argument order.

    Note the order: PyTorch losses take ``(input, target)``; losslab's ``spec.torch`` takes
    ``(y_true, y_pred)`` as Keras does. This module follows PyTorch.
    """

    # ``spec`` is a LossSpec; not imported here, as LossSpec.to_torch_module imports this module.
    def __init__(self, spec: Any, reduction: str = "mean") -> None:
        super().__init__()
        self.spec = spec
        self.reduction = reduction

    def forward(self, input: torch.Tensor, target: Any, sample_weight: Any = None) -> torch.Tensor:  # noqa: A002 - PyTorch's name
        return self.spec.torch(target, input, reduction=self.reduction, sample_weight=sample_weight)

    def extra_repr(self) -> str:
        return f"{self.spec!r}, reduction={self.reduction!r}"
