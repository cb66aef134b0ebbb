"""The Gram-space sampler (separability.finite_width, docs/theory.md section 9.1) against the
real networks of separability.models: the same law of every per-layer statistic, a wrong chain
rejected by the same test, determinism, the infinite-width limit, small angles, errors.

The real side is SeparabilityNet.initialise(seed) for seeds 0..NETWORKS-1, its parameters
stacked and propagated as one batch of networks by the registry's block definition with
propagation.propagate's rescaling (test_stacked_networks_are_the_models checks that this is
the models' own propagation); both sides' statistics are computed by one function of the Gram
matrices (test_stacked_statistics_are_layer_statistics ties it to layer_statistics)."""

import functools
import math

import numpy as np
import pytest
import torch
from scipy import stats

from separability import architectures, finite_width, theory
from separability.benchmark import finite_width_timing
from separability.models import SeparabilityNet
from separability.propagation import input_features, pair_inputs, propagate
from separability.statistics import class_pair_masks, gram, layer_statistics

NETWORKS = 1000  # independent networks per side of every comparison
WIDTH, DEPTH = 32, 10
SAMPLER_SEED = 20_190_805  # fixed once; the real networks use seeds 0..NETWORKS-1
ALPHA = 1e-3  # family-wise level of one comparison, Bonferroni-split over its KS tests
THETA0 = math.pi / 2
LABELS = np.array([0, 0, 1, 1, 2, 2])
BIAS = {"s_b": 0.5}
VARIANCE_ONLY = {"bn_centering": False}

# Centred BN only in the batch cases: it makes a lone pair antipodal (docs/theory.md, section 6).
PAIR_CASES = [
    ("mlp", {}),
    ("mlp", BIAS),
    ("resnet", {}),
    ("resnet", BIAS),
    ("resnet_bn", VARIANCE_ONLY),
    ("resnet_bn", {**VARIANCE_ONLY, **BIAS}),
    ("mlp_bn", VARIANCE_ONLY),
    ("mlp_bn", {**VARIANCE_ONLY, **BIAS}),
]
BATCH_CASES = [
    ("mlp", {}),
    ("mlp", {"s_w": 1.5, **BIAS}),
    ("resnet", {}),
    ("resnet", {"s_v": 0.5}),
    ("resnet", {"s_v": 1.5, "resnet_rescale": True, **BIAS}),
    ("resnet_bn", {}),
    ("resnet_bn", BIAS),
    ("resnet_bn", VARIANCE_ONLY),
    ("resnet_bn", {**VARIANCE_ONLY, **BIAS}),
    ("mlp_bn", {}),
    ("mlp_bn", BIAS),
    ("mlp_bn", VARIANCE_ONLY),
    ("mlp_bn", {**VARIANCE_ONLY, **BIAS}),
]


def case_id(case) -> str:
    arch, kwargs = case
    return "-".join([arch, *(f"{key}={value}" for key, value in kwargs.items())])


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread: on a shared machine more only slow the small batched products."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@functools.cache
def labelled_batch() -> np.ndarray:
    """Six inputs of three classes in R^10 (LABELS): class means plus noise, ratio above 1."""
    rng = np.random.default_rng(7)
    means = rng.standard_normal((3, 10))
    return means[LABELS] + 0.5 * rng.standard_normal((6, 10))


def stacked_models(arch, in_dim, width, depth, networks, **model_kwargs):
    """The model and the parameters SeparabilityNet.initialise(seed) draws for seeds
    0..networks-1: for each linear layer in order (input layer, then each block's W and, with a
    skip path, V) its weight and bias stacked over the seeds."""
    model = SeparabilityNet(arch, in_dim, width, depth, **model_kwargs)
    layers = [model.input] + [
        layer for block in model.blocks for layer in (block.w, block.v) if layer is not None
    ]
    weights = [torch.empty((networks, *layer.weight.shape)) for layer in layers]
    biases = [torch.empty((networks, layer.out_features)) for layer in layers]
    for seed in range(networks):
        model.initialise(seed)
        for layer, weight, bias in zip(layers, weights, biases):
            weight[seed], bias[seed] = layer.weight.detach(), layer.bias.detach()
    return model, list(zip(weights, biases))


