"""Figures of the random-initialisation statistics (claims C2, C3, C6): distances and their
ratio through the layers (figures 1, 2) and the finite-width error against width (figure 7)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from separability.plotting.style import (
    COLORS,
    LABELS,
    layer_axis,
    normalised,
    present,
    seed_band,
    theory_legend,
    theory_lines,
)
from separability.tables import bn_variant, width_errors


def distances_figure(simulation: pd.DataFrame, theory: pd.DataFrame, dataset: str) -> plt.Figure:
    """Figure 1: normalised within- and between-class distances through the layers (C2, C6)."""
    architectures = present(simulation.arch)
    figure, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, column, title in zip(
        axes,
        ("d_w_norm", "d_b_norm"),
        ("within-class distance $d_w$", "between-class distance $d_b$"),
    ):
        for arch in architectures:
            seed_band(
                ax,
                simulation[simulation.arch == arch],
                "layer",
                column,
                COLORS[arch],
                LABELS[arch],
                linewidth=2,
            )
        theory_lines(ax, theory, column, architectures)
        layer_axis(ax, int(simulation.layer.max()))
        ax.set(title=title)
    axes[0].set_ylabel(r"normalised distance $d\,/\sqrt{2qN}$")
    theory_legend(axes[1], set(theory.variant))
    figure.suptitle(
        f"Distances at random initialisation ({dataset}, "
        f"N = {simulation.width.iloc[0]}, {simulation.seed.nunique()} seeds)"
    )
    return figure


def ratio_figure(simulation: pd.DataFrame, theory: pd.DataFrame, dataset: str) -> plt.Figure:
    """Figure 2: distance ratio d_b / d_w through the layers (C2, C3, C6)."""
    architectures = present(simulation.arch)
    figure, ax = plt.subplots(figsize=(6.5, 4.5))
    for arch in architectures:
        seed_band(
            ax,
            simulation[simulation.arch == arch],
            "layer",
            "ratio",
            COLORS[arch],
            LABELS[arch],
            linewidth=2,
        )
    theory_lines(ax, theory, "ratio", architectures)
    ax.axhline(1.0, color="0.5", linewidth=0.8)
    layer_axis(ax, int(simulation.layer.max()))
    ax.set(
        ylabel="distance ratio $d_b / d_w$",
        title=f"Distance ratio at random initialisation ({dataset}, "
        f"N = {simulation.width.iloc[0]}, {simulation.seed.nunique()} seeds)",
    )
    theory_legend(ax, set(theory.variant))
    return figure


def width_figure(simulation: pd.DataFrame, theory: pd.DataFrame, dataset: str) -> plt.Figure:
    """Figure 7 (beyond the paper): |simulation - theory| of the distance ratio against the
    width N on log-log axes, geometric mean over seeds +- its standard error, with an N^(-1/2)
    reference (C6). Normalised architectures (resnet_bn, mlp_bn) are measured against the
    exact BN theory and, marked with crosses, against the large-batch approximation of BN
    where the table has both."""
    errors = width_errors(simulation, theory)
    figure, ax = plt.subplots(figsize=(6.5, 4.5))
    for arch in present(errors.arch):
        seed_band(
            ax,
            errors[errors.arch == arch],
            "width",
            "error",
            COLORS[arch],
            LABELS[arch],
            log=True,
            standard_error=True,
            linewidth=2,
            marker="o",
        )
    if bn_variant(theory) == "centred" and "centred_large_batch" in set(theory.variant):
        for arch in normalised(present(simulation.arch)):
            approximate = width_errors(
                simulation[simulation.arch == arch], theory, "centred_large_batch"
            )
            seed_band(
                ax,
                approximate,
                "width",
                "error",
                COLORS[arch],
                f"{LABELS[arch]} vs large-batch BN theory",
                log=True,
                standard_error=True,
                linewidth=1.2,
                linestyle="-.",
                marker="x",
            )
    widths = np.array(sorted(set(errors.width)), dtype=float)
    anchor = errors[errors.width == widths[0]].error.mean()
    ax.plot(
        widths,
        anchor * np.sqrt(widths[0] / widths),
        color="0.3",
        linestyle="--",
        label=r"$\propto N^{-1/2}$",
    )
    depth = int(simulation.layer.max())
    seeds = errors.groupby("width").seed.nunique()
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="width $N$",
        ylabel=f"mean over layers 1..{depth} of |ratio$_{{sim}}$ − ratio$_{{theory}}$|",
        title=f"Finite-width error of the distance ratio ({dataset}, "
        f"{seeds.max()}..{seeds.min()} seeds per width)",
    )
    ax.legend(fontsize="small")
    return figure
