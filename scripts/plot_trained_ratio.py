"""Snakemake script of rule plot_trained_ratio: fig 5, distance ratio at the last hidden layer
before and after training against depth (C5)."""

from typing import TYPE_CHECKING

import pandas as pd

from separability import plotting
from separability.workflow import rule_log

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0]):
    plotting.use_headless_backend()
    plotting.style()
    figure = plotting.trained_ratio_figure(
        pd.read_csv(snakemake.input.runs, sep="\t"),
        pd.read_csv(snakemake.input.layers, sep="\t"),
        snakemake.wildcards.dataset,
    )
    plotting.save(figure, snakemake.output.pdf, snakemake.output.png, snakemake.params.dpi)
