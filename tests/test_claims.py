"""Claim tests on inputs whose answer is known by construction, input checks, JSON schema."""

import json
import math
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
import yaml

from separability import claims
from separability.decay import best_law

ROOT = Path(__file__).resolve().parents[1]
LAYERS = np.unique(np.geomspace(10, 5000, 60).astype(int))


@pytest.mark.parametrize("law, theta", [
    ("exponential", 2.0 * np.exp(-0.01 * LAYERS)),
    ("power", 3.0 * LAYERS ** -0.4),
    ("reciprocal", 9.0 / LAYERS),
])
def test_decay_law_fit_recovers_the_law(law, theta):
    noisy = theta * np.exp(0.01 * np.random.default_rng(0).standard_normal(len(LAYERS)))
    winner, fits = best_law(LAYERS, noisy)
    assert winner.law == law
    assert len(fits) == 3


def test_decay_law_fit_reports_rates():
    winner, _ = best_law(LAYERS, 2.0 * np.exp(-0.01 * LAYERS))
    assert -winner.slope == pytest.approx(0.01, rel=1e-6)
    winner, _ = best_law(LAYERS, 3.0 * LAYERS ** -0.4)
    assert -winner.slope == pytest.approx(0.4, rel=1e-6)


def ratio_tables(mlp_ratios, resnet_offset=0.1, bn_offset=0.2, seeds=4, noise=0.005):
    """Distance and theory tables with a given MLP ratio series and fixed offsets."""
    rng = np.random.default_rng(1)
    rows, theory = [], []
    for layer, ratio in enumerate(mlp_ratios):
        for arch, offset in (("mlp", 0.0), ("resnet", resnet_offset), ("resnet_bn", bn_offset)):
            value = ratio + offset
            d_w = 0.8 - 0.01 * layer
            d_b = value * d_w
            theory.append({"arch": arch, "variant": "centred" if arch == "resnet_bn" else "-",
                           "layer": layer, "ratio": value, "d_w_norm": d_w, "d_b_norm": d_b})
            for seed in range(seeds):
                jitter = noise * rng.standard_normal()
                rows.append({"arch": arch, "seed": seed, "layer": layer, "width": 64,
                             "ratio": value + jitter, "d_w_norm": d_w, "d_b_norm": d_b})
    return pd.DataFrame(rows), pd.DataFrame(theory)


def test_c2_decreasing_ratio_holds_and_flat_does_not():
    distance, theory = ratio_tables(np.linspace(1.4, 1.1, 20))
    assert claims.claim_c2(distance, theory)["verdict"] == "holds"
    distance, theory = ratio_tables(np.linspace(1.1, 1.4, 20))
    assert claims.claim_c2(distance, theory)["verdict"] == "does not hold"


def test_c3_ordering_is_detected():
    distance, theory = ratio_tables(np.full(20, 1.2))
    assert claims.claim_c3(distance, theory, [5, 19])["verdict"] == "holds"
    distance, theory = ratio_tables(np.full(20, 1.2), resnet_offset=-0.1, bn_offset=-0.2)
    assert claims.claim_c3(distance, theory, [5, 19])["verdict"] == "does not hold"


def test_ordering_respects_the_seed_spread():
    close = claims.ordered({"resnet_bn": [1.0, 1.2, 0.8], "resnet": [1.05, 1.25, 0.85]})
    assert close["holds"]  # reversed by less than the spread: not a violation
    far = claims.ordered({"resnet_bn": [1.0, 1.01, 0.99], "resnet": [1.5, 1.51, 1.49]})
    assert not far["holds"]


def test_c6_width_scan_and_discrepancy():
    distance, theory = ratio_tables(np.linspace(1.4, 1.2, 10), noise=0.001)
    rows = []
    for width in (64, 256, 1024):
        for seed in range(4):
            for arch in ("mlp", "resnet", "resnet_bn"):
                for layer in range(1, 10):
                    exact = theory[(theory.arch == arch) & (theory.layer == layer)].ratio.item()
                    sign = 1 if seed % 2 else -1
                    rows.append({"arch": arch, "seed": seed, "width": width, "layer": layer,
                                 "ratio": exact + sign * 0.5 / math.sqrt(width)})
    result = claims.claim_c6(distance, theory, pd.DataFrame(rows), [5, 9])
    assert result["verdict"] == "holds"
    slopes = result["measured"]["width_scan"]
    assert all(s["slope"] == pytest.approx(-0.5, abs=0.01) for s in slopes.values())
    flat = pd.DataFrame(rows).assign(ratio=lambda t: t.ratio + 0.3)  # biased at every width
    assert claims.claim_c6(distance, theory, flat, [5, 9])["verdict"] == "partly"


