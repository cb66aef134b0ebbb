"""Snakemake script of rule plot_accuracy: fig 6, test accuracy against the trained distance
ratio and against depth (C1)."""

from typing import TYPE_CHECKING

import pandas as pd

from separability import plotting
from separability.workflow import rule_log

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0]):
    plotting.use_headless_backend()
    plotting.style()
    figure = plotting.accuracy_figure(
        pd.read_csv(snakemake.input.runs, sep="\t"), snakemake.wildcards.dataset
    )
    plotting.save(figure, snakemake.output.pdf, snakemake.output.png, snakemake.params.dpi)
