"""Random-init propagation: determinism, scale handling, and agreement with the theory (C6)."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from separability.data import digits, prepare
from separability.models import SeparabilityNet
from separability.propagation import (
    data_statistics,
    input_features,
    pair_inputs,
    pair_statistics,
    propagate,
)
from separability.statistics import class_pair_masks, gram, layer_statistics, recorded_layers
from separability.theory import cosine_trajectory
from separability.theory_tables import gram_statistics

ARCHS = ("mlp", "resnet", "resnet_bn")


@pytest.fixture(scope="module")
def evaluation():
    prepared = prepare(*digits(), 0.2, 0.2, 100, 0)
    return prepared["x_eval"], prepared["y_eval"]


@pytest.mark.parametrize("arch", ARCHS)
def test_same_seed_same_output_different_seed_differs(arch, evaluation):
    x, y = evaluation
    first = data_statistics(arch, x, y, 32, 6, seed=3, progress=False)
    again = data_statistics(arch, x, y, 32, 6, seed=3, progress=False)
    other = data_statistics(arch, x, y, 32, 6, seed=4, progress=False)
    pd.testing.assert_frame_equal(first, again, check_exact=True)
    assert not np.allclose(first.ratio.iloc[1:], other.ratio.iloc[1:])


def test_no_overflow_at_depth(evaluation):
    """resnet's second moment grows like 3^l (float32 overflows near l = 80): at depth 1500 it
    is carried as a log, and every statistic stays finite."""
    x, y = evaluation
    table = data_statistics(
        "resnet", x[:30], y[:30], 256, 1500, seed=0, progress=False, layers=[0, 10, 1500]
    )
    assert np.isfinite(table.drop(columns="arch").to_numpy(dtype=float)).all()
    growth = (table.log_q.iloc[-1] - table.log_q.iloc[0]) / 1500
    assert growth == pytest.approx(math.log(3.0), rel=0.02)


@pytest.mark.parametrize("arch", ARCHS)
def test_rescaling_changes_no_statistic(arch, evaluation):
    """Dividing h_l by a scalar (mlp, resnet) leaves every statistic as the plain forward pass
    of the model gives it."""
    x, y = evaluation
    model = SeparabilityNet(arch, x.shape[1], 64, 12).initialise(5)
    with torch.no_grad():
        plain = model.hidden(torch.as_tensor(x))
    masks = class_pair_masks(y)
    expected = layer_statistics(gram(plain), masks)
    *_, (layer, h, log_scale) = propagate(model, input_features(model, x))
    ours = layer_statistics(gram(h), masks, log_scale)
    for key, value in expected.items():
        assert ours[key] == pytest.approx(value, rel=1e-4), key


def test_recorded_layers():
    layers = recorded_layers(1000, 50, 20)
    assert layers[0] == 0 and layers[-1] == 1000
    assert set(range(51)) <= set(layers)
    assert len(layers) < 80


def test_pair_inputs_have_the_requested_angles():
    batch, angle0 = pair_inputs(64, [math.pi / 2, 0.1], 3, seed=0)
    pairs = batch.double().reshape(-1, 2, 64)
    np.testing.assert_allclose((pairs**2).mean(dim=2).numpy(), 1.0, rtol=1e-6)
    cos = torch.nn.functional.cosine_similarity(pairs[:, 0], pairs[:, 1], dim=1).numpy()
    np.testing.assert_allclose(np.arccos(np.clip(cos, -1, 1)), angle0, atol=1e-3)


def finite_width_error(arch, evaluation, width, seeds=6, depth=8):
    """Mean over layers of |mean over seeds of the simulation - theory| of (ratio, theta_b);
    resnet_bn with per-unit BN against the exact BN theory (the default of both)."""
    x, y = evaluation
    theory = gram_statistics(arch, x, y, depth, progress=False)
    runs = [
        data_statistics(arch, x, y, width, depth, seed, progress=False)[
            ["ratio", "theta_b"]
        ].to_numpy()
        for seed in range(seeds)
    ]
    error = np.abs(np.mean(runs, axis=0) - theory[["ratio", "theta_b"]].to_numpy())
    return error[1:].mean(axis=0)


@pytest.mark.parametrize("arch", ARCHS)
def test_simulation_converges_to_theory(arch, evaluation):
    """C6: the simulation is within a few percent of the theory at N = 2048 and its error is
    clearly smaller than at N = 128 (about N^-1/2: a factor 4 expected)."""
    narrow = finite_width_error(arch, evaluation, 128)
    wide = finite_width_error(arch, evaluation, 2048)
    assert np.all(wide < 0.5 * narrow), (narrow, wide)
    assert wide[0] < 0.01 and wide[1] < 0.02


@pytest.mark.parametrize("arch", ARCHS)
def test_pairs_follow_the_scalar_recursion(arch):
    """Controlled pairs fed straight into the blocks follow the scalar theory on average."""
    angles = [math.pi / 2, 0.5]
    table = pd.concat(
        [
            pair_statistics(arch, 512, 10, seed, angles, 8, progress=False, bn_centering=False)
            for seed in range(4)
        ]
    )
    simulated = table[table.layer == 10].groupby("angle0").cos.mean().loc[angles].to_numpy()
    theory = cosine_trajectory(arch, np.cos(angles), 10)[:, -1]
    np.testing.assert_allclose(simulated, theory, atol=0.02)


@pytest.mark.parametrize("arch", ["mlp", "resnet"])
def test_dead_features_are_data_not_an_error(arch):
    """Features that are all zero (every unit dead) pass through the rescaling of the
    homogeneous architectures unchanged and give NaN statistics, never a division by zero."""
    model = SeparabilityNet(arch, 8, 16, 3).initialise(0)
    layers = list(propagate(model, torch.zeros(6, 16)))
    assert [layer for layer, _, _ in layers] == [0, 1, 2, 3]
    assert all(not h.any() and log_scale == 0.0 for _, h, log_scale in layers)
    masks = class_pair_masks(np.array([0, 0, 0, 1, 1, 1]))
    assert all(math.isnan(v) for v in layer_statistics(gram(layers[-1][1]), masks).values())
