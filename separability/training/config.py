"""What determines a training run (docs/training.md): its configuration, the device it runs
on and the switches that make it deterministic."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping

import torch

from separability import architectures

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "cosine")


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Everything that determines one training run (recorded in its JSON and checkpoint).

    ``resnet_rescale`` divides the output of each block of a homogeneous architecture with a
    skip path (`resnet`) by the square root of its second-moment gain, sqrt(1 + s_w s_v / 2)
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
