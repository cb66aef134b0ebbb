"""Files and provenance of the training experiments: atomic writes, strict JSON, checkpoints
that know what produced them, the code revision.

A checkpoint is only a head start: it is resumed only when everything that determines the run
is unchanged (``run_identity``: the run's config, a fingerprint of the data arrays and of the
code that trains), and is otherwise discarded with a log line saying what differs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

LOG = logging.getLogger("separability")

# Modules whose source determines a training run (the architectures, the model, the training
# loop); a checkpoint written by other code is not resumed.
TRAINING_CODE = ("architectures.py", "models.py", "training/config.py", "training/fit.py")


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> None:
    """Write through ``write(temporary path)`` then rename, so ``path`` is never half-written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def finite_or_none(value):
    """Replace non-finite floats by None, recursively (strict JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {key: finite_or_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(item) for item in value]
    if isinstance(value, np.generic):
        return finite_or_none(value.item())
    return value


def write_json(record: Mapping, path: str | Path) -> None:
    """Write ``record`` as strict JSON (non-finite numbers as null), atomically."""
    text = json.dumps(finite_or_none(record), indent=1, allow_nan=False)
    atomic_write(path, lambda temporary: temporary.write_text(text + "\n"))


class ResultError(ValueError):
    """A result the pipeline cannot use as it is (corrupt, incomplete, stale): the message names
    the file and how to rebuild it; rule logs report it as one line (``workflow.rule_log``)."""


class CorruptResult(ResultError):
    """A result file that cannot be read (truncated, cut mid-write, not what it should be)."""


def rebuild_hint(path: str | Path) -> str:
    """How to rebuild a result: delete it and rerun Snakemake, which rebuilds missing outputs
    (with the job that writes it)."""
    return f"delete it (rm '{path}') and rerun snakemake to rebuild it"


def corrupt(path: str | Path, error: BaseException) -> CorruptResult:
    """The one-line error for a result at ``path`` that cannot be read because of ``error``."""
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    return CorruptResult(f"{path} is corrupt or incomplete ({reason}): {rebuild_hint(path)}")


def read_json(path: str | Path) -> dict:
    """Read a JSON record written by ``write_json``; a file that is not a complete JSON object
    raises ``CorruptResult`` naming it."""
    try:
        record = json.loads(Path(path).read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise corrupt(path, error) from error
    if not isinstance(record, dict):
        raise corrupt(path, ValueError("not a JSON object"))
    return record


def write_text(text: str, path: str | Path) -> None:
    """Write ``text`` to ``path`` atomically."""
    atomic_write(path, lambda temporary: temporary.write_text(text))


def git_revision() -> str:
    """Commit of the checkout holding this package, or ``unknown``."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return result.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def data_fingerprint(data: Mapping[str, np.ndarray]) -> str:
    """SHA-256 of the named arrays of a prepared data set (names, dtypes, shapes and bytes,
    in name order): any change of the splits, the standardisation or a sample changes it."""
    digest = hashlib.sha256()
    for key in sorted(data):
        array = np.ascontiguousarray(data[key])
        digest.update(f"{key}:{array.dtype.str}:{array.shape};".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def code_fingerprint(modules: tuple[str, ...] = TRAINING_CODE) -> str:
    """SHA-256 of the source files of the package that train (``TRAINING_CODE``) and of the
    torch version."""
    import torch  # imported by the jobs that train only

    digest = hashlib.sha256(torch.__version__.encode())
    for name in modules:
        digest.update(name.encode() + (Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()


def save_checkpoint(path: str | Path, state: Mapping) -> None:
    """``torch.save`` to ``path`` atomically."""
    import torch

    atomic_write(path, lambda temporary: torch.save(dict(state), temporary))


def load_checkpoint(path: str | Path | None, identity: Mapping[str, object]) -> dict | None:
    """The checkpoint at ``path`` if it exists and its ``identity`` (config, data and code
    fingerprints) equals ``identity``; otherwise None, with a log line naming what differs."""
    if path is None or not Path(path).exists():
        return None
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a checkpoint that cannot be read is only a lost head start
        LOG.warning("ignoring unreadable checkpoint %s: %s", path, error)
        return None
    stored = state.get("identity", {})
    differs = [key for key in identity if stored.get(key) != identity[key]]
    if differs:
        LOG.warning(
            "discarding checkpoint %s: its %s differ from this run's; starting afresh",
            path,
            " and ".join(differs),
        )
        return None
    return state