def stacked_norm(block):
    """The block's normalisation applied to every network of a stack (networks x n x N) on its
    own batch: centred BN per unit over the n samples, or one root mean square per network
    (models.VarianceNorm), or the identity."""
    if not block.entry.normalised:
        return lambda u: u
    eps = block.norm.eps
    if isinstance(block.norm, torch.nn.BatchNorm1d):

        def centred(u):
            u = u - u.mean(dim=1, keepdim=True)
            return u * torch.rsqrt(u.square().mean(dim=1, keepdim=True) + eps)

        return centred
    return lambda u: u * torch.rsqrt(u.square().mean(dim=(1, 2), keepdim=True) + eps)


def network_grams(arch, h0, depth, networks, x=None, **model_kwargs):
    """Per-unit Grams (networks x (depth + 1) x n x n, float64) and log scales of the real
    networks of seeds 0..networks-1 on a batch: with ``x`` the inputs go through the input
    layer, else ``h0`` (n x N) is fed straight into the first block. Each block is the
    registry's block with the stacked weights, rescaled as propagation.propagate does."""
    width = h0.shape[1] if x is None else WIDTH
    in_dim = width if x is None else x.shape[1]
    model, linears = stacked_models(arch, in_dim, width, depth, networks, **model_kwargs)
    linears = iter(linears)
    input_weight, _ = next(linears)  # the input layer's bias is zero
    with torch.no_grad():
        if x is None:
            h = h0.expand(networks, *h0.shape).clone()
        else:
            h = torch.as_tensor(x, dtype=torch.float32) @ input_weight.transpose(1, 2)
        log_scale = torch.zeros(networks, dtype=torch.float64)
        grams, scales = [gram_of(h)], [log_scale]
        for block in model.blocks:
            bias_scale = torch.exp(-0.5 * log_scale).float()[:, None, None]
            w = stacked_linear(*next(linears), bias_scale)
            v = stacked_linear(*next(linears), bias_scale) if block.v is not None else None
            h = block.entry.block(h, w, v, stacked_norm(block))
            if block.out_scale != 1.0:
                h = h / block.out_scale
            if block.entry.homogeneous:
                mean_square = h.square().mean(dim=(1, 2))
                h = h / mean_square.sqrt()[:, None, None]
                log_scale = log_scale + mean_square.double().log()
            grams.append(gram_of(h))
            scales.append(log_scale)
    return np.stack(grams, axis=1), torch.stack(scales, dim=1).numpy()


def stacked_linear(weight, bias, bias_scale):
    """The linear layer of every network of a stack applied to its own features, its bias
    multiplied by each network's ``bias_scale`` (models.Block.linear)."""
    return lambda u: torch.baddbmm(bias[:, None] * bias_scale, u, weight.transpose(1, 2))


def gram_of(h: torch.Tensor) -> np.ndarray:
    """Per-unit Gram H H^T / N of each network of a stack (networks x n x N), float64."""
    h = h.double()
    return (h @ h.transpose(1, 2) / h.shape[2]).numpy()


def sampled_grams(arch, gram0, depth, random, **chain):
    """The sampler's Grams (networks x (depth + 1) x n x n) and log scales from the stack
    gram0 (networks x n x n) at WIDTH."""
    steps = finite_width.sample_trajectory(arch, gram0, WIDTH, depth, random, **chain)
    grams, scales = zip(*((gram, log_scale) for _, gram, log_scale in steps))
    return np.stack(grams, axis=1), np.stack(scales, axis=1)


