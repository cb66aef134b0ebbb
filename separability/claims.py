"""Pre-registered tests of the paper's claims C1..C6 (docs/claims.md): each takes tidy result
tables, applies a test fixed in code before any result is seen, and returns the measured
numbers (mean, sd, n), the test applied, and a verdict: ``holds``, ``partly``,
``does not hold`` or ``inconclusive`` (the data cannot decide: an interval that contains 0,
fewer than ``MIN_SEEDS`` seeds in a compared group, fewer than ``MIN_RUNS`` finished runs for
a correlation). A claim that does not hold is a result, never a bug; a claim the data cannot
decide is never reported as not holding. The verdicts are rendered for people by
``separability.report``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from separability import architectures
from separability.decay import (
    FIRST_FIT_LAYER,
    RATE_NAMES,
    decay_windows,
    paper_name,
    rate,
    window_fits,
)
from separability.phase import paper_region

CLAIMS = {
    "C1": "A larger ratio of between-class to within-class distance of the last hidden layer's "
    "features goes with higher classification performance.",
    "C2": "In a randomly initialised MLP the between-class distance shrinks faster through the "
    "layers than the within-class distance, so the ratio degrades with depth.",
    "C3": "The skip connection and batch normalization relax that degradation: at equal depth "
    "the ratio is ordered ResNet+BN >= ResNet >= MLP.",
    "C4": "The angle between two feature vectors decreases with depth exponentially in the MLP, "
    "sub-exponentially with skip connections, and reciprocally (like 1/l) with skip "
    "connections and BN.",
    "C5": "After training, networks whose initialisation preserved angles (skip, skip+BN) reach "
    "a larger distance ratio at the last hidden layer than the MLP of the same depth.",
    "C6": "The numerical experiments (finite width) agree with the theory (infinite width).",
}
ORDER = architectures.paper_order()
PAPER_LAWS = architectures.paper_laws()
Z = 2.0  # a difference counts as real beyond Z standard errors
MIN_SEEDS = 3  # a comparison of two groups needs at least this many seeds in each
MIN_RUNS = 6  # a rank correlation needs at least this many finished runs
FIT_ACCURACY = 0.9  # a model fitted its training data if its mean training accuracy reaches it
VERDICTS = ("holds", "partly", "does not hold", "inconclusive")
C6_TOLERANCE = 0.05  # relative theory-simulation discrepancy accepted as agreement


def verdict(checks: Sequence[bool | str]) -> str:
    """One verdict from checks, each a bool (True: ``holds``, False: ``does not hold``) or a
    verdict of ``VERDICTS``: ``holds`` when every check holds, ``inconclusive`` when every
    check is inconclusive, ``partly`` when some check holds (fully or partly) and some does
    not, else ``does not hold`` (at least one check decided against, none for)."""
    outcomes = [
        ("holds" if check else "does not hold") if isinstance(check, (bool, np.bool_)) else check
        for check in checks
    ]
    if not outcomes:
        raise ValueError("a verdict needs at least one check")
    unknown = set(outcomes) - set(VERDICTS)
    if unknown:
        raise ValueError(f"unknown verdicts {sorted(unknown)}")
    if all(outcome == "holds" for outcome in outcomes):
        return "holds"
    if all(outcome == "inconclusive" for outcome in outcomes):
        return "inconclusive"
    return "partly" if {"holds", "partly"} & set(outcomes) else "does not hold"


def summary(values) -> dict:
    """Mean, sd (ddof 1) and n of finite values."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")
    return {
        "mean": float(np.mean(values)) if len(values) else float("nan"),
        "sd": sd,
        "n": int(len(values)),
    }


