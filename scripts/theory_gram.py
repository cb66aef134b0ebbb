"""Snakemake script of rule theory_gram: infinite-width Gram recursion on the evaluation subset
(resnet_bn with centred BN and with variance-only BN)."""

import pandas as pd

from separability.data import load_prepared
from separability.theory import gram_statistics
from separability.workflow import rule_log, write_table

with rule_log(snakemake.log[0]) as log:  # noqa: F821
    p, arch = snakemake.params, snakemake.wildcards.arch  # noqa: F821
    data = load_prepared(snakemake.input[0])  # noqa: F821
    variants = (True, False) if arch == "resnet_bn" else (True,)
    tables = [gram_statistics(arch, data["x_eval"], data["y_eval"], p.depth, p.init["s_in"],
                              p.init["s_w"], p.init["s_v"], centering) for centering in variants]
    write_table(pd.concat(tables, ignore_index=True), snakemake.output[0])  # noqa: F821
    log.info("%s: %d layers", arch, p.depth + 1)
