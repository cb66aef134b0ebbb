"""Snakemake script of rule prepare_data: load, split, standardise, draw the evaluation subset."""

from separability.data import load_dataset, prepare, save_prepared
from separability.workflow import rule_log

with rule_log(snakemake.log[0]) as log:  # noqa: F821 (snakemake is injected)
    p = snakemake.params  # noqa: F821
    x, y = load_dataset(snakemake.wildcards.dataset, p.data_dir, p.download, p.synthetic)  # noqa: F821
    prepared = prepare(x, y, p.split["val_fraction"], p.split["test_fraction"],
                       p.split["eval_size"], p.split["seed"], p.split.get("train_size"))
    save_prepared(prepared, snakemake.output[0])  # noqa: F821
    log.info("%s: %s", snakemake.wildcards.dataset,  # noqa: F821
             {k: v.shape for k, v in prepared.items() if k.startswith("x_")})
