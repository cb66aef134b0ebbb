"""Training of docs/training.md (claims C1, C5): the seeded runs of one architecture, depth and
width, trained together as one batched ``Ensemble`` with one budget, each run bit-identical to
the same run trained alone.

Every run is seeded end to end: the weights come from ``SeparabilityNet.initialise(seed)``, the
order of the training samples in each epoch from a ``torch.Generator`` seeded by (seed, epoch),
and deterministic algorithms are on, so one seed gives one bit-identical result on one device
and thread count. The runs can be checkpointed after every epoch and resumed from the
checkpoint with the same result as an uninterrupted run; a checkpoint is resumed only by runs of
the same config, data and training code (``separability.io.load_checkpoint``). A non-finite
loss stops a run and marks it ``diverged`` with the epoch and step, and nothing raises.

``fit`` is the loop, in named steps: ``resume`` (from a checkpoint), ``train_epoch`` (one pass
over the training split), ``end_of_epoch`` (records, evaluation, divergence of the inference
model) and ``write_checkpoint``. ``train_runs`` adds what a run records (final metrics, status,
provenance); the separability statistics of the trained networks are computed from the saved
weights by ``separability.training.analysis``.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from separability.io import code_fingerprint, data_fingerprint, load_checkpoint, save_checkpoint
from separability.models import Ensemble, SeparabilityNet
from separability.training.config import RunConfig, deterministic, device_name

LOG = logging.getLogger("separability")
EVAL_CHUNK = 2048


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


@dataclasses.dataclass
class EnsembleState:
    """The state of runs trained together: their configs and models, the optimiser (one
    parameter group per run), each run's per-epoch records, the runs that diverged (run ->
    epoch and global step, 1-based, of the first non-finite loss), the runs stopped early by
    the caller (run -> epoch, e.g. by successive halving), the runs still training
    (``active``), the first epoch of this session (``start``, after a resume) and the training
    time of the sessions before it (``previous_s``)."""

    configs: Sequence[RunConfig]
    models: list[SeparabilityNet]
    optimizer: torch.optim.Optimizer
    histories: list[list[dict]]
    diverged: dict[int, tuple[int, int]]
    active: list[int]
    start: int = 0
    previous_s: float = 0.0
    stopped: dict[int, int] = dataclasses.field(default_factory=dict)

    def ensemble(self) -> Ensemble:
        """The training ensemble of the active runs' models."""
        return Ensemble([self.models[run] for run in self.active]).train()

    def drop_finished(self) -> bool:
        """Remove the runs that diverged or were stopped from ``active``; whether any was."""
        kept = [run for run in self.active if run not in self.diverged and run not in self.stopped]
        changed = len(kept) != len(self.active)
        self.active = kept
        return changed

    def status(self, run: int) -> str:
        """``diverged``, ``stopped`` (early, by the caller) or ``ok``."""
        if run in self.diverged:
            return "diverged"
        return "stopped" if run in self.stopped else "ok"


def start_state(
    configs: Sequence[RunConfig], in_dim: int, n_classes: int, device: torch.device
) -> EnsembleState:
    """Fresh models (initialised from their seeds) and optimiser of the runs ``configs``."""
    models = [build_model(c, in_dim, n_classes).to(device) for c in configs]
    return EnsembleState(
        configs,
        models,
        make_optimizer(configs, models),
        [[] for _ in configs],
        {},
        list(range(len(configs))),
    )


def resume(state: EnsembleState, checkpoint, identity: Mapping | None, description: str) -> None:
    """Load the checkpoint at ``checkpoint`` into ``state`` if it was written by these runs
    (``identity``: configs, data and code fingerprints; ``io.load_checkpoint``)."""
    saved = load_checkpoint(checkpoint, identity)
    if saved is None:
        return
    for model, weights in zip(state.models, saved["models"], strict=True):
        model.load_state_dict(weights)
    state.optimizer.load_state_dict(saved["optimizer"])
    state.histories = [list(history) for history in saved["histories"]]
    state.diverged = {run: (epoch, step) for run, epoch, step in saved["diverged"]}
    state.stopped = {run: epoch for run, epoch in saved.get("stopped", [])}
    state.active = [
        run
        for run in range(len(state.configs))
        if run not in state.diverged and run not in state.stopped
    ]
    state.start, state.previous_s = int(saved["epoch"]), saved["elapsed_s"]
    LOG.info("%s: resuming from the checkpoint of epoch %d", description, state.start)