def compare(upper: Mapping, lower: Mapping, upper_name: str, lower_name: str) -> dict:
    """Is the mean of ``upper`` larger than that of ``lower`` (``summary`` dicts of per-seed
    values)? The difference with its Welch standard error and interval difference +- Z se:
    ``holds`` when the interval lies above 0, ``does not hold`` when below, ``inconclusive``
    when it contains 0 or either group has fewer than ``MIN_SEEDS`` seeds."""
    diff = upper["mean"] - lower["mean"]
    enough = min(upper["n"], lower["n"]) >= MIN_SEEDS
    se = (
        math.sqrt(upper["sd"] ** 2 / upper["n"] + lower["sd"] ** 2 / lower["n"])
        if enough
        else math.nan
    )
    if not enough or not math.isfinite(diff):
        outcome = "inconclusive"
    elif diff - Z * se > 0:
        outcome = "holds"
    elif diff + Z * se < 0:
        outcome = "does not hold"
    else:
        outcome = "inconclusive"
    return {
        "upper": upper_name,
        "lower": lower_name,
        "difference": diff,
        "se": se,
        "interval": [diff - Z * se, diff + Z * se],
        "verdict": outcome,
        "holds": outcome == "holds",
    }


def ordered(samples: Mapping[str, Sequence[float]], order: Sequence[str] = ORDER) -> dict:
    """Test a > b > c for per-seed samples of each architecture in ``order``: each adjacent
    pair by ``compare``. Returns the summaries, the pairs, their joint ``verdict``
    (``inconclusive`` with fewer than two architectures) and ``holds``."""
    present = [arch for arch in order if arch in samples]
    summaries = {arch: summary(samples[arch]) for arch in present}
    pairs = [
        compare(summaries[upper], summaries[lower], upper, lower)
        for upper, lower in zip(present, present[1:])
    ]
    joint = verdict([pair["verdict"] for pair in pairs]) if pairs else "inconclusive"
    return {"summaries": summaries, "pairs": pairs, "verdict": joint, "holds": joint == "holds"}


def decreasing(layers, values) -> dict:
    """Does a series decrease with depth? Spearman rank correlation of (l, value) <= -0.5 and
    the last value below the first."""
    layers, values = np.asarray(layers), np.asarray(values, dtype=float)
    rho = float(stats.spearmanr(layers, values).statistic)
    holds = bool(rho <= -0.5 and values[-1] < values[0])
    return {"spearman": rho, "first": float(values[0]), "last": float(values[-1]), "holds": holds}


