"""Training experiments of docs/training.md (claims C1, C5).

A classifier is the network of docs/models.md (``SeparabilityNet``: input layer, ``depth`` blocks of
width N) plus a linear head, trained on the training split with one budget for every architecture
and depth (epochs, batch size, optimiser, weight decay, schedule); only the learning rate is chosen
per (architecture, depth), from a grid, by validation accuracy (``select_learning_rate``).

Every run is seeded end to end: the weights come from ``SeparabilityNet.initialise(seed)``, the
order of the training samples in each epoch from a ``torch.Generator`` seeded by (seed, epoch),
and deterministic algorithms are on, so one seed gives one bit-identical result on one device
and thread count. A run can be checkpointed after every epoch and resumed from the checkpoint
with the same result as an uninterrupted run.

A checkpoint is resumed only by a run of the same config, data and training code
(``separability.io.load_checkpoint``).

A non-finite loss stops a run and marks it ``diverged`` with the epoch and step; a network
whose last hidden layer is all zero after training (every ReLU dead, q = 0) is marked
``collapsed`` with NaN statistics; both with the reason, and nothing raises.

The per-layer statistics before and after training are those of ``separability.statistics``
(``gram``, ``class_pair_masks``, ``layer_statistics``), the one implementation the random-init
propagation and the theory also use, on two subsets of equal size (``SUBSETS``): the
evaluation subset of the training split (``train``) and the held-out subset of the test split
(``heldout``), plus the nearest-class-mean accuracy of the held-out features with class means
from the training subset. Phases: at initialisation with batch statistics (BN normalises over
the whole subset, as in the propagation code), after training both with BN in inference mode
(running statistics, phase ``trained``) and with batch statistics (phase ``trained_batch``).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm import tqdm

from separability import architectures
from separability.io import code_fingerprint, data_fingerprint, load_checkpoint, save_checkpoint
from separability.models import Ensemble, SeparabilityNet
from separability.statistics import (
    STATISTICS,
    as_float64,
    class_pair_masks,
    gram,
    layer_statistics,
    ncm_accuracy,
)

LOG = logging.getLogger("separability")

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "cosine")
PHASES = ("init", "trained", "trained_batch")
# The subsets the statistics are computed on, and the arrays of a prepared data set holding them.
SUBSETS = {"train": "eval", "heldout": "heldout"}
# Per-layer columns: the statistics of the Gram matrix, and the nearest-class-mean accuracy
# (held-out subset only; NaN on the training subset, whose features give the class means).
LAYER_COLUMNS = (*STATISTICS, "ncm_accuracy")
# The last-layer separability measures of runs.tsv, per subset.
MEASURES = {"train": ("ratio", "fisher"), "heldout": ("ratio", "fisher", "ncm_accuracy")}
# Their columns, named ``ratio_trained`` (training subset), ``heldout_ratio_trained``, ...:
# column -> (subset, phase, measure).
LAST_LAYER = {
    f"{'heldout_' if subset == 'heldout' else ''}{measure}_{phase}": (subset, phase, measure)
    for subset, measures in MEASURES.items()
    for phase in PHASES
    for measure in measures
}
EVAL_CHUNK = 2048


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Everything that determines one training run (recorded in its JSON and checkpoint).

    ``resnet_rescale`` divides each `resnet` block's output by sqrt(1 + s_w s_v / 2)
    (docs/training.md); ``s_b`` is the variance of the pre-activation biases at
    initialisation (docs/models.md; 0, the paper's setting, by default); ``schedule``
    ``cosine`` anneals the rate from ``lr`` to 0 over ``epochs`` (the rate of epoch e is
    lr (1 + cos(pi e / epochs)) / 2), ``constant`` keeps it.
    Weight decay applies to every parameter. The last incomplete batch of an epoch is dropped.
    """

    arch: str
    depth: int
    width: int
    seed: int
    lr: float
    epochs: int
    batch_size: int
    optimizer: str = "sgd"
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "constant"
    resnet_rescale: bool = True
    s_in: float = 1.0
    s_w: float = 2.0
    s_v: float = 2.0
    s_b: float = 0.0
    bn_eps: float = 1e-5

    def __post_init__(self):
        architectures.get(self.arch)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, not {self.optimizer!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, not {self.schedule!r}")
        if self.depth < 1 or self.width < 1 or self.epochs < 1 or self.batch_size < 2:
            raise ValueError("need depth, width, epochs >= 1 and batch_size >= 2")

    def as_dict(self) -> dict:
        """Plain dictionary of the fields (JSON-serialisable)."""
        return dataclasses.asdict(self)

    def replace(self, **changes) -> RunConfig:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def run_config(
    arch: str, depth: int, seed: int, lr: float, budget: Mapping, init: Mapping
) -> RunConfig:
    """Build a ``RunConfig`` from the ``training`` budget (width, epochs, batch size,
    optimiser, ...) and the initialisation (s_in, s_w, s_v, s_b, bn_eps) of one run; a key that
    is not a ``RunConfig`` field is an error."""
    return RunConfig(**budget, **init, arch=arch, depth=int(depth), seed=int(seed), lr=float(lr))


# --------------------------------------------------------------------------------------------
# device, determinism, provenance


def resolve_device(name: str = "auto") -> torch.device:
    """``auto``: CUDA when available, else CPU; otherwise the named torch device."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def deterministic() -> None:
    """Turn on deterministic algorithms (and the cuBLAS workspace setting they need on CUDA)."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False


def device_name(device: torch.device) -> str:
    """Human-readable device: ``cpu`` or ``cuda:<index> (<GPU name>)``."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return device.type


# --------------------------------------------------------------------------------------------
# model, optimiser, data order


def build_model(config: RunConfig, in_dim: int, n_classes: int) -> SeparabilityNet:
    """The docs/models.md network with a linear head, initialised from ``config.seed``."""
    model = SeparabilityNet(
        config.arch,
        in_dim,
        config.width,
        config.depth,
        n_classes=n_classes,
        s_in=config.s_in,
        s_w=config.s_w,
        s_v=config.s_v,
        s_b=config.s_b,
        bn_eps=config.bn_eps,
        bn_centering=True,
        resnet_rescale=config.resnet_rescale,
    )
    return model.initialise(config.seed)


def make_optimizer(
    configs: Sequence[RunConfig], models: Sequence[nn.Module]
) -> torch.optim.Optimizer:
    """SGD (with ``momentum``) or Adam with ``weight_decay`` over the parameters of every model,
    one parameter group per model with the learning rate of its config; PyTorch's fused
    implementation (one pass over the parameters per step: on a CPU about twice as fast as
    the per-tensor loop, which is memory-bound for these small networks)."""
    config = configs[0]
    groups = [
        {"params": list(model.parameters()), "lr": c.lr}
        for c, model in zip(configs, models, strict=True)
    ]
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            groups,
            lr=config.lr,
            momentum=config.momentum,
            weight_decay=config.weight_decay,
            fused=True,
        )
    return torch.optim.Adam(groups, lr=config.lr, weight_decay=config.weight_decay, fused=True)


def epoch_lr(config: RunConfig, epoch: int) -> float:
    """Learning rate of epoch ``epoch`` (0-based) under the schedule."""
    if config.schedule == "cosine":
        return config.lr * 0.5 * (1.0 + math.cos(math.pi * epoch / config.epochs))
    return config.lr


def epoch_order(seed: int, epoch: int, n: int) -> torch.Tensor:
    """Order of the ``n`` training samples in epoch ``epoch``: a permutation drawn from a
    ``torch.Generator`` seeded by (seed, epoch), so a resumed run sees the same order."""
    state = int(np.random.SeedSequence([int(seed), int(epoch), 7]).generate_state(1)[0])
    return torch.randperm(n, generator=torch.Generator().manual_seed(state))


def to_device(
    data: Mapping[str, np.ndarray], splits: Sequence[str], device: torch.device
) -> dict[str, torch.Tensor]:
    """Inputs (float32) and labels (int64) of the named splits as tensors on ``device``."""
    tensors = {}
    for split in splits:
        tensors[f"x_{split}"] = torch.as_tensor(
            data[f"x_{split}"], dtype=torch.float32, device=device
        )
        tensors[f"y_{split}"] = torch.as_tensor(
            data[f"y_{split}"], dtype=torch.int64, device=device
        )
    return tensors


def class_count(data: Mapping[str, np.ndarray]) -> int:
    """Number of classes K: one more than the largest label of any split in ``data``."""
    return 1 + max(
        int(np.max(data[key])) for key in data if key.startswith("y_") and len(data[key])
    )


def evaluate(ensemble: Ensemble, x: torch.Tensor, y: torch.Tensor) -> tuple[list, list]:
    """Mean cross-entropy and accuracy of each member of ``ensemble`` on the inputs x and
    labels y, with BN in inference mode (the ensemble's mode is kept)."""
    was_training = ensemble.training
    ensemble.eval()
    size = len(ensemble.members)
    loss = torch.zeros(size, dtype=torch.float64, device=x.device)
    correct = torch.zeros(size, dtype=torch.int64, device=x.device)
    with torch.no_grad():
        for start in range(0, len(x), EVAL_CHUNK):
            chunk = x[start : start + EVAL_CHUNK]
            logits = ensemble(chunk.expand(size, *chunk.shape))
            target = y[start : start + EVAL_CHUNK].expand(size, -1)
            loss += member_losses(logits, target, "sum").double()
            correct += (logits.argmax(dim=2) == target).sum(dim=1)
    ensemble.train(was_training)
    return (loss / len(x)).tolist(), (correct / len(x)).tolist()


def member_losses(logits: torch.Tensor, target: torch.Tensor, reduction: str = "mean"):
    """Cross-entropy of each member (logits S x B x K, labels S x B), mean or sum over its
    batch."""
    losses = nn.functional.cross_entropy(logits.flatten(0, 1), target.flatten(), reduction="none")
    losses = losses.view(target.shape)
    return losses.mean(dim=1) if reduction == "mean" else losses.sum(dim=1)


# --------------------------------------------------------------------------------------------
# statistics (one implementation: separability.statistics) on the two subsets


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
    model: SeparabilityNet, data: Mapping[str, np.ndarray], batch_statistics: bool
) -> dict[str, list[dict]]:
    """Per-layer statistics (``layer_statistics``) of layers 0..L on each subset of
    ``SUBSETS``, keyed by subset, with BN using the statistics of that subset as the batch or,
    if not ``batch_statistics``, its running statistics; the held-out rows add the
    nearest-class-mean accuracy of the held-out features with the training subset's class means
    (``ncm_accuracy``). A subset's Gram statistics read only that subset. Works on a copy: the
    model's running statistics are not touched."""
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
            # one float64 copy of each subset's features serves the Gram and the NCM accuracy
            train, heldout = as_float64(train), as_float64(heldout)
            for subset, h in (("train", train), ("heldout", heldout)):
                rows[subset].append({"layer": layer, **layer_statistics(gram(h), masks[subset])})
            rows["train"][-1]["ncm_accuracy"] = math.nan
            rows["heldout"][-1]["ncm_accuracy"] = ncm_accuracy(
                train, labels["train"], heldout, labels["heldout"]
            )
    return rows


def missing_statistics(depth: int) -> dict[str, list[dict]]:
    """NaN rows for every subset and layer (statistics of a diverged model)."""
    return {
        subset: [
            {"layer": layer, **{name: math.nan for name in LAYER_COLUMNS}}
            for layer in range(depth + 1)
        ]
        for subset in SUBSETS
    }


def collapsed(statistics: Mapping[str, list[dict]]) -> bool:
    """Whether the last hidden layer's features are all zero on the training subset (q = 0:
    every ReLU dead), so that no distance, angle or ratio is defined."""
    return math.isnan(statistics["train"][-1]["log_q"])


def last_layer(statistics: Mapping[str, Mapping[str, list[dict]]]) -> dict[str, float]:
    """The separability measures of the last hidden layer per subset and phase, named as the
    columns of runs.tsv (``LAST_LAYER``)."""
    return {
        column: statistics[phase][subset][-1][measure]
        for column, (subset, phase, measure) in LAST_LAYER.items()
    }


# --------------------------------------------------------------------------------------------
# training


@dataclasses.dataclass
class FitResult:
    """Outcome of one run of ``fit``: the model (last state; as before the step whose loss was
    non-finite if diverged), one dictionary per completed epoch, the status and, if diverged,
    the epoch and global step (1-based) of the first non-finite loss; ``resumed_from`` is the
    epoch a checkpoint restarted from, ``elapsed_s`` the training time of all sessions and
    ``previous_s`` that of the sessions before the resume (times of the whole ensemble)."""

    model: SeparabilityNet
    history: list[dict]
    status: str
    diverged_epoch: int | None
    diverged_step: int | None
    resumed_from: int
    elapsed_s: float
    previous_s: float


# RunConfig fields in which the runs trained together by ``fit`` may differ.
PER_RUN_FIELDS = ("seed", "lr")


def check_ensemble(configs: Sequence[RunConfig]) -> RunConfig:
    """Return the first of ``configs`` if they differ only in ``PER_RUN_FIELDS`` (one
    architecture, depth, width and budget), else raise ValueError."""
    if not configs:
        raise ValueError("no runs to train")
    shared = [{k: v for k, v in c.as_dict().items() if k not in PER_RUN_FIELDS} for c in configs]
    if any(fields != shared[0] for fields in shared):
        raise ValueError(f"runs trained together may differ only in {PER_RUN_FIELDS}")
    return configs[0]


def fit(
    configs: Sequence[RunConfig],
    data: Mapping[str, np.ndarray],
    device: torch.device,
    checkpoint: str | Path | None = None,
    progress: bool = True,
    on_epoch_end: Callable[[int], None] | None = None,
    description: str = "",
    data_sha256: str | None = None,
) -> list[FitResult]:
    """Train the classifiers of ``configs`` (runs differing only in seed and learning rate) on
    ``data['x_train'], data['y_train']``, together as one ``Ensemble``: run k sees the data
    order of its own seed and steps with its own rate; one run's divergence stops only that
    run. Returns one ``FitResult`` per config.

    Evaluates at the end of every epoch, with BN in inference mode, on the validation split
    and, only if ``data`` holds one, on the test split (recorded, never used for a choice).
    With ``checkpoint``, the state after every epoch is written there (atomically) with the
    runs' identity (configs, fingerprints of ``data`` and of the training code), and a
    checkpoint found there at the start is resumed from only if its identity is these runs';
    ``on_epoch_end(epoch)`` (1-based, after the checkpoint) lets tests simulate an
    interruption. ``data_sha256``: the caller's ``data_fingerprint(data)``, if it has one.
    """
    deterministic()
    config = check_ensemble(configs)
    splits = ["train", "val"] + (["test"] if "x_test" in data else [])
    tensors = to_device(data, splits, device)
    models = [
        build_model(c, tensors["x_train"].shape[1], class_count(data)).to(device) for c in configs
    ]
    optimizer = make_optimizer(configs, models)
    histories: list[list[dict]] = [[] for _ in configs]
    diverged: dict[int, tuple[int, int]] = {}  # run -> (epoch, step) of its non-finite loss
    start, elapsed = 0, 0.0
    identity = (
        None
        if checkpoint is None
        else {
            "config": [c.as_dict() for c in configs],
            "data": data_sha256 or data_fingerprint(data),
            "code": code_fingerprint(),
        }
    )
    state = load_checkpoint(checkpoint, identity)
    if state is not None:
        for model, weights in zip(models, state["models"], strict=True):
            model.load_state_dict(weights)
        optimizer.load_state_dict(state["optimizer"])
        histories = [list(history) for history in state["histories"]]
        diverged = {run: (epoch, step) for run, epoch, step in state["diverged"]}
        start, elapsed = int(state["epoch"]), state["elapsed_s"]
        LOG.info("%s: resuming from the checkpoint of epoch %d", description, start)
    n_train = len(tensors["x_train"])
    batch = min(config.batch_size, n_train)
    steps_per_epoch = max(1, n_train // batch)
    began = time.perf_counter()
    bar = tqdm(
        range(start, config.epochs),
        initial=start,
        total=config.epochs,
        unit="epoch",
        desc=description,
        disable=not progress,
        file=sys.stderr,
        mininterval=0,
        dynamic_ncols=False,
        ncols=120,
    )

    def assemble(runs: list[int]) -> Ensemble:
        """The training ensemble of the models of ``runs``."""
        return Ensemble([models[run] for run in runs]).train()

    active = [run for run in range(len(configs)) if run not in diverged]
    ensemble = assemble(active)
    for epoch in bar:
        if not active:
            break
        for c, group in zip(configs, optimizer.param_groups, strict=True):
            group["lr"] = epoch_lr(c, epoch)
        orders = torch.stack([epoch_order(configs[run].seed, epoch, n_train) for run in active])
        orders = orders.to(device)
        loss_sum = torch.zeros(len(active), dtype=torch.float64, device=device)
        correct = torch.zeros(len(active), dtype=torch.int64, device=device)
        for step in range(steps_per_epoch):
            index = orders[:, step * batch : (step + 1) * batch]
            target = tensors["y_train"][index]
            logits = ensemble(tensors["x_train"][index])
            losses = member_losses(logits, target)
            finite = torch.isfinite(losses)
            optimizer.zero_grad(set_to_none=True)
            if bool(finite.any()):
                losses[finite].sum().backward()
            failed = [run for run, ok in zip(active, finite.tolist(), strict=True) if not ok]
            for run in failed:  # its last state stays the one before the non-finite loss
                diverged[run] = (epoch + 1, epoch * steps_per_epoch + step + 1)
                for parameter in models[run].parameters():
                    parameter.grad = None
            optimizer.step()
            loss_sum += losses.detach().double() * batch
            correct += (logits.argmax(dim=2) == target).sum(dim=1)
            if failed:
                keep = [i for i, run in enumerate(active) if run not in diverged]
                ensemble.sync()
                active = [active[i] for i in keep]
                orders, loss_sum, correct = orders[keep], loss_sum[keep], correct[keep]
                if not active:
                    break
                ensemble = assemble(active)
        if not active:
            break
        seen = steps_per_epoch * batch
        records = [
            {
                "epoch": epoch + 1,
                "lr": epoch_lr(configs[run], epoch),
                "train_loss": loss / seen,
                "train_accuracy": hits / seen,
            }
            for run, loss, hits in zip(active, loss_sum.tolist(), correct.tolist(), strict=True)
        ]
        for split in splits[1:]:
            losses, accuracies = evaluate(ensemble, tensors[f"x_{split}"], tensors[f"y_{split}"])
            for record, loss, accuracy in zip(records, losses, accuracies, strict=True):
                record[f"{split}_loss"], record[f"{split}_accuracy"] = loss, accuracy
        for run, record in zip(active, records, strict=True):
            histories[run].append(record)
            if not math.isfinite(record["val_loss"]):  # the inference-mode model has blown up
                diverged[run] = (epoch + 1, (epoch + 1) * steps_per_epoch)
        bar.set_postfix(
            loss=f"{np.mean([r['train_loss'] for r in records]):.3g}",
            acc=f"{np.mean([r['train_accuracy'] for r in records]):.3f}",
            val_acc=f"{np.mean([r['val_accuracy'] for r in records]):.3f}",
            refresh=False,
        )
        ensemble.sync()
        if any(run in diverged for run in active):
            active = [run for run in active if run not in diverged]
            ensemble = assemble(active) if active else ensemble
        if checkpoint is not None:
            save_checkpoint(
                checkpoint,
                {
                    "identity": identity,
                    "epoch": epoch + 1,
                    "models": [model.state_dict() for model in models],
                    "optimizer": optimizer.state_dict(),
                    "histories": histories,
                    "diverged": [[run, *where] for run, where in diverged.items()],
                    "elapsed_s": elapsed + time.perf_counter() - began,
                },
            )
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1)
    bar.close()
    ensemble.sync()
    total = elapsed + time.perf_counter() - began
    return [
        FitResult(
            model.eval(),
            history,
            "diverged" if run in diverged else "ok",
            *diverged.get(run, (None, None)),
            start,
            total,
            elapsed,
        )
        for run, (model, history) in enumerate(zip(models, histories, strict=True))
    ]


def save_model(model: nn.Module, config: RunConfig, status: str, path: str | Path) -> None:
    """Write the trained model's state and its config to ``path`` atomically (a checkpoint
    loadable with ``torch.load(path, weights_only=True)``)."""
    save_checkpoint(
        path,
        {
            "config": config.as_dict(),
            "status": status,
            "model": {key: value.cpu() for key, value in model.state_dict().items()},
        },
    )


def train_runs(
    configs: Sequence[RunConfig],
    data: Mapping[str, np.ndarray],
    device: torch.device,
    checkpoint: str | Path | None = None,
    progress: bool = True,
    on_epoch_end: Callable[[int], None] | None = None,
) -> list[tuple[dict, SeparabilityNet]]:
    """Seeded training runs with everything docs/training.md asks to record, trained together
    by ``fit`` (runs differing only in seed and learning rate, e.g. the seeds of one
    architecture and depth).

    ``data`` is a prepared data set (``load_prepared``): train/val/test splits, the evaluation
    subset (x_eval, y_eval) and the held-out subset (x_heldout, y_heldout). Returns the
    JSON-ready record and the trained model of each run. A record holds the config, the
    per-epoch history (train/val/test loss and accuracy), the status (``ok``; ``diverged`` with
    epoch and step; ``collapsed``) and its reason, the final losses and accuracies (NaN when
    diverged; validation and test those of the last epoch), the per-layer statistics of the
    phases init / trained / trained_batch on both subsets, the last-layer measures
    (``last_layer``), a fingerprint of the data, the device and the times of the training it
    shared with ``ensemble_size`` runs.
    """
    began = time.perf_counter()
    config = check_ensemble(configs)
    description = f"{config.arch} L={config.depth} seeds {[c.seed for c in configs]}"
    in_dim, n_classes = data["x_train"].shape[1], class_count(data)
    initial = [
        subset_statistics(build_model(c, in_dim, n_classes).to(device), data, True) for c in configs
    ]
    fingerprint = data_fingerprint(data)
    results = fit(
        configs, data, device, checkpoint, progress, on_epoch_end, description, fingerprint
    )
    trained = [run for run, result in enumerate(results) if result.status == "ok"]
    train_split = {}
    if trained:
        tensors = to_device(data, ("train",), device)
        ensemble = Ensemble([results[run].model for run in trained])
        train_split = dict(
            zip(trained, zip(*evaluate(ensemble, tensors["x_train"], tensors["y_train"])))
        )
    runs = []
    for run, (c, result) in enumerate(zip(configs, results, strict=True)):
        statistics = {"init": initial[run]}
        status, reason = result.status, None
        if status == "ok":
            last = result.history[-1]
            final = {key: last[key] for key in ("val_loss", "val_accuracy")}
            final.update({key: last.get(key, math.nan) for key in ("test_loss", "test_accuracy")})
            final["train_loss"], final["train_accuracy"] = train_split[run]
            statistics["trained"] = subset_statistics(result.model, data, batch_statistics=False)
            statistics["trained_batch"] = (
                subset_statistics(result.model, data, batch_statistics=True)
                if architectures.get(c.arch).normalised
                else statistics["trained"]
            )
            if collapsed(statistics["trained"]):
                status = "collapsed"
                reason = (
                    f"every feature of the last hidden layer (l = {c.depth}) is zero "
                    "after training (q = 0, all ReLUs dead): its statistics are undefined"
                )
        else:
            reason = (
                f"non-finite loss at epoch {result.diverged_epoch}, step {result.diverged_step}"
            )
            final = {
                f"{split}_{what}": math.nan
                for split in ("train", "val", "test")
                for what in ("loss", "accuracy")
            }
            statistics["trained"] = statistics["trained_batch"] = missing_statistics(c.depth)
        record = {
            "arch": c.arch,
            "depth": c.depth,
            "seed": c.seed,
            "lr": c.lr,
            "n_classes": n_classes,
            "config": c.as_dict(),
            "status": status,
            "status_reason": reason,
            "diverged_epoch": result.diverged_epoch,
            "diverged_step": result.diverged_step,
            "history": result.history,
            "final": final,
            "last_layer": last_layer(statistics),
            "statistics": statistics,
            "subset_sizes": {s: int(len(data[f"y_{key}"])) for s, key in SUBSETS.items()},
            "data_sha256": fingerprint,
            "resumed_from_epoch": result.resumed_from,
            "ensemble_size": len(configs),
            "training_time_s": result.elapsed_s,
            "wall_time_s": time.perf_counter() - began + result.previous_s,
            "device": device_name(device),
            "torch_version": torch.__version__,
            "threads": torch.get_num_threads(),
        }
        log_run(record)
        runs.append((record, result.model))
    return runs


def train_run(
    config: RunConfig,
    data: Mapping[str, np.ndarray],
    device: torch.device,
    checkpoint: str | Path | None = None,
    progress: bool = True,
    on_epoch_end: Callable[[int], None] | None = None,
) -> tuple[dict, SeparabilityNet]:
    """One seeded training run: ``train_runs`` of ``config`` alone."""
    return train_runs([config], data, device, checkpoint, progress, on_epoch_end)[0]


def log_run(record: Mapping) -> None:
    """Log one line summing up a run record: status, test accuracy, last-layer ratios."""
    measures = record["last_layer"]
    LOG.info(
        "%s L=%d seed=%d lr=%g: %s%s, %d epochs, test accuracy %.4f; ratio d_b/d_w at layer "
        "%d, held-out %.4g -> %.4g, training subset %.4g -> %.4g (batch BN %.4g), %.1f s for "
        "%d runs on %s",
        record["arch"],
        record["depth"],
        record["seed"],
        record["lr"],
        record["status"],
        f" ({record['status_reason']})" if record["status_reason"] else "",
        len(record["history"]),
        record["final"]["test_accuracy"],
        record["depth"],
        measures["heldout_ratio_init"],
        measures["heldout_ratio_trained"],
        measures["ratio_init"],
        measures["ratio_trained"],
        measures["ratio_trained_batch"],
        record["wall_time_s"],
        record["ensemble_size"],
        record["device"],
    )


# --------------------------------------------------------------------------------------------
# learning-rate selection (validation split only)

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


# --------------------------------------------------------------------------------------------
# tidy tables

LAST_LAYER_COLUMNS = tuple(LAST_LAYER)
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


def aggregate(records: Sequence[Mapping]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """runs.tsv (one row per run, ``RUN_COLUMNS``) and layers.tsv (one row per run, phase,
    subset and layer) from run records, sorted by architecture, depth and seed."""
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
