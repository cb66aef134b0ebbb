"""README.md against the code: the figures table is separability.figures.FIGURES (file, title,
rule, plotting function, claims, report category) with the script its plot rules run, the
package table names every module, and every path, rule and config key the README names
exists. Each check returns its problems as lines, so the tests below can also show that a
broken README is caught."""

import re

import pytest
import yaml
from conftest import ROOT

from separability.figures import FIGURES

README = ROOT / "README.md"
PACKAGE = ROOT / "separability"
RULES = ROOT / "workflow" / "rules"
# Top-level directories of the repository whose paths the README may name (outputs such as
# results/ and figures/ are built by a run and are not checked).
CHECKED_ROOTS = ("scripts", "separability", "docs", "workflow", "configs", "tests", "profiles")
FILE_SUFFIXES = ("md", "rst", "json", "yaml", "tsv", "npz", "pdf", "png", "py", "pt")
CELL_SEPARATOR = re.compile(r"(?<!\\)\|")


def section(text: str, heading: str) -> str:
    """The text of the level-2 section ``## heading`` (up to the next level-2 heading)."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"README has no section '## {heading}'"
    return match.group(1)


def table(text: str, first_column: str) -> list[dict[str, str]]:
    """The rows of the first Markdown table in ``text`` whose header starts with
    ``first_column``, as header -> cell (``\\|`` in a cell read as ``|``)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if cells_of(line)[:1] == [first_column]), None)
    if start is None:
        raise AssertionError(f"no table with first column {first_column!r}")
    header = cells_of(lines[start])
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(dict(zip(header, cells_of(line), strict=True)))
    return rows


def cells_of(line: str) -> list[str]:
    """The cells of one Markdown table line (none when it is not one)."""
    if not line.startswith("|"):
        return []
    return [cell.strip().replace("\\|", "|") for cell in CELL_SEPARATOR.split(line)[1:-1]]


def plot_script() -> str:
    """The script every plot rule runs, as workflow/rules/figures.smk names it, relative to the
    repository root."""
    scripts = re.findall(r"script:\s*\n\s*\"([^\"]+)\"", (RULES / "figures.smk").read_text())
    assert len(scripts) == 1, scripts
    return (RULES / scripts[0]).resolve().relative_to(ROOT).as_posix()


def expected_figure_row(figure) -> dict[str, str]:
    """The Figures table's row of one entry of FIGURES."""
    stem = f"figures/<dataset>/{figure.name}" if figure.per_dataset else f"figures/{figure.name}"
    title = f"{figure.number}. {figure.title}"
    return {
        "figure": title + (" (beyond the paper)" if figure.beyond_paper else ""),
        "file": f"`{stem}.{{pdf,png}}`",
        "rule": f"`{figure.rule}`",
        "drawn by": f"`{figure.function}`",
        "claims": ", ".join(figure.claims),
        "report category": figure.category,
    }


def figure_problems(text: str) -> list[str]:
    """Where the README's Figures section differs from FIGURES and figures.smk."""
    figures = section(text, "Figures")
    rows = table(figures, "figure")
    expected = [expected_figure_row(figure) for figure in FIGURES]
    problems = [f"row {row} is not one of FIGURES" for row in rows if row not in expected]
    problems += [f"figure missing or wrong: {row}" for row in expected if row not in rows]
    if len(rows) != len(expected):
        problems.append(f"{len(rows)} rows for {len(expected)} figures")
    script = plot_script()
    if f"every plot rule runs `{script}`" not in " ".join(figures.split()):
        problems.append(f"the Figures section does not say that plot rules run {script}")
    shared = [str(figure.number) for figure in FIGURES if not figure.per_dataset]
    listed = ", ".join(shared[:-1]) + f" and {shared[-1]}"
    if f"Figures {listed} do not depend on data" not in figures:
        problems.append(f"the Figures section does not say that figures {listed} are shared")
    return problems


def package_modules() -> dict[str, list[str]]:
    """Every module of the package (each .py but __init__, and each subpackage) -> the
    modules inside it (empty for a plain module)."""
    modules = {path.stem: [] for path in PACKAGE.glob("*.py") if path.stem != "__init__"}
    for init in PACKAGE.glob("*/__init__.py"):
        modules[init.parent.name] = sorted(
            path.stem for path in init.parent.glob("*.py") if path.stem != "__init__"
        )
    return modules


def package_problems(text: str) -> list[str]:
    """Where the README's package table differs from the modules of the package."""
    rows = table(section(text, "The package"), "module")
    listed = {}
    for row in rows:
        name = re.fullmatch(r"`separability\.(\w+)`", row["module"])
        if not name:
            return [f"package table row {row['module']!r} is not `separability.<module>`"]
        listed[name.group(1)] = row["content"]
    modules = package_modules()
    problems = [f"module {name} missing" for name in modules if name not in listed]
    problems += [f"no module {name}" for name in listed if name not in modules]
    if len(rows) != len(listed):
        problems.append("a module is listed twice")
    for name, inside in modules.items():
        problems += [
            f"separability.{name}: its module {sub} is not named"
            for sub in inside
            if name in listed and f"`{sub}`" not in listed[name]
        ]
    return problems


