"""Snakemake script of rules propagate_distances and propagate_widths: random-init propagation
of the evaluation subset; each output table holds the per-layer statistics (at params.layers,
every layer when None) of its (width, seed) runs in params.runs."""

from typing import TYPE_CHECKING

import pandas as pd

from separability.data import load_prepared
from separability.propagation import data_statistics
from separability.workflow import rule_log, set_threads, write_table

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0]) as log:
    set_threads(snakemake.threads)
    p, w = snakemake.params, snakemake.wildcards
    data = load_prepared(snakemake.input[0])
    for path, runs in zip(snakemake.output, p.runs, strict=True):
        tables = [
            data_statistics(
                w.arch,
                data["x_eval"],
                data["y_eval"],
                width,
                p.depth,
                seed,
                layers=p.layers,
                **p.init,
            )
            for width, seed in runs
        ]
        write_table(pd.concat(tables, ignore_index=True), path)
        log.info("%s: %d (width, seed) runs of %d blocks -> %s", w.arch, len(runs), p.depth, path)
