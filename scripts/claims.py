"""Snakemake script of rule claims: the verdicts of C1..C6 on one data set, with robustness."""

import json

from separability import claims, report
from separability.workflow import rule_log

with rule_log(snakemake.log[0]) as log:  # noqa: F821
    p, dataset = snakemake.params, snakemake.wildcards.dataset  # noqa: F821
    inputs = snakemake.input  # noqa: F821
    tables = {kind: claims.read_result(inputs[kind], kind) for kind in claims.REQUIRED_COLUMNS}
    result = claims.assess(dataset, tables, p.depths, p.resamples, p.seed)
    others = {other: {kind: claims.read_result(paths, kind) for kind, paths in kinds.items()}
              for other, kinds in p.robustness.items()}
    claims.add_robustness(result, claims.robustness(others, tables["width"], tables["theory"],
                                                    p.second_width, p.depths))
    training = {label: claims.read_result(path, "runs")
                for label, path in zip(p.training_settings, inputs.robust_runs)}
    claims.add_robustness(result, claims.training_robustness(training, p.resamples, p.seed))
    with open(snakemake.output.json, "w") as handle:  # noqa: F821
        json.dump(result, handle, indent=2, default=float)
    with open(snakemake.output.md, "w") as handle:  # noqa: F821
        handle.write(report.report_markdown(result))
    log.info("%s", {key: value["verdict"] for key, value in result.items()})
