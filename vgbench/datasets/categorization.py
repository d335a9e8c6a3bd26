"""Word categorization sets: words with a gold class each (AP, BLESS, Battig, ESSLLI-2008).

Each row is one item; a word listed under two classes (Battig has some) is two items, as in the
web-benchmarks package. Shipped files: vecto's CSVs (header `,category,word`; AP and BLESS carry
one empty-word row per class, which is dropped) and the wordspace package's ESSLLI-2008 task 1a
table (header `noun class1 class2 class3 ...`; class1, the six-way split, is the gold class).
ESSLLI-2008 verbs: vecto's label `fine-coarse` gives the nine fine classes of the task
(`esslli_verb_class`). The shipped sets' files and citations are in vgbench.datasets.registry.
"""
from __future__ import annotations

import csv
import io
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from vgbench.paths import regular_file


@dataclass
class CategorizationSet:
    name: str
    words: list[str]
    labels: np.ndarray  # gold class per item
    path: str = ""
    citation: str = ""

    def __len__(self) -> int:
        return len(self.words)

    def vocabulary(self) -> set[str]:
        return set(self.words)


def parse_vecto_csv(text: str, source: str, name: str, citation: str = "",
                    label: Callable[[str], str] = str) -> CategorizationSet:
    """vecto's CSV: header `,category,word`; rows with an empty word are dropped."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or [h.strip() for h in header[1:]] != ["category", "word"]:
        raise ValueError(f"{source}: line 1: expected the header ',category,word'")
    words, labels = [], []
    for no, row in enumerate(reader, 2):
        if len(row) != 3:
            raise ValueError(f"{source}: line {no}: expected 3 comma-separated fields "
                             f"(index,category,word), got {len(row)}")
        if row[2].strip():
            words.append(row[2].strip())
            labels.append(label(row[1].strip()))
    return _checked(name, words, labels, source, citation)


def parse_wordspace_tbl(text: str, source: str, name: str, citation: str = "") -> CategorizationSet:
    """wordspace's ESSLLI-2008 1a table: whitespace-separated, header starting `noun class1`."""
    lines = text.splitlines()
    if not lines or lines[0].split()[:2] != ["noun", "class1"]:
        raise ValueError(f"{source}: line 1: expected a header starting 'noun class1'")
    words, labels = [], []
    for no, line in enumerate(lines[1:], 2):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 2:
            raise ValueError(f"{source}: line {no}: expected 'noun class1 ...', got {line!r:.80}")
        words.append(parts[0])
        labels.append(parts[1])
    return _checked(name, words, labels, source, citation)


def read_categorization_file(path: str | os.PathLike, name: str | None = None) -> CategorizationSet:
    """A user's file: one `word<TAB>class` per line (a `word<TAB>class` header is skipped), or a
    CSV in vecto's `,category,word` form. Words may contain spaces; blank lines are ignored."""
    path = Path(path)
    try:
        text = regular_file(path, "a categorization file").read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    name = name or path.stem
    first = text.splitlines()[0] if text.strip() else ""
    if first.replace(" ", "").startswith(",category,word"):
        return parse_vecto_csv(text, str(path), name)
    words, labels = [], []
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.rstrip("\r\n").split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise ValueError(f"{path}: line {no}: expected 'word<TAB>class', got {line.strip()[:80]!r}")
        if no == 1 and [p.strip().lower() for p in parts] == ["word", "class"]:
            continue
        words.append(parts[0].strip())
        labels.append(parts[1].strip())
    return _checked(name, words, labels, str(path), "")


def _checked(name: str, words: list[str], labels: list[str], source: str,
             citation: str) -> CategorizationSet:
    if len(set(labels)) < 2:
        raise ValueError(f"{source}: expected words of at least two classes, found "
                         f"{len(words)} word(s) in {len(set(labels))} class(es)")
    if max(Counter(labels).values()) < 2:
        raise ValueError(f"{source}: every class holds a single word ({len(words)} words in "
                         f"{len(words)} classes), so any clustering scores perfectly; expected "
                         f"classes of several words (is the class column the right one?)")
    return CategorizationSet(name, words, np.array(labels, dtype=object), source, citation)


def esslli_verb_class(label: str) -> str:
    """vecto's ESSLLI-2008 verb label `fine-coarse`: the fine class, the task's nine-way gold."""
    return label.split("-")[0]
