"""The depth-to-width law of the angle (figure 9; docs/theory.md, section 9.2).

At width N the mean angle theta_N(l) of a controlled pair falls below the infinite-width
theta_inf(l) of the scalar theory once the depth l is a sizeable fraction of N. Drawn by the
Gram-space sampler (``finite_width.pair_angles``) for many networks at each width, the ratio
theta_N(l) / theta_inf(l) is compared across widths as a function of l / N: if the curves of
different N collapse onto one function of l / N, depth over width is what controls the
finite-width correction (the regime of Hanin & Nica 2019 and Li, Nica & Roy 2022). Two numbers
per architecture summarise it (``summary``):

* the spread: the largest range of the ratio across widths at a fixed l / N in
  SPREAD_WINDOW (the ratios interpolated in log l / N), with its bootstrap standard error and,
  for comparison, the spread that the sampling noise alone gives to curves that do collapse;
* the leading term a of theta_N / theta_inf ~ 1 - a l / N, fitted by weighted least squares
  through the point (0, 1) over l / N <= FIT_LIMIT and l >= FIT_FIRST_LAYER, pooled over the
  widths, with a bootstrap 95% interval.

The bootstrap resamples the networks of each width independently. Normalised branches use the
shared variance normaliser, the BN of the scalar theory (docs/theory.md, section 6).

Where the angle's chain is one-dimensional (a ReLU block without skip path or bias, whose next
angle depends on the current one alone), a is also derived from the chain's first two moments
(``moment_prediction``): the delta method gives the bias and the variance of one block's angle
at width N from fourth moments of the ReLU (``relu_moment``, ``angle_step``), and the
linearised recursion of the mean and variance along the theory's trajectory gives
theta_N / theta_inf ~ 1 + M_l / (N theta_l), whose slope tends to a = 1/3 at small angles.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
from tqdm import tqdm

from separability import architectures
from separability.theory import angle_trajectory, kappa

GRID_STEP = 0.25  # octaves of l / N between recorded layers (shared by every width)
SPREAD_WINDOW = (0.05, 1.0)  # l / N over which the widths' spread is measured
FIT_LIMIT = 0.1  # the leading term is fitted over l / N <= FIT_LIMIT ...
FIT_FIRST_LAYER = 10  # ... and l >= FIT_FIRST_LAYER (past the first blocks' transient)
# Gauss-Legendre rule of the angular integrals of ``relu_moment`` (their integrands are
# trigonometric polynomials of degree 4: 16 nodes give them to rounding)
QUADRATURE = np.polynomial.legendre.leggauss(16)


def law_grid(low: float, high: float) -> np.ndarray:
    """The values of l / N on the shared grid (powers of 2 in steps of GRID_STEP octaves) in
    [low, high]."""
    steps = np.arange(
        math.ceil(math.log2(low) / GRID_STEP), math.floor(math.log2(high) / GRID_STEP) + 1
    )
    return 2.0 ** (steps * GRID_STEP)


def law_layers(width: int, multiple: float, dense_layers: int) -> np.ndarray:
    """Recorded layers at width N, to depth ``multiple`` N: every layer up to
    ``dense_layers``, then l = round(x N) for x on the grid of ``law_grid`` (so the curves of
    all widths are recorded at the same l / N), and the last layer."""
    depth = int(round(multiple * width))
    grid = np.rint(law_grid(1.0 / width, multiple) * width).astype(int)
    layers = np.unique(np.concatenate([np.arange(min(dense_layers, depth) + 1), grid, [depth]]))
    return layers[layers <= depth]


def sampled_angles(
    arch: str,
    widths: Sequence[int],
    networks: Sequence[int],
    multiple: float,
    fit_networks: Sequence[int],
    seed: int,
    dense_layers: int = 20,
    theta0: float = math.pi / 2,
    s_w: float = 2.0,
    s_v: float = 2.0,
    s_b: float = 0.0,
    bn_eps: float = 1e-5,
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """theta_l of a pair from ``theta0`` in ``networks[i]`` (at least 2) independent networks
    of width ``widths[i]`` to depth ``multiple`` N, and in ``fit_networks[i]`` more to the last
    recorded layer within l / N <= FIT_LIMIT only (the leading term's window, where a deep
    chain costs most and tells least): width -> (layers, angles), one row per network, NaN
    past a network's depth."""
    # the sampler loads torch and numba: the figure, which reads only the constants, does not
    from separability import finite_width
    from separability.sampler_tables import stream_seed

    if not len(widths) == len(networks) == len(fit_networks) or min(networks) < 2:
        raise ValueError(
            f"one number of networks (at least 2) and of fit networks per width {widths}: "
            f"{networks}, {fit_networks}"
        )
    angles = {}
    runs = list(zip(widths, networks, fit_networks))
    for width, count, extra in tqdm(runs, desc=f"width law {arch}"):
        layers = law_layers(width, multiple, dense_layers)
        shallow = layers[layers <= FIT_LIMIT * width]
        theta = np.full((count + extra, len(layers)), np.nan)
        for rows, recorded, purpose in (
            (slice(0, count), layers, "width law"),
            (slice(count, None), shallow, "leading term"),
        ):
            if theta[rows].size:
                theta[rows, : len(recorded)] = finite_width.pair_angles(
                    arch,
                    theta0,
                    width,
                    int(recorded[-1]),
                    len(theta[rows]),
                    stream_seed(seed, arch, width, purpose),
                    recorded,
                    s_w=s_w,
                    s_v=s_v,
                    s_b=s_b,
                    bn_centering=False,
                    bn_eps=bn_eps,
                )
        angles[width] = layers, theta
    return angles


