"""Rendering of the claims' verdicts: the headline numbers, the summary table, the claims
report and the README block between its markers."""

import pytest
from test_claims import full_claims

from separability import report

START, END = "<!-- claims:start -->", "<!-- claims:end -->"


def claim(verdict: str, measured, **extra) -> dict:
    """A claim entry shaped like those of ``assess.assess``, with the given measurements."""
    return {
        "claim": "text of the claim",
        "verdict": verdict,
        "measured": measured,
        "evidence": "the evidence",
        "test": "the test",
        "conditions": {"dataset": "digits"},
        "figure": "figures/digits/fig.pdf",
        **extra,
    }


CLAIMS = {
    "C1": claim(
        "holds",
        {"spearman": 0.8123, "ci95": [0.5, 0.95]},
        secondary=[
            {"name": "C1 on the training-subset ratio", "verdict": "partly", "evidence": "rho 0.3"}
        ],
    ),
    "C2": claim("holds", {"theory": {"first": 1.4, "last": 1.1}}),
    "C3": claim(
        "partly",
        [
            {"theory_holds": True, "simulation": {"holds": True}},
            {"theory_holds": True, "simulation": {"holds": False}},
        ],
    ),
    "C4": claim(
        "holds",
        {
            "mlp": {
                "theory": [{"paper_name": "sub-exponential"}, {"paper_name": "exponential"}],
                "region": {"fraction": 0.25},
            },
            "resnet": {"theory": [{"paper_name": "sub-exponential"}]},
        },
    ),
    "C5": claim(
        "does not hold",
        {"depths": [{"holds": False}, {"holds": True}]},
        robustness=[
            {"setting": "width N = 32", "verdict": "inconclusive", "evidence": "two seeds"}
        ],
    ),
    "C6": claim(
        "inconclusive",
        {
            "depths": [
                {"relative_discrepancy": {"mlp": 0.01, "resnet": 0.2}},
                {"relative_discrepancy": {"mlp": 0.03}},
            ]
        },
    ),
}


def test_headline_of_each_claim():
    assert report.headline("C1", CLAIMS["C1"]) == "held-out ratio: Spearman ρ = 0.81 [0.50, 0.95]"
    assert report.headline("C2", CLAIMS["C2"]) == "MLP ratio 1.400 → 1.100 (theory)"
    assert report.headline("C3", CLAIMS["C3"]) == "ordered at 1/2 depths"
    assert (
        report.headline("C4", CLAIMS["C4"])
        == "mlp: exponential (paper's law on 25% of the plane); resnet: sub-exponential"
    )
    assert report.headline("C5", CLAIMS["C5"]) == "held-out ratio above the MLP's at 1/2 depths"
    assert report.headline("C6", CLAIMS["C6"]) == "max relative discrepancy 0.200"


def test_summary_table_has_one_row_per_claim():
    lines = report.summary_table(CLAIMS).splitlines()
    assert lines[:2] == ["| claim | verdict | measured | figure |", "|---|---|---|---|"]
    assert len(lines) == 2 + len(CLAIMS)
    assert lines[2 + 4] == (
        "| C5 | does not hold | held-out ratio above the MLP's at 1/2 depths "
        "| `figures/digits/fig.pdf` |"
    )


def test_report_has_a_section_per_claim_with_secondary_and_robustness():
    text = report.report_markdown(CLAIMS)
    assert text.startswith("# Claims of Furusho & Ikeda (ACML 2019): verdicts")
    assert report.summary_table(CLAIMS) in text
    for key, entry in CLAIMS.items():
        assert f"## {key}: {entry['verdict']}" in text
    assert "- **Secondary, C1 on the training-subset ratio:** partly — rho 0.3" in text
    assert "- **Robustness, width N = 32:** inconclusive — two seeds" in text


def test_replace_block_keeps_what_lies_outside_the_markers():
    readme = f"intro\n{START}\nSTALE\n{END}\nrest"
    updated = report.replace_block(readme, "NEW")
    assert updated == f"intro\n{START}\nNEW\n{END}\nrest"
    assert report.replace_block(updated, "NEW") == updated
    with pytest.raises(ValueError, match="markers"):
        report.replace_block(f"intro\n{START}\nno end marker", "NEW")


def test_report_of_the_claims_tests():
    """What ``assess.assess`` returns renders: every claim's section and a table row each."""
    result = full_claims()
    text = report.report_markdown(result)
    assert all(f"## {key}: {result[key]['verdict']}" in text for key in result)
    updated = report.replace_block(
        f"intro\n{START}\nSTALE\n{END}\nrest", report.summary_table(result)
    )
    assert "STALE" not in updated and updated.endswith("rest")
    assert all(f"| {key} | {result[key]['verdict']} |" in updated for key in result)
