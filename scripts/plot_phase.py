"""Snakemake script of rule plot_phase: fig 8, the decay laws over (s_w, s_b) (C4)."""

from typing import TYPE_CHECKING

from separability import plotting
from separability.workflow import read_tables, rule_log

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0]):
    plotting.use_headless_backend()
    plotting.style()
    inputs, p = snakemake.input, snakemake.params
    figure = plotting.phase_figure(
        read_tables([inputs.cells]),
        read_tables(inputs.pairs),
        read_tables([inputs.clock]),
        p.angle,
        **p.init,
    )
    plotting.save(figure, snakemake.output.pdf, snakemake.output.png, p.dpi)
