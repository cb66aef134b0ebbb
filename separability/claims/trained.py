"""The claims about trained networks (docs/claims.md): C1 (separability of the last hidden
layer goes with test accuracy) and C5 (angle-preserving architectures reach a larger trained
ratio than the MLP).

The seeds of one architecture and depth are repeats of one model, not independent models: C1's
interval resamples the (architecture, depth) cells and then the seeds within them, and C5
compares two models' seeds with Welch-Satterthwaite t intervals. Both claims are stated for
the paper's architectures; the others (MLP+BN) are reported beside them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from separability import architectures
from separability.claims.verdicts import (
    LEVEL,
    MIN_CLUSTERS,
    MIN_RUNS,
    MIN_SEEDS,
    compare,
    correlation_text,
    depths_text,
    depths_verdict,
    rank_correlation,
    secondary,
    summary,
    verdict,
)

FIT_ACCURACY = 0.9  # a model fitted its training data if its mean training accuracy reaches it
# Features spanning fewer effective dimensions than this (the participation ratio of the
# held-out last layer after training) have nearly collapsed onto one line.
NEAR_COLLAPSE_RANK = 2.0
REPLACED_Z = 2.0  # the fixed critical value of the replaced comparisons

# The last-layer separability measures after training (columns of runs.tsv): C1 and C5 are
# pre-registered on the first, the held-out ratio; the others are secondary tests.
TRAINED_MEASURES = {
    "heldout_ratio_trained": "held-out ratio d_b/d_w",
    "ratio_trained": "training-subset ratio d_b/d_w",
    "heldout_fisher_trained": "held-out Fisher criterion trace(S_B)/trace(S_W)",
    "heldout_ncm_accuracy_trained": "held-out nearest-class-mean accuracy",
    "heldout_probe_accuracy_trained": "held-out linear probe accuracy (logistic regression, "
    "cross-validated within the held-out subset)",
    "heldout_angle_ratio_trained": "held-out angle ratio theta_b/theta_w (angle channel)",
    "heldout_gap_ratio_trained": "held-out norm-gap ratio g_b/g_w (norm channel)",
}
# The measures that are channels of the distance (docs/statistics.md, "Two channels").
CHANNEL_MEASURES = {"heldout_angle_ratio_trained": "angle", "heldout_gap_ratio_trained": "norm"}
PRIMARY = "heldout_ratio_trained"
RANK = "heldout_effective_rank_trained"


def paper_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs of the architectures the paper compares (``architectures.paper_order``)."""
    return runs[runs.arch.isin(architectures.paper_order())]


