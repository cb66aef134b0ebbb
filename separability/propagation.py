"""Random-init propagation: finite-width simulation of the statistics through the layers.

Features of the whole evaluation subset travel as one batch (BN uses that batch's statistics);
only per-layer statistics are kept, never all layers' features. Homogeneous architectures
(``mlp``, ``resnet``) have their features divided by their root mean square after every block
and the log of that scale carried (docs/models.md); normalised ones (``resnet_bn``,
``mlp_bn``) are never rescaled.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from separability.models import SeparabilityNet
from separability.statistics import class_pair_masks, gram, layer_statistics


def propagate(
    model: SeparabilityNet, h0: torch.Tensor
) -> Iterator[tuple[int, torch.Tensor, float]]:
    """Yield ``(l, h_l / scale_l, log scale_l^2)`` for l = 0..L, starting from the features h0
    of layer 0 and applying the model's blocks in turn (no input layer; see ``input_features``).
    With biases (s_b > 0) the blocks are not homogeneous: each block then sees its biases
    divided by scale_l, which is the same model on the rescaled features."""
    h, log_scale = h0, 0.0
    rescale = model.entry.homogeneous
    with torch.no_grad():
        yield 0, h, log_scale
        for layer, block in enumerate(model.blocks, start=1):
            h = block(h, math.exp(-0.5 * log_scale))
            if rescale:  # any positive scalar will do: its log is carried exactly
                mean_square = float(h.square().mean())
                if mean_square > 0:  # all-zero features (every unit dead) stay zero: data
                    h.mul_(1.0 / math.sqrt(mean_square))
                    log_scale += math.log(mean_square)
            yield layer, h, log_scale


def input_features(model: SeparabilityNet, x: np.ndarray) -> torch.Tensor:
    """h0 = A x for a batch of prepared inputs (float32)."""
    with torch.no_grad():
        return model.input(torch.as_tensor(x, dtype=torch.float32))


def data_statistics(
    arch: str,
    x: np.ndarray,
    labels: np.ndarray,
    width: int,
    depth: int,
    seed: int,
    layers: Sequence[int] | None = None,
    progress: bool = True,
    **model_kwargs,
) -> pd.DataFrame:
    """Propagate the evaluation subset ``x`` through a random network and return a tidy table,
    one row per recorded layer, of the docs/statistics.md statistics (see ``layer_statistics``)."""
    model = SeparabilityNet(arch, x.shape[1], width, depth, **model_kwargs).initialise(seed)
    masks = class_pair_masks(labels)
    wanted = set(range(depth + 1) if layers is None else (int(layer) for layer in layers))
    rows = []
    steps = propagate(model, input_features(model, x))
    for layer, h, log_scale in tqdm(
        steps,
        total=depth + 1,
        desc=f"{arch} N={width} seed={seed}",
        disable=not progress,
        mininterval=2.0,
    ):
        if layer in wanted:
            rows.append({"layer": layer, **layer_statistics(gram(h), masks, log_scale)})
    return pd.DataFrame(rows).assign(arch=arch, width=width, seed=seed)


def pair_inputs(
    width: int, angles: Sequence[float], pairs_per_angle: int, seed: int
) -> tuple[torch.Tensor, np.ndarray]:
    """Random pairs of vectors in R^N with per-unit second moment 1 and the given angles.

    Returns the batch (2 P x N, pair k at rows 2k and 2k + 1) and each pair's initial angle.
    Pairs are independent random orthonormal frames, so different pairs are nearly orthogonal.
    """
    generator = torch.Generator().manual_seed(seed)
    n_pairs = len(angles) * pairs_per_angle
    frames, _ = torch.linalg.qr(
        torch.randn(n_pairs, width, 2, generator=generator, dtype=torch.float64)
    )
    angle = np.repeat(np.asarray(angles, dtype=float), pairs_per_angle)
    theta = torch.as_tensor(angle)[:, None]
    first = frames[:, :, 0]
    second = torch.cos(theta) * frames[:, :, 0] + torch.sin(theta) * frames[:, :, 1]
    batch = torch.stack([first, second], dim=1).reshape(2 * n_pairs, width) * math.sqrt(width)
    return batch.to(torch.float32), angle


def pair_cosines(h: torch.Tensor) -> np.ndarray:
    """Cosine within each consecutive pair of rows of h (float64)."""
    pairs = h.double().reshape(-1, 2, h.shape[1])
    dot = (pairs[:, 0] * pairs[:, 1]).sum(dim=1)
    return (dot / (pairs[:, 0].norm(dim=1) * pairs[:, 1].norm(dim=1))).numpy()


def pair_statistics(
    arch: str,
    width: int,
    depth: int,
    seed: int,
    angles: Sequence[float],
    pairs_per_angle: int,
    progress: bool = True,
    **model_kwargs,
) -> pd.DataFrame:
    """Propagate controlled input pairs straight through ``depth`` random blocks (no input
    layer, as in the scalar theory) and return, per layer and initial angle, the mean angle
    theta_l and mean cosine over the pairs. A normalised architecture should use
    ``bn_centering=False`` (the shared variance normaliser) to match the variance-only scalar
    theory (docs/theory.md)."""
    model = SeparabilityNet(arch, width, width, depth, **model_kwargs).initialise(seed)
    h0, angle0 = pair_inputs(width, angles, pairs_per_angle, seed + 1_000_003)
    rows = []
    steps = propagate(model, h0)
    for layer, h, _ in tqdm(
        steps,
        total=depth + 1,
        desc=f"pairs {arch} N={width} seed={seed}",
        disable=not progress,
        mininterval=2.0,
    ):
        cos = np.clip(pair_cosines(h), -1.0, 1.0).reshape(len(angles), pairs_per_angle)
        rows.append(
            pd.DataFrame(
                {
                    "layer": layer,
                    "angle0": angle0[::pairs_per_angle],
                    "cos": cos.mean(axis=1),
                    "theta": np.arccos(cos).mean(axis=1),
                }
            )
        )
    return pd.concat(rows, ignore_index=True).assign(arch=arch, width=width, seed=seed)
