"""The common style of every figure (docs/claims.md, "Figures"): one label and one colour per
architecture (from the registry, colour-blind palette), simulation as mean +- sd bands over
seeds with the theory drawn over them, one line style per theory variant, file output.
Importing this module leaves matplotlib's backend alone; the workflow's plot scripts draw
headless (``use_headless_backend``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from separability import architectures
from separability.io import atomic_write

PALETTE = sns.color_palette("colorblind", 10)


class ByArchitecture(Mapping):
    """A read-only mapping from architecture name to a property of its registry entry, looked
    up when read (so an architecture registered later has one too)."""

    def __init__(self, value: Callable[[architectures.Architecture], object]):
        self.value = value

    def __getitem__(self, name: str):
        if name not in architectures.REGISTRY:
            raise KeyError(name)
        return self.value(architectures.REGISTRY[name])

    def __iter__(self) -> Iterator[str]:
        return iter(architectures.names())

    def __len__(self) -> int:
        return len(architectures.REGISTRY)


# Legend label and colour of every architecture (one colour each, the same in every figure).
LABELS = ByArchitecture(lambda entry: entry.label)
COLORS = ByArchitecture(lambda entry: PALETTE[entry.colour % len(PALETTE)])


THEORY_STYLE = {"linestyle": "--", "linewidth": 1.4}


def present(archs) -> list[str]:
    """The registered architectures among ``archs`` (e.g. a table's column), in registry order:
    the order of every legend."""
    found = set(archs)
    return [name for name in architectures.names() if name in found]


def normalised(archs) -> list[str]:
    """The architectures among ``archs`` whose branch is batch-normalised (resnet_bn, mlp_bn):
    those with a BN theory variant and a batch-statistics phase after training."""
    return [arch for arch in archs if architectures.get(arch).normalised]


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
    """Write ``figure`` as vector PDF and as PNG at ``dpi``, each atomically (an interrupted
    write leaves the old file or none, never a cut one), then close it."""
    atomic_write(pdf, lambda temporary: figure.savefig(temporary, format="pdf"))
    atomic_write(png, lambda temporary: figure.savefig(temporary, format="png", dpi=dpi))
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
    """Add the figure's legend below its panels: architectures by colour (from ``ax``),
    simulation vs theory (and each theory variant in ``variants``) by line style."""
    handles, labels = ax.get_legend_handles_labels()
    extra = [plt.Line2D([], [], color="0.3", linewidth=2, label="simulation, mean ± sd")]
    labels_drawn = set()
    for variant, (_, label) in VARIANT_STYLES.items():
        if variant in variants and label not in labels_drawn:
            labels_drawn.add(label)
            extra.append(plt.Line2D([], [], color="0.3", label=label, **variant_style(variant)))
    ax.figure.legend(
        handles=handles + extra,
        labels=labels + [h.get_label() for h in extra],
        fontsize="small",
        loc="outside lower center",
        ncol=4,
    )


def color_kw(arch: str, style: dict) -> dict:
    """``style`` for ``arch`` (marker edge in the architecture's colour)."""
    return {**style, "markeredgecolor": COLORS[arch]}


def depth_axis(ax: plt.Axes, depths: Sequence[int]) -> None:
    """Log2 depth axis with a tick at every trained depth."""
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(depths))
    ax.set_xticklabels([str(depth) for depth in depths])
    ax.minorticks_off()
