"""Infinite-width theory: kappa, the scalar cosine recursion and the Gram recursion (C4, C6)."""

import math

import mpmath
import numpy as np
import pytest

from separability.theory import (
    bn_gram,
    cosine_trajectory,
    gram_step,
    gram_trajectory,
    kappa,
    relu_gram,
)

ARCHS = ("mlp", "resnet", "resnet_bn")


def test_kappa_closed_forms():
    assert kappa(1.0) == pytest.approx(1.0, abs=1e-15)
    assert kappa(0.0) == pytest.approx(1 / math.pi, abs=1e-15)
    assert kappa(-1.0) == pytest.approx(0.0, abs=1e-15)


def test_kappa_monotone_and_above_identity():
    c = np.linspace(-1, 1, 2001)
    k = kappa(c)
    assert np.all(np.diff(k) > 0)
    assert np.all(k >= c - 1e-15)
    assert np.all(k[1:-1] > c[1:-1])  # strict inside: every ReLU block pulls cosines up


def test_kappa_is_the_relu_expectation():
    """E[relu(u) relu(v)] = kappa(c) / 2 for unit Gaussians with correlation c (Monte Carlo)."""
    rng = np.random.default_rng(0)
    u, w = rng.standard_normal((2, 2_000_000))
    for c in (-0.7, 0.0, 0.5, 0.95):
        v = c * u + math.sqrt(1 - c * c) * w
        mc = np.mean(np.maximum(u, 0) * np.maximum(v, 0))
        assert mc == pytest.approx(kappa(c) / 2, abs=3e-3)


def test_relu_gram_scales_with_norms():
    gram = np.array([[4.0, 1.0], [1.0, 1.0]])
    expected = 0.5 * 2.0 * 1.0 * kappa(0.5)
    assert relu_gram(gram)[0, 1] == pytest.approx(expected)
    assert relu_gram(gram)[0, 0] == pytest.approx(2.0)


@pytest.mark.parametrize("arch", ARCHS)
def test_cosine_trajectory_shape_and_start(arch):
    cos0 = np.array([[0.0, 0.5], [0.9, -0.3]])
    traj = cosine_trajectory(arch, cos0, 7)
    assert traj.shape == (2, 2, 8)
    np.testing.assert_array_equal(traj[..., 0], cos0)
    for index in np.ndindex(cos0.shape):  # vectorised = elementwise
        np.testing.assert_array_equal(cosine_trajectory(arch, cos0[index], 7), traj[index])


def test_cosine_trajectory_first_step_closed_forms():
    c, s_w, s_v = 0.3, 2.0, 2.0
    a, b = s_w * s_v / 2, s_v / 2
    assert cosine_trajectory("mlp", c, 1)[1] == pytest.approx(kappa(c), rel=1e-14)
    assert cosine_trajectory("resnet", c, 1)[1] == pytest.approx((c + a * kappa(c)) / (1 + a))
    q = 3.0
    assert cosine_trajectory("resnet_bn", c, 1, q0=q)[1] == pytest.approx(
        (q * c + b * kappa(c)) / (q + b))
    # second resnet_bn step uses q' = q + b
    c1 = (q * c + b * kappa(c)) / (q + b)
    assert cosine_trajectory("resnet_bn", c, 2, q0=q)[2] == pytest.approx(
        ((q + b) * c1 + b * kappa(c1)) / (q + 2 * b))


def test_cosine_trajectory_matches_high_precision():
    """The float64 recursion stays accurate deep down, where c is within 1e-6 of 1."""
    mpmath.mp.dps = 40
    c = mpmath.mpf(0)
    for _ in range(3000):
        theta = mpmath.acos(c)
        c = c + (mpmath.sin(theta) - theta * c) / mpmath.pi
    ours = np.arccos(cosine_trajectory("mlp", 0.0, 3000)[-1])
    assert ours == pytest.approx(float(mpmath.acos(c)), rel=1e-7)


def test_angle_asymptotics():
    """Small-angle expansion: theta' = theta - m theta^2 / (3 pi), so l theta_l -> 3 pi / m with
    m = 1 (mlp) and a / (1 + a) (resnet); resnet_bn decays far slower (like 1 / log l)."""
    depth = 100_000
    theta = {arch: np.arccos(cosine_trajectory(arch, 0.0, depth)) for arch in ARCHS}
    assert depth * theta["mlp"][-1] == pytest.approx(3 * math.pi, rel=0.01)
    assert depth * theta["resnet"][-1] == pytest.approx(3 * math.pi * 3 / 2, rel=0.01)
    assert theta["resnet_bn"][-1] > 100 * theta["resnet"][-1]


def test_cosine_trajectory_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown architecture"):
        cosine_trajectory("vgg", 0.5, 3)
    with pytest.raises(ValueError, match="cos0"):
        cosine_trajectory("mlp", 1.5, 3)


@pytest.mark.parametrize("arch", ARCHS)
def test_gram_and_scalar_recursions_agree(arch):
    """On an equal-norm pair fed straight into the blocks, the Gram recursion (variance-only BN
    for resnet_bn) reproduces the scalar recursion."""
    c0, depth = 0.2, 50
    gram0 = np.array([[1.0, c0], [c0, 1.0]])
    cos = [g[0, 1] / math.sqrt(g[0, 0] * g[1, 1])
           for _, g, _ in gram_trajectory(arch, gram0, depth, bn_centering=False)]
    np.testing.assert_allclose(cos, cosine_trajectory(arch, c0, depth), rtol=1e-12, atol=1e-14)


def test_gram_trajectory_rescales_without_changing_the_model():
    """resnet's second moment grows like (1 + s_w s_v / 2)^l: the carried log-scale reproduces
    that exactly at a depth where the raw Gram would overflow float64."""
    gram0 = np.array([[1.0, 0.3], [0.3, 1.0]])
    steps = list(gram_trajectory("resnet", gram0, 2000))
    layer, gram, log_scale = steps[-1]
    assert np.all(np.isfinite(gram))
    assert log_scale + math.log(np.mean(np.diag(gram))) == pytest.approx(2000 * math.log(3.0))
    # the rescaled steps equal unrescaled ones where those are finite
    raw = gram0
    for layer, gram, log_scale in steps[:30]:
        np.testing.assert_allclose(gram * math.exp(log_scale), raw, rtol=1e-12)
        raw = gram_step("resnet", raw)


def test_bn_gram_normalises_and_centres():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 4)) + 3.0
    gram = x @ x.T
    centred = bn_gram(gram, centering=True)
    assert np.mean(np.diag(centred)) == pytest.approx(1.0)
    np.testing.assert_allclose(centred.sum(axis=0), 0.0, atol=1e-12)
    assert np.mean(np.diag(bn_gram(gram, centering=False))) == pytest.approx(1.0)