def mentioned_paths(text: str) -> set[str]:
    """The repository paths the README names under CHECKED_ROOTS (placeholders such as
    <figure> and {pdf,png} left out; globs kept)."""
    pattern = rf"(?<![\w./-])(?:{'|'.join(CHECKED_ROOTS)})/[\w./*-]*"
    found = set()
    for match in re.finditer(pattern, text):
        path = match.group(0).rstrip(".")
        if text[match.end() : match.end() + 1] in "<{":
            continue
        found.add(path)
    return found


def path_problems(text: str) -> list[str]:
    """The paths the README names that do not exist in the repository."""
    return sorted(
        f"{path} does not exist"
        for path in mentioned_paths(text)
        if not (list(ROOT.glob(path)) if "*" in path else (ROOT / path).exists())
    )


def workflow_rules() -> set[str]:
    """The rules of the workflow: every `rule <name>:` and `use rule ... as <name>` of
    workflow/rules/*.smk, and the plot rules generated from FIGURES."""
    rules = {figure.rule for figure in FIGURES}
    for path in [ROOT / "Snakefile", *RULES.glob("*.smk")]:
        source = path.read_text()
        rules |= set(re.findall(r"^rule (\w+):", source, re.M))
        rules |= set(re.findall(r"^use rule \w+ as (\w+)", source, re.M))
    return rules


def rule_problems(text: str) -> list[str]:
    """The rules of the workflow that the README never names (as `rule`)."""
    return sorted(
        f"rule {rule} is not described"
        for rule in workflow_rules() - set(re.findall(r"`(\w+)`", text))
    )


def config_key_problems(text: str) -> list[str]:
    """The dotted config keys the README names (`section.key`, optionally `: value`) that
    config.yaml lacks."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    problems = []
    for token in re.findall(r"`([a-z_]+(?:\.[a-z_]+)+)(?::[^`]*)?`", text):
        parts = token.split(".")
        if parts[0] not in config or parts[-1] in FILE_SUFFIXES:
            continue
        node = config
        for part in parts:
            if not isinstance(node, dict) or part not in node:
                problems.append(f"config key {token} is not in config.yaml")
                break
            node = node[part]
    return problems


CHECKS = (figure_problems, package_problems, path_problems, rule_problems, config_key_problems)


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_readme_matches_the_code(check):
    assert check(README.read_text()) == []


def test_readme_figures_table_follows_the_registry_order():
    """One row per figure in the registry's order, and the plot rules' script exists."""
    rows = table(section(README.read_text(), "Figures"), "figure")
    assert [row["rule"] for row in rows] == [f"`{figure.rule}`" for figure in FIGURES]
    assert (ROOT / plot_script()).is_file()


def broken(text: str, old: str, new: str) -> str:
    """``text`` with every occurrence of ``old`` (there must be one) replaced by ``new``."""
    assert old in text, old
    return text.replace(old, new)


@pytest.mark.parametrize(
    ("check", "old", "new", "problem"),
    [
        pytest.param(
            figure_problems, "| `plot_width_law` |", "| `plot_law` |", "figure missing", id="rule"
        ),
        pytest.param(
            figure_problems,
            "| C4, C6 | Finite width |",
            "| C4 | Finite width |",
            "figure missing",
            id="claims",
        ),
        pytest.param(
            figure_problems, "\n| 3. angle decay", "\n\n| 3. angle decay", "rows for", id="rows"
        ),
        pytest.param(
            figure_problems,
            "runs\n`scripts/plot_figure.py`",
            "runs\n`plot.py`",
            "script",
            id="script",
        ),
        pytest.param(
            package_problems,
            "| `separability.width_law` |",
            "| `separability.law` |",
            "missing",
            id="module",
        ),
        pytest.param(
            package_problems,
            "`assess` (every claim",
            "assessment (every claim",
            "assess",
            id="submodule",
        ),
        pytest.param(
            path_problems,
            "`scripts/plot_figure.py`:",
            "`scripts/plot_distances.py`:",
            "exist",
            id="script-path",
        ),
        pytest.param(
            path_problems,
            "`separability/scalar.py`",
            "`separability/claims.py`",
            "exist",
            id="package-path",
        ),
        pytest.param(
            rule_problems, "`analyse_training`", "analysis", "analyse_training", id="workflow-rule"
        ),
        pytest.param(
            config_key_problems,
            "`data.eval_size`, 500",
            "`data.eval_sizes`, 500",
            "eval_sizes",
            id="config-key",
        ),
    ],
)
def test_readme_checks_catch_a_broken_readme(check, old, new, problem):
    """Each check finds a README broken in one place (a copy of its text; the file is left
    alone)."""
    problems = check(broken(README.read_text(), old, new))
    assert problems and any(problem in line for line in problems), problems
