"""Figures of the angle between two feature vectors (claim C4): its decay with depth on
log-log and semi-log axes with the fitted laws, the sampled pairs at a width far beyond their
depth and the real networks' pairs (figure 3), and the one-block angle maps (figure 4)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from separability import architectures as architectures_registry
from separability.decay import (
    classify,
    decay_windows,
    local_exponents,
    window_fits,
)
from separability.phase import fit_layers
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


# The real-network pairs (width N = propagation.width): a secondary curve, marked, because
# their depth reaches beyond N / 4, where finite width speeds the decay up (figure 9).
FINITE_WIDTH_STYLE = {
    "linestyle": (0, (1, 1.5)),
    "linewidth": 1.2,
    "marker": "o",
    "markersize": 2.5,
    "markevery": 0.08,
}


def finite_width_line(ax: plt.Axes, rows: pd.DataFrame, color) -> None:
    """The geometric mean over seeds of theta_l of the real-network pairs, without a band, in
    FINITE_WIDTH_STYLE."""
    mean = np.exp(np.log(rows.theta).groupby(rows.layer).mean())
    ax.plot(mean.index, mean, color=color, alpha=0.8, **FINITE_WIDTH_STYLE)


def angle_decay_figure(
    pairs: pd.DataFrame, scalar: pd.DataFrame, real_pairs: pd.DataFrame
) -> plt.Figure:
    """Figure 3: theta_l against l on log-log and semi-log axes (C4): scalar theory to its full
    depth; the controlled pairs drawn by the Gram-space sampler at a width far beyond their
    depth (``pairs``: geometric mean +- sd over networks), the primary simulation; the pairs of
    the real networks at their smaller width (``real_pairs``), a secondary curve marked as
    finite-width; and the fitted exponential and power-law reference lines of the theory for
    the largest initial angle, and the inverse-log line where that law wins."""
    angle0 = float(scalar.angle0.max())
    architectures = present(scalar.arch)
    fitted = {arch: theory_fits(scalar, arch, angle0) for arch in architectures}
    figure, axes = plt.subplots(1, 3, figsize=(18, 4.8))
    local_exponent_panel(axes[2], scalar, pairs, angle0, architectures)
    for ax, scale in zip(axes, ("log", "linear")):
        for arch in architectures:
            rows = scalar[(scalar.arch == arch) & np.isclose(scalar.angle0, angle0)]
            shown = rows[rows.layer >= 1]
            ax.plot(shown.layer, shown.theta, color=COLORS[arch], **THEORY_STYLE)
            sim = pairs[
                (pairs.arch == arch) & np.isclose(pairs.angle0, angle0) & (pairs.layer >= 1)
            ]
            seed_band(ax, sim, "layer", "theta", COLORS[arch], LABELS[arch], log=True, linewidth=2)
            real = real_pairs[
                (real_pairs.arch == arch)
                & np.isclose(real_pairs.angle0, angle0)
                & (real_pairs.layer >= 1)
            ]
            finite_width_line(ax, real, COLORS[arch])
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
    notes = [law_note(scalar, arch, angle0) for arch in architectures]
    width, real_width = int(pairs.width.iloc[0]), int(real_pairs.width.iloc[0])
    extra = [
        plt.Line2D(
            [],
            [],
            color="0.3",
            linewidth=2,
            label=f"sampler, N = {width} ≥ 4 × depth: geometric mean ± sd over "
            f"{pairs.network.nunique()} networks",
        ),
        plt.Line2D(
            [],
            [],
            color="0.3",
            label=f"real networks, N = {real_width} (finite width: depth > N / 4 "
            f"past l = {real_width // 4}), {real_pairs.seed.nunique()} seeds",
            **FINITE_WIDTH_STYLE,
        ),
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
        title="theory's law in its asymptotic window, under C4's dictionary (docs/decay.md)",
    )
    figure.suptitle(
        f"Angle decay from θ₀ = {angle0:.3g} rad (sampler N = {width}, real networks "
        f"N = {real_width})"
    )
    return figure


def theory_rows(scalar: pd.DataFrame, arch: str, angle0: float) -> pd.DataFrame:
    """The scalar theory of ``arch`` from ``angle0`` at layers >= 1, with log theta (exact where
    an exponential decay underflows theta itself)."""
    rows = scalar[(scalar.arch == arch) & np.isclose(scalar.angle0, angle0) & (scalar.layer >= 1)]
    if "log_theta" not in rows:
        rows = rows.assign(log_theta=np.log(rows.theta))
    return rows


def law_note(scalar: pd.DataFrame, arch: str, angle0: float) -> str:
    """The theory's law of ``arch`` in its asymptotic window under C4's dictionary
    (``decay.classify``), for the legend: law, exponent with interval, the paper's words that
    apply."""
    rows = theory_rows(scalar, arch, angle0)
    first, last = decay_windows(int(rows.layer.max()))[-1]
    inside = rows[(rows.layer >= first) & (rows.layer <= last)]
    result = classify(inside.layer.to_numpy(), log_theta=inside.log_theta.to_numpy())
    low, high = result["exponent_interval"]
    words = ", ".join(word for word, ok in result["words"].items() if ok) or "none"
    return (
        f"{LABELS[arch]}, l ∈ [{first}, {last}]: {result['law']}, p = {result['exponent']:.3f} "
        f"[{low:.2f}, {high:.2f}] ({words})"
    )


def local_exponent_panel(
    ax: plt.Axes, scalar: pd.DataFrame, pairs: pd.DataFrame, angle0: float, architectures
) -> None:
    """The local exponent -d log theta / d log l against l (decay.local_exponents): the
    theory's (dashed) and the sampler's mean angle's (solid, on log-spaced layers), with the
    analytic limits of docs/theory.md, section 7: 1 for a 1/l law (MLP, ResNet, MLP+BN at He
    init) and 1 / log l for ResNet+BN's logarithmic clock."""
    for arch in architectures:
        rows = scalar[
            (scalar.arch == arch) & np.isclose(scalar.angle0, angle0) & (scalar.layer >= 1)
        ]
        mid, local = local_exponents(rows.layer.to_numpy(), log_theta=np.log(rows.theta.to_numpy()))
        ax.plot(mid, local, color=COLORS[arch], **THEORY_STYLE)
        sim = pairs[(pairs.arch == arch) & np.isclose(pairs.angle0, angle0) & (pairs.layer >= 1)]
        means = sim.groupby("layer").theta.mean()
        coarse = fit_layers(int(means.index.min()), int(means.index.max()), 25)
        means = means[means.index.isin(coarse)]
        if len(means) > 2:
            mid, local = local_exponents(means.index.to_numpy(), means.to_numpy())
            ax.plot(mid, local, color=COLORS[arch], linewidth=1.5, label=LABELS[arch])
    layers = np.geomspace(3, max(float(scalar.layer.max()), 10.0), 100)
    ax.axhline(1.0, color="0.4", linewidth=1, linestyle=":", label="1: a 1/l law")
    ax.plot(layers, 1 / np.log(layers), color="0.4", linewidth=1, linestyle="-.", label="1/log l")
    ax.set(
        xscale="log",
        ylim=(-0.2, 2.0),
        xlabel="layer $l$",
        ylabel=r"local exponent $-d\log\theta_l / d\log l$",
        title="local exponent (exponential: grows like λ l)",
    )
    ax.legend(fontsize="x-small", loc="upper right")


