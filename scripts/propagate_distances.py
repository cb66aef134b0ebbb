"""Snakemake script of rules propagate_distances and propagate_widths: random-init propagation
of the evaluation subset for each architecture of params.archs; each output table (one per
architecture and seed job, architecture-major) holds the per-layer statistics (at
params.layers, every layer when None) of its (width, seed) runs in params.runs."""

import itertools
from typing import TYPE_CHECKING

import pandas as pd

from separability.data import load_prepared
from separability.propagation import data_statistics
from separability.workflow import rule_log, set_threads, write_table

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True) as log:
    set_threads(snakemake.threads)
    p = snakemake.params
    data = load_prepared(snakemake.input[0])
    jobs = itertools.product(p.archs, p.runs)
    for path, (arch, runs) in zip(snakemake.output, jobs, strict=True):
        tables = [
            data_statistics(
                arch,
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
        log.info("%s: %d (width, seed) runs of %d blocks -> %s", arch, len(runs), p.depth, path)
