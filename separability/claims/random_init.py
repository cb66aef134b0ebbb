"""The claims about networks at random initialisation (docs/claims.md): C2 (the MLP's ratio
degrades with depth), C3 (the ordering of the architectures) and C6 (simulation against
theory)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from separability.claims.verdicts import (
    MIN_SEEDS,
    ORDER,
    Z,
    decreasing,
    ordered,
    summary,
    verdict,
)
from separability.tables import bn_variant, main_theory, seed_means, width_errors

C6_TOLERANCE = 0.05  # relative theory-simulation discrepancy accepted as agreement


def claim_c2(simulation: pd.DataFrame, theory: pd.DataFrame) -> dict:
    """C2 on the MLP: the ratio decreases with depth (theory, and the seed-mean simulation),
    and the between-class distance shrinks more than the within-class one, relatively:
    d_b_norm(L) / d_b_norm(0) < d_w_norm(L) / d_w_norm(0). Theory and simulation are both
    read at the layers the simulation recorded (every layer up to propagation.dense_layers,
    log-spaced after), so the two trends are measured on the same depths."""
    checks, measured = [], {}
    theory = main_theory(theory)
    theory = theory[theory.layer.isin(set(simulation.layer))]
    for source, table in (("theory", theory), ("simulation", simulation)):
        mlp = table[table.arch == "mlp"]
        means = mlp.groupby("layer")[["ratio", "d_w_norm", "d_b_norm"]].mean().sort_index()
        trend = decreasing(means.index, means.ratio)
        shrink_b = float(means.d_b_norm.iloc[-1] / means.d_b_norm.iloc[0])
        shrink_w = float(means.d_w_norm.iloc[-1] / means.d_w_norm.iloc[0])
        measured[source] = {
            **trend,
            "d_b_kept": shrink_b,
            "d_w_kept": shrink_w,
            "depth": int(means.index.max()),
            "minimum": float(means.ratio.min()),
            "minimum_layer": int(means.ratio.idxmin()),
        }
        checks += [trend["holds"], shrink_b < shrink_w]
    if "seed" in simulation:
        last = simulation[(simulation.arch == "mlp") & (simulation.layer == simulation.layer.max())]
        measured["simulation"]["ratio_last_over_seeds"] = summary(last.ratio)
    th, sim = measured["theory"], measured["simulation"]
    evidence = (
        f"MLP ratio {th['first']:.3f} -> {th['last']:.3f} over {th['depth']} layers in "
        f"theory (Spearman {th['spearman']:.2f}, minimum {th['minimum']:.3f} at l = "
        f"{th['minimum_layer']}), {sim['first']:.3f} -> {sim['last']:.3f} in simulation "
        f"(Spearman {sim['spearman']:.2f}, minimum {sim['minimum']:.3f} at l = "
        f"{sim['minimum_layer']}); d_b keeps "
        f"{th['d_b_kept']:.2f} of its value vs d_w {th['d_w_kept']:.2f} (theory), "
        f"{sim['d_b_kept']:.2f} vs {sim['d_w_kept']:.2f} (simulation)"
    )
    return {
        "verdict": verdict(checks),
        "evidence": evidence,
        "measured": measured,
        "test": "Spearman(l, ratio) <= -0.5 and ratio(L) < ratio(0) for the MLP, and "
        "d_b(L)/d_b(0) < d_w(L)/d_w(0), each in theory and simulation, over the "
        "layers the simulation recorded",
    }


def claim_c3(simulation: pd.DataFrame, theory: pd.DataFrame, depths: Sequence[int]) -> dict:
    """C3: at each depth, ratio ordered resnet_bn >= resnet >= mlp, in the theory (exact) and
    in the simulation (per-seed ratios, Welch standard errors)."""
    theory = main_theory(theory)
    depths = [d for d in depths if d <= simulation.layer.max()]
    checks, rows = [], []
    for depth in depths:
        sim = simulation[simulation.layer == depth]
        test = ordered({arch: rows_.ratio.to_numpy() for arch, rows_ in sim.groupby("arch")})
        exact = theory[theory.layer == depth].set_index("arch").ratio
        present = [arch for arch in ORDER if arch in exact.index]
        theory_ok = bool(all(exact[a] >= exact[b] for a, b in zip(present, present[1:])))
        checks += [test["verdict"], theory_ok]
        rows.append(
            {
                "depth": int(depth),
                "theory": {a: float(exact[a]) for a in present},
                "theory_holds": theory_ok,
                "simulation": test,
            }
        )
    held = sum(r["theory_holds"] and r["simulation"]["holds"] for r in rows)
    deepest = rows[-1]
    ratios = ", ".join(
        f"{arch} {deepest['simulation']['summaries'][arch]['mean']:.3f}"
        for arch in deepest["simulation"]["summaries"]
    )
    evidence = (
        f"ordering resnet_bn >= resnet >= mlp holds in theory and simulation at {held} "
        f"of {len(rows)} depths {list(depths)}; at l = {deepest['depth']} simulated "
        f"ratios {ratios}"
    )
    return {
        "verdict": verdict(checks),
        "evidence": evidence,
        "measured": rows,
        "test": f"at each depth: theory ratios ordered; each simulated mean difference "
        f"+- {Z} Welch standard errors above 0 (holds), below 0 (does not hold), "
        f"else or with fewer than {MIN_SEEDS} seeds inconclusive",
    }


def width_slopes(errors: pd.DataFrame) -> dict:
    """Per architecture, the log-log slope of the seed-mean width-scan error against N, whether
    it shrinks (slope < 0 and the largest width's error below half the smallest's), and the
    error's summary over seeds at each width."""
    slopes = {}
    for arch, rows in errors.groupby("arch"):
        per_width = rows.groupby("width").error.mean()
        slope = float(np.polyfit(np.log(per_width.index), np.log(per_width.to_numpy()), 1)[0])
        slopes[arch] = {
            "slope": slope,
            "shrinks": bool(slope < 0 and per_width.iloc[-1] < 0.5 * per_width.iloc[0]),
            "error_by_width": {
                int(w): summary(rows[rows.width == w].error) for w in per_width.index
            },
        }
    return slopes


