"""Figures of docs/claims.md: one function per figure, each drawing on a fresh matplotlib
figure from tidy tables and returning it. Colour-blind palette, one colour per architecture used
the same way in every figure, simulation as mean +- sd bands over seeds with theory drawn over
them. Importing this module leaves matplotlib's backend alone; the workflow's plot scripts draw
headless (``use_headless_backend``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from separability import architectures
from separability.claims import bn_variant, width_errors
from separability.decay import LAWS, RATE_NAMES, decay_windows, paper_name, rate, window_fits
from separability.phase import simulated_phase, theory_at_cells
from separability.theory import angle_trajectory, cosine_trajectory

LABELS = {name: entry.label for name, entry in architectures.REGISTRY.items()}
PALETTE = sns.color_palette("colorblind", 10)
COLORS = {name: PALETTE[entry.colour] for name, entry in architectures.REGISTRY.items()}
ARCHITECTURES = architectures.names()
THEORY_STYLE = {"linestyle": "--", "linewidth": 1.4}


def use_headless_backend() -> None:
    """Draw into files without a display (matplotlib's Agg backend): called by the workflow's
    plot scripts, never at import, so that importing this module leaves an interactive
    session's backend alone."""
    matplotlib.use("Agg")


def style() -> None:
    """Apply the common paper style (white grid, readable font sizes)."""
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.1)
    plt.rcParams.update({"figure.dpi": 100, "savefig.bbox": "tight", "legend.frameon": True})


def save(figure: plt.Figure, pdf: str | Path, png: str | Path, dpi: int) -> None:
    """Write ``figure`` as vector PDF and as PNG at ``dpi``, then close it."""
    figure.savefig(pdf)
    figure.savefig(png, dpi=dpi)
    plt.close(figure)


def seed_band(
    ax: plt.Axes,
    table: pd.DataFrame,
    x: str,
    y: str,
    color,
    label: str | None,
    log: bool = False,
    standard_error: bool = False,
    **line,
) -> None:
    """Draw mean +- sd over seeds of ``y`` against ``x`` as a line with a shaded band; with
    ``log`` the mean and sd are those of log y (a geometric band that stays positive on log
    axes); with ``standard_error`` the band is +- the standard error of the mean instead."""
    values = np.log(table[y]) if log else table[y]
    summary = values.groupby(table[x]).agg(["mean", "std", "count"]).fillna({"std": 0.0})
    if standard_error:
        summary["std"] /= np.sqrt(summary["count"])
    centre, low, high = (
        summary["mean"],
        summary["mean"] - summary["std"],
        summary["mean"] + summary["std"],
    )
    if log:
        centre, low, high = np.exp(centre), np.exp(low), np.exp(high)
    ax.plot(summary.index, centre, color=color, label=label, **line)
    ax.fill_between(summary.index, low, high, color=color, alpha=0.25, linewidth=0)


def layer_axis(ax: plt.Axes, depth: int) -> None:
    """Layer axis from 0 to ``depth``: linear up to 1, logarithmic beyond (symlog)."""
    ax.set_xscale("symlog", linthresh=1.0, linscale=0.5)
    ax.set_xlim(0, depth)
    ax.set_xlabel("layer $l$ (linear to 1, logarithmic beyond)")


# Line style and legend label of each Gram-recursion variant (separability.theory.
# theory_variant): the main curves dashed; the large-batch approximation of BN marked with
# crosses (a secondary curve, or the main one when config theory.bn is large_batch);
# variance-only BN dotted.
LARGE_BATCH_MARKS = {"marker": "x", "markevery": 0.08, "markersize": 4}
VARIANT_STYLES = {
    "-": ({}, "theory (N → ∞)"),
    "centred": ({}, "theory (N → ∞)"),
    "centred_large_batch": (
        {"linestyle": "-.", **LARGE_BATCH_MARKS},
        "theory, large-batch BN approximation",
    ),
    "variance_only": ({"linestyle": ":"}, "theory, variance-only BN"),
    "variance_only_large_batch": (
        {"linestyle": ":", **LARGE_BATCH_MARKS},
        "theory, variance-only BN, large-batch approximation",
    ),
}


