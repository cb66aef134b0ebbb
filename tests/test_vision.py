"""Torchvision data sets (separability.vision) on small fake files in torchvision's on-disk
formats (tests/fake_vision.py): layout, loading, integrity errors, splits and standardisation,
and the workflow on a fake MNIST. No test touches the network."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from fake_vision import (
    BORDER,
    patch_cifar10_checksums,
    write_fake_cifar10,
    write_fake_mnist,
    write_idx,
)
from torchvision import datasets

from separability.data import (
    data_shape,
    load_dataset,
    prepare,
    stratified_splits,
    training_split_size,
)
from separability.vision import (
    PUBLISHED_SAMPLES,
    VISION_DATASETS,
    VisionDataError,
    VisionFilesMissing,
    expected_files,
    load_vision,
    missing_files,
    missing_message,
)

REPO = Path(__file__).resolve().parents[1]
MNIST_LIKE = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST"}


@pytest.fixture
def fake_cifar(tmp_path, monkeypatch):
    """A fake CIFAR-10 under tmp_path whose md5 sums torchvision is told to expect."""
    images, labels = write_fake_cifar10(tmp_path)
    patch_cifar10_checksums(monkeypatch, tmp_path)
    return tmp_path, images, labels


def test_expected_files_follow_torchvision_layout(tmp_path):
    raw = [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ]
    for name, folder in MNIST_LIKE.items():
        assert expected_files(name, tmp_path) == [tmp_path / folder / "raw" / f for f in raw]
        # torchvision's own raw folder and its resource names without .gz
        tv = getattr(datasets, folder)
        assert {Path(tv.resources[i][0]).stem for i in range(4)} == set(raw)
    cifar = [
        "data_batch_1",
        "data_batch_2",
        "data_batch_3",
        "data_batch_4",
        "data_batch_5",
        "test_batch",
        "batches.meta",
    ]
    assert expected_files("cifar10", tmp_path) == [
        tmp_path / "cifar-10-batches-py" / f for f in cifar
    ]
    assert set(VISION_DATASETS) == {"mnist", "fashion_mnist", "cifar10"}
    with pytest.raises(ValueError, match="unknown"):
        expected_files("svhn", tmp_path)


def test_missing_files_lists_the_absent_ones(tmp_path):
    assert missing_files("mnist", tmp_path) == expected_files("mnist", tmp_path)
    write_fake_mnist(tmp_path)
    assert missing_files("mnist", tmp_path) == []
    gone = expected_files("mnist", tmp_path)[2]
    gone.unlink()
    assert missing_files("mnist", tmp_path) == [gone]
    assert missing_files("fashion_mnist", tmp_path) == expected_files("fashion_mnist", tmp_path)


def test_a_directory_in_place_of_a_file_is_named_as_such(tmp_path):
    write_fake_mnist(tmp_path)
    path = expected_files("mnist", tmp_path)[1]
    path.unlink()
    path.mkdir()
    assert missing_files("mnist", tmp_path) == [path]
    message = missing_message("mnist", tmp_path, [path])
    assert f"{path} (a directory or other non-file is there)" in message
    with pytest.raises(VisionFilesMissing, match="a directory or other non-file"):
        load_vision("mnist", tmp_path)


def test_data_shape_before_loading(tmp_path):
    """Sizes known without loading, as the workflow's checks use them: the IDX headers' counts
    when readable, else the published counts; they agree with what is loaded."""
    assert data_shape("mnist", tmp_path) == (PUBLISHED_SAMPLES["mnist"], 784)
    assert data_shape("cifar10", tmp_path) == (60_000, 3072)
    write_fake_mnist(tmp_path, n_train=80, n_test=20)
    x, y = load_vision("mnist", tmp_path)
    assert data_shape("mnist", tmp_path) == x.shape == (100, 784)
    expected_files("mnist", tmp_path)[1].write_bytes(b"broken")  # reported when read, not here
    assert data_shape("mnist", tmp_path) == (PUBLISHED_SAMPLES["mnist"], 784)
    x, y = load_dataset("digits", tmp_path, False)
    assert data_shape("digits", tmp_path) == x.shape
    params = dict(n_classes=4, dim=16, n_per_class=30, between_angle=1.2, within_angle=0.6, seed=0)
    assert (
        data_shape("synthetic", tmp_path, params)
        == load_dataset("synthetic", tmp_path, False, params)[0].shape
    )


@pytest.mark.parametrize(
    "fractions",
    [(0.2, 0.2, None), (0.1, 0.3, None), (0.33, 0.17, None), (0.2, 0.2, 300), (0.2, 0.2, 5000)],
)
def test_training_split_size_is_the_prepared_one(fractions):
    val, test, train_size = fractions
    x, y = load_dataset("digits", ".", False)
    prepared = prepare(x, y, val, test, 20, 0, train_size)
    assert training_split_size(len(y), val, test, train_size) == len(prepared["y_train"])


@pytest.mark.parametrize("name", sorted(MNIST_LIKE))
def test_load_mnist_like(tmp_path, name):
    images, labels = write_fake_mnist(tmp_path, MNIST_LIKE[name], n_train=40, n_test=20)
    x, y = load_vision(name, tmp_path, download=False)
    assert x.shape == (60, 28 * 28) and x.dtype == np.float64
    assert y.shape == (60,) and y.dtype == np.int64
    # training part then test part, pixel values byte / 256 (exact), row-major 28x28
    np.testing.assert_array_equal(x * 256, images.reshape(60, -1))
    np.testing.assert_array_equal(y, labels)
    assert set(y) == set(range(10)) and 0 <= x.min() and x.max() < 1
    # the pipeline's entry point dispatches to the same loader
    x2, y2 = load_dataset(name, tmp_path, False)
    np.testing.assert_array_equal(x2, x)
    np.testing.assert_array_equal(y2, y)


def test_load_cifar10(fake_cifar):
    root, images, labels = fake_cifar
    x, y = load_vision("cifar10", root)
    assert x.shape == (5 * 10 + 20, 3 * 32 * 32) and x.dtype == np.float64
    assert y.dtype == np.int64 and set(y) == set(range(10))
    # channel-first 3x32x32 flattening, as in the batch files
    np.testing.assert_array_equal(x * 256, images.reshape(len(images), -1))
    np.testing.assert_array_equal(y, labels)


def test_cifar10_checksums_of_torchvision_are_enforced(tmp_path):
    """A file whose md5 is not torchvision's is named, with the md5 expected and what to do."""
    from torchvision.datasets import CIFAR10

    write_fake_cifar10(tmp_path)  # fakes do not match the real files' md5 sums
    with pytest.raises(
        VisionDataError, match="data_batch_1 is truncated or corrupted: md5"
    ) as error:
        load_vision("cifar10", tmp_path)
    assert CIFAR10.train_list[0][1] in str(error.value)
    assert "download: true" in str(error.value)


