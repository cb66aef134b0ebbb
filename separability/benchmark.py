"""Throughput of the random-init propagation against this machine's plain matrix products on
the same shapes (issue: propagation should reach >= 0.5 of plain matmul throughput), and cost
and accuracy of the exact BN theory (issue: n = 500, depth 300 in at most 3 minutes on one
core)."""

from __future__ import annotations

import re
import time
import timeit
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from threadpoolctl import threadpool_info

from separability import architectures, theory
from separability.models import SeparabilityNet
from separability.propagation import propagate
from separability.statistics import class_pair_masks, gram, layer_statistics
from separability.workflow import CPU_LINE


def propagation_throughput(
    arch: str,
    n: int,
    width: int,
    depth: int,
    layers: Sequence[int] | None = None,
    seed: int = 0,
    repeats: int = 3,
    gram_blocks: int = 10,
) -> dict[str, float]:
    """Seconds per block of (a) plain float32 matmuls of the block's shapes (n x N times N x N,
    one without a skip path, two with one), (b) the propagation of ``propagate`` (blocks, BN,
    rescaling) and (c) the propagation plus the float64 Gram statistics at the recorded
    ``layers`` (every layer when None), as the distance simulations run it; the throughput
    ratios (a)/(b) and (a)/(c); the cost of one layer's statistics; and (d) seconds per block
    of the infinite-width Gram recursion of ``arch`` (``theory.gram_step``, exact BN) on the
    n x n input Gram over ``gram_blocks`` blocks, the work of neural-tangents' kernel_fn (NNGP
    kernel of n inputs)."""
    model = SeparabilityNet(arch, width, width, depth).initialise(seed)
    h0 = torch.randn(n, width, generator=torch.Generator().manual_seed(seed))
    weights = [torch.randn(width, width) / width**0.5 for _ in range(2)]
    products = 2 if architectures.get(arch).skip else 1
    labels = np.arange(n) % 10
    masks = class_pair_masks(labels)
    recorded = set(range(depth + 1) if layers is None else (int(layer) for layer in layers))

    def matmuls():
        h = h0
        for _ in range(depth):
            for weight in weights[:products]:
                h = h @ weight

    def forward():
        for _ in propagate(model, h0):
            pass

    def with_statistics():
        for layer, h, log_scale in propagate(model, h0):
            if layer in recorded:
                layer_statistics(gram(h), masks, log_scale)

    def gram_recursion():
        for _ in theory.gram_trajectory(arch, theory.input_gram(h0.numpy()), gram_blocks):
            pass

    plain = min(timeit.repeat(matmuls, repeat=repeats, number=1)) / depth
    propagation = min(timeit.repeat(forward, repeat=repeats, number=1)) / depth
    statistics = min(timeit.repeat(with_statistics, repeat=repeats, number=1)) / depth
    recursion = timeit.timeit(gram_recursion, number=1) / gram_blocks
    return {
        "arch": arch,
        "n": n,
        "width": width,
        "depth": depth,
        "threads": torch.get_num_threads(),
        "matmul_s_per_block": plain,
        "propagation_s_per_block": propagation,
        "with_statistics_s_per_block": statistics,
        "propagation_fraction_of_matmul": plain / propagation,
        "with_statistics_fraction_of_matmul": plain / statistics,
        "recorded_layers": len(recorded),
        "statistics_s_per_recorded_layer": (statistics - propagation) * depth / len(recorded),
        "gram_recursion_s_per_block": recursion,
    }


def throughput_table(
    architectures, n: int, width: int, depth: int, layers: Sequence[int] | None = None
) -> pd.DataFrame:
    """``propagation_throughput`` for each architecture, one row each."""
    return pd.DataFrame(
        [propagation_throughput(arch, n, width, depth, layers) for arch in architectures]
    )


