"""Snakemake script of rule train: the seeded training runs (params.seeds) of one architecture
and depth at the chosen learning rate, each with per-epoch history, divergence status,
per-layer statistics before and after training and the trained model (C1, C5). Each run
resumes from its checkpoint in params.checkpoints after an interruption."""

from pathlib import Path
from typing import TYPE_CHECKING

from separability.data import load_prepared
from separability.io import git_revision, read_json, write_json
from separability.training import resolve_device, run_config, save_model, train_run
from separability.workflow import rule_log, set_threads

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0]):
    set_threads(snakemake.threads)
    p, w, out = snakemake.params, snakemake.wildcards, snakemake.output
    data = load_prepared(snakemake.input.data)
    lr = read_json(snakemake.input.lr)["lr"]
    revision, device = git_revision(), resolve_device(p.device)
    for seed, checkpoint, run, model_path in zip(
        p.seeds, p.checkpoints, out.run, out.model, strict=True
    ):
        config = run_config(w.arch, w.depth, seed, lr, p.budget, p.init)
        record, model = train_run(config, data, device, checkpoint=checkpoint)
        save_model(model, config, record["status"], model_path)
        write_json(
            {
                "dataset": w.dataset,
                **record,
                "git_revision": revision,
                "lr_selection": snakemake.input.lr,
            },
            run,
        )
    for checkpoint in p.checkpoints:
        Path(checkpoint).unlink(missing_ok=True)