def ratio_curves(
    arch: str,
    angles: dict[int, tuple[np.ndarray, np.ndarray]],
    theta0: float = math.pi / 2,
    s_w: float = 2.0,
    s_v: float = 2.0,
    s_b: float = 0.0,
) -> pd.DataFrame:
    """The curves of figure 9: per width and recorded layer l >= 1, the mean angle over the
    networks with its standard error, the scalar theory's theta_inf(l) from the same angle and
    variances, and their ratio with its standard error. Columns arch, width, networks, layer,
    x (= l / N), theta_mean, theta_se, theta_inf, ratio, ratio_se."""
    tables = []
    for width, (layers, theta) in angles.items():
        keep = layers >= 1
        layers, theta = layers[keep], theta[:, keep]
        depth = int(layers.max())
        theory = angle_trajectory(arch, theta0, depth, s_w, s_v, s_b=s_b, layers=layers)
        count = np.sum(np.isfinite(theta), axis=0)
        mean = np.nanmean(theta, axis=0)
        se = np.nanstd(theta, axis=0, ddof=1) / np.sqrt(count)
        tables.append(
            pd.DataFrame(
                {
                    "arch": arch,
                    "width": width,
                    "networks": count,
                    "layer": layers,
                    "x": layers / width,
                    "theta_mean": mean,
                    "theta_se": se,
                    "theta_inf": theory,
                    "ratio": mean / theory,
                    "ratio_se": se / theory,
                }
            )
        )
    return pd.concat(tables, ignore_index=True)


def grid_ratios(curves: pd.DataFrame, column: str = "ratio") -> np.ndarray:
    """Each width's ``column`` at the l / N of the grid in SPREAD_WINDOW, interpolated
    linearly in log l / N: widths x grid points."""
    grid = np.log(law_grid(*SPREAD_WINDOW))
    return np.array(
        [np.interp(grid, np.log(rows.x), rows[column]) for _, rows in curves.groupby("width")]
    )


def spread_of(ratios: np.ndarray) -> tuple[float, int]:
    """The largest range across widths (rows) of ``ratios`` and the grid point where it is."""
    ranges = ratios.max(axis=0) - ratios.min(axis=0)
    worst = int(np.argmax(ranges))
    return float(ranges[worst]), worst


