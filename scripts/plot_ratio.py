"""Snakemake script of rule plot_ratio: fig 2, distance ratio through layers (C2, C3, C6)."""

from typing import TYPE_CHECKING

from separability import plotting
from separability.workflow import read_tables, rule_log

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0]):
    plotting.use_headless_backend()
    plotting.style()
    figure = plotting.ratio_figure(
        read_tables(snakemake.input.simulation),
        read_tables(snakemake.input.theory),
        snakemake.wildcards.dataset,
    )
    plotting.save(figure, snakemake.output.pdf, snakemake.output.png, snakemake.params.dpi)
