"""Turn shipped benchmark files into the suite's objects: WordPairs for word similarity, STSSet
for sentence similarity, AnalogySet and CategorizationSet. Each loader takes its registry entry, whose `files` name the data."""
from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import numpy as np

from vgbench.datasets.analogy import AnalogySet
from vgbench.datasets.categorization import CategorizationSet, parse_vecto_csv
from vgbench.datasets.store import benchmark_text
from vgbench.datasets.sts import STSSet, parse_sentence_pairs, parse_sts_subset
from vgbench.datasets.word_pairs import WordPairs, read_rows, read_word_pairs

if TYPE_CHECKING:
    from vgbench.datasets.registry import Benchmark


def word_pairs(delimiter: str | None, header: bool, columns=(0, 1, 2)):
    """Loader for a plain word1/word2/score file."""
    def load(entry: Benchmark) -> WordPairs:
        rel = entry.files[0]
        return read_word_pairs(rel, entry.name, delimiter, header, columns=columns,
                               citation=entry.citation, text=benchmark_text(rel))
    return load


def pos_tagged_pairs(entry: Benchmark) -> WordPairs:
    """MEN's lemma-form split files: words carry a POS suffix (`sun-n`), which is dropped."""
    pairs = word_pairs(None, False)(entry)
    pairs.word1 = [w.rsplit("-", 1)[0] for w in pairs.word1]
    pairs.word2 = [w.rsplit("-", 1)[0] for w in pairs.word2]
    return pairs


def simlex(entry: Benchmark) -> WordPairs:
    """SimLex-999 with the paper's Table 3 sections: POS, concreteness quartile, SimAssoc333."""
    rel = entry.files[0]
    head, rows = read_rows(rel, "\t", True, min_fields=9, score_column=3, text=benchmark_text(rel))
    col = {h: i for i, h in enumerate(head)}
    for needed in ("POS", "concQ", "SimAssoc333"):
        if needed not in col:
            raise ValueError(f"{rel}: line 1: expected a {needed} column in the header")
    pos = np.array([r[col["POS"]] for _, r in rows])
    conc_q = np.array([r[col["concQ"]] for _, r in rows])
    hard = np.array([r[col["SimAssoc333"]] for _, r in rows])
    sections = {"All": np.ones(len(rows), bool), "Adjs": pos == "A", "Nouns": pos == "N",
                "Verbs": pos == "V"}
    for q in "1234":
        sections[f"Conc-q{q}"] = conc_q == q
    sections["Hard"] = hard == "1"
    return WordPairs(entry.name, [r[0] for _, r in rows], [r[1] for _, r in rows],
                     np.array([float(r[3]) for _, r in rows]), sections, rel, entry.citation)


def sts_year(entry: Benchmark) -> STSSet:
    """An STS year in SemEval's layout; `sections` are its subsets in SentEval's order."""
    folder = PurePosixPath(entry.files[0]).parent
    subsets = []
    for sub in entry.sections:
        inp, gs = folder / f"STS.input.{sub}.txt", folder / f"STS.gs.{sub}.txt"
        subsets.append(parse_sts_subset(sub, benchmark_text(str(inp)), benchmark_text(str(gs)), inp, gs))
    return STSSet(entry.name, subsets, str(folder), entry.citation)


def sentence_pairs(columns: tuple[int, int, int], header: bool):
    """Loader for a one-file sentence set (STS Benchmark, SICK): one subset named after the set."""
    def load(entry: Benchmark) -> STSSet:
        rel = entry.files[0]
        sub = parse_sentence_pairs(benchmark_text(rel), rel, entry.name, columns, header)
        return STSSet(entry.name, [sub], rel, entry.citation)
    return load


def analogy(parse, file: int = 0):
    """Loader for an analogy set: `parse(text, source, name, citation)` on the entry's
    `file`-th file (MSR's labelled CSV is its second)."""
    def load(entry: Benchmark) -> AnalogySet:
        rel = entry.files[file]
        return parse(benchmark_text(rel), rel, entry.name, entry.citation)
    return load


def categorization(parse=parse_vecto_csv, label=None):
    """Loader for a categorization set: `parse(text, source, name, citation)` on the entry's
    data file; `label` maps vecto's category column to the gold class."""
    def load(entry: Benchmark) -> CategorizationSet:
        rel = entry.files[0]
        if label is None:
            return parse(benchmark_text(rel), rel, entry.name, entry.citation)
        return parse(benchmark_text(rel), rel, entry.name, entry.citation, label)
    return load