def spread(curves: pd.DataFrame) -> tuple[float, float]:
    """The spread of one architecture's curves: the largest range across widths of the ratio at
    a fixed l / N of the grid in SPREAD_WINDOW (``grid_ratios``), and the l / N where it is
    largest."""
    value, worst = spread_of(grid_ratios(curves))
    return value, float(law_grid(*SPREAD_WINDOW)[worst])


def leading_term(curves: pd.DataFrame) -> tuple[float, int]:
    """a of theta_N / theta_inf ~ 1 - a l / N: weighted least squares of 1 - ratio = a x
    (weights 1 / ratio_se^2, a line through (0, 1)) over the points of every width with
    x <= FIT_LIMIT and l >= FIT_FIRST_LAYER; returns a and the number of points."""
    points = curves[(curves.x <= FIT_LIMIT) & (curves.layer >= FIT_FIRST_LAYER)]
    if points.empty:
        return math.nan, 0
    weight = 1.0 / np.maximum(points.ratio_se.to_numpy(), 1e-12) ** 2
    x = points.x.to_numpy()
    return float(np.sum(weight * x * (1 - points.ratio)) / np.sum(weight * x * x)), len(points)


def resampled(indices: np.ndarray, random: np.random.Generator) -> np.ndarray:
    """``indices`` drawn with replacement, as many as there are."""
    return indices[random.integers(0, len(indices), len(indices))] if len(indices) else indices


def resampled_curves(
    curves: pd.DataFrame, angles: dict[int, tuple[np.ndarray, np.ndarray]], random
) -> pd.DataFrame:
    """The curves with every width's mean angle recomputed from its networks resampled with
    replacement, the deep and the shallow networks (``sampled_angles``) each among themselves
    (the standard errors, the weights of ``leading_term``, kept)."""
    means = []
    for layers, theta in angles.values():
        theta = theta[:, layers >= 1]
        deep = np.isfinite(theta[:, -1])
        picked = np.concatenate(
            [resampled(np.flatnonzero(group), random) for group in (deep, ~deep)]
        )
        means.append(np.nanmean(theta[picked], axis=0))
    ratio = np.concatenate(means) / curves.theta_inf.to_numpy()
    return curves.assign(ratio=ratio)


def listed(values) -> str:
    """Integers as one comma-separated table cell."""
    return ",".join(str(int(value)) for value in values)


def summary(
    curves: pd.DataFrame,
    angles: dict[int, tuple[np.ndarray, np.ndarray]],
    resamples: int,
    seed: int,
    prediction: pd.DataFrame | None = None,
) -> dict:
    """One architecture's row of the summary table, over ``resamples`` resamplings of the
    networks: its spread (``spread``) with its bootstrap standard error, the largest standard
    error of a ratio at that l / N and the mean spread of the noise alone (each width's
    resampled deviations added to one common curve); its leading term a (``leading_term``)
    with its bootstrap standard error and percentile 95% interval; and a as predicted from the
    chain's moments (``predicted_leading_term`` of ``prediction``; NaN without one)."""
    arch = curves.arch.iloc[0]
    observed, errors = grid_ratios(curves), grid_ratios(curves, "ratio_se")
    value, worst = spread_of(observed)
    a, points = leading_term(curves)
    random = np.random.default_rng([seed, zlib.crc32(arch.encode())])
    replicas = [resampled_curves(curves, angles, random) for _ in range(resamples)]
    spreads = np.array([spread(replica)[0] for replica in replicas])
    terms = np.array([leading_term(replica)[0] for replica in replicas])
    # the spread of the noise alone: every width's resampled deviations around one common
    # curve (the precision-weighted mean of the widths)
    weights = errors**-2.0
    common = np.sum(weights * observed, axis=0) / np.sum(weights, axis=0)
    noise = [spread_of(grid_ratios(replica) - observed + common)[0] for replica in replicas]
    counts = curves.groupby("width").networks.agg(["min", "max"])  # deep; deep and shallow
    return {
        "arch": arch,
        "widths": listed(counts.index),
        "networks": listed(counts["min"]),
        "fit_networks": listed(counts["max"] - counts["min"]),
        "depth_multiple": float(curves.x.max()),
        "spread": value,
        "spread_se": float(np.std(spreads, ddof=1)),
        "spread_x": float(law_grid(*SPREAD_WINDOW)[worst]),
        "spread_ratio_se": float(errors[:, worst].max()),
        "spread_noise": float(np.mean(noise)),
        "a": a,
        "a_se": float(np.std(terms, ddof=1)),
        "a_low": float(np.quantile(terms, 0.025)),
        "a_high": float(np.quantile(terms, 0.975)),
        "fit_points": points,
        "a_predicted": math.nan
        if prediction is None
        else predicted_leading_term(curves, prediction),
        "resamples": resamples,
    }


