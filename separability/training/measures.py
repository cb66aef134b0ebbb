"""Names of the measures of trained networks (docs/training.md, "Evaluation after training";
claims C1, C5) and the last-layer measures read from per-layer rows: what runs.tsv and
layers.tsv hold, kept apart from ``analysis`` (which computes them with torch) so that the
tables and the claims read them without importing torch."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from separability.statistics import STATISTICS

PHASES = ("init", "trained", "trained_batch")


# The subsets the statistics are computed on, and the arrays of a prepared data set holding them.
SUBSETS = {"train": "eval", "heldout": "heldout"}


# Per-layer columns: the statistics of the Gram matrix, the effective rank of the features,
# and the nearest-class-mean accuracy (held-out subset only; NaN on the training subset, whose
# features give the class means).
LAYER_COLUMNS = (*STATISTICS, "effective_rank", "ncm_accuracy")


# The last-layer separability measures of runs.tsv, per subset: per-layer columns, and the
# two channels' ratios of docs/statistics.md (angle theta_b / theta_w, norm gap g_b / g_w).
MEASURES = {
    "train": ("ratio", "fisher", "effective_rank"),
    "heldout": ("ratio", "fisher", "ncm_accuracy", "effective_rank", "angle_ratio", "gap_ratio"),
}
CHANNEL_RATIOS = {"angle_ratio": ("theta_b", "theta_w"), "gap_ratio": ("gap_b_norm", "gap_w_norm")}
# The linear probe's column (held-out subset, trained networks, BN in inference mode).
PROBE_COLUMN = "heldout_probe_accuracy_trained"


# Their columns, named ``ratio_trained`` (training subset), ``heldout_ratio_trained``, ...:
# column -> (subset, phase, measure).
LAST_LAYER = {
    f"{'heldout_' if subset == 'heldout' else ''}{measure}_{phase}": (subset, phase, measure)
    for subset, measures in MEASURES.items()
    for phase in PHASES
    for measure in measures
}


def measure(row: Mapping[str, float], name: str) -> float:
    """One measure of a per-layer row: a column, or a channel's ratio (``CHANNEL_RATIOS``)."""
    if name not in CHANNEL_RATIOS:
        return row[name]
    between, within = CHANNEL_RATIOS[name]
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(row[between]) / row[within])


def last_layer(statistics: Mapping[str, Mapping[str, list[dict]]]) -> dict[str, float]:
    """The separability measures of the last hidden layer per subset and phase, named as the
    columns of runs.tsv (``LAST_LAYER``)."""
    return {
        column: measure(statistics[phase][subset][-1], name)
        for column, (subset, phase, name) in LAST_LAYER.items()
    }
