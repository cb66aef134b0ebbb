"""Figures of the training experiments: the last-layer distance ratio before and after training
against depth (figure 5, claim C5) and test accuracy against the separability measures and
against depth (figure 6, claim C1)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from separability.plotting.style import (
    COLORS,
    LABELS,
    color_kw,
    depth_axis,
    normalised,
    present,
    seed_band,
)

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
    ("heldout_probe_accuracy_trained", "held-out linear-probe accuracy (3-fold CV)", False),
    ("heldout_angle_ratio_trained", r"held-out angle ratio $\theta_b / \theta_w$", False),
)


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
            if arch in normalised([arch]):
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
    over seeds, runs that did not finish marked (C5); the held-out ratio through the layers of
    the deepest trained networks, before and after training; and the effective rank of the
    held-out last-layer features against depth (near-collapse shows as a rank near 1)."""
    architectures = present(runs.arch)
    depths = sorted(set(runs.depth))
    figure, grid = plt.subplots(2, 2, figsize=(14, 10))
    axes = [grid[0, 0], grid[0, 1], grid[1, 0]]
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
    rank_against_depth(grid[1, 1], runs, architectures)

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
        if arch in normalised([arch]) and len(batch):
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


def rank_against_depth(ax: plt.Axes, runs: pd.DataFrame, architectures) -> None:
    """The effective rank (participation ratio) of the held-out last-layer features against
    depth, at initialisation (dashed) and after training (solid), mean +- sd over seeds: near
    1, the features have collapsed onto a line (docs/statistics.md)."""
    finished = finished_runs(runs)
    for arch in architectures:
        if "heldout_effective_rank_init" in runs:
            seed_band(
                ax,
                runs[runs.arch == arch],
                "depth",
                "heldout_effective_rank_init",
                COLORS[arch],
                None,
                log=True,
                **color_kw(arch, INIT_STYLE),
            )
        done = finished[finished.arch == arch]
        if len(done) and "heldout_effective_rank_trained" in runs:
            seed_band(
                ax,
                done,
                "depth",
                "heldout_effective_rank_trained",
                COLORS[arch],
                LABELS[arch],
                log=True,
                **TRAINED_STYLE,
            )
    ax.set_yscale("log")
    depth_axis(ax, sorted(set(runs.depth)))
    ax.set(
        xlabel="depth $L$ (hidden blocks)",
        ylabel="effective rank of held-out features at layer $L$",
        title="held-out effective rank (participation ratio; 1: collapsed onto a line)",
    )


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
    training-subset ratio; held-out Fisher's criterion; held-out nearest-class-mean accuracy;
    the held-out linear probe; the held-out angle ratio, the angle channel),
    one point per finished run with the Spearman rank correlation over them, and test accuracy
    against depth (mean +- sd over seeds); chance level dashed, unfinished runs marked (C1)."""
    architectures = present(runs.arch)
    depths = sorted(set(runs.depth))
    markers = dict(zip(depths, DEPTH_MARKERS * (len(depths) // len(DEPTH_MARKERS) + 1)))
    chance = 1.0 / float(runs.n_classes.iloc[0]) if "n_classes" in runs else None
    finished = finished_runs(runs)
    figure, axes = plt.subplots(2, 4, figsize=(21, 9.5))
    panels = [axes[0, 0], axes[0, 1], axes[0, 2], axes[1, 0], axes[1, 1], axes[1, 2]]
    for ax, (column, label, log) in zip(panels, C1_PANELS):
        if column in finished:
            accuracy_against(ax, finished, column, label, log, markers, chance)
        else:
            ax.axis("off")

    ax = axes[0, 3]
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

    legend = axes[1, 3]
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
