"""The statistical rules every claim test uses (docs/claims.md, "Verdicts"): the four verdicts
and the one rule that combines checks into a verdict, summaries of per-seed values, the
comparison of two groups with Welch-Satterthwaite t intervals, orderings, the rule for a series
that degrades with depth, and rank correlations with bootstrap intervals that resample what is
independent (clusters of runs, then runs within them)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats

from separability import architectures

ORDER = architectures.paper_order()
LEVEL = 0.95  # two-sided confidence of every interval
MIN_SEEDS = 3  # a comparison of two groups needs at least this many seeds in each
MIN_RUNS = 6  # a rank correlation needs at least this many finished runs
MIN_CLUSTERS = 4  # a cluster bootstrap needs at least this many clusters
RECOVERY = 0.5  # a degrading series may recover at most this share of its drop
VERDICTS = ("holds", "partly", "does not hold", "inconclusive")


def outcome(check: bool | str) -> str:
    """A check as a verdict: True ``holds``, False ``does not hold``, a verdict as it is."""
    if isinstance(check, (bool, np.bool_)):
        return "holds" if check else "does not hold"
    if check not in VERDICTS:
        raise ValueError(f"unknown verdict {check!r}; one of {VERDICTS}")
    return check


def verdict(checks: Sequence[bool | str]) -> str:
    """One verdict from checks, each a bool (True: ``holds``, False: ``does not hold``) or a
    verdict of ``VERDICTS``, by one symmetric rule: inconclusive checks are set aside; of the
    decided ones, all ``holds`` give ``holds``, all ``does not hold`` give ``does not hold``,
    any other mix (or a ``partly``) gives ``partly``; no decided check gives
    ``inconclusive``."""
    if not checks:
        raise ValueError("a verdict needs at least one check")
    decided = {outcome(check) for check in checks} - {"inconclusive"}
    if not decided:
        return "inconclusive"
    if decided == {"holds"}:
        return "holds"
    if decided == {"does not hold"}:
        return "does not hold"
    return "partly"


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


def welch(upper: Mapping, lower: Mapping) -> tuple[float, float, float]:
    """Welch standard error of the difference of two means (``summary`` dicts), its
    Welch-Satterthwaite degrees of freedom and the two-sided ``LEVEL`` t critical value."""
    a, b = upper["sd"] ** 2 / upper["n"], lower["sd"] ** 2 / lower["n"]
    se = math.sqrt(a + b)
    if se == 0:
        return 0.0, math.inf, float(stats.norm.ppf(0.5 + LEVEL / 2))
    dof = (a + b) ** 2 / (a * a / (upper["n"] - 1) + b * b / (lower["n"] - 1))
    return se, dof, float(stats.t.ppf(0.5 + LEVEL / 2, dof))


def decide(low: float, high: float) -> str:
    """The verdict of an interval for a quantity claimed positive: above 0 ``holds``, below 0
    ``does not hold``, containing 0 (or undefined) ``inconclusive``."""
    if low > 0:
        return "holds"
    if high < 0:
        return "does not hold"
    return "inconclusive"


def compare(
    upper: Mapping, lower: Mapping, upper_name: str, lower_name: str, z: float | None = None
) -> dict:
    """Is the mean of ``upper`` larger than that of ``lower`` (``summary`` dicts of per-seed
    values, each seed one repeat of one model)? The difference with its Welch standard error
    and its ``LEVEL`` interval with the Welch-Satterthwaite t critical value (or, with ``z``,
    the fixed critical value of the replaced test, docs/claims.md "History"): ``decide``, and
    ``inconclusive`` when either group has fewer than ``MIN_SEEDS`` seeds."""
    diff = upper["mean"] - lower["mean"]
    enough = min(upper["n"], lower["n"]) >= MIN_SEEDS and math.isfinite(diff)
    se, dof, critical = welch(upper, lower) if enough else (math.nan, math.nan, math.nan)
    critical = critical if z is None else z
    interval = [diff - critical * se, diff + critical * se]
    result = decide(*interval) if enough else "inconclusive"
    return {
        "upper": upper_name,
        "lower": lower_name,
        "difference": diff,
        "se": se,
        "dof": dof,
        "t": critical,
        "interval": interval,
        "verdict": result,
        "holds": result == "holds",
    }


def ordered(
    samples: Mapping[str, Sequence[float]], order: Sequence[str] = ORDER, z: float | None = None
) -> dict:
    """Test a > b > c for per-seed samples of each architecture in ``order``: each adjacent
    pair by ``compare`` (``z`` as there). Returns the summaries, the pairs, their joint
    ``verdict`` (``inconclusive`` with fewer than two architectures) and ``holds``."""
    present = [arch for arch in order if arch in samples]
    summaries = {arch: summary(samples[arch]) for arch in present}
    pairs = [
        compare(summaries[upper], summaries[lower], upper, lower, z)
        for upper, lower in zip(present, present[1:])
    ]
    joint = verdict([pair["verdict"] for pair in pairs]) if pairs else "inconclusive"
    return {"summaries": summaries, "pairs": pairs, "verdict": joint, "holds": joint == "holds"}


def degrades(series: Mapping[int, Sequence[float]], depths: Sequence[int], reference: int = 1):
    """Does a series degrade with depth? ``series`` maps each layer to its values (one per seed,
    or one value for the theory). The rule, in one sentence: at every depth of ``depths``
    beyond ``reference`` the value is below the value at layer ``reference`` (for seeds: the
    mean per-seed difference's ``LEVEL`` Welch interval lies below 0), and after its minimum
    the series recovers at most ``RECOVERY`` of its drop. Every layer of ``series`` counts for
    the minimum and the recovery, so the verdict does not depend on which other layers were
    recorded as long as ``series`` holds the same layers."""
    layers = sorted(series)
    means = {layer: float(np.mean(series[layer])) for layer in layers}
    base = np.asarray(series[reference], dtype=float)
    below = []
    for depth in [d for d in depths if d > reference and d in series]:
        values = np.asarray(series[depth], dtype=float)
        if len(values) == 1:
            below.append(bool(values[0] < base[0]))
            continue
        change = summary(values - base)  # paired: the same seed at both layers
        se = change["sd"] / math.sqrt(change["n"])
        critical = float(stats.t.ppf(0.5 + LEVEL / 2, change["n"] - 1))
        below.append(decide(-change["mean"] - critical * se, -change["mean"] + critical * se))
    after = [layer for layer in layers if layer >= reference]
    lowest = min(after, key=means.get)
    drop = means[reference] - means[lowest]
    recovery = means[after[-1]] - means[lowest]
    recovers = drop > 0 and recovery <= RECOVERY * drop
    checks = below + [recovers]
    return {
        "reference": reference,
        "first": means[reference],
        "last": means[after[-1]],
        "minimum": means[lowest],
        "minimum_layer": int(lowest),
        "drop": drop,
        "recovery": recovery,
        "below_reference": below,
        "verdict": verdict(checks),
        "holds": verdict(checks) == "holds",
    }


def spearman_decrease(layers, values) -> dict:
    """The replaced test of a decreasing series (docs/claims.md, "History"): Spearman rank
    correlation of (l, value) <= -0.5 and the last value below the first; it depends on which
    layers were recorded."""
    layers, values = np.asarray(layers), np.asarray(values, dtype=float)
    rho = float(stats.spearmanr(layers, values).statistic)
    holds = bool(rho <= -0.5 and values[-1] < values[0])
    return {
        "spearman": rho,
        "first": float(values[0]),
        "last": float(values[-1]),
        "verdict": outcome(holds),
        "holds": holds,
    }


def spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman rank correlation of each row of ``x`` with the same row of ``y`` (NaN where a
    row is constant)."""
    rx, ry = stats.rankdata(x, axis=-1), stats.rankdata(y, axis=-1)
    rx = rx - rx.mean(axis=-1, keepdims=True)
    ry = ry - ry.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sum(rx * ry, axis=-1) / np.sqrt(np.sum(rx**2, axis=-1) * np.sum(ry**2, axis=-1))


def cluster_resamples(clusters, resamples: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Indices of ``resamples`` two-stage bootstrap samples of the items labelled by
    ``clusters``: draw clusters with replacement, then items within each drawn cluster with
    replacement (each drawn cluster contributes as many items as it holds)."""
    clusters = np.asarray(clusters)
    members = [np.flatnonzero(clusters == label) for label in np.unique(clusters)]
    samples = []
    for _ in range(resamples):
        drawn = rng.integers(0, len(members), size=len(members))
        # members[c][rng.integers(0, size, size)] draws what rng.choice(members[c], size) draws,
        # from the same stream, at half its call overhead
        samples.append(
            np.concatenate(
                [members[c][rng.integers(0, members[c].size, members[c].size)] for c in drawn]
            )
        )
    return samples


def spearman_samples(x: np.ndarray, y: np.ndarray, samples: list[np.ndarray]) -> np.ndarray:
    """``spearman_rows`` of (x, y) on each index array of ``samples``, in their order; samples
    of equal length are ranked together as the rows of one array (the same ranks and sums as
    one at a time, a hundred times faster for thousands of bootstrap samples)."""
    lengths = np.array([len(sample) for sample in samples])
    rho = np.empty(len(samples))
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)
        index = np.stack([samples[row] for row in rows])
        rho[rows] = spearman_rows(x[index], y[index])
    return rho


def rank_correlation(x, y, resamples: int, seed: int, clusters=None) -> dict:
    """Spearman rank correlation of the finite pairs (x, y) with a percentile bootstrap
    ``LEVEL`` interval (``resamples`` resamples, seeded): over pairs, or with ``clusters``
    (one label per pair, e.g. its architecture and depth, whose seeds are repeats of one
    model) over clusters then pairs within them (``cluster_resamples``). ``decide`` on the
    interval; ``inconclusive`` with fewer than ``MIN_RUNS`` pairs, fewer than
    ``MIN_CLUSTERS`` clusters or a constant variable."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    labels = None if clusters is None else np.asarray(clusters)[keep]
    rho = float(spearman_rows(x, y)) if len(x) >= 2 else math.nan
    n_clusters = len(set(labels.tolist())) if labels is not None else len(x)
    low = high = math.nan
    enough = len(x) >= MIN_RUNS and (labels is None or n_clusters >= MIN_CLUSTERS)
    if enough and math.isfinite(rho):
        rng = np.random.default_rng(seed)
        if labels is None:
            index = rng.integers(0, len(x), size=(resamples, len(x)))
            boot = spearman_rows(x[index], y[index])
        else:
            boot = spearman_samples(x, y, cluster_resamples(labels, resamples, rng))
        tail = 50 * (1 - LEVEL)
        low, high = (float(v) for v in np.nanpercentile(boot, [tail, 100 - tail]))
    return {
        "spearman": rho,
        "ci95": [low, high],
        "n": int(len(x)),
        "clusters": int(n_clusters),
        "resampling": "runs" if labels is None else "clusters, then runs within them",
        "verdict": decide(low, high),
    }


def correlation_text(test: Mapping) -> str:
    """rho [CI] (n runs in k clusters), for the evidence."""
    clusters = (
        f" in {test['clusters']} clusters" if test.get("resampling", "runs") != "runs" else ""
    )
    return (
        f"rho = {test['spearman']:.2f} [{test['ci95'][0]:.2f}, {test['ci95'][1]:.2f}] "
        f"({test['n']} runs{clusters})"
    )


def secondary(name: str, test: Mapping, evidence: str) -> dict:
    """One secondary test of a claim: its name, verdict, evidence and numbers."""
    return {"name": name, "verdict": test["verdict"], "evidence": evidence, "measured": dict(test)}


def depths_verdict(rows: Sequence[Mapping]) -> str:
    """Joint verdict of per-depth comparisons (``inconclusive`` when there are none)."""
    return verdict([row["verdict"] for row in rows]) if rows else "inconclusive"


def depths_text(rows: Sequence[Mapping], key: str = "summaries") -> str:
    """Per depth: verdict and each architecture's mean +- sd, for the evidence."""
    return "; ".join(
        f"L={r['depth']} {r['verdict']}: "
        + ", ".join(f"{a} {s['mean']:.2f}±{s['sd']:.2f}" for a, s in r[key].items())
        for r in rows
    )
