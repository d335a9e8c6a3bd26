"""Word-pair similarity files: word1, word2, gold score (+ optional section columns).

One reader serves the built-in sets and users' own files: delimiter sniffed (tab, comma or
whitespace), a header line detected, fields stripped (MTurk-771 line 579 ends with a stray tab,
which makes gensim skip that pair silently).
"""
from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from vgbench.paths import regular_file


@dataclass
class WordPairs:
    """A word-similarity set. `sections` maps a section name to a boolean mask over the pairs."""
    name: str
    word1: list[str]
    word2: list[str]
    gold: np.ndarray
    sections: dict[str, np.ndarray] = field(default_factory=dict)
    source: str = ""
    citation: str = ""
    checksum: str = ""  # SHA-256 of the shipped file(s), set by the registry

    def __len__(self) -> int:
        return len(self.word1)

    def vocabulary(self) -> set[str]:
        return set(self.word1) | set(self.word2)

    def repeated_pairs(self) -> tuple[int, list[str]]:
        """(rows repeating an earlier pair, in either order; up to three examples 'a b ×n').

        Every row is kept and scored, as the file says (the shipped sets repeat one or two
        pairs); callers report the count so that a pair repeated many times is seen."""
        counts = Counter(frozenset((a, b)) if a != b else frozenset((a,))
                         for a, b in zip(self.word1, self.word2))
        repeats = sum(n - 1 for n in counts.values())
        top = [(" ".join(sorted(p)) if len(p) == 2 else f"{next(iter(p))} {next(iter(p))}", n)
               for p, n in counts.most_common(3) if n > 1]
        return repeats, [f"{p} ×{n}" for p, n in top]


def sniff_delimiter(line: str) -> str | None:
    """Tab if the line has one, else comma, else None (any whitespace)."""
    if "\t" in line:
        return "\t"
    if "," in line:
        return ","
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


HEADER_WORDS = ("word", "score", "sim", "rel", "mean", "rating", "gold", "human", "judg", "avg",
                "value", "pos", "term", "assoc")
MISSING_MARKS = {"", "nan", "na", "n/a", "none", "null", "-", "?"}


def read_text(path: str | os.PathLike) -> str:
    """A UTF-8 text file (a byte-order mark is dropped); invalid UTF-8 is a one-line error naming
    the file and line."""
    path = regular_file(path, "a text file")
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ValueError(f"{path}: line {line}: not valid UTF-8 text") from None


def looks_like_header(fields: list[str], score_column: int) -> bool:
    """A first row is a header only when it cannot be a pair: its score field is no number and
    the row names columns (word1, score, SimLex999, Human (mean), ...), or it lacks a score field.
    A row like 'cat dog n/a' is a pair with a bad score, reported as such, not dropped."""
    if len(fields) <= score_column:
        return True
    score = fields[score_column]
    if _is_number(score):
        return False
    if score.lower() in MISSING_MARKS:
        return False
    text = " ".join(fields).lower()
    return any(w in text for w in HEADER_WORDS)


def read_rows(path: str | os.PathLike, delimiter: str | None = None, header: bool | None = None,
              min_fields: int = 3, score_column: int = 2,
              text: str | None = None) -> tuple[list[str] | None, list[tuple[int, list[str]]]]:
    """Split a delimited file into stripped fields. Returns (header fields or None, [(line_no, fields)]).

    `text`, when given, is the file's content and `path` only names it in messages (shipped files).
    Raises ValueError naming the file and line for a row with too few fields or a non-numeric score.
    """
    lines = (read_text(path) if text is None else text.removeprefix("\ufeff")).splitlines()
    first = next((i for i, l in enumerate(lines) if l.strip()), None)
    if first is None:
        raise ValueError(f"{path}: line 1: empty file, expected rows 'word1 word2 score'")
    if delimiter is None:
        delimiter = sniff_delimiter(lines[first])
    split = (lambda s: s.split(delimiter)) if delimiter else str.split
    head_fields = [f.strip() for f in split(lines[first])]
    if header is None:
        header = looks_like_header(head_fields, score_column)
    rows = []
    for i in range(first + (1 if header else 0), len(lines)):
        if not lines[i].strip():
            continue
        fields = [f.strip() for f in split(lines[i])]
        while fields and fields[-1] == "" and len(fields) > min_fields:
            fields.pop()
        if len(fields) < min_fields or any(f == "" for f in fields[:min_fields]):
            raise ValueError(f"{path}: line {i + 1}: expected at least {min_fields} fields "
                             f"(word1, word2, score), found {len([f for f in fields if f])}")
        if not _is_number(fields[score_column]):
            hint = (" (a first row is read as a header only when it names columns, e.g. "
                    "'word1 word2 score')" if i == first else "")
            raise ValueError(f"{path}: line {i + 1}: score {fields[score_column]!r} is not a number{hint}")
        if not math.isfinite(float(fields[score_column])):
            raise ValueError(f"{path}: line {i + 1}: score {fields[score_column]!r} is not a finite number")
        rows.append((i + 1, fields))
    if not rows:
        raise ValueError(f"{path}: line {len(lines)}: no word pairs found")
    return (head_fields if header else None), rows


def read_word_pairs(path: str | os.PathLike, name: str | None = None, delimiter: str | None = None,
                    header: bool | None = None, columns: Sequence[int] = (0, 1, 2),
                    citation: str = "", text: str | None = None) -> WordPairs:
    """Read a word-pair file: the word1, word2 and score columns given by `columns`."""
    c1, c2, cs = columns
    _, rows = read_rows(path, delimiter, header, min_fields=max(columns) + 1, score_column=cs, text=text)
    return WordPairs(name or Path(path).stem, [r[c1] for _, r in rows], [r[c2] for _, r in rows],
                     np.array([float(r[cs]) for _, r in rows], dtype=np.float64),
                     source=str(path), citation=citation)
