"""Snakemake script of rule plot_angle_decay: fig 3, angle decay on log-log and semi-log axes (C4)."""

from separability import plotting
from separability.workflow import read_tables, rule_log

with rule_log(snakemake.log[0]):  # noqa: F821
    plotting.use_headless_backend()
    plotting.style()
    figure = plotting.angle_decay_figure(read_tables(snakemake.input.pairs),  # noqa: F821
                                         read_tables([snakemake.input.scalar]))  # noqa: F821
    plotting.save(figure, snakemake.output.pdf, snakemake.output.png,  # noqa: F821
                  snakemake.params.dpi)  # noqa: F821
