"""Snakemake script of rule select_lr: short runs over the learning-rate grid for one
(architecture, depth), scored on the validation split only; writes the chosen rate and every
candidate's validation score (C1, C5)."""

from separability.data import load_prepared
from separability.io import git_revision, write_json
from separability.training import resolve_device, run_config, select_learning_rate
from separability.workflow import rule_log, set_threads

with rule_log(snakemake.log[0]):  # noqa: F821
    set_threads(snakemake.threads)  # noqa: F821
    p, w = snakemake.params, snakemake.wildcards  # noqa: F821
    data = load_prepared(snakemake.input[0])  # noqa: F821
    base = run_config(w.arch, w.depth, p.selection["seed"], p.selection["learning_rates"][0],
                      {**p.budget, "epochs": p.selection["epochs"]}, p.init)
    result = select_learning_rate(base, p.selection["learning_rates"], p.selection["epochs"],
                                  p.selection["seed"], data, resolve_device(p.device))
    write_json({"dataset": w.dataset, **result, "git_revision": git_revision()},
               snakemake.output[0])  # noqa: F821