def trained_runs(runs: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Finished runs (status ok) and a count of the others (diverged, collapsed) per status and
    per architecture and depth (never dropped silently)."""
    ok = runs[runs.status == "ok"]
    unfinished = runs[runs.status != "ok"]
    counts = {
        f"{arch} L={depth}": int(len(rows_))
        for (arch, depth), rows_ in unfinished.groupby(["arch", "depth"])
    }
    return ok, {
        "total": int(len(unfinished)),
        "by_model": counts,
        "by_status": {str(k): int(v) for k, v in unfinished.status.value_counts().items()},
        "runs": int(len(runs)),
    }


def fitted_models(runs: pd.DataFrame) -> dict[str, dict]:
    """Did the networks train? Per architecture and depth ("arch L=depth"): the mean training
    accuracy of its finished runs and ``fitted``, whether it reaches ``FIT_ACCURACY`` (a model
    with no finished run did not fit)."""
    models = {}
    for (arch, depth), rows in runs.groupby(["arch", "depth"]):
        accuracy = summary(rows[rows.status == "ok"].train_accuracy)
        models[f"{arch} L={depth}"] = {
            "arch": arch,
            "depth": int(depth),
            "train_accuracy": accuracy,
            "fitted": bool(accuracy["n"] > 0 and accuracy["mean"] >= FIT_ACCURACY),
        }
    return models


def fitted_runs(ok: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """The finished runs of models that fitted their training data (``fitted_models``) and
    whose held-out last-layer features have not nearly collapsed (effective rank at least
    ``NEAR_COLLAPSE_RANK``)."""
    models = fitted_models(runs)
    fitted = np.array([models[f"{a} L={d}"]["fitted"] for a, d in zip(ok.arch, ok.depth)], bool)
    spread = ok[RANK].to_numpy() >= NEAR_COLLAPSE_RANK if RANK in ok else np.ones(len(ok), bool)
    return ok[fitted & spread]


def channel_mark(entry: dict, column: str) -> dict:
    """A secondary entry marked with its channel (``channel``: angle or norm) when its measure
    is a channel of the distance."""
    return {**entry, "channel": CHANNEL_MEASURES[column]} if column in CHANNEL_MEASURES else entry


def cells(runs: pd.DataFrame) -> np.ndarray:
    """The (architecture, depth) cell of each run: the cluster of the bootstrap."""
    return (runs.arch + " L=" + runs.depth.astype(str)).to_numpy()


def correlation(runs: pd.DataFrame, column: str, resamples: int, seed: int) -> dict:
    """Spearman correlation of ``column`` with test accuracy over ``runs``, with the cluster
    bootstrap interval (cells, then seeds within them)."""
    return rank_correlation(runs[column], runs.test_accuracy, resamples, seed, cells(runs))


def claim_c1(runs: pd.DataFrame, resamples: int, seed: int) -> dict:
    """C1: Spearman rank correlation between the held-out last-layer ratio after training and
    test accuracy across the finished runs of the paper's architectures, with a cluster
    bootstrap ``LEVEL`` interval (``rank_correlation``: (architecture, depth) cells, then
    their seeds; the verdict). Secondary tests, each with its own verdict: the other measures
    (training-subset ratio, Fisher's criterion, nearest-class-mean accuracy, linear probe); the
    fitted networks only (models that fitted their training data, features not collapsed); the
    held-out ratio within each depth and within each architecture; every architecture
    (MLP+BN included); and the replaced run-level bootstrap."""
    ok, unfinished = trained_runs(paper_runs(runs))
    available = {column: label for column, label in TRAINED_MEASURES.items() if column in ok}
    tests = {column: correlation(ok, column, resamples, seed) for column in available}
    primary = tests[PRIMARY]
    others = [
        channel_mark(
            secondary(
                f"C1 on the {available[column]}",
                test,
                f"Spearman {correlation_text(test)} with test accuracy",
            ),
            column,
        )
        for column, test in tests.items()
        if column != PRIMARY
    ]
    fitted = fitted_runs(ok, paper_runs(runs))
    test = correlation(fitted, PRIMARY, resamples, seed)
    others.append(
        secondary(
            f"C1 on the fitted networks only (mean training accuracy >= {FIT_ACCURACY}, "
            f"held-out effective rank >= {NEAR_COLLAPSE_RANK})",
            test,
            f"Spearman {correlation_text(test)}; {len(ok) - len(fitted)} of {len(ok)} "
            "finished runs left out",
        )
    )
    for key, label in (("depth", "L = {}"), ("arch", "{} only")):
        for value, rows in ok.groupby(key):
            test = rank_correlation(rows[PRIMARY], rows.test_accuracy, resamples, seed)
            others.append(
                secondary(
                    f"C1 within {label.format(value)} (held-out ratio)",
                    test,
                    f"Spearman {correlation_text(test)}",
                )
            )
    everything, _ = trained_runs(runs)
    test = correlation(everything, PRIMARY, resamples, seed)
    others.append(
        secondary(
            "C1 on every architecture (MLP+BN included)",
            test,
            f"Spearman {correlation_text(test)}",
        )
    )
    replaced = rank_correlation(ok[PRIMARY], ok.test_accuracy, resamples, seed)
    others.append(
        secondary(
            "C1 as first tested (replaced): the bootstrap resamples runs as if independent",
            replaced,
            f"Spearman {correlation_text(replaced)}",
        )
    )
    evidence = (
        f"Spearman {correlation_text(primary)} between the held-out ratio after training and "
        f"test accuracy ({LEVEL:.0%} cluster bootstrap interval); training-subset ratio "
        f"{correlation_text(tests['ratio_trained'])}; "
        + (
            f"linear probe {correlation_text(tests['heldout_probe_accuracy_trained'])}; "
            if "heldout_probe_accuracy_trained" in tests
            else ""
        )
        + f"{unfinished['total']} of {unfinished['runs']} runs did not finish "
        f"({unfinished['by_status']}), excluded"
    )
    return {
        "verdict": primary["verdict"],
        "evidence": evidence,
        "measured": {
            **primary,
            "measure": PRIMARY,
            "unfinished": unfinished,
            "ratio": summary(ok[PRIMARY]),
            "test_accuracy": summary(ok.test_accuracy),
        },
        "secondary": others,
        "test": f"Spearman rank correlation of the held-out last-layer ratio with test "
        f"accuracy over the finished runs of the paper's architectures, {resamples}-resample "
        f"percentile bootstrap {LEVEL:.0%} interval resampling the (architecture, depth) "
        "cells and then their seeds: above 0 holds, below 0 does not hold, containing 0, "
        f"fewer than {MIN_RUNS} runs or fewer than {MIN_CLUSTERS} cells inconclusive",
    }


def above_mlp(runs: pd.DataFrame, column: str, z: float | None = None) -> list[dict]:
    """Per trained depth, each architecture the paper ranks above the MLP against the MLP on
    ``column`` over seeds (``compare``, Welch t interval or the fixed ``z``), with the depth's
    joint verdict."""
    order = architectures.paper_order()
    mlp, preserving = order[-1], order[:-1]
    rows = []
    for depth, at in runs.groupby("depth"):
        values = {arch: summary(group[column]) for arch, group in at.groupby("arch")}
        if mlp not in values:
            continue
        pairs = [
            compare(values[arch], values[mlp], arch, mlp, z)
            for arch in preserving
            if arch in values
        ]
        if pairs:
            joint = verdict([pair["verdict"] for pair in pairs])
            rows.append(
                {
                    "depth": int(depth),
                    "summaries": values,
                    "pairs": pairs,
                    "verdict": joint,
                    "holds": joint == "holds",
                }
            )
    return rows


def with_change(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with the change of the held-out ratio from initialisation to after training
    (column ``heldout_ratio_change``)."""
    return runs.assign(heldout_ratio_change=runs[PRIMARY] - runs["heldout_ratio_init"])


def change_entry(ok: pd.DataFrame) -> dict:
    """C5 as the change trained - init of the held-out ratio: per depth, each angle-preserving
    architecture's change against the MLP's (the paper: preserved angles "encourage training
    to increase the ratio"), and each architecture's change summarised."""
    changed = with_change(ok)
    rows = above_mlp(changed, "heldout_ratio_change")
    increase = {
        f"{arch} L={depth}": summary(group.heldout_ratio_change)
        for (arch, depth), group in changed.groupby(["arch", "depth"])
    }
    return {
        "name": "C5 on the change of the held-out ratio by training (trained - init)",
        "verdict": depths_verdict(rows),
        "evidence": depths_text(rows) or "no comparison left",
        "measured": {"depths": rows, "change": increase},
    }


def claim_c5(runs: pd.DataFrame) -> dict:
    """C5: at each trained depth, the held-out last-layer ratio after training of ResNet and of
    ResNet+BN above that of the MLP (``above_mlp``: Welch-Satterthwaite t intervals, at least
    ``MIN_SEEDS`` seeds); every finished run of the paper's architectures counts. Secondary
    tests: the fitted networks only (``fitted_runs``), the change trained - init
    (``change_entry``), the other measures, and the replaced +- 2 standard errors rule; the
    2 x 2 design (MLP+BN) is reported beside."""
    everything, _ = trained_runs(runs)
    ok, unfinished = trained_runs(paper_runs(runs))
    models = fitted_models(paper_runs(runs))
    unfitted = [name for name, model in models.items() if not model["fitted"]]
    primary = above_mlp(ok, PRIMARY)
    fitted = fitted_runs(ok, paper_runs(runs))
    others = [
        {
            "name": "C5 on the networks that fitted their training data only",
            "verdict": depths_verdict(rows := above_mlp(fitted, PRIMARY)),
            "evidence": depths_text(rows) or "no comparison left",
            "measured": {"depths": rows},
        },
        change_entry(ok),
    ]
    for column, label in TRAINED_MEASURES.items():
        if column == PRIMARY or column not in ok:
            continue
        rows = above_mlp(ok, column)
        others.append(
            channel_mark(
                {
                    "name": f"C5 on the {label}",
                    "verdict": depths_verdict(rows),
                    "evidence": depths_text(rows) or "no comparison left",
                    "measured": {"depths": rows},
                },
                column,
            )
        )
    replaced = above_mlp(ok, PRIMARY, REPLACED_Z)
    others.append(
        {
            "name": "C5 as first tested (replaced): differences beyond +- 2 Welch standard errors",
            "verdict": depths_verdict(replaced),
            "evidence": depths_text(replaced) or "no comparison left",
            "measured": {"depths": replaced},
        }
    )
    fit_text = (
        ", ".join(f"{name} ({models[name]['train_accuracy']['mean']:.2f})" for name in unfitted)
        or "none"
    )
    evidence = (
        f"held-out ratio above the MLP's at "
        f"{sum(r['holds'] for r in primary)} of {len(primary)} depths "
        f"({depths_text(primary)}); did not fit the training data (mean training "
        f"accuracy < {FIT_ACCURACY}): {fit_text}; {unfinished['total']} of "
        f"{unfinished['runs']} runs did not finish ({unfinished['by_status']})"
    )
    return {
        "verdict": depths_verdict(primary),
        "evidence": evidence,
        "measured": {
            "depths": primary,
            "fitted": models,
            "unfitted": unfitted,
            "unfinished": unfinished,
        },
        "secondary": others,
        "design": [trained_design(everything)],
        "test": "at each depth, resnet and resnet_bn each against mlp: held-out ratio mean "
        f"difference's {LEVEL:.0%} Welch-Satterthwaite t interval above 0 holds, below 0 does "
        f"not hold, containing 0 or fewer than {MIN_SEEDS} seeds inconclusive; all finished "
        "runs (the fitted-only comparison is a secondary test)",
    }


def trained_design(ok: pd.DataFrame) -> dict:
    """What the 2 x 2 design shows for C5 (descriptive): per depth, the seed-mean held-out
    ratio after training and its change from initialisation for each cell present."""
    changed = with_change(ok)
    cells = architectures.design()
    present = [arch for arch in cells.values() if arch in set(ok.arch)]
    means = changed.groupby(["depth", "arch"])[[PRIMARY, "heldout_ratio_change"]].mean()
    text = "; ".join(
        f"L={depth}: "
        + ", ".join(
            f"{arch} {means.loc[(depth, arch), PRIMARY]:.2f} "
            f"({means.loc[(depth, arch), 'heldout_ratio_change']:+.2f})"
            for arch in present
            if (depth, arch) in means.index
        )
        for depth in sorted(set(changed.depth))
    )
    return {
        "name": "held-out ratio after training (change from init) in the 2 x 2 design",
        "evidence": text,
        "measured": {f"{d} {a}": row.to_dict() for (d, a), row in means.iterrows()},
    }
