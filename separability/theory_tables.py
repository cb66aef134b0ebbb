"""Tidy tables of the infinite-width theory (docs/theory.md): the per-layer statistics of an
evaluation subset under the Gram recursion of each architecture (with the variants of the BN
map, figures 1, 2, 7 and claims C2, C3, C6), and the scalar recursion of one angle to great
depth (figure 3, claim C4). The maps themselves are ``separability.theory``'s."""

from __future__ import annotations

import numpy as np
import pandas as pd
from tqdm import tqdm

from separability import architectures
from separability.statistics import class_pair_masks, layer_statistics
from separability.theory import check_bn_form, gram_trajectory, input_gram, log_angle_trajectory


def theory_variant(arch: str, bn_centering: bool = True, bn: str = "exact") -> str:
    """Name of a Gram-recursion variant in the theory tables: "-" for an unnormalised
    architecture (mlp, resnet); for a normalised one (resnet_bn, mlp_bn) "centred" or
    "variance_only", with "_large_batch" appended for the large-batch approximation of BN."""
    if not architectures.get(arch).normalised:
        return "-"
    name = "centred" if bn_centering else "variance_only"
    return name if check_bn_form(bn) == "exact" else f"{name}_large_batch"


def gram_statistics(
    arch: str,
    x: np.ndarray,
    labels: np.ndarray,
    depth: int,
    s_in: float = 1.0,
    s_w: float = 2.0,
    s_v: float = 2.0,
    s_b: float = 0.0,
    bn_centering: bool = True,
    bn: str = "exact",
    progress: bool = True,
) -> pd.DataFrame:
    """Infinite-width statistics (docs/statistics.md) of the evaluation subset (x, labels) at
    every layer 0..depth: the Gram recursion from K_0 = s_in X X^T / D, statistics by
    ``layer_statistics`` (the same function the simulation uses); column ``variant`` names the
    BN form (``theory_variant``)."""
    masks = class_pair_masks(labels)
    steps = gram_trajectory(arch, input_gram(x, s_in), depth, s_w, s_v, s_b, bn_centering, bn)
    rows = [
        {"layer": layer, **layer_statistics(gram, masks, log_scale)}
        for layer, gram, log_scale in tqdm(
            steps, total=depth + 1, disable=not progress, desc=f"theory {arch}", mininterval=2.0
        )
    ]
    return pd.DataFrame(rows).assign(arch=arch, variant=theory_variant(arch, bn_centering, bn))


def table_variants(arch: str, bn: str = "exact", centering: bool = True) -> list[tuple[bool, str]]:
    """The (bn_centering, bn form) variants of one theory table of ``arch``: one for an
    unnormalised architecture; for a normalised one with ``centering`` centred BN in the form
    ``bn`` and, with the exact form, also the centred large-batch approximation (cheap: one
    ReLU map per block), drawn as a marked secondary curve; without ``centering``
    variance-only BN in the form ``bn`` (a table of its own: only the figures draw it)."""
    if not architectures.get(arch).normalised:
        return [(True, check_bn_form(bn))]
    if not centering:
        return [(False, check_bn_form(bn))]
    extra = [(True, "large_batch")] if check_bn_form(bn) == "exact" else []
    return [(True, bn), *extra]


def gram_table(
    arch: str,
    x: np.ndarray,
    labels: np.ndarray,
    depth: int,
    s_in: float = 1.0,
    s_w: float = 2.0,
    s_v: float = 2.0,
    s_b: float = 0.0,
    bn: str = "exact",
    centering: bool = True,
    progress: bool = True,
) -> pd.DataFrame:
    """``gram_statistics`` of every variant of ``table_variants(arch, bn, centering)``,
    stacked: one theory table of one architecture (rows told apart by ``variant``)."""
    return pd.concat(
        [
            gram_statistics(arch, x, labels, depth, s_in, s_w, s_v, s_b, centred, form, progress)
            for centred, form in table_variants(arch, bn, centering)
        ],
        ignore_index=True,
    )


def scalar_angles(
    architectures,
    angles,
    depth: int,
    layers: np.ndarray,
    s_w: float = 2.0,
    s_v: float = 2.0,
    s_b: float = 0.0,
) -> pd.DataFrame:
    """Tidy table of the scalar recursion: cosine, angle theta_l and log theta_l for every
    architecture and initial angle at the given layers (0..depth); log_theta stays exact where
    an exponential decay takes theta below float64's range."""
    angles = np.asarray(angles, dtype=float)
    layers = np.asarray(layers, dtype=int)
    tables = []
    for arch in architectures:
        log_theta = log_angle_trajectory(arch, angles, depth, s_w, s_v, s_b=s_b, layers=layers)
        for angle0, row in zip(angles, log_theta):
            theta = np.exp(row)
            tables.append(
                pd.DataFrame(
                    {
                        "arch": arch,
                        "angle0": angle0,
                        "layer": layers,
                        "cos": np.cos(theta),
                        "theta": theta,
                        "log_theta": row,
                    }
                )
            )
    return pd.concat(tables, ignore_index=True)
