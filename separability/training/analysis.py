"""The separability of trained networks (docs/training.md, "Evaluation after training"; claims
C1, C5), computed from the saved weights of each run, so that a new measure reruns this
analysis and never the training.

The per-layer statistics are those of ``separability.statistics`` (``gram``,
``class_pair_masks``, ``layer_statistics``), the one implementation the random-init
propagation and the theory also use, on two subsets of equal size (``SUBSETS``): the
evaluation subset of the training split (``train``) and the held-out subset of the test split
(``heldout``), plus the nearest-class-mean accuracy of the held-out features with class means
from the training subset. Phases: at initialisation with batch statistics (BN normalises over
the whole subset, as in the propagation code), after training both with BN in inference mode
(running statistics, phase ``trained``) and with batch statistics (phase ``trained_batch``).
A network whose last hidden layer is all zero after training (every ReLU dead, q = 0) is
marked ``collapsed`` with NaN statistics, with the reason; nothing raises.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Iterator, Mapping

import numpy as np
import torch

from separability import architectures
from separability.models import SeparabilityNet
from separability.statistics import (
    as_float64,
    class_pair_masks,
    effective_rank,
    gram,
    layer_statistics,
    ncm_accuracy,
)
from separability.training.config import RunConfig
from separability.training.fit import build_model, class_count
from separability.training.measures import (
    LAYER_COLUMNS,
    PROBE_COLUMN,
    SUBSETS,
    last_layer,
)

LOG = logging.getLogger("separability")

# The linear probe's cross-validation folds and their seed.
PROBE_FOLDS = 3
PROBE_SEED = 0


def layer_features(model: SeparabilityNet, x: torch.Tensor) -> Iterator[tuple[int, torch.Tensor]]:
    """Yield ``(l, h_l)`` for l = 0..L of a batch of inputs, in the model's current mode
    (BN over this batch in training mode, running statistics in inference mode). No rescaling:
    a trained network has biases and is no longer positively homogeneous."""
    with torch.no_grad():
        h = model.input(x)
        yield 0, h
        for layer, block in enumerate(model.blocks, start=1):
            h = block(h)
            yield layer, h


def subset_statistics(
    model: SeparabilityNet,
    data: Mapping[str, np.ndarray],
    batch_statistics: bool,
    every_layer: bool = True,
) -> dict[str, list[dict]]:
    """Per-layer statistics (``layer_statistics``) of layers 0..L (only L unless
    ``every_layer``) on each subset of ``SUBSETS``, keyed by subset, with BN using the
    statistics of that subset as the batch or, if not ``batch_statistics``, its running
    statistics; the held-out rows add the nearest-class-mean accuracy of the held-out features
    with the training subset's class means (``ncm_accuracy``). A subset's Gram statistics read
    only that subset. Works on a copy: the model's running statistics are not touched."""
    copied = copy.deepcopy(model).train(batch_statistics)
    device = next(copied.parameters()).device
    labels = {subset: data[f"y_{key}"] for subset, key in SUBSETS.items()}
    masks = {subset: class_pair_masks(y) for subset, y in labels.items()}
    streams = [
        layer_features(
            copied, torch.as_tensor(data[f"x_{key}"], dtype=torch.float32, device=device)
        )
        for key in SUBSETS.values()
    ]
    rows = {subset: [] for subset in SUBSETS}
    with torch.no_grad():  # strict: both streams run to their end inside this context
        for (layer, train), (_, heldout) in zip(*streams, strict=True):
            if not every_layer and layer < model.depth:
                continue
            # one float64 copy of each subset's features serves the Gram and the NCM accuracy
            train, heldout = as_float64(train), as_float64(heldout)
            for subset, h in (("train", train), ("heldout", heldout)):
                g = gram(h)
                rows[subset].append(
                    {
                        "layer": layer,
                        **layer_statistics(g, masks[subset]),
                        "effective_rank": effective_rank(g),
                    }
                )
            rows["train"][-1]["ncm_accuracy"] = math.nan
            rows["heldout"][-1]["ncm_accuracy"] = ncm_accuracy(
                train, labels["train"], heldout, labels["heldout"]
            )
    return rows


def missing_statistics(depth: int, every_layer: bool = True) -> dict[str, list[dict]]:
    """NaN rows for every subset and layer (only the last unless ``every_layer``): the
    statistics of a diverged model."""
    layers = range(depth + 1) if every_layer else [depth]
    return {
        subset: [{"layer": layer, **{name: math.nan for name in LAYER_COLUMNS}} for layer in layers]
        for subset in SUBSETS
    }


