"""Learning-rate selection on the validation split (docs/training.md): short runs of every
candidate rate, trained together, scored on validation accuracy; the test split is never read."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence

import numpy as np
import torch

from separability.training.config import RunConfig, device_name
from separability.training.fit import fit

LOG = logging.getLogger("separability")


SELECTION_CRITERION = (
    "highest validation accuracy after the short run; ties: lower validation "
    "loss, then the smaller rate; a diverged candidate never wins unless all "
    "diverged (then the smallest rate)"
)


def choose_learning_rate(candidates: Sequence[Mapping]) -> float:
    """The ``lr`` of the candidate with the highest ``val_accuracy`` (ties: lower ``val_loss``,
    then the smaller rate). Candidates whose score is missing or non-finite (diverged) rank
    last; if every candidate diverged, the smallest rate is returned."""

    def score(candidate):
        accuracy, loss = candidate.get("val_accuracy"), candidate.get("val_loss")
        valid = (
            candidate.get("status", "ok") == "ok"
            and accuracy is not None
            and math.isfinite(accuracy)
        )
        loss = loss if loss is not None and math.isfinite(loss) else math.inf
        return (0, -accuracy, loss, candidate["lr"]) if valid else (1, 0.0, 0.0, candidate["lr"])

    if not candidates:
        raise ValueError("no learning-rate candidates")
    return float(min(candidates, key=score)["lr"])


def select_learning_rate(
    base: RunConfig,
    learning_rates: Sequence[float],
    epochs: int,
    seed: int,
    data: Mapping[str, np.ndarray],
    device: torch.device,
    progress: bool = True,
) -> dict:
    """Short runs of ``base`` (``epochs`` epochs, weights and data order from ``seed``) at each
    rate of ``learning_rates``, scored on the validation split; returns the chosen rate and
    every candidate's scores. Only x_train, y_train, x_val and y_val of ``data`` are read: the
    test split cannot influence the choice."""
    began = time.perf_counter()
    visible = {key: data[key] for key in ("x_train", "y_train", "x_val", "y_val")}
    configs = [
        base.replace(lr=float(lr), epochs=int(epochs), seed=int(seed)) for lr in learning_rates
    ]
    description = f"select {base.arch} L={base.depth} lr {[float(lr) for lr in learning_rates]}"
    results = fit(configs, visible, device, progress=progress, description=description)
    candidates = []
    for lr, result in zip(learning_rates, results, strict=True):
        last = result.history[-1] if result.status == "ok" else {}
        candidates.append(
            {
                "lr": float(lr),
                "status": result.status,
                "diverged_epoch": result.diverged_epoch,
                "diverged_step": result.diverged_step,
                "val_accuracy": last.get("val_accuracy", math.nan),
                "val_loss": last.get("val_loss", math.nan),
                "train_accuracy": last.get("train_accuracy", math.nan),
                "train_loss": last.get("train_loss", math.nan),
                "history": result.history,
            }
        )
        LOG.info(
            "select %s L=%d lr=%g: %s, validation accuracy %.4f",
            base.arch,
            base.depth,
            lr,
            result.status,
            candidates[-1]["val_accuracy"],
        )
    chosen = choose_learning_rate(candidates)
    LOG.info("%s L=%d: chose lr %g of %s", base.arch, base.depth, chosen, list(learning_rates))
    return {
        "arch": base.arch,
        "depth": base.depth,
        "lr": chosen,
        "criterion": SELECTION_CRITERION,
        "selection_epochs": int(epochs),
        "selection_seed": int(seed),
        "config": base.replace(lr=chosen).as_dict(),
        "candidates": candidates,
        "wall_time_s": time.perf_counter() - began,
        "device": device_name(device),
    }