def bn_theory_timing(x, depth: int, checked_layers=(0, 1, 10, 100, 300)) -> pd.DataFrame:
    """Cost and accuracy of the exact BN theory (resnet_bn Gram recursion, centred BN) on the
    inputs ``x``, one row: wall seconds for ``depth`` blocks and per block (exact, and the
    large-batch approximation for comparison), the exact form's CPU seconds (with one BLAS
    thread, the time on one core however loaded the machine is), BLAS threads, quadrature
    nodes per block (mean and largest), and the quadrature's measured error (relative max entry
    of B(K_l) against half the step and a 1000-fold tighter truncation) at the
    ``checked_layers`` within depth."""
    gram = theory.input_gram(x)
    exact, exact_cpu, nodes, errors = 0.0, 0.0, [], []
    for layer in range(depth):
        if layer in checked_layers:
            finer = theory.bn_relu_gram(
                gram, step=theory.BN_STEP / 2, tolerance=theory.BN_TOLERANCE / 1000
            )
            errors.append(
                float(np.max(np.abs(theory.bn_relu_gram(gram) - finer)) / np.max(np.abs(finer)))
            )
        lam, vec = theory.bn_spectrum(gram)
        nodes.append(len(theory.bn_quadrature(lam, len(gram), float(np.max((vec * vec) @ lam)))[0]))
        start, start_cpu = time.perf_counter(), time.process_time()
        gram = theory.gram_step("resnet_bn", gram)
        exact += time.perf_counter() - start
        exact_cpu += time.process_time() - start_cpu
    start = time.perf_counter()
    for _ in theory.gram_trajectory("resnet_bn", theory.input_gram(x), depth, bn="large_batch"):
        pass
    large_batch = time.perf_counter() - start
    threads = max(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")
    return pd.DataFrame(
        [
            {
                "n": len(x),
                "depth": depth,
                "blas_threads": threads,
                "exact_s": exact,
                "exact_s_per_block": exact / depth,
                "exact_cpu_s": exact_cpu,
                "exact_cpu_s_per_block": exact_cpu / depth,
                "large_batch_s_per_block": large_batch / depth,
                "step": theory.BN_STEP,
                "nodes_mean": float(np.mean(nodes)),
                "nodes_max": int(max(nodes)),
                "checked_layers": ",".join(str(layer) for layer in checked_layers if layer < depth),
                "max_quadrature_error": max(errors),
            }
        ]
    )


def startup_table(log_dir: str | Path) -> pd.DataFrame:
    """Start-up share of the jobs' CPU time, per rule, from the last line of every rule log
    under ``log_dir`` (``workflow.CPU_LINE``; the rule is a log's first directory, or its
    name): jobs, summed CPU seconds, summed start-up CPU seconds (interpreter, Snakemake's
    script preamble, imports: everything before the first line of work) and their ratio, with
    a last row ``all``. Logs without the line (shell rules, failed jobs) are skipped."""
    pattern = re.compile(re.escape(CPU_LINE).replace("%\\.3f", r"([0-9.]+)"))
    rows = []
    for path in sorted(Path(log_dir).rglob("*.log")):
        found = pattern.findall(path.read_text(errors="replace"))
        if found:
            parts = path.relative_to(log_dir).parts
            rule = parts[0] if len(parts) > 1 else path.stem
            rows.append(
                {"rule": rule, "cpu_s": float(found[-1][0]), "startup_s": float(found[-1][1])}
            )
    if not rows:
        raise ValueError(f"no rule log under {log_dir} ends with its CPU time")
    table = (
        pd.DataFrame(rows)
        .groupby("rule")
        .agg(jobs=("cpu_s", "size"), cpu_s=("cpu_s", "sum"), startup_s=("startup_s", "sum"))
    )
    table.loc["all"] = table.sum()
    table["startup_share"] = table.startup_s / table.cpu_s
    return table.reset_index()


def finite_width_timing(
    arch: str = "resnet",
    width: int = 512,
    depth: int = 100,
    networks: int = 64,
    real_networks: int = 2,
    large_width: int = 2**16,
    large_depth: int = 10_000,
    large_networks: int = 16,
    seed: int = 0,
) -> pd.DataFrame:
    """Cost of the Gram-space sampler (``finite_width``, docs/theory.md, section 9.1) on one
    thread (torch and BLAS limited to one), one row. (a) CPU seconds per layer of one pair
    (n = 2) at width N through ``real_networks`` real networks (``SeparabilityNet`` built and
    initialised, then ``propagate`` with the pair's cosine at every layer: drawing the N x N
    weights dominates) against the sampler's ``pair_angles`` per network-layer, ``networks``
    drawn together (and one network alone), and the ratio ``speedup``; (b) wall and CPU
    seconds of ``pair_angles`` for ``large_networks`` pairs from pi/2 through ``large_depth``
    blocks at width ``large_width`` (default N = 2^16, depth 10^4, 16 networks), with the mean
    final angle. The sampler's compiled kernels are warmed up first."""
    import math

    from threadpoolctl import threadpool_limits

    from separability import finite_width
    from separability.propagation import pair_cosines, pair_inputs

    def cpu_seconds(work) -> float:
        start = time.process_time()
        work()
        return time.process_time() - start

    def real() -> None:
        h0, _ = pair_inputs(width, [math.pi / 2], 1, seed)
        for k in range(real_networks):
            model = SeparabilityNet(arch, width, width, depth).initialise(seed + k)
            for _, h, _ in propagate(model, h0):
                pair_cosines(h)

    def sampled(count: int) -> None:
        finite_width.pair_angles(arch, math.pi / 2, width, depth, count, seed)

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            finite_width.pair_angles(arch, 1.0, 4, 1, 1, seed)  # compiles, or loads the cache
            network = cpu_seconds(real) / (depth * real_networks)
            sampler = cpu_seconds(lambda: sampled(networks)) / (depth * networks)
            single = cpu_seconds(lambda: sampled(1)) / depth
            start, start_cpu = time.perf_counter(), time.process_time()
            final = finite_width.pair_angles(
                arch, math.pi / 2, large_width, large_depth, large_networks, seed, [large_depth]
            )
            large_wall = time.perf_counter() - start
            large_cpu = time.process_time() - start_cpu
    finally:
        torch.set_num_threads(threads)
    return pd.DataFrame(
        [
            {
                "arch": arch,
                "width": width,
                "depth": depth,
                "networks": networks,
                "network_s_per_layer": network,
                "sampler_s_per_network_layer": sampler,
                "sampler_single_s_per_layer": single,
                "speedup": network / sampler,
                "large_width": large_width,
                "large_depth": large_depth,
                "large_networks": large_networks,
                "large_wall_s": large_wall,
                "large_cpu_s": large_cpu,
                "large_mean_theta": float(final.mean()),
            }
        ]
    )


def scalar_timing(depth: int = 100_000, angles: int = 64) -> pd.DataFrame:
    """Cost of the scalar recursion of one angle (``separability.scalar``, compiled): wall
    seconds for ``angles`` initial angles through ``depth`` blocks of each registered
    architecture's scalar form on one core (``seconds``), with the start-up costs of the kernel
    (``import_s``, ``compile_s``, ``cached_load_s``: ``scalar.startup_seconds``) on every row."""
    from separability import scalar

    startup = scalar.startup_seconds()
    rows = []
    for name in architectures.names():
        form = architectures.get(name).scalar_form()
        if form is not None:
            seconds = scalar.recursion_seconds(form, depth, angles)
            rows.append(
                {"arch": name, "depth": depth, "angles": angles, "seconds": seconds, **startup}
            )
    return pd.DataFrame(rows)


def summary_jobs(summary: pd.DataFrame) -> dict[str, dict]:
    """The jobs of a finished DAG from Snakemake's ``--detailed-summary`` table (one row per
    output file: its rule, log and input files): job (its log file) -> rule, outputs, inputs.
    Every rule of this workflow logs to its own file, so the log names the job."""
    jobs: dict[str, dict] = {}
    columns = {"log-file(s)": "log", "input-file(s)": "inputs"}
    for row in summary.rename(columns=columns).itertuples():
        log = str(row.log) if str(row.log) not in ("-", "nan") else f"{row.rule}:{row.output_file}"
        job = jobs.setdefault(log, {"rule": row.rule, "outputs": set(), "inputs": set()})
        job["outputs"].add(row.output_file)
        if str(row.inputs) not in ("-", "nan"):
            job["inputs"].update(str(row.inputs).split(","))
    return jobs


def job_seconds(log: str, root: Path) -> float:
    """Wall seconds of the job logging to ``log``: its benchmark file's ``s`` (the workflow
    keeps benchmarks/<rule>/... beside logs/<rule>/..., .tsv for .log), else the CPU time of
    the log's last line (``workflow.CPU_LINE``; local rules without a benchmark), else 0."""
    benchmark = root / Path(log.replace("logs/", "benchmarks/", 1)).with_suffix(".tsv")
    if benchmark.is_file():
        return float(pd.read_csv(benchmark, sep="\t")["s"].iloc[-1])
    path = root / log
    pattern = re.compile(re.escape(CPU_LINE).replace("%\\.3f", r"([0-9.]+)"))
    found = pattern.findall(path.read_text(errors="replace")) if path.is_file() else []
    return float(found[-1][0]) if found else 0.0


def critical_path(summary: pd.DataFrame, root: str | Path = ".") -> pd.DataFrame:
    """The longest chain of job wall times through a finished DAG (what a run on as many
    cores as jobs would take at least): from Snakemake's ``--detailed-summary`` table and the
    jobs' benchmark files under ``root``. One row per job of the chain, in order, with its
    rule, log, seconds and the running total."""
    root = Path(root)
    jobs = summary_jobs(summary)
    producer = {output: job for job, value in jobs.items() for output in value["outputs"]}
    parents = {
        job: {producer[i] for i in value["inputs"] if i in producer and producer[i] != job}
        for job, value in jobs.items()
    }
    seconds = {job: job_seconds(job, root) for job in jobs}
    finish: dict[str, tuple[float, str | None]] = {}

    def longest(job: str) -> float:
        if job not in finish:
            before = max(parents[job], key=longest, default=None)
            finish[job] = (seconds[job] + (longest(before) if before else 0.0), before)
        return finish[job][0]

    last = max(jobs, key=longest)
    chain = []
    while last is not None:
        chain.append(last)
        last = finish[last][1]
    rows = [
        {"rule": jobs[job]["rule"], "job": job, "seconds": seconds[job]} for job in reversed(chain)
    ]
    table = pd.DataFrame(rows)
    return table.assign(cumulative_s=table.seconds.cumsum())