def relu_moment(theta: float, p: int, q: int) -> float:
    """E[phi(u)^p phi(v)^q] for ReLU phi and standard normal u, v at angle theta (correlation
    cos theta), p + q = 4: with u = r cos(alpha), v = r cos(alpha - theta) in polar
    coordinates, E r^4 = 8 times the mean over alpha of the angular part, which vanishes
    outside the arc where the powered variables are positive (alpha within pi/2 of 0 where
    p > 0, of theta where q > 0)."""
    nodes, weights = QUADRATURE
    low = theta - math.pi / 2 if q else -math.pi / 2
    high = math.pi / 2 if p else theta + math.pi / 2
    alpha = 0.5 * (high - low) * nodes + 0.5 * (high + low)
    arc = np.cos(alpha) ** p * np.cos(alpha - theta) ** q
    return 8.0 / (2.0 * math.pi) * 0.5 * (high - low) * float(np.sum(weights * arc))


def angle_step(theta: float) -> tuple[float, float, float]:
    """One ReLU block without skip path or bias from two inputs at angle theta, at width N:
    the infinite-width angle f = arccos kappa(cos theta), and N times the bias and the variance
    of the finite-width angle to first order in 1/N. The next angle is g(X), X the mean over
    the N units of (phi(u)^2, phi(v)^2, phi(u) phi(v)) (i.i.d., mean mu, covariance S / N from
    ``relu_moment``; the scale of the inputs drops out) and g(A, B, C) = arccos(C / sqrt(A B)),
    so the delta method gives bias tr(H S) / 2 and variance grad^T S grad at mu."""
    half_kappa = 0.5 * float(kappa(math.cos(theta)))
    fourth = relu_moment(theta, 4, 0)
    square = relu_moment(theta, 2, 2) - 0.25
    cross = relu_moment(theta, 3, 1) - 0.5 * half_kappa
    covariance = np.array(
        [
            [fourth - 0.25, square, cross],
            [square, fourth - 0.25, cross],
            [cross, cross, relu_moment(theta, 2, 2) - half_kappa**2],
        ]
    )
    rho = 2.0 * half_kappa  # C / sqrt(A B) at mu = (1/2, 1/2, kappa / 2)
    # derivatives of rho = C / sqrt(A B) at mu, then of g = arccos(rho)
    grad_rho = np.array([-rho, -rho, 2.0])
    hess_rho = np.array([[3.0 * rho, rho, -2.0], [rho, 3.0 * rho, -2.0], [-2.0, -2.0, 0.0]])
    first, second = -1.0 / math.sqrt(1.0 - rho**2), -rho / (1.0 - rho**2) ** 1.5
    grad = first * grad_rho
    hess = second * np.outer(grad_rho, grad_rho) + first * hess_rho
    bias = 0.5 * float(np.sum(hess * covariance))
    return math.acos(rho), bias, float(grad @ covariance @ grad)


