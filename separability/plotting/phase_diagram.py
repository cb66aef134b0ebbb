"""Figure 8 (beyond the paper, claim C4): where each decay law of the angle holds over the
initialisation plane (s_w, s_b), and the logarithmic clock of ResNet+BN."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from separability.decay import LAWS, paper_name
from separability.phase import simulated_phase, theory_at_cells
from separability.plotting.style import COLORS, LABELS, present

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


def rate_cells(
    s_w: np.ndarray, s_b: np.ndarray, marked: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """Cells of a sparse interior subgrid (about 4 x 4, away from the panel's edges) whose
    rate label is written, leaving out those within one subgrid step of a marked cell."""
    columns = np.unique(np.linspace(1, len(s_w) - 2, min(4, len(s_w))).round().astype(int))
    rows = np.unique(np.linspace(1, len(s_b) - 2, min(4, len(s_b))).round().astype(int))
    step_w = np.ptp(s_w) / max(len(columns), 1) / 2
    step_b = np.ptp(s_b) / max(len(rows), 1) / 2
    return [
        (s_w[i], s_b[j])
        for i in columns
        for j in rows
        if all(abs(s_w[i] - w) > step_w or abs(s_b[j] - b) > step_b for w, b in marked)
    ]


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
    marked = [(2.0, 0.0), *zip(simulated.s_w, simulated.s_b)]
    for w, b in rate_cells(s_w, s_b, marked):
        cell = rates.loc[(w, b)]
        ax.text(w, b, rate_label(cell.law, cell.rate), ha="center", va="center", fontsize=6)
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
        title="the logarithmic clock:\nResNet+BN = MLP at depth τ ≈ log l",
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
    architectures = present(cells.arch)
    figure, axes = plt.subplots(
        1,
        len(architectures) + 1,
        figsize=(4.4 * (len(architectures) + 1), 4.8),
        layout="constrained",
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
            label=f"sampled pairs, own fit (N = {int(pairs.width.iloc[0])}, "
            f"{pairs.network.nunique()} networks)",
        ),
    ]
    figure.legend(handles=handles, loc="outside lower center", ncol=6, fontsize="small")
    figure.suptitle(
        f"Decay law of the angle from θ₀ = {angle0:.3g} rad over the "
        f"initialisation plane: scalar theory fitted on l ∈ [{first}, {last}] "
        f"(depth {depth}), s_v = {s_v:g}"
    )
    return figure
