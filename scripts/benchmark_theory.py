"""Snakemake script of rule benchmark_theory: cost and accuracy of the exact BN theory."""

from threadpoolctl import threadpool_limits

from separability.benchmark import bn_theory_timing
from separability.data import load_prepared
from separability.workflow import rule_log, write_table

with rule_log(snakemake.log[0]) as log:  # noqa: F821
    threadpool_limits(snakemake.threads)  # noqa: F821
    data = load_prepared(snakemake.input[0])  # noqa: F821
    table = bn_theory_timing(data["x_eval"], snakemake.params.depth)  # noqa: F821
    write_table(table, snakemake.output[0])  # noqa: F821
    log.info("\n%s", table.T.to_string())
