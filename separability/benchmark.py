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
