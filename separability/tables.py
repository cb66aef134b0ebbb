"""The result tables the figures and the claims read (docs/claims.md, docs/statistics.md): what
each kind of table must hold, a reader that refuses a malformed one naming the file, and the
analysis helpers both the figures and the claims apply to them (seed means, the theory rows of
the standard models, the finite-width error against the theory)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def seed_means(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Mean and sd over seeds of ``column`` per architecture and layer."""
    return table.groupby(["arch", "layer"])[column].agg(["mean", "std", "count"]).reset_index()


def bn_variant(theory: pd.DataFrame) -> str:
    """The resnet_bn variant of the claims: exact centred BN ("centred") where the theory
    table has it (config theory.bn: exact), else its large-batch approximation
    ("centred_large_batch")."""
    return "centred" if (theory.variant == "centred").any() else "centred_large_batch"


def main_theory(theory: pd.DataFrame, variant: str | None = None) -> pd.DataFrame:
    """The Gram-recursion rows of the standard models: mlp, resnet, and resnet_bn with centred
    BN in the form ``variant`` (default ``bn_variant``: exact where available)."""
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


REQUIRED_COLUMNS = {
    "distance": {"arch", "seed", "layer", "ratio", "d_w_norm", "d_b_norm"},
    "theory": {"arch", "variant", "layer", "ratio", "d_w_norm", "d_b_norm"},
    "width": {"arch", "seed", "width", "layer", "ratio"},
    "scalar": {"arch", "angle0", "layer", "theta"},
    "pairs": {"arch", "seed", "angle0", "layer", "theta"},
    "phase": {"arch", "s_w", "s_b", "law", "paper_name", "rate", "depth"},
    "runs": {
        "arch",
        "depth",
        "seed",
        "status",
        "test_accuracy",
        "train_accuracy",
        "heldout_ratio_trained",
        "ratio_trained",
        "heldout_fisher_trained",
        "heldout_ncm_accuracy_trained",
    },
}


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
