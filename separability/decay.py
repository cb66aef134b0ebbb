"""Decay laws of the angle theta_l with depth (claim C4).

Four candidate laws, each linear in suitable coordinates:
  exponential    log theta = a - lambda l            (rate lambda)
  power law      log theta = a - p log l             (exponent p; "sub-exponential")
  reciprocal     log theta = a - log l               (the power law with p fixed to 1)
  inverse-log    theta = A / (log l + l0)            (1 / theta linear in log l: the MLP's
                                                      reciprocal law on a logarithmic clock)
The first three are fitted by least squares in log theta over a depth window; the inverse-log
law by least squares of theta (A^-1 (log l + l0)) - 1, i.e. in relative error, to first order
the same criterion. Of the exponential, the power and the inverse-log law, the one with the
smallest error of log theta on held-out depths (every other point of the window, alternately)
wins, and a winning power law with exponent near 1 is the reciprocal law. Every function takes
the angles as theta or, where they may underflow (exponential decay), as log theta.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

LAWS = ("exponential", "power", "reciprocal", "inverse_log")
RECIPROCAL_BAND = 0.1  # a power law with exponent in (0.9, 1.1) is "reciprocal"
MIN_FIT_LAYERS = 4  # layers a decay-law fit needs (two points each for the held-out halves)
FIRST_FIT_LAYER = 10  # decay-law windows start here, past the first blocks' transient


@dataclass(frozen=True)
class DecayFit:
    """One law fitted over one depth window: parameters, in-sample and held-out RMS error of
    log theta. ``slope`` is -lambda (exponential), -p (power law), -1 (reciprocal and
    inverse-log); ``offset`` is l0 of the inverse-log law (0 otherwise), whose ``intercept``
    is log A, so that theta log l -> A."""

    law: str
    first: int
    last: int
    intercept: float
    slope: float
    rms: float
    heldout_rms: float
    offset: float = 0.0

    def predict_log(self, layers) -> np.ndarray:
        """log theta predicted by this fit at ``layers``."""
        return _predict(self.law, np.asarray(layers), self.intercept, self.slope, self.offset)

    def predict(self, layers) -> np.ndarray:
        """theta predicted by this fit at ``layers``."""
        return np.exp(self.predict_log(layers))

    def as_dict(self) -> dict:
        """Plain dict for tables and JSON."""
        return asdict(self)


def _coordinate(law: str, layers: np.ndarray) -> np.ndarray:
    layers = layers.astype(float)
    if law == "exponential":
        return layers
    return np.log(layers)


def _predict(
    law: str, layers: np.ndarray, intercept: float, slope: float, offset: float
) -> np.ndarray:
    if law != "inverse_log":
        return intercept + slope * _coordinate(law, layers)
    with np.errstate(invalid="ignore"):
        return intercept - np.log(np.log(layers.astype(float)) + offset)


def _fit(law: str, layers: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(intercept, slope, offset) of ``law`` fitted to log theta ``y``."""
    if law == "reciprocal":
        return float(np.mean(y + np.log(layers))), -1.0, 0.0
    if law != "inverse_log":
        slope, intercept = np.polyfit(_coordinate(law, layers), y, 1)
        return float(intercept), float(slope), 0.0
    # theta (alpha log l + beta) = 1 in least squares, theta scaled by its largest value
    top = y.max()
    weight = np.exp(y - top)
    design = weight[:, None] * np.column_stack([np.log(layers.astype(float)), np.ones(len(y))])
    (alpha, beta), *_ = np.linalg.lstsq(design, np.ones(len(y)), rcond=None)
    if alpha <= 0:  # not a decay: no inverse-log law
        return float("nan"), -1.0, float("nan")
    return float(top - np.log(alpha)), -1.0, float(beta / alpha)


def _rms(residual: np.ndarray) -> float:
    value = float(np.sqrt(np.mean(residual**2)))
    return value if np.isfinite(value) else float("inf")


def _log_angles(layers, theta, log_theta) -> tuple[np.ndarray, np.ndarray]:
    """Layers (> 0) and log theta of the finite, positive angles given as theta or log_theta."""
    if (theta is None) == (log_theta is None):
        raise ValueError("give the angles as exactly one of theta and log_theta")
    layers = np.asarray(layers)
    with np.errstate(divide="ignore"):
        y = (
            np.log(np.asarray(theta, dtype=float))
            if log_theta is None
            else np.asarray(log_theta, dtype=float)
        )
    keep = (layers > 0) & np.isfinite(y)
    return layers[keep], y[keep]


