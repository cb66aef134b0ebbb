"""Snakemake script of rule claims: the verdicts of C1..C6 on one data set, with robustness."""

import json
from typing import TYPE_CHECKING

from separability import report
from separability.claims import assess
from separability.tables import REQUIRED_COLUMNS, read_result
from separability.workflow import rule_log

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0]) as log:
    p, dataset = snakemake.params, snakemake.wildcards.dataset
    inputs = snakemake.input
    tables = {kind: read_result(inputs[kind], kind) for kind in REQUIRED_COLUMNS}
    result = assess.assess(dataset, tables, p.depths, p.resamples, p.seed)
    others = {
        other: {kind: read_result(paths, kind) for kind, paths in kinds.items()}
        for other, kinds in p.robustness.items()
    }
    assess.add_robustness(
        result,
        assess.robustness(others, tables["width"], tables["theory"], p.second_width, p.depths),
    )
    training = {label: read_result(path, "runs") for label, path in p.training_settings.items()}
    assess.add_robustness(result, assess.training_robustness(training, p.resamples, p.seed))
    with open(snakemake.output.json, "w") as handle:
        json.dump(result, handle, indent=2, default=float)
    with open(snakemake.output.md, "w") as handle:
        handle.write(report.report_markdown(result))
    log.info("%s", {key: value["verdict"] for key, value in result.items()})
