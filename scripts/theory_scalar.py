"""Snakemake script of rule theory_scalar: the scalar cosine recursion to great depth."""

from separability.statistics import recorded_layers
from separability.theory import scalar_angles
from separability.workflow import rule_log, write_table

with rule_log(snakemake.log[0]) as log:  # noqa: F821
    p = snakemake.params  # noqa: F821
    layers = recorded_layers(p.depth, p.dense_layers, 400)
    table = scalar_angles(p.architectures, p.angles, p.depth, layers, p.init["s_w"],
                          p.init["s_v"], p.init["s_b"])
    write_table(table, snakemake.output[0])  # noqa: F821
    log.info("scalar recursion to depth %d, %d layers recorded", p.depth, len(layers))
