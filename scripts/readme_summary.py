"""Snakemake script of rule readme (not part of `all`): the main data set's claims as the
README's summary table, between its claims markers, with the config and revision they came
from; README.md is replaced atomically."""

import json
from pathlib import Path

from separability import report
from separability.io import atomic_write
from separability.workflow import checkout_state, config_digest, readme_provenance, rule_log

with rule_log(snakemake.log[0]) as log:  # noqa: F821
    p = snakemake.params  # noqa: F821
    result = json.loads(Path(snakemake.input[0]).read_text())  # noqa: F821
    readme = Path(p.readme)
    provenance = readme_provenance(result["C1"]["conditions"]["dataset"], p.configfiles,
                                   config_digest(p.config), checkout_state(readme.parent))
    text = report.replace_block(readme.read_text(),
                                f"{provenance}\n\n{report.summary_table(result)}")
    atomic_write(readme, lambda temporary: temporary.write_text(text))
    log.info("summary table written into %s: %s", readme, provenance)
