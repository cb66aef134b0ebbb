"""The propagation throughput benchmark: its table's columns are a contract
(results/benchmarks/propagation_throughput.tsv)."""

import numpy as np

from separability.benchmark import throughput_table

COLUMNS = [
    "arch",
    "n",
    "width",
    "depth",
    "threads",
    "matmul_s_per_block",
    "propagation_s_per_block",
    "with_statistics_s_per_block",
    "propagation_fraction_of_matmul",
    "with_statistics_fraction_of_matmul",
    "recorded_layers",
    "statistics_s_per_recorded_layer",
    "gram_recursion_s_per_block",
]


def test_throughput_table_columns_and_times():
    table = throughput_table(["mlp", "resnet_bn"], n=20, width=8, depth=3)
    assert table.columns.tolist() == COLUMNS
    assert table.arch.tolist() == ["mlp", "resnet_bn"]
    seconds = table[[c for c in COLUMNS if c.endswith("_s_per_block")]].to_numpy()
    assert np.all(np.isfinite(seconds) & (seconds > 0))
    np.testing.assert_allclose(
        table.propagation_fraction_of_matmul,
        table.matmul_s_per_block / table.propagation_s_per_block,
    )


def test_statistics_only_at_the_recorded_layers():
    """With a recorded-layer grid the statistics run only at those layers, as in the distance
    simulations (propagation.dense_layers, propagation.log_layers)."""
    table = throughput_table(["mlp"], n=20, width=8, depth=6, layers=[0, 1, 6])
    assert table.recorded_layers.tolist() == [3]
    every = throughput_table(["mlp"], n=20, width=8, depth=6)
    assert every.recorded_layers.tolist() == [7]
