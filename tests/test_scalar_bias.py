"""The scalar angle recursion with a bias variance s_b (docs/theory.md, scalar form; C4, C6):
exact against a high-precision iteration, against the Gram recursion on a pair and against
finite-width pairs; resolved down to theta = 1e-100; unchanged at s_b = 0."""

import math

import mpmath
import numpy as np
import pytest
import torch

from separability.propagation import pair_statistics
from separability.theory import (
    angle_trajectory,
    cosine_trajectory,
    gram_step,
    log_angle_trajectory,
)

ARCHS = ("mlp", "resnet", "resnet_bn")

# cosine_trajectory before the bias and the deficit form (commit c913272), from cos0 = 0, 0.5,
# -0.3 at layers 1, 10, 100, 300, for (s_w, s_v, q0) = (2, 2, 1) and (1, 2, 2)
PREVIOUS = {
    ("mlp", (2.0, 2.0, 1.0)): [
        [0.3183098861837907, 0.8715355160215176, 0.9964231466839478, 0.9995466571036967],
        [0.6089977810442294, 0.8976467298073225, 0.9965527108608321, 0.999552555825156],
        [0.18274428383548763, 0.8633749054819543, 0.9963896018573, 0.9995451638612968],
    ],
    ("mlp", (1.0, 2.0, 2.0)): [
        [0.3183098861837907, 0.8715355160215176, 0.9964231466839478, 0.9995466571036967],
        [0.6089977810442294, 0.8976467298073225, 0.9965527108608321, 0.999552555825156],
        [0.18274428383548763, 0.8633749054819543, 0.9963896018573, 0.9995451638612968],
    ],
    ("resnet", (2.0, 2.0, 1.0)): [
        [0.21220659078919377, 0.7843985818000432, 0.9923468401793036, 0.9989981669047518],
        [0.5726651873628196, 0.8427932865748957, 0.9927887085955388, 0.9990195106428333],
        [0.02182952255699172, 0.7628697111901447, 0.9922211349913402, 0.9989923122408657],
    ],
    ("resnet", (1.0, 2.0, 2.0)): [
        [0.15915494309189535, 0.7075574802828529, 0.9870924201914902, 0.998252804137431],
        [0.5544988905221147, 0.7991983911818847, 0.9880881377964542, 0.9983038646579798],
        [-0.05862785808225618, 0.6707123128883049, 0.986796506398246, 0.9982383545620876],
    ],
    ("resnet_bn", (2.0, 2.0, 1.0)): [
        [0.15915494309189535, 0.4414763033382851, 0.6434163750758883, 0.7049289517770038],
        [0.5544988905221147, 0.6690503332097077, 0.766901721818242, 0.8000840603577807],
        [-0.05862785808225618, 0.33200705452167456, 0.5900276742104138, 0.6653037501554421],
    ],
    ("resnet_bn", (1.0, 2.0, 2.0)): [
        [0.10610329539459688, 0.37376700774912025, 0.6043622572421568, 0.6754946281133024],
        [0.5363325936814098, 0.6406721809093824, 0.7475648988980427, 0.7846290510872793],
        [-0.13908523872150413, 0.23938574672527888, 0.5402403101483672, 0.6286266118560878],
    ],
}


