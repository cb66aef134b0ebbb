"""Data preparation (docs/data.md): load, split, standardise, pick the evaluation subset.

Every data set ends as one ``.npz`` file with the standardised splits (x_train, y_train,
x_val, y_val, x_test, y_test), the evaluation subset (x_eval, y_eval), the held-out subset
of the test split (x_heldout, y_heldout) and the training mean/scale, written once and read
by every later rule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

SPLITS = ("train", "val", "test")


def standardisation(x_train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and scale of the training split; a feature that is constant in the
    training split keeps scale 1 (dividing by a tiny epsilon, or by the ~1e-17 rounding residue
    that std() leaves on a constant non-zero feature, would turn one unseen value into a huge
    outlier that swamps every distance)."""
    mean = x_train.mean(axis=0)
    constant = x_train.max(axis=0) == x_train.min(axis=0)
    return mean, np.where(constant, 1.0, x_train.std(axis=0))


def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled handwritten digits: 1797 flattened 8x8 images, labels 0..9."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return x.astype(np.float64), y.astype(np.int64)


def synthetic(
    n_classes: int, dim: int, n_per_class: int, between_angle: float, within_angle: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters with controlled angles, all points of squared norm about ``dim``.

    Class centres are random unit directions mixed so that two centres meet at
    ``between_angle`` (radians, at most pi/2); each point is its centre rotated by noise so that
    a point and its centre meet at about ``within_angle``. In high dimension the angle between
    two points of one class is then about arccos(cos^2 within_angle) and across classes about
    arccos(cos^2 within_angle cos between_angle).
    """
    if not 0 < between_angle <= np.pi / 2 or not 0 < within_angle < np.pi / 2:
        raise ValueError("synthetic: need 0 < between_angle <= pi/2 and 0 < within_angle < pi/2")
    rng = np.random.default_rng(seed)
    shared = rng.standard_normal(dim)
    shared /= np.linalg.norm(shared)
    own = rng.standard_normal((n_classes, dim))
    own -= np.outer(own @ shared, shared)
    own /= np.linalg.norm(own, axis=1, keepdims=True)
    # cos(centre_a, centre_b) = w^2 with own directions orthogonal in high dimension
    weight = np.sqrt(np.cos(between_angle))
    centres = weight * shared + np.sqrt(1 - weight**2) * own
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = np.repeat(np.arange(n_classes), n_per_class)
    noise = rng.standard_normal((len(labels), dim))
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    points = np.cos(within_angle) * centres[labels] + np.sin(within_angle) * noise
    points *= np.sqrt(dim) / np.linalg.norm(points, axis=1, keepdims=True)
    return points, labels.astype(np.int64)


def stratified_splits(
    y: np.ndarray, val_fraction: float, test_fraction: float, seed: int
) -> dict[str, np.ndarray]:
    """Indices of a fixed, seeded, stratified train/val/test split of labels ``y``."""
    from sklearn.model_selection import train_test_split  # deferred: slow, preparation only

    index = np.arange(len(y))
    rest, test = train_test_split(index, test_size=test_fraction, stratify=y, random_state=seed)
    train, val = train_test_split(
        rest, test_size=val_fraction / (1 - test_fraction), stratify=y[rest], random_state=seed + 1
    )
    return {"train": np.sort(train), "val": np.sort(val), "test": np.sort(test)}


def training_split_size(
    n_samples: int, val_fraction: float, test_fraction: float, train_size: int | None = None
) -> int:
    """Samples in the training split of ``stratified_splits`` (scikit-learn rounds each held-out
    part up), after the optional stratified subsample to ``train_size``: the largest
    evaluation subset ``prepare`` can draw."""
    rest = n_samples - math.ceil(test_fraction * n_samples)
    train = rest - math.ceil(val_fraction / (1 - test_fraction) * rest)
    return train if train_size is None else min(train, train_size)


def stratified_subset(y: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Sorted indices of a seeded stratified subset of ``size`` labels (all of them if fewer)."""
    from sklearn.model_selection import train_test_split

    if size >= len(y):
        return np.arange(len(y))
    subset, _ = train_test_split(np.arange(len(y)), train_size=size, stratify=y, random_state=seed)
    return np.sort(subset)


def prepare(
    x: np.ndarray,
    y: np.ndarray,
    val_fraction: float,
    test_fraction: float,
    eval_size: int,
    seed: int,
    train_size: int | None = None,
) -> dict[str, np.ndarray]:
    """Split (stratified, seeded), optionally subsample the training split to ``train_size``,
    standardise with the training statistics and draw the evaluation subset (x_eval, y_eval:
    stratified, from the training split) and the held-out subset of the same size (x_heldout,
    y_heldout: stratified, from the test split; the whole test split when that is smaller),
    on which separability after training is measured (docs/training.md). Returns the arrays
    written by ``save_prepared``."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    y = np.asarray(y, dtype=np.int64)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} inputs but {len(y)} labels")
    splits = stratified_splits(y, val_fraction, test_fraction, seed)
    if train_size is not None:
        splits["train"] = splits["train"][stratified_subset(y[splits["train"]], train_size, seed)]
    mean, scale = standardisation(x[splits["train"]])
    prepared = {}
    for name, index in splits.items():
        prepared[f"x_{name}"] = ((x[index] - mean) / scale).astype(np.float32)
        prepared[f"y_{name}"] = y[index]
    evaluation = stratified_subset(prepared["y_train"], eval_size, seed + 2)
    prepared["x_eval"] = prepared["x_train"][evaluation]
    prepared["y_eval"] = prepared["y_train"][evaluation]
    heldout = stratified_subset(prepared["y_test"], len(evaluation), seed + 3)
    prepared["x_heldout"] = prepared["x_test"][heldout]
    prepared["y_heldout"] = prepared["y_test"][heldout]
    prepared["mean"], prepared["scale"] = mean, scale
    return prepared


def save_prepared(prepared: Mapping[str, np.ndarray], path: str | Path) -> None:
    """Write the prepared arrays to one compressed ``.npz`` file."""
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **prepared)


def load_prepared(path: str | Path) -> dict[str, np.ndarray]:
    """Read a prepared data set written by ``save_prepared``."""
    with np.load(path) as data:
        return {key: data[key] for key in data.files}


DIGITS_SHAPE = (1797, 64)  # scikit-learn's digits: samples, input dimension


def data_shape(
    name: str, data_dir: str | Path, synthetic_params: Mapping | None = None
) -> tuple[int, int]:
    """(samples, input dimension) of the data set ``name`` without loading it (as
    ``load_dataset`` would return it), for checks before any job."""
    if name == "digits":
        return DIGITS_SHAPE
    if name == "synthetic":
        if synthetic_params is None:
            raise ValueError("the synthetic data set needs its parameters (data: synthetic:)")
        return synthetic_params["n_classes"] * synthetic_params["n_per_class"], synthetic_params[
            "dim"
        ]
    from separability.vision import data_shape as vision_shape

    return vision_shape(name, data_dir)


def load_dataset(
    name: str, data_dir: str | Path, download: bool, synthetic_params: Mapping | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Raw inputs (flattened) and labels of the data set ``name``: ``digits``, ``synthetic``
    (with ``synthetic_params`` for ``synthetic``), or a torchvision data set read from
    ``data_dir`` (downloaded first only when ``download`` is true)."""
    if name == "digits":
        return digits()
    if name == "synthetic":
        if synthetic_params is None:
            raise ValueError("the synthetic data set needs its parameters (data: synthetic:)")
        return synthetic(**synthetic_params)
    from separability.vision import load_vision

    return load_vision(name, data_dir, download)
