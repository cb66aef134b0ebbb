"""Figures of SPEC "Figures": one function per figure, each drawing on a fresh matplotlib
figure from tidy tables and returning it. Headless (Agg), colour-blind palette, one colour per
architecture used the same way in every figure, simulation as mean +- sd bands over seeds with
theory drawn over them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from separability import ARCHITECTURES  # noqa: E402
from separability.claims import width_errors  # noqa: E402
from separability.decay import decay_windows, paper_name, window_fits  # noqa: E402
from separability.theory import cosine_trajectory  # noqa: E402

LABELS = {"mlp": "MLP", "resnet": "ResNet", "resnet_bn": "ResNet+BN"}
COLORS = dict(zip(ARCHITECTURES, sns.color_palette("colorblind", 3)))
THEORY_STYLE = {"linestyle": "--", "linewidth": 1.4}


def style() -> None:
    """Apply the common paper style (white grid, readable font sizes)."""
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.1)
    plt.rcParams.update({"figure.dpi": 100, "savefig.bbox": "tight", "legend.frameon": True})


def save(figure: plt.Figure, pdf: str | Path, png: str | Path, dpi: int) -> None:
    """Write ``figure`` as vector PDF and as PNG at ``dpi``, then close it."""
    figure.savefig(pdf)
    figure.savefig(png, dpi=dpi)
    plt.close(figure)


def seed_band(ax: plt.Axes, table: pd.DataFrame, x: str, y: str, color, label: str | None,
              log: bool = False, **line) -> None:
    """Draw mean +- sd over seeds of ``y`` against ``x`` as a line with a shaded band; with
    ``log`` the mean and sd are those of log y (a geometric band that stays positive on log
    axes)."""
    values = np.log(table[y]) if log else table[y]
    summary = values.groupby(table[x]).agg(["mean", "std"]).fillna({"std": 0.0})
    centre, low, high = summary["mean"], summary["mean"] - summary["std"], \
        summary["mean"] + summary["std"]
    if log:
        centre, low, high = np.exp(centre), np.exp(low), np.exp(high)
    ax.plot(summary.index, centre, color=color, label=label, **line)
    ax.fill_between(summary.index, low, high, color=color, alpha=0.25, linewidth=0)


def layer_axis(ax: plt.Axes, depth: int) -> None:
    """Layer axis from 0 to ``depth``: linear up to 1, logarithmic beyond (symlog)."""
    ax.set_xscale("symlog", linthresh=1.0, linscale=0.5)
    ax.set_xlim(0, depth)
    ax.set_xlabel("layer $l$ (linear to 1, logarithmic beyond)")


def theory_lines(ax: plt.Axes, theory: pd.DataFrame, y: str, architectures: Sequence[str]) -> None:
    """Draw the infinite-width Gram-recursion curves of ``y``: dashed, and dotted for the
    variance-only BN variant of resnet_bn."""
    for arch in architectures:
        for variant, rows in theory[theory.arch == arch].groupby("variant"):
            dotted = variant == "variance_only"
            ax.plot(rows.layer, rows[y], color=COLORS[arch], alpha=0.9,
                    **{**THEORY_STYLE, "linestyle": ":" if dotted else "--"})


def theory_legend(ax: plt.Axes, has_variance_only: bool) -> None:
    """Add the legend: architectures by colour, simulation vs theory by line style."""
    handles, labels = ax.get_legend_handles_labels()
    extra = [plt.Line2D([], [], color="0.3", linewidth=2, label="simulation, mean ± sd"),
             plt.Line2D([], [], color="0.3", label="theory (N → ∞)", **THEORY_STYLE)]
    if has_variance_only:
        extra.append(plt.Line2D([], [], color="0.3", linestyle=":",
                                label="theory, variance-only BN"))
    ax.legend(handles=handles + extra, labels=labels + [h.get_label() for h in extra],
              fontsize="small")


def distances_figure(simulation: pd.DataFrame, theory: pd.DataFrame, dataset: str) -> plt.Figure:
    """Figure 1: normalised within- and between-class distances through the layers (C2, C6)."""
    architectures = [a for a in ARCHITECTURES if a in set(simulation.arch)]
    figure, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, column, title in zip(axes, ("d_w_norm", "d_b_norm"),
                                 ("within-class distance $d_w$", "between-class distance $d_b$")):
        for arch in architectures:
            seed_band(ax, simulation[simulation.arch == arch], "layer", column, COLORS[arch],
                      LABELS[arch], linewidth=2)
        theory_lines(ax, theory, column, architectures)
        layer_axis(ax, int(simulation.layer.max()))
        ax.set(title=title)
    axes[0].set_ylabel(r"normalised distance $d\,/\sqrt{2qN}$")
    theory_legend(axes[1], "variance_only" in set(theory.variant))
    figure.suptitle(f"Distances at random initialisation ({dataset}, "
                    f"N = {simulation.width.iloc[0]}, {simulation.seed.nunique()} seeds)")
    return figure


def ratio_figure(simulation: pd.DataFrame, theory: pd.DataFrame, dataset: str) -> plt.Figure:
    """Figure 2: distance ratio d_b / d_w through the layers (C2, C3, C6)."""
    architectures = [a for a in ARCHITECTURES if a in set(simulation.arch)]
    figure, ax = plt.subplots(figsize=(6.5, 4.5))
    for arch in architectures:
        seed_band(ax, simulation[simulation.arch == arch], "layer", "ratio", COLORS[arch],
                  LABELS[arch], linewidth=2)
    theory_lines(ax, theory, "ratio", architectures)
    ax.axhline(1.0, color="0.5", linewidth=0.8)
    layer_axis(ax, int(simulation.layer.max()))
    ax.set(ylabel="distance ratio $d_b / d_w$",
           title=f"Distance ratio at random initialisation ({dataset}, "
                 f"N = {simulation.width.iloc[0]}, {simulation.seed.nunique()} seeds)")
    theory_legend(ax, "variance_only" in set(theory.variant))
    return figure


def theory_fits(scalar: pd.DataFrame, arch: str, angle0: float) -> list:
    """Best decay law of the scalar theory for ``arch`` from ``angle0`` in each window."""
    rows = scalar[(scalar.arch == arch) & np.isclose(scalar.angle0, angle0)]
    return window_fits(rows.layer, rows.theta, decay_windows(int(rows.layer.max())))


def angle_decay_figure(pairs: pd.DataFrame, scalar: pd.DataFrame) -> plt.Figure:
    """Figure 3: theta_l against l on log-log and semi-log axes (C4): scalar theory to its full
    depth, controlled-pair simulation (mean +- sd over seeds) to its depth, and the fitted
    exponential and power-law reference lines of the theory for the largest initial angle."""
    angle0 = float(scalar.angle0.max())
    architectures = [a for a in ARCHITECTURES if a in set(scalar.arch)]
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    for ax, scale in zip(axes, ("log", "linear")):
        for arch in architectures:
            rows = scalar[(scalar.arch == arch) & np.isclose(scalar.angle0, angle0)]
            shown = rows[rows.layer >= 1]
            ax.plot(shown.layer, shown.theta, color=COLORS[arch], **THEORY_STYLE)
            sim = pairs[(pairs.arch == arch) & np.isclose(pairs.angle0, angle0)
                        & (pairs.layer >= 1)]
            seed_band(ax, sim, "layer", "theta", COLORS[arch], LABELS[arch], log=True,
                      linewidth=2)
            for (winner, fits) in theory_fits(scalar, arch, angle0):
                for fit in fits:
                    if fit.law == "reciprocal":
                        continue
                    layers = np.geomspace(fit.first, fit.last, 50)
                    ax.plot(layers, fit.predict(layers), color="0.2", linewidth=0.8,
                            linestyle="-." if fit.law == "exponential" else (0, (1, 1)))
        ax.set(xscale="log" if scale == "log" else "linear", yscale="log",
               xlabel="layer $l$", ylabel=r"angle $\theta_l$ (rad)")
    axes[0].set_title("log-log axes")
    axes[1].set_title("semi-log axes")
    axes[1].set_xlim(0, int(pairs.layer.max()))
    notes = []
    for arch in architectures:
        for winner, _ in theory_fits(scalar, arch, angle0):
            slope = (f"rate {-winner.slope:.2g}" if winner.law == "exponential"
                     else f"exponent {-winner.slope:.2f}")
            notes.append(f"{LABELS[arch]}, l ∈ [{winner.first}, {winner.last}]: "
                         f"{paper_name(winner.law)} ({slope})")
    extra = [plt.Line2D([], [], color="0.3", label="theory (N → ∞)", **THEORY_STYLE),
             plt.Line2D([], [], color="0.2", linestyle="-.", linewidth=0.8,
                        label="fitted exponential"),
             plt.Line2D([], [], color="0.2", linestyle=(0, (1, 1)), linewidth=0.8,
                        label="fitted power law")]
    extra += [plt.Line2D([], [], linestyle="none", label=note) for note in notes]
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles=handles + extra, loc="upper center", ncol=3, fontsize="small",
                  bbox_to_anchor=(0.5, -0.01), title="best fit of the theory (held-out error)")
    width = pairs.width.iloc[0]
    figure.suptitle(f"Angle decay from θ₀ = {angle0:.3g} rad (simulation N = {width}, "
                    f"{pairs.seed.nunique()} seeds)")
    return figure


def angle_maps_figure(pairs: pd.DataFrame, s_w: float, s_v: float) -> plt.Figure:
    """Figure 4: the one-block maps c -> c' of the three architectures (C4), with resnet_bn at
    several depths (its map tends to the identity as q grows), and the simulated first block
    of the controlled pairs as markers; right: the contraction theta' / theta per block."""
    cos = np.linspace(-1, 1, 401)
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    axes[0].plot(cos, cos, color="0.6", linewidth=0.8, label="identity")
    theta = np.linspace(1e-3, np.pi, 400)
    architectures = [a for a in ARCHITECTURES if a in set(pairs.arch)]
    for arch in architectures:
        depths = [1, 10, 100] if arch == "resnet_bn" else [1]
        for shade, layer in zip((1.0, 0.65, 0.4), depths):
            # the map applied at block `layer` (only resnet_bn depends on it, through q)
            q = 1.0 + (layer - 1) * s_v / 2.0
            mapped = cosine_trajectory(arch, cos, 1, s_w, s_v, q0=q)[:, 1]
            angle_map = np.arccos(cosine_trajectory(arch, np.cos(theta), 1, s_w, s_v, q0=q)[:, 1])
            label = LABELS[arch] + (f", block {layer}" if arch == "resnet_bn" else "")
            color = tuple(np.array(COLORS[arch]) * shade + (1 - shade))
            axes[0].plot(cos, mapped, color=color, label=label)
            axes[1].plot(theta, angle_map / theta, color=color, label=label)
        first = pairs[(pairs.arch == arch) & (pairs.layer == 1)]
        start = pairs[(pairs.arch == arch) & (pairs.layer == 0)]
        merged = first.merge(start, on=["seed", "angle0"], suffixes=("", "_0"))
        axes[0].scatter(merged.cos_0, merged.cos, color=COLORS[arch], s=14, zorder=3,
                        edgecolor="k", linewidth=0.3)
        axes[1].scatter(merged.theta_0, merged.theta / merged.theta_0, color=COLORS[arch],
                        s=14, zorder=3, edgecolor="k", linewidth=0.3)
    axes[0].set(xlabel="cosine before the block $c$", ylabel="cosine after the block $c'$",
                title="one-block cosine map")
    axes[1].set(xlabel=r"angle before the block $\theta$ (rad)",
                ylabel=r"contraction $\theta' / \theta$", title="angle kept per block")
    axes[1].legend(fontsize="small", title="theory; dots: simulated first block")
    return figure


