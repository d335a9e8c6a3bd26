"""Read vectors from a file in any format (sniffed) or a registry name.

Trained checkpoints, controls and vectors in memory are sources too: vgbench.sources reads those.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from vgbench.embeddings.core import CASE_POLICIES, Embeddings
from vgbench.embeddings.registry import REGISTRY, registry_files, split_source
from vgbench.embeddings.sniff import FORMATS, sniff_format
from vgbench.names import closest
from vgbench.paths import regular_file

FORMAT_ALIASES = {"fasttext": "word2vec", "vec": "word2vec", "text": "glove", "bin": "word2vec-binary"}


def word_filter(words: Iterable[str] | None, case: str = "exact") -> Callable[[str], bool] | None:
    """A row filter keeping every key that `words` can resolve to under the case policy."""
    if words is None:
        return None
    if case not in CASE_POLICIES:
        raise ValueError(f"unknown case policy {case!r}; expected one of {', '.join(CASE_POLICIES)}")
    exact = frozenset(words)
    if case == "exact":
        return exact.__contains__
    lower = frozenset(w.lower() for w in exact)
    return lambda w: w in exact or w.lower() in lower


class _KeepHead:
    """Keep the file's first `n` rows whatever the filter says: post-processing estimates its
    statistics on the most frequent words. Readers call it in file order; a reader that asks
    again about a word it kept (a second pass over the kept rows) gets the same answer, so the
    head is the first `n` rows for every format, not what is left after a first pass."""

    def __init__(self, keep: Callable[[str], bool], n: int):
        self.keep, self.left = keep, n
        self.head: set[str] = set()

    def __call__(self, word: str) -> bool:
        if word in self.head:
            return True
        if self.left > 0:
            self.left -= 1
            self.head.add(word)
            return True
        return self.keep(word)


def load_embeddings(source: str | os.PathLike, words: Iterable[str] | None = None,
                    case: str = "exact", fmt: str | None = None, vocab: str | os.PathLike | None = None,
                    progress: bool = False, download: bool = False, name: str | None = None,
                    head_rows: int = 0, nonfinite: str = "drop") -> Embeddings:
    """Load vectors from a path (format sniffed unless `fmt`) or a registry name.

    words: only rows these words can resolve to (under `case`) are kept — one streaming pass.
    head_rows: with `words`, also keep the file's first `head_rows` rows (for post-processing).
    nonfinite: a row holding nan/inf is dropped and counted in meta ("drop"), or is an error.
    A file is unpickled only as `fmt="gensim"` or under a .kv/.model name (see sniff_format).
    """
    keep = word_filter(words, case)
    if keep is not None and head_rows > 0:
        keep = _KeepHead(keep, head_rows)
    kind, src = split_source(str(source))
    if kind == "registry":
        npy, word_list = registry_files(src, download=download)
        return _from_matrix(np.load(npy, mmap_mode="r", allow_pickle=False), word_list(), keep,
                            name or src, {"source": src, "format": "registry"}, nonfinite)
    path = Path(src)
    if not path.exists():
        near = closest(src, REGISTRY)
        raise ValueError(f"{path}: no such file, and not a known embedding name"
                         + (f" (did you mean {' or '.join(near)}?)" if near else "")
                         + f"; embedding names: {', '.join(REGISTRY)}")
    regular_file(path, "an embedding file")
    fmt = FORMAT_ALIASES.get(fmt, fmt) if fmt else sniff_format(path)
    if fmt not in FORMATS:
        raise ValueError(f"unknown embedding format {fmt!r}; expected one of {', '.join(FORMATS)}")
    label = name or path.name
    if fmt in ("glove", "word2vec"):
        from vgbench.embeddings.text_reader import read_text
        return read_text(path, header=(fmt == "word2vec"), keep=keep, progress=progress, name=label,
                         nonfinite=nonfinite)
    if fmt == "word2vec-binary":
        from vgbench.embeddings.binary_readers import read_word2vec_binary
        return read_word2vec_binary(path, keep=keep, name=label, nonfinite=nonfinite)
    if fmt == "npy":
        from vgbench.embeddings.binary_readers import read_npy
        return read_npy(path, vocab=vocab, keep=keep, name=label, nonfinite=nonfinite)
    if fmt == "gensim":
        from vgbench.embeddings.binary_readers import read_gensim
        return read_gensim(path, keep=keep, name=label, nonfinite=nonfinite)
    raise ValueError(f"{path}: a trained checkpoint, not a vector file; read it with "
                     f"vgbench.sources.load_source (it grounds its textual vectors)")


def _from_matrix(matrix: np.ndarray, words: list[str], keep, name: str, meta: dict,
                 nonfinite: str = "drop") -> Embeddings:
    from vgbench.embeddings.text_reader import LoadStats, drop_nonfinite
    if len(words) != matrix.shape[0]:
        raise ValueError(f"{name}: {len(words)} words for {matrix.shape[0]} rows")
    rows = range(len(words)) if keep is None else [i for i, w in enumerate(words) if keep(w)]
    seen: dict[str, int] = {}
    for i in rows:
        seen.setdefault(words[i], i)
    idx = list(seen.values())
    stats = LoadStats()
    kept, vecs = drop_nonfinite(list(seen), np.asarray(matrix[idx], dtype=np.float32),
                                lambda i: f"row {idx[i] + 1}", stats, nonfinite, name)
    return Embeddings(kept, vecs, name,
                      {**meta, "dim": int(matrix.shape[1]), "rows_read": len(words),
                       "duplicates": len(rows) - len(idx), "nonfinite": stats.nonfinite,
                       "nonfinite_examples": stats.nonfinite_examples})
