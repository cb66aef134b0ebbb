"""Snakemake script of rule critical_path (not part of `all`): the longest chain of job wall
times through the finished DAG, from Snakemake's detailed summary of this workflow (with the
same config files) and the jobs' benchmark files; what `--cores` as many as jobs, or a
cluster, would take at least."""

import io
import subprocess
import sys
from typing import TYPE_CHECKING

import pandas as pd

from separability.benchmark import critical_path
from separability.workflow import rule_log, write_table

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True) as log:
    configs = [arg for path in snakemake.params.configfiles for arg in ("--configfile", path)]
    summary = subprocess.run(
        [sys.executable, "-m", "snakemake", "--detailed-summary", "--nolock", *configs],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    table = critical_path(pd.read_csv(io.StringIO(summary), sep="\t"))
    write_table(table, snakemake.output[0])
    log.info("critical path %.1f s:\n%s", table.cumulative_s.iloc[-1], table.to_string())
