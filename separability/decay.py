"""Decay laws of the angle theta_l with depth (claim C4).

Three candidate laws, each a straight line in suitable coordinates:
  exponential  log theta = a - lambda l       (rate lambda)
  power law    log theta = a - p log l        (exponent p; "sub-exponential")
  reciprocal   log theta = a - log l          (the power law with p fixed to 1)
Each is fitted by least squares in log theta over a depth window; of the exponential and the
power law, the one with the smaller error on held-out depths (every other point of the window,
alternately) wins, and a winning power law with exponent near 1 is the reciprocal law.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

LAWS = ("exponential", "power", "reciprocal")
RECIPROCAL_BAND = 0.1  # a power law with exponent in (0.9, 1.1) is "reciprocal"


@dataclass(frozen=True)
class DecayFit:
    """One law fitted over one depth window: parameters, in-sample and held-out RMS error of
    log theta, and the fitted curve's value at the window's ends."""

    law: str
    first: int
    last: int
    intercept: float
    slope: float
    rms: float
    heldout_rms: float

    def predict(self, layers: np.ndarray) -> np.ndarray:
        """theta predicted by this fit at ``layers``."""
        x = np.asarray(layers, dtype=float)
        x = x if self.law == "exponential" else np.log(x)
        return np.exp(self.intercept + self.slope * x)

    def as_dict(self) -> dict:
        """Plain dict for tables and JSON."""
        return asdict(self)


def _design(law: str, layers: np.ndarray) -> np.ndarray:
    return layers.astype(float) if law == "exponential" else np.log(layers.astype(float))


def _line(law: str, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    if law == "reciprocal":
        return float(np.mean(y + x)), -1.0
    slope, intercept = np.polyfit(x, y, 1)
    return float(intercept), float(slope)


def fit_law(law: str, layers: np.ndarray, theta: np.ndarray) -> DecayFit:
    """Fit ``law`` to theta(l) over the given layers (all > 0) by least squares in log theta.

    The held-out error fits on the even-indexed points and scores on the odd-indexed ones and
    vice versa, so a law is judged on depths it was not fitted to.
    """
    if law not in LAWS:
        raise ValueError(f"unknown decay law {law!r}; expected one of {LAWS}")
    layers = np.asarray(layers)
    theta = np.asarray(theta, dtype=float)
    keep = (layers > 0) & (theta > 0) & np.isfinite(theta)
    layers, y = layers[keep], np.log(theta[keep])
    if len(layers) < 4:
        raise ValueError("a decay-law fit needs at least 4 layers with positive angle")
    x = _design(law, layers)
    intercept, slope = _line(law, x, y)
    rms = float(np.sqrt(np.mean((y - intercept - slope * x) ** 2)))
    errors = []
    for train in (slice(0, None, 2), slice(1, None, 2)):
        test = slice(1, None, 2) if train.start == 0 else slice(0, None, 2)
        a, b = _line(law, x[train], y[train])
        errors.append((y[test] - a - b * x[test]) ** 2)
    heldout = float(np.sqrt(np.mean(np.concatenate(errors))))
    return DecayFit(law, int(layers.min()), int(layers.max()), intercept, slope, rms, heldout)


def best_law(layers: np.ndarray, theta: np.ndarray,
             laws: tuple[str, ...] = LAWS) -> tuple[DecayFit, list[DecayFit]]:
    """Fit every law in ``laws`` over the window and return (the winner, all fits).

    The exponential and the power law compete on held-out error; a winning power law whose
    exponent lies within RECIPROCAL_BAND of 1 is named the reciprocal law (its one-parameter
    fit, with exponent exactly 1, is reported)."""
    fits = [fit_law(law, layers, theta) for law in laws]
    contenders = [fit for fit in fits if fit.law != "reciprocal"]
    winner = min(contenders, key=lambda fit: fit.heldout_rms)
    if winner.law == "power" and abs(winner.slope + 1) < RECIPROCAL_BAND and "reciprocal" in laws:
        winner = next(fit for fit in fits if fit.law == "reciprocal")
    return winner, fits


def decay_windows(depth: int) -> list[tuple[int, int]]:
    """Depth windows of the decay-law fits: [10, 1e3] and, where the depth reaches 3e3, the
    asymptotic window [1e3, depth]."""
    windows = [(10, min(1000, depth))]
    if depth >= 3000:
        windows.append((1000, depth))
    return windows


def window_fits(layers, theta, windows: Sequence[tuple[int, int]]
                ) -> list[tuple[DecayFit, list[DecayFit]]]:
    """``best_law`` of theta(l) in each window holding at least 4 layers."""
    layers, theta = np.asarray(layers), np.asarray(theta, dtype=float)
    results = []
    for first, last in windows:
        keep = (layers >= first) & (layers <= last)
        if keep.sum() >= 4:
            results.append(best_law(layers[keep], theta[keep]))
    return results


def paper_name(law: str) -> str:
    """The paper's name for a decay law: exponential, sub-exponential (power law) or reciprocal."""
    return {"exponential": "exponential", "power": "sub-exponential", "reciprocal": "reciprocal"}[law]
