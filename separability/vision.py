"""Torchvision image data sets (MNIST, Fashion-MNIST, CIFAR-10) read from a local directory in
torchvision's own on-disk format; downloaded only when allowed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

VISION_DATASETS = ("mnist", "fashion_mnist", "cifar10")


def expected_files(name: str, data_dir: str | Path) -> list[Path]:
    """Files torchvision needs on disk for data set ``name`` under ``data_dir``."""
    raise NotImplementedError


def missing_files(name: str, data_dir: str | Path) -> list[Path]:
    """The expected files of ``name`` that are not on disk."""
    return [path for path in expected_files(name, data_dir) if not path.exists()]


def load_vision(name: str, data_dir: str | Path, download: bool) -> tuple[np.ndarray, np.ndarray]:
    """Flattened images (float64) and labels of the train and test parts of ``name``."""
    raise NotImplementedError
