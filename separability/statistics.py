"""Per-layer separability statistics of docs/statistics.md, all computed from a Gram matrix.

One implementation serves the finite-width simulation (G = H H^T / N of the features), the
infinite-width theory (G = K_l) and the trained networks, so the three are comparable by
construction. Beside the paper's ratio of mean distances it gives Fisher's criterion
trace(S_B) / trace(S_W), which also follows from G, and the nearest-class-mean accuracy of
held-out features, which needs the features of two subsets (``ncm_accuracy``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

STATISTICS = ("log_d_w", "log_d_b", "ratio", "d_w_norm", "d_b_norm", "theta_w", "theta_b",
              "log_q", "fisher")


class ClassPairs(NamedTuple):
    """The pairs i < j of one labelled subset: ``same`` / ``different`` select same-class and
    different-class pairs (boolean n x n masks over the upper triangle); ``within_weight``
    holds, for every pair i < j in row-major order, 1 / n_c for a same-class pair of class c
    and 0 otherwise (Fisher's within-class scatter from the pair distances)."""

    same: np.ndarray
    different: np.ndarray
    within_weight: np.ndarray


def gram(features) -> np.ndarray:
    """Per-unit Gram matrix G = H H^T / N of features H (n x N: a torch tensor, on any device,
    or an array), in float64 (numpy's H @ H.T uses the symmetric rank-k product)."""
    h = _as_float64(features)
    return h @ h.T / h.shape[1]


def class_pair_masks(labels: np.ndarray) -> ClassPairs:
    """The same-class and different-class pairs i < j of ``labels`` (``ClassPairs``)."""
    labels = np.asarray(labels)
    upper = np.triu(np.ones((len(labels), len(labels)), dtype=bool), k=1)
    same = labels[:, None] == labels[None, :]
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    weight = np.where(same, 1.0 / counts[inverse][:, None], 0.0)[upper]
    return ClassPairs(upper & same, upper & ~same, weight)


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


def layer_statistics(g: np.ndarray, masks: ClassPairs, log_scale: float = 0.0) -> dict[str, float]:
    """The per-layer statistics of docs/statistics.md from the per-unit Gram matrix G.

    ``masks`` = class_pair_masks(labels). The features may have been divided by a scalar
    exp(log_scale / 2) to stay finite (mlp, resnet), so the true Gram is G exp(log_scale);
    every statistic is reported at the true scale without ever forming it:
    log_d_w, log_d_b: log of the mean within-/between-class distance ||h_i - h_j|| / sqrt(N)
    over pairs i < j; ratio = d_b / d_w; d_*_norm = d / sqrt(2 q), comparable across
    architectures; theta_w, theta_b: mean within-/between-class angle in radians;
    log_q: log of the mean per-unit second moment q = mean_i ||h_i||^2 / N;
    fisher: Fisher's criterion trace(S_B) / trace(S_W), from the pair identities
    trace(S_T) = sum_{i<j} ||h_i - h_j||^2 / n and trace(S_W) = sum_c sum_{i<j in c}
    ||h_i - h_j||^2 / n_c, with S_B = S_T - S_W.

    Degenerate features never raise: all-zero features (q = 0, every ReLU dead) give NaN for
    every statistic; a zero within-class distance gives an infinite ratio (NaN if the
    between-class one is zero too).
    """
    same, different, within_weight = masks
    if not same.any() or not different.any():
        raise ValueError("statistics need at least one same-class and one different-class pair")
    q = float(np.mean(np.diag(g)))
    if not q > 0:  # zero (or non-finite) features: no distance, angle or ratio is defined
        return {name: math.nan for name in STATISTICS}
    pairs = same | different
    dist, angle = pair_values(g, pairs)  # one pass over the upper triangle
    within = same[pairs]
    d_w, d_b = np.mean(dist[within]), np.mean(dist[~within])
    squares = dist * dist
    total = float(np.sum(squares)) / len(g)
    scatter_w = float(np.dot(within_weight, squares))
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "log_d_w": float(np.log(d_w)) + log_scale / 2.0,
            "log_d_b": float(np.log(d_b)) + log_scale / 2.0,
            "ratio": float(d_b / d_w),
            "d_w_norm": float(d_w) / math.sqrt(2.0 * q),
            "d_b_norm": float(d_b) / math.sqrt(2.0 * q),
            "theta_w": float(angle[within].mean()),
            "theta_b": float(angle[~within].mean()),
            "log_q": math.log(q) + log_scale,
            "fisher": float(np.float64(total - scatter_w) / scatter_w),
        }


def ncm_accuracy(train_features, train_labels: np.ndarray, heldout_features,
                 heldout_labels: np.ndarray) -> float:
    """Nearest-class-mean accuracy: the share of held-out features whose nearest class mean
    (Euclidean; means of the training features of each class) is that of their own class.
    Scale-free; NaN when the training features are all zero (no mean to compare with)."""
    train = _as_float64(train_features)
    heldout = _as_float64(heldout_features)
    classes = np.unique(train_labels)
    means = np.stack([train[train_labels == c].mean(axis=0) for c in classes])
    if not np.any(means):
        return math.nan
    # ||h - mu_c||^2 = ||h||^2 - 2 h.mu_c + ||mu_c||^2; ||h||^2 is common to every class
    score = heldout @ means.T * 2.0 - np.sum(means * means, axis=1)
    predicted = classes[np.argmax(score, axis=1)]
    return float(np.mean(predicted == np.asarray(heldout_labels)))


def _as_float64(features) -> np.ndarray:
    """Features (a torch tensor on any device, or an array) as a float64 array."""
    if hasattr(features, "detach"):
        features = features.detach().cpu().double().numpy()
    return np.asarray(features, dtype=np.float64)