def fit_law(law: str, layers, theta=None, log_theta=None) -> DecayFit:
    """Fit ``law`` to theta(l) over the given layers (all > 0), the angles given as ``theta``
    or ``log_theta``; see the module docstring for the criterion.

    The held-out error fits on the even-indexed points and scores on the odd-indexed ones and
    vice versa, so a law is judged on depths it was not fitted to.
    """
    if law not in LAWS:
        raise ValueError(f"unknown decay law {law!r}; expected one of {LAWS}")
    layers, y = _log_angles(layers, theta, log_theta)
    if len(layers) < MIN_FIT_LAYERS:
        raise ValueError(
            f"a decay-law fit needs at least {MIN_FIT_LAYERS} layers with positive angle"
        )
    intercept, slope, offset = _fit(law, layers, y)
    rms = _rms(y - _predict(law, layers, intercept, slope, offset))
    errors = []
    for train, test in (
        (slice(0, None, 2), slice(1, None, 2)),
        (slice(1, None, 2), slice(0, None, 2)),
    ):
        params = _fit(law, layers[train], y[train])
        errors.append(y[test] - _predict(law, layers[test], *params))
    heldout = _rms(np.concatenate(errors))
    return DecayFit(
        law, int(layers.min()), int(layers.max()), intercept, slope, rms, heldout, offset
    )


def best_law(
    layers, theta=None, laws: tuple[str, ...] = LAWS, log_theta=None
) -> tuple[DecayFit, list[DecayFit]]:
    """Fit every law in ``laws`` over the window and return (the winner, all fits).

    The exponential, the power and the inverse-log law compete on held-out error; a winning
    power law whose exponent lies within RECIPROCAL_BAND of 1 is named the reciprocal law (its
    one-parameter fit, with exponent exactly 1, is reported)."""
    fits = [fit_law(law, layers, theta, log_theta) for law in laws]
    contenders = [fit for fit in fits if fit.law != "reciprocal"]
    winner = min(contenders, key=lambda fit: fit.heldout_rms)
    if winner.law == "power" and abs(winner.slope + 1) < RECIPROCAL_BAND and "reciprocal" in laws:
        winner = next(fit for fit in fits if fit.law == "reciprocal")
    return winner, fits


def decay_windows(depth: int) -> list[tuple[int, int]]:
    """Depth windows of the decay-law fits: [10, 1e3] and, where the depth reaches 3e3, the
    asymptotic window [1e3, depth]."""
    windows = [(FIRST_FIT_LAYER, min(1000, depth))]
    if depth >= 3000:
        windows.append((1000, depth))
    return windows


def window_fits(
    layers, theta=None, windows: Sequence[tuple[int, int]] = (), log_theta=None
) -> list[tuple[DecayFit, list[DecayFit]]]:
    """``best_law`` of theta(l) (or log theta) in each window holding at least MIN_FIT_LAYERS
    layers."""
    layers, y = _log_angles(layers, theta, log_theta)
    results = []
    for first, last in windows:
        keep = (layers >= first) & (layers <= last)
        if keep.sum() >= MIN_FIT_LAYERS:
            results.append(best_law(layers[keep], log_theta=y[keep]))
    return results


RATE_NAMES = {
    "exponential": "rate",
    "power": "exponent",
    "reciprocal": "exponent",
    "inverse_log": "theta log l ->",
}


def rate(fit: DecayFit) -> float:
    """The fitted law's rate: lambda (exponential), p (power law, 1 for the reciprocal law) or
    A = lim theta log l (inverse-log)."""
    return float(np.exp(fit.intercept)) if fit.law == "inverse_log" else -fit.slope


def paper_name(law: str) -> str:
    """The paper's name for a decay law: exponential, sub-exponential (power law), reciprocal,
    or inverse-logarithmic (not among the paper's names)."""
    return {
        "exponential": "exponential",
        "power": "sub-exponential",
        "reciprocal": "reciprocal",
        "inverse_log": "inverse-logarithmic",
    }[law]


# The pre-declared dictionary from the paper's words to measured laws (docs/decay.md, "From the
# paper's words to laws"). A window whose best law misses the data by more than FIT_FLOOR
# (held-out RMS error of log theta) is "unresolved": no law, and no word applies. An angle that
# has stopped decaying (local exponent at the window's end below DECAY_FLOOR) has no decay law.
PAPER_WORDS = ("exponential", "sub-exponential", "reciprocal")
FIT_FLOOR = 0.05
DECAY_FLOOR = 0.05
CONTENDERS = ("exponential", "power", "inverse_log")


