"""Evaluate many weight sets of one network at once (loss landscapes, saved models).

A weight set is a flat vector laid out as :meth:`Network.flatten` says: per layer the
kernel ``W`` (fan_in x fan_out, row-major) then the bias — the layout of
``History.trajectory``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from . import activations as act
from .lockstep import affine
from .members import ENGINE_METRICS, Member, predicted_class
from .network import Network

_BLOCK_ELEMENTS = 16_000_000  # activations per block of rows in predict (128 MB in float64)


def unflatten(network: Network, flat: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``(G, P)`` flat weight sets -> per layer ``W`` (G, fan_in, fan_out) and ``b`` (G, 1, fan_out)."""
    G = flat.shape[0]
    out, offset = [], 0
    for fan_in, fan_out in network.layer_shapes:
        W = flat[:, offset: offset + fan_in * fan_out].reshape(G, fan_in, fan_out)
        offset += fan_in * fan_out
        b = flat[:, offset: offset + fan_out].reshape(G, 1, fan_out)
        offset += fan_out
        out.append((W, b))
    return out


def flatten(weights: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Per-layer ``(W (G, in, out), b (G, out))`` -> ``(G, P)`` flat weight sets."""
    G = weights[0][0].shape[0]
    return np.concatenate([np.concatenate([W.reshape(G, -1), b.reshape(G, -1)], axis=1) for W, b in weights], axis=1)


def _forward(network: Network, flat: torch.Tensor, x: torch.Tensor, output_activation: str) -> torch.Tensor:
    layers = unflatten(network, flat)
    h = x.expand(flat.shape[0], *x.shape)
    for i, (W, b) in enumerate(layers):
        h = affine(h, W, b)
        if i < len(layers) - 1:
            h = act.forward(network.hidden_activation, h)
    return act.forward(output_activation, h)


def predict(X: np.ndarray, weights: np.ndarray, *, network: Network, output_activation: str,
            rows: np.ndarray | None = None, dtype: str = "float64") -> np.ndarray:
    """Outputs (after the output activation) of every weight set on ``X[rows]``: (G, n, k)."""
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 2 or weights.shape[1] != network.n_params:
        raise ValueError(f"predict: expected weights of shape (G, {network.n_params}). Received: {weights.shape}.")
    # Rows first, then the dtype: a large table is never copied whole.
    x = np.asarray(X) if rows is None else np.asarray(X)[np.asarray(rows)]
    tdtype = torch.float64 if dtype == "float64" else torch.float32
    x = torch.as_tensor(np.asarray(x, dtype=np.float64 if dtype == "float64" else np.float32))
    flat = torch.as_tensor(weights, dtype=tdtype)
    # A block of rows at a time: memory bounded by weight sets x block x widest layer.
    block = max(1, _BLOCK_ELEMENTS // (len(weights) * max(network.sizes)))
    with torch.no_grad():
        out = [_forward(network, flat, x[lo: lo + block], output_activation) for lo in range(0, max(1, len(x)), block)]
    return torch.cat(out, dim=1).numpy()


def evaluate(
    X: np.ndarray,
    member: Member,
    weights: np.ndarray,
    *,
    network: Network,
    rows: np.ndarray | None = None,
    metrics: Sequence[str] = (),
    chunk: int = 256,
    dtype: str = "float64",
    device: str | None = None,
) -> dict[str, np.ndarray]:
    """Loss (and metrics) of every weight set in ``weights`` (G, P) on ``X[rows]``.

    Returns ``{"loss": (G,), metric: (G,)}``; the loss is the mean over the rows, as in training.
    """
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 2 or weights.shape[1] != network.n_params:
        raise ValueError(f"evaluate: expected weights of shape (G, {network.n_params}). Received: {weights.shape}.")
    for m in metrics:
        if m not in ENGINE_METRICS:
            raise ValueError(f"evaluate: expected metrics from {ENGINE_METRICS}. Received: {m!r}.")
    rows = np.arange(len(X)) if rows is None else np.asarray(rows)
    tdtype = torch.float64 if dtype == "float64" else torch.float32
    dev = torch.device(device or "cpu")
    x = torch.as_tensor(np.asarray(X, dtype=np.float64)[rows], dtype=tdtype, device=dev)
    y = torch.as_tensor(np.asarray(member.targets)[rows], device=dev)
    y = y.long() if member.loss.shape_rule == "class_index" else y.to(tdtype)
    if member.loss.shape_rule != "class_index" and y.ndim == 1:
        y = y[:, None]
    labels = None if member.labels is None else torch.as_tensor(np.asarray(member.labels)[rows], device=dev)
    results = {k: [] for k in ("loss", *metrics)}
    with torch.no_grad():
        for start in range(0, len(weights), chunk):
            flat = torch.as_tensor(weights[start: start + chunk], dtype=tdtype, device=dev)
            out = _forward(network, flat, x, member.output_activation)
            results["loss"].append(member.loss.torch_kernel(y.expand(out.shape[0], *y.shape), out, **member.loss.params).mean(dim=1))
            for name in metrics:
                if name == "accuracy":
                    if labels is None:
                        raise ValueError("evaluate: the accuracy metric needs member.labels.")
                    results[name].append((predicted_class(out, member) == labels).double().mean(1))
                else:
                    err = (out - y).abs() if name == "mae" else (out - y) ** 2
                    v = err.mean(dim=(1, 2))
                    results[name].append(v.sqrt() if name == "rmse" else v)
    return {k: torch.cat(v).cpu().numpy() for k, v in results.items()}
