"""Claim C4 (docs/claims.md): how fast the angle between two feature vectors closes with depth,
as measured quantities (docs/decay.md, "From the paper's words to laws").

Two checks, each in the infinite-width theory and in a simulation whose depth stays within a
quarter of its width (the sampler of ``separability.finite_width``): (i) the ordering of decay
speed, theta(ResNet+BN) > theta(ResNet) > theta(MLP) at every recorded depth past the transient
(``FIRST_FIT_LAYER``); (ii) each architecture's law under the pre-declared dictionary
(``decay.classify``), at the configured initialisation and, from the phase diagram, over the
(s_w, s_b) plane. ResNet+BN's primary model is per-unit BN acting on a batch of pairs (theory:
the exact Gram recursion; simulation: the sampler with real BN on that batch); the shared
normaliser of the scalar theory is reported beside it as the idealisation. The simulated pairs
of real networks (width 512) are a secondary, finite-width curve.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from separability import architectures
from separability.claims.verdicts import LEVEL, compare, summary, verdict
from separability.decay import (
    FIRST_FIT_LAYER,
    MIN_FIT_LAYERS,
    classify,
    decay_windows,
    paper_name,
    rate,
    window_fits,
    word_check,
)
from separability.phase import paper_region

PAPER_LAWS = architectures.paper_laws()
ORDER = architectures.paper_order()
DEPTH_PER_WIDTH = 0.25  # simulated layers count only up to this share of the width


def mean_series(table: pd.DataFrame) -> pd.DataFrame:
    """Per layer, the mean angle over networks (or seeds) with its sd and count."""
    key = "network" if "network" in table else "seed"
    per_run = table.groupby(["layer", key]).theta.mean()
    return per_run.groupby("layer").agg(["mean", "std", "count"])


def sim_window(table: pd.DataFrame) -> pd.DataFrame:
    """The simulated layers C4 reads: past the transient and within a quarter of the width."""
    width = int(table.width.iloc[0])
    return table[(table.layer >= FIRST_FIT_LAYER) & (table.layer <= DEPTH_PER_WIDTH * width)]


def theory_law(rows: pd.DataFrame) -> dict | None:
    """The classified law of a theory series in its asymptotic window (``decay_windows``;
    None when the window holds too few layers with a positive angle)."""
    first, last = decay_windows(int(rows.layer.max()))[-1]
    inside = rows[(rows.layer >= first) & (rows.layer <= last)]
    if "log_theta" not in inside:
        inside = inside[inside.theta > 0].assign(log_theta=lambda t: np.log(t.theta))
    if len(inside) < MIN_FIT_LAYERS:
        return None
    return classify(inside.layer.to_numpy(), log_theta=inside.log_theta.to_numpy())


def simulation_law(table: pd.DataFrame) -> dict | None:
    """The classified law of a simulation's mean angle over its C4 window, with the standard
    error of its log as the series' noise (None when the window holds too few layers)."""
    series = mean_series(sim_window(table))
    series = series[series["mean"] > 0]
    if len(series) < MIN_FIT_LAYERS:
        return None
    noise = (series["std"] / series["mean"] / np.sqrt(series["count"])).fillna(0.0)
    return classify(series.index.to_numpy(), series["mean"].to_numpy(), noise=noise.to_numpy())


def on_layers(series: pd.Series, layers: np.ndarray) -> np.ndarray:
    """A positive series of theta over layers, read at ``layers`` (log theta interpolated
    linearly in log l)."""
    return np.exp(np.interp(np.log(layers), np.log(series.index), np.log(series.to_numpy())))


