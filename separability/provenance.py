"""What produced a result: the digest of the code a job runs and of the configuration it was
given (docs/README.md, "Code changes rerun their results").

Every rule of the workflow passes ``code_digest(script)`` as a parameter, the digest of the
script and of every module of this package it imports, directly or through other modules
(found by reading their import statements, at DAG time, without importing anything). Snakemake
reruns a job whose parameters changed, so editing a module reruns exactly the jobs whose
scripts reach it, and nothing else. Content, not file times: a checkout, a touch or a copy
changes nothing.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

PACKAGE = "separability"
PACKAGE_DIR = Path(__file__).resolve().parent
DIGEST_LENGTH = 12


def module_file(name: str) -> Path | None:
    """The source file of the package module ``name`` (dotted, e.g. separability.theory), or
    None when ``name`` is not a module of this package (an attribute, another package)."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = PACKAGE_DIR.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def imported_modules(path: Path) -> frozenset[str]:
    """The package modules that the file at ``path`` imports anywhere (top level or inside a
    function): ``import separability.x``, ``from separability.x import y`` (y itself when it
    is a module) and the relative forms."""
    tree = ast.parse(Path(path).read_text(), filename=str(path))
    package = _package_of(path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return frozenset(name for name in found if module_file(name) is not None)


def _package_of(path: Path) -> str | None:
    """The dotted package that holds the file at ``path`` (None outside this package)."""
    try:
        relative = Path(path).resolve().relative_to(PACKAGE_DIR)
    except ValueError:
        return None
    parts = [PACKAGE, *relative.parts[:-1]]
    return ".".join(parts)


def _absolute(node: ast.ImportFrom, package: str | None) -> str:
    """The absolute module of a ``from ... import`` statement."""
    if not node.level:
        return node.module or ""
    if package is None:
        return node.module or ""
    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join(parts + ([node.module] if node.module else []))


def _with_parents(name: str) -> list[str]:
    """``name`` and the packages above it (their __init__ runs on every import of it)."""
    parts = name.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts) + 1)]


@functools.cache
def module_closure(script: str, extra: tuple[str, ...] = ()) -> tuple[Path, ...]:
    """The source files of every package module the file ``script`` reaches through imports,
    with the modules ``extra`` (imported dynamically by the script) and their closures;
    sorted."""
    pending = {*imported_modules(Path(script).resolve()), *extra}
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        for module in _with_parents(name):
            if module in seen or module_file(module) is None:
                continue
            seen.add(module)
            pending |= imported_modules(module_file(module))
    return tuple(sorted({module_file(name) for name in seen}))


def file_digest(paths: Iterable[Path], root: Path | None = None) -> str:
    """Short SHA-256 of the named files' paths (relative to ``root``) and contents."""
    digest = hashlib.sha256()
    for path in paths:
        name = Path(path).relative_to(root) if root else Path(path).name
        digest.update(f"{name}\0".encode() + Path(path).read_bytes() + b"\0")
    return digest.hexdigest()[:DIGEST_LENGTH]


def code_digest(script: str, extra: Iterable[str] = ()) -> str:
    """Digest of the Snakemake script ``script`` and of every package module it reaches
    (``module_closure``), content only: what a rule's ``params.code`` holds."""
    modules = module_closure(str(script), tuple(extra))
    digest = hashlib.sha256(Path(script).read_bytes())
    digest.update(file_digest(modules, PACKAGE_DIR.parent).encode())
    return digest.hexdigest()[:DIGEST_LENGTH]


def value_digest(value: Mapping | object) -> str:
    """Short SHA-256 of a JSON-serialisable value (mappings with sorted keys): the digest of a
    job's configuration values."""
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_LENGTH]