def width_figure(simulation: pd.DataFrame, theory: pd.DataFrame, dataset: str) -> plt.Figure:
    """Figure 7 (beyond the paper): |simulation - theory| of the distance ratio against the
    width N on log-log axes, mean +- sd over seeds, with an N^(-1/2) reference (C6)."""
    errors = width_errors(simulation, theory)
    figure, ax = plt.subplots(figsize=(6.5, 4.5))
    for arch in [a for a in ARCHITECTURES if a in set(errors.arch)]:
        seed_band(ax, errors[errors.arch == arch], "width", "error", COLORS[arch], LABELS[arch],
                  log=True, linewidth=2, marker="o")
    widths = np.array(sorted(set(errors.width)), dtype=float)
    anchor = errors[errors.width == widths[0]].error.mean()
    ax.plot(widths, anchor * np.sqrt(widths[0] / widths), color="0.3", linestyle="--",
            label=r"$\propto N^{-1/2}$")
    depth = int(simulation.layer.max())
    ax.set(xscale="log", yscale="log", xlabel="width $N$",
           ylabel=f"mean over layers 1..{depth} of |ratio$_{{sim}}$ − ratio$_{{theory}}$|",
           title=f"Finite-width error of the distance ratio ({dataset})")
    ax.legend(fontsize="small")
    return figure


