"""Word-analogy sets (a : b :: c : d): the Google set, MSR, and a user's file in the Google format.
The shipped sets' files and citations are in vgbench.datasets.registry.

A set keeps its questions in file order with one section label per question. Google's five
semantic sections and its nine `gram*` sections are summed into "semantic" and "syntactic"
totals, as Mikolov et al. (2013) report them; gensim's convention decides which is which
(a section whose name starts with "gram" is syntactic).
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vgbench.paths import regular_file


@dataclass
class AnalogySet:
    """Questions a : b :: c : ? with expected answer d, each in one section."""
    name: str
    a: list[str]
    b: list[str]
    c: list[str]
    d: list[str]
    section: np.ndarray  # one label per question
    path: str = ""
    citation: str = ""

    def __len__(self) -> int:
        return len(self.a)

    def sections(self) -> dict[str, np.ndarray]:
        """{"All", each section in file order, then "semantic"/"syntactic" when both kinds occur}:
        boolean masks over the questions."""
        out = {"All": np.ones(len(self), bool)}
        names = list(dict.fromkeys(self.section.tolist()))
        for name in names:
            out[name] = self.section == name
        syntactic = np.array([s.startswith("gram") for s in self.section.tolist()], bool)
        if names and 0 < syntactic.sum() < len(self):
            out["semantic"], out["syntactic"] = ~syntactic, syntactic
        return out

    def vocabulary(self) -> set[str]:
        return set(self.a) | set(self.b) | set(self.c) | set(self.d)


def parse_google(text: str, source: str, name: str, citation: str = "") -> AnalogySet:
    """The Google format: `: section` header lines, then `a b c d` (whitespace-separated).

    Blank lines are ignored; any other line that is not four words is an error naming the line
    (gensim skips such lines silently; a user's typo should not vanish from the total).
    """
    quads: list[list[str]] = []
    labels: list[str] = []
    section = None
    for no, line in enumerate(text.splitlines(), 1):
        if line.startswith(": "):
            section = line[2:].strip()
            continue
        parts = line.split()
        if not parts:
            continue
        if section is None:
            raise ValueError(f"{source}: line {no}: expected a ': section' header before the "
                             "first question")
        if len(parts) != 4:
            raise ValueError(f"{source}: line {no}: expected four words 'a b c d', got "
                             f"{len(parts)}: {line.strip()[:80]!r}")
        quads.append(parts)
        labels.append(section)
    if not quads:
        raise ValueError(f"{source}: no analogy questions found (expected ': section' lines "
                         "followed by 'a b c d' lines)")
    a, b, c, d = (list(col) for col in zip(*quads))
    return AnalogySet(name, a, b, c, d, np.array(labels, dtype=object), source, citation)


def parse_msr_labeled(text: str, source: str, name: str = "MSR", citation: str = "") -> AnalogySet:
    """vecto's MSR CSV: header `,type,word1,word2,word3,target`; the type is the section."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    expected = ["type", "word1", "word2", "word3", "target"]
    if header is None or [h.strip() for h in header[1:]] != expected:
        raise ValueError(f"{source}: line 1: expected the header ',{','.join(expected)}'")
    rows, labels = [], []
    for no, row in enumerate(reader, 2):
        if len(row) != 6 or not all(x.strip() for x in row[1:]):
            raise ValueError(f"{source}: line {no}: expected 6 comma-separated fields "
                             f"(index,type,word1,word2,word3,target), got {row!r:.80}")
        rows.append([x.strip() for x in row[2:]])
        labels.append(row[1].strip())
    a, b, c, d = (list(col) for col in zip(*rows))
    return AnalogySet(name, a, b, c, d, np.array(labels, dtype=object), source, citation)


def read_analogy_file(path: str | os.PathLike, name: str | None = None) -> AnalogySet:
    """A user's analogy file in the Google format (`: section` lines, then `a b c d`)."""
    path = Path(path)
    try:
        text = regular_file(path, "an analogy file").read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse_google(text, str(path), name or path.stem)

