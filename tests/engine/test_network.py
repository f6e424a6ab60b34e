"""Tests for losslab.engine.network: shapes, Keras' initializers, the two random streams."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from losslab.engine.network import Network, draw_kernel, init_stream, minibatch_order, shuffle_stream


def test_shapes_and_parameter_count():
    net = Network(n_inputs=20, hidden=(25, 10), n_outputs=3)
    assert net.sizes == (20, 25, 10, 3)
    assert net.layer_shapes == [(20, 25), (25, 10), (10, 3)]
    assert net.n_params == 20 * 25 + 25 + 25 * 10 + 10 + 10 * 3 + 3


@pytest.mark.parametrize("kwargs, arg", [
    ({"n_inputs": 0}, "n_inputs"), ({"hidden": (4, 0)}, "hidden"),
    ({"hidden_activation": "gelu"}, "hidden_activation"), ({"kernel_initializer": "zeros"}, "kernel_initializer"),
])
def test_bad_arguments_name_the_argument(kwargs, arg):
    base = {"n_inputs": 2, "hidden": (4,), "n_outputs": 1}
    with pytest.raises(ValueError, match=arg):
        Network(**{**base, **kwargs})


def test_uniform_initializers_have_keras_limits():
    rng = np.random.default_rng(0)
    he = draw_kernel(rng, "he_uniform", 50, 40)
    glorot = draw_kernel(rng, "glorot_uniform", 50, 40)
    assert np.abs(he).max() <= math.sqrt(6 / 50) and np.abs(he).max() > 0.95 * math.sqrt(6 / 50)
    assert np.abs(glorot).max() <= math.sqrt(6 / 90) and np.abs(glorot).max() > 0.95 * math.sqrt(6 / 90)


@pytest.mark.parametrize("kind, variance", [("he_normal", 2 / 400), ("glorot_normal", 2 / (400 + 300))])
def test_normal_initializers_are_truncated_at_two_std_with_keras_variance(kind, variance):
    # Keras' truncated normal: the *truncated* draws have the target variance (the 0.8796 correction).
    w = draw_kernel(np.random.default_rng(1), kind, 400, 300)
    scale = math.sqrt(variance) / 0.87962566103423978
    assert np.abs(w).max() <= 2 * scale + 1e-12
    assert w.var() == pytest.approx(variance, rel=0.02)
    # and they are a truncated normal: KS against scipy's truncnorm
    assert stats.kstest(w.ravel() / scale, stats.truncnorm(-2, 2).cdf).pvalue > 1e-3


def test_weights_and_minibatch_order_come_from_separate_streams_of_one_seed():
    a, b = init_stream(7).random(5), shuffle_stream(7).random(5)
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(a, init_stream(7).random(5))
    np.testing.assert_array_equal(b, shuffle_stream(7).random(5))
    net = Network(n_inputs=3, hidden=(4,), n_outputs=2)
    w1, w2 = net.initial_weights(3), net.initial_weights(3)
    for (W1, b1), (W2, b2) in zip(w1, w2):
        np.testing.assert_array_equal(W1, W2)
        assert not b1.any() and not b2.any()
    assert not np.array_equal(net.initial_weights(4)[0][0], w1[0][0])


def test_minibatch_order_is_the_stable_argsort_of_the_keys_past_padding_and_ties():
    rng = np.random.default_rng(0)
    n = 300
    keys = rng.random((5, n))
    keys[1, 250:] = np.inf  # a replicate with 250 rows: padding at the end
    keys[2, :] = np.repeat(rng.random(10), 30)  # every key tied 30 times: only a stable sort keeps them in place
    keys[3, [7, 200]] = 0.5  # one tie
    order = minibatch_order(keys)
    stable = np.argsort(keys, axis=1, kind="stable")
    n_real = np.isfinite(keys).sum(axis=1)
    for i in range(len(keys)):
        np.testing.assert_array_equal(order[i, : n_real[i]], stable[i, : n_real[i]])
        assert sorted(order[i, n_real[i]:]) == list(range(n_real[i], n))
    # Without ties the fast sort alone decides; the tied rows were sorted again.
    assert not np.array_equal(np.argsort(keys[2]), stable[2])
