"""Throughput of the random-init propagation against this machine's plain matrix products on
the same shapes (issue: propagation should reach >= 0.5 of plain matmul throughput)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import torch

from separability.models import SeparabilityNet
from separability.propagation import propagate
from separability.statistics import class_pair_masks, gram, layer_statistics


def best_time(function, repeats: int) -> float:
    """Smallest wall time of ``repeats`` calls of ``function`` (seconds)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def propagation_throughput(arch: str, n: int, width: int, depth: int, seed: int = 0,
                           repeats: int = 3) -> dict[str, float]:
    """Seconds per block of (a) plain float32 matmuls of the block's shapes (n x N times N x N,
    one for mlp, two with a skip branch), (b) the propagation of ``propagate`` (blocks, BN,
    rescaling) and (c) the propagation plus the float64 Gram statistics at every layer; and
    the throughput ratios (a)/(b) and (a)/(c)."""
    model = SeparabilityNet(arch, width, width, depth).initialise(seed)
    h0 = torch.randn(n, width, generator=torch.Generator().manual_seed(seed))
    weights = [torch.randn(width, width) / width**0.5 for _ in range(2)]
    products = 1 if arch == "mlp" else 2
    labels = np.arange(n) % 10
    masks = class_pair_masks(labels)

    def matmuls():
        h = h0
        for _ in range(depth):
            for weight in weights[:products]:
                h = h @ weight

    def forward():
        for _ in propagate(model, h0):
            pass

    def with_statistics():
        for _, h, log_scale in propagate(model, h0):
            layer_statistics(gram(h), masks, log_scale)

    plain = best_time(matmuls, repeats) / depth
    propagation = best_time(forward, repeats) / depth
    statistics = best_time(with_statistics, 1) / depth
    return {"arch": arch, "n": n, "width": width, "depth": depth,
            "threads": torch.get_num_threads(), "matmul_s_per_block": plain,
            "propagation_s_per_block": propagation, "with_statistics_s_per_block": statistics,
            "propagation_fraction_of_matmul": plain / propagation,
            "with_statistics_fraction_of_matmul": plain / statistics}


def throughput_table(architectures, n: int, width: int, depth: int) -> pd.DataFrame:
    """``propagation_throughput`` for each architecture, one row each."""
    return pd.DataFrame([propagation_throughput(arch, n, width, depth) for arch in architectures])
