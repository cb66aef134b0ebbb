"""The architectures of docs/models.md, each registered once (docs/models.md, "Adding an
architecture").

An entry says what a block is, h -> [h +] V phi(norm(W h + b)), through three structural
choices: the skip path (``skip``), the normalisation of the branch's pre-activation (``norm``:
None, or ``"bn"``, per-unit batch normalisation) and the activation ``phi`` (``"relu"``, or
``"linear"`` for toy blocks). From these the entry derives everything the package needs of an
architecture, in one place:

* its block (``block``), the one definition the torch model, the batched ensemble of training
  and the random-init propagation all apply;
* its infinite-width Gram map K_l -> K_{l+1} (``gram_map``, docs/theory.md, section 3);
* its scalar map of one angle (``scalar_form``: the flags of the deficit recursion of
  docs/theory.md, section 6);
* whether rescaling the features is exact (``homogeneous``) and the output scale of the
  trainable form (``trained_out_scale``);
* what the paper says of it: its decay law (``paper_law``, claim C4) and its place in the
  paper's ordering of the distance ratio (``paper_rank``, claim C3; None for architectures
  the paper does not rank);
* its label and colour in every figure.

The workflow derives its wildcard constraints and the config schema's enumeration from
``names()``. A further architecture is one ``register(Architecture(...))``; a block outside
this family subclasses ``Architecture`` and overrides ``block``, ``gram_map`` and
``scalar_form``. Importing this module imports neither torch nor the theory (the workflow
reads it at DAG time).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

NORMS = (None, "bn")
ACTIVATIONS = ("relu", "linear")
# The paper's three decay-law names of C4 (docs/claims.md, C4).
PAPER_LAWS = ("exponential", "sub-exponential", "reciprocal")


@dataclasses.dataclass(frozen=True)
class ScalarForm:
    """The block seen by the scalar recursion of one angle (docs/theory.md, section 6): with a
    skip path or not, its branch normalised to unit second moment or not, ReLU or linear."""

    skip: bool
    normalised: bool
    relu: bool


@dataclasses.dataclass(frozen=True)
class Architecture:
    """One architecture: name, figure label and colour (an index into seaborn's colour-blind
    palette), the block's structure (``skip``, ``norm``, ``activation``) and what the paper
    says of it (``paper_law``, ``paper_rank``)."""

    name: str
    label: str
    colour: int
    skip: bool
    norm: str | None = None
    activation: str = "relu"
    paper_law: str | None = None
    paper_rank: int | None = None
    description: str = ""

    def __post_init__(self):
        if not self.name.isidentifier():
            raise ValueError(f"architecture name {self.name!r} must be an identifier")
        if self.norm not in NORMS:
            raise ValueError(f"{self.name}: norm must be one of {NORMS}, not {self.norm!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"{self.name}: activation must be one of {ACTIVATIONS}")
        if self.norm is not None and self.activation != "relu":
            raise ValueError(f"{self.name}: a normalised branch needs the ReLU activation")
        if self.paper_law not in (None, *PAPER_LAWS):
            raise ValueError(f"{self.name}: paper_law must be None or one of {PAPER_LAWS}")

    @property
    def normalised(self) -> bool:
        """Whether the branch's pre-activation is batch-normalised."""
        return self.norm is not None

    @property
    def homogeneous(self) -> bool:
        """Whether the block is positively homogeneous, f(a h) = a f(h) for a > 0 (without
        bias; with bias f_b(a h) = a f_{b/a}(h)): then dividing the features by a scalar after
        a block, and carrying its logarithm, changes no angle or ratio (docs/models.md, "Scale
        and rescaling"). A normalised branch is scale-invariant while its skip path is not, so
        normalised blocks are never rescaled."""
        return self.norm is None

    def block(self, h, w: Callable, v: Callable, norm: Callable):
        """The block h -> [h +] V phi(norm(W h + b)) on a batch of features h, given its
        linear maps ``w`` (W h + b) and ``v`` (V x + its bias) and the normalisation ``norm``
        as callables: the one definition that ``models.Block``, ``models.Ensemble`` and the
        random-init propagation apply (torch tensors)."""
        import torch

        branch = w(h)
        if self.norm is not None:
            branch = norm(branch)
        if self.activation == "relu":
            branch = torch.relu(branch)
        return h + v(branch) if self.skip else branch

    def gram_map(
        self,
        gram,
        s_w: float = 2.0,
        s_v: float = 2.0,
        s_b: float = 0.0,
        bn_centering: bool = True,
        bn: str = "exact",
    ):
        """One block of the infinite-width Gram recursion K_l -> K_{l+1} (docs/theory.md,
        section 3). The branch maps the pre-activation Gram s_w K + s_b by the ReLU map R, by
        the BN-then-ReLU map B for a normalised branch (exact or large-batch, ``bn``; centred or
        variance-only, ``bn_centering``), or leaves it for a linear branch; the block returns
        K + s_v branch with a skip path, else the branch."""
        from separability import theory

        pre = s_w * gram + s_b
        if self.norm is not None:
            branch = theory.bn_branch_gram(pre, bn_centering, bn)
        elif self.activation == "relu":
            branch = theory.relu_gram(pre)
        else:
            branch = pre
        return gram + s_v * branch if self.skip else branch

    def scalar_form(self) -> ScalarForm | None:
        """The block as the scalar recursion of one angle sees it (None for a block that
        recursion does not cover: the architecture then has no scalar theory)."""
        return ScalarForm(self.skip, self.normalised, self.activation == "relu")

    def trained_out_scale(self, s_w: float, s_v: float) -> float:
        """Divisor of each block's output in the trainable form (training.resnet_rescale,
        docs/models.md): for a homogeneous block with a skip path the square root of its
        second-moment gain per block (1 + s_w s_v / 2 with ReLU, 1 + s_w s_v linear), which
        changes no angle or ratio at initialisation and keeps the forward signal finite; 1 for
        every other block (without skip the ReLU block keeps q at He init; a normalised
        branch grows it only linearly)."""
        if not (self.skip and self.homogeneous):
            return 1.0
        gain = s_w * s_v / 2.0 if self.activation == "relu" else s_w * s_v
        return math.sqrt(1.0 + gain)


