"""The built-in benchmarks: where each lives under the data root, how to read it, how to cite it."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from vgbench.datasets.sts import STSSet, read_sts_dir
from vgbench.datasets.word_pairs import WordPairs, read_rows, read_word_pairs
from vgbench.paths import data_root


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    path: str  # relative to the data root
    citation: str


def _simlex(path: Path, info: DatasetInfo) -> WordPairs:
    """SimLex-999 with the paper's Table 3 sections: POS, concreteness quartile, SimAssoc333."""
    head, rows = read_rows(path, "\t", True, min_fields=9, score_column=3)
    col = {h: i for i, h in enumerate(head)}
    for needed in ("POS", "concQ", "SimAssoc333"):
        if needed not in col:
            raise ValueError(f"{path}: line 1: expected a {needed} column in the header")
    pos = np.array([r[col["POS"]] for _, r in rows])
    conc_q = np.array([r[col["concQ"]] for _, r in rows])
    hard = np.array([r[col["SimAssoc333"]] for _, r in rows])
    sections = {"All": np.ones(len(rows), bool), "Adjs": pos == "A", "Nouns": pos == "N",
                "Verbs": pos == "V"}
    for q in "1234":
        sections[f"Conc-q{q}"] = conc_q == q
    sections["Hard"] = hard == "1"
    return WordPairs(info.name, [r[0] for _, r in rows], [r[1] for _, r in rows],
                     np.array([float(r[3]) for _, r in rows]), sections, str(path), info.citation)


SIMILARITY_SETS: dict[str, tuple[DatasetInfo, Callable[[Path, DatasetInfo], WordPairs]]] = {}


def _plain(delimiter: str | None, header: bool) -> Callable[[Path, DatasetInfo], WordPairs]:
    def load(path: Path, info: DatasetInfo) -> WordPairs:
        return read_word_pairs(path, info.name, delimiter, header, citation=info.citation)
    return load


for _info, _loader in [
    (DatasetInfo("RW", "benchmarks/rw/rw.txt",
                 "Luong, Socher & Manning (2013). Better word representations with recursive neural "
                 "networks for morphology. CoNLL."), _plain("\t", False)),
    (DatasetInfo("MEN", "benchmarks/men/MEN_dataset_natural_form_full",
                 "Bruni, Tran & Baroni (2014). Multimodal distributional semantics. JAIR 49."),
     _plain(None, False)),
    (DatasetInfo("WS353", "benchmarks/wordsim353/combined.tab",
                 "Finkelstein et al. (2001). Placing search in context: the concept revisited. WWW."),
     _plain("\t", True)),
    (DatasetInfo("MTurk-771", "benchmarks/mturk771/MTURK-771.csv",
                 "Halawi, Dror, Gabrilovich & Koren (2012). Large-scale learning of word relatedness "
                 "with constraints. KDD."), _plain(",", True)),
    (DatasetInfo("SimVerb-3500", "benchmarks/simverb3500/SimVerb-3500.txt",
                 "Gerz, Vulic, Hill, Reichart & Korhonen (2016). SimVerb-3500: a large-scale evaluation "
                 "set of verb similarity. EMNLP."), lambda p, i: read_word_pairs(
                     p, i.name, "\t", False, columns=(0, 1, 3), citation=i.citation)),
    (DatasetInfo("SimLex-999", "benchmarks/simlex999/SimLex-999.txt",
                 "Hill, Reichart & Korhonen (2015). SimLex-999: evaluating semantic models with "
                 "(genuine) similarity estimation. Computational Linguistics 41(4)."), _simlex),
]:
    SIMILARITY_SETS[_info.name] = (_info, _loader)

# SentEval's subsets per year; STS13's SMT subset has no sentences and is skipped.
STS_YEARS: dict[str, list[str]] = {
    "STS12": ["MSRpar", "MSRvid", "SMTeuroparl", "surprise.OnWN", "surprise.SMTnews"],
    "STS13": ["FNWN", "headlines", "OnWN"],
    "STS14": ["deft-forum", "deft-news", "headlines", "images", "OnWN", "tweet-news"],
    "STS15": ["answers-forums", "answers-students", "belief", "headlines", "images"],
    "STS16": ["answer-answer", "headlines", "plagiarism", "postediting", "question-question"],
}
STS_CITATION = ("Agirre et al. (2012-2016). SemEval Semantic Textual Similarity tasks; scored as "
                "in Conneau & Kiela (2018). SentEval. LREC.")

ALIASES = {name.lower().replace("-", "").replace("_", ""): name
           for name in list(SIMILARITY_SETS) + list(STS_YEARS)}
ALIASES.update({"simlex": "SimLex-999", "simverb": "SimVerb-3500", "mturk": "MTurk-771",
                "wordsim353": "WS353", "ws": "WS353"})


def canonical_name(name: str) -> str | None:
    """Built-in dataset name for a user's spelling (men, simlex999, sts12...), or None."""
    return ALIASES.get(name.lower().replace("-", "").replace("_", ""))


def dataset_info(name: str) -> DatasetInfo:
    if name in SIMILARITY_SETS:
        return SIMILARITY_SETS[name][0]
    if name in STS_YEARS:
        return DatasetInfo(name, f"benchmarks/sts/senteval/{name}-en-test", STS_CITATION)
    raise ValueError(f"unknown dataset {name!r}; built-in: {', '.join(list(SIMILARITY_SETS) + list(STS_YEARS))}")


def load_similarity(name: str, root: str | os.PathLike | None = None) -> WordPairs:
    info, loader = SIMILARITY_SETS[name]
    path = data_root(root) / info.path
    if not path.is_file():
        raise ValueError(f"{path}: missing; the data root {data_root(root)} lacks {name} ({info.path})")
    return loader(path, info)


def load_sts(name: str, root: str | os.PathLike | None = None) -> STSSet:
    info = dataset_info(name)
    return read_sts_dir(data_root(root) / info.path, name, STS_YEARS[name], citation=info.citation)
