"""The directions and axes of a landscape: filter-normalised random directions and the
principal components of the optimiser's path (a plane), the path's projection onto them,
and the grid's coordinates. NumPy only.

Plane (Li et al., 2018)
    ``w(a, b) = w* + a d1 + b d2`` for ``a, b`` on a ``grid x grid`` lattice over
    ``[-span, span]``; ``w*`` is the trained model.

    ``directions="random"`` (default): ``d1, d2`` are standard Gaussian vectors from one
    generator seeded with the directions' seed, then *filter-normalised*: each filter of
    the direction is rescaled to the norm of the same filter of ``w*``. A filter of a
    dense layer is the incoming weights of one unit, one column of ``W`` (a row of
    PyTorch's ``(out, in)`` weight); the output layer is a dense layer like the others,
    one filter per output unit, as the paper treats fully connected layers. Bias
    directions are zero (the paper's ``ignore="biasbn"``), so biases stay trained. The two
    directions are not orthogonalised, as in the paper. The same directions' seed gives
    every loss the same Gaussian draws, rescaled to its own trained filters.

    ``directions="pca"``: ``d1, d2`` are the first two principal components of the
    optimiser's path ``{w_e - w*}`` over the epochs (weights and biases, centred), as the
    paper draws trajectories; both are scaled by the path's largest excursion along
    them, so the path lies in ``[-1, 1]^2`` and ``span`` 1.25 shows a margin around it.

    The path (the weights before training and after every epoch) is overlaid in both: each
    ``w_e - w*`` projected onto the plane by least squares (for the orthonormal PCA
    directions this is the dot product). On a random plane it stays near the centre: almost
    all of the path is orthogonal to two random directions (the paper's Figure 8).
    ``Slice.captured`` says how much of it the plane keeps.

Interpolation (Goodfellow et al., 2015)
    ``w(a) = (1 - a) w0 + a w*`` for ``a`` on ``grid`` points over ``[-span, 1 + span]``; the
    points nearest 0 and 1 are moved onto them, so the initial and trained models are on
    the line.

References
----------
Li, H., Xu, Z., Taylor, G., Studer, C. and Goldstein, T. "Visualizing the Loss Landscape
of Neural Nets." NeurIPS 2018.
Goodfellow, I. J., Vinyals, O. and Saxe, A. M. "Qualitatively characterizing neural
network optimization problems." ICLR 2015.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..engine import Network


def filter_normalized(direction: np.ndarray, weights: np.ndarray, network: Network) -> np.ndarray:
    """``direction`` with each filter rescaled to the norm of the same filter of ``weights``.

    Filters are the columns of every layer's ``W`` (the incoming weights of one unit),
    output layer included; bias entries become 0 (Li et al. 2018, ``ignore="biasbn"``).
    Both arguments are flat weight vectors in the engine's layout (``engine.flatten``).
    """
    out = np.array(direction, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    offset = 0
    for fan_in, fan_out in network.layer_shapes:
        size = fan_in * fan_out
        d = out[offset: offset + size].reshape(fan_in, fan_out)
        w = weights[offset: offset + size].reshape(fan_in, fan_out)
        # Exact where the paper adds 1e-10 to the divisor; a zero filter of the direction stays zero.
        norm_d = np.linalg.norm(d, axis=0)
        d *= np.divide(np.linalg.norm(w, axis=0), norm_d, out=np.zeros_like(norm_d), where=norm_d > 0)
        offset += size
        out[offset: offset + fan_out] = 0.0
        offset += fan_out
    return out


def random_directions(weights: np.ndarray, network: Network, seed: int) -> np.ndarray:
    """Two filter-normalised Gaussian directions ``(2, P)`` around ``weights``."""
    raw = np.random.default_rng(seed).standard_normal((2, network.n_params))
    return np.stack([filter_normalized(d, weights, network) for d in raw])


def pca_directions(path: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The path's first two principal components, scaled so that the path lies in [-1, 1]^2.

    Returns the directions ``(2, P)`` and each one's share of the path's variance.
    """
    diffs = np.asarray(path, dtype=np.float64) - weights
    if len(diffs) < 3:
        raise ValueError(f"landscape: PCA directions need a path of at least 3 points (epochs >= 2). Received: {len(diffs)} points.")
    _, s, vt = np.linalg.svd(diffs - diffs.mean(axis=0), full_matrices=False)
    pcs = vt[:2]
    coords = diffs @ pcs.T
    # An SVD's signs are arbitrary: fix them so that the start of the path has positive coordinates.
    pcs *= np.where(coords[0] < 0, -1.0, 1.0)[:, None]
    reach = np.abs(coords).max()
    if not reach > 0:
        raise ValueError("landscape: the weights never moved during training, so the path has no principal components.")
    explained = s[:2] ** 2 / np.sum(s ** 2)
    return pcs * reach, explained


def project(path: np.ndarray, origin: np.ndarray, directions: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares coordinates ``(E, k)`` of ``path - origin`` in ``directions`` (k, P),
    and the share of the path's squared displacement that the projection keeps."""
    diffs = np.asarray(path, dtype=np.float64) - origin
    coords = np.linalg.lstsq(directions.T, diffs.T, rcond=None)[0].T
    total = float(np.sum(diffs ** 2))
    kept = float(np.sum((coords @ directions) ** 2))
    return coords, (kept / total if total > 0 else 1.0)


def plane_axis(grid: int, span: float) -> np.ndarray:
    """``grid`` points over [-span, span], symmetric, with an exact 0 in the middle for odd ``grid``."""
    half = (grid - 1) / 2
    return span * (np.arange(grid) - half) / half


def line_axis(grid: int, span: float) -> np.ndarray:
    """``grid`` points over [-span, 1 + span] with the ones nearest 0 and 1 moved onto them."""
    alphas = np.linspace(-span, 1.0 + span, grid)
    alphas[np.argmin(np.abs(alphas))] = 0.0
    alphas[np.argmin(np.abs(alphas - 1.0))] = 1.0
    return alphas
