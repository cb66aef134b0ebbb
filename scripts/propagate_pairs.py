"""Snakemake script of rule propagate_pairs: controlled input pairs through random blocks, one
output table per architecture of params.archs and seed of params.seeds (architecture-major)."""

import itertools
from typing import TYPE_CHECKING

from separability.propagation import pair_statistics
from separability.workflow import rule_log, set_threads, write_table

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True) as log:
    set_threads(snakemake.threads)
    p = snakemake.params
    runs = itertools.product(p.archs, p.seeds)
    for path, (arch, seed) in zip(snakemake.output, runs, strict=True):
        table = pair_statistics(
            arch,
            p.width,
            p.depth,
            seed,
            p.angles,
            p.pairs_per_angle,
            **p.init,
            bn_centering=False,
        )
        write_table(table, path)
        log.info("%s seed %d: %d layers", arch, seed, p.depth + 1)
