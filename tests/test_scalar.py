"""The compiled scalar recursion of one angle (separability/scalar.py; docs/theory.md, sections
6 and 8) for every scalar form of a block: the numpy recursion it replaces, reproduced to
float64 rounding at depth 1e5; exact against a literal high-precision iteration of the cosine
for every (skip, normalised, relu); the first block's closed forms; theta resolved to 6
significant digits past 1e-100; layers, columns and input checks; the benchmark."""

import math

import mpmath
import numpy as np
import pytest

from separability import scalar
from separability.architectures import ScalarForm
from separability.theory import kappa

MLP, RESNET, RESNET_BN, MLP_BN = (
    ScalarForm(False, False, True),
    ScalarForm(True, False, True),
    ScalarForm(True, True, True),
    ScalarForm(False, True, True),
)
LINEAR_FORMS = [form for form in scalar.FORMS if not form.relu]


def form_id(value):
    """Test id of a scalar form, e.g. "skip1-norm0-relu1" (resnet); None for other values."""
    if isinstance(value, ScalarForm):
        return f"skip{value.skip:d}-norm{value.normalised:d}-relu{value.relu:d}"
    return None


# log g of the numpy recursion the kernel replaces (theory._log_half_deficits at commit 7b123d6
# for mlp, resnet and resnet_bn, at 805d343 for mlp_bn) at layers 10, 1000, 1e5 (rows) from
# theta0 = 1e-8, 0.5, pi, each with (s_w, s_b) = (2, 0) and (1, 0.5) (columns), s_v = 2.
NUMPY_LOG_G = {
    MLP: [
        [-38.227655870245265, -44.4669565664125, -3.6874889112953833, -9.337317749054348,
         -2.6228539786580134, -7.400499065166968],
        [-38.227657971088924, -730.6816892349955, -10.764893474451522, -695.5616588049614,
         -10.742470339662502, -693.6404902247685],
        [-38.22786804436041, -69352.25256454722, -19.92610229363591, -69317.13253411726,
         -19.92587408961466, -69315.21136553708],
    ],
    RESNET: [
        [-38.22765586317174, -38.63279539196934, -3.4209681723973207, -3.5989561388944886,
         -2.0131327250877136, -1.7929792543058067],
        [-38.227657263736525, -38.63312182346203, -9.971376906677262, -9.429327593341462,
         -9.935149038996336, -9.366898319118103],
        [-38.22779731508296, -38.6332075882369, -19.115351110021948, -18.540333784927462,
         -19.114980485025214, -18.539688664585913],
    ],
    RESNET_BN: [
        [-38.227655853310935, -38.58866919764962, -3.0003730798420682, -3.304351263128791,
         -0.8411198899878259, -0.9604933920975298],
        [-38.22765586278925, -38.63262159209602, -3.3859285630417593, -3.6737209716132355,
         -1.8341059071237495, -1.9248241913598954],
        [-38.22765587254896, -38.63311597592475, -3.7173845647454096, -3.964028878693099,
         -2.500089482309497, -2.565323018926953],
    ],
    MLP_BN: [
        [-38.227655870245265, -44.8714455879031, -3.6874889112953833, -9.712808485331301,
         -2.6228539786580134, -7.716310964128152],
        [-38.227657971088924, -731.0871543424176, -10.764893474451522, -695.9364794975888,
         -10.742470339662502, -693.9535901150963],
        [-38.22786804436041, -69352.65802965465, -19.92610229363591, -69317.50735480989,
         -19.92587408961466, -69315.5244654274],
    ],
}  # fmt: skip


def log_g0(theta0):
    """log g = log sin^2(theta0 / 2) of an initial angle."""
    return 2.0 * np.log(np.sin(np.asarray(theta0, dtype=float) / 2.0))


def log_angles(form, theta0, depth, s_w=2.0, s_v=2.0, s_b=0.0, q0=1.0):
    """log theta_0..theta_depth of the compiled recursion from one angle theta0."""
    log_g = scalar.log_half_deficits(
        form, log_g0(theta0), depth, s_w, s_v, q0, s_b, np.arange(depth + 1)
    )[:, 0]
    half_chord = np.exp(0.5 * log_g)
    stretch = np.where(half_chord > 0, np.arcsin(half_chord) / half_chord, 1.0)
    return math.log(2.0) + 0.5 * log_g + np.log(stretch)


