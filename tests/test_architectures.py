"""The architecture registry (docs/models.md, "Adding an architecture"): one entry per
architecture from which the model, the theory, the scalar map, the sampler, the figures, the
claims, the schema and the workflow take what they need; a toy architecture registered from
this test runs through all of them."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from conftest import ROOT

from separability import architectures, finite_width, theory
from separability.claims import random_init
from separability.data import digits, prepare
from separability.models import SeparabilityNet
from separability.plotting import random_init as random_init_figures
from separability.plotting.style import COLORS, LABELS
from separability.propagation import data_statistics
from separability.theory_tables import gram_table

PAPER = ("mlp", "resnet", "resnet_bn")
TOY = architectures.Architecture(
    "linres",
    "Linear ResNet (toy)",
    colour=5,
    skip=True,
    activation="linear",
    description="identity plus a linear branch, h' = h + V (W h + b)",
)


@pytest.fixture
def toy():
    """The toy architecture, registered for one test."""
    architectures.register(TOY)
    yield TOY.name
    architectures.unregister(TOY.name)


@pytest.fixture(scope="module")
def subset():
    data = prepare(*digits(), 0.2, 0.2, 40, 0)
    return data["x_eval"], data["y_eval"]


def test_the_schema_lists_the_registry():
    """The config schema's enumeration names exactly the registered architectures (the
    workflow fills it from the registry; the file documents the built-in ones)."""
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    assert schema["$defs"]["architecture"]["enum"] == list(architectures.names())
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    assert config["architectures"] == list(architectures.names())


def test_registry_properties():
    assert architectures.paper_order() == ("resnet_bn", "resnet", "mlp")
    assert architectures.paper_laws() == {
        "mlp": "exponential",
        "resnet": "sub-exponential",
        "resnet_bn": "reciprocal",
    }
    assert architectures.design() == {
        (False, False): "mlp",
        (True, False): "resnet",
        (True, True): "resnet_bn",
        (False, True): "mlp_bn",
    }
    assert [architectures.get(a).homogeneous for a in architectures.names()] == [
        True,
        True,
        False,
        False,
    ]
    assert architectures.get("resnet").trained_out_scale(2.0, 2.0) == pytest.approx(math.sqrt(3))
    assert architectures.get("resnet_bn").trained_out_scale(2.0, 2.0) == 1.0
    with pytest.raises(ValueError, match="unknown architecture 'vgg'; registered: mlp"):
        architectures.get("vgg")
    with pytest.raises(ValueError, match="registered already"):
        architectures.register(architectures.get("mlp"))
    with pytest.raises(ValueError, match="needs the ReLU"):
        architectures.Architecture("bad", "Bad", 0, skip=True, norm="bn", activation="linear")


def test_one_block_definition_serves_the_model_and_the_theory(toy):
    """The toy's block as the torch model applies it, and its Gram map: at large width the
    per-unit Gram of h' = h + V W h is (1 + s_w s_v) K, the linear branch keeps every angle."""
    net = SeparabilityNet(toy, 3, 4096, 1).initialise(0)
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        h0 = net.input(x)
        h1 = net.blocks[0](h0)
        assert torch.allclose(h1, h0 + net.blocks[0].v(net.blocks[0].w(h0)))
    gram0 = theory.input_gram(x.numpy())
    np.testing.assert_allclose(theory.gram_step(toy, gram0), 5.0 * gram0)
    cos = theory.cosine_trajectory(toy, np.array([0.1, 0.7]), 50)
    np.testing.assert_allclose(cos[:, -1], [0.1, 0.7], rtol=1e-12)
    assert LABELS[toy] == "Linear ResNet (toy)" and len(COLORS[toy]) == 3


def test_a_registered_toy_runs_through_the_pipeline(toy, subset):
    """Registered from the test alone: propagation, theory, the sampler, a figure and the
    claims take it, the claims keep the paper's three architectures in their tests."""
    x, y = subset
    depth = 6
    simulation = pd.concat(
        [
            data_statistics(arch, x, y, 64, depth, seed, progress=False)
            for arch in (*PAPER, toy)
            for seed in range(3)
        ],
        ignore_index=True,
    )
    gram = pd.concat([gram_table(arch, x, y, depth, progress=False) for arch in (*PAPER, toy)])
    toy_theory = gram[gram.arch == toy].set_index("layer")
    np.testing.assert_allclose(toy_theory.theta_b, toy_theory.theta_b.iloc[0], rtol=1e-9)
    sampled = finite_width.data_statistics(toy, x, y, 64, depth, networks=4, seed=0)
    assert len(sampled) == 4 * (depth + 1) and np.isfinite(sampled.ratio).all()
    figure = random_init_figures.ratio_figure(simulation, gram, "digits")
    legend = [t.get_text() for legend in figure.legends for t in legend.get_texts()]
    assert "Linear ResNet (toy)" in legend
    width = pd.concat([simulation.assign(width=w) for w in (64, 128)])
    claims = random_init.random_init_claims(simulation, gram, width, [1, depth], list(range(7)))
    assert set(claims) == {"C2", "C3", "C6"}
    assert set(claims["C3"]["measured"][-1]["theory"]) == set(PAPER)
