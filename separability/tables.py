"""The result tables the figures and the claims read (docs/claims.md, docs/statistics.md): what
each kind of table must hold, a reader that refuses a malformed one naming the file, and the
analysis helpers both the figures and the claims apply to them (seed means, the theory rows of
the standard models, the finite-width error against the theory)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from separability.io import ResultError

# The two channels of a distance (docs/statistics.md, "Two channels"): the squared distance of
# two features is the squared gap of their norms plus 2 ||h_i|| ||h_j|| (1 - cos theta_ij).
# Each channel's between/within ratio, beside the paper's distance ratio: name -> (between
# column, within column, axis label, plain name).
CHANNELS = {
    "distance": ("d_b_norm", "d_w_norm", "distance ratio $d_b / d_w$", "distance ratio d_b/d_w"),
    "angle": (
        "theta_b",
        "theta_w",
        r"angle ratio $\theta_b / \theta_w$",
        "angle ratio theta_b/theta_w",
    ),
    "norm": ("gap_b_norm", "gap_w_norm", r"norm-gap ratio $g_b / g_w$", "norm-gap ratio g_b/g_w"),
}


def channel_ratio(table: pd.DataFrame, channel: str) -> pd.Series:
    """The between/within ratio of one channel (``CHANNELS``) per row of a statistics table:
    the distance ratio d_b / d_w (the paper's), the angle ratio theta_b / theta_w, or the
    norm-gap ratio g_b / g_w (mean | ||h_i|| - ||h_j|| | between over within classes)."""
    if channel == "distance":
        return table["ratio"]
    between, within, *_ = CHANNELS[channel]
    return table[between] / table[within]


def seed_means(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Mean and sd over seeds of ``column`` per architecture and layer."""
    return table.groupby(["arch", "layer"])[column].agg(["mean", "std", "count"]).reset_index()


def bn_variant(theory: pd.DataFrame) -> str:
    """The BN variant of the normalised architectures in the claims: exact centred BN
    ("centred") where the theory table has it (config theory.bn: exact), else its large-batch
    approximation ("centred_large_batch")."""
    return "centred" if (theory.variant == "centred").any() else "centred_large_batch"


def main_theory(theory: pd.DataFrame, variant: str | None = None) -> pd.DataFrame:
    """The Gram-recursion rows of the standard models: the unnormalised architectures, and the
    normalised ones with centred BN in the form ``variant`` (default ``bn_variant``: exact
    where available)."""
    return theory[theory.variant.isin(["-", variant or bn_variant(theory)])]


def width_errors(
    width_table: pd.DataFrame, theory: pd.DataFrame, variant: str | None = None
) -> pd.DataFrame:
    """Per seed, architecture and width: mean over layers >= 1 of |ratio_sim - ratio_theory|,
    against the theory rows of ``main_theory(theory, variant)``."""
    reference = main_theory(theory, variant)[["arch", "layer", "ratio"]]
    merged = width_table[width_table.layer >= 1].merge(
        reference, on=["arch", "layer"], suffixes=("", "_theory")
    )
    merged["error"] = (merged.ratio - merged.ratio_theory).abs()
    return merged.groupby(["arch", "width", "seed"], as_index=False).error.mean()


# ----------------------------------------------------------------------------------------------
# What each kind of result table must hold (pandera schemas), and the rule that writes it.

STATISTIC_COLUMNS = (
    "ratio",
    "d_w_norm",
    "d_b_norm",
    "theta_w",
    "theta_b",
    "gap_w_norm",
    "gap_b_norm",
    "log_q",
)
# The measures of a trained run that must be present (NaN where the run did not finish).
RUN_MEASURES = (
    "heldout_ratio_trained",
    "heldout_ratio_init",
    "ratio_trained",
    "heldout_fisher_trained",
    "heldout_ncm_accuracy_trained",
)


def _schema(keys: dict, values: dict, finite: bool = True):
    """A pandera schema: key columns of the given types, value columns of floats (finite where
    ``finite``: a statistic of a random network is defined at every layer)."""
    import pandera.pandas as pa

    checks = [pa.Check(np.isfinite, element_wise=False, error="not finite")] if finite else []
    columns = {name: pa.Column(kind, coerce=True) for name, kind in keys.items()}
    columns |= {
        name: pa.Column(float, checks=checks if kind else [], nullable=not finite, coerce=True)
        for name, kind in values.items()
    }
    return pa.DataFrameSchema(columns, strict=False)


def schemas() -> dict:
    """The schema of every kind of result table (built on first use: pandera is imported by
    the jobs that read tables only)."""
    statistics = dict.fromkeys(STATISTIC_COLUMNS, True)
    pair = {"arch": str, "angle0": float, "layer": int}
    return {
        "distance": _schema({"arch": str, "seed": int, "width": int, "layer": int}, statistics),
        "width": _schema({"arch": str, "seed": int, "width": int, "layer": int}, statistics),
        "theory": _schema({"arch": str, "variant": str, "layer": int}, statistics),
        "scalar": _schema(pair, {"theta": False, "log_theta": False}, finite=False),
        "pairs": _schema({**pair, "seed": int, "width": int}, {"theta": True}),
        "pairs_wide": _schema({**pair, "network": int, "width": int}, {"theta": True}),
        "pairs_batch": _schema({**pair, "source": str, "network": int}, {"theta": True}),
        "sampled_width": _schema(
            {"arch": str, "variant": str, "width": int, "network": int}, {"error": True}
        ),
        "phase": _schema(
            {"arch": str, "law": str, "paper_name": str, "depth": int},
            {"s_w": True, "s_b": True, "rate": False},
            finite=False,
        ),
        "runs": _schema(
            {"arch": str, "depth": int, "seed": int, "status": str},
            dict.fromkeys(("test_accuracy", "train_accuracy", *RUN_MEASURES), False),
            finite=False,
        ),
    }


# The rule whose job writes each kind of table (to rebuild it: snakemake --forcerun <rule>).
WRITERS = {
    "distance": "propagate_distances",
    "width": "propagate_widths",
    "theory": "theory_gram",
    "scalar": "theory_scalar",
    "pairs": "propagate_pairs",
    "pairs_wide": "sample_pairs",
    "pairs_batch": "sample_pairs",
    "phase": "phase_theory",
    "sampled_width": "sample_widths",
    "runs": "aggregate_training",
}
KINDS = tuple(WRITERS)


class TableError(ResultError):
    """A result table that does not hold what the configuration says it must: the message
    names the files, what is wrong and the command that rebuilds them."""


def table_error(kind: str, paths: Sequence, problem: str) -> TableError:
    """The one-line error of a ``kind`` table read from ``paths``."""
    where = ", ".join(str(path) for path in paths[:3]) + (
        f" and {len(paths) - 3} more" if len(paths) > 3 else ""
    )
    rule = WRITERS.get(kind)
    rebuild = f"; rebuild it with `snakemake --forcerun {rule}`" if rule else ""
    return TableError(f"{kind} table {where}: {problem}{rebuild}")


def missing_rows(table: pd.DataFrame, expected: Mapping[str, Sequence]) -> list[dict]:
    """The combinations of the ``expected`` values (key column -> values) that no row of
    ``table`` holds."""
    keys = list(expected)
    present = set(map(tuple, table[keys].drop_duplicates().itertuples(index=False)))
    grid = pd.MultiIndex.from_product([list(values) for values in expected.values()])
    return [dict(zip(keys, combo)) for combo in grid if combo not in present]


def schema_problem(error) -> str:
    """One line of what a pandera schema error found: the columns and checks that failed."""
    cases = getattr(error, "failure_cases", None)
    if not isinstance(cases, pd.DataFrame) or not {"column", "check"} <= set(cases.columns):
        return str(error).splitlines()[0]
    found = cases[["column", "check"]].astype(str).drop_duplicates().head(5)
    return "; ".join(f"column {row.column}: {row.check}" for row in found.itertuples())


def read_result(
    paths: str | Sequence[str], kind: str, expected: Mapping[str, Sequence] | None = None
) -> pd.DataFrame:
    """Read, stack and check the result tables of one ``kind``: each file readable
    (``workflow.read_table``: a cut or corrupt file names itself), the columns and dtypes of
    the kind's schema (``schemas``, statistics finite where they must be) and, with
    ``expected`` (key column -> the values the configuration says the table holds, e.g.
    architectures, seeds, layers), every combination present. Anything else raises
    ``TableError`` naming the files, what is missing and the command that rebuilds them."""
    from pandera.errors import SchemaError, SchemaErrors

    from separability.workflow import read_table

    paths = [paths] if isinstance(paths, str) else list(paths)
    if not paths:
        raise TableError(f"no {kind} tables given")
    tables = []
    for path in paths:
        table = read_table(path)
        if table.empty:
            raise table_error(kind, [path], "no rows")
        tables.append(table)
    table = pd.concat(tables, ignore_index=True)
    try:
        table = schemas()[kind].validate(table)
    except (SchemaError, SchemaErrors) as error:
        raise table_error(kind, paths, f"fails its schema: {schema_problem(error)}") from error
    if expected:
        missing = missing_rows(table, expected)
        if missing:
            shown = "; ".join(", ".join(f"{k} {v}" for k, v in row.items()) for row in missing[:5])
            more = f" (and {len(missing) - 5} more)" if len(missing) > 5 else ""
            raise table_error(kind, paths, f"{len(missing)} expected rows missing: {shown}{more}")
    return table
