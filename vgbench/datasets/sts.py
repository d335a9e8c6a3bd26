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

from vgbench.datasets.word_pairs import read_text


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
    checksum: str = ""  # SHA-256 of the shipped file(s), set by the registry

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
    return parse_sts_subset(subset, read_text(inp), read_text(gs), inp, gs, lower)


def parse_sts_subset(subset: str, input_text: str, gold_text: str, inp: Path, gs: Path,
                     lower: bool = False) -> STSSubset:
    """One subset from the texts of its input and gold files (`inp`, `gs` name them in messages)."""
    pairs = input_text.removeprefix("\ufeff").splitlines()
    golds = gold_text.removeprefix("\ufeff").splitlines()
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


def parse_sentence_pairs(text: str, source: str, subset: str, columns: tuple[int, int, int],
                         header: bool) -> STSSubset:
    """A tab-separated file with both sentences and the gold score on each row (STS Benchmark,
    SICK), read as SentEval does: line stripped, fields split on tabs, sentences on whitespace,
    no quoting."""
    c1, c2, cs = columns
    s1, s2, gold = [], [], []
    lines = text.splitlines()
    for i in range(1 if header else 0, len(lines)):
        if not lines[i].strip():
            continue
        fields = lines[i].strip().split("\t")
        if len(fields) <= max(columns):
            raise ValueError(f"{source}: line {i + 1}: expected at least {max(columns) + 1} "
                             f"tab-separated fields, found {len(fields)}")
        try:
            gold.append(float(fields[cs]))
        except ValueError:
            raise ValueError(f"{source}: line {i + 1}: gold score {fields[cs]!r} is not a number") from None
        s1.append(fields[c1].split())
        s2.append(fields[c2].split())
    if not gold:
        raise ValueError(f"{source}: line {len(lines)}: no scored sentence pairs found")
    return STSSubset(subset, s1, s2, np.array(gold, dtype=np.float64))
