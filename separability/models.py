"""The architectures of docs/models.md as torch modules, with the paper's init.

Input layer h0 = A x (linear); then ``depth`` blocks of the architecture's kind, each applying
the registry's one definition of its block (``architectures.Architecture.block``), e.g.
  mlp:       h' = relu(W h)
  resnet:    h' = h + V relu(W h)
  resnet_bn: h' = h + V relu(BN(W h))
  mlp_bn:    h' = relu(BN(W h))
W, V ~ N(0, s / N) per fan-in, BN gamma 1 beta 0. The pre-activation bias b of every block
(inside BN's input for a normalised branch) is drawn b ~ N(0, s_b) per unit, zero by default
(the paper's setting); every other bias starts at zero. All biases are trainable in training.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional

from separability import architectures


def linear(in_features: int, out_features: int) -> nn.Linear:
    """A linear layer whose parameters are left uninitialised (``SeparabilityNet.initialise``
    draws them), sparing PyTorch's default init of thousands of layers."""
    return nn.utils.skip_init(nn.Linear, in_features, out_features)


class VarianceNorm(nn.Module):
    """Variance-only batch normalisation in its large-batch limit (docs/models.md,
    `bn_centering=False`): no centering, and the per-unit second moment over the batch replaced
    by its mean over the units, i.e. u / sqrt(mean(u^2) + eps) with one scalar for the whole
    batch. This is the BN of the scalar theory (C = K / mean diag K) and keeps it exact at
    finite width."""

    def __init__(self, eps: float = 1e-5):
        super().__init__()
        self.eps = eps

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        """Return u / sqrt(mean(u^2) + eps), the mean over batch and units."""
        return u * torch.rsqrt(u.square().mean() + self.eps)


class Block(nn.Module):
    """One hidden block of width N of the architecture ``arch`` (its registry entry's
    ``block``), with the weights W (``w``), V (``v``, with a skip path) and the normalisation
    (``norm``: centred BN, or ``VarianceNorm`` without centering; the identity for an
    unnormalised branch).

    ``out_scale`` divides the block's output (1 by default); the trainable form
    (docs/models.md) uses the entry's ``trained_out_scale``, which changes no angle or ratio
    at initialisation.
    """

    def __init__(
        self,
        arch: str,
        width: int,
        bn_eps: float = 1e-5,
        bn_centering: bool = True,
        out_scale: float = 1.0,
    ):
        super().__init__()
        self.arch = arch
        self.entry = architectures.get(arch)
        self.w = linear(width, width)
        self.v = linear(width, width) if self.entry.skip else None
        if not self.entry.normalised:
            self.norm = nn.Identity()
        elif bn_centering:
            self.norm = nn.BatchNorm1d(width, eps=bn_eps)
        else:
            self.norm = VarianceNorm(bn_eps)
        self.out_scale = out_scale

    def forward(self, h: torch.Tensor, bias_scale: float = 1.0) -> torch.Tensor:
        """Apply the block to a batch of features h (batch x N), its biases multiplied by
        ``bias_scale``: for a homogeneous block, block(s h) = s block(h) with biases / s, which
        lets a caller keep h rescaled (see propagation.propagate) without changing the model."""
        out = self.entry.block(
            h,
            lambda x: self.linear(self.w, x, bias_scale),
            lambda x: self.linear(self.v, x, bias_scale),
            self.norm,
        )
        return out if self.out_scale == 1.0 else out / self.out_scale

    @staticmethod
    def linear(layer: nn.Linear, h: torch.Tensor, bias_scale: float) -> torch.Tensor:
        """layer(h) with the layer's bias multiplied by ``bias_scale``."""
        if bias_scale == 1.0:
            return layer(h)
        return functional.linear(h, layer.weight, layer.bias * bias_scale)


