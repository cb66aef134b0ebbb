"""The phase diagram of the angle's decay law over (s_w, s_b) (figure 8, C4): known cells,
the logarithmic clock of resnet_bn, simulated cells, the C4 region and the figure."""

import math

import numpy as np
import pandas as pd
import pytest

from separability.claims import angles
from separability.phase import (
    SIMULATION_FLOOR,
    bn_clock,
    clock_table,
    grid_axis,
    paper_region,
    simulated_phase,
    theory_phase,
)
from separability.plotting import phase_diagram


@pytest.fixture(scope="module")
def phase():
    """The scalar theory's laws at a few cells, to depth 1e4 (window [1e3, 1e4])."""
    s_w, s_b = [1.0, 1.5, 2.0, 3.0], [0.0, 0.5]
    return pd.concat(
        [theory_phase(arch, s_w, s_b, 10_000) for arch in ("mlp", "resnet", "resnet_bn")],
        ignore_index=True,
    )


def law_at(phase, arch, s_w, s_b):
    return phase[(phase.arch == arch) & (phase.s_w == s_w) & (phase.s_b == s_b)].iloc[0]


def test_mlp_cells(phase):
    """With a bias and s_w < 2 the MLP's angle decays exponentially at rate -log(s_w / 2) / 2
    per layer (1 - c contracts by s_w / 2); without bias or with s_w >= 2 like 1 / l."""
    for s_w in (1.0, 1.5):
        cell = law_at(phase, "mlp", s_w, 0.5)
        assert cell.law == "exponential"
        assert cell.rate == pytest.approx(-math.log(s_w / 2) / 2, rel=1e-6)
    for s_w, s_b in ((1.0, 0.0), (2.0, 0.0), (3.0, 0.5)):
        assert law_at(phase, "mlp", s_w, s_b).law == "reciprocal"


def test_skip_cells(phase):
    """The ResNet's second moment grows geometrically, so the bias fades: 1 / l everywhere;
    ResNet+BN's angle follows the inverse-log law, theta log l tending to 3 pi."""
    assert set(phase[phase.arch == "resnet"].law) == {"reciprocal"}
    bn = phase[phase.arch == "resnet_bn"]
    assert set(bn.law) == {"inverse_log"}
    assert np.all((bn.rate > 8.0) & (bn.rate < 3 * math.pi))


def test_bn_clock_is_logarithmic():
    tau = bn_clock([1000, 10_000, 100_000])
    assert np.diff(tau) == pytest.approx([math.log(10)] * 2, rel=1e-3)
    clock = clock_table(10_000)
    deep = clock[clock.layer >= 100]
    ratio = deep.theta_bn / deep.theta_mlp_at_tau
    assert np.all((ratio > 1.0) & (ratio < 1.15))
    assert np.all(np.diff(deep.theta_log_l) > 0) and deep.theta_log_l.iloc[-1] < 3 * math.pi


def test_grid_axis_hits_he_init():
    assert 2.0 in grid_axis(0.5, 3.0, 26)


def test_simulated_cells_are_fitted_above_the_floor():
    layers = np.arange(0, 101)
    rows = []
    for network in range(2):
        theta = np.maximum(1.5 * np.exp(-0.3 * layers), 1e-7)  # a floor from l ~ 50
        rows.append(
            pd.DataFrame(
                {
                    "arch": "mlp",
                    "s_w": 1.0,
                    "s_b": 0.5,
                    "layer": layers,
                    "theta": theta,
                    "network": network,
                    "width": 64,
                }
            )
        )
        rows.append(
            pd.DataFrame(
                {
                    "arch": "mlp",
                    "s_w": 0.5,
                    "s_b": 1.0,
                    "layer": layers,
                    "theta": np.where(layers < 12, 1.0, 1e-9),
                    "network": network,
                    "width": 64,
                }
            )
        )
    table = simulated_phase(pd.concat(rows)).set_index("s_w")
    assert table.loc[1.0, "law"] == "exponential"
    assert table.loc[1.0, "rate"] == pytest.approx(0.3, rel=1e-6)
    assert 1.5 * math.exp(-0.3 * table.loc[1.0, "last"]) > SIMULATION_FLOOR
    assert table.loc[0.5, "law"] == "unresolved"


def test_c4_region(phase):
    """Over the phase grid, the share of cells where each of the paper's words describes the
    law (the dictionary: sub-exponential covers power, reciprocal and inverse-log laws), and
    the law at He init; the replaced test's share by name beside it."""
    region = paper_region(phase, angles.PAPER_LAWS)
    assert region["mlp"]["fraction"] == pytest.approx(2 / 8)
    assert sorted(region["mlp"]["cells"]) == [[1.0, 0.5], [1.5, 0.5]]
    words = angles.phase_words(phase, "mlp")
    assert words["shares"]["exponential"] == pytest.approx(2 / 8)
    assert words["he_init"] == {"s_w": 2.0, "s_b": 0.0, "law": "reciprocal"}
    layers = np.arange(0, 5001)
    scalar = pd.concat(
        [
            pd.DataFrame({"arch": arch, "angle0": 1.5, "layer": layers, "theta": k / (1 + layers)})
            for arch, k in (("mlp", 9.0), ("resnet", 14.0), ("resnet_bn", 20.0))
        ]
    )
    pairs = pd.concat([scalar[scalar.layer <= 100].assign(seed=s, width=512) for s in range(2)])
    wide = pd.concat([scalar[scalar.layer <= 1000].assign(network=n, width=4096) for n in range(2)])
    result = angles.claim_c4(scalar, pairs, wide, None, phase)
    assert result["measured"]["phase"]["mlp"]["he_init"]["law"] == "reciprocal"
    entry = next(e for e in result["secondary"] if "phase diagram" in e["name"])
    assert "exponential on 25% of the 8 cells" in entry["evidence"]


def test_phase_figure(phase):
    layers = np.arange(0, 61)
    pairs = pd.concat(
        [
            pd.DataFrame(
                {
                    "arch": arch,
                    "s_w": 2.0,
                    "s_b": 0.0,
                    "layer": layers,
                    "theta": 3.0 / (2 + layers),
                    "network": network,
                    "width": 64,
                    "angle0": math.pi / 2,
                }
            )
            for arch in ("mlp", "resnet", "resnet_bn")
            for network in range(2)
        ]
    )
    figure = phase_diagram.phase_figure(phase, pairs, clock_table(1000), math.pi / 2, 2.0)
    assert len(figure.axes) == 4
    phase_diagram.plt.close(figure)
