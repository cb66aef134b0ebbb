"""Snakemake script of rule train: one seeded training run at the chosen learning rate, with
per-epoch history, divergence status, per-layer statistics before and after training and the
trained model (C1, C5). Resumes from params.checkpoint after an interruption."""

from pathlib import Path

from separability.data import load_prepared
from separability.io import git_revision, read_json, write_json
from separability.training import resolve_device, run_config, save_model, train_run
from separability.workflow import rule_log, set_threads

with rule_log(snakemake.log[0]):  # noqa: F821
    set_threads(snakemake.threads)  # noqa: F821
    p, w = snakemake.params, snakemake.wildcards  # noqa: F821
    data = load_prepared(snakemake.input.data)  # noqa: F821
    lr = read_json(snakemake.input.lr)["lr"]  # noqa: F821
    config = run_config(w.arch, w.depth, w.seed, lr, p.budget, p.init)
    record, model = train_run(config, data, resolve_device(p.device), checkpoint=p.checkpoint)
    save_model(model, config, record["status"], snakemake.output.model)  # noqa: F821
    write_json({"dataset": w.dataset, **record, "git_revision": git_revision(),
                "lr_selection": snakemake.input.lr}, snakemake.output.run)  # noqa: F821
    Path(p.checkpoint).unlink(missing_ok=True)
