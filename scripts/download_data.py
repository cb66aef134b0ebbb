"""Snakemake script of rule download_<data set>: torchvision fetches the data set's files
(and checks its checksums), then every file is checked as when it is read."""

from typing import TYPE_CHECKING

from separability.vision import load_vision
from separability.workflow import rule_log

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True) as log:
    p = snakemake.params
    x, _ = load_vision(p.dataset, p.data_dir, download=True)
    log.info("%s: %d samples under %s", p.dataset, len(x), p.data_dir)
