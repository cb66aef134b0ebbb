"""Infinite-width (mean-field) theory of the three architectures.

Two forms, both from SPEC "Theory":

* the Gram recursion ``K_{l+1} = F(K_l)`` on a whole evaluation subset, from which every
  per-layer statistic follows (distances, angles, ratio);
* the scalar recursion of the cosine ``c_l`` between two equal-norm inputs fed straight into
  the first block, cheap enough to iterate to depth 1e5 (decay-law analysis, claim C4).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
from tqdm import tqdm

from separability import ARCHITECTURES
from separability.statistics import class_pair_masks, layer_statistics


def check_architecture(arch: str) -> str:
    """Return ``arch`` if it is one of the paper's three architectures, else raise ValueError."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; expected one of {ARCHITECTURES}")
    return arch


def kappa_excess(c, theta):
    """kappa(c) - c = (sin theta - theta c) / pi for c = cos theta, the part the ReLU adds.

    Written this way it keeps full relative precision when theta is small (kappa(c) - c ~
    theta^3 / 3 pi), where summing sqrt(1 - c^2) + (pi - arccos c) c loses it to cancellation.
    """
    return (np.sin(theta) - theta * c) / math.pi


def kappa(c):
    """Arc-cosine kernel of degree 1 (Cho and Saul 2009) as a function of the cosine ``c``.

    kappa(c) = (sqrt(1 - c^2) + (pi - arccos c) c) / pi, so that E[relu(u) relu(v)] =
    1/2 sqrt(E u^2 E v^2) kappa(c) for jointly Gaussian (u, v) with correlation c.
    """
    c = np.clip(np.asarray(c, dtype=float), -1.0, 1.0)
    return c + kappa_excess(c, np.arccos(c))


def relu_gram(gram: np.ndarray) -> np.ndarray:
    """ReLU map of a Gram matrix: R(K)[i, j] = 1/2 sqrt(K_ii K_jj) kappa(K_ij / sqrt(K_ii K_jj))."""
    norms = np.sqrt(np.diag(gram))
    outer = np.outer(norms, norms)
    cos = np.divide(gram, outer, out=np.zeros_like(gram), where=outer > 0)
    return 0.5 * outer * kappa(cos)


def bn_gram(gram: np.ndarray, centering: bool = True) -> np.ndarray:
    """Large-batch limit of batch normalisation acting on a Gram matrix.

    With centering: C = n P K P / trace(P K P), P = I - 11^T/n; without (variance-only BN):
    C = K / mean(diag K). Each unit of the normalised pre-activation then has unit second moment.
    """
    if centering:
        centred = gram - gram.mean(axis=0, keepdims=True)
        centred = centred - centred.mean(axis=1, keepdims=True)
        return len(gram) * centred / np.trace(centred)
    return gram / np.mean(np.diag(gram))


def gram_step(arch: str, gram: np.ndarray, s_w: float = 2.0, s_v: float = 2.0,
              bn_centering: bool = True) -> np.ndarray:
    """One block of the infinite-width Gram recursion K_l -> K_{l+1} for ``arch``.

    mlp: s_w R(K); resnet: K + s_v R(s_w K); resnet_bn: K + s_v R(BN(K)).
    """
    check_architecture(arch)
    if arch == "mlp":
        return s_w * relu_gram(gram)
    if arch == "resnet":
        return gram + s_v * relu_gram(s_w * gram)
    return gram + s_v * relu_gram(bn_gram(gram, bn_centering))


def input_gram(x: np.ndarray, s_in: float = 1.0) -> np.ndarray:
    """Gram matrix of the input layer h0 = A x in the infinite-width limit: K_0 = s_in X X^T / D."""
    x = np.asarray(x, dtype=np.float64)
    return s_in * (x @ x.T) / x.shape[1]


def gram_trajectory(arch: str, gram0: np.ndarray, depth: int, s_w: float = 2.0,
                    s_v: float = 2.0, bn_centering: bool = True
                    ) -> Iterator[tuple[int, np.ndarray, float]]:
    """Yield ``(l, K_l / scale_l, log scale_l)`` for l = 0..depth of the Gram recursion.

    ``mlp`` and ``resnet`` are positively homogeneous (F(aK) = a F(K)), so K is divided by its
    mean diagonal after each block and the logarithm of the removed scale is carried along;
    nothing overflows at any depth. ``resnet_bn`` is not homogeneous and is never rescaled.
    """
    check_architecture(arch)
    gram = np.array(gram0, dtype=np.float64, copy=True)
    log_scale = 0.0
    for layer in range(depth + 1):
        yield layer, gram, log_scale
        if layer == depth:
            return
        gram = gram_step(arch, gram, s_w, s_v, bn_centering)
        if arch != "resnet_bn":
            scale = float(np.mean(np.diag(gram)))
            gram = gram / scale
            log_scale += math.log(scale)


