"""The statistical rules every claim test uses (docs/claims.md, "Verdicts"): the four verdicts
and how checks combine into one, summaries of per-seed values, the comparison of two groups,
orderings, decreasing series and rank correlations with bootstrap intervals."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats

from separability import architectures

ORDER = architectures.paper_order()
Z = 2.0  # a difference counts as real beyond Z standard errors


MIN_SEEDS = 3  # a comparison of two groups needs at least this many seeds in each


MIN_RUNS = 6  # a rank correlation needs at least this many finished runs


VERDICTS = ("holds", "partly", "does not hold", "inconclusive")


def verdict(checks: Sequence[bool | str]) -> str:
    """One verdict from checks, each a bool (True: ``holds``, False: ``does not hold``) or a
    verdict of ``VERDICTS``: ``holds`` when every check holds, ``inconclusive`` when every
    check is inconclusive, ``partly`` when some check holds (fully or partly) and some does
    not, else ``does not hold`` (at least one check decided against, none for)."""
    outcomes = [
        ("holds" if check else "does not hold") if isinstance(check, (bool, np.bool_)) else check
        for check in checks
    ]
    if not outcomes:
        raise ValueError("a verdict needs at least one check")
    unknown = set(outcomes) - set(VERDICTS)
    if unknown:
        raise ValueError(f"unknown verdicts {sorted(unknown)}")
    if all(outcome == "holds" for outcome in outcomes):
        return "holds"
    if all(outcome == "inconclusive" for outcome in outcomes):
        return "inconclusive"
    return "partly" if {"holds", "partly"} & set(outcomes) else "does not hold"


def summary(values) -> dict:
    """Mean, sd (ddof 1) and n of finite values."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")
    return {
        "mean": float(np.mean(values)) if len(values) else float("nan"),
        "sd": sd,
        "n": int(len(values)),
    }


def compare(upper: Mapping, lower: Mapping, upper_name: str, lower_name: str) -> dict:
    """Is the mean of ``upper`` larger than that of ``lower`` (``summary`` dicts of per-seed
    values)? The difference with its Welch standard error and interval difference +- Z se:
    ``holds`` when the interval lies above 0, ``does not hold`` when below, ``inconclusive``
    when it contains 0 or either group has fewer than ``MIN_SEEDS`` seeds."""
    diff = upper["mean"] - lower["mean"]
    enough = min(upper["n"], lower["n"]) >= MIN_SEEDS
    se = (
        math.sqrt(upper["sd"] ** 2 / upper["n"] + lower["sd"] ** 2 / lower["n"])
        if enough
        else math.nan
    )
    if not enough or not math.isfinite(diff):
        outcome = "inconclusive"
    elif diff - Z * se > 0:
        outcome = "holds"
    elif diff + Z * se < 0:
        outcome = "does not hold"
    else:
        outcome = "inconclusive"
    return {
        "upper": upper_name,
        "lower": lower_name,
        "difference": diff,
        "se": se,
        "interval": [diff - Z * se, diff + Z * se],
        "verdict": outcome,
        "holds": outcome == "holds",
    }


def ordered(samples: Mapping[str, Sequence[float]], order: Sequence[str] = ORDER) -> dict:
    """Test a > b > c for per-seed samples of each architecture in ``order``: each adjacent
    pair by ``compare``. Returns the summaries, the pairs, their joint ``verdict``
    (``inconclusive`` with fewer than two architectures) and ``holds``."""
    present = [arch for arch in order if arch in samples]
    summaries = {arch: summary(samples[arch]) for arch in present}
    pairs = [
        compare(summaries[upper], summaries[lower], upper, lower)
        for upper, lower in zip(present, present[1:])
    ]
    joint = verdict([pair["verdict"] for pair in pairs]) if pairs else "inconclusive"
    return {"summaries": summaries, "pairs": pairs, "verdict": joint, "holds": joint == "holds"}


def decreasing(layers, values) -> dict:
    """Does a series decrease with depth? Spearman rank correlation of (l, value) <= -0.5 and
    the last value below the first."""
    layers, values = np.asarray(layers), np.asarray(values, dtype=float)
    rho = float(stats.spearmanr(layers, values).statistic)
    holds = bool(rho <= -0.5 and values[-1] < values[0])
    return {"spearman": rho, "first": float(values[0]), "last": float(values[-1]), "holds": holds}


def spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman rank correlation of each row of ``x`` with the same row of ``y`` (NaN where a
    row is constant)."""
    rx, ry = stats.rankdata(x, axis=-1), stats.rankdata(y, axis=-1)
    rx = rx - rx.mean(axis=-1, keepdims=True)
    ry = ry - ry.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sum(rx * ry, axis=-1) / np.sqrt(np.sum(rx**2, axis=-1) * np.sum(ry**2, axis=-1))


def rank_correlation(x, y, resamples: int, seed: int) -> dict:
    """Spearman rank correlation of the finite pairs (x, y) with a percentile bootstrap 95%
    interval over pairs (``resamples`` resamples, seeded): ``holds`` when the interval lies
    above 0, ``does not hold`` below 0, ``inconclusive`` when it contains 0, with fewer than
    ``MIN_RUNS`` pairs or a constant variable."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    rho = float(spearman_rows(x, y)) if len(x) >= 2 else math.nan
    low = high = math.nan
    if len(x) >= MIN_RUNS and math.isfinite(rho):
        index = np.random.default_rng(seed).integers(0, len(x), size=(resamples, len(x)))
        boot = spearman_rows(x[index], y[index])
        low, high = (float(v) for v in np.nanpercentile(boot, [2.5, 97.5]))
    outcome = "holds" if low > 0 else "does not hold" if high < 0 else "inconclusive"
    return {"spearman": rho, "ci95": [low, high], "n": int(len(x)), "verdict": outcome}


def correlation_text(test: Mapping) -> str:
    """rho [CI] (n runs), for the evidence."""
    return (
        f"rho = {test['spearman']:.2f} [{test['ci95'][0]:.2f}, {test['ci95'][1]:.2f}] "
        f"({test['n']} runs)"
    )


def secondary(name: str, test: Mapping, evidence: str) -> dict:
    """One secondary test of a claim: its name, verdict, evidence and numbers."""
    return {"name": name, "verdict": test["verdict"], "evidence": evidence, "measured": dict(test)}


def depths_verdict(rows: Sequence[Mapping]) -> str:
    """Joint verdict of per-depth comparisons (``inconclusive`` when there are none)."""
    return verdict([row["verdict"] for row in rows]) if rows else "inconclusive"


def depths_text(rows: Sequence[Mapping]) -> str:
    """Per depth: verdict and each architecture's mean +- sd, for the evidence."""
    return "; ".join(
        f"L={r['depth']} {r['verdict']}: "
        + ", ".join(f"{a} {s['mean']:.2f}±{s['sd']:.2f}" for a, s in r["summaries"].items())
        for r in rows
    )
