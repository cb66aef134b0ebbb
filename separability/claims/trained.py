"""The claims about trained networks (docs/claims.md): C1 (separability of the last hidden
layer goes with test accuracy) and C5 (angle-preserving architectures reach a larger trained
ratio than the MLP)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from separability.claims.verdicts import (
    MIN_RUNS,
    MIN_SEEDS,
    Z,
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


# The last-layer separability measures after training (columns of runs.tsv): C1 and C5 are
# pre-registered on the first, the held-out ratio; the others are secondary tests.
TRAINED_MEASURES = {
    "heldout_ratio_trained": "held-out ratio d_b/d_w",
    "ratio_trained": "training-subset ratio d_b/d_w",
    "heldout_fisher_trained": "held-out Fisher criterion trace(S_B)/trace(S_W)",
    "heldout_ncm_accuracy_trained": "held-out nearest-class-mean accuracy",
}


PRIMARY = "heldout_ratio_trained"


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


def claim_c1(runs: pd.DataFrame, resamples: int, seed: int) -> dict:
    """C1: Spearman rank correlation between the held-out last-layer ratio after training and
    test accuracy across all finished runs, with a bootstrap 95% interval (``rank_correlation``;
    the verdict). Secondary tests, each with its own verdict: the same correlation for the
    training-subset ratio, Fisher's criterion and the nearest-class-mean accuracy, and for the
    held-out ratio within each depth (architectures pooled) and within each architecture, so
    that a pooled correlation that is only a depth or architecture effect shows."""
    ok, unfinished = trained_runs(runs)
    accuracy = ok.test_accuracy.to_numpy()
    tests = {
        column: rank_correlation(ok[column], accuracy, resamples, seed)
        for column in TRAINED_MEASURES
    }
    primary = tests[PRIMARY]
    others = [
        secondary(
            f"C1 on the {TRAINED_MEASURES[column]}",
            test,
            f"Spearman {correlation_text(test)} with test accuracy",
        )
        for column, test in tests.items()
        if column != PRIMARY
    ]
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
    evidence = (
        f"Spearman {correlation_text(primary)} between the held-out ratio after "
        f"training and test accuracy (95% bootstrap interval); training-subset ratio "
        f"{correlation_text(tests['ratio_trained'])}; {unfinished['total']} of "
        f"{unfinished['runs']} runs did not finish ({unfinished['by_status']}), excluded"
    )
    return {
        "verdict": primary["verdict"],
        "evidence": evidence,
        "measured": {
            **primary,
            "measure": PRIMARY,
            "unfinished": unfinished,
            "ratio": summary(ok[PRIMARY]),
            "test_accuracy": summary(accuracy),
        },
        "secondary": others,
        "test": f"Spearman rank correlation of the held-out last-layer ratio with test "
        f"accuracy over finished runs, {resamples}-resample percentile bootstrap "
        f"95% interval: above 0 holds, below 0 does not hold, containing 0 or fewer "
        f"than {MIN_RUNS} runs inconclusive",
    }


ANGLE_PRESERVING = ("resnet", "resnet_bn")


def above_mlp(runs: pd.DataFrame, column: str) -> list[dict]:
    """Per trained depth, each angle-preserving architecture's ``column`` against the MLP's
    over seeds (``compare``), with the depth's joint verdict."""
    rows = []
    for depth, at in runs.groupby("depth"):
        values = {arch: summary(group[column]) for arch, group in at.groupby("arch")}
        if "mlp" not in values:
            continue
        pairs = [
            compare(values[arch], values["mlp"], arch, "mlp")
            for arch in ANGLE_PRESERVING
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


def claim_c5(runs: pd.DataFrame) -> dict:
    """C5: at each trained depth, the held-out last-layer ratio after training of resnet and of
    resnet_bn above that of the MLP (``above_mlp``: Welch interval, at least ``MIN_SEEDS``
    seeds); every finished run counts. Secondary tests: the same on the networks that fitted
    their training data only (``fitted_models``), and with the training-subset ratio,
    Fisher's criterion and the nearest-class-mean accuracy."""
    ok, unfinished = trained_runs(runs)
    models = fitted_models(runs)
    unfitted = [name for name, model in models.items() if not model["fitted"]]
    fitted = ok[
        np.array([models[f"{a} L={d}"]["fitted"] for a, d in zip(ok.arch, ok.depth)], dtype=bool)
    ]
    primary = above_mlp(ok, PRIMARY)
    others = []
    for name, table, column in [
        ("networks that fitted their training data only", fitted, PRIMARY)
    ] + [
        (TRAINED_MEASURES[column], ok, column) for column in TRAINED_MEASURES if column != PRIMARY
    ]:
        rows = above_mlp(table, column)
        others.append(
            {
                "name": f"C5 on the {name}",
                "verdict": depths_verdict(rows),
                "evidence": depths_text(rows) or "no comparison left",
                "measured": {"depths": rows},
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
        "test": f"at each depth, resnet and resnet_bn each against mlp: held-out ratio mean "
        f"difference +- {Z} Welch standard errors above 0 holds, below 0 does not "
        f"hold, containing 0 or fewer than {MIN_SEEDS} seeds inconclusive; all "
        "finished runs (the fitted-only comparison is a secondary test)",
    }