def test_missing_file_error_lists_files_and_download_line(tmp_path):
    write_fake_mnist(tmp_path)
    gone = expected_files("mnist", tmp_path)[1]
    gone.unlink()
    with pytest.raises(VisionFilesMissing) as error:
        load_vision("mnist", tmp_path, download=False)
    message = str(error.value)
    assert str(gone) in message and "download: true" in message
    assert str(expected_files("mnist", tmp_path)[0]) not in message  # only the missing one
    assert isinstance(error.value, FileNotFoundError)
    empty = tmp_path / "empty"
    with pytest.raises(VisionFilesMissing) as error:
        load_vision("cifar10", empty)
    assert all(str(path) in str(error.value) for path in expected_files("cifar10", empty))


@pytest.mark.parametrize("which", [0, 1, 3])
def test_truncated_mnist_file_is_named(tmp_path, which):
    write_fake_mnist(tmp_path)
    path = expected_files("mnist", tmp_path)[which]
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(VisionDataError, match="is truncated") as error:
        load_vision("mnist", tmp_path)
    assert str(path) in str(error.value)


def test_truncated_cifar_file_is_named(fake_cifar):
    root = fake_cifar[0]
    path = expected_files("cifar10", root)[2]
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(VisionDataError, match="truncated or corrupted") as error:
        load_vision("cifar10", root)
    assert str(path) in str(error.value)


def test_corrupted_mnist_files_are_named(tmp_path):
    write_fake_mnist(tmp_path)
    images, labels = expected_files("mnist", tmp_path)[:2]
    data = bytearray(images.read_bytes())
    data[3] = 0x01  # magic of a 1-dimensional file
    images.write_bytes(bytes(data))
    with pytest.raises(VisionDataError, match="magic number") as error:
        load_vision("mnist", tmp_path)
    assert str(images) in str(error.value)
    write_fake_mnist(tmp_path)
    labels.write_bytes(labels.read_bytes() + b"\0")
    with pytest.raises(VisionDataError, match="trailing bytes") as error:
        load_vision("mnist", tmp_path)
    assert str(labels) in str(error.value)


def test_gzip_file_under_raw_name_is_named(tmp_path):
    import gzip

    write_fake_mnist(tmp_path)
    path = expected_files("mnist", tmp_path)[0]
    path.write_bytes(gzip.compress(path.read_bytes()))
    with pytest.raises(VisionDataError, match="gzip-compressed") as error:
        load_vision("mnist", tmp_path)
    assert str(path) in str(error.value)