def stacked_statistics(grams, log_scale, labels):
    """log_q, ratio and theta_w (each networks x layers) of layer_statistics, computed for a
    whole stack of Grams (networks x layers x n x n) at once."""
    masks = class_pair_masks(labels)
    within = masks.n_within
    diag = np.diagonal(grams, axis1=-2, axis2=-1)
    cross = grams[..., masks.rows, masks.cols]
    norms = diag[..., masks.rows] + diag[..., masks.cols]
    distance = np.sqrt(np.maximum(norms - 2.0 * cross, 0.0))
    cos = cross / np.sqrt(diag[..., masks.rows] * diag[..., masks.cols])
    return {
        "log_q": np.log(diag.mean(axis=-1)) + log_scale,
        "ratio": distance[..., within:].mean(axis=-1) / distance[..., :within].mean(axis=-1),
        "theta_w": np.arccos(np.clip(cos[..., :within], -1.0, 1.0)).mean(axis=-1),
    }


def ks_p_values(sampled: dict, real: dict, first_layer: int = 0) -> np.ndarray:
    """Two-sample KS p-values of every statistic at every layer from ``first_layer`` on."""
    return np.array(
        [
            stats.ks_2samp(sampled[name][:, layer], real[name][:, layer]).pvalue
            for name in real
            for layer in range(first_layer, real[name].shape[1])
        ]
    )


def same_law(p_values: np.ndarray) -> bool:
    """Whether every test passes at the Bonferroni level ALPHA / (number of tests)."""
    return bool(p_values.min() > ALPHA / len(p_values))


@functools.cache
def real_pair_angles(arch, chain_items) -> dict:
    """theta_l (NETWORKS x layers) of the pair at THETA0 in the real networks (computed once
    per architecture and parameters, ``chain_items`` the sorted items of their dict)."""
    h0, _ = pair_inputs(WIDTH, [THETA0], 1, seed=0)
    grams, _ = network_grams(arch, h0, DEPTH, NETWORKS, **dict(chain_items))
    return {"theta": finite_width.pair_angle(grams)}


@functools.cache
def real_batch_statistics(arch, chain_items) -> dict:
    """log_q, ratio, theta_w of the labelled batch in the real networks (computed once per
    architecture and parameters)."""
    x = labelled_batch()
    grams = network_grams(arch, None, DEPTH, NETWORKS, x=x, **dict(chain_items))
    return stacked_statistics(*grams, LABELS)


def pair_comparison(arch, **chain) -> np.ndarray:
    """KS p-values of theta_l at layers 1..DEPTH (layer 0 is the input pair on both sides):
    ``pair_angles`` against the real networks."""
    sampled = {
        "theta": finite_width.pair_angles(
            arch, THETA0, WIDTH, DEPTH, NETWORKS, SAMPLER_SEED, **chain
        )
    }
    return ks_p_values(sampled, real_pair_angles(arch, tuple(sorted(chain.items()))), 1)


def batch_comparison(arch, **chain) -> np.ndarray:
    """KS p-values of log_q, ratio and theta_w at layers 0..DEPTH: the sampler (input layer
    included) against the real networks on the labelled batch."""
    random = finite_width.Streams(SAMPLER_SEED)
    gram0 = finite_width.input_grams(labelled_batch(), WIDTH, NETWORKS, random)
    sampled = stacked_statistics(*sampled_grams(arch, gram0, DEPTH, random, **chain), LABELS)
    return ks_p_values(sampled, real_batch_statistics(arch, tuple(sorted(chain.items()))))


@pytest.mark.parametrize("arch,chain", PAIR_CASES, ids=map(case_id, PAIR_CASES))
def test_pair_angles_have_the_networks_law(arch, chain):
    """theta_l of a pair at angle pi/2 fed straight into the first block (pair_angles against
    the real networks, 1,000 each): no layer 1..DEPTH tells them apart (KS, Bonferroni over
    10 tests)."""
    assert same_law(pair_comparison(arch, **chain))


@pytest.mark.parametrize("arch,chain", BATCH_CASES, ids=map(case_id, BATCH_CASES))
def test_batch_statistics_have_the_networks_law(arch, chain):
    """log q, the distance ratio and the within-class angle of a labelled batch of 6 (3
    classes), input layer included, at layers 0..DEPTH: sampler and real networks (1,000 each)
    agree at every layer (KS, Bonferroni over 33 tests)."""
    assert same_law(batch_comparison(arch, **chain))


