"""Tests for losslab.engine.evaluate: many weight sets at once equal one plain forward pass each."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from losslab import losses
from losslab.engine import Member, Network
from losslab.engine.evaluate import evaluate, flatten, predict, unflatten


def _weights(net: Network, seeds) -> np.ndarray:
    sets = [net.initial_weights(s) for s in seeds]
    per_layer = [(np.stack([w[i][0] for w in sets]), np.stack([w[i][1] for w in sets])) for i in range(len(net.layer_shapes))]
    return flatten(per_layer)


def _plain_forward(net: Network, flat: np.ndarray, X: np.ndarray, output: str) -> np.ndarray:
    # One weight set, one layer at a time, in NumPy: the reference.
    h, offset = X, 0
    for i, (fan_in, fan_out) in enumerate(net.layer_shapes):
        W = flat[offset: offset + fan_in * fan_out].reshape(fan_in, fan_out)
        offset += fan_in * fan_out
        b = flat[offset: offset + fan_out]
        offset += fan_out
        h = h @ W + b
        if i < len(net.layer_shapes) - 1:
            h = np.maximum(h, 0)
    return {"linear": h, "sigmoid": 1 / (1 + np.exp(-h))}[output]


def test_flatten_and_unflatten_are_inverse():
    net = Network(n_inputs=3, hidden=(5,), n_outputs=2)
    flat = _weights(net, [0, 1, 2])
    assert flat.shape == (3, net.n_params)
    layers = unflatten(net, torch.as_tensor(flat))
    np.testing.assert_array_equal(flatten([(W.numpy(), b.numpy()) for W, b in layers]), flat)


def test_predict_equals_a_plain_forward_pass_per_weight_set():
    rng = np.random.default_rng(0)
    net = Network(n_inputs=4, hidden=(6,), n_outputs=1)
    X = rng.normal(size=(30, 4))
    flat = _weights(net, range(5))
    out = predict(X, flat, network=net, output_activation="sigmoid")
    assert out.shape == (5, 30, 1)
    for g in range(5):
        np.testing.assert_allclose(out[g], _plain_forward(net, flat[g], X, "sigmoid"), rtol=1e-12)


def test_evaluate_matches_the_reference_loss_and_metrics_whatever_the_chunk():
    rng = np.random.default_rng(1)
    net = Network(n_inputs=4, hidden=(6,), n_outputs=1)
    X = rng.normal(size=(40, 4))
    y = rng.normal(size=40)
    flat = _weights(net, range(7))
    spec = losses.get("mse")
    member = Member(spec, "linear", y)
    rows = np.arange(10, 40)
    a = evaluate(X, member, flat, network=net, rows=rows, metrics=("rmse", "mae"), chunk=3)
    b = evaluate(X, member, flat, network=net, rows=rows, metrics=("rmse", "mae"), chunk=256)
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-12)
    for g in range(7):
        pred = _plain_forward(net, flat[g], X[rows], "linear")[:, 0]
        assert a["loss"][g] == pytest.approx(spec.numpy(y[rows], pred), rel=1e-10)
        assert a["rmse"][g] == pytest.approx(np.sqrt(np.mean((pred - y[rows]) ** 2)), rel=1e-10)
        assert a["mae"][g] == pytest.approx(np.mean(np.abs(pred - y[rows])), rel=1e-10)


def test_evaluate_refuses_weights_of_another_shape_and_unknown_metrics():
    net = Network(n_inputs=2, hidden=(3,), n_outputs=1)
    member = Member(losses.get("mse"), "linear", np.zeros(4))
    with pytest.raises(ValueError, match="weights of shape"):
        evaluate(np.zeros((4, 2)), member, np.zeros((2, net.n_params + 1)), network=net)
    with pytest.raises(ValueError, match="metrics"):
        evaluate(np.zeros((4, 2)), member, np.zeros((2, net.n_params)), network=net, metrics=("f1",))
