"""Readers for non-text embedding files: word2vec binary, .npy matrix + vocabulary, gensim KeyedVectors."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np

from vgbench.embeddings.core import Embeddings
from vgbench.embeddings.sniff import BOM, compressed_errors, open_binary
from vgbench.embeddings.text_reader import LoadStats, _Accumulator, _decode_words, drop_nonfinite

VOCAB_SUFFIXES = (".vocab", ".words.txt", ".vocab.txt", ".txt")


def read_word2vec_binary(path: str | os.PathLike, keep: Callable[[str], bool] | None = None,
                         name: str | None = None, nonfinite: str = "drop") -> Embeddings:
    """word2vec's binary format: 'count dim' line, then per row 'word ' + dim float32 (+ optional newline)."""
    path = Path(path)
    with compressed_errors(path):
        return _read_word2vec_binary(path, keep, name, nonfinite)


def _read_word2vec_binary(path: Path, keep, name, nonfinite: str) -> Embeddings:
    stats = LoadStats()
    acc = _Accumulator(keep, stats)
    with open_binary(path) as fh:
        header = fh.readline()
        fields = header.split()
        if len(fields) != 2 or not all(f.isdigit() for f in fields):
            raise ValueError(f"{path}: line 1: expected a word2vec header 'count dim', found "
                             f"{header[:60].decode('utf-8', 'replace').strip()!r}")
        count, dim = int(fields[0]), int(fields[1])
        if count < 1 or dim < 1:
            raise ValueError(f"{path}: line 1: header declares {count} rows of dimension {dim}; "
                             f"expected at least one row of at least one value")
        row_bytes = 4 * dim
        batch_words: list[bytes] = []
        batch_vecs: list[bytes] = []
        buf, pos = b"", 0
        for row in range(count):
            while True:  # the word runs to the first space; some writers put a newline before it
                sp = buf.find(b" ", pos)
                if sp >= 0 and sp + 1 + row_bytes <= len(buf):
                    break
                more = fh.read(1 << 22)
                if not more:
                    raise ValueError(f"{path}: row {row + 1}: file ends early: the header declares "
                                     f"{count} rows but the file holds {row} whole rows of a word "
                                     f"and {dim} float32 values; fix the header or the file")
                buf, pos = buf[pos:] + more, 0
            batch_words.append(buf[pos:sp].lstrip(b"\n"))
            batch_vecs.append(buf[sp + 1:sp + 1 + row_bytes])
            pos = sp + 1 + row_bytes
            if len(batch_words) >= 65536 or row == count - 1:
                words = _decode_words(batch_words, stats)
                first_row = stats.rows_read + 1
                stats.rows_read += len(words)
                words, vecs = drop_nonfinite(
                    words, np.frombuffer(b"".join(batch_vecs), dtype="<f4").reshape(-1, dim),
                    lambda i: f"row {first_row + i}", stats, nonfinite, path)
                acc.add(words, vecs)
                batch_words, batch_vecs = [], []
        extra = _rows_after(fh, buf[pos:], row_bytes)
        if extra:
            raise ValueError(f"{path}: the header declares {count} rows but the file holds "
                             f"{count + extra} rows of {dim} float32 values; fix the header's count "
                             f"(line 1) so that no row is dropped")
    return Embeddings(acc.words, acc.matrix(dim), name or path.name,
                      {"source": str(path), "format": "word2vec-binary", "dim": dim, **stats.as_dict()})


def _rows_after(fh, buf: bytes, row_bytes: int) -> int:
    """Whole rows ('word ' + row_bytes) left after the declared count (trailing whitespace is fine)."""
    rows, pos = 0, 0
    while True:
        while True:
            sp = buf.find(b" ", pos)
            if sp >= 0 and sp + 1 + row_bytes <= len(buf):
                break
            more = fh.read(1 << 22)
            if not more:
                rest = buf[pos:].strip()
                return rows + (1 if rest else 0)
            buf, pos = buf[pos:] + more, 0
        if not buf[pos:sp].strip():
            return rows + (1 if buf[pos:].strip() else 0)
        rows, pos = rows + 1, sp + 1 + row_bytes