def residual_without_cross_term(gram, branch, width, s_v, random):
    """A wrong residual step: K' = K + M W M^T / N with W ~ Wishart_n(N, I), the law the
    stream would have if V R were independent of H's directions (no cross term T^T U_1)."""
    mix = np.swapaxes(finite_width.gram_factor(s_v * branch), 1, 2)
    noise = finite_width.bartlett_factor(random.small, len(gram), width, gram.shape[-1]) @ mix
    return gram + np.swapaxes(noise, 1, 2) @ noise / width


@pytest.mark.parametrize(
    "comparison,chain", [(pair_comparison, {}), (batch_comparison, {"s_v": 0.5})]
)
def test_chain_without_cross_term_is_rejected(comparison, chain, monkeypatch):
    """The comparisons that pass for the true chain (the same cases of
    test_pair_angles_have_the_networks_law and test_batch_statistics_have_the_networks_law)
    reject the resnet chain whose residual step drops the cross term (same mean, wrong
    fluctuations): the tests have power. (The batch comparison at s_v = 2 is weaker: there the
    cross term is a smaller share of the stream's fluctuation.)"""
    monkeypatch.setattr(finite_width, "residual_gram", residual_without_cross_term)
    assert not same_law(comparison("resnet", **chain))


@pytest.mark.parametrize("arch,chain", BATCH_CASES, ids=map(case_id, BATCH_CASES))
def test_stacked_networks_are_the_models(arch, chain):
    """The stacked propagation of the comparisons is the models' own: its Grams (at the true
    scale) equal those of propagation.propagate on SeparabilityNet.initialise(seed), for the
    labelled batch through the input layer and for the pair fed straight in, at every layer."""
    x = labelled_batch()
    h0, _ = pair_inputs(WIDTH, [THETA0], 1, seed=0)
    batch = network_grams(arch, None, 4, 2, x=x, **chain)
    pair = network_grams(arch, h0, 4, 2, **chain)
    for seed in range(2):
        model = SeparabilityNet(arch, 10, WIDTH, 4, **chain).initialise(seed)
        pair_model = SeparabilityNet(arch, WIDTH, WIDTH, 4, **chain).initialise(seed)
        runs = [(batch, model, input_features(model, x)), (pair, pair_model, h0)]
        for (grams, log_scale), net, features in runs:
            for layer, h, scale in propagate(net, features):
                np.testing.assert_allclose(
                    grams[seed, layer] * math.exp(log_scale[seed, layer]),
                    gram(h) * math.exp(scale),
                    rtol=2e-4,
                    atol=1e-6,
                )


def test_stacked_statistics_are_layer_statistics():
    grams = finite_width.input_grams(
        np.random.default_rng(0).standard_normal((6, 5)), 8, 4, finite_width.Streams(0)
    )
    ours = stacked_statistics(grams[:, None], np.full((4, 1), 0.3), LABELS)
    for k in range(4):
        expected = layer_statistics(grams[k], class_pair_masks(LABELS), 0.3)
        for name, values in ours.items():
            assert values[k, 0] == pytest.approx(expected[name], rel=1e-12)


def test_same_seed_same_arrays_other_seed_differs():
    first = finite_width.pair_angles("resnet", 1.0, 16, 5, 8, seed=3, s_b=0.1)
    again = finite_width.pair_angles("resnet", 1.0, 16, 5, 8, seed=3, s_b=0.1)
    other = finite_width.pair_angles("resnet", 1.0, 16, 5, 8, seed=4, s_b=0.1)
    np.testing.assert_array_equal(first, again)
    assert not np.any(first[:, 1:] == other[:, 1:])
    x = labelled_batch()
    table = finite_width.data_statistics("resnet_bn", x, LABELS, 16, 4, 3, seed=5)
    again = finite_width.data_statistics("resnet_bn", x, LABELS, 16, 4, 3, seed=5)
    assert table.equals(again)


