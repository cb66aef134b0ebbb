"""Rendering of the claims' verdicts (``separability.claims.assess``) for people: the claims
report results/{dataset}/claims.md and the README's summary table between its claims markers
(docs/claims.md). Rendering only: every number shown comes from the claims' dicts."""

from __future__ import annotations

from collections.abc import Mapping


def headline(key: str, claim: Mapping) -> str:
    """The one number the README's summary table shows for a claim."""
    m = claim["measured"]
    if key == "C1":
        return (
            f"held-out ratio: Spearman ρ = {m['spearman']:.2f} "
            f"[{m['ci95'][0]:.2f}, {m['ci95'][1]:.2f}]"
        )
    if key == "C2":
        return f"MLP ratio {m['theory']['first']:.3f} → {m['theory']['last']:.3f} (theory)"
    if key == "C3":
        held = sum(r["theory_holds"] and r["simulation"]["holds"] for r in m)
        return f"ordered at {held}/{len(m)} depths"
    if key == "C4":
        return "; ".join(
            f"{arch}: {v['theory'][-1]['paper_name']}"
            + (
                f" (paper's law on {v['region']['fraction']:.0%} of the plane)"
                if "region" in v
                else ""
            )
            for arch, v in m.items()
        )
    if key == "C5":
        held = sum(r["holds"] for r in m["depths"])
        return f"held-out ratio above the MLP's at {held}/{len(m['depths'])} depths"
    worst = max(max(r["relative_discrepancy"].values()) for r in m["depths"])
    return f"max relative discrepancy {worst:.3f}"


def summary_table(claims: Mapping[str, dict]) -> str:
    """Markdown table: claim, verdict, headline number, figure (its path, not a link: figures
    are built by the run and not in the repository)."""
    lines = ["| claim | verdict | measured | figure |", "|---|---|---|---|"]
    for key, claim in claims.items():
        lines.append(
            f"| {key} | {claim['verdict']} | {headline(key, claim)} | `{claim['figure']}` |"
        )
    return "\n".join(lines)


def report_markdown(claims: Mapping[str, dict]) -> str:
    """The human-readable claims report: summary table, then per claim its text, test,
    verdict, evidence, conditions, figure, secondary tests and robustness verdicts."""
    parts = [
        "# Claims of Furusho & Ikeda (ACML 2019): verdicts",
        "",
        "Each verdict comes from the pre-registered test in `separability/claims.py`.",
        "",
        summary_table(claims),
        "",
    ]
    for key, claim in claims.items():
        parts += [
            f"## {key}: {claim['verdict']}",
            "",
            f"> {claim['claim']}",
            "",
            f"- **Test:** {claim['test']}",
            f"- **Evidence:** {claim['evidence']}",
            f"- **Conditions:** {claim['conditions']}",
            f"- **Figure:** {claim['figure']}",
        ]
        for entry in claim.get("secondary", []):
            parts.append(
                f"- **Secondary, {entry['name']}:** {entry['verdict']} — {entry['evidence']}"
            )
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
