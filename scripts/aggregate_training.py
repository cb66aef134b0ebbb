"""Snakemake script of rule aggregate_training: every run's record and analysis into runs.tsv
(one row per run) and layers.tsv (per-layer statistics before and after training)."""

from typing import TYPE_CHECKING

from separability.io import read_json
from separability.training.tables import aggregate
from separability.workflow import rule_log, write_table

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True) as log:
    records = [read_json(path) for path in snakemake.input.run]
    analyses = [read_json(path) for path in snakemake.input.analysis]
    runs, layers = aggregate(records, analyses)
    write_table(runs, snakemake.output.runs)
    write_table(layers, snakemake.output.layers)
    log.info("%d runs: %s", len(runs), runs.status.value_counts().to_dict())
