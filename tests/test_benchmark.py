"""The propagation throughput benchmark: its table's columns are a contract
(results/benchmarks/propagation_throughput.tsv); the start-up share of the jobs' CPU time and
what keeps it small (no torch where no network is built, no interpreter teardown)."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from separability import architectures, benchmark
from separability.benchmark import startup_table, throughput_table
from separability.workflow import CPU_LINE, rule_log

COLUMNS = [
    "arch",
    "n",
    "width",
    "depth",
    "threads",
    "matmul_s_per_block",
    "propagation_s_per_block",
    "with_statistics_s_per_block",
    "propagation_fraction_of_matmul",
    "with_statistics_fraction_of_matmul",
    "recorded_layers",
    "statistics_s_per_recorded_layer",
    "gram_recursion_s_per_block",
]


def test_throughput_table_columns_and_times():
    table = throughput_table(["mlp", "resnet_bn"], n=20, width=8, depth=3)
    assert table.columns.tolist() == COLUMNS
    assert table.arch.tolist() == ["mlp", "resnet_bn"]
    seconds = table[[c for c in COLUMNS if c.endswith("_s_per_block")]].to_numpy()
    assert np.all(np.isfinite(seconds) & (seconds > 0))
    np.testing.assert_allclose(
        table.propagation_fraction_of_matmul,
        table.matmul_s_per_block / table.propagation_s_per_block,
    )


def test_statistics_only_at_the_recorded_layers():
    """With a recorded-layer grid the statistics run only at those layers, as in the distance
    simulations (propagation.dense_layers, propagation.log_layers)."""
    table = throughput_table(["mlp"], n=20, width=8, depth=6, layers=[0, 1, 6])
    assert table.recorded_layers.tolist() == [3]
    every = throughput_table(["mlp"], n=20, width=8, depth=6)
    assert every.recorded_layers.tolist() == [7]


def test_startup_table_sums_the_rule_logs(tmp_path):
    """The start-up share per rule and overall, from the CPU line every rule log ends with
    (written by rule_log); logs without it are skipped."""
    (tmp_path / "train" / "digits").mkdir(parents=True)
    with rule_log(tmp_path / "train" / "digits" / "mlp.log"):
        sum(range(10**6))
    lines = {"train/digits/resnet.log": (30.0, 3.0), "claims.log": (4.0, 2.0)}
    for name, times in lines.items():
        (tmp_path / name).write_text("start\n2026 INFO " + CPU_LINE % times + "\n")
    (tmp_path / "main_claims.log").write_text("a shell rule: no CPU line\n")
    table = startup_table(tmp_path).set_index("rule")
    assert table.loc["train", "jobs"] == 2 and table.loc["claims", "jobs"] == 1
    assert "main_claims" not in table.index
    measured = table.loc["train", "cpu_s"] - 30.0
    assert 0 < table.loc["train", "startup_s"] - 3.0 <= measured
    assert table.loc["all", "cpu_s"] == pytest.approx(34.0 + measured)
    assert table.loc["claims", "startup_share"] == pytest.approx(0.5)


def test_scalar_timing_has_a_row_per_architecture(monkeypatch):
    """benchmark_scalar's table: every registered architecture with a scalar form, its seconds
    for the angles and depth asked, and the kernel's start-up costs."""
    from separability import scalar

    monkeypatch.setattr(
        scalar, "startup_seconds", lambda: {"import_s": 1.0, "compile_s": 2.0, "cached_load_s": 0.1}
    )
    table = benchmark.scalar_timing(depth=200, angles=4)
    assert list(table.arch) == list(architectures.names())
    assert (table.seconds > 0).all() and (table.depth == 200).all() and (table.angles == 4).all()
    assert (table.compile_s == 2.0).all()


def run_python(code: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True
    )


def test_a_finished_job_ends_its_process_with_its_log_complete(tmp_path):
    """rule_log(end_process=True), as every script uses it: after a job's work the process
    exits 0 at once (nothing after the context runs), the log holds the job's output and the
    CPU line; a job that fails still exits non-zero with its traceback in the log."""
    done = run_python(
        """
        from separability.workflow import rule_log
        with rule_log("job.log", end_process=True) as log:
            print("work printed")
            log.info("work logged")
        open("after.txt", "w").write("the process went on")
        """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "job.log").read_text()
    assert "work printed" in text and "work logged" in text
    assert text.rstrip().splitlines()[-1].split(" INFO ")[1].startswith("CPU time ")
    assert not (tmp_path / "after.txt").exists()
    failed = run_python(
        """
        from separability.workflow import rule_log
        with rule_log("job.log", end_process=True):
            raise RuntimeError("a bug")
        """,
        tmp_path,
    )
    assert failed.returncode == 1
    assert "RuntimeError: a bug" in (tmp_path / "job.log").read_text()


def test_jobs_without_networks_do_not_import_torch(tmp_path):
    """The modules of the table, claims, figure and theory jobs never load torch (about 1.2 s
    of start-up and 0.5 s of teardown per job): only the jobs that build networks pay it."""
    loaded = run_python(
        """
        import sys
        import separability.claims.assess, separability.figures, separability.report
        import separability.plotting.style, separability.tables, separability.theory_tables
        import separability.training.tables
        print("torch" in sys.modules)
        """,
        tmp_path,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["False"]


def test_a_job_keeps_the_memory_it_frees(tmp_path):
    """keep_freed_memory (every rule_log job): 1 MB temporaries, allocated and freed in turn as
    a layer's statistics do, reuse the process's memory instead of faulting in fresh pages
    each time (about 256 page faults per MB with glibc's defaults)."""
    counted = run_python(
        """
        import resource
        import numpy as np
        from separability.workflow import keep_freed_memory
        assert keep_freed_memory()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(100):
            x = np.empty(131072)
            x[:] = 1.0
            y = x * 2.0
            del x, y
        print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
        """,
        tmp_path,
    )
    assert counted.returncode == 0, counted.stderr
    assert int(counted.stdout) < 100 * 2 * 256 // 20
