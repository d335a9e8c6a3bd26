"""Feature store: image vectors as a `.npy` matrix + an image-name list + a JSON sidecar.

The sidecar says how the vectors were made (encoder, layer, preprocessing), so a dataset built on
them can record it. The matrix is opened memory-mapped: 100k images x 2048 floats need not fit in RAM.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from vgbench.atomic import atomic_path, write_text_atomic


@dataclass
class FeatureStore:
    vectors: np.ndarray          # (n_images, dim), float16 or float32, usually a read-only memmap
    names: list[str]             # row order of `vectors`
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None     # the sidecar it was opened from

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.names):
            raise ValueError(f"{self.path or 'feature store'}: {len(self.names)} names but a matrix of "
                             f"shape {self.vectors.shape}")
        self._index: dict[str, int] | None = None

    @property
    def index(self) -> dict[str, int]:
        if self._index is None:
            self._index = {n: i for i, n in enumerate(self.names)}
            if len(self._index) != len(self.names):
                dup = next(n for n in self.names if self.names.count(n) > 1)
                raise ValueError(f"{self.path}: image {dup!r} appears twice in the name list")
        return self._index

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.names)

    def rows(self, names: Sequence[str]) -> np.ndarray:
        """Vectors of `names` (float32 copy); KeyError names the first missing image."""
        idx = self.index
        missing = next((n for n in names if n not in idx), None)
        if missing is not None:
            raise KeyError(f"image {missing!r} is not in feature store {self.path}")
        return np.asarray(self.vectors[[idx[n] for n in names]], dtype=np.float32)

    @classmethod
    def open(cls, location: str | os.PathLike, name: str | None = None, mmap: bool = True) -> "FeatureStore":
        """Open a store from its sidecar JSON, or from a folder holding one (`name` picks among several)."""
        sidecar = find_sidecar(location, name)
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{sidecar}: line {exc.lineno}: not JSON ({exc.msg})") from None
        if not isinstance(meta, dict) or "file" not in meta:
            raise ValueError(f"{sidecar}: expected a feature-store sidecar with a 'file' entry")
        npy = sidecar.parent / meta["file"]
        names_path = sidecar.parent / _rows_file(meta, sidecar)
        for p in (npy, names_path):
            if not p.is_file():
                raise FileNotFoundError(f"{p}: named by {sidecar} but missing")
        vectors = np.load(npy, mmap_mode="r" if mmap else None)
        names = [line.rstrip("\r\n") for line in names_path.read_text(encoding="utf-8").splitlines()]
        names = [n for n in names if n]
        store = cls(vectors, names, meta, sidecar)
        if vectors.dtype not in (np.float16, np.float32):
            raise ValueError(f"{npy}: expected float16 or float32 vectors, got {vectors.dtype}")
        return store


def _rows_file(meta: dict, sidecar: Path) -> str:
    rows = meta.get("rows")
    if isinstance(rows, str) and rows.split():
        # The shipped sidecar writes "NAME.images.txt (one image file name per row, same order)".
        return rows.split()[0]
    return f"{sidecar.stem}.images.txt"


def find_sidecar(location: str | os.PathLike, name: str | None = None) -> Path:
    location = Path(location)
    if location.is_file():
        return location
    if not location.is_dir():
        raise FileNotFoundError(f"{location}: no feature store here (expected a folder or a .json sidecar)")
    candidates = []
    for p in sorted(location.glob("*.json")):
        try:
            meta = json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if isinstance(meta, dict) and "file" in meta and (location / str(meta["file"])).is_file():
            candidates.append(p)
    if name is not None:
        chosen = [p for p in candidates if p.stem == name or p.name == name]
        if not chosen:
            raise FileNotFoundError(f"{location}: no feature store named {name!r} "
                                    f"(found: {', '.join(p.stem for p in candidates) or 'none'})")
        return chosen[0]
    if not candidates:
        raise FileNotFoundError(f"{location}: no feature store (a .json sidecar naming a .npy file)")
    if len(candidates) > 1:
        raise ValueError(f"{location}: several feature stores ({', '.join(p.stem for p in candidates)}); "
                         f"name one")
    return candidates[0]


def write_store(out_dir: str | os.PathLike, stem: str, vectors: np.ndarray, names: Sequence[str],
                meta: dict[str, Any]) -> FeatureStore:
    """Write `stem`.npy (via `npy_name` in meta if set), `stem`.images.txt and `stem`.json atomically.

    The sidecar goes last: a store is complete exactly when its sidecar exists.
    """
    out_dir = Path(out_dir)
    if len(names) != len(vectors):
        raise ValueError(f"{len(names)} names for {len(vectors)} vectors")
    bad = next((n for n in names if not n or "\n" in n or "\r" in n), None)
    if bad is not None:
        raise ValueError(f"image name {bad!r} cannot be stored one per line")
    suffix = {np.dtype(np.float16): ".f16", np.dtype(np.float32): ".f32"}.get(np.dtype(vectors.dtype))
    if suffix is None:
        raise ValueError(f"feature vectors must be float16 or float32, got {vectors.dtype}")
    npy_name = f"{stem}{suffix}.npy"
    with atomic_path(out_dir / npy_name) as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, np.ascontiguousarray(vectors))
    write_text_atomic(out_dir / f"{stem}.images.txt", "".join(f"{n}\n" for n in names))
    meta = {"file": npy_name, "rows": f"{stem}.images.txt", "shape": list(vectors.shape),
            "dtype": str(np.dtype(vectors.dtype)), **{k: v for k, v in meta.items()
                                                       if k not in ("file", "rows", "shape", "dtype")}}
    write_text_atomic(out_dir / f"{stem}.json", json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    return FeatureStore.open(out_dir / f"{stem}.json")
