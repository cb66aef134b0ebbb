"""Snakemake script of rule claims: the verdicts of C1..C6 on one data set, with robustness."""

import json
from typing import TYPE_CHECKING

from separability import claims, report
from separability.workflow import rule_log

if TYPE_CHECKING:
    from snakemake.script import snakemake

with rule_log(snakemake.log[0]) as log:
    p, dataset = snakemake.params, snakemake.wildcards.dataset
    inputs = snakemake.input
    tables = {kind: claims.read_result(inputs[kind], kind) for kind in claims.REQUIRED_COLUMNS}
    result = claims.assess(dataset, tables, p.depths, p.resamples, p.seed)
    others = {
        other: {kind: claims.read_result(paths, kind) for kind, paths in kinds.items()}
        for other, kinds in p.robustness.items()
    }
    claims.add_robustness(
        result,
        claims.robustness(others, tables["width"], tables["theory"], p.second_width, p.depths),
    )
    training = {
        label: claims.read_result(path, "runs") for label, path in p.training_settings.items()
    }
    claims.add_robustness(result, claims.training_robustness(training, p.resamples, p.seed))
    with open(snakemake.output.json, "w") as handle:
        json.dump(result, handle, indent=2, default=float)
    with open(snakemake.output.md, "w") as handle:
        handle.write(report.report_markdown(result))
    log.info("%s", {key: value["verdict"] for key, value in result.items()})