class SeparabilityNet(nn.Module):
    """Input layer, ``depth`` blocks of width N and, if ``n_classes`` is given, a linear head.
    Call ``initialise(seed)`` before use: the constructor leaves the weights undrawn."""

    def __init__(
        self,
        arch: str,
        in_dim: int,
        width: int,
        depth: int,
        n_classes: int | None = None,
        s_in: float = 1.0,
        s_w: float = 2.0,
        s_v: float = 2.0,
        bn_eps: float = 1e-5,
        bn_centering: bool = True,
        resnet_rescale: bool = False,
        s_b: float = 0.0,
    ):
        super().__init__()
        self.entry = architectures.get(arch)
        self.arch, self.width, self.depth = arch, width, depth
        if s_b < 0:
            raise ValueError(f"bias variance s_b must be >= 0, got {s_b}")
        self.scales = {"s_in": s_in, "s_w": s_w, "s_v": s_v, "s_b": s_b}
        out_scale = self.entry.trained_out_scale(s_w, s_v) if resnet_rescale else 1.0
        self.input = linear(in_dim, width)
        self.blocks = nn.ModuleList(
            Block(arch, width, bn_eps, bn_centering, out_scale) for _ in range(depth)
        )
        self.head = linear(width, n_classes) if n_classes else None

    def initialise(self, seed: int) -> SeparabilityNet:
        """Draw the paper's Gaussian weights from ``seed``: A ~ N(0, s_in / D), W ~ N(0, s_w / N),
        V ~ N(0, s_v / N); the head as PyTorch's default for a linear layer; then, if s_b > 0,
        each block's pre-activation bias b ~ N(0, s_b) (drawn after every weight, so the
        weights of a seed do not depend on s_b); every other bias zero."""
        generator = torch.Generator().manual_seed(seed)

        def gaussian(layer: nn.Linear, variance: float) -> None:
            std = math.sqrt(variance / layer.in_features)
            with torch.no_grad():
                layer.weight.copy_(torch.randn(layer.weight.shape, generator=generator) * std)
                layer.bias.zero_()

        gaussian(self.input, self.scales["s_in"])
        for block in self.blocks:
            gaussian(block.w, self.scales["s_w"])
            if block.v is not None:
                gaussian(block.v, self.scales["s_v"])
        if self.head is not None:
            gaussian(self.head, 1.0 / 3.0)  # variance 1/(3 fan_in): PyTorch's uniform default
        if self.scales["s_b"] > 0:
            std = math.sqrt(self.scales["s_b"])
            with torch.no_grad():
                for block in self.blocks:
                    block.w.bias.copy_(torch.randn(self.width, generator=generator) * std)
        return self

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        """Last hidden layer h_L of a batch of inputs."""
        h = self.input(x)
        for block in self.blocks:
            h = block(h)
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits of the head on h_L."""
        return self.head(self.hidden(x))


def stacked_linear(layers: list[nn.Linear], h: torch.Tensor) -> torch.Tensor:
    """The S linear layers applied to their own batches h (S x B x in) at once: one batched
    product of the stacked weights (differentiable with respect to each layer's own
    parameters)."""
    weight = torch.stack([layer.weight for layer in layers]).transpose(1, 2)
    bias = torch.stack([layer.bias for layer in layers]).unsqueeze(1)
    return torch.baddbmm(bias, h, weight)


class Ensemble(nn.Module):
    """S classifiers (``SeparabilityNet`` with a head) of one architecture, depth and width,
    run in one pass: member k maps its own batch x[k] exactly as ``member(x[k])`` would, but
    each layer costs one batched product for all members instead of S small ones, which is what
    makes several seeds (or learning rates) of a small network cheap to train together on a
    CPU. Each member keeps its own parameters (an optimiser can give each its own learning
    rate); BN normalises every unit of every member over that member's batch, with running
    statistics held here, stacked, and copied back into the members by ``sync``."""

    def __init__(self, members: list[SeparabilityNet]):
        super().__init__()
        first = members[0]
        if any(
            m.head is None or (m.arch, m.width, m.depth) != (first.arch, first.width, first.depth)
            for m in members
        ):
            raise ValueError("an ensemble needs classifiers of one architecture, depth and width")
        normalised = first.entry.normalised
        if normalised and not isinstance(first.blocks[0].norm, nn.BatchNorm1d):
            raise ValueError(f"an ensemble's {first.arch} members need centred BN (nn.BatchNorm1d)")
        self.members = nn.ModuleList(members)
        self.entry = first.entry
        self.norms = [
            [m.blocks[layer].norm for m in members] if normalised else None
            for layer in range(first.depth)
        ]
        for layer, norms in enumerate(self.norms):
            if norms is not None:
                for name in ("running_mean", "running_var"):
                    stacked = torch.cat([getattr(norm, name) for norm in norms])
                    self.register_buffer(f"{name}_{layer}", stacked)

    def sync(self) -> None:
        """Copy the stacked BN running statistics into the members' BN buffers."""
        with torch.no_grad():
            for layer, norms in enumerate(self.norms):
                for name in ("running_mean", "running_var") if norms else ():
                    stacked = getattr(self, f"{name}_{layer}").chunk(len(norms))
                    for norm, value in zip(norms, stacked, strict=True):
                        getattr(norm, name).copy_(value)

    def batch_norm(self, layer: int, u: torch.Tensor) -> torch.Tensor:
        """BN of block ``layer`` for every member at once: the S x B x N pre-activations as
        one B x (S N) batch, each member's units their own channels."""
        norms, (size, batch, width) = self.norms[layer], u.shape
        flat = u.transpose(0, 1).reshape(batch, size * width)
        out = nn.functional.batch_norm(
            flat,
            getattr(self, f"running_mean_{layer}"),
            getattr(self, f"running_var_{layer}"),
            torch.cat([norm.weight for norm in norms]),
            torch.cat([norm.bias for norm in norms]),
            self.training,
            norms[0].momentum,
            norms[0].eps,
        )
        return out.reshape(batch, size, width).transpose(0, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits (S x B x K) of each member on its own batch x[k] (x: S x B x D)."""
        members = list(self.members)
        h = stacked_linear([m.input for m in members], x)
        for layer in range(members[0].depth):
            blocks = [m.blocks[layer] for m in members]
            h = self.entry.block(
                h,
                lambda u, blocks=blocks: stacked_linear([block.w for block in blocks], u),
                lambda u, blocks=blocks: stacked_linear([block.v for block in blocks], u),
                lambda u, layer=layer: self.batch_norm(layer, u),
            )
            if blocks[0].out_scale != 1.0:
                h = h / blocks[0].out_scale
        return stacked_linear([m.head for m in members], h)
