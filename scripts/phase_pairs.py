"""Snakemake script of rule phase_pairs: simulated pairs at a few cells of the phase diagram,
one output table per architecture of params.archs."""

from typing import TYPE_CHECKING

from separability.propagation import phase_pairs
from separability.workflow import rule_log, set_threads, write_table

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0]) as log:
    set_threads(snakemake.threads)
    p = snakemake.params
    for arch, path in zip(p.archs, snakemake.output, strict=True):
        table = phase_pairs(
            arch,
            p.phase["cells"],
            p.phase["width"],
            p.phase["simulation_depth"],
            p.phase["seeds"],
            p.angle,
            p.phase["pairs"],
            **p.init,
        )
        write_table(table, path)
        log.info("%s: %d cells, %d seeds", arch, len(p.phase["cells"]), p.phase["seeds"])
