"""Snakemake script of rule claims: the verdicts of C1..C6 on one data set, with robustness;
every table read is checked against what the configuration says it holds (params.expected)."""

from pathlib import Path
from typing import TYPE_CHECKING

from separability import report
from separability.claims import assess
from separability.io import write_json, write_text
from separability.tables import read_result
from separability.workflow import checkout_state, rule_log

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

with rule_log(snakemake.log[0], end_process=True) as log:
    s, dataset, inputs = snakemake.params.settings, snakemake.wildcards.dataset, snakemake.input
    expected = s["expected"]
    tables = {kind: read_result(inputs[kind], kind, expected.get(kind)) for kind in KINDS}
    result = assess.assess(
        dataset,
        tables,
        s["depths"],
        s["layers"],
        s["resamples"],
        s["seed"],
        s["init"],
        s["training_splits"],
    )
    others = {
        other: {
            kind: read_result(paths, kind, s["expected_robustness"].get(kind))
            for kind, paths in kinds.items()
        }
        for other, kinds in s["robustness"].items()
    }
    assess.add_robustness(
        result,
        assess.robustness(
            others, tables["width"], tables["theory"], s["second_width"], s["depths"], s["layers"]
        ),
    )
    training = {
        label: read_result(path, "runs", s["expected_robustness"]["runs"])
        for label, path in s["training_settings"].items()
    }
    assess.add_robustness(result, assess.training_robustness(training, s["resamples"], s["seed"]))
    result["provenance"] = {
        **snakemake.params.provenance,
        "revision": checkout_state(Path.cwd()),
    }
    write_json(result, snakemake.output.json)
    write_text(report.report_markdown(result), snakemake.output.md)
    log.info("%s", {key: claim["verdict"] for key, claim in report.claims_of(result).items()})
