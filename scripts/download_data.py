"""Snakemake script of rule download_<data set>: torchvision fetches the data set's files
(and checks its checksums), then every file is checked as when it is read."""

from separability.vision import load_vision
from separability.workflow import rule_log

with rule_log(snakemake.log[0]) as log:  # noqa: F821
    p = snakemake.params  # noqa: F821
    x, _ = load_vision(p.dataset, p.data_dir, download=True)
    log.info("%s: %d samples under %s", p.dataset, len(x), p.data_dir)