REGISTRY: dict[str, Architecture] = {}


def register(entry: Architecture) -> Architecture:
    """Add ``entry`` to the registry (its name must be new) and return it."""
    if entry.name in REGISTRY:
        raise ValueError(f"architecture {entry.name!r} is registered already")
    REGISTRY[entry.name] = entry
    return entry


def unregister(name: str) -> None:
    """Remove a registered architecture (for tests that register a toy one)."""
    del REGISTRY[name]


def get(name: str) -> Architecture:
    """The registered architecture ``name``; ValueError naming the registered ones if there is
    none."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown architecture {name!r}; registered: {', '.join(REGISTRY)}"
        ) from None


def names() -> tuple[str, ...]:
    """Names of every registered architecture, in registration order (the order of tables,
    legends and figures)."""
    return tuple(REGISTRY)


def paper_order() -> tuple[str, ...]:
    """The architectures the paper ranks, by their place in its ordering of the distance ratio
    (claim C3: ResNet+BN >= ResNet >= MLP), largest first."""
    ranked = [entry for entry in REGISTRY.values() if entry.paper_rank is not None]
    return tuple(entry.name for entry in sorted(ranked, key=lambda entry: entry.paper_rank))


def design() -> dict[tuple[bool, bool], str]:
    """The 2 x 2 design of skip path and batch normalisation (docs/models.md): (skip,
    normalised) -> the first registered ReLU architecture of that cell (mlp, resnet, mlp_bn,
    resnet_bn)."""
    cells: dict[tuple[bool, bool], str] = {}
    for name, entry in REGISTRY.items():
        if entry.activation == "relu":
            cells.setdefault((entry.skip, entry.normalised), name)
    return cells


def paper_laws() -> dict[str, str]:
    """The decay law the paper names for each architecture it discusses (claim C4)."""
    return {name: entry.paper_law for name, entry in REGISTRY.items() if entry.paper_law}


register(
    Architecture(
        "mlp",
        "MLP",
        colour=0,
        skip=False,
        paper_law="exponential",
        paper_rank=2,
        description="plain ReLU network, h' = relu(W h + b)",
    )
)
register(
    Architecture(
        "resnet",
        "ResNet",
        colour=1,
        skip=True,
        paper_law="sub-exponential",
        paper_rank=1,
        description="residual blocks, h' = h + V relu(W h + b)",
    )
)
register(
    Architecture(
        "resnet_bn",
        "ResNet+BN",
        colour=2,
        skip=True,
        norm="bn",
        paper_law="reciprocal",
        paper_rank=0,
        description="residual blocks with BN, h' = h + V relu(BN(W h + b))",
    )
)
register(
    Architecture(
        "mlp_bn",
        "MLP+BN",
        colour=3,
        skip=False,
        norm="bn",
        description="ReLU network with BN and no skip path, h' = relu(BN(W h + b)): "
        "the fourth cell of the skip x BN design, not in the paper",
    )
)
