"""Where each decay law of the angle holds: the phase diagram of figure 8 (claim C4).

Over a grid of initialisations (s_w, s_b) -- weight and bias variance -- the scalar theory's
angle theta_l (``theory.log_angle_trajectory``, every cell of the grid in one vectorised
recursion) is classified by the held-out model selection of ``decay.best_law`` in the same
asymptotic window as C4. resnet_bn is the variance-only BN of the scalar form (docs/theory.md).
Simulated pairs at a few cells, drawn by the Gram-space sampler at a width far beyond their depth
(``simulated_cells``), are classified the same way, over the depths whose angles the sampler
resolves. ``bn_clock`` is the logarithmic clock that explains resnet_bn's slow decay.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from separability.decay import (
    FIRST_FIT_LAYER,
    MIN_FIT_LAYERS,
    DecayFit,
    best_law,
    decay_windows,
    paper_name,
    rate,
)
from separability.theory import log_angle_trajectory

# The sampler's float64 Gram resolves angles to about 1e-6 rad (docs/theory.md, section 9.1);
# simulated angles are fitted only above this
SIMULATION_FLOOR = 1e-5
WINDOW_POINTS = 60  # log-spaced layers per fit window


def fit_layers(first: int, last: int, points: int = WINDOW_POINTS) -> np.ndarray:
    """About ``points`` log-spaced integer layers from ``first`` to ``last`` (both included)."""
    return np.unique(np.rint(np.geomspace(first, last, points)).astype(int))


def grid_axis(low: float, high: float, points: int) -> np.ndarray:
    """One axis of the phase grid: ``points`` evenly spaced values from low to high, rounded
    to 12 digits so that grid values such as s_w = 2 are exact."""
    return np.round(np.linspace(low, high, points), 12)


def phase_window(depth: int) -> tuple[int, int]:
    """The fit window of the phase diagram: C4's asymptotic window at this depth."""
    return decay_windows(depth)[-1]


def fit_row(fit: DecayFit) -> dict:
    """The columns of a cell's table row that describe its winning law."""
    return {
        "law": fit.law,
        "paper_name": paper_name(fit.law),
        "rate": rate(fit),
        "first": fit.first,
        "last": fit.last,
        "heldout_rms": fit.heldout_rms,
    }


def theory_phase(
    arch: str,
    s_w: Sequence[float],
    s_b: Sequence[float],
    depth: int,
    theta0: float = math.pi / 2,
    s_v: float = 2.0,
) -> pd.DataFrame:
    """Decay law of the scalar theory's theta_l from ``theta0`` at every cell of the grid
    s_w x s_b: one row per cell with the winning law, its rate (``decay.rate``), the window,
    and log theta at ``depth``. The whole grid runs as one vectorised recursion."""
    first, last = phase_window(depth)
    layers = np.union1d(fit_layers(first, last), [depth])
    grid_w, grid_b = np.meshgrid(
        np.asarray(s_w, dtype=float), np.asarray(s_b, dtype=float), indexing="ij"
    )
    log_theta = log_angle_trajectory(arch, theta0, depth, grid_w, s_v, 1.0, grid_b, layers)
    rows = []
    inside = (layers >= first) & (layers <= last)
    for index in np.ndindex(grid_w.shape):
        winner, _ = best_law(layers[inside], log_theta=log_theta[index][inside])
        rows.append(
            {
                "arch": arch,
                "s_w": grid_w[index],
                "s_b": grid_b[index],
                **fit_row(winner),
                "log_theta_depth": log_theta[index][-1],
                "depth": depth,
            }
        )
    return pd.DataFrame(rows)


def simulated_cells(
    arch: str,
    cells: Sequence[Sequence[float]],
    width: int,
    depth: int,
    networks: int,
    theta0: float,
    seed: int,
    s_v: float = 2.0,
    bn_eps: float = 1e-5,
) -> pd.DataFrame:
    """Controlled pairs from ``theta0`` through ``depth`` random ``arch`` blocks of width N at
    each initialisation cell (s_w, s_b) of the phase diagram, in ``networks`` independent
    networks drawn by the Gram-space sampler (``finite_width.pair_angles``; the shared variance
    normaliser for a normalised branch, as the scalar theory they are checked against), recorded
    at every layer up to FIRST_FIT_LAYER and at the log-spaced layers of ``fit_layers`` after
    it. One row per cell, network and layer: arch, s_w, s_b, width, network, layer, theta."""
    # the sampler loads torch and numba: only the job that simulates imports it
    from separability import finite_width
    from separability.sampler_tables import per_network_rows, stream_seed

    layers = np.union1d(np.arange(FIRST_FIT_LAYER), fit_layers(FIRST_FIT_LAYER, depth))
    tables = []
    for s_w, s_b in cells:
        theta = finite_width.pair_angles(
            arch,
            theta0,
            width,
            depth,
            networks,
            stream_seed(seed, arch, width, float(s_w), float(s_b)),
            layers,
            s_w=s_w,
            s_v=s_v,
            s_b=s_b,
            bn_centering=False,
            bn_eps=bn_eps,
        )
        rows = per_network_rows(theta, layers)
        tables.append(rows.assign(arch=arch, s_w=s_w, s_b=s_b, width=width))
    return pd.concat(tables, ignore_index=True)


