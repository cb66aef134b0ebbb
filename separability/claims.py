"""Pre-registered tests of the paper's claims C1..C6 (SPEC "Claims"): each takes tidy result
tables, applies a test fixed in code before any result is seen, and returns the measured
numbers (mean, sd, n), the test applied, and a verdict: ``holds``, ``partly`` or
``does not hold``. A claim that does not hold is a result, never a bug.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from separability import ARCHITECTURES
from separability.decay import decay_windows, paper_name, window_fits

CLAIMS = {
    "C1": "A larger ratio of between-class to within-class distance of the last hidden layer's "
          "features goes with higher classification performance.",
    "C2": "In a randomly initialised MLP the between-class distance shrinks faster through the "
          "layers than the within-class distance, so the ratio degrades with depth.",
    "C3": "The skip connection and batch normalization relax that degradation: at equal depth "
          "the ratio is ordered ResNet+BN >= ResNet >= MLP.",
    "C4": "The angle between two feature vectors decreases with depth exponentially in the MLP, "
          "sub-exponentially with skip connections, and reciprocally (like 1/l) with skip "
          "connections and BN.",
    "C5": "After training, networks whose initialisation preserved angles (skip, skip+BN) reach "
          "a larger distance ratio at the last hidden layer than the MLP of the same depth.",
    "C6": "The numerical experiments (finite width) agree with the theory (infinite width).",
}
ORDER = ("resnet_bn", "resnet", "mlp")
PAPER_LAWS = {"mlp": "exponential", "resnet": "sub-exponential", "resnet_bn": "reciprocal"}
Z = 2.0  # a difference counts as real beyond Z standard errors
C6_TOLERANCE = 0.05  # relative theory-simulation discrepancy accepted as agreement


def verdict(checks: Sequence[bool]) -> str:
    """``holds`` when every check passes, ``does not hold`` when none does, else ``partly``."""
    checks = list(checks)
    if not checks:
        raise ValueError("a verdict needs at least one check")
    if all(checks):
        return "holds"
    return "does not hold" if not any(checks) else "partly"


def summary(values) -> dict:
    """Mean, sd (ddof 1) and n of finite values."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else float("nan")
    return {"mean": float(np.mean(values)) if len(values) else float("nan"), "sd": sd,
            "n": int(len(values))}


def ordered(samples: Mapping[str, Sequence[float]], order: Sequence[str] = ORDER) -> dict:
    """Test a >= b >= c for per-seed samples of each architecture in ``order``: each adjacent
    difference of means must not be negative beyond Z standard errors (Welch). Returns the
    summaries, the differences with their standard errors, and ``holds``."""
    present = [arch for arch in order if arch in samples]
    summaries = {arch: summary(samples[arch]) for arch in present}
    pairs, holds = [], True
    for upper, lower in zip(present, present[1:]):
        a, b = summaries[upper], summaries[lower]
        diff = a["mean"] - b["mean"]
        se = math.sqrt(sum(s["sd"] ** 2 / s["n"] for s in (a, b) if s["n"] > 1 and
                           math.isfinite(s["sd"])))
        ok = bool(diff >= -Z * se) if math.isfinite(diff) else False
        holds &= ok
        pairs.append({"upper": upper, "lower": lower, "difference": diff, "se": se,
                      "holds": ok})
    return {"summaries": summaries, "pairs": pairs, "holds": bool(holds and len(present) > 1)}


def decreasing(layers, values) -> dict:
    """Does a series decrease with depth? Spearman rank correlation of (l, value) <= -0.5 and
    the last value below the first."""
    layers, values = np.asarray(layers), np.asarray(values, dtype=float)
    rho = float(stats.spearmanr(layers, values).statistic)
    holds = bool(rho <= -0.5 and values[-1] < values[0])
    return {"spearman": rho, "first": float(values[0]), "last": float(values[-1]),
            "holds": holds}


