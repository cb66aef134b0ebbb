"""Snakemake script of rule benchmark_theory: cost and accuracy of the exact BN theory."""

from typing import TYPE_CHECKING

from threadpoolctl import threadpool_limits

from separability.benchmark import bn_theory_timing
from separability.data import load_prepared
from separability.workflow import rule_log, write_table

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True) as log:
    threadpool_limits(snakemake.threads)
    data = load_prepared(snakemake.input[0])
    table = bn_theory_timing(data["x_eval"], snakemake.params.depth)
    write_table(table, snakemake.output[0])
    log.info("\n%s", table.T.to_string())
