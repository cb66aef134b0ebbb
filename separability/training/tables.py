"""Tidy tables of the training experiments (docs/training.md): runs.tsv, one row per run with
its last-layer measures, and layers.tsv, one row per run, phase, subset and layer, from the
runs' records (``fit.train_runs``) joined with their analyses (``analysis.analyse_run``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from separability import architectures
from separability.training.measures import (
    LAST_LAYER,
    LAYER_COLUMNS,
    PHASES,
    PROBE_COLUMN,
    SUBSETS,
)

LAST_LAYER_COLUMNS = (*LAST_LAYER, PROBE_COLUMN)


RUN_COLUMNS = (
    "dataset",
    "arch",
    "depth",
    "width",
    "seed",
    "n_classes",
    "lr",
    "status",
    "status_reason",
    "diverged_epoch",
    "diverged_step",
    "epochs_completed",
    "test_accuracy",
    "test_loss",
    "val_accuracy",
    "val_loss",
    "train_accuracy",
    "train_loss",
    *LAST_LAYER_COLUMNS,
    "resnet_rescale",
    "wall_time_s",
    "device",
    "git_revision",
)


def _number(value) -> float:
    """JSON number or null as float (null -> NaN)."""
    return math.nan if value is None else float(value)


def run_row(record: Mapping) -> dict:
    """One row of runs.tsv from a run record: identity, chosen rate, status and its reason,
    final losses and accuracies, and the separability measures of the last hidden layer per
    subset and phase (``LAST_LAYER_COLUMNS``: ratio d_b/d_w and Fisher's criterion on the
    training and held-out subsets, nearest-class-mean accuracy of the held-out subset)."""
    final = record["final"]
    row = {
        "dataset": record.get("dataset", ""),
        "arch": record["arch"],
        "depth": int(record["depth"]),
        "width": int(record["config"]["width"]),
        "seed": int(record["seed"]),
        "n_classes": int(record["n_classes"]),
        "lr": float(record["lr"]),
        "status": record["status"],
        "status_reason": record.get("status_reason") or "",
        "diverged_epoch": record["diverged_epoch"],
        "diverged_step": record["diverged_step"],
        "epochs_completed": len(record["history"]),
    }
    for split in ("test", "val", "train"):
        for what in ("accuracy", "loss"):
            row[f"{split}_{what}"] = _number(final.get(f"{split}_{what}"))
    for column in LAST_LAYER_COLUMNS:
        row[column] = _number(record["last_layer"][column])
    row.update(
        resnet_rescale=bool(record["config"]["resnet_rescale"]),
        wall_time_s=float(record["wall_time_s"]),
        device=record["device"],
        git_revision=record.get("git_revision", "unknown"),
    )
    return row


def layer_rows(record: Mapping) -> list[dict]:
    """Rows of layers.tsv from a run record: one per phase, subset and layer, all statistics
    (``LAYER_COLUMNS``)."""
    rows = []
    for phase in PHASES:
        for subset in SUBSETS:
            for stats in record["statistics"][phase][subset]:
                rows.append(
                    {
                        "dataset": record.get("dataset", ""),
                        "arch": record["arch"],
                        "depth": int(record["depth"]),
                        "seed": int(record["seed"]),
                        "phase": phase,
                        "subset": subset,
                        "layer": int(stats["layer"]),
                        **{name: _number(stats.get(name)) for name in LAYER_COLUMNS},
                    }
                )
    return rows


def joined(record: Mapping, analysis: Mapping) -> dict:
    """A run's record with its analysis: the analysis's status (``collapsed`` overrides
    ``ok``), statistics and last-layer measures; a record and an analysis of different runs
    raise ValueError."""
    run = (record["arch"], record["depth"], record["seed"])
    if run != (analysis["arch"], analysis["depth"], analysis["seed"]):
        raise ValueError(
            f"the analysis of {analysis['arch']} L={analysis['depth']} seed "
            f"{analysis['seed']} does not belong to the run {run}"
        )
    return {**record, **analysis}


def aggregate(
    records: Sequence[Mapping], analyses: Sequence[Mapping]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """runs.tsv (one row per run, ``RUN_COLUMNS``) and layers.tsv (one row per run, phase,
    subset and layer) from the runs' records and their analyses (in the same order), sorted by
    architecture, depth and seed."""
    records = [joined(record, analysis) for record, analysis in zip(records, analyses, strict=True)]
    runs = pd.DataFrame([run_row(record) for record in records], columns=list(RUN_COLUMNS))
    for column in ("diverged_epoch", "diverged_step"):
        runs[column] = runs[column].astype("Int64")
    layers = pd.DataFrame([row for record in records for row in layer_rows(record)])
    order = {arch: rank for rank, arch in enumerate(architectures.names())}
    runs = runs.sort_values(
        ["arch", "depth", "seed"],
        key=lambda c: c.map(order) if c.name == "arch" else c,
        ignore_index=True,
    )
    layers = layers.sort_values(
        ["arch", "depth", "seed", "phase", "subset", "layer"],
        key=lambda c: c.map(order) if c.name == "arch" else c,
        ignore_index=True,
    )
    return runs, layers
