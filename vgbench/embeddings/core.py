"""Embeddings: a word list and a float32 matrix, kept apart from how they were read or trained."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

CASE_POLICIES = ("exact", "lower", "exact-then-lower")
# The widest lookup: the row filter used when loading a source (every row any case policy can
# resolve a word to, so one load serves every policy) and the trainer's lookup of Te's words.
LOAD_CASE = "exact-then-lower"


@dataclass
class Embeddings:
    """Word vectors. `words[i]` has vector `vectors[i]`; words are unique.

    `meta` records where the vectors came from and what loading saw (decode errors, duplicates).
    """
    words: list[str]
    vectors: np.ndarray
    name: str = "embeddings"
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.vectors = np.asarray(self.vectors, dtype=np.float32)
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.words):
            raise ValueError(f"{self.name}: {len(self.words)} words but vectors of shape "
                             f"{self.vectors.shape}")
        self._index: dict[str, int] | None = None
        self._lower: dict[str, int] | None = None

    @property
    def index(self) -> dict[str, int]:
        if self._index is None:
            self._index = {w: i for i, w in enumerate(self.words)}
        return self._index

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self.index[word]]

    def _lower_index(self) -> dict[str, int]:
        """Lower-cased key -> row; the first row wins, as for duplicates on load."""
        if self._lower is None:
            lower: dict[str, int] = {}
            for i, w in enumerate(self.words):
                lower.setdefault(w.lower(), i)
            self._lower = lower
        return self._lower

    def row(self, word: str, case: str = "exact") -> int:
        """Row of `word` under a case policy, or -1 if it is out of vocabulary.

        exact: the word as given; lower: the lower-cased word looked up among lower-cased keys;
        exact-then-lower: exact first, else lower.
        """
        if case == "exact":
            return self.index.get(word, -1)
        if case == "lower":
            return self._lower_index().get(word.lower(), -1)
        if case == "exact-then-lower":
            i = self.index.get(word, -1)
            return i if i >= 0 else self._lower_index().get(word.lower(), -1)
        raise ValueError(f"unknown case policy {case!r}; expected one of {', '.join(CASE_POLICIES)}")

    def rows(self, words: Iterable[str], case: str = "exact") -> np.ndarray:
        return np.fromiter((self.row(w, case) for w in words), dtype=np.int64)

    def subset(self, words: Sequence[str]) -> "Embeddings":
        """The given in-vocabulary words, in the given order (unknown ones dropped)."""
        idx = [self.index[w] for w in dict.fromkeys(words) if w in self.index]
        return Embeddings([self.words[i] for i in idx], self.vectors[idx], self.name, dict(self.meta))

    def normalized(self) -> np.ndarray:
        """Rows scaled to unit length (zero rows stay zero)."""
        norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
        return self.vectors / np.where(norms == 0, 1, norms)

    def most_similar(self, word: str, topn: int = 10, case: str = "exact") -> list[tuple[str, float]]:
        """Nearest neighbours by cosine, excluding the word itself."""
        i = self.row(word, case)
        if i < 0:
            raise KeyError(f"{word!r} is not in {self.name}")
        unit = self.normalized()
        sims = unit @ unit[i]
        sims[i] = -np.inf
        top = np.argpartition(-sims, min(topn, len(sims) - 1))[:topn]
        top = top[np.argsort(-sims[top])]
        return [(self.words[j], float(sims[j])) for j in top]