def theory_ordering(theories: Mapping[str, pd.Series]) -> dict:
    """Is theta ordered as ``ORDER`` (ResNet+BN, ResNet, MLP, slowest decay first) at every
    layer past the transient where all the theories are defined? Each series is read on the
    union of their layers over the common range."""
    first = max(FIRST_FIT_LAYER, *(s.index.min() for s in theories.values()))
    last = min(s.index.max() for s in theories.values())
    layers = np.unique(
        np.concatenate([s.index[(s.index >= first) & (s.index <= last)] for s in theories.values()])
    )
    values = {arch: on_layers(s, layers) for arch, s in theories.items()}
    ranked = [values[arch] for arch in ORDER if arch in values]
    ok = np.all([a > b for a, b in zip(ranked, ranked[1:])], axis=0)
    failing = layers[~ok]
    return {
        "layers": [int(first), int(last)],
        "checked": int(len(layers)),
        "failing_layers": [int(layer) for layer in failing[:20]],
        "verdict": "holds" if ok.all() else "does not hold",
    }


def simulation_ordering(simulations: Mapping[str, pd.DataFrame]) -> dict:
    """Is the mean simulated theta ordered as ``ORDER`` at every common layer of the C4
    window? Adjacent architectures are compared per layer by ``verdicts.compare`` (Welch t
    interval over networks); the verdicts of all layers combine by ``verdicts.verdict``."""
    per_run = {
        arch: sim_window(table)
        .groupby(["layer", "network" if "network" in table else "seed"])
        .theta.mean()
        for arch, table in simulations.items()
    }
    present = [arch for arch in ORDER if arch in per_run]
    layers = sorted(set.intersection(*(set(s.index.get_level_values(0)) for s in per_run.values())))
    outcomes = []
    for layer in layers:
        summaries = {arch: summary(per_run[arch].loc[layer]) for arch in present}
        outcomes += [
            compare(summaries[a], summaries[b], a, b)["verdict"]
            for a, b in zip(present, present[1:])
        ]
    counts = {name: outcomes.count(name) for name in set(outcomes)}
    return {
        "layers": [int(layers[0]), int(layers[-1])] if layers else [],
        "comparisons": counts,
        "verdict": verdict(outcomes) if outcomes else "inconclusive",
    }


def law_text(arch: str, result: Mapping | None) -> str:
    """One architecture's measured law, for the evidence."""
    if result is None:
        return f"{arch}: too few layers in the window"
    low, high = result["exponent_interval"]
    words = (
        ", ".join(word for word, ok in result["words"].items() if ok) or "none of the paper's words"
    )
    return (
        f"{arch}: {result['law']} on l in {result['window']} (exponent {result['exponent']:.3f} "
        f"[{low:.3f}, {high:.3f}]; {words})"
    )


def asymptotic_constants(scalar: pd.DataFrame, s_w: float, s_v: float) -> dict:
    """The He-init asymptotics of docs/theory.md, section 7, at the deepest layer of the
    scalar theory from the largest angle: l theta_l against 3 pi (MLP, and the MLP's angle map
    of MLP+BN) and against 3 pi (1 + a) / a (ResNet, a = s_w s_v / 2), and theta_l log l of
    ResNet+BN's shared normaliser (which tends to 3 pi on the logarithmic clock)."""
    angle0 = float(scalar.angle0.max())
    constants = {}
    a = s_w * s_v / 2.0
    limits = {(False, False): 3 * math.pi, (True, False): 3 * math.pi * (1 + a) / a}
    for arch in sorted(set(scalar.arch)):
        entry = architectures.get(arch)
        rows = scalar[(scalar.arch == arch) & np.isclose(scalar.angle0, angle0)]
        deepest = rows.loc[rows.layer.idxmax()]
        layer, theta = int(deepest.layer), float(deepest.theta)
        if entry.normalised and entry.skip:
            constants[arch] = {"layer": layer, "theta_log_l": theta * math.log(layer)}
            continue
        limit = limits[(entry.skip, False)]
        constants[arch] = {"layer": layer, "l_theta": layer * theta, "limit": limit}
    return constants


def constants_text(constants: Mapping[str, dict]) -> str:
    """The asymptotic constants, for the evidence."""
    parts = []
    for arch, c in constants.items():
        if "l_theta" in c:
            parts.append(
                f"{arch} l theta_l = {c['l_theta']:.3f} at l = {c['layer']} "
                f"(limit {c['limit']:.3f})"
            )
        else:
            parts.append(
                f"{arch} theta_l log l = {c['theta_log_l']:.2f} at l = {c['layer']} "
                "(-> 3 pi on the logarithmic clock)"
            )
    return "; ".join(parts)


