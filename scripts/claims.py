"""Snakemake script of rule claims: the verdicts of C1..C6 on one data set, with robustness;
every table read is checked against what the configuration says it holds (params.expected)."""

from typing import TYPE_CHECKING

from separability import report
from separability.claims import assess
from separability.io import write_json, write_text
from separability.tables import read_result
from separability.workflow import rule_log

if TYPE_CHECKING:
    from snakemake.script import snakemake

KINDS = (
    "distance",
    "theory",
    "width",
    "scalar",
    "pairs",
    "pairs_wide",
    "pairs_batch",
    "phase",
    "runs",
    "sampled_width",
)

with rule_log(snakemake.log[0]) as log:
    p, dataset, inputs = snakemake.params, snakemake.wildcards.dataset, snakemake.input
    tables = {kind: read_result(inputs[kind], kind, p.expected.get(kind)) for kind in KINDS}
    result = assess.assess(dataset, tables, p.depths, p.layers, p.resamples, p.seed, p.init)
    others = {
        other: {
            kind: read_result(paths, kind, p.expected.get(kind)) for kind, paths in kinds.items()
        }
        for other, kinds in p.robustness.items()
    }
    assess.add_robustness(
        result,
        assess.robustness(
            others, tables["width"], tables["theory"], p.second_width, p.depths, p.layers
        ),
    )
    training = {label: read_result(path, "runs") for label, path in p.training_settings.items()}
    assess.add_robustness(result, assess.training_robustness(training, p.resamples, p.seed))
    write_json(result, snakemake.output.json)
    write_text(report.report_markdown(result), snakemake.output.md)
    log.info("%s", {key: value["verdict"] for key, value in result.items()})
