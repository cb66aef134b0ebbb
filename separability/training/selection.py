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


HALVING = 2  # successive halving keeps the better 1/HALVING of the candidates at each rung


def halving_rungs(epochs: int, candidates: int, eta: int = HALVING) -> list[tuple[int, int]]:
    """The rungs of successive halving: (epoch, candidates kept after it), the kept number
    divided by ``eta`` (rounded up) at each rung while at least two remain, the rungs at
    epochs epochs / eta^k (rounded up), the last rung at epochs / eta. With 6 candidates over
    10 epochs: keep 3 after epoch 3, 2 after epoch 5, choose after epoch 10."""
    keeps = []
    while math.ceil(candidates / eta ** (len(keeps) + 1)) >= 2:
        keeps.append(math.ceil(candidates / eta ** (len(keeps) + 1)))
    rungs = [(math.ceil(epochs / eta ** (len(keeps) - k)), keep) for k, keep in enumerate(keeps)]
    return [(epoch, keep) for epoch, keep in rungs if epoch < epochs]


def rank_key(record: Mapping, lr: float, status: str = "ok") -> tuple:
    """The order of candidates: higher validation accuracy first, then lower validation
    loss, then the smaller rate; a candidate without a finite score (diverged, stopped) last."""
    accuracy, loss = record.get("val_accuracy"), record.get("val_loss")
    valid = status == "ok" and accuracy is not None and math.isfinite(accuracy)
    loss = loss if loss is not None and math.isfinite(loss) else math.inf
    return (0, -accuracy, loss, lr) if valid else (1, 0.0, 0.0, lr)


def halving(rates: Sequence[float], rungs: Sequence[tuple[int, int]]):
    """The ``stop`` callback of ``fit`` for successive halving over candidates with ``rates``:
    after each rung's epoch, the active candidates beyond the rung's kept number (by
    ``rank_key`` of that epoch's record) stop."""
    keep_after = dict(rungs)

    def stop(epoch: int, histories: Mapping[int, list[dict]]) -> list[int]:
        if epoch not in keep_after:
            return []
        ranked = sorted(histories, key=lambda run: rank_key(histories[run][-1], rates[run]))
        return ranked[keep_after[epoch] :]

    return stop


SELECTION_CRITERION = (
    "highest validation accuracy after the short run; ties: lower validation "
    "loss, then the smaller rate; a diverged (or, with successive halving, stopped) "
    "candidate never wins unless none finished (then the smallest rate)"
)


def choose_learning_rate(candidates: Sequence[Mapping]) -> float:
    """The ``lr`` of the candidate with the highest ``val_accuracy`` (ties: lower ``val_loss``,
    then the smaller rate). Candidates whose score is missing or non-finite (diverged) rank
    last; if every candidate diverged, the smallest rate is returned."""

    if not candidates:
        raise ValueError("no learning-rate candidates")
    best = min(candidates, key=lambda c: rank_key(c, c["lr"], c.get("status", "ok")))
    return float(best["lr"])


def select_learning_rate(
    base: RunConfig,
    learning_rates: Sequence[float],
    epochs: int,
    seed: int,
    data: Mapping[str, np.ndarray],
    device: torch.device,
    progress: bool = True,
    successive_halving: bool = False,
) -> dict:
    """Short runs of ``base`` (``epochs`` epochs, weights and data order from ``seed``) at each
    rate of ``learning_rates``, scored on the validation split; returns the chosen rate and
    every candidate's scores. Only x_train, y_train, x_val and y_val of ``data`` are read: the
    test split cannot influence the choice. With ``successive_halving`` the candidates are
    ranked at the rungs of ``halving_rungs`` and the worse ones stop there (status
    ``stopped``): a survivor's run is the same as without halving, so the choice is the full
    grid's unless the best final candidate was behind at a rung (docs/training.md)."""
    began = time.perf_counter()
    visible = {key: data[key] for key in ("x_train", "y_train", "x_val", "y_val")}
    configs = [
        base.replace(lr=float(lr), epochs=int(epochs), seed=int(seed)) for lr in learning_rates
    ]
    description = f"select {base.arch} L={base.depth} lr {[float(lr) for lr in learning_rates]}"
    rungs = halving_rungs(int(epochs), len(configs)) if successive_halving else []
    stop = halving([c.lr for c in configs], rungs) if rungs else None
    results = fit(configs, visible, device, progress=progress, description=description, stop=stop)
    candidates = []
    for lr, result in zip(learning_rates, results, strict=True):
        last = result.history[-1] if result.status != "diverged" and result.history else {}
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
        "halving_rungs": [list(rung) for rung in rungs],
        "selection_seed": int(seed),
        "config": base.replace(lr=chosen).as_dict(),
        "candidates": candidates,
        "wall_time_s": time.perf_counter() - began,
        "device": device_name(device),
    }
