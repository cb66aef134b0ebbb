"""Snakemake script of rules theory_gram and theory_gram_variance_only: infinite-width Gram
recursion on the evaluation subset, one table of separability.theory_tables.table_variants (for
resnet_bn centred BN and its large-batch form, or variance-only BN)."""

from typing import TYPE_CHECKING

from threadpoolctl import threadpool_limits

from separability.data import load_prepared
from separability.theory_tables import gram_table
from separability.workflow import rule_log, write_table

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True) as log:
    threadpool_limits(snakemake.threads)  # numpy's BLAS: one job, its cores
    p = snakemake.params
    data = load_prepared(snakemake.input[0])
    table = gram_table(
        p.arch,
        data["x_eval"],
        data["y_eval"],
        p.depth,
        **p.init,
        bn=p.bn,
        centering=p.centering,
    )
    write_table(table, snakemake.output[0])
    log.info("%s: %d layers, variants %s", p.arch, p.depth + 1, sorted(set(table.variant)))
