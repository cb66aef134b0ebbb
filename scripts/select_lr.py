"""Snakemake script of rule select_lr: for each depth of params.depths, short runs over the
learning-rate grid for the architecture, scored on the validation split only; writes each
depth's chosen rate and every candidate's validation score (C1, C5)."""

from separability.data import load_prepared
from separability.io import git_revision, write_json
from separability.training import resolve_device, run_config, select_learning_rate
from separability.workflow import rule_log, set_threads

with rule_log(snakemake.log[0]):  # noqa: F821
    set_threads(snakemake.threads)  # noqa: F821
    p, w = snakemake.params, snakemake.wildcards  # noqa: F821
    data = load_prepared(snakemake.input[0])  # noqa: F821
    selection = p.selection
    for depth, path in zip(p.depths, snakemake.output, strict=True):  # noqa: F821
        base = run_config(w.arch, depth, selection["seed"], selection["learning_rates"][0],
                          {**p.budget, "epochs": selection["epochs"]}, p.init)
        result = select_learning_rate(base, selection["learning_rates"], selection["epochs"],
                                      selection["seed"], data, resolve_device(p.device))
        write_json({"dataset": w.dataset, **result, "git_revision": git_revision()}, path)
