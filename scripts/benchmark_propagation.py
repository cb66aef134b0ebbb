"""Snakemake script of rule benchmark_propagation: propagation vs plain matmul throughput."""

from typing import TYPE_CHECKING

from separability.benchmark import throughput_table
from separability.workflow import rule_log, set_threads, write_table

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True) as log:
    set_threads(snakemake.threads)
    p = snakemake.params
    table = throughput_table(p.architectures, p.n, p.width, p.depth, p.layers)
    write_table(table, snakemake.output[0])
    log.info("\n%s", table.to_string())
