"""Small helpers shared by the thin Snakemake scripts: logging to the rule's log file, tidy
tables on disk, thread settings, the provenance of the README's summary table. Nothing here
reads config.yaml."""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pandas as pd

from separability.io import ResultError, atomic_write, corrupt

# The last line of every rule's log: the job's CPU time and the part of it spent before the
# first line of work (interpreter start-up, Snakemake's script preamble, imports), read back by
# separability.benchmark.startup_table.
CPU_LINE = "CPU time %.3f s, of which start-up (interpreter, imports) %.3f s"


@contextlib.contextmanager
def rule_log(path: str | Path | None, end_process: bool = False) -> Iterator[logging.Logger]:
    """Send stdout, stderr (tqdm bars, warnings, tracebacks) and a logger to the rule's log,
    ending with the job's CPU time and its start-up share (``CPU_LINE``). A ``ResultError``
    (a corrupt, incomplete or stale result) ends the job with its one line, naming the file
    and how to rebuild it, in the log and on the terminal, without a traceback.

    With ``end_process`` (a Snakemake script's job, whose work ends with this context), a job
    that succeeded ends its process here, once its log is closed (``end_job``). The job's
    process keeps the memory it frees for its next arrays (``keep_freed_memory``)."""
    startup = time.process_time()
    if path is None:
        yield logging.getLogger("separability")
        return
    keep_freed_memory()
    with (
        open(path, "w", buffering=1) as stream,
        contextlib.redirect_stderr(stream),
        contextlib.redirect_stdout(stream),
    ):
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger = logging.getLogger("separability")
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        try:
            yield logger
        except ResultError as error:  # a result to rebuild, not a bug: one line, no traceback
            logger.error("%s", error)
            print(f"error: {error}", file=sys.__stderr__)
            raise SystemExit(1) from None
        except BaseException:
            logger.exception("rule failed")
            raise
        else:
            logger.info(CPU_LINE, time.process_time(), startup)
        finally:
            logger.removeHandler(handler)
    if end_process:
        end_job()


# glibc's mallopt parameters (malloc.h) and the values a job runs with: allocations below 32 MiB
# come from the heap, and up to 256 MiB freed at its top stay with the process.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD_BYTES, TRIM_THRESHOLD_BYTES = 32 << 20, 256 << 20


def keep_freed_memory() -> bool:
    """Make glibc's malloc keep freed memory for the next allocations instead of mapping fresh
    pages for every large array and returning them when it is freed. A layer's statistics
    build about ten temporaries of 1 MB (the n (n - 1) / 2 pairs of n = 500 inputs in float64),
    and with glibc's adaptive defaults each of them can cost 256 page faults: measured on the
    2-core machine, 3.6 ms instead of 1.3 ms for a layer's pair values in the first
    architecture of a job, 0.147 instead of 0.133 s for a block of the exact BN map. Changes no
    result. True where glibc took the settings; elsewhere (another C library) nothing
    changes."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    mmap = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    return bool(mmap and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))


def end_job() -> None:
    """End a finished job's process at once, exit status 0, skipping the interpreter's teardown
    (freeing every module's objects: about 0.5-0.8 CPU seconds after importing torch, 0.3 s
    after matplotlib, measured on the 2-core machine; README, Performance). Only for a
    process whose outputs and log are closed: standard output and error are flushed, nothing
    else runs (no atexit handler)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def set_threads(threads: int) -> None:
    """Use ``threads`` CPU threads for torch and for numpy's BLAS (Snakemake's ``threads:`` of
    the rule), so that parallel jobs do not oversubscribe the cores."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(max(1, int(threads)))
    threadpool_limits(max(1, int(threads)))


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    """Write a tidy table as tab-separated text with full float precision, atomically (a
    temporary file in the same directory, then renamed: an interrupted write leaves the old
    file or none)."""
    atomic_write(
        path, lambda temporary: table.to_csv(temporary, sep="\t", index=False, float_format="%.17g")
    )


def read_table(path: str | Path) -> pd.DataFrame:
    """Read one tidy table written by ``write_table``; a file that cannot be parsed as one (cut
    mid-row, empty, binary) raises ``io.CorruptResult`` naming it."""
    try:
        table = pd.read_csv(path, sep="\t")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise corrupt(path, error) from error
    return table


def read_tables(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Read and stack tidy tables written by ``write_table`` (``read_table``)."""
    if not paths:
        raise ValueError("no tables to read")
    return pd.concat([read_table(path) for path in paths], ignore_index=True)


def schema_errors(config: Mapping, schema: Mapping) -> list[str]:
    """Every violation of the JSON schema ``schema`` by ``config``, one line each naming the
    key (dotted, e.g. ``propagation.depth = -3: -3 is less than the minimum of 1``), in the
    order of the keys."""
    from jsonschema import Draft202012Validator

    lines = []
    for error in sorted(
        Draft202012Validator(schema).iter_errors(config), key=lambda e: list(map(str, e.path))
    ):
        key = ".".join(str(part) for part in error.absolute_path)
        where = f"{key} = {json.dumps(error.instance, default=str)}" if key else "config"
        lines.append(f"{where}: {error.message}")
    return lines


def checkout_state(directory: str | Path, ignore: str = "README.md") -> str:
    """The git commit of the checkout at ``directory`` (12 digits), marked when tracked files
    other than ``ignore`` have uncommitted changes; ``unknown`` outside a git checkout."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(directory), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()

    try:
        revision = git("rev-parse", "--short=12", "HEAD")
        changed = git(
            "status", "--porcelain", "--untracked-files=no", "--", ".", f":(exclude){ignore}"
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return f"{revision} with uncommitted changes" if changed else revision


def readme_provenance(dataset: str, configfiles: Sequence[str], provenance: Mapping) -> str:
    """The line above the README's summary table saying what it was made from: the config
    files and what claims.json records (code and settings digests, revision)."""
    files = ", ".join(f"`{name}`" for name in configfiles)
    return (
        f"*Verdicts on `{dataset}` from `results/claims.json`, written by `snakemake readme`; "
        f"config {files}; computed by code digest `{provenance['code']}`, settings digest "
        f"`{provenance['settings']}`, revision `{provenance['revision']}`.*"
    )


def stale_claims(path: str, recorded: Mapping | None, expected: Mapping) -> str | None:
    """Why the claims at ``path`` (their ``recorded`` provenance) were not computed by the
    ``expected`` code and settings of the checkout, with the command that refreshes them;
    None when they were."""
    if recorded is None:
        return f"{path} records no provenance: rebuild it with `snakemake --forcerun claims`"
    differs = [key for key in expected if recorded.get(key) != expected[key]]
    if not differs:
        return None
    what = " and ".join(
        f"{key} digest {recorded.get(key)} (the checkout's: {expected[key]})" for key in differs
    )
    return (
        f"{path} is stale: computed with {what}; refresh it with "
        f"`snakemake {path} --forcerun claims` before `snakemake readme`"
    )
