"""Infinite-width theory: kappa, the scalar cosine recursion and the Gram recursion (C4, C6)."""

import math

import mpmath
import numpy as np
import pytest

from separability.benchmark import bn_theory_timing
from separability.data import digits, prepare
from separability.propagation import data_statistics
from separability.theory import (
    angle_trajectory,
    bn_relu_gram,
    centred_gram,
    cosine_trajectory,
    gram_step,
    gram_trajectory,
    input_gram,
    kappa,
    large_batch_bn_gram,
    relu_gram,
)
from separability.theory_tables import gram_statistics, gram_table, table_variants, theory_variant

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
        (q * c + b * kappa(c)) / (q + b)
    )
    # second resnet_bn step uses q' = q + b
    c1 = (q * c + b * kappa(c)) / (q + b)
    assert cosine_trajectory("resnet_bn", c, 2, q0=q)[2] == pytest.approx(
        ((q + b) * c1 + b * kappa(c1)) / (q + 2 * b)
    )


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
    """On an equal-norm pair fed straight into the blocks, the Gram recursion reproduces the
    scalar recursion; for resnet_bn with variance-only BN in its large-batch form, which is the
    exact theory of one normaliser shared by all units (models.VarianceNorm), the BN of the
    scalar form."""
    c0, depth = 0.2, 50
    gram0 = np.array([[1.0, c0], [c0, 1.0]])
    cos = [
        g[0, 1] / math.sqrt(g[0, 0] * g[1, 1])
        for _, g, _ in gram_trajectory(arch, gram0, depth, bn_centering=False, bn="large_batch")
    ]
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
    for _layer, gram, log_scale in steps[:30]:
        np.testing.assert_allclose(gram * math.exp(log_scale), raw, rtol=1e-12)
        raw = gram_step("resnet", raw)


def test_large_batch_bn_gram_normalises_and_centres():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 4)) + 3.0
    gram = x @ x.T
    centred = large_batch_bn_gram(gram, centering=True)
    assert np.mean(np.diag(centred)) == pytest.approx(1.0)
    np.testing.assert_allclose(centred.sum(axis=0), 0.0, atol=1e-12)
    assert np.mean(np.diag(large_batch_bn_gram(gram, centering=False))) == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------
# Exact batch normalisation at the finite batch n (docs/theory.md)


def class_gram(n=30, rank=4, seed=0):
    """Low-rank Gram matrix with class structure: 3 classes, inputs in a rank-dimensional space
    (class centre plus a within-class spread)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((3, rank))
    x = centres[np.arange(n) % 3] + 0.4 * rng.standard_normal((n, rank))
    return x @ x.T


def full_rank_gram(n=30, seed=0):
    """Full-rank Gram matrix of n inputs with a common offset (uncentred) and correlations."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2 * n)) + 0.8 * rng.standard_normal(2 * n)
    return x @ x.T / (2 * n)


