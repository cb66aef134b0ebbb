"""Figure 9 (beyond the paper, claims C4 and C6): the depth-to-width law of the angle, the
ratio of the mean angle at width N to the infinite-width angle against depth over width, one
curve per width (``separability.width_law``)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from separability.plotting.style import LABELS, present
from separability.width_law import FIT_FIRST_LAYER, FIT_LIMIT, SPREAD_WINDOW

# The leading term predicted from the chain's first two moments (``width_law.moment_prediction``)
PREDICTION_STYLE = {"linestyle": (0, (1, 1)), "linewidth": 1.6}
# A sequential, colour-blind-safe colour map: light (small N) to dark (large N).
WIDTH_COLORS = plt.get_cmap("viridis_r")


def width_colors(widths) -> dict[int, tuple]:
    """A colour per width, evenly spaced in log N along WIDTH_COLORS (avoiding its lightest
    end)."""
    widths = sorted(widths)
    shades = np.linspace(0.15, 1.0, len(widths))
    return {int(width): WIDTH_COLORS(shade) for width, shade in zip(widths, shades)}


def width_label(width: int, deep: int, shallow: int) -> str:
    """Legend label of one width: its networks, and how many reach only l = N / 10 (the
    leading term's window) where there are such."""
    extra = f", {shallow} to l = N/10" if shallow > deep else ""
    return f"N = {width} ({deep} networks{extra})"


def law_panel(ax: plt.Axes, curves: pd.DataFrame, summary: pd.Series, colors: dict) -> None:
    """One architecture: theta_N / theta_inf against l / N for every width with a band of +-
    one standard error, the line 1 - a l / N of the fitted leading term, the spread's window
    shaded, and the two numbers in a corner."""
    for width, rows in curves.groupby("width"):
        ax.plot(rows.x, rows.ratio, color=colors[int(width)], linewidth=1.4)
        ax.fill_between(
            rows.x,
            rows.ratio - rows.ratio_se,
            rows.ratio + rows.ratio_se,
            color=colors[int(width)],
            alpha=0.2,
            linewidth=0,
        )
    ax.axhline(1.0, color="0.5", linewidth=0.8)
    ax.axvspan(*SPREAD_WINDOW, color="0.9", zorder=-1)
    x = np.geomspace(curves.x.min(), 4 * FIT_LIMIT, 50)
    ax.plot(x, 1 - summary.a * x, color="k", linestyle="--", linewidth=1.2)
    text = f"a = {summary.a:.3f} [{summary.a_low:.3f}, {summary.a_high:.3f}]"
    if np.isfinite(summary.a_predicted):
        ax.plot(x, 1 - summary.a_predicted * x, color="k", **PREDICTION_STYLE)
        text += f"\npredicted from the moments: a = {summary.a_predicted:.3f}"
    # above the curves, which stay below about 1.05
    ax.text(
        0.03,
        0.97,
        f"{text}\nspread {summary.spread:.3f} ± {summary.spread_se:.3f} at l/N = "
        f"{summary.spread_x:.2g}\n(the noise alone: {summary.spread_noise:.3f})",
        transform=ax.transAxes,
        verticalalignment="top",
        fontsize="small",
        bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "0.7"},
    )
    ax.set(xscale="log", xlabel="depth over width $l / N$", ylim=(0.0, 1.5))


def width_law_figure(curves: pd.DataFrame, summary: pd.DataFrame) -> plt.Figure:
    """Figure 9: one panel per architecture, theta_N(l) / theta_inf(l) of pairs from the
    largest initial angle against l / N, one curve per width N (sequential colours, named in
    the legend) with +- one standard error bands; the fitted leading term 1 - a l / N (over
    l / N <= FIT_LIMIT, l >= FIT_FIRST_LAYER, all widths) dashed, and where it exists the one
    predicted from the chain's first two moments dotted; the window of the spread
    between widths shaded; a with its bootstrap 95% interval and the spread with its standard
    error written in each panel."""
    architectures = present(curves.arch)
    colors = width_colors(curves.width.unique())
    figure, axes = plt.subplots(
        1, len(architectures), figsize=(4.2 * len(architectures), 4.4), sharey=True, squeeze=False
    )
    rows = summary.set_index("arch")
    for ax, arch in zip(axes[0], architectures):
        law_panel(ax, curves[curves.arch == arch], rows.loc[arch], colors)
        ax.set_title(LABELS[arch])
    axes[0][0].set_ylabel(r"mean angle over infinite-width angle $\theta_N(l) / \theta_\infty(l)$")
    networks = curves.groupby("width").networks.agg(["min", "max"])
    handles = [
        plt.Line2D(
            [],
            [],
            color=colors[int(width)],
            linewidth=2,
            label=width_label(int(width), int(row["min"]), int(row["max"])),
        )
        for width, row in networks.iterrows()
    ]
    handles += [
        plt.Line2D(
            [],
            [],
            color="k",
            linestyle="--",
            label=f"1 − a l/N, fitted over l/N ≤ {FIT_LIMIT:g}, l ≥ {FIT_FIRST_LAYER} "
            "(95% bootstrap interval)",
        ),
        plt.Line2D(
            [],
            [],
            color="k",
            label="1 − a l/N, a predicted from the chain's first two moments (no skip path)",
            **PREDICTION_STYLE,
        ),
        plt.Rectangle(
            (0, 0),
            1,
            1,
            color="0.9",
            label=f"window of the spread between widths, l/N ∈ [{SPREAD_WINDOW[0]:g}, "
            f"{SPREAD_WINDOW[1]:g}]",
        ),
    ]
    figure.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4, fontsize="small"
    )
    figure.suptitle(
        "The angle at finite width against depth over width: pairs drawn by the Gram-space "
        "sampler, mean ± s.e. over networks, over the scalar theory"
    )
    return figure
