"""Snakemake script of rule sample_widths: figure 7's width scan extended by the Gram-space
sampler, the per-network error against the theory of the same inputs for every architecture
of params.archs, one table."""

from typing import TYPE_CHECKING

import pandas as pd

from separability.data import load_prepared
from separability.sampler_tables import sampled_width_errors
from separability.workflow import rule_log, set_threads, write_table

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True) as log:
    set_threads(snakemake.threads)
    p = snakemake.params
    data = load_prepared(snakemake.input[0])
    tables = [
        sampled_width_errors(
            arch,
            data["x_eval"],
            data["y_eval"],
            p.scan["widths"],
            p.scan["networks"],
            p.depth,
            p.scan["samples"],
            p.seed,
            **p.init,
        )
        for arch in p.archs
    ]
    table = pd.concat(tables, ignore_index=True)
    write_table(table, snakemake.output[0])
    log.info("widths %s on %d inputs", p.scan["widths"], table.samples.iloc[0])
