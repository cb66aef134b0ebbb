"""Claim tests on inputs whose answer is known by construction, input checks, JSON schema."""

import json
import math

import jsonschema
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT

from separability import tables
from separability.claims import angles, assess, random_init, trained, verdicts


def ratio_tables(mlp_ratios, resnet_offset=0.1, bn_offset=0.2, seeds=4, noise=0.005):
    """Distance and theory tables with a given MLP ratio series and fixed offsets."""
    rng = np.random.default_rng(1)
    rows, theory = [], []
    for layer, ratio in enumerate(mlp_ratios):
        for arch, offset in (("mlp", 0.0), ("resnet", resnet_offset), ("resnet_bn", bn_offset)):
            value = ratio + offset
            d_w = 0.8 - 0.01 * layer
            d_b = value * d_w
            theory.append(
                {
                    "arch": arch,
                    "variant": "centred" if arch == "resnet_bn" else "-",
                    "layer": layer,
                    "ratio": value,
                    "d_w_norm": d_w,
                    "d_b_norm": d_b,
                }
            )
            for seed in range(seeds):
                jitter = noise * rng.standard_normal()
                rows.append(
                    {
                        "arch": arch,
                        "seed": seed,
                        "layer": layer,
                        "width": 64,
                        "ratio": value + jitter,
                        "d_w_norm": d_w,
                        "d_b_norm": d_b,
                    }
                )
    return pd.DataFrame(rows), pd.DataFrame(theory)


def test_c2_decreasing_ratio_holds_and_flat_does_not():
    distance, theory = ratio_tables(np.linspace(1.4, 1.1, 20))
    assert random_init.claim_c2(distance, theory)["verdict"] == "holds"
    distance, theory = ratio_tables(np.linspace(1.1, 1.4, 20))
    assert random_init.claim_c2(distance, theory)["verdict"] == "does not hold"


def test_c3_ordering_is_detected():
    distance, theory = ratio_tables(np.full(20, 1.2))
    assert random_init.claim_c3(distance, theory, [5, 19])["verdict"] == "holds"
    distance, theory = ratio_tables(np.full(20, 1.2), resnet_offset=-0.1, bn_offset=-0.2)
    assert random_init.claim_c3(distance, theory, [5, 19])["verdict"] == "does not hold"


def test_ordering_respects_the_seed_spread():
    close = verdicts.ordered({"resnet_bn": [1.0, 1.2, 0.8], "resnet": [1.05, 1.25, 0.85]})
    assert close["verdict"] == "inconclusive"  # interval contains 0: neither way decided
    far = verdicts.ordered({"resnet_bn": [1.0, 1.01, 0.99], "resnet": [1.5, 1.51, 1.49]})
    assert far["verdict"] == "does not hold" and not far["holds"]
    clear = verdicts.ordered({"resnet_bn": [1.5, 1.51, 1.49], "resnet": [1.0, 1.01, 0.99]})
    assert clear["verdict"] == "holds" and clear["pairs"][0]["interval"][0] > 0


def test_fewer_than_three_seeds_is_inconclusive():
    """Two seeds per group cannot decide a comparison, however far apart the means."""
    two = verdicts.ordered({"resnet_bn": [1.0, 1.01], "resnet": [1.5, 1.51]})
    assert two["verdict"] == "inconclusive"
    assert verdicts.ordered({"resnet": [1.0, 1.1, 1.2]})["verdict"] == "inconclusive"


def test_c6_width_scan_and_discrepancy():
    distance, theory = ratio_tables(np.linspace(1.4, 1.2, 10), noise=0.001)
    rows = []
    for width in (64, 256, 1024):
        for seed in range(4):
            for arch in ("mlp", "resnet", "resnet_bn"):
                for layer in range(1, 10):
                    exact = theory[(theory.arch == arch) & (theory.layer == layer)].ratio.item()
                    sign = 1 if seed % 2 else -1
                    rows.append(
                        {
                            "arch": arch,
                            "seed": seed,
                            "width": width,
                            "layer": layer,
                            "ratio": exact + sign * 0.5 / math.sqrt(width),
                        }
                    )
    result = random_init.claim_c6(distance, theory, pd.DataFrame(rows), [5, 9])
    assert result["verdict"] == "holds"
    slopes = result["measured"]["width_scan"]
    assert all(s["slope"] == pytest.approx(-0.5, abs=0.01) for s in slopes.values())
    flat = pd.DataFrame(rows).assign(ratio=lambda t: t.ratio + 0.3)  # biased at every width
    assert random_init.claim_c6(distance, theory, flat, [5, 9])["verdict"] == "partly"


