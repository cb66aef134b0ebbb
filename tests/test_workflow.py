"""The Snakemake DAG: dry run, config validation, single-figure targets, rerun scope, hygiene."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "tests" / "config.smoke.yaml"
WORKFLOW_FILES = ("Snakefile", "config.yaml", "README.md", "workflow", "scripts", "envs",
                  "profiles")
FIGURES = ("fig1_distances", "fig2_ratio", "fig5_trained_ratio", "fig6_accuracy", "fig7_width")
SHARED_FIGURES = ("fig3_angle_decay", "fig4_angle_maps")


def snakemake(*args, cwd=ROOT, check=True):
    """Run snakemake in ``cwd`` and return the completed process (output captured)."""
    process = subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=cwd,
                             capture_output=True, text=True, timeout=900)
    if check and process.returncode != 0:
        raise AssertionError(process.stdout + process.stderr)
    return process


def copy_workflow(target: Path) -> Path:
    """A private copy of the workflow (the package is imported from the install)."""
    for name in WORKFLOW_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy(source, target / name)
    shutil.copy(SMOKE, target / "smoke.yaml")
    return target


def jobs_of(dry_run_output: str) -> dict[str, int]:
    """Job counts per rule from the 'Job stats' table of a dry run."""
    counts, in_table = {}, False
    for line in dry_run_output.splitlines():
        if line.startswith("job "):
            in_table = True
        elif in_table and line.strip() and not line.startswith("-"):
            name, *rest = line.split()
            if name == "total":
                break
            counts[name] = int(rest[0])
    return counts


def test_dry_run_lists_every_figure():
    output = snakemake("-n", "--cores", "1").stdout
    for name in FIGURES:
        for ext in ("pdf", "png"):
            assert f"figures/digits/{name}.{ext}" in output, name
    for name in SHARED_FIGURES:
        assert f"figures/{name}.pdf" in output, name


@pytest.mark.parametrize("change, key", [
    ({"propagation": {"depth": -3}}, "depth"),
    ({"architectures": ["mlp", "vgg"]}, "architectures"),
    ({"propagation": {"width": "big"}}, "width"),
    ({"datasets": ["imagenet"]}, "datasets"),
    ({"data": {"val_fraction": 0.9}}, "val_fraction"),
    ({"claims": {"second_width": 100}}, "claims.second_width"),
])
def test_bad_config_value_stops_before_any_job(tmp_path, change, key):
    workdir = copy_workflow(tmp_path)
    (workdir / "bad.yaml").write_text(yaml.safe_dump(change))
    process = snakemake("--cores", "1", "--configfile", "smoke.yaml", "bad.yaml", cwd=workdir,
                        check=False)
    assert process.returncode != 0
    message = process.stdout + process.stderr
    assert key in message, message[-2000:]
    assert not (workdir / "results").exists() and not (workdir / "figures").exists()


@pytest.mark.slow
def test_single_figure_builds_alone(tmp_path):
    workdir = copy_workflow(tmp_path)
    target = "figures/fig4_angle_maps.pdf"
    planned = jobs_of(snakemake(target, "-n", "--cores", "2", "--configfile", "smoke.yaml",
                                cwd=workdir).stdout)
    assert planned == {"propagate_pairs": 6, "plot_angle_maps": 1}
    snakemake(target, "--cores", "2", "--configfile", "smoke.yaml", cwd=workdir)
    assert (workdir / target).exists() and (workdir / "figures/fig4_angle_maps.png").exists()
    assert not (workdir / "results" / "digits").exists()


@pytest.mark.slow
def test_whole_smoke_dag_and_rerun_scope(tmp_path):
    """The smoke config builds every figure; afterwards nothing is left to do, and editing one
    plotting script reruns only that plot rule."""
    workdir = copy_workflow(tmp_path)
    snakemake("--cores", "2", "--configfile", "smoke.yaml", cwd=workdir)
    for name in FIGURES:
        assert (workdir / "figures" / "digits" / f"{name}.pdf").exists(), name
    for name in SHARED_FIGURES:
        assert (workdir / "figures" / f"{name}.png").exists(), name
    verdicts = json.loads((workdir / "results" / "claims.json").read_text())
    assert sorted(verdicts) == [f"C{i}" for i in range(1, 7)]
    readme = (workdir / "README.md").read_text()
    assert all(f"| C{i} | {verdicts[f'C{i}']['verdict']} |" in readme for i in range(1, 7))
    report = snakemake("--report", "report.html", "--configfile", "smoke.yaml", cwd=workdir)
    assert (workdir / "report.html").stat().st_size > 10_000
    assert "ERROR" not in report.stdout + report.stderr, report.stderr[-2000:]
    assert "Nothing to be done" in snakemake("-n", "--cores", "2", "--configfile", "smoke.yaml",
                                             cwd=workdir).stdout
    script = workdir / "scripts" / "plot_ratio.py"
    script.write_text(script.read_text() + "\n# a style change\n")
    planned = jobs_of(snakemake("-n", "--cores", "2", "--configfile", "smoke.yaml",
                                cwd=workdir).stdout)
    assert planned == {"plot_ratio": 1, "all": 1}


def test_lint_is_clean():
    process = snakemake("--lint", check=False)
    output = process.stdout + process.stderr
    assert process.returncode == 0, output
    assert "Lints for" not in output, output


def test_snakefmt_check():
    process = subprocess.run([sys.executable, "-m", "snakefmt", "--check", "Snakefile",
                              "workflow"], cwd=ROOT, capture_output=True, text=True)
    assert process.returncode == 0, process.stdout + process.stderr
