"""Figures of the random-initialisation statistics (claims C2, C3, C6): distances and their
ratio through the layers (figures 1, 2) and the finite-width error against width, from the
Gram-space sampler and the real networks (figure 7)."""

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
from separability.tables import CHANNELS, bn_variant, channel_ratio, width_errors


def distances_figure(simulation: pd.DataFrame, theory: pd.DataFrame, dataset: str) -> plt.Figure:
    """Figure 1: normalised within- and between-class distances through the layers (C2, C6)."""
    architectures = present(simulation.arch)
    figure, axes = plt.subplots(1, 2, figsize=(10, 5), sharey=True, layout="constrained")
    figure.get_layout_engine().set(wspace=0.08)
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
    """Figure 2: the distance ratio d_b / d_w through the layers (C2, C3, C6) and its two
    channels (docs/statistics.md, "Two channels"): the angle ratio theta_b / theta_w and the
    norm-gap ratio g_b / g_w, simulation (mean +- sd over seeds) with the theory over it."""
    architectures = present(simulation.arch)
    figure, axes = plt.subplots(
        1, len(CHANNELS), figsize=(6.0 * len(CHANNELS), 5.2), layout="constrained"
    )
    for ax, (channel, (*_, label, _)) in zip(axes, CHANNELS.items()):
        sim = simulation.assign(value=channel_ratio(simulation, channel))
        for arch in architectures:
            seed_band(
                ax, sim[sim.arch == arch], "layer", "value", COLORS[arch], LABELS[arch], linewidth=2
            )
        curves = theory.assign(value=channel_ratio(theory, channel))
        theory_lines(ax, curves, "value", architectures)
        ax.axhline(1.0, color="0.5", linewidth=0.8)
        layer_axis(ax, int(simulation.layer.max()))
        primary = " (the paper's; C2, C3)" if channel == "distance" else f" ({channel} channel)"
        ax.set(ylabel=label, title=label.split(" $")[0] + primary)
    theory_legend(axes[0], set(theory.variant))
    figure.suptitle(
        f"Between/within-class ratios at random initialisation ({dataset}, "
        f"N = {simulation.width.iloc[0]}, {simulation.seed.nunique()} seeds)"
    )
    return figure


REAL_NETWORK_MARKS = {"marker": "s", "markerfacecolor": "none", "markersize": 6, "capsize": 2}


def geometric_points(ax: plt.Axes, errors: pd.DataFrame, color, **marks) -> None:
    """The geometric mean of ``error`` over the seeds at each width +- its standard error (in
    log error) as markers with error bars, no line."""
    log = np.log(errors.error).groupby(errors.width).agg(["mean", "std", "count"])
    se = log["std"].fillna(0.0) / np.sqrt(log["count"])
    centre = np.exp(log["mean"])
    bars = [centre - np.exp(log["mean"] - se), np.exp(log["mean"] + se) - centre]
    ax.errorbar(log.index, centre, yerr=bars, color=color, linestyle="none", **marks)


def width_figure(
    simulation: pd.DataFrame, theory: pd.DataFrame, dataset: str, sampled: pd.DataFrame
) -> plt.Figure:
    """Figure 7 (beyond the paper): |simulation - theory| of the distance ratio against the
    width N on log-log axes, with an N^(-1/2) reference (C6). The curves are the Gram-space
    sampler's (``sampled``: per network, against the theory of its own part of the evaluation
    subset, to N = 2^16), geometric mean over networks +- its standard error; the real
    networks' scan (``simulation`` against ``theory``, the whole evaluation subset) is drawn
    as hollow squares at the widths it covers. Normalised architectures are measured against
    the exact BN theory and, dash-dotted with crosses, against its large-batch approximation
    where the sampled table has both."""
    variant = bn_variant(sampled)
    main = sampled[sampled.variant.isin(["-", variant])].rename(columns={"network": "seed"})
    figure, ax = plt.subplots(figsize=(6.5, 4.5))
    for arch in present(main.arch):
        seed_band(
            ax,
            main[main.arch == arch],
            "width",
            "error",
            COLORS[arch],
            LABELS[arch],
            log=True,
            standard_error=True,
            linewidth=2,
            marker="o",
        )
        real = width_errors(simulation[simulation.arch == arch], theory)
        geometric_points(ax, real, COLORS[arch], **REAL_NETWORK_MARKS)
    if variant == "centred" and "centred_large_batch" in set(sampled.variant):
        for arch in normalised(present(sampled.arch)):
            seed_band(
                ax,
                sampled[(sampled.arch == arch) & (sampled.variant == "centred_large_batch")],
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
    widths = np.array(sorted(set(main.width)), dtype=float)
    anchor = np.exp(np.log(main[main.width == widths[0]].error).mean())
    ax.plot(
        widths,
        anchor * np.sqrt(widths[0] / widths),
        color="0.3",
        linestyle="--",
        label=r"$\propto N^{-1/2}$",
    )
    depth = int(simulation.layer.max())
    networks = main.groupby("width").seed.nunique()
    seeds = width_errors(simulation, theory).groupby("width").seed.nunique()
    samples = int(sampled.samples.iloc[0])
    handles, _ = ax.get_legend_handles_labels()
    handles += [
        plt.Line2D(
            [],
            [],
            color="0.3",
            linewidth=2,
            marker="o",
            label=f"sampler, {samples} inputs: geometric mean ± s.e. over "
            f"{networks.max()}..{networks.min()} networks",
        ),
        plt.Line2D(
            [],
            [],
            color="0.3",
            linestyle="none",
            marker="s",
            markerfacecolor="none",
            label=f"real networks, whole evaluation subset, {seeds.max()}..{seeds.min()} seeds",
        ),
    ]
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="width $N$",
        ylabel=f"mean over layers 1..{depth} of |ratio$_{{sim}}$ − ratio$_{{theory}}$|",
        title=f"Finite-width error of the distance ratio ({dataset})",
    )
    ax.legend(handles=handles, fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return figure
