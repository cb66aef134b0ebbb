"""Snakemake script of rules propagate_distances and propagate_widths: random-init propagation
of the evaluation subset, per-layer statistics of every (width, seed) run in params.runs."""

import pandas as pd

from separability.data import load_prepared
from separability.propagation import data_statistics
from separability.workflow import rule_log, set_threads, write_table

with rule_log(snakemake.log[0]) as log:  # noqa: F821
    set_threads(snakemake.threads)  # noqa: F821
    p, w = snakemake.params, snakemake.wildcards  # noqa: F821
    data = load_prepared(snakemake.input[0])  # noqa: F821
    tables = [data_statistics(w.arch, data["x_eval"], data["y_eval"], width, p.depth, seed,
                              **p.init) for width, seed in p.runs]
    write_table(pd.concat(tables, ignore_index=True), snakemake.output[0])  # noqa: F821
    log.info("%s job %s: %d layers x %d (width, seed) runs", w.arch, w.seed, p.depth + 1,
             len(p.runs))