def mp_angles(arch, theta0, depth, s_w, s_v, s_b, dps, q0=1.0):
    """The scalar recursion of docs/theory.md iterated literally on cosines in mpmath."""
    mpmath.mp.dps = dps

    def kappa(c):
        return (mpmath.sqrt(1 - c * c) + (mpmath.pi - mpmath.acos(c)) * c) / mpmath.pi

    s_w, s_v, s_b = mpmath.mpf(s_w), mpmath.mpf(s_v), mpmath.mpf(s_b)
    c, q, angles = mpmath.cos(mpmath.mpf(theta0)), mpmath.mpf(q0), []
    for _ in range(depth + 1):
        angles.append(mpmath.acos(c))
        u = s_w * q + s_b
        k = kappa((s_w * q * c + s_b) / u)
        if arch == "mlp":
            c, q = k, u / 2
        elif arch == "resnet":
            q_next = q + s_v * u / 2
            c, q = (q * c + s_v * u / 2 * k) / q_next, q_next
        else:
            c, q = (q * c + s_v / 2 * k) / (q + s_v / 2), q + s_v / 2
    return angles


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("params", [(2.0, 2.0, 1.0), (1.0, 2.0, 2.0)])
def test_no_bias_reproduces_the_previous_recursion(arch, params):
    cos = cosine_trajectory(arch, np.array([0.0, 0.5, -0.3]), 300, *params)[:, [1, 10, 100, 300]]
    np.testing.assert_allclose(cos, PREVIOUS[(arch, params)], rtol=0, atol=4e-15)
    assert cosine_trajectory(arch, 0.3, 5, *params, s_b=0.0)[0] == 0.3


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("s_w, s_b", [(1.0, 0.5), (2.5, 0.3)])
def test_bias_recursion_matches_high_precision(arch, s_w, s_b):
    depth = 150
    exact = np.array([float(a) for a in mp_angles(arch, 1.2, depth, s_w, 2.0, s_b, dps=80)])
    np.testing.assert_allclose(
        angle_trajectory(arch, 1.2, depth, s_w, 2.0, s_b=s_b), exact, rtol=1e-11
    )


def test_angle_resolved_down_to_1e100():
    """The MLP with s_w < 2 and a bias decays exponentially: theta passes 1e-100 near layer
    650, where c = cos theta is 1 in float64 hundreds of layers earlier."""
    depth = 700
    exact = mp_angles("mlp", 1.0, depth, 1.0, 2.0, 0.5, dps=260)
    ours = log_angle_trajectory("mlp", 1.0, depth, 1.0, 2.0, s_b=0.5)
    tiny = [layer for layer, angle in enumerate(exact) if angle < mpmath.mpf("1e-100")]
    assert tiny and tiny[0] < depth
    for layer in (100, 300, tiny[0], depth):
        assert ours[layer] == pytest.approx(float(mpmath.log(exact[layer])), rel=1e-9)
        assert math.exp(ours[layer]) == pytest.approx(float(exact[layer]), rel=1e-6)
    assert cosine_trajectory("mlp", math.cos(1.0), depth, 1.0, 2.0, s_b=0.5)[-1] == 1.0


@pytest.mark.parametrize("arch", ARCHS)
def test_scalar_and_gram_recursions_agree_with_bias(arch):
    """On a pair of per-unit second moment 1, the Gram recursion with bias (variance-only
    large-batch BN for resnet_bn, the scalar form's BN) gives the scalar cosines."""
    c0, depth, s_w, s_b = 0.2, 30, 1.5, 0.4
    gram, cos = np.array([[1.0, c0], [c0, 1.0]]), []
    for _ in range(depth + 1):
        cos.append(gram[0, 1] / math.sqrt(gram[0, 0] * gram[1, 1]))
        gram = gram_step(arch, gram, s_w, 2.0, s_b, bn_centering=False, bn="large_batch")
    np.testing.assert_allclose(
        cos, cosine_trajectory(arch, c0, depth, s_w, 2.0, s_b=s_b), rtol=1e-12
    )


@pytest.mark.parametrize("bn", ["exact", "large_batch"])
def test_centred_bn_removes_the_bias(bn):
    x = np.random.default_rng(0).standard_normal((6, 9))
    gram = x @ x.T / 9
    with_bias = gram_step("resnet_bn", gram, 2.0, 2.0, 0.8, bn_centering=True, bn=bn)
    np.testing.assert_allclose(
        with_bias, gram_step("resnet_bn", gram, 2.0, 2.0, 0.0, bn=bn), rtol=1e-9
    )
    variance_only = gram_step("resnet_bn", gram, 2.0, 2.0, 0.8, bn_centering=False, bn=bn)
    assert not np.allclose(
        variance_only,
        gram_step("resnet_bn", gram, 2.0, 2.0, 0.0, bn_centering=False, bn=bn),
        rtol=1e-3,
    )