def variant_style(variant: str) -> dict:
    """Line keywords of a theory variant: THEORY_STYLE updated by VARIANT_STYLES."""
    return {**THEORY_STYLE, **VARIANT_STYLES[variant][0]}


def theory_lines(ax: plt.Axes, theory: pd.DataFrame, y: str, architectures: Sequence[str]) -> None:
    """Draw the infinite-width Gram-recursion curves of ``y``, each variant of resnet_bn in its
    own style (VARIANT_STYLES)."""
    for arch in architectures:
        for variant, rows in theory[theory.arch == arch].groupby("variant"):
            ax.plot(rows.layer, rows[y], color=COLORS[arch], alpha=0.9, **variant_style(variant))


def theory_legend(ax: plt.Axes, variants) -> None:
    """Add the legend: architectures by colour, simulation vs theory (and each theory variant
    in ``variants``) by line style."""
    handles, labels = ax.get_legend_handles_labels()
    extra = [plt.Line2D([], [], color="0.3", linewidth=2, label="simulation, mean ± sd")]
    labels_drawn = set()
    for variant, (_, label) in VARIANT_STYLES.items():
        if variant in variants and label not in labels_drawn:
            labels_drawn.add(label)
            extra.append(plt.Line2D([], [], color="0.3", label=label, **variant_style(variant)))
    ax.legend(
        handles=handles + extra, labels=labels + [h.get_label() for h in extra], fontsize="small"
    )


def distances_figure(simulation: pd.DataFrame, theory: pd.DataFrame, dataset: str) -> plt.Figure:
    """Figure 1: normalised within- and between-class distances through the layers (C2, C6)."""
    architectures = [a for a in ARCHITECTURES if a in set(simulation.arch)]
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
    architectures = [a for a in ARCHITECTURES if a in set(simulation.arch)]
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
    architectures = [a for a in ARCHITECTURES if a in set(scalar.arch)]
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
            mapped = cosine_trajectory(arch, cos, 1, s_w, s_v, q, s_b)[:, 1]
            angle_map = angle_trajectory(arch, theta, 1, s_w, s_v, q, s_b)[:, 1]
            label = LABELS[arch] + (f", block {layer}" if arch == "resnet_bn" else "")
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


LAW_ORDER = LAWS
LAW_COLORS = dict(zip(LAW_ORDER, [sns.color_palette("colorblind", 10)[i] for i in (3, 8, 9, 4)]))
LAW_LETTERS = {
    "exponential": "E",
    "power": "P",
    "reciprocal": "R",
    "inverse_log": "L",
    "unresolved": "?",
}


def rate_label(law: str, value: float) -> str:
    """Short label of a fitted law's rate (``decay.rate``) for the phase diagram."""
    if law == "exponential":
        return f"λ={value:.2g}"
    if law == "power":
        return f"p={value:.2f}"
    if law == "inverse_log":
        return f"A={value:.2g}"
    return "1/l" if law == "reciprocal" else "?"


def cell_edges(values: np.ndarray) -> np.ndarray:
    """Edges of grid cells centred on sorted ``values`` (for pcolormesh)."""
    middle = (values[1:] + values[:-1]) / 2
    return np.concatenate([[2 * values[0] - middle[0]], middle, [2 * values[-1] - middle[-1]]])


