"""Snakemake script of rule width_law: the depth-to-width law of the angle (figure 9), the
curves of every architecture of params.archs and one summary row each."""

from typing import TYPE_CHECKING

import pandas as pd

from separability.width_law import width_law
from separability.workflow import rule_log, set_threads, write_table

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True) as log:
    set_threads(snakemake.threads)
    p = snakemake.params
    curves, rows = [], []
    for arch in p.archs:
        table, row = width_law(
            arch,
            p.law["widths"],
            p.law["networks"],
            p.law["depth_multiple"],
            p.law["fit_networks"],
            p.law["resamples"],
            p.seed,
            p.dense_layers,
            p.angle,
            **p.init,
        )
        curves.append(table)
        rows.append(row)
        log.info(
            "%s: spread %.3g +- %.2g, a = %.3g [%.3g, %.3g]",
            arch,
            row["spread"],
            row["spread_se"],
            row["a"],
            row["a_low"],
            row["a_high"],
        )
    write_table(pd.concat(curves, ignore_index=True), snakemake.output.curves)
    write_table(pd.DataFrame(rows), snakemake.output.summary)
