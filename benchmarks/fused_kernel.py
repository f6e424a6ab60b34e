"""A fused, compiled training epoch for one replicate after another: the peer that
``benchmarks/peers.py`` calls "fused (numba)".

The engine dispatches each step's batched operations from Python; JAX compiles the whole
loop with XLA. This is the third way, the one proposed to close the gap: one machine-code
loop (Numba) that trains each replicate's whole epoch, minibatch by minibatch, with no
call between the steps and every intermediate a small buffer that stays in cache. The same
work as the other peers: one ReLU hidden layer, SGD with momentum, Keras' minibatch order
per replicate and epoch, and the held-out loss after every epoch.

Numba is a benchmark-only tool (``pip install numba``), never a dependency of losslab;
:func:`fused_runner` gives the reason instead of a runner when it is absent.
"""

from __future__ import annotations

import time

import numpy as np

from losslab.engine.network import shuffle_stream

MSE, BCE, CCE = 0, 1, 2
KINDS = {"mse": MSE, "bce": BCE, "cce": CCE}


def _kernels(njit):
    @njit(cache=True, boundscheck=False)
    def forward(x, w0, c0, w1, c1, h, z):
        """h = relu(x @ w0 + c0), z = h @ w1 + c1 for the rows of x."""
        m, d = x.shape
        H, K = w0.shape[1], w1.shape[1]
        for i in range(m):
            for j in range(H):
                h[i, j] = c0[j]
            for k in range(d):
                xv = x[i, k]
                for j in range(H):
                    h[i, j] += xv * w0[k, j]
            for j in range(H):
                h[i, j] = max(h[i, j], 0)
            for o in range(K):
                acc = c1[o]
                for j in range(H):
                    acc += h[i, j] * w1[j, o]
                z[i, o] = acc

    @njit(cache=True, boundscheck=False)
    def loss_grad(z, y, kind, scale):
        """The rows' summed loss; z becomes d(mean loss)/dz (``scale`` is 1 / the mean's count)."""
        m, K = z.shape
        total = 0.0
        for i in range(m):
            if kind == CCE:
                top = z[i, 0]
                for o in range(1, K):
                    top = max(top, z[i, o])
                s = 0.0
                for o in range(K):
                    s += np.exp(z[i, o] - top)
                lse = top + np.log(s)
                for o in range(K):
                    total += y[i, o] * (lse - z[i, o])
                    z[i, o] = (np.exp(z[i, o] - lse) - y[i, o]) * scale
            else:
                for o in range(K):
                    v = z[i, o]
                    if kind == MSE:
                        diff = v - y[i, o]
                        total += diff * diff
                        z[i, o] = 2.0 * diff * scale
                    else:  # binary cross-entropy on the logit
                        total += max(v, 0.0) - v * y[i, o] + np.log1p(np.exp(-abs(v)))
                        z[i, o] = (1.0 / (1.0 + np.exp(-v)) - y[i, o]) * scale
        return total

    @njit(cache=True, boundscheck=False)
    def momentum_step(w, v, g, lr, momentum):
        """Keras' SGD with momentum on one flat weight array: v = m v - lr g; w += v."""
        for i in range(w.size):
            v[i] = momentum * v[i] - lr * g[i]
            w[i] += v[i]

    @njit(cache=True, boundscheck=False)
    def epoch(X, Y, order, W0, b0, W1, b1, V0, u0, V1, u1, lr, momentum, batch, kind):
        """One epoch of every replicate r, in the minibatch order ``order[r]``."""
        R, n = order.shape
        d, H, K = W0.shape[1], W0.shape[2], W1.shape[2]
        x = np.empty((batch, d), np.float32)
        y = np.empty((batch, K), np.float32)
        h = np.empty((batch, H), np.float32)
        z = np.empty((batch, K), np.float32)
        dh = np.empty((batch, H), np.float32)
        g0 = np.empty((d, H), np.float32)
        gb0 = np.empty(H, np.float32)
        g1 = np.empty((H, K), np.float32)
        gb1 = np.empty(K, np.float32)
        for r in range(R):
            w0, c0, w1, c1 = W0[r], b0[r], W1[r], b1[r]
            v0, e0, v1, e1 = V0[r], u0[r], V1[r], u1[r]
            for lo in range(0, n, batch):
                m = min(batch, n - lo)
                for i in range(m):
                    row = order[r, lo + i]
                    for k in range(d):
                        x[i, k] = X[row, k]
                    for o in range(K):
                        y[i, o] = Y[row, o]
                forward(x[:m], w0, c0, w1, c1, h[:m], z[:m])
                loss_grad(z[:m], y[:m], kind, np.float32(1.0 / (m * K if kind != CCE else m)))
                g1[:] = 0
                gb1[:] = 0
                g0[:] = 0
                gb0[:] = 0
                for i in range(m):
                    for o in range(K):
                        gb1[o] += z[i, o]
                    for j in range(H):
                        hv = h[i, j]
                        acc = np.float32(0)
                        for o in range(K):
                            g1[j, o] += hv * z[i, o]
                            acc += z[i, o] * w1[j, o]
                        dh[i, j] = acc if hv > 0 else np.float32(0)
                    for j in range(H):
                        gb0[j] += dh[i, j]
                    for k in range(d):
                        xv = x[i, k]
                        for j in range(H):
                            g0[k, j] += xv * dh[i, j]
                for w, v, g in ((w0, v0, g0), (w1, v1, g1)):
                    momentum_step(w.reshape(-1), v.reshape(-1), g.reshape(-1), lr, momentum)
                for w, v, g in ((c0, e0, gb0), (c1, e1, gb1)):
                    momentum_step(w, v, g, lr, momentum)

    @njit(cache=True, boundscheck=False)
    def heldout(X, Y, W0, b0, W1, b1, kind, out):
        """Every replicate's mean loss on the rows of X."""
        n = X.shape[0]
        H, K = W0.shape[2], W1.shape[2]
        h = np.empty((n, H), np.float32)
        z = np.empty((n, K), np.float32)
        for r in range(W0.shape[0]):
            forward(X, W0[r], b0[r], W1[r], b1[r], h, z)
            out[r] = loss_grad(z, Y, kind, np.float32(1.0)) / (n * K if kind != CCE else n)

    return epoch, heldout


