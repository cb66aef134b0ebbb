"""Snakemake script of rule plot_distances: fig 1, distances through layers (C2, C6)."""

from separability import plotting
from separability.workflow import read_tables, rule_log

with rule_log(snakemake.log[0]):  # noqa: F821
    plotting.use_headless_backend()
    plotting.style()
    figure = plotting.distances_figure(read_tables(snakemake.input.simulation),  # noqa: F821
                          read_tables(snakemake.input.theory),  # noqa: F821
                          snakemake.wildcards.dataset)  # noqa: F821
    plotting.save(figure, snakemake.output.pdf, snakemake.output.png,  # noqa: F821
                  snakemake.params.dpi)  # noqa: F821