def terminal_exponent(fit: DecayFit) -> float:
    """The local exponent -d log theta / d log l of a fitted law at the end of its window:
    lambda l (exponential), p (power law), 1 (reciprocal), 1 / (log l + l0) (inverse-log)."""
    last = float(fit.last)
    if fit.law == "exponential":
        return -fit.slope * last
    if fit.law == "inverse_log":
        return 1.0 / (np.log(last) + fit.offset)
    return -fit.slope


def local_exponents(layers, theta=None, log_theta=None) -> tuple[np.ndarray, np.ndarray]:
    """The local exponent -d log theta / d log l between consecutive layers of a series (the
    slope of a power law, 1 for the reciprocal law, growing like l for an exponential, falling
    like 1 / log l for the inverse-log law), at the geometric midpoints of the layers."""
    layers, y = _log_angles(layers, theta, log_theta)
    order = np.argsort(layers)
    layers, y = layers[order].astype(float), y[order]
    log_l = np.log(layers)
    return np.sqrt(layers[1:] * layers[:-1]), -np.diff(y) / np.diff(log_l)


def fit_floor(noise=None) -> float:
    """The held-out RMS error of log theta within which a law fits: FIT_FLOOR, or twice the
    RMS standard error of the series' log theta (``noise``, per layer) where that is larger."""
    if noise is None:
        return FIT_FLOOR
    return max(FIT_FLOOR, 2.0 * float(np.sqrt(np.mean(np.square(noise)))))


def exponent_interval(layers, log_theta, floor: float = FIT_FLOOR) -> tuple[float, float, float]:
    """The power-law exponent p of log theta = a - p log l over a window with its interval:
    the least-squares slope +- its two-sided 95% t interval, widened by the window's
    resolution floor / sd(log l), the change of exponent whose misfit over the window reaches
    the fit ``floor`` (over one decade about 0.075 at the default floor)."""
    from scipy import stats

    x, y = np.log(np.asarray(layers, dtype=float)), np.asarray(log_theta, dtype=float)
    result = stats.linregress(x, y)
    critical = stats.t.ppf(0.975, len(x) - 2)
    p = -float(result.slope)
    half = critical * float(result.stderr) + floor / float(np.std(x))
    return p, p - half, p + half


def classify(layers, theta=None, log_theta=None, noise=None) -> dict:
    """The decay law of theta_l over the given layers under the pre-declared dictionary: the
    best of the exponential, power and inverse-log laws on held-out error (``fit_law``; no
    renaming), ``unresolved`` when it misses the data by more than the fit floor
    (``fit_floor``: FIT_FLOOR, or twice the series' own noise, the per-layer standard error
    ``noise`` of log theta), ``none`` when the angle has stopped decaying; the power-law
    exponent with its interval (``exponent_interval``); and which of the paper's words apply:
    ``exponential`` (the exponential law), ``sub-exponential`` (slower than every exponential:
    a power law, 1/l included, or an inverse-log law), ``reciprocal`` (a power law whose
    exponent interval holds 1)."""
    layers, y = _log_angles(layers, theta, log_theta)
    fits = [fit_law(law, layers, log_theta=y) for law in CONTENDERS]
    winner = min(fits, key=lambda fit: fit.heldout_rms)
    floor = fit_floor(noise)
    p, low, high = exponent_interval(layers, y, floor)
    law = winner.law
    if winner.heldout_rms > floor:
        law = "unresolved"
    elif terminal_exponent(winner) < DECAY_FLOOR:
        law = "none"
    words = {
        "exponential": law == "exponential",
        "sub-exponential": law in ("power", "inverse_log"),
        "reciprocal": bool(law == "power" and low <= 1.0 <= high),
    }
    return {
        "window": [int(layers.min()), int(layers.max())],
        "law": law,
        "fit_floor": floor,
        "best_fit": winner.as_dict(),
        "rate": rate(winner),
        "terminal_exponent": terminal_exponent(winner),
        "exponent": p,
        "exponent_interval": [low, high],
        "words": words,
        "fits": [fit.as_dict() for fit in fits],
    }


def word_check(classification: dict, word: str) -> str:
    """Whether the paper's ``word`` describes a classified window: ``holds`` or ``does not
    hold``, ``inconclusive`` where no law fits (``unresolved``)."""
    if word not in PAPER_WORDS:
        raise ValueError(f"unknown word {word!r}; one of {PAPER_WORDS}")
    if classification["law"] == "unresolved":
        return "inconclusive"
    return "holds" if classification["words"][word] else "does not hold"