def runs_table(correlated: bool, seeds=4):
    rng = np.random.default_rng(2)
    rows = []
    for arch, level in (("mlp", 1.2), ("resnet", 1.5), ("resnet_bn", 1.8)):
        for depth in (2, 8):
            for seed in range(seeds):
                ratio = level + 0.05 * rng.standard_normal()
                accuracy = 0.5 + 0.2 * ratio if correlated else 0.8 + 0.05 * rng.standard_normal()
                rows.append({"arch": arch, "depth": depth, "seed": seed, "status": "ok",
                             "ratio_trained": ratio, "test_accuracy": accuracy})
    rows.append({"arch": "mlp", "depth": 8, "seed": 99, "status": "diverged",
                 "ratio_trained": float("nan"), "test_accuracy": float("nan")})
    return pd.DataFrame(rows)


def test_c1_correlation_and_its_absence():
    result = claims.claim_c1(runs_table(True), 500, 0)
    assert result["verdict"] == "holds" and result["measured"]["spearman"] > 0.9
    assert result["measured"]["diverged"]["total"] == 1
    assert claims.claim_c1(runs_table(False), 500, 0)["verdict"] != "holds"


def test_c5_ordering_and_diverged_runs_counted():
    result = claims.claim_c5(runs_table(True))
    assert result["verdict"] == "holds"
    assert result["measured"]["diverged"]["by_model"] == {"mlp L=8": 1}
    reversed_ = runs_table(True).assign(
        ratio_trained=lambda t: np.where(t.arch == "mlp", 3.0, t.ratio_trained))
    assert claims.claim_c5(reversed_)["verdict"] == "does not hold"


def test_c4_names_the_decay_laws():
    layers = np.arange(0, 5001)
    rows = []
    for arch, theta in (("mlp", 1.5 * np.exp(-0.002 * layers)),
                        ("resnet", 1.5 / (1 + layers) ** 0.5),
                        ("resnet_bn", 15 / (10 + layers))):
        rows.append(pd.DataFrame({"arch": arch, "angle0": 1.5, "layer": layers, "theta": theta}))
    scalar = pd.concat(rows)
    pairs = pd.concat([scalar[scalar.layer <= 1000].assign(seed=s) for s in range(2)])
    result = claims.claim_c4(scalar, pairs)
    assert result["verdict"] == "holds", result["evidence"]
    assert result["measured"]["mlp"]["theory"][-1]["paper_name"] == "exponential"


def test_verdict_rule():
    assert claims.verdict([True, True]) == "holds"
    assert claims.verdict([True, False]) == "partly"
    assert claims.verdict([False]) == "does not hold"


def test_missing_or_malformed_input_is_named(tmp_path):
    with pytest.raises(ValueError, match="absent.tsv"):
        claims.read_result(str(tmp_path / "absent.tsv"), "runs")
    bad = tmp_path / "runs.tsv"
    bad.write_text("arch\tdepth\nmlp\t2\n")
    with pytest.raises(ValueError, match=r"runs.tsv is malformed: missing columns"):
        claims.read_result(str(bad), "runs")


def full_claims():
    distance, theory = ratio_tables(np.linspace(1.4, 1.1, 12))
    width = pd.concat([distance.assign(width=w) for w in (32, 128)])
    layers = np.arange(0, 4001)
    scalar = pd.DataFrame({"arch": "mlp", "angle0": 1.5, "layer": layers,
                           "theta": 1.5 / (1 + layers)})
    pairs = scalar[scalar.layer <= 500].assign(seed=0)
    tables = {"distance": distance, "theory": theory, "width": width, "scalar": scalar,
              "pairs": pairs, "runs": runs_table(True)}
    return claims.assess("digits", tables, [5, 11], 200, 0)


def test_claims_json_validates_against_the_schema():
    schema = yaml.safe_load((ROOT / "workflow/schemas/claims.schema.yaml").read_text())
    document = json.loads(json.dumps(full_claims(), default=float))
    jsonschema.validate(document, schema)
    broken = dict(document, C3={**document["C3"], "verdict": "maybe"})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_report_and_readme_block():
    result = full_claims()
    text = claims.report_markdown(result)
    assert all(f"## {key}" in text for key in result)
    readme = "intro\n<!-- claims:start -->\nSTALE\n<!-- claims:end -->\nrest"
    updated = claims.replace_block(readme, claims.summary_table(result))
    assert "STALE" not in updated and "| C1 |" in updated and updated.endswith("rest")


def test_robustness_recomputes_random_init_claims():
    distance, theory = ratio_tables(np.linspace(1.4, 1.1, 12))
    width = pd.concat([distance.assign(width=w) for w in (32, 128)])
    other = {"synthetic": {"distance": distance, "theory": theory, "width": width}}
    entries = claims.robustness(other, width, theory, second_width=32, depths=[5, 11])
    assert [e["C2"]["setting"] for e in entries] == ["data set synthetic", "width N = 32"]
    assert set(entries[0]) == {"C2", "C3", "C6"} and set(entries[1]) == {"C2", "C3"}
    result = claims.add_robustness(full_claims(), entries)
    assert len(result["C2"]["robustness"]) == 2 and "robustness" not in result["C1"]
    with pytest.raises(ValueError, match="width 64 is not among"):
        claims.robustness({}, width, theory, second_width=64, depths=[5])
