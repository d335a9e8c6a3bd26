"""Writers for every format the readers take. Streaming (rows arrive in chunks) and atomic.

`EmbeddingWriter` lets the grounding export write millions of rows with flat memory;
`save_embeddings` is the one-call form for an in-memory Embeddings.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from vgbench.atomic import atomic_path, remove_stale_temps

WRITE_FORMATS = ("glove", "word2vec", "word2vec-binary", "npy")
_SUFFIX_FORMATS = {".npy": "npy", ".bin": "word2vec-binary", ".vec": "word2vec", ".w2v": "word2vec"}


def format_for_path(path: str | os.PathLike, fmt: str | None = None) -> str:
    """The explicit format, else one implied by the suffix (.npy, .bin, .vec), else GloVe text."""
    if fmt:
        if fmt not in WRITE_FORMATS:
            raise ValueError(f"unknown output format {fmt!r}; expected one of {', '.join(WRITE_FORMATS)}")
        return fmt
    return _SUFFIX_FORMATS.get(Path(path).suffix.lower(), "glove")


class EmbeddingWriter:
    """Write `count` rows of `dim` values in chunks; the file appears only when all rows are in.

    npy output writes the matrix to PATH and the words, one per line, to PATH without .npy + .vocab.
    """

    def __init__(self, path: str | os.PathLike, count: int, dim: int, fmt: str | None = None,
                 precision: int = 6):
        self.path, self.count, self.dim = Path(path), int(count), int(dim)
        self.fmt = format_for_path(path, fmt)
        self.precision = precision
        self.written = 0
        vocab_name = self.path.stem + ".vocab"
        for name in (self.path.name, vocab_name):  # what an earlier killed export left
            remove_stale_temps(self.path.parent, name)
        self._ctx = atomic_path(self.path)
        self._tmp = self._ctx.__enter__()
        self._vocab_ctx = self._vocab_tmp = None
        if self.fmt == "npy":
            self._matrix = np.lib.format.open_memmap(self._tmp, mode="w+", dtype=np.float32,
                                                     shape=(self.count, self.dim))
            self._vocab_ctx = atomic_path(self.path.with_suffix("").with_name(self.path.stem + ".vocab"))
            self._vocab_tmp = self._vocab_ctx.__enter__()
            self._fh = open(self._vocab_tmp, "w", encoding="utf-8")
        else:
            self._fh = open(self._tmp, "wb")
            if self.fmt in ("word2vec", "word2vec-binary"):
                self._fh.write(f"{self.count} {self.dim}\n".encode())

    def write(self, words: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(words), self.dim):
            raise ValueError(f"{self.path}: got {len(words)} words and vectors of shape {vectors.shape}; "
                             f"expected ({len(words)}, {self.dim})")
        if self.written + len(words) > self.count:
            raise ValueError(f"{self.path}: more rows than the {self.count} declared")
        for w in words:
            if not w or any(c in w for c in "\n") or (self.fmt == "word2vec-binary" and " " in w):
                raise ValueError(f"{self.path}: word {w!r} cannot be written in {self.fmt} format")
        if self.fmt == "npy":
            self._matrix[self.written:self.written + len(words)] = vectors
            self._fh.write("".join(w + "\n" for w in words))
        elif self.fmt == "word2vec-binary":
            le = vectors.astype("<f4", copy=False)
            self._fh.write(b"".join(w.encode("utf-8") + b" " + le[i].tobytes() + b"\n"
                                    for i, w in enumerate(words)))
        else:
            row_fmt = " ".join([f"%.{self.precision}g"] * self.dim)
            self._fh.write("".join(f"{w} {row_fmt % tuple(r)}\n"
                                   for w, r in zip(words, vectors.tolist())).encode("utf-8"))
        self.written += len(words)

    def close(self) -> Path:
        """Finish: check the row count, flush, and rename into place."""
        if self.written != self.count:
            self.abort()
            raise ValueError(f"{self.path}: {self.written} rows written, {self.count} declared")
        self._fh.close()
        if self.fmt == "npy":
            self._matrix.flush()
            del self._matrix
            self._vocab_ctx.__exit__(None, None, None)
        self._ctx.__exit__(None, None, None)
        return self.path

    def abort(self) -> None:
        """Drop everything written so far; the target path is left as it was."""
        self._fh.close()
        if self.fmt == "npy":
            del self._matrix
            self._vocab_ctx.__exit__(RuntimeError, RuntimeError("aborted"), None)
        self._ctx.__exit__(RuntimeError, RuntimeError("aborted"), None)

    def __enter__(self) -> "EmbeddingWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def save_embeddings(emb, path: str | os.PathLike, fmt: str | None = None, chunk: int = 100_000) -> Path:
    """Write an Embeddings to `path` in `fmt` (glove, word2vec, word2vec-binary, npy)."""
    with EmbeddingWriter(path, len(emb), emb.dim, fmt) as writer:
        for start in range(0, len(emb), chunk):
            writer.write(emb.words[start:start + chunk], emb.vectors[start:start + chunk])
    return Path(path)