def test_data_statistics_are_layer_statistics_of_the_chain():
    """One row per network and recorded layer, the statistics of layer_statistics applied to
    the chain drawn from the same seed (input layer, then sample_trajectory)."""
    table = finite_width.data_statistics(
        "mlp", labelled_batch(), LABELS, 16, 5, 3, seed=2, layers=[0, 5], s_b=0.2
    )
    assert table[["network", "layer"]].values.tolist() == [[0, 0], [1, 0], [2, 0]] + [
        [0, 5],
        [1, 5],
        [2, 5],
    ]
    assert set(table.arch) == {"mlp"} and set(table.width) == {16} and set(table.seed) == {2}
    random = finite_width.Streams(2)
    gram0 = finite_width.input_grams(labelled_batch(), 16, 3, random)
    *_, (_, last, log_scale) = finite_width.sample_trajectory("mlp", gram0, 16, 5, random, s_b=0.2)
    expected = layer_statistics(last[1], class_pair_masks(LABELS), log_scale[1])
    row = table[(table.layer == 5) & (table.network == 1)].iloc[0]
    for name, value in expected.items():
        assert row[name] == value


@pytest.mark.parametrize(
    "arch,chain,bn",
    [
        ("mlp", BIAS, "exact"),
        ("resnet", BIAS, "exact"),
        ("resnet_bn", {}, "exact"),
        ("mlp_bn", BIAS, "exact"),
        ("resnet_bn", {**VARIANCE_ONLY, **BIAS}, "large_batch"),
        ("mlp_bn", VARIANCE_ONLY, "large_batch"),
    ],
)
def test_mean_step_is_the_infinite_width_map(arch, chain, bn):
    """The mean of one sampled block over 400 networks at N = 2048 is theory.gram_step within
    5 standard errors in every entry: exactly its mean for per-unit maps (i.i.d. rows; BN's eps
    aside), and its large-N limit for the shared normaliser (whose form is large_batch)."""
    x = np.random.default_rng(1).standard_normal((4, 6))
    gram = theory.input_gram(x)
    stack = np.broadcast_to(gram, (400, 4, 4))
    steps = finite_width.block_step(arch, stack, 2048, finite_width.Streams(9), **chain)
    expected = theory.gram_step(
        arch, gram, s_b=chain.get("s_b", 0.0), bn_centering=chain.get("bn_centering", True), bn=bn
    )
    error = steps.std(axis=0, ddof=1) / math.sqrt(len(steps))
    assert np.all(np.abs(steps.mean(axis=0) - expected) < 5 * error + 1e-12)


def test_small_angles_follow_the_deficit_precise_theory():
    """In the ordered phase (mlp, s_w = 1, s_b = 1) a pair from 1e-2 rad closes to about
    1.5e-4 rad in 12 blocks; at N = 2^14 the mean log angle of 64 sampled networks follows
    theory.log_angle_trajectory within 5 standard errors at every layer 1..12, where a float32
    Gram (epsilon 6e-8 against 1 - cos theta = 1e-8) could not resolve the angle at all; the
    input angle itself is read back to its rounding bound eps / theta^2."""
    depth, chain = 12, {"s_w": 1.0, "s_b": 1.0}
    angles = finite_width.pair_angles("mlp", 1e-2, 2**14, depth, 64, seed=11, **chain)
    theory_log = theory.log_angle_trajectory("mlp", 1e-2, depth, **chain)
    log_angles = np.log(angles[:, 1:])
    error = log_angles.std(axis=0, ddof=1) / math.sqrt(len(angles))
    assert angles[:, -1].max() < 3e-4
    assert np.all(np.abs(log_angles.mean(axis=0) - theory_log[1:]) <= 5 * error)
    np.testing.assert_allclose(angles[:, 0], 1e-2, rtol=1e-11)


def test_input_layer_is_the_wishart_law():
    """E K_0 = s_in X X^T / D (theory.input_gram); below the batch size (N < n) K_0 has rank N."""
    x = np.random.default_rng(3).standard_normal((5, 7))
    grams = finite_width.input_grams(x, 64, 2000, finite_width.Streams(0), s_in=2.0)
    error = grams.std(axis=0, ddof=1) / math.sqrt(len(grams))
    np.testing.assert_array_less(np.abs(grams.mean(axis=0) - theory.input_gram(x, 2.0)), 5 * error)
    narrow = finite_width.input_grams(x, 3, 10, finite_width.Streams(0))
    assert np.all(np.linalg.matrix_rank(narrow, tol=1e-10) == 3)