def test_image_shape_label_range_and_counts_are_checked(tmp_path):
    write_fake_mnist(tmp_path)
    images, labels, test_images, test_labels = expected_files("mnist", tmp_path)
    write_idx(test_images, np.zeros((20, 32, 32), np.uint8))
    with pytest.raises(VisionDataError, match="32x32 images, expected 28x28"):
        load_vision("mnist", tmp_path)
    write_fake_mnist(tmp_path)
    write_idx(labels, np.arange(39, dtype=np.uint8) % 10)
    with pytest.raises(VisionDataError, match="40 images but .* 39 labels"):
        load_vision("mnist", tmp_path)
    write_fake_mnist(tmp_path)
    write_idx(test_labels, np.full(20, 10, np.uint8))
    with pytest.raises(VisionDataError, match=r"labels from 10 to 10 .*expected 0\.\.9") as error:
        load_vision("mnist", tmp_path)
    assert str(test_labels) in str(error.value)


def test_torchvision_errors_name_the_files(fake_cifar, monkeypatch):
    root = fake_cifar[0]
    path = root / "cifar-10-batches-py" / "test_batch"
    path.write_bytes(b"not a pickle")
    patch_cifar10_checksums(monkeypatch, root)  # the checksum passes, unpickling fails
    with pytest.raises(VisionDataError, match="could not read the test part") as error:
        load_vision("cifar10", root)
    assert str(path) in str(error.value)


def test_download_goes_through_torchvision(tmp_path, monkeypatch):
    calls = []

    def fake_download(self):  # stands in for the network: torchvision's download() writes raw/
        calls.append(self.root)
        if missing_files("mnist", self.root):
            write_fake_mnist(self.root)

    monkeypatch.setattr(datasets.MNIST, "download", fake_download)
    x, y = load_vision("mnist", tmp_path / "new", download=True)
    assert x.shape == (60, 784) and calls and missing_files("mnist", tmp_path / "new") == []
    monkeypatch.undo()  # with the files present, torchvision's own download() does nothing
    x2, _ = load_vision("mnist", tmp_path / "new", download=True)
    np.testing.assert_array_equal(x2, x)