def phase_panel(ax: plt.Axes, cells: pd.DataFrame, simulated: pd.DataFrame) -> None:
    """One architecture's phase diagram: the theory's law per cell as colour, its rate written
    on a sparse subgrid, He init as a star, the simulated cells as circles in the colour of
    their own law (letter: the theory's law over the simulation's window)."""
    s_w, s_b = np.sort(cells.s_w.unique()), np.sort(cells.s_b.unique())
    table = cells.pivot(index="s_b", columns="s_w", values="law").loc[s_b, s_w]
    codes = table.apply(lambda column: column.map(LAW_ORDER.index)).to_numpy(dtype=float)
    colormap = matplotlib.colors.ListedColormap([LAW_COLORS[law] for law in LAW_ORDER])
    ax.pcolormesh(
        cell_edges(s_w),
        cell_edges(s_b),
        codes,
        cmap=colormap,
        vmin=-0.5,
        vmax=len(LAW_ORDER) - 0.5,
        shading="flat",
    )
    rates = cells.set_index(["s_w", "s_b"])
    for w in s_w[:: max(1, len(s_w) // 5)]:
        for b in s_b[:: max(1, len(s_b) // 4)]:
            cell = rates.loc[(w, b)]
            ax.text(
                w,
                b,
                rate_label(cell.law, cell.rate),
                ha="center",
                va="center",
                fontsize=6,
                color="0.1",
            )
    ax.scatter(
        [2.0], [0.0], marker="*", s=160, color="white", edgecolor="k", zorder=7, clip_on=False
    )
    for cell in simulated.itertuples():
        ax.scatter(
            [cell.s_w],
            [cell.s_b],
            s=110,
            zorder=6,
            clip_on=False,
            edgecolor="k",
            linewidth=1.2,
            color=LAW_COLORS.get(cell.law, "0.6"),
        )
        ax.annotate(
            f"{LAW_LETTERS[cell.law]} (theory {LAW_LETTERS[cell.theory_law]})",
            (cell.s_w, cell.s_b),
            xytext=(0, 9),
            textcoords="offset points",
            ha="center",
            fontsize=7,
            fontweight="bold",
        )
    ax.set(xlabel="weight variance $s_w$", ylabel="bias variance $s_b$")


def clock_panel(ax: plt.Axes, clock: pd.DataFrame) -> None:
    """resnet_bn's theta_l against the MLP's theta at depth tau_l (the logarithmic clock of
    ``phase.bn_clock``), with the identity, and theta_l log l at a few depths."""
    ax.plot(
        clock.theta_mlp_at_tau,
        clock.theta_bn,
        color=COLORS["resnet_bn"],
        linewidth=2,
        label=r"ResNet+BN $\theta_l$",
    )
    span = [
        clock[["theta_bn", "theta_mlp_at_tau"]].min().min(),
        clock[["theta_bn", "theta_mlp_at_tau"]].max().max(),
    ]
    ax.plot(span, span, color="0.5", linestyle="--", linewidth=1, label="identity")
    for target in (10, 100, 1000, 10_000, 100_000):
        row = clock.iloc[(clock.layer - target).abs().argmin()]
        if abs(row.layer - target) <= 0.05 * target:
            ax.annotate(
                f"l = {int(row.layer)}\nθ log l = {row.theta_log_l:.2f}",
                (row.theta_mlp_at_tau, row.theta_bn),
                xytext=(6, -14),
                textcoords="offset points",
                fontsize=6,
            )
            ax.scatter([row.theta_mlp_at_tau], [row.theta_bn], color=COLORS["resnet_bn"], s=12)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel=r"MLP angle at depth $\tau_l = \sum_{k<l} b/(q_k+b)$ (rad)",
        ylabel=r"ResNet+BN angle $\theta_l$ (rad)",
        title="the logarithmic clock: ResNet+BN = MLP at depth τ ≈ log l",
    )
    ax.legend(fontsize="small", loc="upper left")


def phase_figure(
    cells: pd.DataFrame, pairs: pd.DataFrame, clock: pd.DataFrame, angle0: float, s_v: float
) -> plt.Figure:
    """Figure 8 (beyond the paper, C4): the decay law of theta_l in the scalar theory over the
    (s_w, s_b) grid, one panel per architecture (variance-only BN for resnet_bn), simulated
    pairs at a few cells as circles, He init as a star, and resnet_bn's logarithmic clock."""
    simulated = simulated_phase(pairs)
    simulated["theory_law"] = theory_at_cells(simulated, angle0, s_v)
    architectures = [a for a in ARCHITECTURES if a in set(cells.arch)]
    figure, axes = plt.subplots(
        1, len(architectures) + 1, figsize=(4.2 * (len(architectures) + 1), 4.4)
    )
    for ax, arch in zip(axes, architectures):
        rows = cells[cells.arch == arch]
        phase_panel(ax, rows, simulated[simulated.arch == arch])
        shares = rows.law.value_counts(normalize=True)
        ax.set_title(
            f"{LABELS[arch]}: "
            + ", ".join(f"{LAW_LETTERS[law]} {share:.0%}" for law, share in shares.items())
        )
    clock_panel(axes[-1], clock)
    figure.subplots_adjust(wspace=0.38)
    depth, (first, last) = (
        int(cells.depth.iloc[0]),
        (int(cells["first"].iloc[0]), int(cells["last"].iloc[0])),
    )
    handles = [
        matplotlib.patches.Patch(
            color=LAW_COLORS[law], label=f"{LAW_LETTERS[law]}: {paper_name(law)}"
        )
        for law in LAW_ORDER
    ]
    handles += [
        plt.Line2D(
            [],
            [],
            marker="*",
            color="white",
            markeredgecolor="k",
            markersize=13,
            linestyle="none",
            label="He init (2, 0)",
        ),
        plt.Line2D(
            [],
            [],
            marker="o",
            color="0.7",
            markeredgecolor="k",
            markersize=9,
            linestyle="none",
            label=f"simulated pairs, own fit (N = {int(pairs.width.iloc[0])}, "
            f"{pairs.seed.nunique()} seeds)",
        ),
    ]
    figure.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=6, fontsize="small"
    )
    figure.suptitle(
        f"Decay law of the angle from θ₀ = {angle0:.3g} rad over the "
        f"initialisation plane: scalar theory fitted on l ∈ [{first}, {last}] "
        f"(depth {depth}), s_v = {s_v:g}"
    )
    return figure


def width_figure(simulation: pd.DataFrame, theory: pd.DataFrame, dataset: str) -> plt.Figure:
    """Figure 7 (beyond the paper): |simulation - theory| of the distance ratio against the
    width N on log-log axes, geometric mean over seeds +- its standard error, with an N^(-1/2)
    reference (C6). resnet_bn is measured against the exact BN theory and, marked with
    crosses, against the large-batch approximation of BN where the table has both."""
    errors = width_errors(simulation, theory)
    figure, ax = plt.subplots(figsize=(6.5, 4.5))
    for arch in [a for a in ARCHITECTURES if a in set(errors.arch)]:
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
    bn_rows = simulation[simulation.arch == "resnet_bn"]
    if (
        bn_variant(theory) == "centred"
        and "centred_large_batch" in set(theory.variant)
        and not bn_rows.empty
    ):
        approximate = width_errors(bn_rows, theory, "centred_large_batch")
        seed_band(
            ax,
            approximate,
            "width",
            "error",
            COLORS["resnet_bn"],
            f"{LABELS['resnet_bn']} vs large-batch BN theory",
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


# --------------------------------------------------------------------------------------------
# Training figures (C5, C1)

DEPTH_MARKERS = ("o", "s", "^", "D", "v", "P", "*", "h", "<", ">")
INIT_STYLE = {"linestyle": "--", "linewidth": 1.4, "marker": "o", "markerfacecolor": "white"}
TRAINED_STYLE = {"linestyle": "-", "linewidth": 2, "marker": "o"}
BATCH_STYLE = {"linestyle": ":", "linewidth": 1.8, "marker": "^"}
DIVERGED_STYLE = {"marker": "X", "s": 70, "edgecolor": "k", "linewidth": 0.5, "zorder": 5}
# The subsets of the training statistics: column prefix in runs.tsv and panel title.
SUBSET_PANELS = {
    "heldout": ("heldout_", "held-out subset (test split; C1, C5 primary)"),
    "train": ("", "training subset (what the network was fitted on)"),
}
# The C1 panels of figure 6: column of runs.tsv, axis label, log axis (where the values span
# more than a decade).
C1_PANELS = (
    ("heldout_ratio_trained", "held-out ratio $d_b / d_w$ (primary)", False),
    ("ratio_trained", "training-subset ratio $d_b / d_w$", False),
    ("heldout_fisher_trained", "held-out Fisher criterion tr $S_B$ / tr $S_W$", True),
    ("heldout_ncm_accuracy_trained", "held-out nearest-class-mean accuracy", False),
)


def depth_axis(ax: plt.Axes, depths: Sequence[int]) -> None:
    """Log2 depth axis with a tick at every trained depth."""
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(depths))
    ax.set_xticklabels([str(depth) for depth in depths])
    ax.minorticks_off()


def finished_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs that finished (status ok: neither diverged nor collapsed)."""
    return runs[runs.status == "ok"]


def diverged_markers(ax: plt.Axes, runs: pd.DataFrame, architectures: Sequence[str]) -> int:
    """Mark, at the bottom of ``ax`` and at each depth, the runs that did not finish (loss
    non-finite, or collapsed to zero features): an × in the architecture's colour labelled
    unfinished/total. Returns how many were marked."""
    transform = matplotlib.transforms.blended_transform_factory(ax.transData, ax.transAxes)
    marked = 0
    for rank, arch in enumerate(architectures):
        for depth, group in runs[runs.arch == arch].groupby("depth"):
            unfinished = int((group.status != "ok").sum())
            if not unfinished:
                continue
            x = depth * 2 ** (0.12 * (rank - (len(architectures) - 1) / 2))
            ax.scatter(
                [x],
                [0.04],
                transform=transform,
                color=COLORS[arch],
                clip_on=False,
                **DIVERGED_STYLE,
            )
            ax.annotate(
                f"{unfinished}/{len(group)}",
                (x, 0.04),
                xycoords=transform,
                xytext=(0, 7),
                textcoords="offset points",
                ha="center",
                fontsize="x-small",
                color=COLORS[arch],
                fontweight="bold",
            )
            marked += unfinished
    return marked


def diverged_handle(count: int) -> plt.Line2D:
    """Legend entry of the unfinished-run marker."""
    return plt.Line2D(
        [],
        [],
        color="0.4",
        marker="X",
        linestyle="none",
        markersize=8,
        markeredgecolor="k",
        label=f"diverged or collapsed runs (of all; {count} in all)",
    )


def ratio_against_depth(
    ax: plt.Axes, runs: pd.DataFrame, prefix: str, architectures: Sequence[str]
) -> None:
    """The last-layer ratio of one subset (column prefix) against depth: at initialisation
    (dashed, open markers), after training (solid; BN in inference mode) and, for ResNet+BN,
    after training with batch statistics (dotted); mean +- sd over seeds."""
    finished = finished_runs(runs)
    for arch in architectures:
        rows = runs[runs.arch == arch]
        seed_band(
            ax,
            rows,
            "depth",
            f"{prefix}ratio_init",
            COLORS[arch],
            None,
            **color_kw(arch, INIT_STYLE),
        )
        done = finished[finished.arch == arch]
        if len(done):
            seed_band(
                ax,
                done,
                "depth",
                f"{prefix}ratio_trained",
                COLORS[arch],
                LABELS[arch],
                **TRAINED_STYLE,
            )
            if arch == "resnet_bn":
                seed_band(
                    ax,
                    done,
                    "depth",
                    f"{prefix}ratio_trained_batch",
                    COLORS[arch],
                    None,
                    **BATCH_STYLE,
                )
    ax.axhline(1.0, color="0.5", linewidth=0.8)
    depth_axis(ax, sorted(set(runs.depth)))


def trained_ratio_figure(runs: pd.DataFrame, layers: pd.DataFrame, dataset: str) -> plt.Figure:
    """Figure 5: distance ratio d_b / d_w at the last hidden layer against depth, on the
    held-out subset (C5's primary measure) and on the training subset, at initialisation and
    after training (BN in inference mode; ResNet+BN also with batch statistics), mean +- sd
    over seeds, runs that did not finish marked (C5). Right: the held-out ratio through the
    layers of the deepest trained networks, before and after training."""
    architectures = [a for a in ARCHITECTURES if a in set(runs.arch)]
    depths = sorted(set(runs.depth))
    figure, axes = plt.subplots(1, 3, figsize=(17, 4.8))
    for ax, (prefix, title) in zip(axes, SUBSET_PANELS.values()):
        ratio_against_depth(ax, runs, prefix, architectures)
        ax.set(
            xlabel="depth $L$ (hidden blocks)",
            ylabel="distance ratio $d_b / d_w$ at layer $L$",
            title=title,
        )
    marked = diverged_markers(axes[0], runs, architectures)
    axes[1].sharey(axes[0])
    handles, labels = axes[0].get_legend_handles_labels()
    extra = [
        plt.Line2D(
            [], [], color="0.3", **TRAINED_STYLE, label="after training (BN: running statistics)"
        ),
        plt.Line2D(
            [],
            [],
            color="0.3",
            **BATCH_STYLE,
            label="after training, ResNet+BN with batch statistics",
        ),
        plt.Line2D([], [], color="0.3", **INIT_STYLE, label="at initialisation"),
    ]
    if marked:
        extra.append(diverged_handle(marked))
    figure.legend(
        handles=handles + extra,
        labels=labels + [h.get_label() for h in extra],
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=4,
        fontsize="small",
    )

    ax = axes[2]
    deepest = max(depths)
    shown = layers[(layers.depth == deepest) & (layers.subset == "heldout")]
    for arch in architectures:
        rows = shown[shown.arch == arch]
        seed_band(
            ax,
            rows[rows.phase == "init"],
            "layer",
            "ratio",
            COLORS[arch],
            None,
            **{**INIT_STYLE, "marker": None},
        )
        trained = rows[rows.phase == "trained"].dropna(subset=["ratio"])
        if len(trained):
            seed_band(
                ax,
                trained,
                "layer",
                "ratio",
                COLORS[arch],
                LABELS[arch],
                **{**TRAINED_STYLE, "marker": None},
            )
        batch = rows[rows.phase == "trained_batch"].dropna(subset=["ratio"])
        if arch == "resnet_bn" and len(batch):
            seed_band(
                ax, batch, "layer", "ratio", COLORS[arch], None, **{**BATCH_STYLE, "marker": None}
            )
    ax.axhline(1.0, color="0.5", linewidth=0.8)
    ax.set(
        xlabel="layer $l$",
        ylabel="held-out distance ratio $d_b / d_w$",
        title=f"held-out, through the layers of the deepest networks, L = {deepest}",
    )
    ax.set_xlim(0, deepest)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    width = int(runs.width.iloc[0]) if "width" in runs else None
    figure.suptitle(
        f"Distance ratio before and after training ({dataset}, N = {width}, "
        f"{runs.seed.nunique()} seeds, mean ± sd)"
    )
    return figure


def color_kw(arch: str, style: dict) -> dict:
    """``style`` for ``arch`` (marker edge in the architecture's colour)."""
    return {**style, "markeredgecolor": COLORS[arch]}


def accuracy_against(
    ax: plt.Axes,
    finished: pd.DataFrame,
    column: str,
    label: str,
    log: bool,
    markers: dict,
    chance: float | None,
) -> None:
    """Test accuracy of every finished run against one last-layer measure after training
    (colour = architecture, marker = depth), with the Spearman rank correlation in the title."""
    from scipy.stats import spearmanr

    shown = finished[np.isfinite(finished[column]) & finished.test_accuracy.notna()]
    for (arch, depth), rows in shown.groupby(["arch", "depth"]):
        ax.scatter(
            rows[column],
            rows.test_accuracy,
            color=COLORS[arch],
            marker=markers[depth],
            s=40,
            edgecolor="k",
            linewidth=0.4,
            alpha=0.9,
        )
    if len(shown) >= 3:
        rho, p_value = spearmanr(shown[column], shown.test_accuracy)
        note = f"Spearman ρ = {rho:.2f} (p = {p_value:.2g}, {len(shown)} runs)"
    else:
        note = f"{len(shown)} finished runs"
    if chance is not None:
        ax.axhline(chance, color="0.4", linestyle="--", linewidth=1)
    values = shown[column].to_numpy()
    if log and len(values) and values.min() > 0 and values.max() > 10 * values.min():
        ax.set_xscale("log")  # Fisher's criterion spans decades across depths
    ax.set(xlabel=f"{label}, last hidden layer", ylabel="test accuracy", ylim=(0, 1.02), title=note)


def accuracy_figure(runs: pd.DataFrame, dataset: str) -> plt.Figure:
    """Figure 6: test accuracy against each separability measure of the last hidden layer
    after training (small multiples: the held-out ratio, C1's primary measure; the
    training-subset ratio; held-out Fisher's criterion; held-out nearest-class-mean accuracy),
    one point per finished run with the Spearman rank correlation over them, and test accuracy
    against depth (mean +- sd over seeds); chance level dashed, unfinished runs marked (C1)."""
    architectures = [a for a in ARCHITECTURES if a in set(runs.arch)]
    depths = sorted(set(runs.depth))
    markers = dict(zip(depths, DEPTH_MARKERS * (len(depths) // len(DEPTH_MARKERS) + 1)))
    chance = 1.0 / float(runs.n_classes.iloc[0]) if "n_classes" in runs else None
    finished = finished_runs(runs)
    figure, axes = plt.subplots(2, 3, figsize=(16, 9.5))
    panels = [axes[0, 0], axes[0, 1], axes[1, 0], axes[1, 1]]
    for ax, (column, label, log) in zip(panels, C1_PANELS):
        accuracy_against(ax, finished, column, label, log, markers, chance)

    ax = axes[0, 2]
    for arch in architectures:
        rows = finished[finished.arch == arch]
        if len(rows):
            seed_band(
                ax, rows, "depth", "test_accuracy", COLORS[arch], LABELS[arch], **TRAINED_STYLE
            )
    marked = diverged_markers(ax, runs, architectures)
    if chance is not None:
        ax.axhline(chance, color="0.4", linestyle="--", linewidth=1)
    depth_axis(ax, depths)
    ax.set(
        xlabel="depth $L$ (hidden blocks)",
        ylabel="test accuracy",
        ylim=(0, 1.02),
        title="accuracy against depth (mean ± sd over seeds)",
    )

    legend = axes[1, 2]
    legend.axis("off")
    handles = [
        plt.Line2D(
            [],
            [],
            color=COLORS[arch],
            marker="o",
            linestyle="-",
            markeredgecolor="k",
            label=LABELS[arch],
        )
        for arch in architectures
    ]
    handles += [
        plt.Line2D(
            [],
            [],
            color="0.6",
            marker=markers[depth],
            linestyle="none",
            markeredgecolor="k",
            label=f"L = {depth}",
        )
        for depth in depths
    ]
    if chance is not None:
        handles.append(
            plt.Line2D(
                [], [], color="0.4", linestyle="--", linewidth=1, label=f"chance ({chance:.2g})"
            )
        )
    if marked:
        handles.append(diverged_handle(marked))
    legend.legend(handles=handles, loc="center", fontsize="small", ncol=2)
    figure.suptitle(
        f"Test accuracy after training against separability ({dataset}, "
        f"N = {int(runs.width.iloc[0])}, {runs.seed.nunique()} seeds)"
    )
    figure.tight_layout()
    return figure
