"""STS sets in SemEval's layout: STS.input.<subset>.txt (sentence1 TAB sentence2) and
STS.gs.<subset>.txt (gold score; an empty line marks an unscored pair, which SentEval drops).

Sentences are split on whitespace, as SentEval does with its Moses-tokenized, lower-cased copies.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vgbench.datasets.word_pairs import read_text_lines


@dataclass
class STSSubset:
    name: str
    sent1: list[list[str]]
    sent2: list[list[str]]
    gold: np.ndarray

    def __len__(self) -> int:
        return len(self.gold)


@dataclass
class STSSet:
    """One STS year (or a user's set): its scored subsets, in a fixed order."""
    name: str
    subsets: list[STSSubset] = field(default_factory=list)
    source: str = ""
    citation: str = ""

    def vocabulary(self) -> set[str]:
        vocab: set[str] = set()
        for sub in self.subsets:
            for sent in sub.sent1 + sub.sent2:
                vocab.update(sent)
        return vocab

    def __len__(self) -> int:
        return sum(len(s) for s in self.subsets)


def read_sts_subset(directory: Path, subset: str, lower: bool = False) -> STSSubset:
    inp = directory / f"STS.input.{subset}.txt"
    gs = directory / f"STS.gs.{subset}.txt"
    pairs = read_text_lines(inp)
    golds = read_text_lines(gs)
    if len(pairs) != len(golds):
        raise ValueError(f"{gs}: line {min(len(pairs), len(golds)) + 1}: {len(golds)} gold lines for "
                         f"{len(pairs)} sentence pairs in {inp.name}; expected one per pair")
    s1, s2, gold = [], [], []
    for i, (pair, score) in enumerate(zip(pairs, golds), start=1):
        score = score.strip()
        if not score:
            continue  # unscored pair (SentEval drops these too)
        fields = pair.split("\t")
        if len(fields) < 2:
            raise ValueError(f"{inp}: line {i}: expected two tab-separated sentences")
        try:
            value = float(score)
        except ValueError:
            raise ValueError(f"{gs}: line {i}: gold score {score!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"{gs}: line {i}: gold score {score!r} is not a finite number")
        gold.append(value)
        a, b = fields[0], fields[1]
        if lower:
            a, b = a.lower(), b.lower()
        s1.append(a.split())
        s2.append(b.split())
    return STSSubset(subset, s1, s2, np.array(gold, dtype=np.float64))


def read_sts_dir(directory: str | os.PathLike, name: str | None = None, subsets: list[str] | None = None,
                 lower: bool = False, citation: str = "") -> STSSet:
    """Read every subset of a folder that has both an input and a gold file (or the named ones)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(f"{directory}: not a folder of STS.input.*.txt / STS.gs.*.txt files")
    if subsets is None:
        subsets = sorted(p.name[len("STS.input."):-len(".txt")] for p in directory.glob("STS.input.*.txt")
                         if (directory / p.name.replace("STS.input.", "STS.gs.")).is_file())
    if not subsets:
        raise ValueError(f"{directory}: no STS.input.<subset>.txt with a matching STS.gs.<subset>.txt")
    return STSSet(name or directory.name, [read_sts_subset(directory, s, lower) for s in subsets],
                  str(directory), citation)