def collapsed(statistics: Mapping[str, list[dict]]) -> bool:
    """Whether the last hidden layer's features are all zero on the training subset (q = 0:
    every ReLU dead), so that no distance, angle or ratio is defined."""
    return math.isnan(statistics["train"][-1]["log_q"])


def probe_accuracy(features, labels: np.ndarray) -> float:
    """A linear probe of frozen features: the mean accuracy of a multinomial logistic
    regression (scikit-learn, features standardised) over ``PROBE_FOLDS`` stratified,
    seeded cross-validation folds of the held-out subset itself (fewer folds when the rarest
    class of a small subset has fewer members); NaN for features that are all zero, or when a
    class has a single member or only one class is present (no fold can be held out)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = as_float64(features)
    counts = np.unique(labels, return_counts=True)[1]
    n_folds = min(PROBE_FOLDS, int(counts.min()))
    if not np.any(x) or len(counts) < 2 or n_folds < 2:
        return math.nan
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=200, tol=1e-3))
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=PROBE_SEED)
    return float(np.mean(cross_val_score(probe, x, labels, cv=folds)))


def last_features(model: SeparabilityNet, x: np.ndarray) -> torch.Tensor:
    """The last hidden layer h_L of a batch of inputs, BN in inference mode."""
    device = next(model.parameters()).device
    with torch.no_grad():
        return model.eval().hidden(torch.as_tensor(x, dtype=torch.float32, device=device))


def load_model(path, in_dim: int, n_classes: int, device: torch.device) -> SeparabilityNet:
    """The trained model saved by ``fit.save_model`` at ``path``, rebuilt from the config it
    holds, in inference mode on ``device``."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = build_model(RunConfig(**state["config"]), in_dim, n_classes)
    model.load_state_dict(state["model"])
    return model.to(device).eval()


def analyse_run(
    record: Mapping,
    model: SeparabilityNet,
    data: Mapping[str, np.ndarray],
    device: torch.device,
    every_layer: bool = True,
) -> dict:
    """The separability analysis of one training run (its record from ``fit.train_runs`` and
    its trained ``model``): the statistics of the phases init / trained / trained_batch on both
    subsets at every layer (or, without ``every_layer``, at the last hidden layer only: what
    the claims read where no figure draws the layers; ``subset_statistics``; NaN after
    training for a diverged run), the last-layer measures (``last_layer``), the status
    (``collapsed`` when the trained last hidden layer is all zero, else the record's) and its
    reason, and the subset sizes."""
    config = RunConfig(**record["config"])
    in_dim, n_classes = data["x_train"].shape[1], class_count(data)
    initial = build_model(config, in_dim, n_classes).to(device)
    statistics = {"init": subset_statistics(initial, data, True, every_layer)}
    status, reason = record["status"], record["status_reason"]
    if status == "ok":
        statistics["trained"] = subset_statistics(model, data, False, every_layer)
        statistics["trained_batch"] = (
            subset_statistics(model, data, True, every_layer)
            if architectures.get(config.arch).normalised
            else statistics["trained"]
        )
        if collapsed(statistics["trained"]):
            status = "collapsed"
            reason = (
                f"every feature of the last hidden layer (l = {config.depth}) is zero "
                "after training (q = 0, all ReLUs dead): its statistics are undefined"
            )
    else:
        missing = missing_statistics(config.depth, every_layer)
        statistics["trained"] = statistics["trained_batch"] = missing
    measures = last_layer(statistics)
    measures[PROBE_COLUMN] = (
        probe_accuracy(last_features(model, data["x_heldout"]), data["y_heldout"])
        if status == "ok"
        else math.nan
    )
    analysis = {
        "arch": config.arch,
        "depth": config.depth,
        "seed": config.seed,
        "status": status,
        "status_reason": reason,
        "last_layer": measures,
        "statistics": statistics,
        "subset_sizes": {s: int(len(data[f"y_{key}"])) for s, key in SUBSETS.items()},
    }
    log_analysis(analysis)
    return analysis


def log_analysis(analysis: Mapping) -> None:
    """Log one line summing up a run's analysis: status and last-layer ratios."""
    measures = analysis["last_layer"]
    LOG.info(
        "%s L=%d seed=%d: %s; ratio d_b/d_w at layer %d, held-out %.4g -> %.4g, training "
        "subset %.4g -> %.4g (batch BN %.4g)",
        analysis["arch"],
        analysis["depth"],
        analysis["seed"],
        analysis["status"],
        analysis["depth"],
        measures["heldout_ratio_init"],
        measures["heldout_ratio_trained"],
        measures["ratio_init"],
        measures["ratio_trained"],
        measures["ratio_trained_batch"],
    )