def mp_angles(form, theta0, depth, s_w, s_v, s_b, dps, q0=1.0):
    """The scalar recursion of docs/theory.md, section 6, iterated literally on cosines in
    mpmath: pre-activation u = s_w q + s_b with cosine c_u = (s_w q c + s_b) / u; the branch
    has cosine kappa(c_u) after a ReLU, c_u if linear, and second moment u / spread (1 /
    spread normalised, spread = 2 after a ReLU, else 1); a skip path adds it to the input with
    weight s_v, c' = (q c + s_v q_b c_b) / q', q' = q + s_v q_b."""
    mpmath.mp.dps = dps

    def kappa_mp(c):
        return (mpmath.sqrt(1 - c * c) + (mpmath.pi - mpmath.acos(c)) * c) / mpmath.pi

    s_w, s_v, s_b = mpmath.mpf(s_w), mpmath.mpf(s_v), mpmath.mpf(s_b)
    spread = 2 if form.relu else 1
    c, q, angles = mpmath.cos(mpmath.mpf(theta0)), mpmath.mpf(q0), []
    for _ in range(depth + 1):
        angles.append(mpmath.acos(c))
        u = s_w * q + s_b
        c_branch = (s_w * q * c + s_b) / u
        if form.relu:
            c_branch = kappa_mp(c_branch)
        q_branch = (1 if form.normalised else u) / mpmath.mpf(spread)
        if form.skip:
            q_next = q + s_v * q_branch
            c, q = (q * c + s_v * q_branch * c_branch) / q_next, q_next
        else:
            c, q = c_branch, q_branch
    return angles


@pytest.mark.parametrize("form", list(NUMPY_LOG_G), ids=form_id)
def test_reproduces_the_numpy_recursion_at_depth_1e5(form):
    theta0 = np.array([1e-8, 0.5, math.pi])[:, None]
    ours = scalar.log_half_deficits(
        form, log_g0(theta0), 100_000, [2.0, 1.0], 2.0, 1.0, [0.0, 0.5], [10, 1000, 100_000]
    )
    np.testing.assert_allclose(ours, NUMPY_LOG_G[form], rtol=1e-13, atol=0)


@pytest.mark.parametrize("form", scalar.FORMS, ids=form_id)
@pytest.mark.parametrize("s_w, s_v, s_b", [(1.0, 2.0, 0.5), (2.5, 0.7, 0.3), (2.0, 2.0, 0.0)])
def test_matches_the_cosine_recursion_in_high_precision(form, s_w, s_v, s_b):
    depth = 150
    exact = [float(mpmath.log(a)) for a in mp_angles(form, 1.2, depth, s_w, s_v, s_b, dps=80)]
    ours = log_angles(form, 1.2, depth, s_w, s_v, s_b)
    np.testing.assert_allclose(ours, exact, rtol=1e-11)


@pytest.mark.parametrize(
    "form, s_w, s_b, depth",
    [
        (MLP, 1.0, 0.5, 700),
        (MLP_BN, 1.5, 0.5, 950),
        (ScalarForm(False, False, False), 0.5, 0.2, 700),
    ],
    ids=form_id,
)
def test_angle_resolved_past_1e100(form, s_w, s_b, depth):
    """With a bias the angle falls exponentially: for the MLP at s_w < 2, for the MLP with BN
    at every s_w (its second moment is reset to 1/2, so the bias keeps its share), for a linear
    block at s_w < 1. theta passes 1e-100 and keeps 6 significant digits."""
    exact = mp_angles(form, 1.0, depth, s_w, 2.0, s_b, dps=260)
    ours = log_angles(form, 1.0, depth, s_w, 2.0, s_b)
    tiny = [layer for layer, angle in enumerate(exact) if angle < mpmath.mpf("1e-100")]
    assert tiny and tiny[0] < depth
    for layer in (100, 300, tiny[0], depth):
        assert ours[layer] == pytest.approx(float(mpmath.log(exact[layer])), rel=1e-9)
        assert float(mpmath.exp(ours[layer]) / exact[layer]) == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize("form", scalar.FORMS, ids=form_id)
def test_first_two_blocks_closed_forms(form):
    """c' from section 6 in float64 with theory.kappa: pre-activation u = s_w q + s_b, c_u =
    (s_w q c + s_b) / u; the branch (kappa(c_u) or c_u, second moment u / spread or 1 /
    spread); the skip path's mix c' = (q c + s_v q_b c_b) / (q + s_v q_b)."""
    c, q, s_w, s_v, s_b = 0.3, 1.7, 1.3, 0.8, 0.4
    expected = [c]
    for _ in range(2):
        u = s_w * q + s_b
        c_u = (s_w * q * c + s_b) / u
        c_b = float(kappa(c_u)) if form.relu else c_u
        q_b = (1.0 if form.normalised else u) / (2.0 if form.relu else 1.0)
        c, q = (
            ((q * c + s_v * q_b * c_b) / (q + s_v * q_b), q + s_v * q_b)
            if form.skip
            else (c_b, q_b)
        )
        expected.append(c)
    log_g = scalar.log_half_deficits(
        form, math.log((1 - 0.3) / 2), 2, s_w, s_v, 1.7, s_b, [0, 1, 2]
    )
    np.testing.assert_allclose(1.0 - 2.0 * np.exp(log_g[:, 0]), expected, rtol=1e-13)


def test_mlp_bn_without_bias_is_the_mlp():
    """Without bias BN only rescales the MLP's pre-activation, which the ReLU block ignores."""
    args = (log_g0(np.geomspace(1e-6, math.pi, 9)), 3000, 1.3, 2.0, 1.0, 0.0, [1, 10, 3000])
    np.testing.assert_array_equal(
        scalar.log_half_deficits(MLP_BN, *args), scalar.log_half_deficits(MLP, *args)
    )


