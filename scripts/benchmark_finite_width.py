"""Snakemake script of rule benchmark_finite_width: cost of the Gram-space sampler."""

from typing import TYPE_CHECKING

from separability.benchmark import finite_width_timing
from separability.workflow import rule_log, write_table

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True) as log:
    table = finite_width_timing(snakemake.params.arch)
    write_table(table, snakemake.output[0])
    log.info("\n%s", table.T.to_string())