def test_claims_use_the_exact_bn_theory_and_report_the_large_batch_one():
    """resnet_bn is judged against the exact BN theory ("centred") where the table has it, the
    large-batch approximation beside it only reported; a table with the approximation alone
    (config theory.bn: large_batch) is judged against that, and says so."""
    distance, theory = ratio_tables(np.linspace(1.4, 1.2, 10), noise=0.001)
    approximate = theory[theory.variant == "centred"].assign(
        variant="centred_large_batch", ratio=lambda t: t.ratio + 0.2
    )
    both = pd.concat([theory, approximate], ignore_index=True)
    assert tables.bn_variant(both) == "centred"
    assert set(tables.main_theory(both).variant) == {"-", "centred"}
    width = pd.concat([distance.assign(width=64), distance.assign(width=256)])
    result = random_init.claim_c6(distance, both, width, [5, 9])
    assert result["measured"]["bn_theory"] == "centred"
    assert "width_scan_large_batch" in result["measured"] and "exact BN" in result["evidence"]
    alone = approximate.pipe(lambda t: pd.concat([theory[theory.variant == "-"], t]))
    assert tables.bn_variant(alone) == "centred_large_batch"
    lone = random_init.claim_c6(distance, alone, width, [5, 9])
    assert "large-batch BN approximation" in lone["evidence"]
    assert lone["measured"]["depths"][0]["relative_discrepancy"]["resnet_bn"] > 0.1


def runs_table(correlated: bool = True, seeds=4, depths=(2, 8)):
    """Finished runs whose held-out ratio (and Fisher, nearest-class mean) rises with test
    accuracy when ``correlated`` (independent otherwise), a training-subset ratio that falls
    with it, ordered ratios resnet_bn > resnet > mlp, every model fitted, one diverged run."""
    rng = np.random.default_rng(2)
    rows = []
    for arch, level in (("mlp", 1.2), ("resnet", 1.5), ("resnet_bn", 1.8)):
        for depth in depths:
            for seed in range(seeds):
                ratio = level + 0.05 * rng.standard_normal()
                accuracy = 0.5 + 0.2 * ratio if correlated else 0.8 + 0.05 * rng.standard_normal()
                rows.append(
                    {
                        "arch": arch,
                        "depth": depth,
                        "seed": seed,
                        "status": "ok",
                        "heldout_ratio_trained": ratio,
                        "ratio_trained": 5.0 - ratio,
                        "heldout_fisher_trained": ratio**2,
                        "heldout_ncm_accuracy_trained": accuracy - 0.01,
                        "test_accuracy": accuracy,
                        "train_accuracy": 0.99,
                    }
                )
    rows.append(
        {
            "arch": "mlp",
            "depth": depths[-1],
            "seed": 99,
            "status": "diverged",
            **{column: float("nan") for column in trained.TRAINED_MEASURES},
            "test_accuracy": float("nan"),
            "train_accuracy": float("nan"),
        }
    )
    return pd.DataFrame(rows)


def secondary_verdicts(result):
    return {entry["name"]: entry["verdict"] for entry in result["secondary"]}


def test_c1_correlation_and_its_absence():
    result = trained.claim_c1(runs_table(True), 500, 0)
    assert result["verdict"] == "holds" and result["measured"]["spearman"] > 0.9
    assert result["measured"]["measure"] == "heldout_ratio_trained"
    assert result["measured"]["unfinished"]["by_status"] == {"diverged": 1}
    absent = trained.claim_c1(runs_table(False), 500, 0)
    assert absent["measured"]["ci95"][0] < 0 < absent["measured"]["ci95"][1]
    assert absent["verdict"] == "inconclusive"  # an interval containing 0 decides nothing
    reversed_ = runs_table(True).assign(heldout_ratio_trained=lambda t: -t.heldout_ratio_trained)
    assert trained.claim_c1(reversed_, 500, 0)["verdict"] == "does not hold"