def find_vocab_file(npy_path: Path) -> Path:
    stem = npy_path.with_suffix("")
    for suffix in VOCAB_SUFFIXES:
        candidate = Path(str(stem) + suffix)
        if candidate.is_file():
            return candidate
    raise ValueError(f"{npy_path}: no vocabulary file beside it; expected one word per line in "
                     f"{stem.name}{VOCAB_SUFFIXES[0]} (or {', '.join(VOCAB_SUFFIXES[1:])}), or pass --vocab")


def read_npy(path: str | os.PathLike, vocab: str | os.PathLike | None = None,
             keep: Callable[[str], bool] | None = None, name: str | None = None,
             nonfinite: str = "drop") -> Embeddings:
    """A (rows, dim) .npy matrix with a vocabulary file of one word per line, same order."""
    path = Path(path)
    with open_binary(path) as fh:
        if fh.read(6) != b"\x93NUMPY":
            raise ValueError(f"{path}: not a .npy file (it lacks the NUMPY header); leave --format "
                             f"out to have the format sniffed")
    vocab_path = Path(vocab) if vocab else find_vocab_file(path)
    try:
        matrix = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, EOFError, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno is not None:
            raise
        raise ValueError(f"{path}: not a readable numeric .npy matrix ({exc})") from None
    if matrix.ndim != 2 or matrix.shape[1] < 1:
        raise ValueError(f"{path}: expected a 2-D matrix (rows x dim), found shape {matrix.shape}")
    if not (np.issubdtype(matrix.dtype, np.floating) or np.issubdtype(matrix.dtype, np.integer)):
        raise ValueError(f"{path}: expected a numeric matrix, found dtype {matrix.dtype}")
    stats = LoadStats()
    raw = vocab_path.read_bytes()
    raw = (raw[len(BOM):] if raw.startswith(BOM) else raw).split(b"\n")
    if raw and raw[-1] == b"":
        raw.pop()
    words = _decode_words((w.rstrip(b"\r") for w in raw), stats)
    if len(words) != matrix.shape[0]:
        raise ValueError(f"{vocab_path}: line {len(words)}: {len(words)} words for {matrix.shape[0]} "
                         f"rows of {path.name}; expected one word per row")
    stats.rows_read = len(words)
    acc = _Accumulator(keep, stats)
    wanted = list(range(len(words))) if keep is None else [i for i, w in enumerate(words) if keep(w)]
    kept, vecs = drop_nonfinite([words[i] for i in wanted],
                                np.asarray(matrix if keep is None else matrix[wanted], dtype=np.float32),
                                lambda i: f"row {wanted[i] + 1}", stats, nonfinite, path)
    acc.add(kept, vecs)
    return Embeddings(acc.words, acc.matrix(matrix.shape[1]), name or path.name,
                      {"source": str(path), "vocab": str(vocab_path), "format": "npy",
                       "dim": int(matrix.shape[1]), **stats.as_dict()})


def read_gensim(path: str | os.PathLike, keep: Callable[[str], bool] | None = None,
                name: str | None = None, nonfinite: str = "drop") -> Embeddings:
    """A gensim `KeyedVectors.save()` file, read by a restricted unpickler (see gensim_pickle):
    a pickle that names anything beyond gensim's classes, numpy arrays and builtins is refused."""
    path = Path(path)
    from vgbench.extras import require
    require("gensim", f"{path}: reading a gensim KeyedVectors file")
    from vgbench.embeddings.gensim_pickle import load_keyed_vectors
    try:
        kv = load_keyed_vectors(path)
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - only under --trust-pickle-code: gensim raises many types
        raise ValueError(f"{path}: not a gensim KeyedVectors file ({type(exc).__name__}: {exc})") from None
    words = list(kv.index_to_key)
    stats = LoadStats(rows_read=len(words))
    acc = _Accumulator(keep, stats)
    wanted = list(range(len(words))) if keep is None else [i for i, w in enumerate(words) if keep(w)]
    kept, vecs = drop_nonfinite([words[i] for i in wanted], np.asarray(kv.vectors[wanted], dtype=np.float32),
                                lambda i: f"row {wanted[i] + 1}", stats, nonfinite, path)
    acc.add(kept, vecs)
    return Embeddings(acc.words, acc.matrix(kv.vector_size), name or path.name,
                      {"source": str(path), "format": "gensim", "dim": int(kv.vector_size), **stats.as_dict()})
