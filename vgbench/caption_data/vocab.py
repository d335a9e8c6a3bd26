"""Caption tokenization and the word vocabulary a grounding model is trained on.

The vocabulary is saved beside the dataset so that training and export map words to the same ids.
"""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

from vgbench.atomic import write_text_atomic

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<s>", "</s>"
SPECIALS = (PAD, UNK, BOS, EOS)

# Any character that is neither a word character nor whitespace, plus "_" (which \w admits).
_PUNCT = re.compile(r"[^\w\s]|_")


def tokenize(caption: str) -> list[str]:
    """Lower-case, remove punctuation, split on whitespace (the paper, Section 4).

    A punctuation mark becomes a space, so "t-shirt" gives ["t", "shirt"] and "dog's" gives
    ["dog", "s"], as Keras' default tokenizer filters do; deleting the marks outright would
    glue words into forms no textual embedding knows ("blackandwhite").
    """
    return _PUNCT.sub(" ", caption.lower()).split()


class Vocabulary:
    """Word <-> id map. Ids 0..3 are <pad>, <unk>, <s>, </s>; then words by descending frequency."""

    pad_id, unk_id, bos_id, eos_id = 0, 1, 2, 3

    def __init__(self, words: Sequence[str], counts: Sequence[int] | None = None) -> None:
        words = list(words)
        if tuple(words[:4]) != SPECIALS:
            raise ValueError(f"vocabulary must start with {SPECIALS}, got {tuple(words[:4])}")
        if len(set(words)) != len(words):
            dup = next(w for w, c in Counter(words).items() if c > 1)
            raise ValueError(f"vocabulary has duplicate word {dup!r}")
        self.words = words
        self.counts = list(counts) if counts is not None else None
        self.index = {w: i for i, w in enumerate(words)}

    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]], max_size: int = 10000,
              min_count: int = 1) -> "Vocabulary":
        """The `max_size` most frequent words seen at least `min_count` times (ties alphabetical)."""
        counter: Counter[str] = Counter()
        for tokens in token_lists:
            counter.update(tokens)
        for special in SPECIALS:
            counter.pop(special, None)
        ranked = sorted((item for item in counter.items() if item[1] >= min_count),
                        key=lambda wc: (-wc[1], wc[0]))[:max_size]
        return cls(list(SPECIALS) + [w for w, _ in ranked], [0] * 4 + [c for _, c in ranked])

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def id(self, word: str) -> int:
        return self.index.get(word, self.unk_id)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        get, unk = self.index.get, self.unk_id
        return [get(t, unk) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.words[int(i)] for i in ids]

    def save(self, path: str | os.PathLike) -> Path:
        doc = {"format": "vgbench-vocabulary", "version": 1, "specials": list(SPECIALS),
               "words": self.words}
        if self.counts is not None:
            doc["counts"] = self.counts
        return write_text_atomic(path, json.dumps(doc, ensure_ascii=False))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Vocabulary":
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: line {exc.lineno}: not JSON ({exc.msg})") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("words"), list):
            raise ValueError(f"{path}: expected a vgbench vocabulary (JSON with a 'words' list)")
        return cls(doc["words"], doc.get("counts"))

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} entries incl. {len(SPECIALS)} special tokens)"
