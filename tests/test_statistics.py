"""Per-layer statistics from the Gram matrix agree with direct computations; Fisher's criterion
and the nearest-class-mean accuracy give the known answers on constructed features; degenerate
features give NaN, never an exception."""

import math

import numpy as np
import pytest
import torch
from scipy.spatial.distance import pdist, squareform

from separability.statistics import (
    STATISTICS,
    class_pair_masks,
    gram,
    layer_statistics,
    ncm_accuracy,
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
    upper = np.triu(np.ones((len(labels), len(labels)), dtype=bool), k=1)
    same = upper & (labels[:, None] == labels[None, :])
    different = upper & ~same
    q = np.mean(np.sum(h * h, axis=1)) / width
    return {
        "d_w": dist[same].mean(),
        "d_b": dist[different].mean(),
        "theta_w": np.arccos(np.clip(cos[same], -1, 1)).mean(),
        "theta_b": np.arccos(np.clip(cos[different], -1, 1)).mean(),
        "q": q,
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


def direct_fisher(h: np.ndarray, labels: np.ndarray) -> float:
    """trace(S_B) / trace(S_W) from the class means, straight from the features."""
    mean = h.mean(axis=0)
    between = within = 0.0
    for c in np.unique(labels):
        members = h[labels == c]
        centre = members.mean(axis=0)
        between += len(members) * np.sum((centre - mean) ** 2)
        within += np.sum((members - centre) ** 2)
    return between / within


def statistics_of(h, labels):
    return layer_statistics(gram(h), class_pair_masks(labels))


def test_fisher_equals_the_scatter_matrices():
    rng = np.random.default_rng(3)
    labels = np.repeat(np.arange(3), [5, 9, 14])  # unequal classes: the 1 / n_c weights matter
    h = rng.standard_normal((28, 40)) + 0.7 * labels[:, None]
    assert statistics_of(h, labels)["fisher"] == pytest.approx(direct_fisher(h, labels), rel=1e-10)
    assert statistics_of(1e3 * h, labels)["fisher"] == pytest.approx(
        direct_fisher(h, labels), rel=1e-10
    )


def clusters(centres, spread, per_class, seed=0):
    """Gaussian clusters of ``per_class`` points around each centre (rows of ``centres``)."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(centres)), per_class)
    return centres[labels] + spread * rng.standard_normal((len(labels), centres.shape[1])), labels


def test_two_tight_separated_clusters_are_separable_by_every_measure():
    centres = np.array([[10.0, 0, 0, 0], [0, 10.0, 0, 0]])
    h, labels = clusters(centres, 0.01, 20)
    heldout, heldout_labels = clusters(centres, 0.01, 20, seed=1)
    stats = statistics_of(h, labels)
    assert stats["ratio"] > 100 and stats["fisher"] > 1e4
    assert stats["fisher"] == pytest.approx(direct_fisher(h, labels), rel=1e-8)
    assert ncm_accuracy(h, labels, heldout, heldout_labels) == 1.0


def test_one_class_collapsed_to_a_point():
    """Class 0 is one point repeated, class 1 a spread cloud: finite statistics, the
    within-class distance only from class 1, Fisher as the scatter matrices say."""
    rng = np.random.default_rng(4)
    h = np.vstack([np.tile([3.0, 0, 0], (6, 1)), rng.standard_normal((6, 3))])
    labels = np.repeat([0, 1], 6)
    stats = statistics_of(h, labels)
    class1 = pdist(h[6:])
    assert math.exp(stats["log_d_w"]) == pytest.approx(
        class1.sum() / (2 * 15) / math.sqrt(3), rel=1e-10
    )  # class 0's 15 pairs add zeros
    assert stats["fisher"] == pytest.approx(direct_fisher(h, labels), rel=1e-10)
    assert all(math.isfinite(value) for value in stats.values())
    # every class a point: zero within-class distance, infinite separation, no exception
    points = np.repeat(np.eye(3) * 2.0, 4, axis=0)
    stats = statistics_of(points, np.repeat(np.arange(3), 4))
    assert stats["ratio"] == math.inf and stats["fisher"] == math.inf
    assert math.exp(stats["log_d_b"]) == pytest.approx(2.0 * math.sqrt(2) / math.sqrt(3))


def test_identical_classes_are_inseparable():
    """Class 1 repeats class 0's points: equal class means (Fisher 0, nearest-class-mean at
    chance) and ratio exactly 1 - 1/m (the m zero distances between a point and its copy)."""
    rng = np.random.default_rng(5)
    m = 10
    points = rng.standard_normal((m, 8))
    h, labels = np.vstack([points, points]), np.repeat([0, 1], m)
    stats = statistics_of(h, labels)
    assert stats["ratio"] == pytest.approx(1 - 1 / m, rel=1e-8)  # Gram distances: ~1e-10
    assert stats["fisher"] == pytest.approx(0.0, abs=1e-12)
    assert ncm_accuracy(h, labels, h, labels) == 0.5


def test_large_distance_ratio_with_chance_nearest_class_mean():
    """Class 0 sits tight at the origin, class 1 on two antipodal clusters at +-R: both class
    means are at the origin, so Fisher's criterion is ~0 and the nearest class mean is chance,
    while the ratio of mean distances is ~2 (d_b ~ R, d_w ~ R / 2)."""

    def sample(seed):
        rng = np.random.default_rng(seed)
        sign = np.repeat([1.0, -1.0], 50)[:, None]
        far = sign * np.array([10.0, 0, 0, 0]) + 0.01 * rng.standard_normal((100, 4))
        near = 0.01 * rng.standard_normal((100, 4))
        return np.vstack([near, far]), np.repeat([0, 1], 100)

    h, labels = sample(6)
    stats = statistics_of(h, labels)
    assert stats["ratio"] > 1.9 and stats["fisher"] < 1e-3
    heldout, heldout_labels = sample(7)
    assert 0.35 < ncm_accuracy(h, labels, heldout, heldout_labels) < 0.65


def test_zero_features_give_nan_not_an_exception():
    """A collapsed layer (every ReLU dead, q = 0): every statistic NaN, nothing raised."""
    labels = np.repeat(np.arange(2), 4)
    stats = layer_statistics(np.zeros((8, 8)), class_pair_masks(labels))
    assert set(stats) == set(STATISTICS) and all(math.isnan(v) for v in stats.values())
    assert math.isnan(ncm_accuracy(np.zeros((8, 5)), labels, np.ones((8, 5)), labels))
