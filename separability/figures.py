"""Every figure of the pipeline, listed once (docs/claims.md, "Figures"): its file name, the
plotting function that draws it, the result tables it reads (by kind, see
``separability.tables``), the keyword arguments it takes from the configuration, whether it is
drawn per data set, the claims it shows and its report category. The workflow builds one plot
rule per entry, the Snakemake report takes each entry's caption (workflow/report/<name>.rst),
the tests are derived from this list and tests/test_readme.py checks the README's figure
table against it.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from collections.abc import Mapping


@dataclasses.dataclass(frozen=True)
class Figure:
    """One figure: ``name`` (file stem under figures/ or figures/<dataset>/), ``title``,
    ``rule`` (the Snakemake rule drawing it), the plotting ``function`` as
    "module:function" under ``separability.plotting``, its ``inputs`` ((argument, table kind)
    pairs), its configuration ``arguments`` (keyword names), ``per_dataset``, the ``claims``
    it shows, its report ``category`` and whether it goes ``beyond_paper``."""

    number: int
    name: str
    title: str
    rule: str
    function: str
    inputs: tuple[tuple[str, str], ...]
    arguments: tuple[str, ...] = ()
    per_dataset: bool = True
    claims: tuple[str, ...] = ()
    category: str = ""
    beyond_paper: bool = False

    @property
    def module(self) -> str:
        """The module of the plotting function (imported only when the figure is drawn)."""
        return f"separability.plotting.{self.function.partition(':')[0]}"

    def draw(self, tables: Mapping, arguments: Mapping):
        """The matplotlib figure drawn from ``tables`` (argument -> table) and ``arguments``
        (the configuration's keyword arguments)."""
        function = getattr(importlib.import_module(self.module), self.function.partition(":")[2])
        return function(**tables, **arguments)

    def files(self, datasets) -> list[str]:
        """Its PDF and PNG paths, per data set where it depends on data."""
        stems = (
            [f"figures/{dataset}/{self.name}" for dataset in datasets]
            if self.per_dataset
            else [f"figures/{self.name}"]
        )
        return [f"{stem}.{ext}" for stem in stems for ext in ("pdf", "png")]


# The line of a figure's .caption.rst that records, as JSON, the configuration values its
# caption cites (an RST comment: not rendered).
CITED_PREFIX = ".. cited: "


def caption_record(cited: Mapping, dataset: str | None) -> str:
    """The .caption.rst written beside a figure: the configuration values its caption cites as
    a machine-readable RST comment (``CITED_PREFIX``), and as a sentence for the report."""
    values = "; ".join(f"``{key}`` = {value}" for key, value in cited.items())
    where = f" on data set ``{dataset}``" if dataset else ""
    return (
        f"{CITED_PREFIX}{json.dumps(dict(cited), sort_keys=True, default=str)}\n\n"
        f"*Drawn{where} with* {values or 'no configuration values cited'}.\n"
    )


FIGURES = (
    Figure(
        1,
        "fig1_distances",
        "distances through layers at initialisation",
        "plot_distances",
        "random_init:distances_figure",
        (("simulation", "distance"), ("theory", "theory_figures")),
        ("dataset",),
        claims=("C2", "C6"),
        category="Random initialisation",
    ),
    Figure(
        2,
        "fig2_ratio",
        "distance ratio through layers at initialisation",
        "plot_ratio",
        "random_init:ratio_figure",
        (("simulation", "distance"), ("theory", "theory_figures")),
        ("dataset",),
        claims=("C2", "C3", "C6"),
        category="Random initialisation",
    ),
    Figure(
        3,
        "fig3_angle_decay",
        "angle decay, log-log and semi-log, with fitted laws",
        "plot_angle_decay",
        "angles:angle_decay_figure",
        (("pairs", "pairs_wide"), ("scalar", "scalar"), ("real_pairs", "pairs")),
        per_dataset=False,
        claims=("C4",),
        category="Angles",
    ),
    Figure(
        4,
        "fig4_angle_maps",
        "one-block angle maps c → c'",
        "plot_angle_maps",
        "angles:angle_maps_figure",
        (("pairs", "pairs"),),
        ("s_w", "s_v", "s_b"),
        per_dataset=False,
        claims=("C4",),
        category="Angles",
    ),
    Figure(
        5,
        "fig5_trained_ratio",
        "last-layer ratio before and after training against depth",
        "plot_trained_ratio",
        "training:trained_ratio_figure",
        (("runs", "runs"), ("layers", "layers")),
        ("dataset",),
        claims=("C5",),
        category="Training",
    ),
    Figure(
        6,
        "fig6_accuracy",
        "test accuracy against trained ratio and against depth",
        "plot_accuracy",
        "training:accuracy_figure",
        (("runs", "runs"),),
        ("dataset",),
        claims=("C1",),
        category="Training",
    ),
    Figure(
        7,
        "fig7_width",
        "|simulation − theory| against width",
        "plot_width",
        "random_init:width_figure",
        (("simulation", "width"), ("theory", "theory_figures"), ("sampled", "sampled_width")),
        ("dataset",),
        claims=("C6",),
        category="Finite width",
        beyond_paper=True,
    ),
    Figure(
        8,
        "fig8_phase_diagram",
        "where each decay law holds over (s_w, s_b)",
        "plot_phase",
        "phase_diagram:phase_figure",
        (("cells", "phase_cells"), ("pairs", "phase_pairs"), ("clock", "phase_clock")),
        ("angle0", "s_v"),
        per_dataset=False,
        claims=("C4",),
        category="Angles",
        beyond_paper=True,
    ),
    Figure(
        9,
        "fig9_width_law",
        "the angle at finite width against depth / width",
        "plot_width_law",
        "width_law:width_law_figure",
        (("curves", "width_law_curves"), ("summary", "width_law_summary")),
        per_dataset=False,
        claims=("C4", "C6"),
        category="Finite width",
        beyond_paper=True,
    ),
)


def get(name: str) -> Figure:
    """The figure named ``name`` (its file stem or its rule)."""
    for figure in FIGURES:
        if name in (figure.name, figure.rule):
            return figure
    raise ValueError(f"unknown figure {name!r}; one of {[f.name for f in FIGURES]}")
