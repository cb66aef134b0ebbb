"""The DAG on a real one-node SLURM cluster (munged, MariaDB, slurmdbd, slurmctld, slurmd on
localhost, started by tests/slurm/localslurm.py) through `--profile profiles/slurm`.

- the smoke config's whole DAG runs under SLURM; sacct lists every non-local job with the
  CPUs, memory, time limit, account and partition Snakemake asked for, and no local job; the
  results equal those of a local run of the same config (started in the background at the
  beginning, so it overlaps the cluster's set-up and waits);
- a failing rule surfaces as FAILED SLURM jobs (retried as the profile says) and a non-zero
  snakemake exit within a bounded time;
- the cluster is stopped by PID afterwards and nothing it started is left running.

Needs root and the Debian packages slurm-wlm, munge, slurmdbd, mariadb-server (installed with
apt-get when missing). Without root or apt the tests FAIL loudly; SEPARABILITY_SKIP_SLURM=1
skips them instead. SEPARABILITY_SLURM_TIMEOUT (seconds, default 1800) bounds the DAG run,
SEPARABILITY_SLURM_KEEP=1 keeps the cluster's directory (configs, daemon logs).
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import ROOT

SMOKE = ROOT / "tests" / "config.smoke.yaml"
PROFILE = ROOT / "profiles" / "slurm"
FAIL_SNAKEFILE = ROOT / "tests" / "slurm" / "fail.smk"
sys.path.insert(0, str(ROOT / "tests" / "slurm"))

import localslurm  # noqa: E402

pytestmark = pytest.mark.slurm

DAG_TIMEOUT = int(os.environ.get("SEPARABILITY_SLURM_TIMEOUT", "1800"))
FAIL_TIMEOUT = 300
# Provenance fields that legitimately differ between two runs of the same config.
VOLATILE = re.compile(r"(_time_s|^git_revision)$")
TIMINGS: dict[str, float] = {}


_CAPTURE = []  # pytest's capture manager, set by the first fixture


def report(message: str):
    """Print past pytest's output capture, so set-up problems and timings show in any run."""
    capture = _CAPTURE[0] if _CAPTURE else None
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print(f"\n[test_slurm] {message}", file=sys.stderr, flush=True)
    else:
        print(f"[test_slurm] {message}", file=sys.stderr, flush=True)


def snakemake_bin() -> Path:
    """The snakemake next to this interpreter (jobs find it, and python, through PATH)."""
    path = Path(sys.executable).parent / "snakemake"
    if not path.exists():
        pytest.fail(f"no snakemake next to {sys.executable}: run pytest from the virtualenv")
    return path


def snakemake_cmd(*args: str, timeout: int) -> list[str]:
    # timeout -k: SIGTERM after `timeout` seconds (snakemake then cancels its SLURM jobs),
    # SIGKILL 20 s later if it is still there.
    return ["timeout", "-k", "20", str(timeout), str(snakemake_bin()), *args]


# --------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def slurm_possible(request):
    """Skip when told to; fail loudly when this machine cannot run the cluster."""
    _CAPTURE[:] = [request.config.pluginmanager.getplugin("capturemanager")]
    if os.environ.get("SEPARABILITY_SKIP_SLURM") == "1":
        report("SKIPPING the SLURM tests (SEPARABILITY_SKIP_SLURM=1)")
        pytest.skip(
            "!!! SLURM tests SKIPPED because SEPARABILITY_SKIP_SLURM=1: cluster submission "
            "(profiles/slurm) is NOT tested in this run !!!"
        )
    problem = localslurm.prerequisite_problem()
    if problem:
        report(f"CANNOT RUN THE SLURM TESTS: {problem}")
        pytest.fail(
            f"!!! SLURM tests cannot run: {problem}. They need root and apt-get (Debian "
            f"packages {localslurm.PACKAGES}); set SEPARABILITY_SKIP_SLURM=1 to skip them "
            "knowingly !!!",
            pytrace=False,
        )