def claim_c6(
    simulation: pd.DataFrame, theory: pd.DataFrame, width_table: pd.DataFrame, depths: Sequence[int]
) -> dict:
    """C6: relative discrepancy |mean_seeds(ratio_sim) - ratio_theory| / ratio_theory at each
    depth within C6_TOLERANCE, and the width-scan error decreasing with N (log-log slope < 0
    and error at the largest width below half that at the smallest), resnet_bn against the
    exact BN theory where the table has it. The resnet_bn slope against the large-batch BN
    approximation is reported beside it (not a check)."""
    variant = bn_variant(theory)
    theory_main = main_theory(theory, variant)
    sim = seed_means(simulation, "ratio")
    merged = sim.merge(theory_main[["arch", "layer", "ratio"]], on=["arch", "layer"])
    merged["relative"] = (merged["mean"] - merged.ratio).abs() / merged.ratio
    checks, rows = [], []
    for depth in [d for d in depths if d <= simulation.layer.max()]:
        at = merged[merged.layer == depth].set_index("arch").relative
        checks.append(bool((at <= C6_TOLERANCE).all()))
        rows.append({"depth": int(depth), "relative_discrepancy": at.to_dict()})
    slopes = width_slopes(width_errors(width_table, theory, variant))
    checks += [s["shrinks"] for s in slopes.values()]
    measured = {"bn_theory": variant, "depths": rows, "width_scan": slopes}
    worst = max(max(r["relative_discrepancy"].values()) for r in rows)
    evidence = (
        f"largest relative ratio discrepancy {worst:.3f} over depths "
        f"{[r['depth'] for r in rows]} (tolerance {C6_TOLERANCE}); error vs width "
        "slopes "
        + ", ".join(f"{a} {s['slope']:.2f}" for a, s in slopes.items())
        + " (N^-1/2 would be -0.5); resnet_bn theory: "
        + ("exact BN" if variant == "centred" else "large-batch BN approximation")
    )
    bn_rows = width_table[width_table.arch == "resnet_bn"]
    if (
        variant == "centred"
        and (theory.variant == "centred_large_batch").any()
        and not bn_rows.empty
    ):
        approximate = width_slopes(width_errors(bn_rows, theory, "centred_large_batch"))
        measured["width_scan_large_batch"] = approximate["resnet_bn"]
        evidence += (
            f" (against the large-batch approximation: slope "
            f"{approximate['resnet_bn']['slope']:.2f})"
        )
    return {
        "verdict": verdict(checks),
        "evidence": evidence,
        "measured": measured,
        "test": f"relative discrepancy of the seed-mean ratio <= {C6_TOLERANCE} at each "
        "depth; error against width has negative log-log slope and halves from the "
        "smallest to the largest width",
    }


def random_init_claims(
    distance: pd.DataFrame, theory: pd.DataFrame, width: pd.DataFrame, depths: Sequence[int]
) -> dict:
    """C2, C3 and C6, the claims about networks at random initialisation."""
    return {
        "C2": claim_c2(distance, theory),
        "C3": claim_c3(distance, theory, depths),
        "C6": claim_c6(distance, theory, width, depths),
    }
