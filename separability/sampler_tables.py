"""Tidy tables of the Gram-space sampler (``separability.finite_width``, docs/theory.md, section
9.1): simulations at widths far beyond their depth, where the real networks of
``separability.propagation`` cannot go.

* C4's controlled pairs at width N much larger than the depth (``wide_pairs``): the
  infinite-width decay laws tested where finite width does not yet bend them;
* pairs inside a batch with per-unit centred BN over it (``batch_gram``, ``batch_theory``,
  ``batch_sampled``): the theory of C4's condition, the exact Gram recursion of the batch, and
  its finite-width simulation; ``batch_pair_angles`` reads the pairs' angles off a batch Gram;
* the width scan of figure 7 extended to N = 2^16 (``sampled_width_errors``), on a stratified
  part of the evaluation subset with the theory of that part.

Every chain draws from its own stream (``stream_seed``), so adding an architecture, an angle or
a width changes no other chain's draws.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from tqdm import tqdm

from separability import finite_width
from separability.data import stratified_subset
from separability.propagation import pair_inputs
from separability.tables import width_errors
from separability.theory import gram_trajectory
from separability.theory_tables import gram_table

PAIR_COLUMNS = ["arch", "source", "width", "network", "pair", "angle0", "layer", "theta"]


def stream_seed(seed: int, *keys) -> int:
    """The seed of one chain of a table: the table's ``seed`` and a CRC-32 of the keys naming
    the chain (architecture, width, angle, cell) mixed by numpy's SeedSequence."""
    key = zlib.crc32(repr(keys).encode())
    return int(np.random.SeedSequence([seed, key]).generate_state(1)[0])


def wide_pairs(
    arch: str,
    angles: Sequence[float],
    width: int,
    depth: int,
    networks: int,
    seed: int,
    layers: Sequence[int],
    s_w: float = 2.0,
    s_v: float = 2.0,
    s_b: float = 0.0,
    bn_eps: float = 1e-5,
) -> pd.DataFrame:
    """C4's controlled pairs at width N far beyond the depth: the angle theta_l of a pair from
    each initial angle in ``networks`` independent random networks of ``arch``
    (``finite_width.pair_angles``), at the recorded ``layers``. A normalised branch uses the
    shared variance normaliser (``bn_centering=False``), the BN of the scalar theory and of the
    real-network pairs (docs/theory.md, section 6). One row per network, angle and layer:
    arch, width, network, angle0, layer, theta."""
    layers = np.asarray(layers, dtype=int)
    tables = []
    for angle0 in tqdm(angles, desc=f"pairs {arch} N={width}", mininterval=2.0):
        theta = finite_width.pair_angles(
            arch,
            angle0,
            width,
            depth,
            networks,
            stream_seed(seed, arch, width, float(angle0)),
            layers,
            s_w=s_w,
            s_v=s_v,
            s_b=s_b,
            bn_centering=False,
            bn_eps=bn_eps,
        )
        tables.append(per_network_rows(theta, layers).assign(angle0=angle0))
    table = pd.concat(tables, ignore_index=True).assign(arch=arch, width=width)
    return table[["arch", "width", "network", "angle0", "layer", "theta"]]


def per_network_rows(values: np.ndarray, layers: np.ndarray, name: str = "theta") -> pd.DataFrame:
    """A networks x layers array as tidy rows: network, layer and the value as ``name``."""
    networks = np.arange(len(values))
    return pd.DataFrame(
        {
            "network": np.repeat(networks, len(layers)),
            "layer": np.tile(layers, len(networks)),
            name: np.asarray(values).ravel(),
        }
    )


