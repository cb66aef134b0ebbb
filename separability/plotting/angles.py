"""Figures of the angle between two feature vectors (claim C4): its decay with depth on
log-log and semi-log axes with the fitted laws (figure 3) and the one-block angle maps
(figure 4)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from separability import architectures as architectures_registry
from separability.decay import RATE_NAMES, decay_windows, paper_name, rate, window_fits
from separability.plotting.style import COLORS, LABELS, THEORY_STYLE, present, seed_band
from separability.theory import angle_trajectory, cosine_trajectory

FIT_STYLES = {"exponential": "-.", "power": (0, (1, 1)), "inverse_log": (0, (5, 2))}


def theory_fits(scalar: pd.DataFrame, arch: str, angle0: float) -> list:
    """Best decay law of the scalar theory for ``arch`` from ``angle0`` in each window."""
    rows = scalar[(scalar.arch == arch) & np.isclose(scalar.angle0, angle0)]
    windows = decay_windows(int(rows.layer.max()))
    if "log_theta" in rows:  # exact where an exponential decay underflows theta
        return window_fits(rows.layer, windows=windows, log_theta=rows.log_theta)
    return window_fits(rows.layer, rows.theta, windows)


def angle_decay_figure(pairs: pd.DataFrame, scalar: pd.DataFrame) -> plt.Figure:
    """Figure 3: theta_l against l on log-log and semi-log axes (C4): scalar theory to its full
    depth, controlled-pair simulation (mean +- sd over seeds) to its depth, and the fitted
    exponential and power-law reference lines of the theory for the largest initial angle, and
    the inverse-log line where that law wins."""
    angle0 = float(scalar.angle0.max())
    architectures = present(scalar.arch)
    fitted = {arch: theory_fits(scalar, arch, angle0) for arch in architectures}
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    for ax, scale in zip(axes, ("log", "linear")):
        for arch in architectures:
            rows = scalar[(scalar.arch == arch) & np.isclose(scalar.angle0, angle0)]
            shown = rows[rows.layer >= 1]
            ax.plot(shown.layer, shown.theta, color=COLORS[arch], **THEORY_STYLE)
            sim = pairs[
                (pairs.arch == arch) & np.isclose(pairs.angle0, angle0) & (pairs.layer >= 1)
            ]
            seed_band(ax, sim, "layer", "theta", COLORS[arch], LABELS[arch], log=True, linewidth=2)
            for winner, fits in fitted[arch]:
                for fit in fits:
                    # the inverse-log law only where it wins: elsewhere its pole at
                    # log l = -l0 sends the line off the axes
                    if fit.law == "reciprocal" or (fit.law == "inverse_log" and fit != winner):
                        continue
                    layers = np.geomspace(fit.first, fit.last, 50)
                    ax.plot(
                        layers,
                        fit.predict(layers),
                        color="0.2",
                        linewidth=0.8,
                        linestyle=FIT_STYLES[fit.law],
                    )
        ax.set(
            xscale="log" if scale == "log" else "linear",
            yscale="log",
            xlabel="layer $l$",
            ylabel=r"angle $\theta_l$ (rad)",
        )
    axes[0].set_title("log-log axes")
    axes[1].set_title("semi-log axes")
    axes[1].set_xlim(0, int(pairs.layer.max()))
    notes = []
    for arch in architectures:
        for winner, _ in fitted[arch]:
            notes.append(
                f"{LABELS[arch]}, l ∈ [{winner.first}, {winner.last}]: "
                f"{paper_name(winner.law)} ({RATE_NAMES[winner.law]} "
                f"{rate(winner):.3g})"
            )
    extra = [
        plt.Line2D([], [], color="0.3", label="theory (N → ∞)", **THEORY_STYLE),
        plt.Line2D(
            [],
            [],
            color="0.2",
            linestyle=FIT_STYLES["exponential"],
            linewidth=0.8,
            label="fitted exponential",
        ),
        plt.Line2D(
            [],
            [],
            color="0.2",
            linestyle=FIT_STYLES["power"],
            linewidth=0.8,
            label="fitted power law",
        ),
        plt.Line2D(
            [],
            [],
            color="0.2",
            linestyle=FIT_STYLES["inverse_log"],
            linewidth=0.8,
            label="fitted inverse-log law",
        ),
    ]
    extra += [plt.Line2D([], [], linestyle="none", label=note) for note in notes]
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(
        handles=handles + extra,
        loc="upper center",
        ncol=3,
        fontsize="small",
        bbox_to_anchor=(0.5, -0.01),
        title="best fit of the theory (held-out error)",
    )
    width = pairs.width.iloc[0]
    figure.suptitle(
        f"Angle decay from θ₀ = {angle0:.3g} rad (simulation N = {width}, "
        f"{pairs.seed.nunique()} seeds)"
    )
    return figure


def angle_maps_figure(pairs: pd.DataFrame, s_w: float, s_v: float, s_b: float = 0.0) -> plt.Figure:
    """Figure 4: the one-block maps c -> c' of the architectures (C4), those whose map depends
    on the block (a normalised branch beside a skip path, resnet_bn: the map tends to the
    identity as q grows) at several blocks, and the simulated first block of the controlled
    pairs as markers; right: the contraction theta' / theta per block."""
    cos = np.linspace(-1, 1, 401)
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    axes[0].plot(cos, cos, color="0.6", linewidth=0.8, label="identity")
    theta = np.linspace(1e-3, np.pi, 400)
    architectures = present(pairs.arch)
    for arch in architectures:
        entry = architectures_registry.get(arch)
        by_block = entry.skip and entry.normalised
        depths = [1, 10, 100] if by_block else [1]
        for shade, layer in zip((1.0, 0.65, 0.4), depths):
            # the map applied at block `layer` (it depends on it through q only by_block)
            q = 1.0 + (layer - 1) * s_v / 2.0
            mapped = cosine_trajectory(arch, cos, 1, s_w, s_v, q, s_b)[:, 1]
            angle_map = angle_trajectory(arch, theta, 1, s_w, s_v, q, s_b)[:, 1]
            label = LABELS[arch] + (f", block {layer}" if by_block else "")
            color = tuple(np.array(COLORS[arch]) * shade + (1 - shade))
            axes[0].plot(cos, mapped, color=color, label=label)
            axes[1].plot(theta, angle_map / theta, color=color, label=label)
        first = pairs[(pairs.arch == arch) & (pairs.layer == 1)]
        start = pairs[(pairs.arch == arch) & (pairs.layer == 0)]
        merged = first.merge(start, on=["seed", "angle0"], suffixes=("", "_0"))
        axes[0].scatter(
            merged.cos_0,
            merged.cos,
            color=COLORS[arch],
            s=14,
            zorder=3,
            edgecolor="k",
            linewidth=0.3,
        )
        axes[1].scatter(
            merged.theta_0,
            merged.theta / merged.theta_0,
            color=COLORS[arch],
            s=14,
            zorder=3,
            edgecolor="k",
            linewidth=0.3,
        )
    axes[0].set(
        xlabel="cosine before the block $c$",
        ylabel="cosine after the block $c'$",
        title="one-block cosine map",
    )
    axes[1].set(
        xlabel=r"angle before the block $\theta$ (rad)",
        ylabel=r"contraction $\theta' / \theta$",
        title="angle kept per block",
    )
    axes[1].legend(fontsize="small", title="theory; dots: simulated first block")
    return figure