# --------------------------------------------------------------------------------------------
# Training figures (C5, C1)

DEPTH_MARKERS = ("o", "s", "^", "D", "v", "P", "*", "h", "<", ">")
INIT_STYLE = {"linestyle": "--", "linewidth": 1.4, "marker": "o", "markerfacecolor": "white"}
TRAINED_STYLE = {"linestyle": "-", "linewidth": 2, "marker": "o"}
BATCH_STYLE = {"linestyle": ":", "linewidth": 1.8, "marker": "^"}
DIVERGED_STYLE = {"marker": "X", "s": 70, "edgecolor": "k", "linewidth": 0.5, "zorder": 5}


def depth_axis(ax: plt.Axes, depths: Sequence[int]) -> None:
    """Log2 depth axis with a tick at every trained depth."""
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(depths))
    ax.set_xticklabels([str(depth) for depth in depths])
    ax.minorticks_off()


def diverged_markers(ax: plt.Axes, runs: pd.DataFrame, architectures: Sequence[str]) -> int:
    """Mark, at the bottom of ``ax`` and at each depth, the runs whose loss became non-finite:
    an × in the architecture's colour labelled diverged/total. Returns how many were marked."""
    transform = matplotlib.transforms.blended_transform_factory(ax.transData, ax.transAxes)
    marked = 0
    for rank, arch in enumerate(architectures):
        for depth, group in runs[runs.arch == arch].groupby("depth"):
            diverged = int((group.status == "diverged").sum())
            if not diverged:
                continue
            x = depth * 2 ** (0.12 * (rank - (len(architectures) - 1) / 2))
            ax.scatter([x], [0.04], transform=transform, color=COLORS[arch], clip_on=False,
                       **DIVERGED_STYLE)
            ax.annotate(f"{diverged}/{len(group)}", (x, 0.04), xycoords=transform,
                        xytext=(0, 7), textcoords="offset points", ha="center",
                        fontsize="x-small", color=COLORS[arch], fontweight="bold")
            marked += diverged
    return marked


