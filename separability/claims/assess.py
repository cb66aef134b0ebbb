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


# Where each claim comes from (docs/claims.md, "Sources"): the ACML 2019 abstract, or the
# earlier abstracts (IEICE technical report NC2019-18; ICLR 2019 LLD workshop).
SOURCES = {
    "C1": "ACML 2019 abstract",
    "C2": "ACML 2019 abstract",
    "C3": "ACML 2019 abstract",
    "C4": "NC2019-18 abstract",
    "C5": "ACML 2019 abstract",
    "C6": "NC2019-18 abstract",
}


def assess(
    dataset: str,
    tables: Mapping[str, pd.DataFrame],
    depths: Sequence[int],
    layers: Sequence[int],
    resamples: int,
    seed: int,
    init: Mapping | None = None,
    training_splits: Mapping[str, int | None] | None = None,
) -> dict:
    """Every claim C1..C6 on one data set: text, source, verdict, evidence, measurements,
    test, conditions and figure. ``depths`` are the claims depths (C3, C6), ``layers`` the
    simulation layers the series tests read (C2), ``training_splits`` the cap of the training
    split of each data set the training claims read (None: the whole split), stated in the
    conditions."""
    claims = random_init_claims(
        tables["distance"],
        tables["theory"],
        tables["width"],
        depths,
        layers,
        tables.get("sampled_width"),
    )
    claims["C4"] = claim_c4(
        tables["scalar"],
        tables["pairs"],
        tables["pairs_wide"],
        tables.get("pairs_batch"),
        tables.get("phase"),
        init,
    )
    claims["C1"] = claim_c1(tables["runs"], resamples, seed)
    claims["C5"] = claim_c5(tables["runs"])
    conditions = {
        "dataset": dataset,
        "width": int(tables["distance"].width.iloc[0]) if "width" in tables["distance"] else None,
        "depth": int(tables["distance"].layer.max()),
        "seeds": int(tables["distance"].seed.nunique()),
        "depths_compared": [int(d) for d in depths if d <= tables["distance"].layer.max()],
        "depths_dropped": [int(d) for d in depths if d > tables["distance"].layer.max()],
        "series_layers": [int(layer) for layer in layers],
        "trained_depths": sorted(int(d) for d in set(tables["runs"].depth)),
        "trained_runs": int(len(tables["runs"])),
        "widths_scanned": sorted(int(w) for w in set(tables["width"].width)),
    }
    if training_splits:
        conditions["training_split"] = training_split_text(training_splits)
    return {
        key: {
            "claim": CLAIMS[key],
            "source": SOURCES[key],
            **claims[key],
            "conditions": conditions,
            "figure": FIGURES[key].format(dataset=dataset),
        }
        for key in sorted(claims)
    }


def training_split_text(training_splits: Mapping[str, int | None]) -> str:
    """The training split of each data set the training claims read, as one phrase: the whole
    split, or the size it is capped at (``data.train_size``)."""
    return ", ".join(
        f"{name} {'whole' if size is None else f'capped at {size}'}"
        for name, size in training_splits.items()
    )


def robustness_entry(label: str, claims: Mapping[str, dict]) -> dict:
    """Verdicts of a second setting, keyed by claim, each with the verdicts of its channel
    tests (``channels``: angle, norm) where the claim has them."""
    return {
        key: {
            "setting": label,
            "verdict": value["verdict"],
            "evidence": value["evidence"],
            "channels": channel_verdicts(value),
        }
        for key, value in claims.items()
    }


def channel_verdicts(claim: Mapping) -> dict[str, str]:
    """The verdicts of a claim's channel tests (its secondary entries marked ``channel``)."""
    return {
        entry["channel"]: entry["verdict"]
        for entry in claim.get("secondary", [])
        if "channel" in entry
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
    layers: Sequence[int],
) -> list[dict]:
    """The random-init verdicts (C2, C3, C6) recomputed on other data sets (C6 without a
    width scan where they have none) and C2, C3 at a second width of the main data set's width
    scan (every layer of it recorded: the series layers within its depth, and the claims
    depths 1 and its deepest)."""
    entries = [
        robustness_entry(
            f"data set {name}",
            random_init_claims(
                tables["distance"], tables["theory"], tables.get("width"), depths, layers
            ),
        )
        for name, tables in dataset_tables.items()
    ]
    if second_width is not None:
        narrow = at_width(width_table, second_width)
        deepest = int(narrow.layer.max())
        shallow = sorted({1, deepest})
        entries.append(
            robustness_entry(
                f"width N = {second_width}",
                {
                    "C2": claim_c2(narrow, theory, shallow, [x for x in layers if x <= deepest]),
                    "C3": claim_c3(narrow, theory, shallow),
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
