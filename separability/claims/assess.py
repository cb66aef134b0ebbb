"""Every claim C1..C6 on one data set, with its text, conditions, figure and the robustness
settings on which it is recomputed (docs/claims.md), as written to results/<dataset>/claims.json.
The verdicts are rendered for people by ``separability.report``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from separability.claims.angles import claim_c4
from separability.claims.random_init import claim_c2, claim_c3, random_init_claims
from separability.claims.trained import claim_c1, claim_c5

CLAIMS = {
    "C1": "A larger ratio of between-class to within-class distance of the last hidden layer's "
    "features goes with higher classification performance.",
    "C2": "In a randomly initialised MLP the between-class distance shrinks faster through the "
    "layers than the within-class distance, so the ratio degrades with depth.",
    "C3": "The skip connection and batch normalization relax that degradation: at equal depth "
    "the ratio is ordered ResNet+BN >= ResNet >= MLP.",
    "C4": "The angle between two feature vectors decreases with depth exponentially in the MLP, "
    "sub-exponentially with skip connections, and reciprocally (like 1/l) with skip "
    "connections and BN.",
    "C5": "After training, networks whose initialisation preserved angles (skip, skip+BN) reach "
    "a larger distance ratio at the last hidden layer than the MLP of the same depth.",
    "C6": "The numerical experiments (finite width) agree with the theory (infinite width).",
}


FIGURES = {
    "C1": "figures/{dataset}/fig6_accuracy.pdf",
    "C2": "figures/{dataset}/fig2_ratio.pdf",
    "C3": "figures/{dataset}/fig2_ratio.pdf",
    "C4": "figures/fig3_angle_decay.pdf",
    "C5": "figures/{dataset}/fig5_trained_ratio.pdf",
    "C6": "figures/{dataset}/fig7_width.pdf",
}


def assess(
    dataset: str,
    tables: Mapping[str, pd.DataFrame],
    depths: Sequence[int],
    resamples: int,
    seed: int,
) -> dict:
    """Every claim C1..C6 on one data set: text, verdict, evidence, measurements, test,
    conditions and figure."""
    claims = random_init_claims(tables["distance"], tables["theory"], tables["width"], depths)
    claims["C4"] = claim_c4(tables["scalar"], tables["pairs"], tables.get("phase"))
    claims["C1"] = claim_c1(tables["runs"], resamples, seed)
    claims["C5"] = claim_c5(tables["runs"])
    conditions = {
        "dataset": dataset,
        "width": int(tables["distance"].width.iloc[0]) if "width" in tables["distance"] else None,
        "depth": int(tables["distance"].layer.max()),
        "seeds": int(tables["distance"].seed.nunique()),
        "depths_compared": [int(d) for d in depths],
        "trained_depths": sorted(int(d) for d in set(tables["runs"].depth)),
        "widths_scanned": sorted(int(w) for w in set(tables["width"].width)),
    }
    return {
        key: {
            "claim": CLAIMS[key],
            **claims[key],
            "conditions": conditions,
            "figure": FIGURES[key].format(dataset=dataset),
        }
        for key in sorted(claims)
    }


def robustness_entry(label: str, claims: Mapping[str, dict]) -> dict:
    """Verdicts of a second setting, keyed by claim."""
    return {
        key: {"setting": label, "verdict": value["verdict"], "evidence": value["evidence"]}
        for key, value in claims.items()
    }


def add_robustness(claims: dict, entries: Sequence[dict]) -> dict:
    """Attach each second setting's verdicts to the claims they recompute."""
    for entry in entries:
        for key, value in entry.items():
            claims[key].setdefault("robustness", []).append(value)
    return claims


def at_width(width_table: pd.DataFrame, width: int) -> pd.DataFrame:
    """The width-scan rows of one width, shaped like a distance table."""
    rows = width_table[width_table.width == width]
    if rows.empty:
        raise ValueError(
            f"width {width} is not among the scanned widths {sorted(set(width_table.width))}"
        )
    return rows


def robustness(
    dataset_tables: Mapping[str, Mapping[str, pd.DataFrame]],
    width_table: pd.DataFrame,
    theory: pd.DataFrame,
    second_width: int | None,
    depths: Sequence[int],
) -> list[dict]:
    """The random-init verdicts (C2, C3, C6) recomputed on other data sets and C2, C3 at a
    second width of the main data set's width scan."""
    entries = [
        robustness_entry(
            f"data set {name}",
            random_init_claims(tables["distance"], tables["theory"], tables["width"], depths),
        )
        for name, tables in dataset_tables.items()
    ]
    if second_width is not None:
        narrow = at_width(width_table, second_width)
        entries.append(
            robustness_entry(
                f"width N = {second_width}",
                {
                    "C2": claim_c2(narrow, theory),
                    "C3": claim_c3(narrow, theory, sorted({1, int(narrow.layer.max())})),
                },
            )
        )
    return entries


def training_robustness(
    settings: Mapping[str, pd.DataFrame], resamples: int, seed: int
) -> list[dict]:
    """C1 and C5 recomputed in second settings (another data set, a second width), one runs
    table per setting label."""
    return [
        robustness_entry(label, {"C1": claim_c1(runs, resamples, seed), "C5": claim_c5(runs)})
        for label, runs in settings.items()
    ]
