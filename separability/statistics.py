"""Per-layer separability statistics of SPEC "Statistics", all computed from a Gram matrix.

One implementation serves the finite-width simulation (G = H H^T / N of the features), the
infinite-width theory (G = K_l) and the trained networks, so the three are comparable by
construction.
"""

from __future__ import annotations

import math

import numpy as np

STATISTICS = ("log_d_w", "log_d_b", "ratio", "d_w_norm", "d_b_norm", "theta_w", "theta_b", "log_q")


def gram(features) -> np.ndarray:
    """Per-unit Gram matrix G = H H^T / N of features H (n x N: a torch tensor, on any device,
    or an array), in float64 (numpy's H @ H.T uses the symmetric rank-k product)."""
    if hasattr(features, "detach"):  # a torch tensor
        features = features.detach().cpu().double().numpy()
    h = np.asarray(features, dtype=np.float64)
    return h @ h.T / h.shape[1]


def class_pair_masks(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks over the upper triangle (i < j) selecting same-class and different-class pairs."""
    labels = np.asarray(labels)
    upper = np.triu(np.ones((len(labels), len(labels)), dtype=bool), k=1)
    same = labels[:, None] == labels[None, :]
    return upper & same, upper & ~same


def pair_values(g: np.ndarray, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit distances ||h_i - h_j|| / sqrt(N) = sqrt(G_ii + G_jj - 2 G_ij) and angles
    arccos(G_ij / sqrt(G_ii G_jj)) of the pairs selected by ``mask`` (all pairs, as matrices,
    when None), from a float64 Gram matrix (float64 arccos resolves angles to about 1e-8 rad)."""
    diag = np.diag(g)
    squares = diag[:, None] + diag[None, :]
    outer = np.outer(np.sqrt(diag), np.sqrt(diag))
    if mask is not None:
        g, squares, outer = g[mask], squares[mask], outer[mask]
    distance = np.sqrt(np.maximum(squares - 2.0 * g, 0.0))
    cos = np.divide(g, outer, out=np.ones_like(g), where=outer > 0)
    return distance, np.arccos(np.clip(cos, -1.0, 1.0))


def layer_statistics(g: np.ndarray, masks: tuple[np.ndarray, np.ndarray],
                     log_scale: float = 0.0) -> dict[str, float]:
    """The SPEC statistics of one layer from its per-unit Gram matrix G.

    ``masks`` = class_pair_masks(labels). The features may have been divided by a scalar
    exp(log_scale / 2) to stay finite (mlp, resnet), so the true Gram is G exp(log_scale);
    every statistic is reported at the true scale without ever forming it:
    log_d_w, log_d_b: log of the mean within-/between-class distance ||h_i - h_j|| / sqrt(N)
    over pairs i < j; ratio = d_b / d_w; d_*_norm = d / sqrt(2 q), comparable across
    architectures; theta_w, theta_b: mean within-/between-class angle in radians;
    log_q: log of the mean per-unit second moment q = mean_i ||h_i||^2 / N.
    """
    same, different = masks
    if not same.any() or not different.any():
        raise ValueError("statistics need at least one same-class and one different-class pair")
    pairs = same | different
    dist, angle = pair_values(g, pairs)  # one pass over the upper triangle
    within = same[pairs]
    q = float(np.mean(np.diag(g)))
    d_w, d_b = float(dist[within].mean()), float(dist[~within].mean())
    with np.errstate(divide="ignore"):
        return {
            "log_d_w": float(np.log(d_w)) + log_scale / 2.0,
            "log_d_b": float(np.log(d_b)) + log_scale / 2.0,
            "ratio": d_b / d_w if d_w > 0 else math.inf,
            "d_w_norm": d_w / math.sqrt(2.0 * q),
            "d_b_norm": d_b / math.sqrt(2.0 * q),
            "theta_w": float(angle[within].mean()),
            "theta_b": float(angle[~within].mean()),
            "log_q": math.log(q) + log_scale,
        }