@pytest.mark.parametrize("s_w, s_b", [(1.0, 0.5), (1.6, 0.2)])
def test_mlp_fixed_point_and_contraction(s_w, s_b):
    """q -> q* = s_b / (2 - s_w), and then 1 - c shrinks by s_w / 2 per layer."""
    gram = np.array([[1.0, 0.3], [0.3, 1.0]])
    for _ in range(200):
        gram = gram_step("mlp", gram, s_w, 2.0, s_b)
    assert gram[0, 0] == pytest.approx(s_b / (2 - s_w), rel=1e-10)
    log_theta = log_angle_trajectory("mlp", 1.0, 400, s_w, 2.0, s_b=s_b)
    deficit_ratio = np.exp(2 * np.diff(log_theta[300:]))  # (1 - c') / (1 - c) for tiny angles
    np.testing.assert_allclose(deficit_ratio, s_w / 2, rtol=1e-9)


@pytest.mark.parametrize("arch", ARCHS)
def test_finite_width_pairs_with_bias_follow_the_theory(arch):
    """Seed means of simulated pairs (N = 1024, variance-only BN) against the scalar theory,
    within 4 standard errors of the seeds plus a 2% finite-width allowance; the theory
    without the bias is excluded by the same tolerance."""
    s_w, s_b, depth, seeds = 1.0, 0.5, 8, 4
    runs = [
        pair_statistics(
            arch,
            1024,
            depth,
            seed,
            [math.pi / 2],
            16,
            progress=False,
            s_w=s_w,
            s_b=s_b,
            bn_centering=False,
        )
        for seed in range(seeds)
    ]
    theta = np.array([run.theta.to_numpy() for run in runs])
    mean, se = theta.mean(axis=0), theta.std(axis=0, ddof=1) / math.sqrt(seeds)
    tolerance = 4 * se + 0.02 * mean
    theory = angle_trajectory(arch, math.pi / 2, depth, s_w, 2.0, s_b=s_b)
    assert np.all(np.abs(mean - theory) <= tolerance)
    no_bias = angle_trajectory(arch, math.pi / 2, depth, s_w, 2.0, s_b=0.0)
    assert np.any(np.abs(mean - no_bias) > tolerance)


@pytest.mark.parametrize("arch", ARCHS)
def test_bias_draws_leave_the_weights_unchanged(arch):
    """b ~ N(0, s_b) on each block's pre-activation, drawn after every weight: a seed's
    weights are the same with and without bias, and s_b = 0 leaves every bias at zero."""
    from separability.models import SeparabilityNet

    plain = SeparabilityNet(arch, 8, 256, 20, n_classes=3).initialise(5)
    biased = SeparabilityNet(arch, 8, 256, 20, n_classes=3, s_b=0.5).initialise(5)
    for (name, a), (_, b) in zip(plain.named_parameters(), biased.named_parameters()):
        if name.endswith("weight"):
            assert torch.equal(a, b), name
        else:
            assert not a.any(), name
    draws = torch.cat([block.w.bias for block in biased.blocks]).detach()
    assert float(draws.var()) == pytest.approx(0.5, rel=0.05)
    assert all(not block.v.bias.any() for block in biased.blocks if block.v is not None)


def test_recorded_layers_and_input_checks():
    full = log_angle_trajectory("resnet", 1.0, 50, s_b=0.3)
    picked = log_angle_trajectory("resnet", 1.0, 50, s_b=0.3, layers=[50, 3, 3, 10])
    np.testing.assert_array_equal(picked, full[[50, 3, 3, 10]])
    grid = angle_trajectory("mlp", 1.0, 20, s_w=np.array([[1.0], [2.0]]), s_b=np.array([0.0, 0.5]))
    assert grid.shape == (2, 2, 21)
    np.testing.assert_array_equal(grid[0, 1], angle_trajectory("mlp", 1.0, 20, 1.0, s_b=0.5))
    with pytest.raises(ValueError, match="s_b >= 0"):
        cosine_trajectory("mlp", 0.5, 3, s_b=-0.1)
    with pytest.raises(ValueError, match="theta0"):
        angle_trajectory("mlp", 4.0, 3)
