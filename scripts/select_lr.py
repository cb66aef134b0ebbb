"""Snakemake script of rule select_lr: for each depth of params.depths, short runs over the
learning-rate grid for the architecture, scored on the validation split only; writes each
depth's chosen rate and every candidate's validation score (C1, C5)."""

from typing import TYPE_CHECKING

from separability.data import load_prepared
from separability.io import git_revision, write_json
from separability.training.config import resolve_device, run_config
from separability.training.selection import select_learning_rate
from separability.workflow import rule_log, set_threads

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True):
    set_threads(snakemake.threads)
    p, w = snakemake.params, snakemake.wildcards
    data = load_prepared(snakemake.input[0])
    selection = p.selection
    device, revision = resolve_device(p.device), git_revision()
    for depth, path in zip(p.depths, snakemake.output, strict=True):
        base = run_config(
            w.arch,
            depth,
            selection["seed"],
            selection["learning_rates"][0],
            {**p.budget, "epochs": selection["epochs"]},
            p.init,
        )
        result = select_learning_rate(
            base,
            selection["learning_rates"],
            selection["epochs"],
            selection["seed"],
            data,
            device,
            successive_halving=selection["successive_halving"],
        )
        write_json({"dataset": w.dataset, **result, "git_revision": revision}, path)