def seed_means(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Mean and sd over seeds of ``column`` per architecture and layer."""
    return table.groupby(["arch", "layer"])[column].agg(["mean", "std", "count"]).reset_index()


def main_theory(theory: pd.DataFrame) -> pd.DataFrame:
    """The Gram-recursion rows of the standard models (centred BN for resnet_bn)."""
    return theory[theory.variant.isin(["-", "centred"])]


def claim_c2(simulation: pd.DataFrame, theory: pd.DataFrame) -> dict:
    """C2 on the MLP: the ratio decreases with depth (theory, and the seed-mean simulation),
    and the between-class distance shrinks more than the within-class one, relatively:
    d_b_norm(L) / d_b_norm(0) < d_w_norm(L) / d_w_norm(0)."""
    checks, measured = [], {}
    for source, table in (("theory", main_theory(theory)), ("simulation", simulation)):
        mlp = table[table.arch == "mlp"]
        means = mlp.groupby("layer")[["ratio", "d_w_norm", "d_b_norm"]].mean().sort_index()
        trend = decreasing(means.index, means.ratio)
        shrink_b = float(means.d_b_norm.iloc[-1] / means.d_b_norm.iloc[0])
        shrink_w = float(means.d_w_norm.iloc[-1] / means.d_w_norm.iloc[0])
        measured[source] = {**trend, "d_b_kept": shrink_b, "d_w_kept": shrink_w,
                            "depth": int(means.index.max()),
                            "minimum": float(means.ratio.min()),
                            "minimum_layer": int(means.ratio.idxmin())}
        checks += [trend["holds"], shrink_b < shrink_w]
    if "seed" in simulation:
        last = simulation[(simulation.arch == "mlp") &
                          (simulation.layer == simulation.layer.max())]
        measured["simulation"]["ratio_last_over_seeds"] = summary(last.ratio)
    th, sim = measured["theory"], measured["simulation"]
    evidence = (f"MLP ratio {th['first']:.3f} -> {th['last']:.3f} over {th['depth']} layers in "
                f"theory (Spearman {th['spearman']:.2f}, minimum {th['minimum']:.3f} at l = "
                f"{th['minimum_layer']}), {sim['first']:.3f} -> {sim['last']:.3f} in simulation "
                f"(Spearman {sim['spearman']:.2f}, minimum {sim['minimum']:.3f} at l = "
                f"{sim['minimum_layer']}); d_b keeps "
                f"{th['d_b_kept']:.2f} of its value vs d_w {th['d_w_kept']:.2f} (theory), "
                f"{sim['d_b_kept']:.2f} vs {sim['d_w_kept']:.2f} (simulation)")
    return {"verdict": verdict(checks), "evidence": evidence, "measured": measured,
            "test": "Spearman(l, ratio) <= -0.5 and ratio(L) < ratio(0) for the MLP, and "
                    "d_b(L)/d_b(0) < d_w(L)/d_w(0), each in theory and simulation"}


def claim_c3(simulation: pd.DataFrame, theory: pd.DataFrame, depths: Sequence[int]) -> dict:
    """C3: at each depth, ratio ordered resnet_bn >= resnet >= mlp, in the theory (exact) and
    in the simulation (per-seed ratios, Welch standard errors)."""
    theory = main_theory(theory)
    depths = [d for d in depths if d <= simulation.layer.max()]
    checks, rows = [], []
    for depth in depths:
        sim = simulation[simulation.layer == depth]
        test = ordered({arch: rows_.ratio.to_numpy() for arch, rows_ in sim.groupby("arch")})
        exact = theory[theory.layer == depth].set_index("arch").ratio
        present = [arch for arch in ORDER if arch in exact.index]
        theory_ok = bool(all(exact[a] >= exact[b] for a, b in zip(present, present[1:])))
        checks += [test["holds"], theory_ok]
        rows.append({"depth": int(depth), "theory": {a: float(exact[a]) for a in present},
                     "theory_holds": theory_ok, "simulation": test})
    held = sum(r["theory_holds"] and r["simulation"]["holds"] for r in rows)
    deepest = rows[-1]
    ratios = ", ".join(f"{arch} {deepest['simulation']['summaries'][arch]['mean']:.3f}"
                       for arch in deepest["simulation"]["summaries"])
    evidence = (f"ordering resnet_bn >= resnet >= mlp holds in theory and simulation at {held} "
                f"of {len(rows)} depths {list(depths)}; at l = {deepest['depth']} simulated "
                f"ratios {ratios}")
    return {"verdict": verdict(checks), "evidence": evidence, "measured": rows,
            "test": f"at each depth: theory ratios ordered; simulated mean differences not "
                    f"negative beyond {Z} Welch standard errors"}


def decay_fits(layers, theta, windows: Sequence[tuple[int, int]]) -> list[dict]:
    """Best decay law (held-out error) of theta(l) in each window, with every law's fit."""
    return [{"window": [winner.first, winner.last], "best": winner.law,
             "paper_name": paper_name(winner.law), "fits": [fit.as_dict() for fit in fits]}
            for winner, fits in window_fits(layers, theta, windows)]


def claim_c4(scalar: pd.DataFrame, pairs: pd.DataFrame) -> dict:
    """C4: decay law of theta_l per architecture, from the largest initial angle: the scalar
    theory in the windows [10, 1e3] and [1e3, depth] (asymptotic), the simulated pairs (mean
    over seeds) in [10, their depth]. A check passes when the law named by the paper is the
    best fit in the asymptotic theory window and in the simulation."""
    angle0 = float(scalar.angle0.max())
    depth = int(scalar.layer.max())
    sim_depth = int(pairs.layer.max())
    theory_windows = decay_windows(depth)
    checks, measured = [], {}
    for arch in [a for a in ARCHITECTURES if a in set(scalar.arch)]:
        rows = scalar[(scalar.arch == arch) & np.isclose(scalar.angle0, angle0)]
        sim = pairs[(pairs.arch == arch) & np.isclose(pairs.angle0, angle0)]
        sim = sim.groupby("layer").theta.mean()
        theory_fits = decay_fits(rows.layer, rows.theta, theory_windows)
        sim_fits = decay_fits(sim.index, sim.to_numpy(), [(10, sim_depth)])
        expected = PAPER_LAWS[arch]
        found = [fit["paper_name"] for fit in (theory_fits[-1:] + sim_fits)]
        checks += [name == expected for name in found]
        measured[arch] = {"paper": expected, "theory": theory_fits, "simulation": sim_fits,
                          "theta_at_depth": float(rows.theta.iloc[-1])}
    parts = []
    for arch, m in measured.items():
        laws = "; ".join(f"[{f['window'][0]}, {f['window'][1]}] {f['paper_name']} "
                         f"(slope {next(x['slope'] for x in f['fits'] if x['law'] == f['best']):.3g})"
                         for f in m["theory"])
        parts.append(f"{arch} (paper: {m['paper']}): theory {laws}")
    slowest = " > ".join(f"{arch} {m['theta_at_depth']:.2g}" for arch, m in
                         sorted(measured.items(), key=lambda item: -item[1]["theta_at_depth"]))
    parts.append(f"theta at l = {depth} (theory, slowest decay first): {slowest}")
    return {"verdict": verdict(checks), "evidence": " | ".join(parts), "measured": measured,
            "angle0": angle0,
            "test": "least-squares fits of log theta against l (exponential), log l (power law, "
                    "'sub-exponential') and log l with slope -1 (reciprocal); the law with the "
                    "smallest held-out error (alternate depths) is named; the paper's law must "
                    "win in the asymptotic theory window and in the simulation"}


def width_errors(width_table: pd.DataFrame, theory: pd.DataFrame) -> pd.DataFrame:
    """Per seed, architecture and width: mean over layers >= 1 of |ratio_sim - ratio_theory|."""
    reference = main_theory(theory)[["arch", "layer", "ratio"]]
    merged = width_table[width_table.layer >= 1].merge(reference, on=["arch", "layer"],
                                                       suffixes=("", "_theory"))
    merged["error"] = (merged.ratio - merged.ratio_theory).abs()
    return merged.groupby(["arch", "width", "seed"], as_index=False).error.mean()


def claim_c6(simulation: pd.DataFrame, theory: pd.DataFrame, width_table: pd.DataFrame,
             depths: Sequence[int]) -> dict:
    """C6: relative discrepancy |mean_seeds(ratio_sim) - ratio_theory| / ratio_theory at each
    depth within C6_TOLERANCE, and the width-scan error decreasing with N (log-log slope < 0
    and error at the largest width below half that at the smallest)."""
    theory_main = main_theory(theory)
    sim = seed_means(simulation, "ratio")
    merged = sim.merge(theory_main[["arch", "layer", "ratio"]], on=["arch", "layer"])
    merged["relative"] = (merged["mean"] - merged.ratio).abs() / merged.ratio
    checks, rows = [], []
    for depth in [d for d in depths if d <= simulation.layer.max()]:
        at = merged[merged.layer == depth].set_index("arch").relative
        checks.append(bool((at <= C6_TOLERANCE).all()))
        rows.append({"depth": int(depth), "relative_discrepancy": at.to_dict()})
    errors = width_errors(width_table, theory)
    slopes = {}
    for arch, rows_ in errors.groupby("arch"):
        per_width = rows_.groupby("width").error.mean()
        slope = float(np.polyfit(np.log(per_width.index), np.log(per_width.to_numpy()), 1)[0])
        shrinks = bool(slope < 0 and per_width.iloc[-1] < 0.5 * per_width.iloc[0])
        checks.append(shrinks)
        slopes[arch] = {"slope": slope, "shrinks": shrinks,
                        "error_by_width": {int(w): summary(rows_[rows_.width == w].error)
                                           for w in per_width.index}}
    worst = max(max(r["relative_discrepancy"].values()) for r in rows)
    evidence = (f"largest relative ratio discrepancy {worst:.3f} over depths "
                f"{[r['depth'] for r in rows]} (tolerance {C6_TOLERANCE}); error vs width "
                "slopes " + ", ".join(f"{a} {s['slope']:.2f}" for a, s in slopes.items())
                + " (N^-1/2 would be -0.5)")
    return {"verdict": verdict(checks), "evidence": evidence,
            "measured": {"depths": rows, "width_scan": slopes},
            "test": f"relative discrepancy of the seed-mean ratio <= {C6_TOLERANCE} at each "
                    "depth; error against width has negative log-log slope and halves from the "
                    "smallest to the largest width"}


def trained_runs(runs: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Runs usable for the trained-ratio claims (status ok, finite ratio) and a count of the
    diverged runs per architecture and depth (never dropped silently)."""
    ok = runs[(runs.status == "ok") & np.isfinite(runs.ratio_trained)]
    diverged = runs[runs.status != "ok"]
    counts = {f"{arch} L={depth}": int(len(rows_))
              for (arch, depth), rows_ in diverged.groupby(["arch", "depth"])}
    return ok, {"total": int(len(diverged)), "by_model": counts, "runs": int(len(runs))}


def claim_c1(runs: pd.DataFrame, resamples: int, seed: int) -> dict:
    """C1: Spearman rank correlation between the trained last-layer ratio and test accuracy
    across all finished runs, with a bootstrap 95% interval over runs. Holds when the interval
    lies above 0; partly when the estimate is positive but the interval reaches 0."""
    ok, diverged = trained_runs(runs)
    x, y = ok.ratio_trained.to_numpy(), ok.test_accuracy.to_numpy()
    rho = float(stats.spearmanr(x, y).statistic)
    interval = stats.bootstrap((x, y), lambda a, b: stats.spearmanr(a, b).statistic,
                               paired=True, vectorized=False, n_resamples=resamples,
                               confidence_level=0.95, method="percentile",
                               rng=np.random.default_rng(seed)).confidence_interval
    low, high = float(interval.low), float(interval.high)
    result = "holds" if low > 0 else ("partly" if rho > 0 else "does not hold")
    evidence = (f"Spearman rho = {rho:.2f} (95% bootstrap CI [{low:.2f}, {high:.2f}]) between "
                f"trained ratio and test accuracy over {len(ok)} runs; {diverged['total']} "
                "diverged runs excluded and counted")
    return {"verdict": result, "evidence": evidence,
            "measured": {"spearman": rho, "ci95": [low, high], "n": int(len(ok)),
                         "diverged": diverged, "ratio": summary(x), "test_accuracy": summary(y)},
            "test": f"Spearman rank correlation with a {resamples}-resample percentile bootstrap "
                    "interval; holds if the interval is above 0"}


def claim_c5(runs: pd.DataFrame) -> dict:
    """C5: at each trained depth, the trained last-layer ratio ordered resnet_bn >= resnet >=
    mlp over seeds (Welch standard errors); diverged runs counted per model."""
    ok, diverged = trained_runs(runs)
    checks, rows = [], []
    for depth, at in ok.groupby("depth"):
        test = ordered({arch: rows_.ratio_trained.to_numpy() for arch, rows_ in at.groupby("arch")})
        checks.append(test["holds"])
        rows.append({"depth": int(depth), **test})
    text = "; ".join(f"L={r['depth']}: " + ", ".join(f"{a} {s['mean']:.2f}±{s['sd']:.2f}"
                                                    for a, s in r["summaries"].items())
                     for r in rows)
    evidence = (f"ordering holds at {sum(checks)} of {len(checks)} depths ({text}); "
                f"{diverged['total']} of {diverged['runs']} runs diverged")
    return {"verdict": verdict(checks), "evidence": evidence,
            "measured": {"depths": rows, "diverged": diverged},
            "test": f"at each depth, mean differences of the trained ratio not negative beyond "
                    f"{Z} Welch standard errors"}


REQUIRED_COLUMNS = {
    "distance": {"arch", "seed", "layer", "ratio", "d_w_norm", "d_b_norm"},
    "theory": {"arch", "variant", "layer", "ratio", "d_w_norm", "d_b_norm"},
    "width": {"arch", "seed", "width", "layer", "ratio"},
    "scalar": {"arch", "angle0", "layer", "theta"},
    "pairs": {"arch", "seed", "angle0", "layer", "theta"},
    "runs": {"arch", "depth", "seed", "status", "ratio_trained", "test_accuracy"},
}
FIGURES = {"C1": "figures/{dataset}/fig6_accuracy.pdf", "C2": "figures/{dataset}/fig2_ratio.pdf",
           "C3": "figures/{dataset}/fig2_ratio.pdf", "C4": "figures/fig3_angle_decay.pdf",
           "C5": "figures/{dataset}/fig5_trained_ratio.pdf",
           "C6": "figures/{dataset}/fig7_width.pdf"}


def read_result(paths: str | Sequence[str], kind: str) -> pd.DataFrame:
    """Read and stack the result tables of one ``kind``; a missing, empty or malformed file
    raises ValueError naming the file and what is wrong with it."""
    paths = [paths] if isinstance(paths, str) else list(paths)
    if not paths:
        raise ValueError(f"no {kind} tables given")
    tables = []
    for path in paths:
        try:
            table = pd.read_csv(path, sep="\t")
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            raise ValueError(f"{kind} result {path!s} cannot be read: {error}") from error
        missing = REQUIRED_COLUMNS[kind] - set(table.columns)
        if missing or table.empty:
            problem = f"missing columns {sorted(missing)}" if missing else "no rows"
            raise ValueError(f"{kind} result {path!s} is malformed: {problem}")
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def random_init_claims(distance: pd.DataFrame, theory: pd.DataFrame, width: pd.DataFrame,
                       depths: Sequence[int]) -> dict:
    """C2, C3 and C6, the claims about networks at random initialisation."""
    return {"C2": claim_c2(distance, theory), "C3": claim_c3(distance, theory, depths),
            "C6": claim_c6(distance, theory, width, depths)}


def assess(dataset: str, tables: Mapping[str, pd.DataFrame], depths: Sequence[int],
           resamples: int, seed: int) -> dict:
    """Every claim C1..C6 on one data set: text, verdict, evidence, measurements, test,
    conditions and figure."""
    claims = random_init_claims(tables["distance"], tables["theory"], tables["width"], depths)
    claims["C4"] = claim_c4(tables["scalar"], tables["pairs"])
    claims["C1"] = claim_c1(tables["runs"], resamples, seed)
    claims["C5"] = claim_c5(tables["runs"])
    conditions = {
        "dataset": dataset,
        "width": int(tables["distance"].width.iloc[0]) if "width" in tables["distance"] else None,
        "depth": int(tables["distance"].layer.max()),
        "seeds": int(tables["distance"].seed.nunique()),
        "depths_compared": [int(d) for d in depths],
        "trained_depths": sorted(int(d) for d in set(tables["runs"].depth)),
        "widths_scanned": sorted(int(w) for w in set(tables["width"].width)),
    }
    return {key: {"claim": CLAIMS[key], **claims[key], "conditions": conditions,
                  "figure": FIGURES[key].format(dataset=dataset)} for key in sorted(claims)}


def robustness_entry(label: str, claims: Mapping[str, dict]) -> dict:
    """Verdicts of a second setting, keyed by claim."""
    return {key: {"setting": label, "verdict": value["verdict"], "evidence": value["evidence"]}
            for key, value in claims.items()}


def add_robustness(claims: dict, entries: Sequence[dict]) -> dict:
    """Attach each second setting's verdicts to the claims they recompute."""
    for entry in entries:
        for key, value in entry.items():
            claims[key].setdefault("robustness", []).append(value)
    return claims


def at_width(width_table: pd.DataFrame, width: int) -> pd.DataFrame:
    """The width-scan rows of one width, shaped like a distance table."""
    rows = width_table[width_table.width == width]
    if rows.empty:
        raise ValueError(f"width {width} is not among the scanned widths "
                         f"{sorted(set(width_table.width))}")
    return rows


def headline(key: str, claim: Mapping) -> str:
    """The one number the README's summary table shows for a claim."""
    m = claim["measured"]
    if key == "C1":
        return f"Spearman ρ = {m['spearman']:.2f} [{m['ci95'][0]:.2f}, {m['ci95'][1]:.2f}]"
    if key == "C2":
        return f"MLP ratio {m['theory']['first']:.3f} → {m['theory']['last']:.3f} (theory)"
    if key == "C3":
        held = sum(r["theory_holds"] and r["simulation"]["holds"] for r in m)
        return f"ordered at {held}/{len(m)} depths"
    if key == "C4":
        return "; ".join(f"{arch}: {v['theory'][-1]['paper_name']}" for arch, v in m.items())
    if key == "C5":
        held = sum(r["holds"] for r in m["depths"])
        return f"ordered at {held}/{len(m['depths'])} depths"
    worst = max(max(r["relative_discrepancy"].values()) for r in m["depths"])
    return f"max relative discrepancy {worst:.3f}"


def summary_table(claims: Mapping[str, dict]) -> str:
    """Markdown table: claim, verdict, headline number, figure."""
    lines = ["| claim | verdict | measured | figure |", "|---|---|---|---|"]
    for key, claim in claims.items():
        lines.append(f"| {key} | {claim['verdict']} | {headline(key, claim)} | "
                     f"[{claim['figure']}]({claim['figure']}) |")
    return "\n".join(lines)


def report_markdown(claims: Mapping[str, dict]) -> str:
    """The human-readable claims report: summary table, then per claim its text, test,
    verdict, evidence, conditions, figure and robustness verdicts."""
    parts = ["# Claims of Furusho & Ikeda (ACML 2019): verdicts", "",
             "Each verdict comes from the pre-registered test in `separability/claims.py`.", "",
             summary_table(claims), ""]
    for key, claim in claims.items():
        parts += [f"## {key}: {claim['verdict']}", "", f"> {claim['claim']}", "",
                  f"- **Test:** {claim['test']}", f"- **Evidence:** {claim['evidence']}",
                  f"- **Conditions:** {claim['conditions']}", f"- **Figure:** {claim['figure']}"]
        for entry in claim.get("robustness", []):
            parts.append(f"- **Robustness, {entry['setting']}:** {entry['verdict']} — "
                         f"{entry['evidence']}")
        parts.append("")
    return "\n".join(parts)


def replace_block(text: str, block: str, start: str = "<!-- claims:start -->",
                  end: str = "<!-- claims:end -->") -> str:
    """Replace what stands between the start and end markers of ``text`` with ``block``."""
    head, found, rest = text.partition(start)
    _, found_end, tail = rest.partition(end)
    if not found or not found_end:
        raise ValueError(f"markers {start} ... {end} not found")
    return f"{head}{start}\n{block}\n{end}{tail}"


def robustness(dataset_tables: Mapping[str, Mapping[str, pd.DataFrame]], width_table: pd.DataFrame,
               theory: pd.DataFrame, second_width: int | None,
               depths: Sequence[int]) -> list[dict]:
    """The random-init verdicts (C2, C3, C6) recomputed on other data sets and C2, C3 at a
    second width of the main data set's width scan."""
    entries = [robustness_entry(f"data set {name}", random_init_claims(
        tables["distance"], tables["theory"], tables["width"], depths))
        for name, tables in dataset_tables.items()]
    if second_width is not None:
        narrow = at_width(width_table, second_width)
        entries.append(robustness_entry(f"width N = {second_width}", {
            "C2": claim_c2(narrow, theory),
            "C3": claim_c3(narrow, theory, sorted({1, int(narrow.layer.max())})),
        }))
    return entries