def diverged_handle(count: int) -> plt.Line2D:
    """Legend entry of the diverged-run marker."""
    return plt.Line2D([], [], color="0.4", marker="X", linestyle="none", markersize=8,
                      markeredgecolor="k", label=f"diverged runs (diverged/total; {count} in all)")


def trained_ratio_figure(runs: pd.DataFrame, layers: pd.DataFrame, dataset: str) -> plt.Figure:
    """Figure 5: distance ratio d_b / d_w at the last hidden layer against depth, at
    initialisation and after training (BN in inference mode; ResNet+BN also with batch
    statistics), mean +- sd over seeds, diverged runs marked (C5). Right: the ratio through
    the layers of the deepest trained networks, before and after training."""
    architectures = [a for a in ARCHITECTURES if a in set(runs.arch)]
    depths = sorted(set(runs.depth))
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    ax = axes[0]
    for arch in architectures:
        rows = runs[runs.arch == arch]
        finished = rows[rows.status == "ok"]
        seed_band(ax, rows, "depth", "ratio_init", COLORS[arch], None,
                  **color_kw(arch, INIT_STYLE))
        if len(finished):
            seed_band(ax, finished, "depth", "ratio_trained", COLORS[arch], LABELS[arch],
                      **TRAINED_STYLE)
            if arch == "resnet_bn":
                seed_band(ax, finished, "depth", "ratio_trained_batch", COLORS[arch], None,
                          **BATCH_STYLE)
    marked = diverged_markers(ax, runs, architectures)
    ax.axhline(1.0, color="0.5", linewidth=0.8)
    depth_axis(ax, depths)
    ax.set(xlabel="depth $L$ (hidden blocks)", ylabel="distance ratio $d_b / d_w$ at layer $L$",
           title="last hidden layer against depth")
    handles, labels = ax.get_legend_handles_labels()
    extra = [plt.Line2D([], [], color="0.3", **TRAINED_STYLE,
                        label="after training (BN: running statistics)"),
             plt.Line2D([], [], color="0.3", **BATCH_STYLE,
                        label="after training, ResNet+BN with batch statistics"),
             plt.Line2D([], [], color="0.3", **INIT_STYLE, label="at initialisation")]
    if marked:
        extra.append(diverged_handle(marked))
    figure.legend(handles=handles + extra, labels=labels + [h.get_label() for h in extra],
                  loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4, fontsize="small")

    ax = axes[1]
    deepest = max(depths)
    shown = layers[layers.depth == deepest]
    for arch in architectures:
        rows = shown[shown.arch == arch]
        seed_band(ax, rows[rows.phase == "init"], "layer", "ratio", COLORS[arch], None,
                  **{**INIT_STYLE, "marker": None})
        trained = rows[rows.phase == "trained"].dropna(subset=["ratio"])
        if len(trained):
            seed_band(ax, trained, "layer", "ratio", COLORS[arch], LABELS[arch],
                      **{**TRAINED_STYLE, "marker": None})
        batch = rows[rows.phase == "trained_batch"].dropna(subset=["ratio"])
        if arch == "resnet_bn" and len(batch):
            seed_band(ax, batch, "layer", "ratio", COLORS[arch], None,
                      **{**BATCH_STYLE, "marker": None})
    ax.axhline(1.0, color="0.5", linewidth=0.8)
    ax.set(xlabel="layer $l$", ylabel="distance ratio $d_b / d_w$",
           title=f"through the layers of the deepest networks, L = {deepest}")
    ax.set_xlim(0, deepest)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    width = int(runs.width.iloc[0]) if "width" in runs else None
    figure.suptitle(f"Distance ratio before and after training ({dataset}, N = {width}, "
                    f"{runs.seed.nunique()} seeds, mean ± sd)")
    return figure


