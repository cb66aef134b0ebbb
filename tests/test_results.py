"""Results that are corrupt, incomplete or stale are refused with one line naming the file and
how to rebuild it; every write is atomic (an interrupted write leaves the old file or none)."""

import json
import os

import numpy as np
import pandas as pd
import pytest

from separability import io, tables
from separability.data import digits, load_prepared, prepare, save_prepared
from separability.plotting import style
from separability.workflow import read_table, stale_claims, write_table


def distance_table(layers=range(6), seeds=range(2), archs=("mlp", "resnet")) -> pd.DataFrame:
    """A complete random-init distance table of the given architectures, seeds and layers."""
    rows = [
        {
            "arch": arch,
            "seed": seed,
            "width": 16,
            "layer": layer,
            **dict.fromkeys(tables.STATISTIC_COLUMNS, 1.0),
        }
        for arch in archs
        for seed in seeds
        for layer in layers
    ]
    return pd.DataFrame(rows)


def test_a_table_missing_rows_names_them_and_the_rebuild(tmp_path):
    """Three layers deleted from one propagation table: refused, naming the file, the missing
    rows and the command that rebuilds it (it used to change C6 without a word)."""
    path = tmp_path / "mlp_seed0.tsv"
    table = distance_table()
    write_table(table[~table.layer.isin([2, 3, 4]) | (table.arch != "mlp")], path)
    expected = {"arch": ["mlp", "resnet"], "seed": [0, 1], "layer": list(range(6))}
    with pytest.raises(tables.TableError) as raised:
        tables.read_result([str(path)], "distance", expected)
    message = str(raised.value)
    assert "mlp_seed0.tsv" in message and "6 expected rows missing" in message
    assert "arch mlp, seed 0, layer 2" in message
    assert "snakemake --forcerun propagate_distances" in message
    complete = tmp_path / "complete.tsv"
    write_table(table, complete)
    assert len(tables.read_result([str(complete)], "distance", expected)) == len(table)


def test_a_runs_table_cut_mid_row_is_refused(tmp_path):
    """runs.tsv cut in the middle of a row (and touched): never read as fewer runs."""
    runs = pd.DataFrame(
        {
            "arch": ["mlp", "mlp", "resnet", "resnet"],
            "depth": [2, 2, 2, 2],
            "seed": [0, 1, 0, 1],
            "status": ["ok"] * 4,
            "test_accuracy": [0.9] * 4,
            "train_accuracy": [0.95] * 4,
            **{column: [1.2] * 4 for column in tables.RUN_MEASURES},
        }
    )
    path = tmp_path / "runs.tsv"
    write_table(runs, path)
    text = path.read_text()
    path.write_text(text[: text.rindex("\n", 0, len(text) - 1) + 10])  # two runs and a bit
    expected = {"arch": ["mlp", "resnet"], "depth": [2], "seed": [0, 1]}
    with pytest.raises(tables.TableError, match=r"runs.tsv.*(missing|schema)"):
        tables.read_result([str(path)], "runs", expected)


def test_non_finite_statistics_are_refused(tmp_path):
    """A random-init table whose statistics are NaN (an overflowing initialisation) is not
    drawn or judged: refused naming the file."""
    path = tmp_path / "mlp_seed0.tsv"
    write_table(distance_table().assign(ratio=np.nan), path)
    with pytest.raises(tables.TableError, match="mlp_seed0.tsv: fails its schema"):
        tables.read_result([str(path)], "distance")


@pytest.mark.parametrize("cut", [10, 200])
def test_truncated_prepared_data_names_the_file(tmp_path, cut):
    path = tmp_path / "data.npz"
    save_prepared(prepare(*digits(), 0.2, 0.2, 50, 0), path)
    path.write_bytes(path.read_bytes()[:cut])
    with pytest.raises(io.CorruptResult, match=r"data.npz is corrupt or incomplete .*rm "):
        load_prepared(path)


def test_truncated_json_and_table_name_the_file(tmp_path):
    record = tmp_path / "run.json"
    io.write_json({"arch": "mlp", "history": [1, 2, 3]}, record)
    record.write_text(record.read_text()[:15])
    with pytest.raises(io.CorruptResult, match="run.json is corrupt or incomplete"):
        io.read_json(record)
    table = tmp_path / "table.tsv"
    table.write_bytes(b"\x89PNG\x00\x00binary")
    with pytest.raises(io.CorruptResult, match="table.tsv"):
        read_table(table)


WRITERS = {
    "table": lambda path: write_table(pd.DataFrame({"a": [1.0, 2.0]}), path),
    "json": lambda path: io.write_json({"a": 1}, path),
    "text": lambda path: io.write_text("new text\n", path),
    "npz": lambda path: save_prepared({"x_train": np.zeros(3)}, path),
}


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_an_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch, kind):
    """Fault injection at the write call: the write into the temporary file fails half-way,
    and the result is the old file, unchanged, and no temporary file is left."""
    path = tmp_path / f"result.{kind}"
    path.write_bytes(b"old content")
    real_replace = os.replace

    def fail(*args):
        raise OSError(28, "No space left on device (injected)")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="injected"):
        WRITERS[kind](path)
    monkeypatch.setattr(os, "replace", real_replace)
    assert path.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    missing = tmp_path / f"absent.{kind}"
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        WRITERS[kind](missing)
    assert not missing.exists() and [p.name for p in tmp_path.iterdir()] == [path.name]


def test_an_interrupted_figure_leaves_no_cut_file(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    style.use_headless_backend()
    figure, ax = plt.subplots()
    ax.plot([0, 1])
    pdf, png = tmp_path / "fig.pdf", tmp_path / "fig.png"

    def full_disk(self, *args, **kwargs):
        raise OSError(28, "No space left on device (injected)")

    monkeypatch.setattr(plt.Figure, "savefig", full_disk)
    with pytest.raises(OSError):
        style.save(figure, pdf, png, 50)
    assert list(tmp_path.iterdir()) == []


def test_stale_claims_are_refused_with_the_command_that_refreshes_them():
    expected = {"code": "aaa", "settings": "bbb"}
    assert stale_claims("results/claims.json", {**expected, "revision": "x"}, expected) is None
    message = stale_claims("results/claims.json", {"code": "old", "settings": "bbb"}, expected)
    assert "code digest old (the checkout's: aaa)" in message
    assert "snakemake results/claims.json --forcerun claims" in message
    assert "records no provenance" in stale_claims("results/claims.json", None, expected)


def test_claims_json_is_strict_json(tmp_path):
    """Non-finite numbers are written as null: claims.json parses as strict JSON."""
    path = tmp_path / "claims.json"
    io.write_json({"C1": {"ci95": [float("nan"), 1.0]}}, path)
    assert json.loads(path.read_text(), parse_constant=pytest.fail) == {"C1": {"ci95": [None, 1.0]}}
