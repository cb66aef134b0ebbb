"""Snakemake script of rule benchmark_propagation: propagation vs plain matmul throughput."""

from separability.benchmark import throughput_table
from separability.workflow import rule_log, set_threads, write_table

with rule_log(snakemake.log[0]) as log:  # noqa: F821
    set_threads(snakemake.threads)  # noqa: F821
    p = snakemake.params  # noqa: F821
    table = throughput_table(p.architectures, p.n, p.width, p.depth, p.layers)
    write_table(table, snakemake.output[0])  # noqa: F821
    log.info("\n%s", table.to_string())