@pytest.mark.parametrize("form", LINEAR_FORMS, ids=form_id)
def test_linear_blocks_without_bias_keep_the_angle(form):
    start = log_g0(np.geomspace(1e-8, math.pi, 7))
    log_g = scalar.log_half_deficits(form, start, 1000, 1.7, 0.6, 2.0, 0.0, [0, 1, 1000])
    np.testing.assert_array_equal(log_g, np.broadcast_to(start, log_g.shape))


@pytest.mark.parametrize("form", scalar.FORMS, ids=form_id)
def test_equal_inputs_stay_equal(form):
    """theta0 = 0 (log g = -inf) stays 0 with or without bias."""
    log_g = scalar.log_half_deficits(form, -np.inf, 50, 1.0, 2.0, 1.0, [0.0, 0.5], [0, 50])
    assert np.all(log_g == -np.inf)


def test_kappa_share_against_kappa():
    """1 - kappa(c) = (1 - c)(1 - F) at moderate angles; the series and the direct formula meet
    at SERIES_ANGLE; F(pi) = 1/2, F ~ 2 theta / (3 pi) near 0 and F(0) = 0."""
    for theta in (0.05, 0.3, 1.0, 2.5):
        share = scalar.kappa_share(theta, math.sin(theta / 2))
        expected = 1 - (1 - kappa(math.cos(theta))) / (1 - math.cos(theta))
        assert share == pytest.approx(expected, rel=1e-9)
    below, at = (scalar.SERIES_ANGLE * (1 - 1e-15), scalar.SERIES_ANGLE)
    assert scalar.kappa_share(below, math.sin(below / 2)) == pytest.approx(
        scalar.kappa_share(at, math.sin(at / 2)), rel=1e-12
    )
    assert scalar.kappa_share(math.pi, 1.0) == pytest.approx(0.5, rel=1e-15)
    assert scalar.kappa_share(1e-200, 5e-201) == pytest.approx(2e-200 / (3 * math.pi), rel=1e-15)
    assert scalar.kappa_share(0.0, 0.0) == 0.0


def test_layers_in_any_order_and_columns_broadcast():
    full = scalar.log_half_deficits(RESNET, -1.0, 50, 2.0, 2.0, 1.0, 0.3, np.arange(51))
    picked = scalar.log_half_deficits(RESNET, -1.0, 50, 2.0, 2.0, 1.0, 0.3, [50, 3, 3, 10])
    np.testing.assert_array_equal(picked, full[[50, 3, 3, 10]])
    assert scalar.log_half_deficits(RESNET, -1.0, 50, 2.0, 2.0, 1.0, 0.3, []).shape == (0, 1)
    s_w, s_b = np.array([[1.0], [2.0]]), np.array([0.0, 0.5])
    grid = scalar.log_half_deficits(MLP, [-1.0, -2.0], 20, s_w, 2.0, 1.0, s_b, [0, 20])
    assert grid.shape == (2, 4)  # columns: broadcast (2, 2), flattened in C order: 2 is [1, 0]
    one = scalar.log_half_deficits(MLP, -1.0, 20, 2.0, 2.0, 1.0, 0.0, [0, 20])
    np.testing.assert_array_equal(grid[:, [2]], one)
    np.testing.assert_array_equal(
        grid, scalar.log_half_deficits(MLP, [-1.0, -2.0], 20, s_w, 2.0, 1.0, s_b, [0, 20])
    )


@pytest.mark.parametrize(
    "change, match",
    [
        ({"form": "mlp"}, "ScalarForm"),
        ({"depth": -1}, "depth"),
        ({"s_w": 0.0}, "s_w > 0"),
        ({"s_v": -1.0}, "s_v >= 0"),
        ({"q0": 0.0}, "q0 > 0"),
        ({"s_b": [0.1, -0.1]}, "s_b >= 0"),
        ({"layers": [0, 6]}, "layers"),
        ({"layers": [-1]}, "layers"),
    ],
)
def test_rejects_bad_input(change, match):
    args = {"form": MLP, "log_g0": -1.0, "depth": 5, "s_w": 2.0, "s_v": 2.0, "q0": 1.0}
    args |= {"s_b": 0.0, "layers": [0, 5]} | change
    with pytest.raises(ValueError, match=match):
        scalar.log_half_deficits(**args)


def test_recursion_seconds_of_every_form_and_the_start_up():
    """What benchmark.scalar_timing reports: a time for every scalar form, and the kernel's
    start-up costs measured in fresh interpreters."""
    assert all(scalar.recursion_seconds(form, depth=100, angles=4) > 0 for form in scalar.FORMS)
    startup = scalar.startup_seconds()
    assert list(startup) == ["import_s", "compile_s", "cached_load_s"]
    assert all(seconds > 0 for seconds in startup.values())
