"""Snakemake script of rule theory_gram: infinite-width Gram recursion on the evaluation subset
(for resnet_bn every variant of separability.theory.table_variants)."""

from typing import TYPE_CHECKING

from threadpoolctl import threadpool_limits

from separability.data import load_prepared
from separability.theory import gram_table
from separability.workflow import rule_log, write_table

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0]) as log:
    threadpool_limits(snakemake.threads)  # numpy's BLAS: one job, its cores
    p, arch = snakemake.params, snakemake.wildcards.arch
    data = load_prepared(snakemake.input[0])
    table = gram_table(
        arch,
        data["x_eval"],
        data["y_eval"],
        p.depth,
        **p.init,
        bn=p.bn,
    )
    write_table(table, snakemake.output[0])
    log.info("%s: %d layers, variants %s", arch, p.depth + 1, sorted(set(table.variant)))
