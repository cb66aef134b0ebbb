"""Snakemake script of rule readme (not part of `all`): the main data set's claims as the
README's summary table, between its claims markers, stamped with what they were computed with
(the code and settings digests and the revision recorded in claims.json); refused, naming the
command that refreshes them, when claims.json was computed by other code or settings than the
checkout's. README.md is replaced atomically."""

from pathlib import Path
from typing import TYPE_CHECKING

from separability import report
from separability.io import ResultError, read_json, write_text
from separability.workflow import readme_provenance, rule_log, stale_claims

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0], end_process=True) as log:
    p = snakemake.params
    result = read_json(snakemake.input[0])
    if problem := stale_claims(snakemake.input[0], result.get("provenance"), p.provenance):
        raise ResultError(problem)
    readme = Path(p.readme)
    provenance = readme_provenance(
        result["C1"]["conditions"]["dataset"], p.configfiles, result["provenance"]
    )
    text = report.replace_block(
        readme.read_text(), f"{provenance}\n\n{report.summary_table(result)}"
    )
    write_text(text, readme)
    log.info("summary table written into %s: %s", readme, provenance)