def test_c1_secondary_measures_have_their_own_verdicts():
    verdicts = secondary_verdicts(trained.claim_c1(runs_table(True), 500, 0))
    assert verdicts["C1 on the training-subset ratio d_b/d_w"] == "does not hold"
    assert verdicts["C1 on the held-out Fisher criterion trace(S_B)/trace(S_W)"] == "holds"
    assert verdicts["C1 on the held-out nearest-class-mean accuracy"] == "holds"


def test_c1_within_depth_and_architecture_expose_a_pure_depth_effect():
    """Deeper networks have both a lower ratio and a lower accuracy, unrelated within a depth:
    the pooled correlation holds, every within-depth test is inconclusive."""
    rng = np.random.default_rng(3)
    table = runs_table(True, seeds=3, depths=(2, 8, 32))
    finished = table.status == "ok"
    shift = np.log2(table.depth)
    table["heldout_ratio_trained"] = 3.0 - 0.3 * shift + 0.01 * rng.standard_normal(len(table))
    table["test_accuracy"] = 0.95 - 0.1 * shift + 0.01 * rng.standard_normal(len(table))
    table.loc[~finished, ["heldout_ratio_trained", "test_accuracy"]] = np.nan
    result = trained.claim_c1(table, 500, 0)
    verdicts = secondary_verdicts(result)
    assert result["verdict"] == "holds"
    assert [verdicts[f"C1 within L = {d} (held-out ratio)"] for d in (2, 8, 32)] == [
        "inconclusive"
    ] * 3
    assert {f"C1 within {a} only (held-out ratio)" for a in ("mlp", "resnet", "resnet_bn")} <= set(
        verdicts
    )


def test_c1_with_too_few_runs_is_inconclusive():
    few = runs_table(True).query("status == 'ok'").head(verdicts.MIN_RUNS - 1)
    result = trained.claim_c1(few, 200, 0)
    assert result["verdict"] == "inconclusive" and math.isnan(result["measured"]["ci95"][0])


def test_c5_ordering_and_unfinished_runs_counted():
    result = trained.claim_c5(runs_table(True))
    assert result["verdict"] == "holds"
    assert result["measured"]["unfinished"]["by_model"] == {"mlp L=8": 1}
    reversed_ = runs_table(True).assign(
        heldout_ratio_trained=lambda t: np.where(t.arch == "mlp", 3.0, t.heldout_ratio_trained)
    )
    assert trained.claim_c5(reversed_)["verdict"] == "does not hold"
    assert trained.claim_c5(runs_table(True, seeds=2))["verdict"] == "inconclusive"
    verdicts = secondary_verdicts(trained.claim_c5(reversed_))
    assert verdicts["C5 on the training-subset ratio d_b/d_w"] == "does not hold"  # 5 - ratio


def test_c5_with_and_without_the_networks_that_did_not_fit():
    """The MLP of depth 8 reaches training accuracy 0.5 only: named as not fitted, and the
    fitted-only comparison leaves depth 8 out."""
    table = runs_table(True)
    table.loc[(table.arch == "mlp") & (table.depth == 8), "train_accuracy"] = 0.5
    result = trained.claim_c5(table)
    assert result["measured"]["unfitted"] == ["mlp L=8"]
    assert result["measured"]["fitted"]["resnet L=8"]["fitted"]
    assert [r["depth"] for r in result["measured"]["depths"]] == [2, 8]
    fitted_only = next(e for e in result["secondary"] if "fitted" in e["name"])
    assert [r["depth"] for r in fitted_only["measured"]["depths"]] == [2]
    assert "mlp L=8 (0.50)" in result["evidence"]


def test_c4_names_the_decay_laws():
    layers = np.arange(0, 5001)
    rows = []
    for arch, theta in (
        ("mlp", 1.5 * np.exp(-0.002 * layers)),
        ("resnet", 1.5 / (1 + layers) ** 0.5),
        ("resnet_bn", 15 / (10 + layers)),
    ):
        rows.append(pd.DataFrame({"arch": arch, "angle0": 1.5, "layer": layers, "theta": theta}))
    scalar = pd.concat(rows)
    pairs = pd.concat([scalar[scalar.layer <= 1000].assign(seed=s) for s in range(2)])
    result = angles.claim_c4(scalar, pairs)
    assert result["verdict"] == "holds", result["evidence"]
    assert result["measured"]["mlp"]["theory"][-1]["paper_name"] == "exponential"


