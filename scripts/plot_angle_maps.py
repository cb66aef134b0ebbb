"""Snakemake script of rule plot_angle_maps: fig 4, the one-block angle maps c -> c' (C4)."""

from separability import plotting
from separability.workflow import read_tables, rule_log

with rule_log(snakemake.log[0]):  # noqa: F821
    plotting.use_headless_backend()
    plotting.style()
    figure = plotting.angle_maps_figure(read_tables(snakemake.input.pairs),  # noqa: F821
                                        snakemake.params.init["s_w"],  # noqa: F821
                                        snakemake.params.init["s_v"],  # noqa: F821
                                        snakemake.params.init["s_b"])  # noqa: F821
    plotting.save(figure, snakemake.output.pdf, snakemake.output.png,  # noqa: F821
                  snakemake.params.dpi)  # noqa: F821
