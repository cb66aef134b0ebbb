"""Snakemake script of rule train: for each depth of params.depths, the seeded training runs
(params.seeds) of one architecture at that depth's chosen learning rate, trained together,
each with per-epoch history, divergence status and the trained model (C1, C5); the
separability analysis of the trained models is rule analyse_training's. Each depth's runs
resume from their checkpoint in params.checkpoints after an interruption."""

from pathlib import Path
from typing import TYPE_CHECKING

from separability.data import load_prepared
from separability.io import git_revision, read_json, write_json
from separability.training.config import resolve_device, run_config
from separability.training.fit import save_model, train_runs
from separability.workflow import rule_log, set_threads

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True):
    set_threads(snakemake.threads)
    p, w, out = snakemake.params, snakemake.wildcards, snakemake.output
    data = load_prepared(snakemake.input.data)
    revision, device = git_revision(), resolve_device(p.device)
    outputs = iter(zip(out.run, out.model, strict=True))  # depth-major, as the rule expands
    for depth, lr_file, checkpoint in zip(p.depths, snakemake.input.lr, p.checkpoints, strict=True):
        lr = read_json(lr_file)["lr"]
        configs = [run_config(w.arch, depth, seed, lr, p.budget, p.init) for seed in p.seeds]
        runs = train_runs(configs, data, device, checkpoint=checkpoint)
        for config, (record, model), (run, model_path) in zip(configs, runs, outputs):
            save_model(model, config, record["status"], model_path)
            write_json(
                {"dataset": w.dataset, **record, "git_revision": revision, "lr_selection": lr_file},
                run,
            )
        Path(checkpoint).unlink(missing_ok=True)
