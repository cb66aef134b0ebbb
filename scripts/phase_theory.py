"""Snakemake script of rule phase_theory: decay law of the scalar theory over the (s_w, s_b)
grid for every architecture, and resnet_bn's logarithmic clock (figure 8, C4)."""

from typing import TYPE_CHECKING

import pandas as pd

from separability.phase import clock_table, grid_axis, theory_phase
from separability.workflow import rule_log, write_table

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True) as log:
    p = snakemake.params
    s_w, s_b = grid_axis(**p.phase["s_w"]), grid_axis(**p.phase["s_b"])
    table = pd.concat(
        [
            theory_phase(arch, s_w, s_b, p.phase["depth"], p.angle, **p.init)
            for arch in p.architectures
        ],
        ignore_index=True,
    )
    write_table(table, snakemake.output.cells)
    write_table(clock_table(p.phase["depth"], p.angle, **p.init), snakemake.output.clock)
    log.info(
        "%d cells to depth %d: %s",
        len(table),
        p.phase["depth"],
        table.groupby("arch").paper_name.value_counts().to_dict(),
    )
