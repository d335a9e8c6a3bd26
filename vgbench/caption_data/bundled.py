"""Flickr8k as shipped inside the package (`vgbench/data/flickr8k/`), or from a user's data root.

The demo must run from a plain `pip install`, so its training data (captions, split lists and the
image vectors, 22 MB) ships with the package and is found through importlib.resources; a data root
(`--data-root` / `$VGBENCH_DATA`) that holds `flickr8k/` takes precedence, for data a user brings.
Every file is checked against the SHA-256 of the original (decompressed) file before use, so a
damaged or edited copy stops the run instead of silently changing the results.
"""
from __future__ import annotations

import gzip
import hashlib
import logging
import os
from pathlib import Path
from typing import Iterable

log = logging.getLogger(__name__)

from vgbench.paths import package_path

BUNDLED = package_path("data", "flickr8k")
SUMS = "SHA256SUMS"
CAPTIONS = "captions.txt"
TOKEN_FILE = "Flickr8k.token.txt"
FEATURES = "features"
# What `load_flickr8k` reads, relative to the Flickr8k folder (a `.gz` sibling stands in for a file).
DATASET_FILES = (CAPTIONS, "Flickr_8k.trainImages.txt", "Flickr_8k.devImages.txt", "Flickr_8k.testImages.txt",
                 f"{FEATURES}/efficientnet_lite0.json", f"{FEATURES}/efficientnet_lite0.images.txt",
                 f"{FEATURES}/efficientnet_lite0.f16.npy")


class ChecksumError(ValueError):
    """A data file's content differs from its recorded SHA-256."""


def flickr8k_dir(data_root: str | os.PathLike | None = None) -> Path:
    """DATA_ROOT/flickr8k when a data root is given (argument or $VGBENCH_DATA) and holds captions;
    else the copy shipped with vgbench."""
    from vgbench.paths import ENV_VAR, data_root as resolve_root
    explicit = data_root or os.environ.get(ENV_VAR)
    if explicit:
        candidate = resolve_root(explicit) / "flickr8k"
        if locate(candidate, CAPTIONS) is not None:
            return candidate
        log.info("no flickr8k/ captions under data root %s; using the copy shipped with vgbench", explicit)
    if locate(BUNDLED, CAPTIONS) is not None:
        return BUNDLED
    raise FileNotFoundError(
        f"Flickr8k not found: {BUNDLED} is missing (a damaged vgbench install? reinstall it) and "
        f"no data root holds flickr8k/{CAPTIONS}; pass --data-root DIR (or set ${ENV_VAR}) with "
        f"flickr8k/ laid out as vgbench/data/flickr8k/README.md describes")


def locate(folder: str | os.PathLike, name: str) -> Path | None:
    """folder/name, else its gzip-compressed sibling folder/name.gz, else None."""
    for candidate in (Path(folder) / name, Path(folder) / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def require(folder: str | os.PathLike, name: str) -> Path:
    path = locate(folder, name)
    if path is None:
        raise FileNotFoundError(f"{Path(folder) / name}: not found (nor {name}.gz)")
    return path


def content_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of the file's content; of the decompressed content for a `.gz` file."""
    path = Path(path)
    h = hashlib.sha256()
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def recorded_sums(folder: str | os.PathLike) -> dict[str, tuple[str, str]]:
    """{name relative to folder: (sha256, where it is recorded)} from folder/SHA256SUMS, else from
    the data root's SHA256SUMS (entries `./flickr8k/...`); empty when neither exists."""
    folder = Path(folder)
    for sums, prefix in ((folder / SUMS, "./"), (folder.parent / SUMS, f"./{folder.name}/")):
        if not sums.is_file():
            continue
        out: dict[str, tuple[str, str]] = {}
        for n, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            parts = line.split(maxsplit=1)
            if len(parts) != 2 or len(parts[0]) != 64:
                raise ValueError(f"{sums}: line {n}: expected '<sha256>  <path>', got {line[:80]!r}")
            name = parts[1].lstrip("*")
            if name.startswith(prefix):
                out[name[len(prefix):]] = (parts[0].lower(), f"{sums}: line {n}")
            elif prefix == "./" and not name.startswith("./"):
                out[name] = (parts[0].lower(), f"{sums}: line {n}")
        return out
    return {}


_VERIFIED: dict[tuple[str, int, int], str] = {}


def verify(folder: str | os.PathLike, names: Iterable[str] = DATASET_FILES) -> dict[str, str | None]:
    """Check `names` in `folder` against the recorded SHA-256s; return {name: sha256 or None when
    no sum is recorded}. The shipped copy must have a sum for every file."""
    folder = Path(folder)
    sums = recorded_sums(folder)
    strict = folder.resolve() == BUNDLED.resolve()
    out: dict[str, str | None] = {}
    for name in names:
        path = require(folder, name)
        if name not in sums:
            if strict:
                raise ChecksumError(f"{path}: no SHA-256 recorded in {folder / SUMS}")
            out[name] = None
            continue
        expected, where = sums[name]
        st = path.stat()
        key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
        got = _VERIFIED.get(key) or content_sha256(path)
        if got != expected:
            raise ChecksumError(
                f"{path}: SHA-256 of its content is {got}, but {where} expects {expected}: the file "
                f"is damaged or was edited (reinstall vgbench, or restore it from your copy of the data)")
        _VERIFIED[key] = got
        out[name] = got
    return out