def fused_runner():
    """``run(X, Y, n_train, kind, epochs, R, lr, momentum, batch, initial_weights) -> (compile s,
    run s, curve)`` (``curve``: the held-out loss, epochs x R), or the reason it cannot run here.
    ``initial_weights(seed)`` is the engine's network's and the minibatch order is the engine's
    ``shuffle_stream(seed)``, so every replicate starts and shuffles as the engine's does."""
    try:
        from numba import njit
    except ImportError as err:
        return f"Numba not installed ({err}); pip install numba"
    epoch, heldout = _kernels(njit)

    def run(X, Y, n_train, kind, epochs, R, lr, momentum, batch, initial_weights):
        code = KINDS[kind]
        Xf, Yf = np.ascontiguousarray(X, np.float32), np.ascontiguousarray(Y, np.float32)
        weights = [initial_weights(s) for s in range(R)]
        W0, b0, W1, b1 = (np.ascontiguousarray(np.stack([w[i][j] for w in weights]), np.float32)
                          for i in range(2) for j in range(2))
        V0, u0, V1, u1 = (np.zeros_like(a) for a in (W0, b0, W1, b1))
        curve = np.empty((epochs, R), np.float32)
        lr32, mom32 = np.float32(lr), np.float32(momentum)
        t = time.perf_counter()  # the first call compiles (or loads Numba's cache)
        tiny = [a[:1].copy() for a in (W0, b0, W1, b1, V0, u0, V1, u1)]
        epoch(Xf, Yf, np.zeros((1, 1), np.int64), *tiny, lr32, mom32, batch, code)
        heldout(Xf[:1], Yf[:1], *tiny[:4], code, curve[0, :1])
        compile_s = time.perf_counter() - t
        rngs = [shuffle_stream(s) for s in range(R)]
        test_X, test_Y = Xf[n_train:], Yf[n_train:]
        t = time.perf_counter()
        for e in range(epochs):
            order = np.stack([np.argsort(g.random(n_train), kind="stable") for g in rngs])
            epoch(Xf, Yf, order, W0, b0, W1, b1, V0, u0, V1, u1, lr32, mom32, batch, code)
            heldout(test_X, test_Y, W0, b0, W1, b1, code, curve[e])
        return compile_s, time.perf_counter() - t, curve

    return run