def test_verdict_rule():
    assert verdicts.verdict([True, True]) == "holds"
    assert verdicts.verdict([True, False]) == "partly"
    assert verdicts.verdict([False]) == "does not hold"
    assert verdicts.verdict(["inconclusive", "inconclusive"]) == "inconclusive"
    assert verdicts.verdict(["holds", "inconclusive"]) == "partly"
    assert verdicts.verdict(["does not hold", "inconclusive"]) == "does not hold"
    assert verdicts.verdict([True, "partly"]) == "partly"
    with pytest.raises(ValueError, match="maybe"):
        verdicts.verdict(["maybe"])


def test_missing_or_malformed_input_is_named(tmp_path):
    with pytest.raises(ValueError, match="absent.tsv"):
        tables.read_result(str(tmp_path / "absent.tsv"), "runs")
    bad = tmp_path / "runs.tsv"
    bad.write_text("arch\tdepth\nmlp\t2\n")
    with pytest.raises(ValueError, match=r"runs.tsv is malformed: missing columns"):
        tables.read_result(str(bad), "runs")


def full_claims():
    distance, theory = ratio_tables(np.linspace(1.4, 1.1, 12))
    width = pd.concat([distance.assign(width=w) for w in (32, 128)])
    layers = np.arange(0, 4001)
    scalar = pd.DataFrame(
        {"arch": "mlp", "angle0": 1.5, "layer": layers, "theta": 1.5 / (1 + layers)}
    )
    pairs = scalar[scalar.layer <= 500].assign(seed=0)
    tables = {
        "distance": distance,
        "theory": theory,
        "width": width,
        "scalar": scalar,
        "pairs": pairs,
        "runs": runs_table(True),
    }
    return assess.assess("digits", tables, [5, 11], 200, 0)


def test_claims_json_validates_against_the_schema():
    schema = yaml.safe_load((ROOT / "workflow/schemas/claims.schema.yaml").read_text())
    document = json.loads(json.dumps(full_claims(), default=float))
    jsonschema.validate(document, schema)
    broken = dict(document, C3={**document["C3"], "verdict": "maybe"})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
    undecided = dict(document, C5={**document["C5"], "verdict": "inconclusive"})
    jsonschema.validate(undecided, schema)
    assert {entry["verdict"] for entry in document["C1"]["secondary"]} <= set(verdicts.VERDICTS)


def test_robustness_recomputes_random_init_claims():
    distance, theory = ratio_tables(np.linspace(1.4, 1.1, 12))
    width = pd.concat([distance.assign(width=w) for w in (32, 128)])
    other = {"synthetic": {"distance": distance, "theory": theory, "width": width}}
    entries = assess.robustness(other, width, theory, second_width=32, depths=[5, 11])
    assert [e["C2"]["setting"] for e in entries] == ["data set synthetic", "width N = 32"]
    assert set(entries[0]) == {"C2", "C3", "C6"} and set(entries[1]) == {"C2", "C3"}
    result = assess.add_robustness(full_claims(), entries)
    assert len(result["C2"]["robustness"]) == 2 and "robustness" not in result["C1"]
    with pytest.raises(ValueError, match="width 64 is not among"):
        assess.robustness({}, width, theory, second_width=64, depths=[5])


@pytest.mark.slow
def test_smoke_dag_claims_validate_against_the_schema(smoke_run):
    """The claims.json of a real run (the smoke DAG) validates, with C1 and C5 decided on the
    held-out ratio and their secondary tests each carrying a verdict of the four."""
    schema = yaml.safe_load((ROOT / "workflow/schemas/claims.schema.yaml").read_text())
    document = json.loads((smoke_run.path / "results" / "claims.json").read_text())
    jsonschema.validate(document, schema)
    assert document["C1"]["measured"]["measure"] == "heldout_ratio_trained"
    for key in ("C1", "C5"):
        assert document[key]["secondary"]
        assert {entry["verdict"] for entry in document[key]["secondary"]} <= set(verdicts.VERDICTS)