def test_stratified_splits_subsampling_and_standardisation(tmp_path):
    write_fake_mnist(tmp_path, n_train=150, n_test=50)
    x, y = load_vision("mnist", tmp_path)
    split = dict(val_fraction=0.2, test_fraction=0.2, eval_size=30, seed=0)
    prepared = prepare(x, y, **split)
    again = prepare(x, y, **split)
    for key in prepared:
        np.testing.assert_array_equal(prepared[key], again[key])  # fixed seed, same splits
    index = stratified_splits(y, 0.2, 0.2, 0)
    assert sorted(np.concatenate(list(index.values())).tolist()) == list(range(200))
    for name, size in (("train", 120), ("val", 40), ("test", 40)):
        assert len(prepared[f"y_{name}"]) == size
        # stratified: every class in proportion (20 of each class in 200 samples)
        np.testing.assert_array_equal(
            np.bincount(prepared[f"y_{name}"], minlength=10), np.full(10, size // 10)
        )
        np.testing.assert_array_equal(prepared[f"y_{name}"], y[index[name]])
    np.testing.assert_array_equal(np.bincount(prepared["y_eval"]), np.full(10, 3))
    # training statistics only
    train = x[index["train"]]
    np.testing.assert_allclose(prepared["mean"], train.mean(axis=0))
    varying = train.std(axis=0) > 0
    np.testing.assert_allclose(prepared["scale"][varying], train.std(axis=0)[varying])
    np.testing.assert_allclose(prepared["x_train"][:, varying].mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(prepared["x_train"][:, varying].std(axis=0), 1, atol=1e-4)
    np.testing.assert_allclose(
        prepared["x_test"],
        (x[index["test"]] - prepared["mean"]) / prepared["scale"],
        rtol=1e-5,
        atol=1e-5,
    )
    # the constant border pixels have zero variance: scale 1, standardised value 0 everywhere
    border = np.zeros((28, 28), bool)
    border[[0, -1], :] = border[:, [0, -1]] = True
    border = border.ravel()
    assert not varying[border].any() and varying[~border].all()
    np.testing.assert_array_equal(prepared["scale"][border], 1.0)
    np.testing.assert_allclose(prepared["mean"][border], BORDER / 256)
    for name in ("train", "val", "test", "eval"):
        np.testing.assert_allclose(prepared[f"x_{name}"][:, border], 0, atol=1e-6)
    # a configurable, stratified training-set size
    small = prepare(x, y, **split, train_size=50)
    assert len(small["y_train"]) == 50 and len(small["y_test"]) == 40
    np.testing.assert_array_equal(np.bincount(small["y_train"]), np.full(10, 5))
    np.testing.assert_array_equal(small["y_test"], prepared["y_test"])  # only train subsampled
    np.testing.assert_allclose(small["mean"][border], BORDER / 256)


def fake_mnist_config(tmp_path: Path) -> tuple[Path, Path]:
    """A small config on a fake MNIST (tests/config.smoke.yaml with datasets [mnist] and
    data_dir on the fake files) and the work directory; one architecture keeps the run short."""
    data_dir = tmp_path / "data"
    write_fake_mnist(data_dir, n_train=80, n_test=20)
    config = yaml.safe_load((REPO / "tests" / "config.smoke.yaml").read_text())
    config.update(datasets=["mnist"], data_dir=str(data_dir), architectures=["resnet_bn"])
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    work = tmp_path / "work"
    work.mkdir()
    return path, work


def write_config(tmp_path: Path, **changes) -> Path:
    """The smoke config with ``changes``, written under tmp_path."""
    config = yaml.safe_load((REPO / "tests" / "config.smoke.yaml").read_text())
    config.update(changes)
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def snakemake(config: Path, work: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--cores",
            "2",
            "--configfile",
            str(config),
            "--directory",
            str(work),
            "-s",
            str(REPO / "Snakefile"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=1200,
    )


def test_workflow_stops_before_any_job_when_files_are_missing(tmp_path):
    config, work = fake_mnist_config(tmp_path)
    files = expected_files("mnist", tmp_path / "data")
    for path in files[1:3]:
        path.unlink()
    run = snakemake(config, work, "-n")
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    assert all(str(path) in output for path in files[1:3]), output
    assert "download: true" in output
    assert not (work / "results").exists()


@pytest.mark.slow
def test_workflow_runs_on_fake_mnist(tmp_path):
    config, work = fake_mnist_config(tmp_path)
    run = snakemake(config, work)
    assert run.returncode == 0, run.stdout + run.stderr
    for name in ("fig1_distances", "fig2_ratio", "fig7_width"):
        for ext in ("pdf", "png"):
            assert (work / "figures" / "mnist" / f"{name}.{ext}").stat().st_size > 0
    for name in ("fig3_angle_decay", "fig4_angle_maps"):
        assert (work / "figures" / f"{name}.pdf").exists()
    with np.load(work / "results" / "mnist" / "data.npz") as data:
        assert data["x_train"].shape == (60, 784) and data["x_test"].shape == (20, 784)
        assert data["x_eval"].shape == (60, 784)
    assert not (work / "figures" / "digits").exists()


def test_robustness_data_sets_are_checked_for_missing_files(tmp_path):
    config = write_config(
        tmp_path,
        datasets=["digits"],
        data_dir=str(tmp_path / "data"),
        claims={
            **yaml.safe_load((REPO / "tests" / "config.smoke.yaml").read_text())["claims"],
            "robustness_datasets": ["fashion_mnist"],
        },
    )
    run = snakemake(config, tmp_path, "-n")
    output = run.stdout + run.stderr
    assert run.returncode != 0
    assert all(
        str(path) in output for path in expected_files("fashion_mnist", tmp_path / "data")
    ), output


def test_raw_files_are_inputs_of_prepare_data(tmp_path):
    """Replacing a raw file (new content) reruns the preparation; an unchanged set does not."""
    config, work = fake_mnist_config(tmp_path)
    target = "results/mnist/data.npz"
    run = snakemake(config, work, target)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Nothing to be done" in snakemake(config, work, target, "-n").stdout
    labels = expected_files("mnist", tmp_path / "data")[3]  # the test part's labels, reordered
    write_idx(labels, np.frombuffer(labels.read_bytes()[8:], np.uint8)[::-1])
    planned = snakemake(config, work, target, "-n").stdout
    assert "rule prepare_data:" in planned and f"Updated input files: {labels}\n" in planned, (
        planned
    )


def test_download_job_only_for_missing_files(tmp_path):
    """With download on, absent files are the outputs of a download job that prepare_data
    waits for (a dry run: no network); files already there are used without one."""
    config, work = fake_mnist_config(tmp_path)
    empty = tmp_path / "empty"
    planned = snakemake(
        config,
        work,
        "results/mnist/data.npz",
        "-n",
        "--config",
        "download=true",
        f"data_dir={empty}",
    ).stdout
    assert "rule download_mnist:" in planned and "rule prepare_data:" in planned, planned
    assert all(str(path) in planned for path in expected_files("mnist", empty))
    planned = snakemake(
        config, work, "results/mnist/data.npz", "-n", "--config", "download=true"
    ).stdout
    assert "rule download_mnist:" not in planned and "rule prepare_data:" in planned, planned
