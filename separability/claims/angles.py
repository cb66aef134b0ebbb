"""Claim C4 (docs/claims.md): the decay law of the angle between two feature vectors, in the
scalar theory, in simulated pairs and over the phase diagram of initialisations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from separability import architectures
from separability.claims.verdicts import verdict
from separability.decay import (
    FIRST_FIT_LAYER,
    RATE_NAMES,
    decay_windows,
    paper_name,
    rate,
    window_fits,
)
from separability.phase import paper_region

PAPER_LAWS = architectures.paper_laws()


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
