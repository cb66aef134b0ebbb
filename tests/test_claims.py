"""Claim tests on inputs whose answer is known by construction, input checks, JSON schema."""

import json
import math

import jsonschema
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT

from separability import report, tables
from separability.claims import angles, assess, random_init, trained, verdicts

ARCHS = ("mlp", "resnet", "resnet_bn")


def ratio_tables(mlp_ratios, resnet_offset=0.1, bn_offset=0.2, seeds=4, noise=0.005):
    """Distance and theory tables with a given MLP ratio series and fixed offsets; the angle
    channel follows the distance ratio, the norm channel stays flat."""
    rng = np.random.default_rng(1)
    rows, theory = [], []
    for layer, ratio in enumerate(mlp_ratios):
        for arch, offset in zip(ARCHS, (0.0, resnet_offset, bn_offset)):
            value = ratio + offset
            d_w = 0.8 - 0.01 * layer
            common = {
                "layer": layer,
                "d_w_norm": d_w,
                "d_b_norm": value * d_w,
                "theta_w": 0.5,
                "theta_b": 0.5 * value,
                "gap_w_norm": 0.2,
                "gap_b_norm": 0.22,
            }
            variant = "centred" if arch == "resnet_bn" else "-"
            theory.append({"arch": arch, "variant": variant, "ratio": value, **common})
            for seed in range(seeds):
                jitter = noise * rng.standard_normal()
                rows.append(
                    {"arch": arch, "seed": seed, "width": 64, **common, "ratio": value + jitter}
                )
    return pd.DataFrame(rows), pd.DataFrame(theory)


def test_c2_decreasing_ratio_holds_and_rising_does_not():
    distance, theory = ratio_tables(np.linspace(1.4, 1.1, 20))
    layers = list(range(20))
    result = random_init.claim_c2(distance, theory, [5, 19], layers)
    assert result["verdict"] == "holds", result["evidence"]
    assert secondary_verdicts(result)["C2 on the angle channel (angle ratio theta_b/theta_w)"] == (
        "holds"
    )
    distance, theory = ratio_tables(np.linspace(1.1, 1.4, 20))
    assert random_init.claim_c2(distance, theory, [5, 19], layers)["verdict"] == "does not hold"


def test_degradation_rule():
    """Below layer 1 at every claims depth, and a recovery of at most half the drop after the
    minimum: a dip that recovers fully does not degrade, one that recovers a little does."""
    small = {0: [1.5], 1: [1.4], 10: [1.1], 100: [1.12], 300: [1.15]}
    assert verdicts.degrades(small, [10, 100, 300])["verdict"] == "holds"
    full = {0: [1.5], 1: [1.4], 10: [1.1], 100: [1.3], 300: [1.39]}
    assert verdicts.degrades(full, [10, 100, 300])["verdict"] == "partly"
    rising = {1: [1.1], 10: [1.2], 300: [1.3]}
    assert verdicts.degrades(rising, [10, 300])["verdict"] == "does not hold"
    seeds = {1: [1.4, 1.41, 1.39], 10: [1.1, 1.6, 1.2], 300: [1.0, 1.01, 0.99]}
    result = verdicts.degrades(seeds, [10, 300])
    assert result["below_reference"] == ["inconclusive", "holds"]  # paired t, 3 seeds


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
    bn = lone["measured"]["depths"][0]["architectures"]["resnet_bn"]
    assert bn["relative_to_separation"] > 0.1


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
                        "heldout_ratio_init": 1.1,
                        "ratio_trained": 5.0 - ratio,
                        "heldout_fisher_trained": ratio**2,
                        "heldout_ncm_accuracy_trained": accuracy - 0.01,
                        "heldout_probe_accuracy_trained": accuracy - 0.02,
                        "heldout_angle_ratio_trained": 1.0 + (ratio - 1.0) / 2,
                        "heldout_gap_ratio_trained": 1.05,
                        "heldout_effective_rank_trained": 9.0,
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
            "heldout_ratio_init": 1.1,
            "heldout_effective_rank_trained": float("nan"),
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