def phase_words(phase: pd.DataFrame, arch: str) -> dict:
    """Over the phase diagram's grid, the share of cells where each of the paper's words
    describes ``arch``'s law (the phase table's laws under the dictionary: exponential;
    sub-exponential for a power, reciprocal or inverse-log law; reciprocal for the reciprocal
    law) and the law of the cell nearest He init (2, 0)."""
    cells = phase[phase.arch == arch]
    words = {
        "exponential": cells.law == "exponential",
        "sub-exponential": cells.law.isin(["power", "reciprocal", "inverse_log"]),
        "reciprocal": cells.law == "reciprocal",
    }
    he = cells.iloc[int(np.argmin(np.hypot(cells.s_w - 2.0, cells.s_b)))]
    return {
        "shares": {word: float(mask.mean()) for word, mask in words.items()},
        "he_init": {"s_w": float(he.s_w), "s_b": float(he.s_b), "law": he.law},
        "cells": int(len(cells)),
    }


def decay_fits(layers, theta, windows: Sequence[tuple[int, int]], log_theta=None) -> list[dict]:
    """The replaced test's fits: best decay law (held-out error) of theta(l) (or of log theta)
    in each window, a power law near 1 renamed reciprocal (``decay.best_law``)."""
    return [
        {
            "window": [winner.first, winner.last],
            "best": winner.law,
            "paper_name": paper_name(winner.law),
            "rate": rate(winner),
        }
        for winner, _ in window_fits(layers, theta, windows, log_theta)
    ]


def replaced_c4(scalar: pd.DataFrame, pairs: pd.DataFrame, phase: pd.DataFrame | None) -> dict:
    """C4 as first tested (docs/claims.md, "History"): the paper's law must be the best fit by
    name, the names mutually exclusive, in the asymptotic window of the scalar theory and in
    the real-network pairs over their whole depth."""
    angle0 = float(scalar.angle0.max())
    checks, laws = [], {}
    for arch in [a for a in PAPER_LAWS if a in set(scalar.arch)]:
        rows = scalar[(scalar.arch == arch) & np.isclose(scalar.angle0, angle0)]
        sim = pairs[(pairs.arch == arch) & np.isclose(pairs.angle0, angle0)]
        sim = sim.groupby("layer").theta.mean()
        windows = decay_windows(int(rows.layer.max()))
        logged = "log_theta" in rows
        theory_fits = decay_fits(
            rows.layer, None if logged else rows.theta, windows, rows.get("log_theta")
        )
        sim_fits = decay_fits(sim.index, sim.to_numpy(), [(FIRST_FIT_LAYER, int(sim.index.max()))])
        found = [fit["paper_name"] for fit in theory_fits[-1:] + sim_fits]
        checks += [name == PAPER_LAWS[arch] for name in found]
        laws[arch] = found
    region = {}
    if phase is not None:
        region = {
            arch: value["fraction"]
            for arch, value in paper_region(
                phase[phase.arch.isin(list(PAPER_LAWS))], PAPER_LAWS
            ).items()
        }
    text = "; ".join(f"{arch}: {', '.join(found)}" for arch, found in laws.items())
    if region:
        text += (
            "; paper's law by name on "
            + ", ".join(f"{a} {f:.0%}" for a, f in region.items())
            + " of the plane"
        )
    return {
        "name": "C4 as first tested (replaced): the paper's law by name (power near 1 renamed "
        "reciprocal, names exclusive), asymptotic theory window and real-network pairs",
        "verdict": verdict(checks),
        "evidence": text,
        "measured": {"laws": laws, "region": region},
    }


