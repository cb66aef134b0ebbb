"""Snakemake script of rule plot_accuracy: fig 6, test accuracy against the trained distance
ratio and against depth (C1)."""

import pandas as pd

from separability import plotting
from separability.workflow import rule_log

with rule_log(snakemake.log[0]):  # noqa: F821
    plotting.use_headless_backend()
    plotting.style()
    figure = plotting.accuracy_figure(pd.read_csv(snakemake.input.runs, sep="\t"),  # noqa: F821
                                      snakemake.wildcards.dataset)  # noqa: F821
    plotting.save(figure, snakemake.output.pdf, snakemake.output.png,  # noqa: F821
                  snakemake.params.dpi)  # noqa: F821