def simulated_phase(pairs: pd.DataFrame, depth: int | None = None) -> pd.DataFrame:
    """Decay law of simulated pairs per (arch, s_w, s_b) cell: the network mean of theta_l over
    [FIRST_FIT_LAYER, depth], keeping only layers whose mean angle is above SIMULATION_FLOOR; a
    cell with fewer than MIN_FIT_LAYERS such layers gets law "unresolved"."""
    rows = []
    for (arch, s_w, s_b), cell in pairs.groupby(["arch", "s_w", "s_b"]):
        last = int(cell.layer.max()) if depth is None else depth
        theta = cell.groupby("layer").theta.mean()
        keep = (theta.index >= FIRST_FIT_LAYER) & (theta.index <= last) & (theta > SIMULATION_FLOOR)
        base = {
            "arch": arch,
            "s_w": s_w,
            "s_b": s_b,
            "networks": int(cell.network.nunique()),
            "width": int(cell.width.iloc[0]),
        }
        if keep.sum() < MIN_FIT_LAYERS:
            rows.append(
                {
                    **base,
                    "law": "unresolved",
                    "paper_name": "unresolved",
                    "rate": float("nan"),
                    "first": FIRST_FIT_LAYER,
                    "last": last,
                    "heldout_rms": float("nan"),
                }
            )
            continue
        winner, _ = best_law(theta.index[keep].to_numpy(), theta[keep].to_numpy())
        rows.append({**base, **fit_row(winner)})
    return pd.DataFrame(rows)


def theory_at_cells(
    cells: pd.DataFrame, theta0: float = math.pi / 2, s_v: float = 2.0
) -> pd.Series:
    """The scalar theory's law at each simulated cell over that cell's own fit window (the
    depths the simulation resolved), for a like-for-like check of the simulated marker."""
    laws = []
    for cell in cells.itertuples():
        if cell.law == "unresolved":
            laws.append("unresolved")
            continue
        layers = fit_layers(cell.first, cell.last)
        log_theta = log_angle_trajectory(
            cell.arch, theta0, int(cell.last), cell.s_w, s_v, 1.0, cell.s_b, layers
        )
        laws.append(best_law(layers, log_theta=log_theta)[0].law)
    return pd.Series(laws, index=cells.index, name="theory_law")


def bn_clock(layers, s_v: float = 2.0, q0: float = 1.0) -> np.ndarray:
    """The logarithmic clock of variance-only BN: tau_l = sum_{k < l} b / (q_k + b), with
    q_k = q0 + k b and b = s_v / 2, the weight resnet_bn gives the ReLU kernel in block k.
    For small angles a resnet_bn block moves theta by that weight times an MLP block's move,
    so theta_l(resnet_bn) ~ theta_MLP(tau_l), and tau_l ~ log l."""
    layers = np.asarray(layers, dtype=int)
    b = s_v / 2.0
    weights = b / (q0 + b * np.arange(int(layers.max()) + 1) + b)
    tau = np.concatenate([[0.0], np.cumsum(weights)])
    return tau[layers]


def clock_table(
    depth: int, theta0: float = math.pi / 2, s_v: float = 2.0, points: int = 200
) -> pd.DataFrame:
    """theta_l of resnet_bn (variance-only BN, no bias) against the MLP's theta at depth tau_l
    (``bn_clock``; the MLP's log theta interpolated linearly between integer layers), and
    theta_l log l, at about ``points`` log-spaced layers in 1..depth."""
    layers = fit_layers(1, depth, points)
    tau = bn_clock(layers, s_v)
    theta_bn = np.exp(log_angle_trajectory("resnet_bn", theta0, depth, 2.0, s_v, layers=layers))
    mlp_depth = int(math.ceil(tau.max())) + 1
    mlp = log_angle_trajectory("mlp", theta0, mlp_depth, 2.0, s_v)
    theta_mlp = np.exp(np.interp(tau, np.arange(mlp_depth + 1), mlp))
    return pd.DataFrame(
        {
            "layer": layers,
            "tau": tau,
            "theta_bn": theta_bn,
            "theta_mlp_at_tau": theta_mlp,
            "theta_log_l": theta_bn * np.log(np.maximum(layers, 2)),
        }
    )


def paper_region(table: pd.DataFrame, paper_laws: dict[str, str]) -> dict:
    """Per architecture: the cells (s_w, s_b) of a phase table whose law carries the paper's
    name for that architecture, their fraction of the grid, and the fraction of cells per law."""
    region = {}
    for arch, cells in table.groupby("arch"):
        hits = cells[cells.paper_name == paper_laws[arch]]
        region[arch] = {
            "paper": paper_laws[arch],
            "fraction": float(len(hits) / len(cells)),
            "cells": [[float(w), float(b)] for w, b in zip(hits.s_w, hits.s_b)],
            "laws": {
                name: float(share)
                for name, share in cells.paper_name.value_counts(normalize=True).items()
            },
        }
    return region
