"""Snakemake script of rule plot_angle_maps: fig 4, the one-block angle maps c -> c' (C4)."""

from typing import TYPE_CHECKING

from separability import plotting
from separability.workflow import read_tables, rule_log

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0]):
    plotting.use_headless_backend()
    plotting.style()
    figure = plotting.angle_maps_figure(
        read_tables(snakemake.input.pairs),
        **snakemake.params.init,
    )
    plotting.save(figure, snakemake.output.pdf, snakemake.output.png, snakemake.params.dpi)
