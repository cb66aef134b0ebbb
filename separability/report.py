"""Rendering of the claims' verdicts (``separability.claims.assess.assess``) for people: the
claims report results/{dataset}/claims.md and the README's summary table between its claims
markers (docs/claims.md). Rendering only: every number shown comes from the claims' dicts."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

DATASET_SETTING = "data set "  # the label prefix of a robustness setting on another data set
CLAIM_KEY = re.compile(r"C[1-9]")


def claims_of(document: Mapping) -> dict:
    """The claims C1..C6 of a claims.json document (without its provenance)."""
    return {key: value for key, value in document.items() if CLAIM_KEY.fullmatch(key)}


def provenance_line(provenance: Mapping | None) -> str:
    """What the verdicts were computed with: the claims job's code and settings digests and the
    revision of the checkout (docs/claims.md, "Where the results are")."""
    if not provenance:
        return "*Provenance not recorded.*"
    return (
        f"*Computed by code digest `{provenance['code']}`, settings digest "
        f"`{provenance['settings']}`, revision `{provenance['revision']}`.*"
    )


def law_headline(arch: str, laws: Mapping) -> str:
    """One architecture's measured law in theory for the C4 headline: the law, its exponent and
    which of the paper's words apply."""
    theory = laws["theory"]
    if not theory:
        return f"{arch}: too few layers"
    words = ", ".join(word for word, ok in theory["words"].items() if ok) or "no paper word"
    return f"{arch}: {theory['law']}, p = {theory['exponent']:.2f} ({words})"


def number(value) -> float:
    """A measured number as a float (strict JSON writes NaN as null)."""
    return math.nan if value is None else float(value)


def headline(key: str, claim: Mapping) -> str:
    """The one number the README's summary table shows for a claim."""
    m = claim["measured"]
    if key == "C1":
        low, high = (number(v) for v in m["ci95"])
        return f"held-out ratio: Spearman ρ = {number(m['spearman']):.2f} [{low:.2f}, {high:.2f}]"
    if key == "C2":
        theory = m["channels"]["distance"]["theory"]
        return f"MLP ratio {theory['first']:.3f} → {theory['last']:.3f} (theory, l = 1 → L)"
    if key == "C3":
        held = sum(r["theory_holds"] and r["simulation"]["holds"] for r in m)
        return f"ordered at {held}/{len(m)} depths"
    if key == "C4":
        paper = [arch for arch, laws in m["laws"].items() if "paper" in laws]
        return "; ".join(law_headline(arch, m["laws"][arch]) for arch in paper)
    if key == "C5":
        held = sum(r["holds"] for r in m["depths"])
        return f"held-out ratio above the MLP's at {held}/{len(m['depths'])} depths"
    worst = max(
        r["relative_to_separation"] for row in m["depths"] for r in row["architectures"].values()
    )
    return f"max \\|sim − theory\\| / (theory − 1) {worst:.3f}"


def channel_verdict(claim: Mapping, channel: str = "angle") -> str:
    """The verdict of a claim's test on one channel of the distance (its secondary entry
    marked ``channel``), or a dash where the claim has none."""
    for entry in claim.get("secondary", []):
        if entry.get("channel") == channel:
            return entry["verdict"]
    return "—"


def other_datasets(claims: Mapping[str, dict]) -> list[str]:
    """The data sets of the claims' robustness settings, in the order first met."""
    found = []
    for claim in claims.values():
        for entry in claim.get("robustness", []):
            name = entry["setting"].removeprefix(DATASET_SETTING)
            if entry["setting"].startswith(DATASET_SETTING) and name not in found:
                found.append(name)
    return found


def setting_verdict(claim: Mapping, dataset: str) -> str:
    """A claim's verdict on another data set (distance / angle channel where it has one), or a
    dash where that data set does not recompute the claim."""
    for entry in claim.get("robustness", []):
        if entry["setting"] == f"{DATASET_SETTING}{dataset}":
            angle = entry.get("channels", {}).get("angle")
            return entry["verdict"] + (f" / {angle}" if angle else "")
    return "—"


def summary_table(claims: Mapping[str, dict]) -> str:
    """Markdown table: claim, its source, verdict of the paper's distance ratio, verdict of its
    angle channel, the verdicts on the other data sets (distance / angle), headline number,
    figure (its path, not a link: figures are built by the run and not in the repository)."""
    claims = claims_of(claims)
    dataset = next(iter(claims.values()))["conditions"]["dataset"]
    others = other_datasets(claims)
    header = ["claim", "source", f"{dataset}: verdict", "angle channel"]
    header += [f"{other}: verdict / angle" for other in others] + ["measured", "figure"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, claim in claims.items():
        cells = [key, claim.get("source", ""), claim["verdict"], channel_verdict(claim)]
        cells += [setting_verdict(claim, other) for other in others]
        cells += [headline(key, claim), f"`{claim['figure']}`"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def conditions_text(conditions: Mapping) -> str:
    """The conditions of a claim as one readable line (depths beyond the simulation listed as
    dropped)."""
    parts = [f"{key} {value}" for key, value in conditions.items() if key != "depths_dropped"]
    if conditions.get("depths_dropped"):
        parts.append(f"claims depths dropped (beyond the depth): {conditions['depths_dropped']}")
    return "; ".join(parts)


def report_markdown(claims: Mapping[str, dict]) -> str:
    """The human-readable claims report: what it was computed with, summary table, then per
    claim its text and source, test, verdict, evidence, conditions, figure, secondary tests,
    what the 2 x 2 design shows, and robustness verdicts."""
    parts = [
        "# Claims of Furusho & Ikeda (ACML 2019): verdicts",
        "",
        "Each verdict comes from the pre-registered test in `separability/claims/` "
        "(docs/claims.md, with the history of every change to a test).",
        provenance_line(claims.get("provenance")),
        "",
        summary_table(claims),
        "",
    ]
    for key, claim in claims_of(claims).items():
        parts += [
            f"## {key}: {claim['verdict']}",
            "",
            f"> {claim['claim']}",
            "",
            f"- **Source:** {claim.get('source', 'not stated')}",
            f"- **Test:** {claim['test']}",
            f"- **Evidence:** {claim['evidence']}",
            f"- **Conditions:** {conditions_text(claim['conditions'])}",
            f"- **Figure:** {claim['figure']}",
        ]
        for entry in claim.get("secondary", []):
            parts.append(
                f"- **Secondary, {entry['name']}:** {entry['verdict']} — {entry['evidence']}"
            )
        for entry in claim.get("design", []):
            parts.append(f"- **2 x 2 design, {entry['name']}:** {entry['evidence']}")
        for entry in claim.get("robustness", []):
            parts.append(
                f"- **Robustness, {entry['setting']}:** {entry['verdict']} — {entry['evidence']}"
            )
        parts.append("")
    return "\n".join(parts)


def replace_block(
    text: str, block: str, start: str = "<!-- claims:start -->", end: str = "<!-- claims:end -->"
) -> str:
    """Replace what stands between the start and end markers of ``text`` with ``block``."""
    head, found, rest = text.partition(start)
    _, found_end, tail = rest.partition(end)
    if not found or not found_end:
        raise ValueError(f"markers {start} ... {end} not found")
    return f"{head}{start}\n{block}\n{end}{tail}"
