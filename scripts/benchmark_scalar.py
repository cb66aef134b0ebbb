"""Snakemake script of rule benchmark_scalar: cost of the scalar recursion of one angle."""

from typing import TYPE_CHECKING

from separability.benchmark import scalar_timing
from separability.workflow import rule_log, write_table

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True) as log:
    table = scalar_timing(snakemake.params.depth, snakemake.params.angles)
    write_table(table, snakemake.output[0])
    log.info("\n%s", table.to_string())
