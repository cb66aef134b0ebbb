"""Snakemake script of rule plot_trained_ratio: fig 5, distance ratio at the last hidden layer
before and after training against depth (C5)."""

import pandas as pd

from separability import plotting
from separability.workflow import rule_log

with rule_log(snakemake.log[0]):  # noqa: F821
    plotting.use_headless_backend()
    plotting.style()
    figure = plotting.trained_ratio_figure(
        pd.read_csv(snakemake.input.runs, sep="\t"),  # noqa: F821
        pd.read_csv(snakemake.input.layers, sep="\t"),  # noqa: F821
        snakemake.wildcards.dataset,  # noqa: F821
    )
    plotting.save(figure, snakemake.output.pdf, snakemake.output.png,  # noqa: F821
                  snakemake.params.dpi)  # noqa: F821
