"""Snakemake script of rule phase_pairs: pairs at a few cells of the phase diagram drawn by the
Gram-space sampler, one output table per architecture of params.archs."""

from typing import TYPE_CHECKING

from separability.phase import simulated_cells
from separability.workflow import rule_log, set_threads, write_table

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True) as log:
    set_threads(snakemake.threads)
    p = snakemake.params
    for arch, path in zip(p.archs, snakemake.output, strict=True):
        table = simulated_cells(
            arch,
            p.phase["cells"],
            p.phase["width"],
            p.phase["simulation_depth"],
            p.phase["networks"],
            p.angle,
            p.seed,
            **p.init,
        )
        write_table(table, path)
        log.info("%s: %d cells, %d networks", arch, len(p.phase["cells"]), p.phase["networks"])