def angle_slope(theta: float) -> float:
    """f'(theta) of the infinite-width angle map f = arccos kappa(cos theta): kappa'(c) =
    (pi - theta) / pi, so f' = (pi - theta) sin theta / (pi sin f)."""
    mapped = math.acos(float(kappa(math.cos(theta))))
    return (math.pi - theta) * math.sin(theta) / (math.pi * math.sin(mapped))


def predicts(arch: str, s_b: float = 0.0) -> bool:
    """Whether ``moment_prediction`` describes ``arch``: its angle's chain is the one of a ReLU
    block without skip path or bias (a shared normaliser only rescales the block)."""
    entry = architectures.get(arch)
    return not entry.skip and entry.activation == "relu" and s_b == 0


def moment_prediction(theta0: float, depth: int) -> pd.DataFrame:
    """The first two moments of theta_l at width N, to first order in 1/N, for a ReLU block
    without skip path or bias (``predicts``): M_l = N (E theta_l - theta_inf(l)) and
    V_l = N Var theta_l from M_{l+1} = f' M_l + f'' V_l / 2 + bias and
    V_{l+1} = f'^2 V_l + variance (``angle_step``, along the theory's theta_l; M_0 = V_0 = 0),
    so that theta_N / theta_inf ~ 1 - a_l l / N with a_l = -M_l / (l theta_l). Columns layer,
    theta, mean_shift (M), variance (V), a (a_l), for l = 1..depth."""
    theta, shift, variance, rows = theta0, 0.0, 0.0, []
    for layer in range(1, depth + 1):
        step = 1e-5 * theta
        curvature = (angle_slope(theta + step) - angle_slope(theta - step)) / (2.0 * step)
        slope = angle_slope(theta)
        theta, bias, spread = angle_step(theta)
        shift = slope * shift + 0.5 * curvature * variance + bias
        variance = slope**2 * variance + spread
        rows.append((layer, theta, shift, variance, -shift / (layer * theta)))
    return pd.DataFrame(rows, columns=["layer", "theta", "mean_shift", "variance", "a"])


def predicted_leading_term(curves: pd.DataFrame, prediction: pd.DataFrame) -> float:
    """a fitted by ``leading_term`` to the predicted ratio 1 + M_l / (N theta_l) at the points
    and with the weights of the measured ``curves``: the prediction of the measured a."""
    shift = prediction.set_index("layer")
    fit = curves[curves.layer <= shift.index.max()]
    moments = shift.loc[fit.layer]
    ratio = 1.0 + moments.mean_shift.to_numpy() / (fit.width.to_numpy() * moments.theta.to_numpy())
    return leading_term(fit.assign(ratio=ratio))[0]


def width_law(
    arch: str,
    widths: Sequence[int],
    networks: Sequence[int],
    multiple: float,
    fit_networks: Sequence[int],
    resamples: int,
    seed: int,
    dense_layers: int = 20,
    theta0: float = math.pi / 2,
    s_w: float = 2.0,
    s_v: float = 2.0,
    s_b: float = 0.0,
    bn_eps: float = 1e-5,
) -> tuple[pd.DataFrame, dict]:
    """Figure 9's curves (``ratio_curves``) and summary row (``summary``, with the moments'
    prediction of a where ``predicts``) of one architecture, from ``sampled_angles``."""
    angles = sampled_angles(
        arch,
        widths,
        networks,
        multiple,
        fit_networks,
        seed,
        dense_layers,
        theta0,
        s_w,
        s_v,
        s_b,
        bn_eps,
    )
    curves = ratio_curves(arch, angles, theta0, s_w, s_v, s_b)
    depth = int(FIT_LIMIT * max(widths))
    prediction = moment_prediction(theta0, depth) if predicts(arch, s_b) else None
    return curves, summary(curves, angles, resamples, seed, prediction)
