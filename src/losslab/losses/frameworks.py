"""Builders of the matching Keras 3 / PyTorch loss objects (imported only when asked for)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

KERAS = "Chollet et al., Keras 3 API reference: keras.losses, 2023."
TORCH = "Paszke et al., PyTorch: An Imperative Style, High-Performance Deep Learning Library, NeurIPS 2019."

# Keras' backend.epsilon(): probabilities are clipped to [EPSILON, 1 - EPSILON] before the log.
EPSILON = 1e-7


def losslab_module(name: str, params: Mapping[str, Any]):
    """losslab's own ``torch.nn.Module`` for settings PyTorch's class cannot express."""
    from .module import LossModule
    from .registry import find

    return LossModule(find(name, **params))


def import_keras():
    """Import Keras 3, on the torch backend unless the user chose another one."""
    # Keras reads KERAS_BACKEND once, at import; without it Keras wants TensorFlow.
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(f"to_keras() needs Keras 3: pip install keras (it runs on the torch backend). ({err})") from None
    return keras


def keras_loss(class_name: str, rename: Mapping[str, str] | None = None, drop: tuple[str, ...] = (),
               **fixed: Any) -> Callable[[Mapping[str, Any]], Any]:
    """A factory for ``keras.losses.<class_name>``; losslab parameter names are mapped
    through ``rename``, those in ``drop`` are not passed, ``fixed`` are always passed."""
    rename = dict(rename or {})

    def build(params: Mapping[str, Any]):
        keras = import_keras()
        kwargs = {rename.get(k, k): val for k, val in params.items() if k not in drop}
        return getattr(keras.losses, class_name)(**{**kwargs, **fixed})

    return build


def torch_loss(class_name: str, rename: Mapping[str, str] | None = None, drop: tuple[str, ...] = (),
               **fixed: Any) -> Callable[[Mapping[str, Any]], Any]:
    """A factory for ``torch.nn.<class_name>`` with the same parameter mapping as :func:`keras_loss`."""
    rename = dict(rename or {})

    def build(params: Mapping[str, Any]):
        import torch

        kwargs = {rename.get(k, k): val for k, val in params.items() if k not in drop}
        return getattr(torch.nn, class_name)(**{**kwargs, **fixed})

    return build