def decay_tables(bn_theta=lambda layers: 15 / (1 + layers)):
    """Scalar theory, real pairs (N = 512) and wide sampler pairs (N = 4096) of three
    architectures with known laws: an exponential MLP, a reciprocal ResNet (1/l is also
    sub-exponential) and ResNet+BN as given (reciprocal by default), slowest decay first."""
    layers = np.arange(0, 5001)
    rows = []
    for arch, theta in (
        ("mlp", 0.05 * np.exp(-0.05 * layers)),
        ("resnet", 1.0 / (1 + layers)),
        ("resnet_bn", bn_theta(layers)),
    ):
        rows.append(pd.DataFrame({"arch": arch, "angle0": 1.5, "layer": layers, "theta": theta}))
    scalar = pd.concat(rows, ignore_index=True)
    near = scalar[scalar.layer <= 1000]
    pairs = pd.concat([near.assign(seed=s, width=512) for s in range(2)], ignore_index=True)
    wide = pd.concat(
        [
            near.assign(network=n, width=4096, theta=near.theta * (1 + 0.01 * (n - 1)))
            for n in range(3)
        ],
        ignore_index=True,
    )
    return scalar, pairs, wide


def test_c4_measures_the_decay_laws():
    scalar, pairs, wide = decay_tables()
    result = angles.claim_c4(scalar, pairs, wide)
    assert result["verdict"] == "holds", result["evidence"]
    laws = result["measured"]["laws"]
    assert laws["mlp"]["theory"]["law"] == "exponential"
    assert laws["resnet"]["theory"]["words"] == {
        "exponential": False,
        "sub-exponential": True,
        "reciprocal": True,
    }
    assert result["measured"]["ordering"]["theory"]["verdict"] == "holds"
    slow = angles.claim_c4(*decay_tables(lambda layers: 3.0 / np.log(layers + np.e)))
    assert slow["measured"]["laws"]["resnet_bn"]["theory"]["law"] == "inverse_log"
    assert slow["measured"]["laws"]["resnet_bn"]["checks"] == ["does not hold"] * 2
    assert slow["verdict"] == "partly"


def test_c4_ordering_fails_when_the_mlp_decays_slowest():
    scalar, pairs, wide = decay_tables()
    swap = {"mlp": "resnet_bn", "resnet_bn": "mlp"}
    result = angles.claim_c4(
        *(
            table.assign(arch=table.arch.map(lambda a: swap.get(a, a)))
            for table in (scalar, pairs, wide)
        )
    )
    assert result["measured"]["ordering"]["theory"]["verdict"] == "does not hold"
    assert result["measured"]["ordering"]["simulation"]["verdict"] == "does not hold"


# The one combination rule (docs/claims.md, "Verdicts"), for every pair of outcomes:
# inconclusive checks are set aside, the decided ones give holds / does not hold when they
# agree and partly otherwise; symmetric in holds and does not hold.
COMBINATIONS = {
    ("holds", "holds"): "holds",
    ("holds", "partly"): "partly",
    ("holds", "does not hold"): "partly",
    ("holds", "inconclusive"): "holds",
    ("partly", "partly"): "partly",
    ("partly", "does not hold"): "partly",
    ("partly", "inconclusive"): "partly",
    ("does not hold", "does not hold"): "does not hold",
    ("does not hold", "inconclusive"): "does not hold",
    ("inconclusive", "inconclusive"): "inconclusive",
}


@pytest.mark.parametrize("pair", sorted(COMBINATIONS), ids=" & ".join)
def test_combination_rule(pair):
    expected = COMBINATIONS[pair]
    assert verdicts.verdict(list(pair)) == expected
    assert verdicts.verdict(list(reversed(pair))) == expected
    assert verdicts.verdict([pair[0]]) == pair[0]


def test_verdict_rule_inputs():
    assert verdicts.verdict([True, True]) == "holds"
    assert verdicts.verdict([True, False]) == "partly"
    assert verdicts.verdict([False]) == "does not hold"
    assert verdicts.verdict([True, "partly"]) == "partly"
    with pytest.raises(ValueError, match="maybe"):
        verdicts.verdict(["maybe"])
    with pytest.raises(ValueError, match="at least one"):
        verdicts.verdict([])