@pytest.mark.parametrize("arch", architectures.names())
def test_width_below_the_batch(arch):
    """N < n: every block keeps rank <= N (N units cannot span more) and stays finite."""
    x = np.random.default_rng(4).standard_normal((6, 8))
    random = finite_width.Streams(1)
    gram0 = finite_width.input_grams(x, 3, 5, random)
    *_, (_, last, log_scale) = finite_width.sample_trajectory(arch, gram0, 3, 4, random, s_b=0.1)
    assert np.all(np.isfinite(last)) and np.all(np.isfinite(log_scale))
    assert np.all(np.linalg.matrix_rank(last, tol=1e-9) <= 3)


def test_bartlett_factor_is_the_wishart_law():
    """E R^T R = dof I, E (R^T R)_ii^2 = dof (dof + 2); below n the rank is dof."""
    random = np.random.default_rng(0)
    factor = finite_width.bartlett_factor(random, 20000, 5, 3)
    draws = factor.swapaxes(1, 2) @ factor
    error = draws.std(axis=0, ddof=1) / math.sqrt(len(draws))
    np.testing.assert_array_less(np.abs(draws.mean(axis=0) - 5 * np.eye(3)), 5 * error)
    diagonal = draws[:, 0, 0] ** 2
    assert abs(diagonal.mean() - 35) < 5 * diagonal.std() / math.sqrt(len(diagonal))
    singular = finite_width.bartlett_factor(random, 4, 2, 5)
    assert singular.shape == (4, 2, 5)
    assert np.all(np.linalg.matrix_rank(singular.swapaxes(1, 2) @ singular) == 2)


def test_deep_chains_stay_finite():
    """resnet's second moment grows like 3^l (float64 overflows near l = 650): 3,000 blocks are
    carried as a log scale, which grows by log 3 per block (up to the finite-width Jensen
    deficit, about 2/N per block)."""
    angles = finite_width.pair_angles("resnet", 1.0, 8, 3000, 2, seed=0, layers=[3000])
    assert np.all(np.isfinite(angles)) and np.all(angles >= 0)
    random = finite_width.Streams(0)
    gram0 = np.broadcast_to(np.eye(2), (2, 2, 2))
    *_, (_, _, log_scale) = finite_width.sample_trajectory("resnet", gram0, 1024, 3000, random)
    np.testing.assert_allclose(log_scale / 3000, math.log(3.0), rtol=0.01)


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: finite_width.pair_angles("vgg", 1.0, 8, 2, 2, 0), "unknown architecture"),
        (lambda: finite_width.pair_angles("mlp", 4.0, 8, 2, 2, 0), "theta0"),
        (lambda: finite_width.pair_angles("mlp", 1.0, 0, 2, 2, 0), "width"),
        (lambda: finite_width.pair_angles("mlp", 1.0, 8, -1, 2, 0), "depth"),
        (lambda: finite_width.pair_angles("mlp", 1.0, 8, 2, 0, 0), "networks"),
        (lambda: finite_width.pair_angles("mlp", 1.0, 8, 2, 2, 0, layers=[3]), "layers"),
        (
            lambda: finite_width.block_step("mlp", np.eye(2), 8, finite_width.Streams(0)),
            "stack of Gram",
        ),
        (
            lambda: finite_width.block_step("mlp", np.ones((2, 2, 3)), 8, finite_width.Streams(0)),
            "stack of Gram",
        ),
    ],
)
def test_bad_input_raises(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_finite_width_timing_columns():
    table = finite_width_timing(
        width=16, depth=3, networks=4, large_width=32, large_depth=5, large_networks=2
    )
    assert len(table) == 1
    seconds = table.filter(regex="_s(_per_.*)?$").to_numpy()
    assert np.all(np.isfinite(seconds) & (seconds > 0))
    row = table.iloc[0]
    assert row.speedup == pytest.approx(row.network_s_per_layer / row.sampler_s_per_network_layer)