def monte_carlo_bn_relu(gram, centering, samples=1_000_000, seed=0, chunk=100_000):
    """Monte Carlo estimate of E[relu(z) relu(z)^T], z = BN(u) over the batch, u ~ N(0, K), and
    the standard error of each entry."""
    rng = np.random.default_rng(seed)
    lam, vec = np.linalg.eigh(gram)
    root = vec * np.sqrt(np.clip(lam, 0.0, None))  # u = root g, g ~ N(0, I)
    n = len(gram)
    first, second = np.zeros((n, n)), np.zeros((n, n))
    for _ in range(samples // chunk):
        u = rng.standard_normal((chunk, n)) @ root.T
        if centering:
            u -= u.mean(axis=1, keepdims=True)
        z = u / np.sqrt(np.mean(u * u, axis=1, keepdims=True))
        r = np.maximum(z, 0.0)
        first += r.T @ r
        second += (r * r).T @ (r * r)
    mean = first / samples
    return mean, np.sqrt((second / samples - mean**2) / samples)


@pytest.mark.parametrize("centering", [True, False])
@pytest.mark.parametrize("make_gram", [class_gram, full_rank_gram])
def test_bn_relu_gram_matches_monte_carlo(make_gram, centering):
    """B(K) against 1e6 samples of the map at n = 30: every entry within 5 Monte Carlo
    standard errors; the large-batch approximation is not (low-rank K: far outside)."""
    gram = make_gram()
    exact = bn_relu_gram(gram, centering)
    estimate, error = monte_carlo_bn_relu(gram, centering)
    assert np.max(np.abs(exact - estimate) / error) < 5.0
    approximation = relu_gram(large_batch_bn_gram(gram, centering))
    assert np.max(np.abs(approximation - estimate) / error) > 10.0


def relative_change(a, b):
    """Largest entry of |a - b| relative to the largest entry of |b|."""
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@pytest.fixture(scope="module")
def digits_grams():
    """The default evaluation subset (digits, n = 500, as rule prepare_data draws it): K_0 (rank
    63: 64 pixels) and K_3 after three exact resnet_bn blocks (full rank)."""
    prepared = prepare(*digits(), 0.2, 0.2, 500, 0)
    steps = list(gram_trajectory("resnet_bn", input_gram(prepared["x_eval"]), 3))
    return {"K_0": steps[0][1], "K_3": steps[-1][1]}


@pytest.mark.parametrize("centering", [True, False])
@pytest.mark.parametrize("case", ["class n=40", "full n=40", "K_0 n=500", "K_3 n=500"])
def test_bn_quadrature_converges(case, centering, digits_grams):
    """The quadrature's stated error, 1e-6 relative (max entry): halving the step and tightening
    the truncation tolerance 1000-fold change B(K) by less, at n = 40 and on the default
    n = 500 digits subset (PKP's spectrum spans 1e-3..1e2 there, with one zero along 1)."""
    gram = {"class n=40": class_gram(40), "full n=40": full_rank_gram(40), **digits_grams}[
        case.split(" ")[0] if case.startswith("K_") else case
    ]
    default = bn_relu_gram(gram, centering)
    finer = bn_relu_gram(gram, centering, step=0.3, tolerance=1e-12)
    assert relative_change(default, finer) < 1e-6


def test_bn_relu_gram_is_a_psd_scale_free_second_moment():
    """B(K) is symmetric PSD, has trace n / 2 exactly (z has squared norm n, and relu keeps half
    of it by the symmetry z -> -z), and is invariant to K -> a K."""
    for gram in (class_gram(40), full_rank_gram(40)):
        for centering in (True, False):
            b = bn_relu_gram(gram, centering)
            np.testing.assert_array_equal(b, b.T)
            assert np.linalg.eigvalsh(b).min() > -1e-12 * np.abs(b).max()
            assert np.trace(b) == pytest.approx(len(b) / 2, rel=1e-8)
            for scale in (1e-6, 1e3):
                assert relative_change(bn_relu_gram(scale * gram, centering), b) < 1e-10


def test_bn_relu_gram_of_a_constant_batch_is_zero():
    """All pre-activations equal across the batch: centred BN gives z = 0 (eps > 0), B = 0."""
    np.testing.assert_array_equal(bn_relu_gram(np.ones((5, 5))), np.zeros((5, 5)))


def effective_rank(gram):
    """(trace S)^2 / trace(S^2) of S = P K P."""
    s = centred_gram(gram)
    return np.trace(s) ** 2 / np.sum(s * s)


def test_large_batch_form_is_the_limit_of_large_effective_rank():
    """The large-batch approximation R(n PKP / trace PKP) approaches B(K) as the effective rank
    of PKP grows: within 2 / effective rank (max entry), under 0.5% at effective rank 150 and
    over 2% at effective rank 3."""
    rng = np.random.default_rng(3)
    deviations = {}
    for rank in (3, 30, 300):
        x = rng.standard_normal((300, rank))
        gram = x @ x.T + 0.2
        exact = bn_relu_gram(gram)
        deviations[rank] = relative_change(relu_gram(large_batch_bn_gram(gram)), exact)
        assert deviations[rank] < 2.0 / effective_rank(gram)
    assert deviations[300] < deviations[30] < deviations[3]
    assert deviations[300] < 0.005 and deviations[3] > 0.02


def test_bias_variance_zero_is_the_unbiased_recursion():
    """s_b = 0 gives the recursion without bias: mlp s_w R(K), resnet K + s_v R(s_w K) (the
    same floating-point operations: exactly equal)."""
    gram = full_rank_gram(12)
    np.testing.assert_allclose(
        gram_step("mlp", gram, 2.0, s_b=0.0), 2.0 * relu_gram(gram), rtol=1e-14
    )
    np.testing.assert_array_equal(
        gram_step("resnet", gram, 2.0, 1.5, s_b=0.0), gram + 1.5 * relu_gram(2.0 * gram)
    )


def test_bias_variance_enters_before_the_relu_and_cancels_in_centred_bn():
    """The pre-activation Gram is s_w K + s_b; centred BN removes the bias exactly (P 1 = 0),
    variance-only BN does not."""
    gram, s_b = full_rank_gram(12), 0.7
    np.testing.assert_allclose(
        gram_step("mlp", gram, 1.5, s_b=s_b), relu_gram(1.5 * gram + s_b), rtol=1e-14
    )
    np.testing.assert_allclose(
        gram_step("resnet", gram, 1.5, 2.0, s_b=s_b),
        gram + 2.0 * relu_gram(1.5 * gram + s_b),
        rtol=1e-14,
    )
    for bn in ("exact", "large_batch"):
        with_bias = gram_step("resnet_bn", gram, s_b=s_b, bn=bn)
        np.testing.assert_allclose(with_bias, gram_step("resnet_bn", gram, bn=bn), rtol=1e-9)
        variance_only = gram_step("resnet_bn", gram, s_b=s_b, bn_centering=False, bn=bn)
        assert (
            relative_change(variance_only, gram_step("resnet_bn", gram, bn_centering=False, bn=bn))
            > 1e-3
        )


@pytest.mark.parametrize("arch", ["mlp", "resnet"])
def test_gram_trajectory_with_bias_rescales_exactly(arch):
    """With s_b > 0 the rescaled recursion passes s_b / scale to the next block: it equals the
    raw recursion (F(aK) = a F_{s_b / a}(K)), here through 30 blocks."""
    raw = full_rank_gram(8)
    for _layer, gram, log_scale in gram_trajectory(arch, raw, 30, 1.5, 2.0, s_b=0.3):
        np.testing.assert_allclose(gram * math.exp(log_scale), raw, rtol=1e-11)
        raw = gram_step(arch, raw, 1.5, 2.0, s_b=0.3)


def test_theory_variants_are_named():
    assert table_variants("mlp") == [(True, "exact")]
    assert table_variants("resnet_bn") == [(True, "exact"), (True, "large_batch")]
    assert table_variants("resnet_bn", centering=False) == [(False, "exact")]
    assert table_variants("resnet_bn", "large_batch") == [(True, "large_batch")]
    assert table_variants("resnet_bn", "large_batch", False) == [(False, "large_batch")]
    assert theory_variant("resnet", True, "large_batch") == "-"
    assert theory_variant("resnet_bn", False, "large_batch") == "variance_only_large_batch"
    with pytest.raises(ValueError, match="BN theory form"):
        gram_step("resnet_bn", np.eye(3), bn="small_batch")


def test_gram_table_stacks_the_variants():
    x = np.random.default_rng(0).standard_normal((12, 5))
    labels = np.arange(12) % 3
    table = gram_table("resnet_bn", x, labels, 2, progress=False)
    assert table.groupby("variant").layer.apply(list).to_dict() == {
        "centred": [0, 1, 2],
        "centred_large_batch": [0, 1, 2],
    }
    variance_only = gram_table("resnet_bn", x, labels, 2, centering=False, progress=False)
    assert set(variance_only.variant) == {"variance_only"}


def test_finite_width_resnet_bn_converges_to_the_exact_theory():
    """C6 for BN: the simulated resnet_bn (per-unit BN over the batch, n = 60) converges to the
    exact theory as N grows. Error: |seed mean - theory| (16 seeds) of ratio, theta_b and
    d_w_norm, averaged over blocks 1..4 and the three; at N = 1024 below half that at N = 64
    (about a quarter expected) and below the distance to the large-batch theory."""
    prepared = prepare(*digits(), 0.2, 0.2, 60, 0)
    x, y = prepared["x_eval"], prepared["y_eval"]
    columns, depth = ["ratio", "theta_b", "d_w_norm"], 4
    exact = gram_statistics("resnet_bn", x, y, depth, progress=False)[columns].to_numpy()
    approximate = gram_statistics("resnet_bn", x, y, depth, bn="large_batch", progress=False)[
        columns
    ].to_numpy()

    def seed_mean(width):
        runs = [
            data_statistics("resnet_bn", x, y, width, depth, seed, progress=False)[columns]
            for seed in range(16)
        ]
        return np.mean([run.to_numpy() for run in runs], axis=0)

    def error(simulated, theory):
        return float(np.abs(simulated - theory)[1:].mean())

    narrow, wide = seed_mean(64), seed_mean(1024)
    assert error(wide, exact) < 0.5 * error(narrow, exact)
    assert error(wide, exact) < 0.5 * error(wide, approximate)


def test_bn_theory_timing_reports_cost_nodes_and_error():
    x = np.random.default_rng(0).standard_normal((30, 8))
    row = bn_theory_timing(x, 3, checked_layers=(0, 2)).iloc[0]
    assert row.n == 30 and row.depth == 3 and row.checked_layers == "0,2"
    assert 10 <= row.nodes_mean <= row.nodes_max < 60
    assert 0 < row.max_quadrature_error < 1e-6 and row.exact_s_per_block > 0


@pytest.mark.parametrize(
    "arch, gain",
    [("mlp", None), ("mlp_bn", None), ("resnet", 2.0)],
    ids=["mlp", "mlp_bn", "resnet"],
)
def test_he_init_asymptotics(arch, gain):
    """docs/theory.md, section 7: near c = 1 one block takes theta to theta (1 - m theta /
    (3 pi)), m the branch's weight, so l theta_l -> 3 pi / m: 3 pi for the MLP (and MLP+BN,
    the same angle map), 3 pi (1 + a) / a for the ResNet (a = s_w s_v / 2 = 2 at He init);
    the recursion meets the limits to 1e-3 at l = 1e5."""
    limit = 3 * math.pi if gain is None else 3 * math.pi * (1 + gain) / gain
    theta = angle_trajectory(arch, math.pi / 2, 100_000, layers=[100_000])[0]
    assert abs(100_000 * theta - limit) / limit < 1e-3


def test_resnet_bn_runs_the_mlp_map_on_a_logarithmic_clock():
    """ResNet+BN's branch weight falls like 1/l, so 1/theta_l grows like tau_l / (3 pi) with
    the clock tau_l = sum b / (q_k + b) ~ log l: the slope d(1/theta) / d tau tends to
    1 / (3 pi) from above (3% off between 1e3 and 1e4, 2.6% between 1e3 and 1e5)."""
    from separability.phase import bn_clock

    layers = [1_000, 10_000, 100_000]
    theta = angle_trajectory("resnet_bn", math.pi / 2, 100_000, layers=layers)
    tau = bn_clock(layers)
    slopes = [(1 / theta[i] - 1 / theta[0]) / ((tau[i] - tau[0]) / (3 * math.pi)) for i in (1, 2)]
    assert 1.0 < slopes[1] < slopes[0] < 1.04