def color_kw(arch: str, style: dict) -> dict:
    """``style`` for ``arch`` (marker edge in the architecture's colour)."""
    return {**style, "markeredgecolor": COLORS[arch]}


def accuracy_figure(runs: pd.DataFrame, dataset: str) -> plt.Figure:
    """Figure 6: test accuracy against the trained distance ratio at the last hidden layer
    (one point per finished run, Spearman rank correlation over them) and against depth
    (mean +- sd over seeds), chance level dashed, diverged runs marked (C1)."""
    from scipy.stats import spearmanr

    architectures = [a for a in ARCHITECTURES if a in set(runs.arch)]
    depths = sorted(set(runs.depth))
    markers = dict(zip(depths, DEPTH_MARKERS * (len(depths) // len(DEPTH_MARKERS) + 1)))
    chance = 1.0 / float(runs.n_classes.iloc[0]) if "n_classes" in runs else None
    finished = runs[(runs.status == "ok") & runs.ratio_trained.notna()
                    & runs.test_accuracy.notna()]
    diverged = int((runs.status == "diverged").sum())
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    ax = axes[0]
    for arch in architectures:
        for depth in depths:
            rows = finished[(finished.arch == arch) & (finished.depth == depth)]
            ax.scatter(rows.ratio_trained, rows.test_accuracy, color=COLORS[arch],
                       marker=markers[depth], s=40, edgecolor="k", linewidth=0.4, alpha=0.9)
    if len(finished) >= 3:
        rho, p_value = spearmanr(finished.ratio_trained, finished.test_accuracy)
        note = f"Spearman ρ = {rho:.2f} (p = {p_value:.2g}, {len(finished)} runs)"
    else:
        note = f"{len(finished)} finished runs"
    if diverged:
        note += f"; {diverged} diverged, not shown (no ratio; × on the right)"
    if chance is not None:
        ax.axhline(chance, color="0.4", linestyle="--", linewidth=1)
    ax.set(xlabel="distance ratio $d_b / d_w$ at the last hidden layer, after training",
           ylabel="test accuracy", ylim=(0, 1.02),
           title=f"accuracy against the trained ratio\n{note}")
    arch_handles = [plt.Line2D([], [], color=COLORS[arch], marker="o", linestyle="none",
                               markeredgecolor="k", label=LABELS[arch]) for arch in architectures]
    depth_handles = [plt.Line2D([], [], color="0.6", marker=markers[depth], linestyle="none",
                                markeredgecolor="k", label=f"L = {depth}") for depth in depths]
    ax.legend(handles=arch_handles + depth_handles, fontsize="small", ncol=2, loc="lower left")

    ax = axes[1]
    for arch in architectures:
        rows = finished[finished.arch == arch]
        if len(rows):
            seed_band(ax, rows, "depth", "test_accuracy", COLORS[arch], LABELS[arch],
                      **TRAINED_STYLE)
    marked = diverged_markers(ax, runs, architectures)
    handles, labels = ax.get_legend_handles_labels()
    if chance is not None:
        ax.axhline(chance, color="0.4", linestyle="--", linewidth=1)
        handles.append(plt.Line2D([], [], color="0.4", linestyle="--", linewidth=1))
        labels.append(f"chance ({chance:.2g})")
    if marked:
        handles.append(diverged_handle(marked))
        labels.append(handles[-1].get_label())
    depth_axis(ax, depths)
    ax.set(xlabel="depth $L$ (hidden blocks)", ylabel="test accuracy", ylim=(0, 1.02),
           title="accuracy against depth\n(mean ± sd over seeds)")
    ax.legend(handles=handles, labels=labels, fontsize="small", loc="lower left")
    figure.suptitle(f"Test accuracy after training ({dataset}, N = {int(runs.width.iloc[0])}, "
                    f"{runs.seed.nunique()} seeds)", y=1.06)
    return figure