def primary_sources(
    scalar: pd.DataFrame, wide: pd.DataFrame, batch: pd.DataFrame | None, angle0: float
) -> dict[str, dict]:
    """Each architecture's primary theory (a theta series over layers) and simulation (per
    network rows) from the largest initial angle: per-unit BN on the pairs batch for the
    normalised architectures where ``batch`` has them, else the scalar theory and the wide
    sampler pairs (shared normaliser)."""
    sources = {}
    for arch in sorted(set(scalar.arch)):
        scalar_rows = scalar[(scalar.arch == arch) & np.isclose(scalar.angle0, angle0)]
        theory = scalar_rows.set_index("layer").theta
        simulation = wide[(wide.arch == arch) & np.isclose(wide.angle0, angle0)]
        model = "scalar theory and sampler pairs"
        if architectures.get(arch).normalised and batch is not None and arch in set(batch.arch):
            rows = batch[(batch.arch == arch) & np.isclose(batch.angle0, angle0)]
            theory = rows[rows.source == "theory"].groupby("layer").theta.mean()
            simulation = rows[rows.source != "theory"]
            model = "per-unit BN on the pairs batch"
        sources[arch] = {
            "theory": theory[theory.index >= 1],
            "simulation": simulation,
            "model": model,
        }
    return sources


def claim_c4(
    scalar: pd.DataFrame,
    pairs: pd.DataFrame,
    wide: pd.DataFrame,
    batch: pd.DataFrame | None = None,
    phase: pd.DataFrame | None = None,
    init: Mapping | None = None,
) -> dict:
    """C4 as measured quantities (module docstring): the ordering of decay speed and each of
    the paper's architectures' law under the dictionary, in theory and in the simulation
    within a quarter of its width, with ResNet+BN's per-unit BN as its primary model.
    Secondary: the shared-normaliser idealisation of the normalised architectures, the
    real-network pairs (finite width), the phase diagram's shares, and the replaced test."""
    init = {"s_w": 2.0, "s_v": 2.0, **(init or {})}
    angle0 = float(scalar.angle0.max())
    sources = primary_sources(scalar, wide, batch, angle0)
    paper = [arch for arch in PAPER_LAWS if arch in sources]
    ordering = {
        "theory": theory_ordering({a: sources[a]["theory"] for a in paper}),
        "simulation": simulation_ordering({a: sources[a]["simulation"] for a in paper}),
    }
    laws, checks = {}, [ordering["theory"]["verdict"], ordering["simulation"]["verdict"]]
    for arch, source in sources.items():
        theory = source["theory"].reset_index()
        laws[arch] = {
            "model": source["model"],
            "theory": theory_law(theory),
            "simulation": simulation_law(source["simulation"]),
        }
        if arch in PAPER_LAWS:
            word = PAPER_LAWS[arch]
            laws[arch]["paper"] = word
            laws[arch]["checks"] = [
                word_check(laws[arch][side], word) if laws[arch][side] else "inconclusive"
                for side in ("theory", "simulation")
            ]
            checks += laws[arch]["checks"]
    constants = asymptotic_constants(scalar, init["s_w"], init["s_v"])
    secondary = idealisation(scalar, wide, angle0)
    secondary.append(finite_width_pairs(pairs, angle0))
    regions = {}
    if phase is not None:
        regions = {arch: phase_words(phase, arch) for arch in PAPER_LAWS if arch in set(phase.arch)}
        secondary.append(region_entry(regions))
    secondary.append(replaced_c4(scalar, pairs, phase))
    design = [
        {
            "name": f"{arch} (not in the paper) in the 2 x 2 design",
            "evidence": law_text(arch, laws[arch]["theory"])
            + " in theory, "
            + law_text(arch, laws[arch]["simulation"])
            + " in simulation ("
            + laws[arch]["model"]
            + ")",
            "measured": laws[arch],
        }
        for arch in sources
        if arch not in PAPER_LAWS
    ]
    evidence = (
        f"ordering of decay speed {' > '.join(ORDER)}: {ordering['theory']['verdict']} in "
        f"theory (every layer in {ordering['theory']['layers']}), "
        f"{ordering['simulation']['verdict']} in simulation; laws (paper: "
        + ", ".join(f"{a} {w}" for a, w in PAPER_LAWS.items())
        + "): "
        + "; ".join(law_text(a, laws[a]["theory"]) for a in paper)
        + " in theory; "
        + "; ".join(law_text(a, laws[a]["simulation"]) for a in paper)
        + " in simulation; "
        + constants_text(constants)
    )
    return {
        "verdict": verdict(checks),
        "evidence": evidence,
        "measured": {
            "ordering": ordering,
            "laws": laws,
            "constants": constants,
            "phase": regions,
            "angle0": angle0,
        },
        "secondary": secondary,
        "design": design,
        "test": "(i) theta ordered ResNet+BN > ResNet > MLP at every layer past l = "
        f"{FIRST_FIT_LAYER}, in theory and in the simulation up to a quarter of its width "
        f"(per layer, {LEVEL:.0%} Welch t intervals over networks); (ii) each architecture's "
        "decay law under the dictionary (exponential: the exponential law; sub-exponential: a "
        "power or inverse-log law; reciprocal: a power law whose exponent interval holds 1; a "
        "best fit missing log theta by more than 0.05 is unresolved, inconclusive) in the "
        "asymptotic theory window and the simulation window; ResNet+BN with per-unit BN on a "
        "batch of pairs",
    }


