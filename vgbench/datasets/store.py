"""The benchmark files shipped inside the package, read by their path under the data folder they
came from (e.g. "benchmarks/analogy/google/questions-words.txt"): decompressed when stored as
gzip, and checked against the manifest's SHA-256 of the original bytes on every read, so a
damaged install fails loudly instead of shifting scores.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
from functools import lru_cache
from importlib.resources import files
from pathlib import Path, PurePosixPath

from vgbench.paths import cache_dir
from vgbench.atomic import write_bytes_atomic

MANIFEST_NAME = "MANIFEST.json"
PACKAGE_DATA = Path(__file__).resolve().parent.parent / "data"  # where the vendor tool writes
DATA = files("vgbench").joinpath("data")                          # where reads come from


class ShippedFileError(ValueError):
    """A shipped benchmark file is unknown, missing, or does not match its checksum."""


@lru_cache(maxsize=None)
def _manifest_of(data) -> dict[str, dict]:
    try:
        text = data.joinpath(MANIFEST_NAME).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ShippedFileError(f"{data}/{MANIFEST_NAME}: missing; the vgbench install lacks its "
                               f"benchmark data (reinstall vgbench)") from None
    return json.loads(text)["files"]


def manifest() -> dict[str, dict]:
    """rel_path -> {"sha256", "bytes", "stored"} for every shipped file."""
    return _manifest_of(DATA)


def _entry(rel_path: str) -> tuple[str, dict]:
    rel = str(PurePosixPath(str(rel_path).replace(os.sep, "/"))).removeprefix("./")
    entry = manifest().get(rel)
    if entry is None:
        raise ShippedFileError(f"{rel_path}: not a benchmark file shipped with vgbench "
                               f"(`vgbench datasets --json` lists them)")
    return rel, entry


def checksum(rel_path: str) -> str:
    """SHA-256 (hex) of the original file, as the manifest records it."""
    return _entry(rel_path)[1]["sha256"]


def benchmark_bytes(rel_path: str) -> bytes:
    """The original bytes of a shipped file, verified against its SHA-256."""
    rel, entry = _entry(rel_path)
    stored = DATA.joinpath(*entry["stored"].split("/"))
    try:
        raw = stored.read_bytes()
    except FileNotFoundError:
        raise ShippedFileError(f"{stored}: missing from the vgbench install (manifest lists {rel}); "
                               f"reinstall vgbench") from None
    if entry["stored"].endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ShippedFileError(f"{stored}: not a readable gzip file ({exc}); reinstall vgbench") from None
    digest = hashlib.sha256(raw).hexdigest()
    if digest != entry["sha256"]:
        raise ShippedFileError(f"{stored}: SHA-256 {digest} does not match the manifest's "
                               f"{entry['sha256']} for {rel}; the file was changed or damaged "
                               f"(reinstall vgbench)")
    return raw


def benchmark_text(rel_path: str) -> str:
    """A shipped file as verified UTF-8 text (a BOM, where the original has one, is kept)."""
    raw = benchmark_bytes(rel_path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ShippedFileError(f"{rel_path}: line {line}: not valid UTF-8 text") from None


def benchmark_path(rel_path: str) -> Path:
    """A verified file on disk with the original bytes, for tools that want a path (gensim).

    Files stored uncompressed are returned in place; compressed ones are written once to the
    cache folder ($VGBENCH_CACHE or ~/.cache/vgbench), keyed by checksum.
    """
    rel, entry = _entry(rel_path)
    data = benchmark_bytes(rel)
    in_place = DATA.joinpath(*entry["stored"].split("/"))
    if not entry["stored"].endswith(".gz") and isinstance(in_place, Path):
        return in_place
    target = cache_dir() / "benchmarks" / entry["sha256"][:16] / PurePosixPath(rel).name
    if not (target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == entry["sha256"]):
        write_bytes_atomic(target, data)
    return target
