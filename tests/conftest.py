"""Shared fixtures: one run of the smoke config's whole DAG in a committed git copy of this
checkout, reused by the workflow and browser tests (the run takes about a minute). Figures drawn
by the tests use matplotlib's headless Agg backend, whatever display there is."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
SMOKE_CONFIG = "tests/config.smoke.yaml"
os.environ["MPLBACKEND"] = "Agg"  # read when matplotlib is first imported, after this file


def git(*args: str, cwd: Path) -> str:
    """Run git in ``cwd`` and return its output."""
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def committed_copy(target: Path) -> Path:
    """A new git repository at ``target`` holding this checkout's files as they are now
    (tracked and untracked, not ignored), committed: what a clone of the next commit holds."""
    listing = git("ls-files", "--cached", "--others", "--exclude-standard", "-z", cwd=ROOT)
    for name in filter(None, listing.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not copied
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    commit_all(target, "copy of the checkout")
    return target


def commit_all(directory: Path, message: str) -> None:
    """Make ``directory`` a git repository whose one commit holds every file in it."""
    git("init", "-q", cwd=directory)
    git("add", "-A", cwd=directory)
    git(
        "-c",
        "user.name=test",
        "-c",
        "user.email=test@example.invalid",
        "commit",
        "-qm",
        message,
        cwd=directory,
    )


def snakemake(
    *args: str, cwd: Path = ROOT, check: bool = True, timeout: int = 1800, env=None
) -> subprocess.CompletedProcess:
    """Run snakemake in ``cwd`` (with the environment ``env``, default this process's) and
    return the completed process (output captured); with ``check``, a failure fails the test
    with the end of snakemake's output."""
    process = subprocess.run(
        [sys.executable, "-m", "snakemake", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and process.returncode != 0:
        pytest.fail(
            f"snakemake {' '.join(args)} failed:\n{(process.stdout + process.stderr)[-5000:]}"
        )
    return process


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """The smoke config's whole DAG run once (`snakemake --cores 2`) in a committed copy of the
    checkout: ``path``, ``seconds`` and ``status`` (`git status --porcelain` right after)."""
    workdir = committed_copy(tmp_path_factory.mktemp("smoke"))
    t0 = time.monotonic()
    snakemake("--cores", "2", "--configfile", SMOKE_CONFIG, cwd=workdir)
    return SimpleNamespace(
        path=workdir,
        seconds=time.monotonic() - t0,
        status=git("status", "--porcelain", cwd=workdir),
    )


@pytest.fixture(scope="session")
def smoke_report(smoke_run):
    """The Snakemake HTML report of the smoke run (`snakemake --report report.html`): its
    path and snakemake's output."""
    process = snakemake(
        "--report", "report.html", "--configfile", SMOKE_CONFIG, cwd=smoke_run.path, timeout=600
    )
    return SimpleNamespace(
        path=smoke_run.path / "report.html", output=process.stdout + process.stderr
    )
