"""Snakemake script of rule theory_scalar: the scalar cosine recursion to great depth."""

from typing import TYPE_CHECKING

from separability.statistics import recorded_layers
from separability.theory_tables import scalar_angles
from separability.workflow import rule_log, write_table

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True) as log:
    p = snakemake.params
    layers = recorded_layers(p.depth, p.dense_layers, 400)
    table = scalar_angles(p.architectures, p.angles, p.depth, layers, **p.init)
    write_table(table, snakemake.output[0])
    log.info("scalar recursion to depth %d, %d layers recorded", p.depth, len(layers))
