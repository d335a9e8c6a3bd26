"""Where a result came from: content fingerprints of embeddings and checksums of datasets.

Why content, not names: "glove.txt" evaluated last month and today is the same embedding only if
its bytes are; the results cache and the report's provenance both key on these digests. Hashing
a file is memoised by (path, device, inode, size, mtime, ctime): size and mtime alone can be
restored after a rewrite (`cp -p`, `rsync -t`, tar, os.utime), but the kernel sets ctime on every
write and no user call can set it back, so a rewritten file is always hashed again.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from vgbench.atomic import write_text_atomic

_BLOCK = 1 << 22


def sha256_file(path: str | os.PathLike, memo_dir: Path | None = None) -> str:
    """SHA-256 of a file's bytes; remembered in `memo_dir` while the file's inode, size, mtime
    and ctime are unchanged. A memo that cannot be written (read-only cache) is skipped."""
    path = Path(path).resolve()
    st = path.stat()
    stamp = (f"{path}\0{st.st_dev}\0{st.st_ino}\0{st.st_size}\0{st.st_mtime_ns}"
             f"\0{st.st_ctime_ns}")
    memo = None
    if memo_dir is not None:
        memo = memo_dir / (hashlib.sha256(stamp.encode()).hexdigest()[:32] + ".sha256")
        try:
            known = memo.read_text().strip() if memo.is_file() else ""
        except OSError:
            known = ""
        if len(known) == 64 and all(c in "0123456789abcdef" for c in known):
            return known
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_BLOCK):
            h.update(chunk)
    digest = h.hexdigest()
    if memo is not None:
        try:
            write_text_atomic(memo, digest)
        except OSError:
            pass  # a read-only cache only costs hashing again next time
    return digest


def sha256_files(paths: Iterable[str | os.PathLike]) -> str:
    """One digest over several files (name and bytes of each, in the given order)."""
    h = hashlib.sha256()
    for p in paths:
        h.update(Path(p).name.encode() + b"\0" + bytes.fromhex(sha256_file(p)))
    return h.hexdigest()


def dataset_checksum(dataset: Any) -> str | None:
    """SHA-256 of the file(s) a loaded dataset was read from (a registry's own checksum first).

    A word-pair set has one source file; an STS set a folder, hashed over the input and gold
    files of its subsets. None when the source is not on disk (built in memory).
    """
    own = getattr(dataset, "checksum", None) or getattr(dataset, "sha256", None)
    if own:
        return str(own)
    source = Path(getattr(dataset, "source", "") or "")
    if not str(source) or str(source) == "." or not source.exists():
        return None
    if source.is_file():
        return sha256_file(source)
    subsets = [s.name for s in getattr(dataset, "subsets", [])]
    files = [source / f"STS.{kind}.{s}.txt" for s in subsets for kind in ("input", "gs")]
    files = [f for f in files if f.is_file()]
    return sha256_files(files) if files else None


def _target_files(target: str) -> list[Path]:
    """The file(s) whose bytes define a source target: the file, a registry name's matrix, and
    the word list beside a bare .npy matrix."""
    from vgbench.embeddings.registry import registry_files, split_source
    kind, target = split_source(target)
    if kind == "registry":
        try:
            return [registry_files(target)[0]]
        except ValueError:  # not installed yet (e.g. before --download fetches it): the loader
            return []       # fetches it or says how; the fingerprint then holds the name only
    path = Path(target)
    if not path.is_file():
        return []  # the loader reports a missing file in its own words
    files = [path]
    if path.suffix == ".npy":
        files += [s for s in (path.with_suffix(".vocab"), path.with_suffix(".words.txt"),
                              path.with_suffix(".txt")) if s.is_file()]
    return files


def source_fingerprint(source: Any, postprocess: str | None = None,
                       postprocess_rows: int | None = None, fmt: str | None = None,
                       memo_dir: Path | None = None) -> str:
    """Content fingerprint of one source (spec string or Embeddings): its files' digests plus
    everything that changes the vectors (control, parameters, post-processing)."""
    from vgbench.embeddings.core import Embeddings
    from vgbench.sources import parse_spec
    post = postprocess if postprocess and postprocess != "none" else None
    if isinstance(source, Embeddings):
        h = hashlib.sha256()
        h.update("\n".join(source.words).encode())
        h.update(np.ascontiguousarray(source.vectors).tobytes())
        desc: dict[str, Any] = {"memory": h.hexdigest(), "post": post}
    else:
        text = str(source)
        spec = parse_spec(f"{text}|{post}" if post and "|" not in text else text)
        desc = {"kind": spec.kind, "params": spec.params, "post": spec.postprocess,
                "targets": [[sha256_file(f, memo_dir) for f in _target_files(t)] or [f"unresolved:{t}"]
                            for t in spec.targets], "format": fmt}
    desc["post_rows"] = postprocess_rows if desc.get("post") else None
    return hashlib.sha256(json.dumps(desc, sort_keys=True).encode()).hexdigest()
