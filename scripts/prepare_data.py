"""Snakemake script of rule prepare_data: load, split, standardise, draw the evaluation subset
and the held-out subset of the test split."""

from typing import TYPE_CHECKING

from separability.data import load_dataset, prepare, save_prepared
from separability.workflow import rule_log

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True) as log:
    p = snakemake.params
    # download=False: with `download: true` a download job fetched the files (data.smk)
    x, y = load_dataset(snakemake.wildcards.dataset, p.data_dir, False, p.synthetic)
    prepared = prepare(
        x,
        y,
        p.split["val_fraction"],
        p.split["test_fraction"],
        p.split["eval_size"],
        p.split["seed"],
        p.train_size,
    )
    save_prepared(prepared, snakemake.output[0])
    log.info(
        "%s: %s",
        snakemake.wildcards.dataset,
        {k: v.shape for k, v in prepared.items() if k.startswith("x_")},
    )
    if len(prepared["y_heldout"]) < len(prepared["y_eval"]):
        log.warning(
            "the test split holds only %d samples: the held-out subset is the whole "
            "test split, smaller than the evaluation subset (%d)",
            len(prepared["y_heldout"]),
            len(prepared["y_eval"]),
        )