def test_cluster_bootstrap_is_wider_than_resampling_runs():
    """Six (architecture, depth) cells of eight seeds that repeat their cell's values almost
    exactly: resampling the 48 runs as if independent gives a narrow interval that excludes 0,
    resampling the cells (then the seeds) an honest, wider one that contains it."""
    rng = np.random.default_rng(5)
    x_cell, y_cell = rng.normal(size=6), rng.normal(size=6)
    y_cell = 0.5 * x_cell + y_cell  # a weak relation at the level of the cells
    clusters = np.repeat([f"cell {c}" for c in range(6)], 8)
    x = np.repeat(x_cell, 8) + 1e-3 * rng.normal(size=48)
    y = np.repeat(y_cell, 8) + 1e-3 * rng.normal(size=48)
    runs = verdicts.rank_correlation(x, y, 2000, 0)
    cells = verdicts.rank_correlation(x, y, 2000, 0, clusters)
    width = lambda test: test["ci95"][1] - test["ci95"][0]  # noqa: E731
    assert width(cells) > 1.5 * width(runs)
    assert cells["clusters"] == 6 and cells["resampling"] != runs["resampling"]
    assert cells["ci95"][0] < 0 < cells["ci95"][1] and cells["verdict"] == "inconclusive"


def test_c6_discrimination_fails_against_the_wrong_theory():
    """A simulation scored against the theory of another architecture is closer to that
    architecture's curve than to the one it is scored against: discrimination does not hold,
    though each simulated ratio lies within a few percent of a theory."""
    distance, theory = ratio_tables(np.linspace(1.4, 1.2, 10), noise=0.001)
    width = pd.concat([distance.assign(width=w) for w in (64, 256)])
    right = random_init.claim_c6(distance, theory, width, [5, 9])
    at = right["measured"]["depths"][-1]["architectures"]
    assert {a: r["discrimination"] for a, r in at.items()} == dict.fromkeys(ARCHS, "holds")
    swap = {"mlp": "resnet", "resnet": "mlp"}
    wrong = theory.assign(arch=theory.arch.map(lambda a: swap.get(a, a)))
    result = random_init.claim_c6(distance, wrong, width, [5, 9])
    at = result["measured"]["depths"][-1]["architectures"]
    assert at["mlp"]["discrimination"] == at["resnet"]["discrimination"] == "does not hold"
    assert result["verdict"] != "holds"


def test_missing_or_malformed_input_is_named(tmp_path):
    with pytest.raises(ValueError, match="absent.tsv"):
        tables.read_result(str(tmp_path / "absent.tsv"), "runs")
    bad = tmp_path / "runs.tsv"
    bad.write_text("arch\tdepth\nmlp\t2\n")
    with pytest.raises(
        tables.TableError,
        match=r"runs table .*runs.tsv: fails its schema.*--forcerun aggregate_training",
    ):
        tables.read_result(str(bad), "runs")


def full_claims(training_splits=None):
    distance, theory = ratio_tables(np.linspace(1.4, 1.1, 12))
    width = pd.concat([distance.assign(width=w) for w in (32, 128)])
    scalar, pairs, wide = decay_tables()
    tables = {
        "distance": distance,
        "theory": theory,
        "width": width,
        "scalar": scalar,
        "pairs": pairs,
        "pairs_wide": wide,
        "runs": runs_table(True),
    }
    return assess.assess(
        "digits", tables, [5, 11, 40], list(range(12)), 200, 0, training_splits=training_splits
    )