def seed_means(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Mean and sd over seeds of ``column`` per architecture and layer."""
    return table.groupby(["arch", "layer"])[column].agg(["mean", "std", "count"]).reset_index()


def bn_variant(theory: pd.DataFrame) -> str:
    """The resnet_bn variant of the claims: exact centred BN ("centred") where the theory
    table has it (config theory.bn: exact), else its large-batch approximation
    ("centred_large_batch")."""
    return "centred" if (theory.variant == "centred").any() else "centred_large_batch"


def main_theory(theory: pd.DataFrame, variant: str | None = None) -> pd.DataFrame:
    """The Gram-recursion rows of the standard models: mlp, resnet, and resnet_bn with centred
    BN in the form ``variant`` (default ``bn_variant``: exact where available)."""
    return theory[theory.variant.isin(["-", variant or bn_variant(theory)])]


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


def decay_fits(layers, theta, windows: Sequence[tuple[int, int]], log_theta=None) -> list[dict]:
    """Best decay law (held-out error) of theta(l) (or of log theta) in each window, with every
    law's fit."""
    return [
        {
            "window": [winner.first, winner.last],
            "best": winner.law,
            "paper_name": paper_name(winner.law),
            "rate": rate(winner),
            "fits": [fit.as_dict() for fit in fits],
        }
        for winner, fits in window_fits(layers, theta, windows, log_theta)
    ]


def region_evidence(measured: Mapping[str, dict]) -> str:
    """One line of C4's evidence: per architecture, the share of the phase grid where the
    paper's law holds and whether He init lies in it."""
    grid = next(iter(measured.values()))["region"]["grid"]
    parts = []
    for arch, m in measured.items():
        region, he = m["region"], m["region"]["he_init"]
        laws = ", ".join(f"{name} {share:.0%}" for name, share in region["laws"].items())
        parts.append(
            f"{arch} {region['fraction']:.0%} ({laws}; He init "
            f"{'in' if he['in_region'] else 'not in'} it: {he['law']})"
        )
    return (
        f"region of the paper's law over s_w in {grid['s_w']}, s_b in {grid['s_b']} "
        f"({grid['cells']} cells, scalar theory to depth {grid['depth']}, figure 8): "
        + "; ".join(parts)
    )


def phase_region(phase: pd.DataFrame, arch: str) -> dict:
    """Where ``arch`` follows the paper's law over the initialisation grid of the phase table
    (figure 8): fraction and list of cells (s_w, s_b), the fraction of cells per law, and the
    law at He init (the grid cell nearest to s_w = 2, s_b = 0) and whether it is the paper's."""
    region = paper_region(phase[phase.arch == arch], PAPER_LAWS)[arch]
    cells = phase[phase.arch == arch]
    he = cells.iloc[int(np.argmin(np.hypot(cells.s_w - 2.0, cells.s_b)))]
    return {
        **region,
        "grid": {
            "s_w": [float(cells.s_w.min()), float(cells.s_w.max())],
            "s_b": [float(cells.s_b.min()), float(cells.s_b.max())],
            "cells": int(len(cells)),
            "depth": int(cells.depth.iloc[0]),
        },
        "he_init": {
            "s_w": float(he.s_w),
            "s_b": float(he.s_b),
            "law": he.paper_name,
            "in_region": bool(he.paper_name == PAPER_LAWS[arch]),
        },
    }


def claim_c4(scalar: pd.DataFrame, pairs: pd.DataFrame, phase: pd.DataFrame | None = None) -> dict:
    """C4: decay law of theta_l per architecture, from the largest initial angle: the scalar
    theory in the windows [10, 1e3] and [1e3, depth] (asymptotic), the simulated pairs (mean
    over seeds) in [10, their depth]. A check passes when the law named by the paper is the
    best fit in the asymptotic theory window and in the simulation. Beside this verdict at the
    configured init, with a phase table (figure 8): the region of the (s_w, s_b) plane where
    each architecture follows the paper's law (``phase_region``)."""
    angle0 = float(scalar.angle0.max())
    depth = int(scalar.layer.max())
    sim_depth = int(pairs.layer.max())
    theory_windows = decay_windows(depth)
    checks, measured = [], {}
    for arch in [a for a in PAPER_LAWS if a in set(scalar.arch)]:
        rows = scalar[(scalar.arch == arch) & np.isclose(scalar.angle0, angle0)]
        sim = pairs[(pairs.arch == arch) & np.isclose(pairs.angle0, angle0)]
        sim = sim.groupby("layer").theta.mean()
        # log theta where the table has it: an exponential decay underflows theta itself
        theory_fits = decay_fits(
            rows.layer,
            None if "log_theta" in rows else rows.theta,
            theory_windows,
            rows.get("log_theta"),
        )
        sim_fits = decay_fits(sim.index, sim.to_numpy(), [(FIRST_FIT_LAYER, sim_depth)])
        expected = PAPER_LAWS[arch]
        found = [fit["paper_name"] for fit in (theory_fits[-1:] + sim_fits)]
        checks += [name == expected for name in found]
        measured[arch] = {
            "paper": expected,
            "theory": theory_fits,
            "simulation": sim_fits,
            "theta_at_depth": float(rows.theta.iloc[-1]),
        }
        if phase is not None:
            measured[arch]["region"] = phase_region(phase, arch)
    parts = []
    for arch, m in measured.items():
        laws = "; ".join(
            f"[{f['window'][0]}, {f['window'][1]}] {f['paper_name']} "
            f"({RATE_NAMES[f['best']]} {f['rate']:.3g})"
            for f in m["theory"]
        )
        parts.append(f"{arch} (paper: {m['paper']}): theory {laws}")
    slowest = " > ".join(
        f"{arch} {m['theta_at_depth']:.2g}"
        for arch, m in sorted(measured.items(), key=lambda item: -item[1]["theta_at_depth"])
    )
    parts.append(f"theta at l = {depth} (theory, slowest decay first): {slowest}")
    if phase is not None:
        parts.append(region_evidence(measured))
    return {
        "verdict": verdict(checks),
        "evidence": " | ".join(parts),
        "measured": measured,
        "angle0": angle0,
        "test": "least-squares fits of log theta against l (exponential), log l (power law, "
        "'sub-exponential') and log l with slope -1 (reciprocal); the law with the "
        "smallest held-out error (alternate depths) is named; the paper's law must "
        "win in the asymptotic theory window and in the simulation",
    }


def width_errors(
    width_table: pd.DataFrame, theory: pd.DataFrame, variant: str | None = None
) -> pd.DataFrame:
    """Per seed, architecture and width: mean over layers >= 1 of |ratio_sim - ratio_theory|,
    against the theory rows of ``main_theory(theory, variant)``."""
    reference = main_theory(theory, variant)[["arch", "layer", "ratio"]]
    merged = width_table[width_table.layer >= 1].merge(
        reference, on=["arch", "layer"], suffixes=("", "_theory")
    )
    merged["error"] = (merged.ratio - merged.ratio_theory).abs()
    return merged.groupby(["arch", "width", "seed"], as_index=False).error.mean()


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


# The last-layer separability measures after training (columns of runs.tsv): C1 and C5 are
# pre-registered on the first, the held-out ratio; the others are secondary tests.
TRAINED_MEASURES = {
    "heldout_ratio_trained": "held-out ratio d_b/d_w",
    "ratio_trained": "training-subset ratio d_b/d_w",
    "heldout_fisher_trained": "held-out Fisher criterion trace(S_B)/trace(S_W)",
    "heldout_ncm_accuracy_trained": "held-out nearest-class-mean accuracy",
}
PRIMARY = "heldout_ratio_trained"


def trained_runs(runs: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Finished runs (status ok) and a count of the others (diverged, collapsed) per status and
    per architecture and depth (never dropped silently)."""
    ok = runs[runs.status == "ok"]
    unfinished = runs[runs.status != "ok"]
    counts = {
        f"{arch} L={depth}": int(len(rows_))
        for (arch, depth), rows_ in unfinished.groupby(["arch", "depth"])
    }
    return ok, {
        "total": int(len(unfinished)),
        "by_model": counts,
        "by_status": {str(k): int(v) for k, v in unfinished.status.value_counts().items()},
        "runs": int(len(runs)),
    }


def fitted_models(runs: pd.DataFrame) -> dict[str, dict]:
    """Did the networks train? Per architecture and depth ("arch L=depth"): the mean training
    accuracy of its finished runs and ``fitted``, whether it reaches ``FIT_ACCURACY`` (a model
    with no finished run did not fit)."""
    models = {}
    for (arch, depth), rows in runs.groupby(["arch", "depth"]):
        accuracy = summary(rows[rows.status == "ok"].train_accuracy)
        models[f"{arch} L={depth}"] = {
            "arch": arch,
            "depth": int(depth),
            "train_accuracy": accuracy,
            "fitted": bool(accuracy["n"] > 0 and accuracy["mean"] >= FIT_ACCURACY),
        }
    return models


def spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman rank correlation of each row of ``x`` with the same row of ``y`` (NaN where a
    row is constant)."""
    rx, ry = stats.rankdata(x, axis=-1), stats.rankdata(y, axis=-1)
    rx = rx - rx.mean(axis=-1, keepdims=True)
    ry = ry - ry.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sum(rx * ry, axis=-1) / np.sqrt(np.sum(rx**2, axis=-1) * np.sum(ry**2, axis=-1))


def rank_correlation(x, y, resamples: int, seed: int) -> dict:
    """Spearman rank correlation of the finite pairs (x, y) with a percentile bootstrap 95%
    interval over pairs (``resamples`` resamples, seeded): ``holds`` when the interval lies
    above 0, ``does not hold`` below 0, ``inconclusive`` when it contains 0, with fewer than
    ``MIN_RUNS`` pairs or a constant variable."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    rho = float(spearman_rows(x, y)) if len(x) >= 2 else math.nan
    low = high = math.nan
    if len(x) >= MIN_RUNS and math.isfinite(rho):
        index = np.random.default_rng(seed).integers(0, len(x), size=(resamples, len(x)))
        boot = spearman_rows(x[index], y[index])
        low, high = (float(v) for v in np.nanpercentile(boot, [2.5, 97.5]))
    outcome = "holds" if low > 0 else "does not hold" if high < 0 else "inconclusive"
    return {"spearman": rho, "ci95": [low, high], "n": int(len(x)), "verdict": outcome}


def correlation_text(test: Mapping) -> str:
    """rho [CI] (n runs), for the evidence."""
    return (
        f"rho = {test['spearman']:.2f} [{test['ci95'][0]:.2f}, {test['ci95'][1]:.2f}] "
        f"({test['n']} runs)"
    )


def secondary(name: str, test: Mapping, evidence: str) -> dict:
    """One secondary test of a claim: its name, verdict, evidence and numbers."""
    return {"name": name, "verdict": test["verdict"], "evidence": evidence, "measured": dict(test)}


def claim_c1(runs: pd.DataFrame, resamples: int, seed: int) -> dict:
    """C1: Spearman rank correlation between the held-out last-layer ratio after training and
    test accuracy across all finished runs, with a bootstrap 95% interval (``rank_correlation``;
    the verdict). Secondary tests, each with its own verdict: the same correlation for the
    training-subset ratio, Fisher's criterion and the nearest-class-mean accuracy, and for the
    held-out ratio within each depth (architectures pooled) and within each architecture, so
    that a pooled correlation that is only a depth or architecture effect shows."""
    ok, unfinished = trained_runs(runs)
    accuracy = ok.test_accuracy.to_numpy()
    tests = {
        column: rank_correlation(ok[column], accuracy, resamples, seed)
        for column in TRAINED_MEASURES
    }
    primary = tests[PRIMARY]
    others = [
        secondary(
            f"C1 on the {TRAINED_MEASURES[column]}",
            test,
            f"Spearman {correlation_text(test)} with test accuracy",
        )
        for column, test in tests.items()
        if column != PRIMARY
    ]
    for key, label in (("depth", "L = {}"), ("arch", "{} only")):
        for value, rows in ok.groupby(key):
            test = rank_correlation(rows[PRIMARY], rows.test_accuracy, resamples, seed)
            others.append(
                secondary(
                    f"C1 within {label.format(value)} (held-out ratio)",
                    test,
                    f"Spearman {correlation_text(test)}",
                )
            )
    evidence = (
        f"Spearman {correlation_text(primary)} between the held-out ratio after "
        f"training and test accuracy (95% bootstrap interval); training-subset ratio "
        f"{correlation_text(tests['ratio_trained'])}; {unfinished['total']} of "
        f"{unfinished['runs']} runs did not finish ({unfinished['by_status']}), excluded"
    )
    return {
        "verdict": primary["verdict"],
        "evidence": evidence,
        "measured": {
            **primary,
            "measure": PRIMARY,
            "unfinished": unfinished,
            "ratio": summary(ok[PRIMARY]),
            "test_accuracy": summary(accuracy),
        },
        "secondary": others,
        "test": f"Spearman rank correlation of the held-out last-layer ratio with test "
        f"accuracy over finished runs, {resamples}-resample percentile bootstrap "
        f"95% interval: above 0 holds, below 0 does not hold, containing 0 or fewer "
        f"than {MIN_RUNS} runs inconclusive",
    }


ANGLE_PRESERVING = ("resnet", "resnet_bn")


def above_mlp(runs: pd.DataFrame, column: str) -> list[dict]:
    """Per trained depth, each angle-preserving architecture's ``column`` against the MLP's
    over seeds (``compare``), with the depth's joint verdict."""
    rows = []
    for depth, at in runs.groupby("depth"):
        values = {arch: summary(group[column]) for arch, group in at.groupby("arch")}
        if "mlp" not in values:
            continue
        pairs = [
            compare(values[arch], values["mlp"], arch, "mlp")
            for arch in ANGLE_PRESERVING
            if arch in values
        ]
        if pairs:
            joint = verdict([pair["verdict"] for pair in pairs])
            rows.append(
                {
                    "depth": int(depth),
                    "summaries": values,
                    "pairs": pairs,
                    "verdict": joint,
                    "holds": joint == "holds",
                }
            )
    return rows


def depths_verdict(rows: Sequence[Mapping]) -> str:
    """Joint verdict of per-depth comparisons (``inconclusive`` when there are none)."""
    return verdict([row["verdict"] for row in rows]) if rows else "inconclusive"


def depths_text(rows: Sequence[Mapping]) -> str:
    """Per depth: verdict and each architecture's mean +- sd, for the evidence."""
    return "; ".join(
        f"L={r['depth']} {r['verdict']}: "
        + ", ".join(f"{a} {s['mean']:.2f}±{s['sd']:.2f}" for a, s in r["summaries"].items())
        for r in rows
    )


def claim_c5(runs: pd.DataFrame) -> dict:
    """C5: at each trained depth, the held-out last-layer ratio after training of resnet and of
    resnet_bn above that of the MLP (``above_mlp``: Welch interval, at least ``MIN_SEEDS``
    seeds); every finished run counts. Secondary tests: the same on the networks that fitted
    their training data only (``fitted_models``), and with the training-subset ratio,
    Fisher's criterion and the nearest-class-mean accuracy."""
    ok, unfinished = trained_runs(runs)
    models = fitted_models(runs)
    unfitted = [name for name, model in models.items() if not model["fitted"]]
    fitted = ok[
        np.array([models[f"{a} L={d}"]["fitted"] for a, d in zip(ok.arch, ok.depth)], dtype=bool)
    ]
    primary = above_mlp(ok, PRIMARY)
    others = []
    for name, table, column in [
        ("networks that fitted their training data only", fitted, PRIMARY)
    ] + [
        (TRAINED_MEASURES[column], ok, column) for column in TRAINED_MEASURES if column != PRIMARY
    ]:
        rows = above_mlp(table, column)
        others.append(
            {
                "name": f"C5 on the {name}",
                "verdict": depths_verdict(rows),
                "evidence": depths_text(rows) or "no comparison left",
                "measured": {"depths": rows},
            }
        )
    fit_text = (
        ", ".join(f"{name} ({models[name]['train_accuracy']['mean']:.2f})" for name in unfitted)
        or "none"
    )
    evidence = (
        f"held-out ratio above the MLP's at "
        f"{sum(r['holds'] for r in primary)} of {len(primary)} depths "
        f"({depths_text(primary)}); did not fit the training data (mean training "
        f"accuracy < {FIT_ACCURACY}): {fit_text}; {unfinished['total']} of "
        f"{unfinished['runs']} runs did not finish ({unfinished['by_status']})"
    )
    return {
        "verdict": depths_verdict(primary),
        "evidence": evidence,
        "measured": {
            "depths": primary,
            "fitted": models,
            "unfitted": unfitted,
            "unfinished": unfinished,
        },
        "secondary": others,
        "test": f"at each depth, resnet and resnet_bn each against mlp: held-out ratio mean "
        f"difference +- {Z} Welch standard errors above 0 holds, below 0 does not "
        f"hold, containing 0 or fewer than {MIN_SEEDS} seeds inconclusive; all "
        "finished runs (the fitted-only comparison is a secondary test)",
    }


def training_robustness(
    settings: Mapping[str, pd.DataFrame], resamples: int, seed: int
) -> list[dict]:
    """C1 and C5 recomputed in second settings (another data set, a second width), one runs
    table per setting label."""
    return [
        robustness_entry(label, {"C1": claim_c1(runs, resamples, seed), "C5": claim_c5(runs)})
        for label, runs in settings.items()
    ]


REQUIRED_COLUMNS = {
    "distance": {"arch", "seed", "layer", "ratio", "d_w_norm", "d_b_norm"},
    "theory": {"arch", "variant", "layer", "ratio", "d_w_norm", "d_b_norm"},
    "width": {"arch", "seed", "width", "layer", "ratio"},
    "scalar": {"arch", "angle0", "layer", "theta"},
    "pairs": {"arch", "seed", "angle0", "layer", "theta"},
    "phase": {"arch", "s_w", "s_b", "law", "paper_name", "rate", "depth"},
    "runs": {
        "arch",
        "depth",
        "seed",
        "status",
        "test_accuracy",
        "train_accuracy",
        *TRAINED_MEASURES,
    },
}
FIGURES = {
    "C1": "figures/{dataset}/fig6_accuracy.pdf",
    "C2": "figures/{dataset}/fig2_ratio.pdf",
    "C3": "figures/{dataset}/fig2_ratio.pdf",
    "C4": "figures/fig3_angle_decay.pdf",
    "C5": "figures/{dataset}/fig5_trained_ratio.pdf",
    "C6": "figures/{dataset}/fig7_width.pdf",
}


def read_result(paths: str | Sequence[str], kind: str) -> pd.DataFrame:
    """Read and stack the result tables of one ``kind``; a missing, empty or malformed file
    raises ValueError naming the file and what is wrong with it."""
    paths = [paths] if isinstance(paths, str) else list(paths)
    if not paths:
        raise ValueError(f"no {kind} tables given")
    tables = []
    for path in paths:
        try:
            table = pd.read_csv(path, sep="\t")
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            raise ValueError(f"{kind} result {path!s} cannot be read: {error}") from error
        missing = REQUIRED_COLUMNS[kind] - set(table.columns)
        if missing or table.empty:
            problem = f"missing columns {sorted(missing)}" if missing else "no rows"
            raise ValueError(f"{kind} result {path!s} is malformed: {problem}")
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def random_init_claims(
    distance: pd.DataFrame, theory: pd.DataFrame, width: pd.DataFrame, depths: Sequence[int]
) -> dict:
    """C2, C3 and C6, the claims about networks at random initialisation."""
    return {
        "C2": claim_c2(distance, theory),
        "C3": claim_c3(distance, theory, depths),
        "C6": claim_c6(distance, theory, width, depths),
    }


def assess(
    dataset: str,
    tables: Mapping[str, pd.DataFrame],
    depths: Sequence[int],
    resamples: int,
    seed: int,
) -> dict:
    """Every claim C1..C6 on one data set: text, verdict, evidence, measurements, test,
    conditions and figure."""
    claims = random_init_claims(tables["distance"], tables["theory"], tables["width"], depths)
    claims["C4"] = claim_c4(tables["scalar"], tables["pairs"], tables.get("phase"))
    claims["C1"] = claim_c1(tables["runs"], resamples, seed)
    claims["C5"] = claim_c5(tables["runs"])
    conditions = {
        "dataset": dataset,
        "width": int(tables["distance"].width.iloc[0]) if "width" in tables["distance"] else None,
        "depth": int(tables["distance"].layer.max()),
        "seeds": int(tables["distance"].seed.nunique()),
        "depths_compared": [int(d) for d in depths],
        "trained_depths": sorted(int(d) for d in set(tables["runs"].depth)),
        "widths_scanned": sorted(int(w) for w in set(tables["width"].width)),
    }
    return {
        key: {
            "claim": CLAIMS[key],
            **claims[key],
            "conditions": conditions,
            "figure": FIGURES[key].format(dataset=dataset),
        }
        for key in sorted(claims)
    }


def robustness_entry(label: str, claims: Mapping[str, dict]) -> dict:
    """Verdicts of a second setting, keyed by claim."""
    return {
        key: {"setting": label, "verdict": value["verdict"], "evidence": value["evidence"]}
        for key, value in claims.items()
    }


def add_robustness(claims: dict, entries: Sequence[dict]) -> dict:
    """Attach each second setting's verdicts to the claims they recompute."""
    for entry in entries:
        for key, value in entry.items():
            claims[key].setdefault("robustness", []).append(value)
    return claims


def at_width(width_table: pd.DataFrame, width: int) -> pd.DataFrame:
    """The width-scan rows of one width, shaped like a distance table."""
    rows = width_table[width_table.width == width]
    if rows.empty:
        raise ValueError(
            f"width {width} is not among the scanned widths {sorted(set(width_table.width))}"
        )
    return rows


def robustness(
    dataset_tables: Mapping[str, Mapping[str, pd.DataFrame]],
    width_table: pd.DataFrame,
    theory: pd.DataFrame,
    second_width: int | None,
    depths: Sequence[int],
) -> list[dict]:
    """The random-init verdicts (C2, C3, C6) recomputed on other data sets and C2, C3 at a
    second width of the main data set's width scan."""
    entries = [
        robustness_entry(
            f"data set {name}",
            random_init_claims(tables["distance"], tables["theory"], tables["width"], depths),
        )
        for name, tables in dataset_tables.items()
    ]
    if second_width is not None:
        narrow = at_width(width_table, second_width)
        entries.append(
            robustness_entry(
                f"width N = {second_width}",
                {
                    "C2": claim_c2(narrow, theory),
                    "C3": claim_c3(narrow, theory, sorted({1, int(narrow.layer.max())})),
                },
            )
        )
    return entries