def train_epoch(
    state: EnsembleState,
    ensemble: Ensemble,
    epoch: int,
    tensors: Mapping[str, torch.Tensor],
    batch: int,
) -> tuple[Ensemble, torch.Tensor, torch.Tensor]:
    """One pass of the active runs over the training split, each in its own seeded order with
    its own rate of the schedule: returns the ensemble (rebuilt without a run whose loss
    became non-finite, which keeps its state from before that step and is recorded in
    ``state.diverged``) and the summed training loss and correct count of the runs still
    active."""
    n_train = len(tensors["x_train"])
    steps = max(1, n_train // batch)
    device = tensors["x_train"].device
    for c, group in zip(state.configs, state.optimizer.param_groups, strict=True):
        group["lr"] = epoch_lr(c, epoch)
    orders = torch.stack(
        [epoch_order(state.configs[run].seed, epoch, n_train) for run in state.active]
    )
    orders = orders.to(device)
    loss_sum = torch.zeros(len(state.active), dtype=torch.float64, device=device)
    correct = torch.zeros(len(state.active), dtype=torch.int64, device=device)
    for step in range(steps):
        index = orders[:, step * batch : (step + 1) * batch]
        target = tensors["y_train"][index]
        logits = ensemble(tensors["x_train"][index])
        losses = member_losses(logits, target)
        finite = torch.isfinite(losses)
        state.optimizer.zero_grad(set_to_none=True)
        if bool(finite.any()):
            losses[finite].sum().backward()
        failed = [run for run, ok in zip(state.active, finite.tolist(), strict=True) if not ok]
        for run in failed:  # its last state stays the one before the non-finite loss
            state.diverged[run] = (epoch + 1, epoch * steps + step + 1)
            for parameter in state.models[run].parameters():
                parameter.grad = None
        state.optimizer.step()
        loss_sum += losses.detach().double() * batch
        correct += (logits.argmax(dim=2) == target).sum(dim=1)
        if failed:
            keep = [i for i, run in enumerate(state.active) if run not in state.diverged]
            ensemble.sync()
            state.active = [state.active[i] for i in keep]
            orders, loss_sum, correct = orders[keep], loss_sum[keep], correct[keep]
            if not state.active:
                break
            ensemble = state.ensemble()
    return ensemble, loss_sum, correct


def test_epoch(epoch: int, epochs: int) -> bool:
    """Whether the test split is evaluated after ``epoch`` (1-based) of ``epochs``: at
    log-spaced epochs 1, 2, 4, 8, ... and at the last one (the final metrics; docs/training.md:
    validation, which divergence and selection need, is evaluated every epoch)."""
    return epoch == epochs or (epoch & (epoch - 1)) == 0


def end_of_epoch(
    state: EnsembleState,
    ensemble: Ensemble,
    epoch: int,
    tensors: Mapping[str, torch.Tensor],
    splits: Sequence[str],
    sums: tuple[torch.Tensor, torch.Tensor],
    steps: int,
    batch: int,
) -> list[dict]:
    """The epoch's record of each active run (rate, training loss and accuracy over its
    ``steps`` minibatches of ``batch`` samples, and, with BN in inference mode, loss and
    accuracy on each split of ``splits``, the test split only at the epochs of
    ``test_epoch``), appended to its history; a run whose
    inference-mode validation loss is non-finite has blown up and is marked diverged at the
    epoch's last step. Returns the records."""
    loss_sum, correct = sums
    seen = steps * batch
    records = [
        {
            "epoch": epoch + 1,
            "lr": epoch_lr(state.configs[run], epoch),
            "train_loss": loss / seen,
            "train_accuracy": hits / seen,
        }
        for run, loss, hits in zip(state.active, loss_sum.tolist(), correct.tolist(), strict=True)
    ]
    for split in splits:
        if split == "test" and not test_epoch(epoch + 1, state.configs[0].epochs):
            continue
        losses, accuracies = evaluate(ensemble, tensors[f"x_{split}"], tensors[f"y_{split}"])
        for record, loss, accuracy in zip(records, losses, accuracies, strict=True):
            record[f"{split}_loss"], record[f"{split}_accuracy"] = loss, accuracy
    for run, record in zip(state.active, records, strict=True):
        state.histories[run].append(record)
        if not math.isfinite(record["val_loss"]):  # the inference-mode model has blown up
            state.diverged[run] = (epoch + 1, (epoch + 1) * steps)
    return records


def write_checkpoint(
    state: EnsembleState, checkpoint, identity: Mapping, epoch: int, elapsed_s: float
) -> None:
    """Save the runs' state after ``epoch`` (1-based) epochs, atomically, with their
    ``identity``."""
    save_checkpoint(
        checkpoint,
        {
            "identity": identity,
            "epoch": epoch,
            "models": [model.state_dict() for model in state.models],
            "optimizer": state.optimizer.state_dict(),
            "histories": state.histories,
            "diverged": [[run, *where] for run, where in state.diverged.items()],
            "stopped": [[run, epoch] for run, epoch in state.stopped.items()],
            "elapsed_s": elapsed_s,
        },
    )


def run_identity(configs: Sequence[RunConfig], data, data_sha256: str | None) -> dict:
    """What a checkpoint of these runs must match to be resumed: the runs' configs and the
    fingerprints of the data and of the training code."""
    return {
        "config": [c.as_dict() for c in configs],
        "data": data_sha256 or data_fingerprint(data),
        "code": code_fingerprint(),
    }


def fit(
    configs: Sequence[RunConfig],
    data: Mapping[str, np.ndarray],
    device: torch.device,
    checkpoint: str | Path | None = None,
    progress: bool = True,
    on_epoch_end: Callable[[int], None] | None = None,
    description: str = "",
    data_sha256: str | None = None,
    stop: Callable[[int, Mapping[int, list[dict]]], Sequence[int]] | None = None,
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
    ``stop(epoch, histories of the active runs)`` returns the runs to stop after that epoch
    (successive halving of the learning-rate selection): a stopped run keeps its state and
    history, status ``stopped``, and the others continue exactly as they would have.
    """
    deterministic()
    config = check_ensemble(configs)
    splits = ["train", "val"] + (["test"] if "x_test" in data else [])
    tensors = to_device(data, splits, device)
    state = start_state(configs, tensors["x_train"].shape[1], class_count(data), device)
    identity = None if checkpoint is None else run_identity(configs, data, data_sha256)
    resume(state, checkpoint, identity, description)
    n_train = len(tensors["x_train"])
    batch = min(config.batch_size, n_train)
    steps = max(1, n_train // batch)
    began = time.perf_counter()
    bar = tqdm(
        range(state.start, config.epochs),
        initial=state.start,
        total=config.epochs,
        unit="epoch",
        desc=description,
        disable=not progress,
        file=sys.stderr,
        mininterval=0,
        dynamic_ncols=False,
        ncols=120,
    )
    ensemble = state.ensemble()
    for epoch in bar:
        if not state.active:
            break
        ensemble, *sums = train_epoch(state, ensemble, epoch, tensors, batch)
        if not state.active:
            break
        records = end_of_epoch(state, ensemble, epoch, tensors, splits[1:], sums, steps, batch)
        bar.set_postfix(
            loss=f"{np.mean([r['train_loss'] for r in records]):.3g}",
            acc=f"{np.mean([r['train_accuracy'] for r in records]):.3f}",
            val_acc=f"{np.mean([r['val_accuracy'] for r in records]):.3f}",
            refresh=False,
        )
        ensemble.sync()
        if stop is not None:
            active = {
                run: state.histories[run] for run in state.active if run not in state.diverged
            }
            state.stopped.update(dict.fromkeys(stop(epoch + 1, active), epoch + 1))
        if state.drop_finished() and state.active:
            ensemble = state.ensemble()
        if checkpoint is not None:
            elapsed = state.previous_s + time.perf_counter() - began
            write_checkpoint(state, checkpoint, identity, epoch + 1, elapsed)
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1)
    bar.close()
    ensemble.sync()
    total = state.previous_s + time.perf_counter() - began
    return [
        FitResult(
            model.eval(),
            history,
            state.status(run),
            *state.diverged.get(run, (None, None)),
            state.start,
            total,
            state.previous_s,
        )
        for run, (model, history) in enumerate(zip(state.models, state.histories, strict=True))
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
    """Seeded training runs with everything docs/training.md asks to record of the training
    itself, trained together by ``fit`` (runs differing only in seed and learning rate, e.g.
    the seeds of one architecture and depth).

    ``data`` is a prepared data set (``load_prepared``): train/val/test splits (the subsets of
    the separability analysis are not read here). Returns the JSON-ready record and the
    trained model of each run. A record holds the config, the per-epoch history
    (train/validation/test loss and accuracy), the status (``ok``, or ``diverged`` with epoch
    and step) and its reason, the final losses and accuracies (NaN when diverged; validation
    and test those of the last epoch, training those of the trained model on the whole
    training split in inference mode), a fingerprint of the data, the device and the times of
    the training it shared with ``ensemble_size`` runs.
    """
    began = time.perf_counter()
    config = check_ensemble(configs)
    description = f"{config.arch} L={config.depth} seeds {[c.seed for c in configs]}"
    n_classes = class_count(data)
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
        if result.status == "ok":
            last = result.history[-1]
            final = {key: last[key] for key in ("val_loss", "val_accuracy")}
            final.update({key: last.get(key, math.nan) for key in ("test_loss", "test_accuracy")})
            final["train_loss"], final["train_accuracy"] = train_split[run]
            reason = None
        else:
            reason = (
                f"non-finite loss at epoch {result.diverged_epoch}, step {result.diverged_step}"
            )
            final = {
                f"{split}_{what}": math.nan
                for split in ("train", "val", "test")
                for what in ("loss", "accuracy")
            }
        record = {
            "arch": c.arch,
            "depth": c.depth,
            "seed": c.seed,
            "lr": c.lr,
            "n_classes": n_classes,
            "config": c.as_dict(),
            "status": result.status,
            "status_reason": reason,
            "diverged_epoch": result.diverged_epoch,
            "diverged_step": result.diverged_step,
            "history": result.history,
            "final": final,
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
    """Log one line summing up a run record: status, epochs, test accuracy, time."""
    LOG.info(
        "%s L=%d seed=%d lr=%g: %s%s, %d epochs, test accuracy %.4f, %.1f s for %d runs on %s",
        record["arch"],
        record["depth"],
        record["seed"],
        record["lr"],
        record["status"],
        f" ({record['status_reason']})" if record["status_reason"] else "",
        len(record["history"]),
        record["final"]["test_accuracy"],
        record["wall_time_s"],
        record["ensemble_size"],
        record["device"],
    )