def test_conditions_state_the_training_split_of_each_data_set():
    """The report's conditions say which training split the training claims read: the whole
    split, or the cap of data.train_size."""
    claims = full_claims({"digits": None, "mnist5k": 600})
    assert claims["C1"]["conditions"]["training_split"] == "digits whole, mnist5k capped at 600"
    assert "training_split digits whole, mnist5k capped at 600" in report.report_markdown(claims)
    assert "training_split" not in full_claims()["C1"]["conditions"]


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
    entries = assess.robustness(other, width, theory, 32, [5, 11], list(range(12)))
    assert [e["C2"]["setting"] for e in entries] == ["data set synthetic", "width N = 32"]
    assert set(entries[0]) == {"C2", "C3", "C6"} and set(entries[1]) == {"C2", "C3"}
    result = assess.add_robustness(full_claims(), entries)
    assert len(result["C2"]["robustness"]) == 2 and "robustness" not in result["C1"]
    assert entries[0]["C2"]["channels"] == {"angle": "holds", "norm": "does not hold"}
    with pytest.raises(ValueError, match="width 64 is not among"):
        assess.robustness({}, width, theory, 64, [5], list(range(12)))


def test_depths_beyond_the_simulation_are_listed_as_dropped():
    conditions = full_claims()["C3"]["conditions"]
    assert conditions["depths_compared"] == [5, 11] and conditions["depths_dropped"] == [40]


@pytest.fixture(scope="module")
def propagated():
    """A real random-init simulation (digits, N = 32, every layer to depth 30, 3 seeds) and its
    theory, for the claims' grid invariance."""
    from separability.data import digits, prepare
    from separability.propagation import data_statistics
    from separability.theory_tables import gram_table

    data = prepare(*digits(), 0.2, 0.2, 60, 0)
    x, y = data["x_eval"], data["y_eval"]
    simulation = pd.concat(
        [
            data_statistics(arch, x, y, 32, 30, seed, progress=False)
            for arch in ARCHS
            for seed in range(3)
        ],
        ignore_index=True,
    )
    theory = pd.concat([gram_table(arch, x, y, 30, progress=False) for arch in ARCHS])
    return simulation, theory


def test_verdicts_do_not_depend_on_the_recording_grid(propagated):
    """The same simulation recorded on two grids (every layer to 4 then 4 log-spaced, or every
    layer to 20 then 10), each with the claims' series layers, gives the same random-init
    verdicts and numbers; the replaced Spearman test does depend on the grid."""
    from separability.statistics import recorded_layers

    simulation, theory = propagated
    series, depths = [0, 1, 2, 3, 5, 8, 12, 20, 30], [1, 10, 30]
    results = []
    for dense, log in ((4, 4), (20, 10)):
        grid = set(recorded_layers(30, dense, log)) | set(series) | set(depths)
        table = simulation[simulation.layer.isin(grid)]
        scan = pd.concat([simulation, simulation.assign(width=64)])
        claims = random_init.random_init_claims(table, theory, scan, depths, series)
        results.append(claims)
    for key in ("C2", "C3", "C6"):
        first, second = (result[key] for result in results)
        assert first["verdict"] == second["verdict"], key
        assert json.dumps(first["measured"], default=str) == json.dumps(
            second["measured"], default=str
        ), key
        channels = [
            {e["name"]: e["verdict"] for e in r[key]["secondary"] if "channel" in e}
            for r in results
        ]
        assert channels[0] == channels[1]


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


def test_cluster_bootstrap_draws_and_correlations_are_those_of_one_sample_at_a_time():
    """The cluster bootstrap of C1 draws what the two-stage rng.choice draws did (the published
    intervals stay), and ranking samples of equal length together gives each sample's own
    Spearman correlation, for samples of unequal lengths too (clusters of different sizes)."""
    clusters = np.repeat(["a", "b", "c", "d"], [3, 3, 2, 4])
    rng, reference = np.random.default_rng(7), np.random.default_rng(7)
    samples = verdicts.cluster_resamples(clusters, 50, rng)
    members = [np.flatnonzero(clusters == label) for label in np.unique(clusters)]
    for sample in samples:
        drawn = reference.integers(0, len(members), size=len(members))
        expected = np.concatenate(
            [reference.choice(members[c], size=members[c].size) for c in drawn]
        )
        np.testing.assert_array_equal(sample, expected)
    assert len({len(sample) for sample in samples}) > 1
    x, y = np.random.default_rng(1).normal(size=(2, len(clusters)))
    one_at_a_time = [float(verdicts.spearman_rows(x[s], y[s])) for s in samples]
    np.testing.assert_array_equal(verdicts.spearman_samples(x, y, samples), one_at_a_time)
