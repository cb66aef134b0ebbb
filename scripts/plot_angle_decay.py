"""Snakemake script of rule plot_angle_decay: fig 3, angle decay on log-log and semi-log axes
(C4)."""

from typing import TYPE_CHECKING

from separability import plotting
from separability.workflow import read_tables, rule_log

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0]):
    plotting.use_headless_backend()
    plotting.style()
    figure = plotting.angle_decay_figure(
        read_tables(snakemake.input.pairs), read_tables([snakemake.input.scalar])
    )
    plotting.save(figure, snakemake.output.pdf, snakemake.output.png, snakemake.params.dpi)
