"""Per-layer statistics from the Gram matrix agree with direct computations."""

import math

import numpy as np
import pytest
import torch
from scipy.spatial.distance import pdist, squareform

from separability.statistics import (
    class_pair_masks,
    gram,
    layer_statistics,
    pair_values,
)


def pairwise_distances(g):
    return pair_values(g)[0]


def pairwise_angles(g):
    return pair_values(g)[1]


def direct_statistics(h: np.ndarray, labels: np.ndarray) -> dict:
    """Statistics computed straight from the features in float64, pair by pair."""
    h = h.astype(np.float64)
    n, width = h.shape
    dist = squareform(pdist(h)) / math.sqrt(width)
    cos = 1 - squareform(pdist(h, "cosine"))
    same, different = class_pair_masks(labels)
    q = np.mean(np.sum(h * h, axis=1)) / width
    return {
        "d_w": dist[same].mean(), "d_b": dist[different].mean(),
        "theta_w": np.arccos(np.clip(cos[same], -1, 1)).mean(),
        "theta_b": np.arccos(np.clip(cos[different], -1, 1)).mean(), "q": q,
    }


def test_gram_statistics_equal_direct_computation():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 10)
    h = (rng.standard_normal((40, 64)) + labels[:, None] * 0.5).astype(np.float32)
    stats = layer_statistics(gram(h), class_pair_masks(labels))
    direct = direct_statistics(h, labels)
    assert math.exp(stats["log_d_w"]) == pytest.approx(direct["d_w"], rel=1e-10)
    assert math.exp(stats["log_d_b"]) == pytest.approx(direct["d_b"], rel=1e-10)
    assert stats["ratio"] == pytest.approx(direct["d_b"] / direct["d_w"], rel=1e-10)
    assert stats["theta_w"] == pytest.approx(direct["theta_w"], rel=1e-8)
    assert stats["theta_b"] == pytest.approx(direct["theta_b"], rel=1e-8)
    assert stats["log_q"] == pytest.approx(math.log(direct["q"]), rel=1e-12)
    assert stats["d_w_norm"] == pytest.approx(direct["d_w"] / math.sqrt(2 * direct["q"]))


def test_near_identical_features_avoid_cancellation():
    """|a|^2 + |b|^2 - 2ab on a large common offset: the float64 Gram keeps the tiny
    distances exact where the same formula in float32 would return noise."""
    rng = np.random.default_rng(1)
    h = (100.0 + 1e-2 * rng.standard_normal((12, 256))).astype(np.float32)
    direct = squareform(pdist(h.astype(np.float64))) / math.sqrt(256)
    ours = pairwise_distances(gram(h))
    np.testing.assert_allclose(ours, direct, rtol=1e-6, atol=1e-12)
    h32 = torch.as_tensor(h)
    g32 = (h32 @ h32.T / 256).double().numpy()
    assert np.max(np.abs(pairwise_distances(g32) - direct) / (direct + np.eye(12))) > 0.1


def test_hand_made_example():
    h = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    labels = np.array([0, 0, 1])
    g = gram(h)
    # arccos near 1 resolves angles to about 1e-8 rad in float64
    np.testing.assert_allclose(pairwise_angles(g)[0], [0, math.pi / 2, math.pi], atol=3e-8)
    stats = layer_statistics(g, class_pair_masks(labels))
    # same-class pair (0, 1): distance sqrt(2)/sqrt(2) = 1; different: (0,2) 2/sqrt2, (1,2) 1
    assert math.exp(stats["log_d_w"]) == pytest.approx(1.0)
    assert math.exp(stats["log_d_b"]) == pytest.approx((math.sqrt(2) + 1) / 2)
    assert stats["theta_w"] == pytest.approx(math.pi / 2)
    assert stats["theta_b"] == pytest.approx(3 * math.pi / 4)


def test_log_scale_changes_only_scale_statistics():
    rng = np.random.default_rng(2)
    labels = np.repeat(np.arange(3), 5)
    g = gram(rng.standard_normal((15, 32)))
    masks = class_pair_masks(labels)
    plain, scaled = layer_statistics(g, masks), layer_statistics(g, masks, log_scale=5000.0)
    for key in ("ratio", "d_w_norm", "d_b_norm", "theta_w", "theta_b"):
        assert scaled[key] == plain[key]
    assert scaled["log_q"] == pytest.approx(plain["log_q"] + 5000.0)
    assert scaled["log_d_b"] == pytest.approx(plain["log_d_b"] + 2500.0)
    assert all(math.isfinite(value) for value in scaled.values())


def test_statistics_need_both_kinds_of_pairs():
    with pytest.raises(ValueError, match="same-class"):
        layer_statistics(np.eye(3), class_pair_masks(np.array([0, 1, 2])))