def angle_maps_figure(pairs: pd.DataFrame, s_w: float, s_v: float, s_b: float = 0.0) -> plt.Figure:
    """Figure 4: the one-block maps c -> c' of the architectures (C4), those whose map depends
    on the block (a normalised branch beside a skip path, resnet_bn: the map tends to the
    identity as q grows) at several blocks, and the simulated first block of the controlled
    pairs as markers; right: the contraction theta' / theta per block."""
    cos = np.linspace(-1, 1, 401)
    figure, axes = plt.subplots(1, 2, figsize=(11, 5.2), layout="constrained")
    axes[0].plot(cos, cos, color="0.6", linewidth=0.8, label="identity")
    theta = np.linspace(1e-3, np.pi, 400)
    architectures = present(pairs.arch)
    drawn: dict[str, np.ndarray] = {}
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
            same = [
                LABELS[a] for a, other in drawn.items() if a != arch and np.allclose(other, mapped)
            ]
            line = {"linestyle": "--", "linewidth": 2.2} if same else {}
            label += f" (the same map as {same[0]})" if same else ""
            drawn.setdefault(arch, mapped)
            color = tuple(np.array(COLORS[arch]) * shade + (1 - shade))
            axes[0].plot(cos, mapped, color=color, label=label, **line)
            axes[1].plot(theta, angle_map / theta, color=color, label=label, **line)
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
    axes[0].set_xticks(np.linspace(-1, 1, 5))
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
    handles, labels = axes[1].get_legend_handles_labels()
    figure.legend(
        handles,
        labels,
        loc="outside lower center",
        ncol=3,
        fontsize="small",
        title="theory (lines); simulated first block (dots)",
    )
    return figure
