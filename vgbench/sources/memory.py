"""Vectors a Python caller already holds, as Embeddings: the in-memory forms a source may take."""
from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from vgbench.embeddings.core import Embeddings

ACCEPTED = ("a path or registry name or source spec (str, os.PathLike), a vgbench Embeddings, "
            "a gensim KeyedVectors, a (words, matrix) pair, or a {word: vector} mapping")


def is_in_memory(obj) -> bool:
    """Whether `obj` is vectors in memory (one of the forms as_embeddings takes)."""
    return isinstance(obj, (Embeddings, Mapping)) or _is_keyed_vectors(obj) or _is_pair(obj)


def default_label(obj, position: int | None = None) -> str:
    """The table label of unnamed vectors in memory: `kv` for a gensim KeyedVectors (gensim's own
    short name), `vectors` for a mapping or a (words, matrix) pair, plus the source's 1-based
    position when it has one (`kv-1`, `vectors-2`), so that a label says which argument it is."""
    kind = "kv" if _is_keyed_vectors(obj) else "vectors"
    return kind if position is None else f"{kind}-{position}"


def as_embeddings(obj, name: str | None = None) -> Embeddings:
    """Embeddings from an Embeddings (returned as is), a gensim KeyedVectors, a (words, matrix)
    pair or a {word: vector} mapping; TypeError naming the accepted forms for anything else.
    Unnamed vectors are labelled by default_label (kv, vectors)."""
    if isinstance(obj, Embeddings):
        return obj
    if _is_keyed_vectors(obj):
        return _checked(list(obj.index_to_key), obj.vectors, name or default_label(obj),
                        "gensim KeyedVectors")
    if isinstance(obj, Mapping):
        words = list(obj)
        return _checked(words, [obj[w] for w in words], name or default_label(obj),
                        "{word: vector} mapping")
    if _is_pair(obj):
        words, vectors = obj
        return _checked(list(words), vectors, name or default_label(obj), "(words, matrix) pair")
    raise TypeError(f"cannot use a {type(obj).__name__} as embeddings; expected {ACCEPTED}")


def _is_keyed_vectors(obj) -> bool:
    """gensim's KeyedVectors (matched by its attributes: gensim need not be installed)."""
    return hasattr(obj, "index_to_key") and hasattr(obj, "vectors")


def _is_pair(obj) -> bool:
    """A (words, matrix) tuple, told apart from a tuple of two source names by its matrix."""
    return (isinstance(obj, tuple) and len(obj) == 2 and not isinstance(obj[0], (str, os.PathLike))
            and np.ndim(obj[1]) == 2)


def _checked(words: list, vectors, name: str, form: str) -> Embeddings:
    bad = next((w for w in words if not isinstance(w, str)), None)
    if bad is not None:
        raise TypeError(f"{form}: words must be str, got {type(bad).__name__} {bad!r}")
    if len(set(words)) != len(words):
        raise ValueError(f"{form}: words must be unique")
    try:
        matrix = np.asarray(vectors, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{form}: vectors are not a numeric matrix ({exc})") from None
    if matrix.ndim != 2 or matrix.shape[0] != len(words):
        raise ValueError(f"{form}: {len(words)} words but vectors of shape {matrix.shape}; "
                         f"expected one row per word")
    return Embeddings(words, matrix, name, {"source": "memory", "format": form})
