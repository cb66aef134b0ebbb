"""Snakemake script of rule sample_pairs: C4's controlled pairs drawn by the Gram-space sampler
at a width far beyond their depth, one table per architecture of params.archs (shared variance
normaliser), and pairs inside a batch with per-unit centred BN: the exact theory of the batch
for every architecture, the sampler for the normalised ones (params.normalised)."""

from typing import TYPE_CHECKING

import pandas as pd

from separability.sampler_tables import batch_gram, batch_sampled, batch_theory, wide_pairs
from separability.workflow import rule_log, set_threads, write_table

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True) as log:
    set_threads(snakemake.threads)
    p = snakemake.params
    for arch, path in zip(p.archs, snakemake.output.wide, strict=True):
        table = wide_pairs(arch, p.angles, p.width, p.depth, p.networks, p.seed, p.layers, **p.init)
        write_table(table, path)
        log.info("%s: %d networks of width %d to depth %d", arch, p.networks, p.width, p.depth)
    gram0, angle0 = batch_gram(p.angles, p.batch["pairs_per_angle"], p.width, p.seed)
    theory_init = {key: p.init[key] for key in ("s_w", "s_v", "s_b")}
    theory = [
        batch_theory(arch, gram0, angle0, p.depth, p.layers, **theory_init) for arch in p.archs
    ]
    write_table(pd.concat(theory, ignore_index=True), snakemake.output.batch_theory)
    for arch, path in zip(p.normalised, snakemake.output.batch, strict=True):
        table = batch_sampled(
            arch,
            gram0,
            angle0,
            p.width,
            p.depth,
            p.batch["networks"],
            p.seed,
            p.layers,
            **p.init,
        )
        write_table(table, path)
        log.info("%s: a batch of %d pairs, %d networks", arch, len(angle0), p.batch["networks"])