def batch_gram(
    angles: Sequence[float], pairs_per_angle: int, width: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The per-unit Gram K_0 of a batch of controlled pairs, ``pairs_per_angle`` from each
    initial angle, each pair with its own random orthonormal frame in R^N (so that pairs are
    mutually near-orthogonal, cosines of order N^(-1/2)), as ``propagation.pair_inputs`` makes
    them: pair k at rows 2k and 2k + 1. Returns K_0 (n x n, n = 2 P, float64) and each pair's
    initial angle."""
    batch, angle0 = pair_inputs(width, angles, pairs_per_angle, seed)
    features = batch.double().numpy()
    return features @ features.T / width, angle0


def batch_pair_angles(gram: np.ndarray) -> np.ndarray:
    """The angle within each pair of a batch from its Gram (a stack ..., n x n, pair k at rows
    2k and 2k + 1): ``finite_width.pair_angle`` of each pair's 2 x 2 diagonal block, so float64
    resolves small angles; shape ... x n / 2."""
    gram = np.asarray(gram, dtype=np.float64)
    n = gram.shape[-1]
    if n % 2 or gram.shape[-2] != n:
        raise ValueError(f"a batch of pairs has an even number of rows, got {gram.shape}")
    first = np.arange(0, n, 2)
    blocks = np.stack(
        [
            np.stack([gram[..., first, first], gram[..., first, first + 1]], axis=-1),
            np.stack([gram[..., first + 1, first], gram[..., first + 1, first + 1]], axis=-1),
        ],
        axis=-2,
    )
    return finite_width.pair_angle(blocks)


def pair_rows(
    arch: str, source: str, width: float, angles: np.ndarray, angle0: np.ndarray, layer: int
) -> pd.DataFrame:
    """Rows of one recorded layer of a batch of pairs: ``angles`` is networks x pairs."""
    networks, pairs = angles.shape
    return pd.DataFrame(
        {
            "arch": arch,
            "source": source,
            "width": width,
            "network": np.repeat(np.arange(networks), pairs),
            "pair": np.tile(np.arange(pairs), networks),
            "angle0": np.tile(angle0, networks),
            "layer": layer,
            "theta": angles.ravel(),
        }
    )


def batch_rows(
    arch: str,
    source: str,
    width: float,
    steps: Iterable[tuple[int, np.ndarray, np.ndarray]],
    depth: int,
    angle0: np.ndarray,
    layers: Sequence[int],
) -> pd.DataFrame:
    """``pair_rows`` of a batch of pairs at the recorded ``layers`` of a Gram trajectory
    (``steps``: (layer, Gram, log scale) for layers 0..depth, one Gram or a stack of networks'
    Grams), with a progress bar."""
    wanted = set(np.asarray(layers, dtype=int).tolist())
    rows = [
        pair_rows(
            arch, source, width, batch_pair_angles(gram).reshape(-1, len(angle0)), angle0, layer
        )
        for layer, gram, _ in tqdm(
            steps, total=depth + 1, desc=f"batch {arch} ({source}, N={width})", mininterval=2.0
        )
        if layer in wanted
    ]
    return pd.concat(rows, ignore_index=True)


def batch_theory(
    arch: str,
    gram0: np.ndarray,
    angle0: np.ndarray,
    depth: int,
    layers: Sequence[int],
    s_w: float = 2.0,
    s_v: float = 2.0,
    s_b: float = 0.0,
) -> pd.DataFrame:
    """The infinite-width angles of the pairs of a batch whose normalised branches use real
    per-unit centred BN over the whole batch: the exact Gram recursion of the batch
    (``theory.gram_trajectory`` with the exact BN map, docs/theory.md, section 4), each pair's
    angle read by ``batch_pair_angles``. For an unnormalised architecture a pair's block
    depends on that pair alone, so its angles are the scalar theory's. Columns of
    ``PAIR_COLUMNS``, source "theory", width inf, network 0."""
    steps = gram_trajectory(arch, gram0, depth, s_w, s_v, s_b, bn_centering=True, bn="exact")
    return batch_rows(arch, "theory", math.inf, steps, depth, angle0, layers)


def batch_sampled(
    arch: str,
    gram0: np.ndarray,
    angle0: np.ndarray,
    width: int,
    depth: int,
    networks: int,
    seed: int,
    layers: Sequence[int],
    s_w: float = 2.0,
    s_v: float = 2.0,
    s_b: float = 0.0,
    bn_eps: float = 1e-5,
) -> pd.DataFrame:
    """The same batch of pairs as ``batch_theory`` through ``networks`` random networks of
    width N with real per-unit centred BN over the batch, drawn by the Gram-space sampler
    (``finite_width.sample_trajectory``). Columns of ``PAIR_COLUMNS``, source "sampler"."""
    stack = np.broadcast_to(gram0, (networks, *np.shape(gram0)))
    random = finite_width.Streams(stream_seed(seed, arch, width, "batch"))
    steps = finite_width.sample_trajectory(
        arch, stack, width, depth, random, s_w, s_v, s_b, bn_centering=True, bn_eps=bn_eps
    )
    return batch_rows(arch, "sampler", width, steps, depth, angle0, layers)


def sampled_width_errors(
    arch: str,
    x: np.ndarray,
    labels: np.ndarray,
    widths: Sequence[int],
    networks: Sequence[int],
    depth: int,
    samples: int | None,
    seed: int,
    s_in: float = 1.0,
    s_w: float = 2.0,
    s_v: float = 2.0,
    s_b: float = 0.0,
    bn_eps: float = 1e-5,
) -> pd.DataFrame:
    """Figure 7's finite-width error from the sampler: on a stratified part of ``samples``
    inputs of the evaluation subset (x, labels; all of it when None), the statistics of
    ``networks[i]`` random networks of width ``widths[i]`` through ``depth`` blocks
    (``finite_width.data_statistics``, centred per-unit BN for a normalised branch) and the
    mean over layers 1..depth of |ratio - ratio_theory| of each network (``tables.width_errors``,
    the statistic of the real-network scan), against the Gram-recursion theory of the same
    inputs in every variant of ``theory_tables.gram_table`` (exact BN and its large-batch
    approximation for a normalised branch). Columns arch, variant, width, network, samples,
    error."""
    if len(widths) != len(networks):
        raise ValueError(f"one number of networks per width: {widths} against {networks}")
    part = stratified_subset(labels, len(labels) if samples is None else samples, seed)
    x, labels = x[part], labels[part]
    theory = gram_table(arch, x, labels, depth, s_in, s_w, s_v, s_b, progress=False)
    tables = []
    for width, count in tqdm(list(zip(widths, networks)), desc=f"width scan {arch}"):
        statistics = finite_width.data_statistics(
            arch,
            x,
            labels,
            width,
            depth,
            count,
            stream_seed(seed, arch, width, "width scan"),
            s_in=s_in,
            s_w=s_w,
            s_v=s_v,
            s_b=s_b,
            bn_eps=bn_eps,
        )
        # width_errors groups by seed: here one per network
        by_network = statistics.drop(columns="seed").rename(columns={"network": "seed"})
        for variant, rows in theory.groupby("variant"):
            errors = width_errors(by_network, rows, variant).rename(columns={"seed": "network"})
            tables.append(errors.assign(variant=variant))
    table = pd.concat(tables, ignore_index=True).assign(samples=len(labels))
    return table[["arch", "variant", "width", "network", "samples", "error"]]