def idealisation(scalar: pd.DataFrame, wide: pd.DataFrame, angle0: float) -> list[dict]:
    """Secondary entries: the normalised architectures with the shared normaliser of the
    scalar theory (theory and wide sampler pairs), the idealisation beside per-unit BN."""
    entries = []
    for arch in sorted(set(scalar.arch)):
        if not architectures.get(arch).normalised or arch not in PAPER_LAWS:
            continue
        rows = scalar[(scalar.arch == arch) & np.isclose(scalar.angle0, angle0)]
        theory = theory_law(rows)
        simulation = simulation_law(wide[(wide.arch == arch) & np.isclose(wide.angle0, angle0)])
        word = PAPER_LAWS[arch]
        checks = [word_check(law, word) if law else "inconclusive" for law in (theory, simulation)]
        entries.append(
            {
                "name": f"C4 for {arch} with one shared normaliser (the scalar idealisation)",
                "verdict": verdict(checks),
                "evidence": law_text(arch, theory)
                + " in theory; "
                + law_text(arch, simulation)
                + " in the sampler pairs",
                "measured": {"theory": theory, "simulation": simulation},
            }
        )
    return entries


def finite_width_pairs(pairs: pd.DataFrame, angle0: float) -> dict:
    """Secondary entry: the real-network pairs (finite width), each paper architecture's law
    under the dictionary over its layers within a quarter of the width."""
    rows = pairs[np.isclose(pairs.angle0, angle0)]
    laws = {
        arch: simulation_law(rows[rows.arch == arch])
        for arch in PAPER_LAWS
        if arch in set(rows.arch)
    }
    checks = [
        word_check(law, PAPER_LAWS[arch]) if law else "inconclusive" for arch, law in laws.items()
    ]
    width = int(rows.width.iloc[0])
    return {
        "name": f"C4 on the real-network pairs (N = {width}, layers up to N/4)",
        "verdict": verdict(checks),
        "evidence": "; ".join(law_text(arch, law) for arch, law in laws.items()),
        "measured": laws,
    }


def region_entry(regions: Mapping[str, dict]) -> dict:
    """Secondary entry: over the phase diagram, the share of the plane where the paper's word
    describes each architecture (not a check of the configured initialisation)."""
    text = "; ".join(
        f"{arch}: {PAPER_LAWS[arch]} on {r['shares'][PAPER_LAWS[arch]]:.0%} of the "
        f"{r['cells']} cells (exponential {r['shares']['exponential']:.0%}, "
        f"sub-exponential {r['shares']['sub-exponential']:.0%}, reciprocal "
        f"{r['shares']['reciprocal']:.0%}); He init: {r['he_init']['law']}"
        for arch, r in regions.items()
    )
    held = [r["shares"][PAPER_LAWS[arch]] > 0 for arch, r in regions.items()]
    return {
        "name": "C4 over the phase diagram of (s_w, s_b): where the paper's words hold",
        "verdict": verdict(held) if held else "inconclusive",
        "evidence": text,
        "measured": dict(regions),
    }