def cosine_trajectory(arch: str, cos0, depth: int, s_w: float = 2.0, s_v: float = 2.0,
                      q0: float = 1.0) -> np.ndarray:
    """Cosines c_0..c_depth between two equal-norm inputs fed straight into the first block.

    mlp: c' = kappa(c); resnet: c' = (c + a kappa(c)) / (1 + a), a = s_w s_v / 2;
    resnet_bn (variance-only BN): c' = (q c + b kappa(c)) / (q + b), q' = q + b, b = s_v / 2,
    q0 the inputs' per-unit second moment. ``cos0`` may be an array; the result has shape
    ``cos0.shape + (depth + 1,)`` and index 0 is cos0. Every form is c' = c + m (kappa(c) - c)
    with m = 1, a / (1 + a) or b / (q + b); each step is a few in-place ufunc calls over all
    cos0 values at once, so depth 1e5 takes about a quarter of a second.
    """
    check_architecture(arch)
    if depth < 0:
        raise ValueError(f"depth must be >= 0, got {depth}")
    cos0 = np.asarray(cos0, dtype=np.float64)
    if np.any(np.abs(cos0) > 1):
        raise ValueError("cos0 must lie in [-1, 1]")
    a = s_w * s_v / 2.0
    b = s_v / 2.0
    q = q0
    out = np.empty((depth + 1, cos0.size))
    out[0] = cos0.ravel()
    theta = np.empty(cos0.size)
    excess = np.empty(cos0.size)
    for layer in range(1, depth + 1):
        c, new = out[layer - 1], out[layer]
        if arch == "mlp":
            mix = 1.0
        elif arch == "resnet":
            mix = a / (1.0 + a)
        else:
            mix = b / (q + b)
            q += b
        # c' = c + mix (kappa(c) - c), in place; see kappa_excess for the precision argument
        np.arccos(c, out=theta)
        np.sin(theta, out=excess)
        theta *= c
        excess -= theta
        excess *= mix / math.pi
        np.add(c, excess, out=new)
        np.minimum(new, 1.0, out=new)  # rounding must not push c past 1
    return out.T.reshape(cos0.shape + (depth + 1,))


def gram_statistics(arch: str, x: np.ndarray, labels: np.ndarray, depth: int, s_in: float = 1.0,
                    s_w: float = 2.0, s_v: float = 2.0, bn_centering: bool = True,
                    progress: bool = True) -> pd.DataFrame:
    """Infinite-width SPEC statistics of the evaluation subset (x, labels) at every layer
    0..depth: the Gram recursion from K_0 = s_in X X^T / D, statistics by
    ``layer_statistics`` (the same function the simulation uses)."""
    masks = class_pair_masks(labels)
    steps = gram_trajectory(arch, input_gram(x, s_in), depth, s_w, s_v, bn_centering)
    rows = [{"layer": layer, **layer_statistics(gram, masks, log_scale)}
            for layer, gram, log_scale in tqdm(steps, total=depth + 1, disable=not progress,
                                               desc=f"theory {arch}", mininterval=2.0)]
    variant = "-" if arch != "resnet_bn" else ("centred" if bn_centering else "variance_only")
    return pd.DataFrame(rows).assign(arch=arch, variant=variant)


def scalar_angles(architectures, angles, depth: int, layers: np.ndarray, s_w: float = 2.0,
                  s_v: float = 2.0) -> pd.DataFrame:
    """Tidy table of the scalar recursion: cosine and angle theta_l for every architecture and
    initial angle at the given layers (0..depth)."""
    angles = np.asarray(angles, dtype=float)
    tables = []
    for arch in architectures:
        cos = cosine_trajectory(arch, np.cos(angles), depth, s_w, s_v)[:, layers]
        for angle0, row in zip(angles, cos):
            tables.append(pd.DataFrame({"arch": arch, "angle0": angle0, "layer": layers,
                                        "cos": row, "theta": np.arccos(row)}))
    return pd.concat(tables, ignore_index=True)
