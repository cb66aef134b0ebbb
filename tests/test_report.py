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


def law(name: str, exponent: float, **words) -> dict:
    """A classified law of ``decay.classify``'s shape."""
    return {
        "law": name,
        "exponent": exponent,
        "words": {"exponential": False, "sub-exponential": False, "reciprocal": False, **words},
    }


CLAIMS = {
    "C1": claim(
        "holds",
        {"spearman": 0.8123, "ci95": [0.5, 0.95]},
        secondary=[
            {"name": "C1 on the training-subset ratio", "verdict": "partly", "evidence": "rho 0.3"},
            {
                "name": "C1 on the angle ratio",
                "verdict": "holds",
                "evidence": "x",
                "channel": "angle",
            },
        ],
        robustness=[
            {
                "setting": "data set mnist5k",
                "verdict": "does not hold",
                "evidence": "rho -0.3",
                "channels": {"angle": "inconclusive"},
            }
        ],
    ),
    "C2": claim("holds", {"channels": {"distance": {"theory": {"first": 1.4, "last": 1.1}}}}),
    "C3": claim(
        "partly",
        [
            {"theory_holds": True, "simulation": {"holds": True}},
            {"theory_holds": True, "simulation": {"holds": False}},
        ],
    ),
    "C4": claim(
        "partly",
        {
            "laws": {
                "mlp": {"paper": "exponential", "theory": law("power", 0.995, reciprocal=True)},
                "mlp_bn": {"theory": law("power", 0.995)},
            }
        },
    ),
    "C5": claim(
        "does not hold",
        {"depths": [{"holds": False}, {"holds": True}]},
        robustness=[
            {"setting": "width N = 32", "verdict": "inconclusive", "evidence": "two seeds"}
        ],
        design=[{"name": "held-out ratio in the 2 x 2 design", "evidence": "mlp_bn 1.2"}],
    ),
    "C6": claim(
        "inconclusive",
        {
            "depths": [
                {"architectures": {"mlp": {"relative_to_separation": 0.01}}},
                {"architectures": {"resnet": {"relative_to_separation": 0.2}}},
            ]
        },
    ),
}


def test_headline_of_each_claim():
    assert report.headline("C1", CLAIMS["C1"]) == "held-out ratio: Spearman ρ = 0.81 [0.50, 0.95]"
    assert report.headline("C2", CLAIMS["C2"]) == "MLP ratio 1.400 → 1.100 (theory, l = 1 → L)"
    assert report.headline("C3", CLAIMS["C3"]) == "ordered at 1/2 depths"
    assert report.headline("C4", CLAIMS["C4"]) == "mlp: power, p = 0.99 (reciprocal)"
    assert report.headline("C5", CLAIMS["C5"]) == "held-out ratio above the MLP's at 1/2 depths"
    assert report.headline("C6", CLAIMS["C6"]) == "max \\|sim − theory\\| / (theory − 1) 0.200"


def test_summary_table_has_one_row_per_claim_with_channels_and_data_sets():
    lines = report.summary_table(CLAIMS).splitlines()
    assert lines[0] == (
        "| claim | source | digits: verdict | angle channel | mnist5k: verdict / angle "
        "| measured | figure |"
    )
    assert len(lines) == 2 + len(CLAIMS)
    assert lines[2].startswith("| C1 |  | holds | holds | does not hold / inconclusive |")
    assert lines[2 + 4] == (
        "| C5 |  | does not hold | — | — | held-out ratio above the MLP's at 1/2 depths "
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
    assert "- **2 x 2 design, held-out ratio in the 2 x 2 design:** mlp_bn 1.2" in text


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
    assert all(
        f"| {key} | {result[key]['source']} | {result[key]['verdict']} |" in updated
        for key in result
    )
