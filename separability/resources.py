"""Memory a job needs, estimated from its sizes before it runs, and the memory of this machine.

The estimates count the arrays that dominate, so that the workflow can refuse a configuration
that cannot fit before any job starts (a width of 10^5 would otherwise fail after hours, or
swap the machine to a halt):

- the random network's weights, float32: the input layer D x N and, per block, W (N x N) and,
  in the residual blocks, V (N x N): the whole network is built before propagating;
- the features of the propagated batch, float32, n x N, a few copies;
- the float64 n x n Gram matrix of the layer and what the statistics derive from it (pair
  masks, pair values, arc-cosine terms): measured as about 7 (simulation) and 10 (theory)
  n x n float64 arrays alive at once.

A trained network also keeps, per weight, its gradient and up to two optimiser moments.
The interpreter with torch loaded (about 0.5 GB) comes on top and is not counted, so the
estimates are lower bounds.
"""

from __future__ import annotations

import os
from pathlib import Path

FLOAT32, FLOAT64 = 4, 8
FEATURE_COPIES = 4
SIMULATION_GRAM_COPIES = 7
THEORY_GRAM_COPIES = 10
TRAINING_COPIES = 4  # weight, gradient and up to two optimiser moments
CGROUP_LIMIT = Path("/sys/fs/cgroup/memory.max")


def network_bytes(in_dim: int, width: int, depth: int) -> int:
    """Weights of a random network of ``depth`` residual blocks (two N x N matrices each, the
    most any architecture has) after a D x N input layer, float32."""
    return FLOAT32 * (in_dim * width + 2 * depth * width * width)


def simulation_bytes(n: int, in_dim: int, width: int, depth: int) -> int:
    """A finite-width propagation of ``n`` inputs: the network, the features and the Gram
    statistics of one layer."""
    return (
        network_bytes(in_dim, width, depth)
        + FLOAT32 * FEATURE_COPIES * n * width
        + FLOAT64 * SIMULATION_GRAM_COPIES * n * n
    )


def theory_bytes(n: int) -> int:
    """The infinite-width Gram recursion of ``n`` inputs (n x n float64 arrays)."""
    return FLOAT64 * THEORY_GRAM_COPIES * n * n


def training_bytes(n_train: int, in_dim: int, width: int, depth: int, runs: int = 1) -> int:
    """``runs`` training runs trained together (training.fit): each network with its gradients
    and optimiser moments, and the training split (float32)."""
    return runs * TRAINING_COPIES * network_bytes(in_dim, width, depth) + FLOAT32 * n_train * in_dim


def machine_memory_bytes() -> int:
    """Physical memory of this machine, or the cgroup (container) limit when that is lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        limit = CGROUP_LIMIT.read_text().strip()
    except OSError:
        return total
    return min(total, int(limit)) if limit.isdigit() else total
