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

STATISTICS = (
    "log_d_w",
    "log_d_b",
    "ratio",
    "d_w_norm",
    "d_b_norm",
    "theta_w",
    "theta_b",
    "log_q",
    "fisher",
    "gap_w_norm",
    "gap_b_norm",
)


class ClassPairs(NamedTuple):
    """The pairs i < j of one labelled subset of n samples, as precomputed indices: ``flat``
    holds i n + j of every pair, the ``n_within`` same-class pairs first and the
    different-class pairs after them (each group in row-major order), ``rows`` / ``cols`` hold
    i and j, and ``within_weight`` holds 1 / n_c for each same-class pair of class c (Fisher's
    within-class scatter from the pair distances)."""

    n: int
    flat: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    n_within: int
    within_weight: np.ndarray


def gram(features) -> np.ndarray:
    """Per-unit Gram matrix G = H H^T / N of features H (n x N: a torch tensor, on any device,
    or an array), in float64 (numpy's H @ H.T uses the symmetric rank-k product)."""
    h = as_float64(features)
    return h @ h.T / h.shape[1]


def class_pair_masks(labels: np.ndarray) -> ClassPairs:
    """The same-class and different-class pairs i < j of ``labels`` (``ClassPairs``), computed
    once per subset so that every layer's statistics only gather from its Gram matrix."""
    labels = np.asarray(labels)
    n = len(labels)
    rows, cols = np.triu_indices(n, k=1)
    same = labels[rows] == labels[cols]
    order = np.concatenate([np.flatnonzero(same), np.flatnonzero(~same)])
    rows, cols = rows[order], cols[order]
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    n_within = int(np.count_nonzero(same))
    weight = 1.0 / counts[inverse[rows[:n_within]]]
    return ClassPairs(n, rows * n + cols, rows, cols, n_within, weight)


def pair_values(
    g: np.ndarray, mask: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-unit distances ||h_i - h_j|| / sqrt(N) = sqrt(G_ii + G_jj - 2 G_ij), angles
    arccos(G_ij / sqrt(G_ii G_jj)) and norm gaps | ||h_i|| - ||h_j|| | / sqrt(N) of all pairs,
    as matrices, from a float64 Gram matrix (float64 arccos resolves angles to about 1e-8
    rad); with ``mask`` (a ``ClassPairs``) only of its pairs, in its order. The squared
    distance is the sum of the two channels of docs/statistics.md: the norm gap squared plus
    2 ||h_i|| ||h_j|| (1 - cos theta_ij) / N."""
    diag = np.diagonal(g)
    root = np.sqrt(diag)
    if mask is None:
        squares, first, second = diag[:, None] + diag[None, :], root[:, None], root[None, :]
        outer = first * second
    else:  # gathers into fresh arrays, then every step in place (no further temporaries)
        squares = diag[mask.rows]
        squares += diag[mask.cols]
        first, second = root[mask.rows], root[mask.cols]
        outer = first * second
        g = np.take(g.reshape(-1), mask.flat)
    gap = np.abs(first - second)
    distance = squares - 2.0 * g
    np.sqrt(np.maximum(distance, 0.0, out=distance), out=distance)
    cos = np.divide(g, outer, out=np.ones_like(g), where=outer > 0)
    return distance, np.arccos(np.clip(cos, -1.0, 1.0, out=cos), out=cos), gap


def recorded_layers(depth: int, every_layer_up_to: int, log_points: int) -> np.ndarray:
    """Layers at which statistics are recorded: all of 0..every_layer_up_to, then about
    ``log_points`` log-spaced layers up to ``depth`` (always including ``depth``)."""
    dense = np.arange(min(depth, every_layer_up_to) + 1)
    sparse = np.geomspace(max(every_layer_up_to, 1), max(depth, 1), num=max(log_points, 2))
    layers = np.unique(np.concatenate([dense, np.rint(sparse).astype(int), [depth]]))
    return layers[layers <= depth]


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
    ||h_i - h_j||^2 / n_c, with S_B = S_T - S_W;
    gap_w_norm, gap_b_norm: the norm channel, mean within-/between-class gap
    | ||h_i|| - ||h_j|| | / sqrt(2 q N) (the angle channel is theta_w, theta_b).

    Degenerate features never raise: all-zero features (q = 0, every ReLU dead) give NaN for
    every statistic; a zero within-class distance gives an infinite ratio (NaN if the
    between-class one is zero too).
    """
    k = masks.n_within
    if k == 0 or k == len(masks.flat):
        raise ValueError("statistics need at least one same-class and one different-class pair")
    q = float(np.mean(np.diagonal(g)))
    if not q > 0:  # zero (or non-finite) features: no distance, angle or ratio is defined
        return {name: math.nan for name in STATISTICS}
    dist, angle, gap = pair_values(g, masks)  # one gather from the upper triangle
    d_w, d_b = np.mean(dist[:k]), np.mean(dist[k:])
    scale = math.sqrt(2.0 * q)
    squares = dist * dist
    total = float(np.sum(squares)) / masks.n
    scatter_w = float(np.dot(masks.within_weight, squares[:k]))
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "log_d_w": float(np.log(d_w)) + log_scale / 2.0,
            "log_d_b": float(np.log(d_b)) + log_scale / 2.0,
            "ratio": float(d_b / d_w),
            "d_w_norm": float(d_w) / scale,
            "d_b_norm": float(d_b) / scale,
            "theta_w": float(angle[:k].mean()),
            "theta_b": float(angle[k:].mean()),
            "log_q": math.log(q) + log_scale,
            "fisher": float(np.float64(total - scatter_w) / scatter_w),
            "gap_w_norm": float(gap[:k].mean()) / scale,
            "gap_b_norm": float(gap[k:].mean()) / scale,
        }


def effective_rank(g: np.ndarray) -> float:
    """The participation ratio (trace C)^2 / trace(C^2) of the centred Gram matrix C = P G P
    (P = I - 11^T / n): the effective number of dimensions the n features span around their
    mean, between 1 (all on one line) and n - 1; NaN for features that are all equal."""
    centred = g - g.mean(axis=0, keepdims=True)
    centred -= centred.mean(axis=1, keepdims=True)
    square = float(np.sum(centred * centred))
    return float(np.trace(centred)) ** 2 / square if square > 0 else math.nan


def ncm_accuracy(
    train_features, train_labels: np.ndarray, heldout_features, heldout_labels: np.ndarray
) -> float:
    """Nearest-class-mean accuracy: the share of held-out features whose nearest class mean
    (Euclidean; means of the training features of each class) is that of their own class.
    Scale-free; NaN when the training features are all zero (no mean to compare with)."""
    train = as_float64(train_features)
    heldout = as_float64(heldout_features)
    classes = np.unique(train_labels)
    means = np.stack([train[train_labels == c].mean(axis=0) for c in classes])
    if not np.any(means):
        return math.nan
    # ||h - mu_c||^2 = ||h||^2 - 2 h.mu_c + ||mu_c||^2; ||h||^2 is common to every class
    score = heldout @ means.T * 2.0 - np.sum(means * means, axis=1)
    predicted = classes[np.argmax(score, axis=1)]
    return float(np.mean(predicted == np.asarray(heldout_labels)))


def as_float64(features) -> np.ndarray:
    """Features (a torch tensor on any device, or an array) as a float64 array."""
    if hasattr(features, "detach"):
        features = features.detach().cpu().double().numpy()
    return np.asarray(features, dtype=np.float64)
