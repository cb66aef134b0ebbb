"""Snakemake script of rule analyse_training: the separability analysis of one architecture's
trained networks (every depth and seed) from their saved weights and run records: per-layer
statistics at initialisation and after training on the training and held-out subsets, the
last-layer measures and the collapsed status (C1, C5)."""

from typing import TYPE_CHECKING

from separability.data import load_prepared
from separability.io import read_json, write_json
from separability.training.analysis import analyse_run, load_model
from separability.training.config import resolve_device
from separability.training.fit import class_count
from separability.workflow import rule_log, set_threads

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True):
    set_threads(snakemake.threads)
    inputs = snakemake.input
    data = load_prepared(inputs.data)
    device = resolve_device(snakemake.params.device)
    in_dim, n_classes = data["x_train"].shape[1], class_count(data)
    for run, model, path in zip(inputs.run, inputs.model, snakemake.output, strict=True):
        trained = load_model(model, in_dim, n_classes, device)
        record = read_json(run)
        write_json(analyse_run(record, trained, data, device, snakemake.params.every_layer), path)
