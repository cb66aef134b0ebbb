"""Exact finite-width sampler of the Gram chain at random initialisation (docs/theory.md,
section 9.1).

Every statistic of docs/statistics.md is a function of the batch's per-unit Gram matrix
K_l = H_l H_l^T / N (the n samples as rows of H_l, N units: the Gram that
``statistics.layer_statistics`` and ``theory.gram_trajectory`` use), and at random
initialisation the sequence K_0, K_1, ... of one network is a Markov chain whose step depends
on the width N but never on the N x N weights. This module draws that chain for many
independent networks at once (a leading axis of networks), in float64, for every architecture
of the registry (``architectures``): a block costs O(N n^2 + n^3) per network instead of the
network's O(N^2 n). Given K:

* the pre-activation of unit a over the batch, z_a = W_a H^T + b_a 1, has i.i.d. rows
  z_a ~ N(0, s_w K + s_b 11^T);
* the branch's normalisation (per-unit BN over the batch, or one root mean square shared by all
  units, ``models.VarianceNorm``) and its activation act row by row, so the branch Gram is
  K_R = (1/N) sum_a phi(norm(z_a)) phi(norm(z_a))^T (``branch_grams``);
* without a skip path K' = K_R; with one, h' = h + V r and, by rotation invariance,
  N K' = (T + U_1)^T (T + U_1) + U_2^T U_2 with T^T T = N K (``residual_gram``), the Wishart
  part U_2^T U_2 drawn by its Bartlett factor (``bartlett_factor``);
* the input layer h_0 = A x is a Wishart draw (``input_grams``).

Homogeneous architectures are rescaled after every block with the log of the scale carried
(as ``theory.gram_trajectory`` does), so any depth stays finite. Random numbers come from
``Streams(seed)``: the same seed gives identical arrays.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numba
import numpy as np
import pandas as pd
import torch

from separability import architectures
from separability.statistics import class_pair_masks, layer_statistics
from separability.theory import input_gram

# The branch's normalisation of the pre-activation rows, as the row kernel's codes: none,
# per-unit BN over the batch (centred, biased variance: nn.BatchNorm1d in training mode), or
# one root mean square over the whole batch and all units (models.VarianceNorm).
NO_NORM, UNIT_NORM, SHARED_NORM = 0, 1, 2
# Units per pass of the row kernel (its float64 rows stay in the L1 cache), and the most
# standard normal draws made at once (networks are drawn in groups below it).
CHUNK = 256
DRAW_LIMIT = 1 << 22


class Streams:
    """The sampler's random numbers, from one seed: a torch generator for the bulk (the
    N x n standard normal draws of every block's pre-activation rows, float32, which torch
    draws fastest) and a numpy generator for the O(n^2) rest (the residual stream's cross term
    and the Bartlett factors)."""

    def __init__(self, seed: int):
        bulk, small = np.random.SeedSequence(seed).spawn(2)
        self.bulk = torch.Generator().manual_seed(int(bulk.generate_state(1)[0]))
        self.small = np.random.default_rng(small)

    def rows(self, networks: int, n: int, width: int) -> np.ndarray:
        """Standard normal draws, networks x n x width, float32 (exact float64 numbers)."""
        return torch.empty((networks, n, width)).normal_(generator=self.bulk).numpy()


def gram_factor(gram: np.ndarray) -> np.ndarray:
    """A factor C with C C^T = K for each symmetric PSD matrix of a stack (..., n, n):
    U diag(sqrt(lambda)) from the eigendecomposition, rounding-negative eigenvalues clipped to 0,
    so singular K (equal inputs, or rank below n when N < n) is factored too. Column k belongs
    to the k-th smallest eigenvalue."""
    lam, vec = np.linalg.eigh(gram)
    return vec * np.sqrt(np.clip(lam, 0.0, None))[..., None, :]


def bartlett_factor(random: np.random.Generator, networks: int, dof: int, n: int) -> np.ndarray:
    """Upper-trapezoidal factors R (networks x m x n, m = min(dof, n)) with R^T R ~
    Wishart_n(dof, I): the Bartlett decomposition, R_ii^2 ~ chi^2(dof - i) (i = 0..m-1) and
    R_ij ~ N(0, 1) for j > i, all independent. It is the law of the R of a QR decomposition of a
    dof x n standard normal matrix Y, so R^T R has the law of Y^T Y (singular when dof < n) and
    costs O(n^2) draws instead of O(dof n)."""
    rows = min(dof, n)
    factor = np.triu(random.standard_normal((networks, rows, n)))
    if rows:
        diagonal = np.arange(rows)
        factor[:, diagonal, diagonal] = np.sqrt(random.chisquare(dof - diagonal, (networks, rows)))
    return factor


def input_grams(
    x: np.ndarray, width: int, networks: int, random: Streams, s_in: float = 1.0
) -> np.ndarray:
    """K_0 of the input layer h_0 = A x (A ~ N(0, s_in / D), no bias or activation) for
    ``networks`` independent networks of width N (networks x n x n). The N rows of A X^T are
    i.i.d. N(0, K) with K = s_in X X^T / D (``theory.input_gram``), so N K_0 = C Y^T Y C^T with
    C C^T = K and Y^T Y ~ Wishart_n(N, I), one Bartlett draw per network."""
    check_width(width)
    check_networks(networks)
    root = gram_factor(input_gram(x, s_in))
    draw = bartlett_factor(random.small, networks, width, len(root)) @ root.T
    return np.swapaxes(draw, 1, 2) @ draw / width


@numba.njit(cache=True, nogil=True)
def _pre_activations(normals: np.ndarray, factor: np.ndarray, z: np.ndarray) -> None:
    """z = C y for a chunk of units: rows z[i] = sum_j C[i, j] normals[j] (float64)."""
    n, size = normals.shape
    for i in range(n):
        z[i, :size] = 0.0
        for j in range(n):
            weight = factor[i, j]
            for a in range(size):
                z[i, a] += weight * normals[j, a]


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _unit_norm(z: np.ndarray, size: int, eps: float, mean: np.ndarray, scale: np.ndarray) -> None:
    """Per-unit BN of a chunk of units in place: each unit (column of z) centred over the batch
    (the n rows) and divided by sqrt(biased batch variance + eps)."""
    n = z.shape[0]
    mean[:size] = 0.0
    scale[:size] = 0.0
    for i in range(n):
        for a in range(size):
            mean[a] += z[i, a]
    for a in range(size):
        mean[a] /= n
    for i in range(n):
        for a in range(size):
            z[i, a] -= mean[a]
            scale[a] += z[i, a] * z[i, a]
    for a in range(size):
        scale[a] = 1.0 / math.sqrt(scale[a] / n + eps)
    for i in range(n):
        for a in range(size):
            z[i, a] *= scale[a]


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _square_sum(z: np.ndarray, size: int) -> float:
    """Sum of z^2 over a chunk of units and the whole batch."""
    total = 0.0
    for i in range(z.shape[0]):
        for a in range(size):
            total += z[i, a] * z[i, a]
    return total


@numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _accumulate(z: np.ndarray, size: int, relu: bool, gram: np.ndarray) -> None:
    """Add the chunk's sum over units of phi(z_a) phi(z_a)^T to the lower triangle of ``gram``
    (phi = relu, applied to z in place, or the identity)."""
    n = z.shape[0]
    if relu:
        for i in range(n):
            for a in range(size):
                z[i, a] = max(z[i, a], 0.0)
    for i in range(n):
        for j in range(i + 1):
            total = 0.0
            for a in range(size):
                total += z[i, a] * z[j, a]
            gram[i, j] += total


@numba.njit(cache=True, nogil=True)
def _row_grams(
    normals: np.ndarray, factor: np.ndarray, norm: int, eps: float, relu: bool, out: np.ndarray
) -> None:
    """The branch Gram of each network (``branch_grams``) from its standard normal draws
    (networks x n x N) and the factor C of its pre-activation covariance, in one pass over the
    draws, a chunk of units at a time."""
    networks, n, width = normals.shape
    z = np.empty((n, CHUNK))
    mean = np.empty(CHUNK)
    scale = np.empty(CHUNK)
    for network in range(networks):
        gram = np.zeros((n, n))
        squares = 0.0
        for start in range(0, width, CHUNK):
            size = min(CHUNK, width - start)
            _pre_activations(normals[network, :, start : start + size], factor[network], z)
            if norm == UNIT_NORM:
                _unit_norm(z, size, eps, mean, scale)
            elif norm == SHARED_NORM:
                squares += _square_sum(z, size)
            _accumulate(z, size, relu, gram)
        divisor = width * (squares / (width * n) + eps) if norm == SHARED_NORM else width
        for i in range(n):
            for j in range(i + 1):
                out[network, i, j] = gram[i, j] / divisor
                out[network, j, i] = gram[i, j] / divisor


def branch_grams(
    pre: np.ndarray,
    width: int,
    random: Streams,
    norm: int = NO_NORM,
    relu: bool = True,
    bn_eps: float = 1e-5,
) -> np.ndarray:
    """The branch Gram K_R = (1/N) sum_a phi(norm(z_a)) phi(norm(z_a))^T of each network, from
    N i.i.d. pre-activation rows z_a ~ N(0, pre) (the stack ``pre``, networks x n x n, is
    s_w K + s_b 11^T): phi is ReLU (``relu``) or the identity; ``norm`` is NO_NORM, UNIT_NORM
    (per-unit BN over the batch, eps ``bn_eps``) or SHARED_NORM (every row divided by one
    sqrt(mean(z^2) + eps) over the whole batch and all units, ``models.VarianceNorm``; phi being
    positively homogeneous, that divides K_R by mean(z^2) + eps). Exact at width N: this is the
    Gram of phi(norm(W H^T + b)) given K = H H^T / N. Draws are float32 standard normals,
    everything after them float64."""
    networks, n, _ = pre.shape
    factor = gram_factor(pre)
    out = np.empty_like(factor)
    group = max(1, DRAW_LIMIT // (n * width))
    for start in range(0, networks, group):
        stop = min(start + group, networks)
        normals = random.rows(stop - start, n, width)
        _row_grams(normals, factor[start:stop], norm, float(bn_eps), relu, out[start:stop])
    return out


def residual_gram(
    gram: np.ndarray, branch: np.ndarray, width: int, s_v: float, random: Streams
) -> np.ndarray:
    """K' of a residual block h' = h + V r for each network, from the Gram K of h and the
    branch Gram K_R of r (V ~ N(0, s_v / N), independent of h and r). The rows of V R are
    i.i.d. N(0, s_v K_R) given (H, R), and independent of H; writing H = O [T; 0] (O orthogonal,
    T^T T = N K, T of m = min(N, n) rows) and rotating V R by O^T (which leaves its law
    unchanged), N K' = (T + U_1)^T (T + U_1) + U_2^T U_2 with U_1 the first m rotated rows and
    U_2^T U_2 = M Y^T Y M^T the other N - m, M M^T = s_v K_R and Y^T Y ~ Wishart_n(N - m, I)
    (``bartlett_factor``). Costs O(n^3): the cross term T^T U_1, which makes K' depend on K
    beyond K + s_v K_R, is kept exactly."""
    networks, n, _ = gram.shape
    rows = min(width, n)
    stream = np.swapaxes(gram_factor(gram)[..., -rows:], 1, 2)  # T / sqrt(N): S^T S = K
    mix = np.swapaxes(gram_factor(s_v * branch), 1, 2)  # M^T
    first = stream + random.small.standard_normal((networks, rows, n)) @ mix / math.sqrt(width)
    rest = bartlett_factor(random.small, networks, width - rows, n) @ mix
    return np.swapaxes(first, 1, 2) @ first + np.swapaxes(rest, 1, 2) @ rest / width


def branch_norm(arch: str, bn_centering: bool = True) -> int:
    """The row kernel's normalisation code of ``arch``'s branch: NO_NORM without BN; with BN
    UNIT_NORM (centred, per unit) or SHARED_NORM (``bn_centering=False``: models.VarianceNorm)."""
    if not architectures.get(arch).normalised:
        return NO_NORM
    return UNIT_NORM if bn_centering else SHARED_NORM


def block_step(
    arch: str,
    gram: np.ndarray,
    width: int,
    random: Streams,
    s_w: float = 2.0,
    s_v: float = 2.0,
    s_b: float | np.ndarray = 0.0,
    bn_centering: bool = True,
    bn_eps: float = 1e-5,
    out_scale: float = 1.0,
) -> np.ndarray:
    """One block K_l -> K_{l+1} of ``arch`` at width N for each network of the stack ``gram``
    (networks x n x n, the per-unit Gram of the block's input), drawn from its exact law: the
    finite-width counterpart of ``theory.gram_step``. The branch is phi(norm(W h + b))
    (``branch_grams``, pre-activation Gram s_w K + s_b 11^T), added to the skip path by
    ``residual_gram`` where the architecture has one; the output is divided by ``out_scale``
    (models.Block). ``s_b`` may hold one bias variance per network (a rescaled chain divides it
    by each network's carried scale)."""
    entry = architectures.get(arch)
    check_grams(gram)
    check_width(width)
    pre = s_w * gram + np.reshape(s_b, (-1, 1, 1))
    relu = entry.activation == "relu"
    branch = branch_grams(pre, width, random, branch_norm(arch, bn_centering), relu, bn_eps)
    out = residual_gram(gram, branch, width, s_v, random) if entry.skip else branch
    return out if out_scale == 1.0 else out / out_scale**2


def rescaled(gram: np.ndarray, log_scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each network's Gram divided by its mean diagonal q (left as it is where q = 0, every unit
    dead: any divisor is exact there) and the log scale with log q added."""
    q = np.mean(np.diagonal(gram, axis1=1, axis2=2), axis=1)
    q = np.where(q > 0, q, 1.0)
    return gram / q[:, None, None], log_scale + np.log(q)


def sample_trajectory(
    arch: str,
    gram0: np.ndarray,
    width: int,
    depth: int,
    random: Streams,
    s_w: float = 2.0,
    s_v: float = 2.0,
    s_b: float = 0.0,
    bn_centering: bool = True,
    bn_eps: float = 1e-5,
    resnet_rescale: bool = False,
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Yield ``(l, K_l / scale_l, log scale_l)`` for l = 0..depth: the Gram chain of
    ``arch`` at width N from the stack ``gram0`` (networks x n x n, the K_0 of each network),
    one block per step (``block_step``) with the models' parameters (``resnet_rescale`` divides
    each block's output by ``trained_out_scale``, as ``SeparabilityNet``). Homogeneous
    architectures are divided by their mean diagonal after every block, the log of the scale
    carried per network and the bias variance of the next block divided by the scale, exactly as
    ``propagation.propagate`` does with the features (``theory.gram_trajectory`` with the Gram):
    nothing overflows at any depth. Yielded arrays are never modified afterwards."""
    entry = architectures.get(arch)
    check_grams(gram0)
    check_width(width)
    check_depth(depth)
    out_scale = entry.trained_out_scale(s_w, s_v) if resnet_rescale else 1.0
    gram = np.array(gram0, dtype=np.float64)
    log_scale = np.zeros(len(gram))
    for layer in range(depth + 1):
        yield layer, gram, log_scale
        if layer == depth:
            return
        bias = s_b * np.exp(-log_scale) if s_b else 0.0
        gram = block_step(
            arch, gram, width, random, s_w, s_v, bias, bn_centering, bn_eps, out_scale
        )
        if entry.homogeneous:
            gram, log_scale = rescaled(gram, log_scale)


def pair_angle(gram: np.ndarray) -> np.ndarray:
    """The angle theta of each 2 x 2 Gram matrix of a stack (..., 2, 2), as
    atan2(sqrt(K_11 K_22 - K_12^2), K_12): the determinant's rounding error is about float64's
    epsilon times K_11 K_22, so theta keeps a relative error of about eps / theta^2 (2e-10 at
    theta = 1e-3) where arccos of a float32 cosine would keep none."""
    cross = gram[..., 0, 1]
    det = gram[..., 0, 0] * gram[..., 1, 1] - cross * cross
    return np.arctan2(np.sqrt(np.maximum(det, 0.0)), cross)


def pair_angles(
    arch: str,
    theta0: float,
    width: int,
    depth: int,
    networks: int,
    seed: int,
    layers: Sequence[int] | None = None,
    **chain,
) -> np.ndarray:
    """theta_l of a controlled pair in ``networks`` independent random networks of width N:
    two inputs of per-unit second moment 1 at the angle theta0, fed straight into the first
    block (no input layer, K_0 = [[1, cos theta0], [cos theta0, 1]]), as
    ``propagation.pair_statistics`` feeds them. Returns networks x len(layers) angles in radians
    (layers 0..depth by default); ``chain`` holds the model parameters of ``sample_trajectory``
    (s_w, s_v, s_b, bn_centering, bn_eps, resnet_rescale)."""
    if not 0.0 <= theta0 <= math.pi:
        raise ValueError(f"theta0 must lie in [0, pi], got {theta0}")
    check_networks(networks)
    wanted = check_layers(layers, depth)
    cos0 = math.cos(theta0)
    gram0 = np.broadcast_to(np.array([[1.0, cos0], [cos0, 1.0]]), (networks, 2, 2))
    angles = np.empty((networks, len(wanted)))
    steps = sample_trajectory(arch, gram0, width, depth, Streams(seed), **chain)
    for layer, gram, _ in steps:
        columns = wanted == layer
        if columns.any():
            angles[:, columns] = pair_angle(gram)[:, None]
    return angles


def data_statistics(
    arch: str,
    x: np.ndarray,
    labels: np.ndarray,
    width: int,
    depth: int,
    networks: int,
    seed: int,
    layers: Sequence[int] | None = None,
    s_in: float = 1.0,
    **chain,
) -> pd.DataFrame:
    """The docs/statistics.md statistics of the labelled batch (x, labels) in ``networks``
    independent random networks of width N, input layer included: one row per network and
    recorded layer (0..depth by default), columns ``network``, ``layer``, the statistics of
    ``statistics.layer_statistics`` (the function the real propagation and the theory use),
    ``arch``, ``width`` and ``seed``: the sampled counterpart of ``propagation.data_statistics``.
    ``chain`` holds the model parameters of ``sample_trajectory``."""
    wanted = set(check_layers(layers, depth).tolist())
    masks = class_pair_masks(labels)
    random = Streams(seed)
    gram0 = input_grams(x, width, networks, random, s_in)
    rows = [
        {"network": k, "layer": layer, **layer_statistics(gram[k], masks, float(log_scale[k]))}
        for layer, gram, log_scale in sample_trajectory(arch, gram0, width, depth, random, **chain)
        if layer in wanted
        for k in range(networks)
    ]
    return pd.DataFrame(rows).assign(arch=arch, width=width, seed=seed)


def check_grams(gram: np.ndarray) -> None:
    """Raise ValueError unless ``gram`` is a stack of square matrices (networks x n x n)."""
    shape = np.shape(gram)
    if len(shape) != 3 or shape[1] != shape[2] or 0 in shape:
        raise ValueError(f"expected a stack of Gram matrices (networks x n x n), got {shape}")


def check_width(width: int) -> None:
    """Raise ValueError unless the width N is a positive integer."""
    if int(width) != width or width < 1:
        raise ValueError(f"width must be a positive integer, got {width}")


def check_depth(depth: int) -> None:
    """Raise ValueError unless the depth is a non-negative integer."""
    if int(depth) != depth or depth < 0:
        raise ValueError(f"depth must be a non-negative integer, got {depth}")


def check_networks(networks: int) -> None:
    """Raise ValueError unless the number of networks is a positive integer."""
    if int(networks) != networks or networks < 1:
        raise ValueError(f"networks must be a positive integer, got {networks}")


def check_layers(layers: Sequence[int] | None, depth: int) -> np.ndarray:
    """The recorded layers as an int array (0..depth when None); ValueError outside 0..depth."""
    check_depth(depth)
    wanted = np.arange(depth + 1) if layers is None else np.asarray(layers, dtype=int)
    if wanted.ndim != 1 or (wanted.size and (wanted.min() < 0 or wanted.max() > depth)):
        raise ValueError(f"layers must be a sequence of layers in 0..{depth}")
    return wanted
