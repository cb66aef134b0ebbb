"""Snakemake script of rule readme (not part of `all`): the main data set's claims as the
README's summary table, between its claims markers, with the config and revision they came
from; README.md is replaced atomically."""

import json
from pathlib import Path
from typing import TYPE_CHECKING

from separability import report
from separability.io import atomic_write
from separability.provenance import value_digest
from separability.workflow import checkout_state, readme_provenance, rule_log

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0]) as log:
    p = snakemake.params
    result = json.loads(Path(snakemake.input[0]).read_text())
    readme = Path(p.readme)
    provenance = readme_provenance(
        result["C1"]["conditions"]["dataset"],
        p.configfiles,
        value_digest(p.config),
        checkout_state(readme.parent),
    )
    text = report.replace_block(
        readme.read_text(), f"{provenance}\n\n{report.summary_table(result)}"
    )
    atomic_write(readme, lambda temporary: temporary.write_text(text))
    log.info("summary table written into %s: %s", readme, provenance)
