"""Snakemake script of rule readme_summary: the main data set's claims as results/claims.*, and
the README's summary table between its claims markers."""

import json
import shutil
from pathlib import Path

from separability import claims
from separability.workflow import rule_log

with rule_log(snakemake.log[0]) as log:  # noqa: F821
    shutil.copyfile(snakemake.input.json, snakemake.output.json)  # noqa: F821
    shutil.copyfile(snakemake.input.md, snakemake.output.md)  # noqa: F821
    result = json.loads(Path(snakemake.input.json).read_text())  # noqa: F821
    readme = Path(snakemake.params.readme)  # noqa: F821
    if readme.exists():
        readme.write_text(claims.replace_block(readme.read_text(), claims.summary_table(result)))
        log.info("summary table written into %s", readme)
    else:
        log.warning("no %s in the working directory: summary only in %s", readme,
                    snakemake.output.md)  # noqa: F821
