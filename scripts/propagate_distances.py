"""Snakemake script of rules propagate_distances and propagate_widths: random-init propagation
of the evaluation subset; each output table holds the per-layer statistics (at params.layers,
every layer when None) of its (width, seed) runs in params.runs."""

import pandas as pd

from separability.data import load_prepared
from separability.propagation import data_statistics
from separability.workflow import rule_log, set_threads, write_table

with rule_log(snakemake.log[0]) as log:  # noqa: F821
    set_threads(snakemake.threads)  # noqa: F821
    p, w = snakemake.params, snakemake.wildcards  # noqa: F821
    data = load_prepared(snakemake.input[0])  # noqa: F821
    for path, runs in zip(snakemake.output, p.runs, strict=True):  # noqa: F821
        tables = [data_statistics(w.arch, data["x_eval"], data["y_eval"], width, p.depth, seed,
                                  layers=p.layers, **p.init) for width, seed in runs]
        write_table(pd.concat(tables, ignore_index=True), path)
        log.info("%s: %d (width, seed) runs of %d blocks -> %s", w.arch, len(runs), p.depth,
                 path)