@pytest.fixture(scope="module")
def local_reference(slurm_possible, tmp_path_factory):
    """A local run of the smoke config, started in the background right away (it overlaps
    the cluster's set-up and the SLURM runs' status-check waits); `.wait()` joins it."""
    workdir = tmp_path_factory.mktemp("local")
    log = open(workdir / "snakemake.log", "w")
    t0 = time.monotonic()
    proc = subprocess.Popen(
        snakemake_cmd(
            "--snakefile",
            str(ROOT / "Snakefile"),
            "--configfile",
            str(SMOKE),
            "--directory",
            str(workdir),
            "--cores",
            "2",
            timeout=DAG_TIMEOUT,
        ),
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def watch():
        proc.wait()
        TIMINGS["local reference run (overlapping the others)"] = round(time.monotonic() - t0, 1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()

    class Reference:
        path = workdir

        @staticmethod
        def wait():
            rc = proc.wait()
            watcher.join()
            log_text = (workdir / "snakemake.log").read_text()
            assert rc == 0, f"the local run failed ({rc}):\n{log_text[-5000:]}"
            return workdir

    yield Reference
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=60)
    log.close()


@pytest.fixture(scope="module")
def cluster(local_reference):
    """The one-node cluster; stopped by PID at the end, failing loudly if anything is left.
    Depends on local_reference only so that the local run starts first."""
    t0 = time.monotonic()
    try:
        if localslurm.ensure_packages(log=report):
            TIMINGS["apt install"] = round(time.monotonic() - t0, 1)
    except localslurm.ClusterError as error:
        report(f"APT INSTALL FAILED: {error}")
        pytest.fail(f"!!! installing the SLURM packages failed: {error}", pytrace=False)
    instance = localslurm.LocalSlurm(log=report)
    try:
        instance.start()
    except localslurm.ClusterError as error:
        pytest.fail(f"!!! the local SLURM cluster did not start: {error}", pytrace=False)
    TIMINGS["cluster setup"] = instance.timings["total"]
    report(f"cluster up in {instance.timings['total']} s: {instance.timings}")
    yield instance
    problems = instance.stop()
    TIMINGS["cluster stop"] = instance.timings["stop"]
    report(f"timings (s): {TIMINGS}")
    if problems:
        pytest.fail(f"stopping the cluster left problems: {problems}", pytrace=False)
    assert not instance.leftover_processes()


def run_env(cluster) -> dict:
    env = cluster.client_env()
    # Jobs inherit this environment (sbatch --export=ALL): the virtualenv's python and
    # snakemake must come first on PATH on the "compute node" too.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    # The profile reads the account and partition from sbatch's own variables.
    env["SBATCH_ACCOUNT"] = cluster.account
    env["SBATCH_PARTITION"] = cluster.partition
    return env


def run_under_slurm(cluster, workdir: Path, *args: str, timeout: int):
    """snakemake --profile profiles/slurm in workdir; (returncode, output, seconds)."""
    t0 = time.monotonic()
    result = subprocess.run(
        snakemake_cmd(
            "--profile", str(PROFILE), "--directory", str(workdir), *args, timeout=timeout
        ),
        cwd=workdir,
        env=run_env(cluster),
        capture_output=True,
        text=True,
        timeout=timeout + 60,
    )
    output = result.stdout + result.stderr
    (workdir / "snakemake.log").write_text(output)
    return result.returncode, output, time.monotonic() - t0


# --------------------------------------------------------------------------------------------
# reading snakemake's log and sacct


def parse_jobs(output: str) -> tuple[dict[int, dict], dict[int, list[int]], str]:
    """Snakemake's job blocks, SLURM submissions per job id, and the run's SLURM job name."""
    jobs, submitted, current = {}, {}, None
    for line in output.splitlines():
        head = re.match(r"^(local)?rule (\w+):$", line)
        if head:
            current = {"local": bool(head.group(1)), "rule": head.group(2), "wildcards": {}}
            continue
        field = re.match(r"^    (\w+): (.*)$", line)
        if current is not None and field:
            key, value = field.groups()
            if key == "jobid":
                current["jobid"] = int(value)
                jobs[int(value)] = current
            elif key in ("wildcards", "resources"):
                current[key] = dict(item.split("=", 1) for item in value.split(", ") if "=" in item)
            continue
        current = None if not line.startswith(" ") else current
        submit = re.search(r"Job (\d+) has been submitted with SLURM jobid (\d+)", line)
        if submit:
            submitted.setdefault(int(submit.group(1)), []).append(int(submit.group(2)))
    run_ids = set(re.findall(r"SLURM run ID: (\S+)", output))
    assert len(run_ids) == 1, f"expected one 'SLURM run ID' line, found {run_ids}"
    return jobs, submitted, run_ids.pop()


SACCT_FIELDS = (
    "JobIDRaw",
    "JobName",
    "State",
    "ExitCode",
    "ReqCPUS",
    "AllocCPUS",
    "ReqMem",
    "Timelimit",
    "Account",
    "Partition",
    "Comment",
)


def sacct_rows(cluster, run_id: str) -> dict[int, dict]:
    rows = cluster.sacct(*SACCT_FIELDS, extra=("--name", run_id))
    return {int(row["JobIDRaw"]): row for row in rows}


def minutes(timelimit: str) -> int:
    days, _, clock = timelimit.rpartition("-")
    h, m, s = (int(x) for x in clock.split(":"))
    return int(days or 0) * 1440 + h * 60 + m + math.ceil(s / 60)


def job_problems(job: dict, row: dict, cluster) -> list[str]:
    """Differences between what Snakemake asked for and what sacct recorded."""
    res, problems = job["resources"], []
    expected = {
        "ReqCPUS": res.get("cpus_per_task"),
        "AllocCPUS": res.get("cpus_per_task"),
        "ReqMem": f"{res.get('mem_mb')}M",
        "Account": cluster.account,
        "Partition": cluster.partition,
    }
    for key, value in expected.items():
        if row[key] != value:
            problems.append(f"{key}={row[key]!r}, expected {value!r}")
    if minutes(row["Timelimit"]) != int(res["runtime"]):
        problems.append(f"Timelimit={row['Timelimit']}, expected runtime={res['runtime']} min")
    comment = f"rule_{job['rule']}" + (
        "_wildcards_" + "_".join(job["wildcards"].values()) if job["wildcards"] else ""
    )
    if row["Comment"] != comment:
        problems.append(f"Comment={row['Comment']!r}, expected {comment!r}")
    return problems


# --------------------------------------------------------------------------------------------
# comparing results


def same_value(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(VOLATILE.search(k) or same_value(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return (
            isinstance(a, (int, float))
            and isinstance(b, (int, float))
            and (
                math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
            )
        )
    return a == b


def same_table(a: Path, b: Path) -> bool:
    import pandas as pd

    left, right = pd.read_csv(a, sep="\t"), pd.read_csv(b, sep="\t")
    if list(left.columns) != list(right.columns) or left.shape != right.shape:
        return False
    for column in left.columns:
        if VOLATILE.search(column):
            continue
        x, y = left[column], right[column]
        if pd.api.types.is_float_dtype(x) and pd.api.types.is_float_dtype(y):
            if not np.allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True):
                return False
        elif not x.equals(y):
            return False
    return True


def same_file(a: Path, b: Path) -> bool:
    if a.read_bytes() == b.read_bytes():
        return True
    if a.suffix == ".tsv":
        return same_table(a, b)
    if a.suffix == ".json":
        return same_value(json.loads(a.read_text()), json.loads(b.read_text()))
    if a.suffix == ".npz":
        with np.load(a) as x, np.load(b) as y:
            return x.files == y.files and all(np.array_equal(x[k], y[k]) for k in x.files)
    if a.suffix == ".pt":
        import torch

        x, y = torch.load(a, map_location="cpu"), torch.load(b, map_location="cpu")
        return x.keys() == y.keys() and all(torch.equal(x[k], y[k]) for k in x)
    return False


def tree(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()}


# --------------------------------------------------------------------------------------------
# tests


def test_failing_rule_fails_the_run_in_bounded_time(cluster, tmp_path):
    rc, output, seconds = run_under_slurm(
        cluster, tmp_path, "--snakefile", str(FAIL_SNAKEFILE), timeout=FAIL_TIMEOUT
    )
    TIMINGS["failure test run"] = round(seconds, 1)
    assert rc not in (0, 124, 137), f"exit {rc} after {seconds:.0f} s:\n{output[-4000:]}"
    assert "Error in rule fail" in output, output[-4000:]
    jobs, submitted, run_id = parse_jobs(output)
    rows = sacct_rows(cluster, run_id)
    rule_of = {
        slurm_id: jobs[jobid]["rule"] for jobid, ids in submitted.items() for slurm_id in ids
    }
    assert set(rows) == set(rule_of), f"sacct {sorted(rows)} vs submitted {rule_of}"
    retries = yaml.safe_load((PROFILE / "config.yaml").read_text())["retries"]
    failed = [rows[i] for i, rule in rule_of.items() if rule == "fail"]
    assert len(failed) == 1 + retries, failed  # first attempt plus the profile's retries
    assert all(row["State"] == "FAILED" and row["ExitCode"] != "0:0" for row in failed), failed
    ok = [rows[i] for i, rule in rule_of.items() if rule == "ok"]
    assert [row["State"] for row in ok] == ["COMPLETED"], ok
    assert (tmp_path / "ok.txt").exists() and not (tmp_path / "fail.txt").exists()
    # SLURM's log of a failed job is kept where the profile puts it.
    logs = list((tmp_path / "logs" / "slurm" / "rule_fail").rglob("*.log"))
    assert logs and any("failing on purpose" in log.read_text() for log in logs), logs


def test_smoke_dag_under_slurm_equals_local_run(cluster, local_reference, tmp_path):
    workdir = tmp_path / "slurm"
    workdir.mkdir()
    rc, output, seconds = run_under_slurm(
        cluster,
        workdir,
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--configfile",
        str(SMOKE),
        timeout=DAG_TIMEOUT,
    )
    TIMINGS["SLURM DAG run"] = round(seconds, 1)
    report(f"SLURM DAG run: exit {rc} after {seconds:.0f} s")
    assert rc == 0, f"exit {rc} after {seconds:.0f} s:\n{output[-6000:]}"

    # Every non-local job went through SLURM, once, as asked; no local job did.
    jobs, submitted, run_id = parse_jobs(output)
    total = int(re.search(r"^total\s+(\d+)$", output, re.M).group(1))
    assert len(jobs) == total, f"{len(jobs)} job blocks in the log, {total} jobs planned"
    remote = {jobid: job for jobid, job in jobs.items() if not job["local"]}
    local = {jobid: job for jobid, job in jobs.items() if job["local"]}
    assert remote and local
    assert set(submitted) == set(remote), (
        f"not submitted: {sorted(set(remote) - set(submitted))}, "
        f"submitted local: {sorted(set(submitted) - set(remote))}"
    )
    retried = {jobid: ids for jobid, ids in submitted.items() if len(ids) != 1}
    assert not retried, f"jobs submitted more than once: {retried}"
    rows = sacct_rows(cluster, run_id)
    slurm_ids = {ids[0]: jobid for jobid, ids in submitted.items()}
    assert set(rows) == set(slurm_ids), (
        f"sacct lists {sorted(rows)}, snakemake submitted {sorted(slurm_ids)}"
    )
    problems = {}
    for slurm_id, row in rows.items():
        job = remote[slurm_ids[slurm_id]]
        issues = job_problems(job, row, cluster)
        if row["State"] != "COMPLETED" or row["ExitCode"] != "0:0":
            issues.append(f"State={row['State']} ExitCode={row['ExitCode']}")
        if issues:
            problems[f"{slurm_id} {job['rule']} {job['wildcards']}"] = issues
    assert not problems, problems
    local_rules = {job["rule"] for job in local.values()}
    slurm_rules = {
        row["Comment"].split("_wildcards_")[0].removeprefix("rule_") for row in rows.values()
    }
    assert not local_rules & slurm_rules, local_rules & slurm_rules

    # The results equal those of the local run; the figures exist.
    reference = local_reference.wait()
    for kind in ("results", "figures"):
        assert tree(workdir / kind) == tree(reference / kind), kind
    differing = [
        name
        for name in sorted(tree(reference / "results"))
        if not same_file(reference / "results" / name, workdir / "results" / name)
    ]
    assert not differing, f"results differing from the local run: {differing}"
    figures = tree(workdir / "figures")
    assert all((workdir / "figures" / name).stat().st_size > 0 for name in figures)
