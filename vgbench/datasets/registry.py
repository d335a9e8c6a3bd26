"""The built-in benchmarks: what each one is (task, files, size, main metric, sections), how to
cite it and under which licence it ships, how to load it, and the named groups `--datasets`
accepts. The files themselves ship with the package (vgbench.datasets.store)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

from vgbench.datasets import loaders
from vgbench.datasets.analogy import parse_google, parse_msr_labeled
from vgbench.datasets.categorization import esslli_verb_class, parse_wordspace_tbl
from vgbench.datasets.store import checksum
from vgbench.datasets.sts import STSSet
from vgbench.datasets.word_pairs import WordPairs
from vgbench.names import unknown_name

TASKS = ("similarity", "sts", "analogy", "categorization", "norms")
# The metrics each task is scored by, headline first (the order tables and scores follow).
TASK_METRICS = {"similarity": ("spearman",), "sts": ("pearson", "spearman"),
                "analogy": ("accuracy", "accuracy-3cosmul"), "categorization": ("purity",),
                "norms": ()}
MAIN_METRIC = {task: metrics[0] if metrics else "-" for task, metrics in TASK_METRICS.items()}


@dataclass(frozen=True)
class Benchmark:
    """One built-in set. `files` are paths under the data folder, the data first, then the set's
    readme/licence/provenance files; `loader` turns the entry into the suite's object (None where
    this version has no evaluator for the task yet)."""
    name: str
    task: str
    files: tuple[str, ...]
    size: int
    unit: str
    short_citation: str
    citation: str
    licence: str
    sections: tuple[str, ...] = ()
    notes: str = ""
    split_of: str | None = None  # a dev/test/train split of another set: kept out of the groups
    loader: Callable[[Benchmark], Any] | None = field(default=None, compare=False, repr=False)

    @property
    def metric(self) -> str:
        return MAIN_METRIC[self.task]

    @property
    def metrics(self) -> tuple[str, ...]:
        """Every metric the set is scored by, headline first."""
        return TASK_METRICS[self.task]

    def checksums(self) -> dict[str, str]:
        """SHA-256 of each file's original bytes."""
        return {f: checksum(f) for f in self.files}

    def checksum(self) -> str:
        """One SHA-256 for the set: its file's, or (several files) the hash of "path sha" lines."""
        sums = self.checksums()
        if len(sums) == 1:
            return next(iter(sums.values()))
        lines = "".join(f"{path} {sha}\n" for path, sha in sorted(sums.items()))
        return hashlib.sha256(lines.encode()).hexdigest()

    def metadata(self) -> dict:
        return {"name": self.name, "task": self.task, "size": self.size, "unit": self.unit,
                "metric": self.metric, "sections": list(self.sections), "citation": self.citation,
                "short_citation": self.short_citation, "licence": self.licence, "notes": self.notes,
                "split_of": self.split_of, "evaluated": self.loader is not None,
                "files": [{"path": f, "sha256": checksum(f)} for f in self.files]}


B = "benchmarks/"
STS_YEARS: dict[str, list[str]] = {  # SentEval's subsets per year; STS13's SMT has no sentences
    "STS12": ["MSRpar", "MSRvid", "SMTeuroparl", "surprise.OnWN", "surprise.SMTnews"],
    "STS13": ["FNWN", "headlines", "OnWN"],
    "STS14": ["deft-forum", "deft-news", "headlines", "images", "OnWN", "tweet-news"],
    "STS15": ["answers-forums", "answers-students", "belief", "headlines", "images"],
    "STS16": ["answer-answer", "headlines", "plagiarism", "postediting", "question-question"],
}
STS_CITATION = ("Agirre et al. (2012-2016). SemEval Semantic Textual Similarity tasks; scored as "
                "in Conneau & Kiela (2018). SentEval. LREC.")
_STS_SIZES = {"STS12": 3108, "STS13": 1500, "STS14": 3750, "STS15": 3000, "STS16": 1186}
_STS_DOCS = {"STS12": ["STS2012-en-test/00-readme.txt"], "STS13": ["STS2013-en-test/00-readme.txt"],
             "STS14": ["STS2014-en-test/00-readme.txt"],
             "STS15": ["STS2015-en-test/00-readme.txt", "STS2015-en-test/STS.input.answers-forums.LICENSE"],
             "STS16": ["STS2016-en-test/README.txt", "STS2016-en-test/LICENSE.txt"]}
_STS_LICENCES = {
    "STS12": "per source; MSR paraphrase/video corpora under MSR's terms (00-readme.txt)",
    "STS13": "per source (00-readme.txt); the SMT subset is withheld (LDC)",
    "STS14": "per source, some CC BY-SA (00-readme.txt)",
    "STS15": "per source; answers-forums CC BY-SA 3.0 (Stack Exchange, .LICENSE file)",
    "STS16": "per subset CC BY-SA 3.0 / CC BY 4.0 / CC BY-NC-SA 2.0 UK (LICENSE.txt)",
}
_DICT2VEC = ("copy of tca19/dict2vec data/eval/ (see the data folder's PROVENANCE.md)")
_NOT_STATED = "not stated (research data)"


def _sim(name, rel, size, short, cite, licence, loader, docs=(), notes="", split_of=None, sections=()):
    return Benchmark(name, "similarity", (B + rel, *(B + d for d in docs)), size, "pairs", short, cite,
                     licence, tuple(sections), notes, split_of, loader)


def _sts_year(name: str) -> Benchmark:
    folder = f"{B}sts/senteval/{name}-en-test/"
    files = [folder + f"STS.{kind}.{sub}.txt" for sub in STS_YEARS[name] for kind in ("input", "gs")]
    docs = [f"{B}sts/raw/{d}" for d in _STS_DOCS[name]]
    return Benchmark(name, "sts", (*files, *docs), _STS_SIZES[name], "pairs",
                     f"Agirre et al. {2000 + int(name[3:])}", STS_CITATION,
                     _STS_LICENCES[name],
                     tuple(STS_YEARS[name]), "SentEval's Moses-tokenized, lower-cased copy; scored "
                     "pairs only" + ("; the SMT subset has no sentences (licensed away) and is "
                                     "skipped" if name == "STS13" else ""), None, loaders.sts_year)


_MEN = ("Bruni, Tran & Baroni (2014). Multimodal distributional semantics. Journal of Artificial "
        "Intelligence Research 49.")
_SIMVERB = ("Gerz, Vulic, Hill, Reichart & Korhonen (2016). SimVerb-3500: a large-scale evaluation "
            "set of verb similarity. EMNLP.")
_WS_SPLIT = ("Agirre, Alfonseca, Hall, Kravalova, Pasca & Soroa (2009). A study on similarity and "
             "relatedness using distributional and WordNet-based approaches. NAACL-HLT; on "
             "Finkelstein et al. (2001) WordSim-353.")
_STSB = ("Cer, Diab, Agirre, Lopez-Gazpio & Specia (2017). SemEval-2017 Task 1: Semantic Textual "
         "Similarity multilingual and crosslingual focused evaluation. SemEval.")
_STSB_LICENCE = "scores CC BY-SA 4.0; sentences under their sources' terms (LICENSE.txt)"
_STSB_DOCS = tuple(B + f"stsb/{d}" for d in ("LICENSE.txt", "readme.txt", "PROVENANCE"))
_SICK = ("Marelli, Bentivogli, Baroni, Bernardi, Menini & Zamparelli (2014). SemEval-2014 Task 1: "
         "evaluation of compositional distributional semantic models on full sentences through "
         "semantic relatedness and textual entailment. SemEval.")
_SICK_DOCS = (B + "sick/semeval2014_task1/readme.txt", B + "sick/PROVENANCE")
_CAT_DOC = B + "categorization/PROVENANCE"
_VECTO = "not stated (vecto-ai/word-benchmarks copy)"
_STSB_COLS, _SICK_COLS = (5, 6, 4), (1, 2, 3)

_ENTRIES = [
    # the paper's six word-similarity sets
    _sim("RW", "rw/rw.txt", 2034, "Luong et al. 2013",
         "Luong, Socher & Manning (2013). Better word representations with recursive neural networks "
         "for morphology. CoNLL.", _NOT_STATED, loaders.word_pairs("\t", False), ["rw/README.txt"]),
    _sim("MEN", "men/MEN_dataset_natural_form_full", 3000, "Bruni et al. 2014", _MEN, "CC BY 2.0",
         loaders.word_pairs(None, False), ["men/licence.txt", "men/instructions.txt"],
         "natural form, all 3000 pairs (the dev/test split files are MEN-dev / MEN-test)"),
    _sim("WS353", "wordsim353/combined.tab", 353, "Finkelstein et al. 2001",
         "Finkelstein et al. (2001). Placing search in context: the concept revisited. WWW.",
         _NOT_STATED, loaders.word_pairs("\t", True), ["wordsim353/instructions.txt"],
         "combined set1 (153) + set2 (200)"),
    _sim("MTurk-771", "mturk771/MTURK-771.csv", 771, "Halawi et al. 2012",
         "Halawi, Dror, Gabrilovich & Koren (2012). Large-scale learning of word relatedness with "
         "constraints. KDD.", _NOT_STATED, loaders.word_pairs(",", True),
         notes="line 579 ends with a stray tab, which gensim's reader skips silently; fields are stripped"),
    _sim("SimVerb-3500", "simverb3500/SimVerb-3500.txt", 3500, "Gerz et al. 2016", _SIMVERB,
         _NOT_STATED, loaders.word_pairs("\t", False, (0, 1, 3)), ["simverb3500/README.txt"]),
    _sim("SimLex-999", "simlex999/SimLex-999.txt", 999, "Hill et al. 2015",
         "Hill, Reichart & Korhonen (2015). SimLex-999: evaluating semantic models with (genuine) "
         "similarity estimation. Computational Linguistics 41(4).", _NOT_STATED, loaders.simlex,
         ["simlex999/README.txt"], sections=("All", "Adjs", "Nouns", "Verbs", "Conc-q1", "Conc-q2",
                                             "Conc-q3", "Conc-q4", "Hard")),
    # the field's standard suite beyond the paper's sets
    _sim("RG-65", "rg65/RG-65.txt", 65, "Rubenstein & Goodenough 1965",
         "Rubenstein & Goodenough (1965). Contextual correlates of synonymy. Communications of the "
         "ACM 8(10).", _NOT_STATED, loaders.word_pairs("\t", False),
         notes=f"{_DICT2VEC}; copies in the wild differ: some spell 'chord smile' (original 'cord'), "
               "graveyard-madhouse 0.44 vs 0.42 here"),
    _sim("MC-30", "mc30/MC-30.txt", 30, "Miller & Charles 1991",
         "Miller & Charles (1991). Contextual correlates of semantic similarity. Language and "
         "Cognitive Processes 6(1).", _NOT_STATED, loaders.word_pairs("\t", False),
         notes=f"{_DICT2VEC}; noon-string is 0.08 here, 0.008 in another common copy"),
    _sim("WS353-SIM", "ws353_simrel/WS-353-SIM.txt", 203, "Agirre et al. 2009", _WS_SPLIT,
         _NOT_STATED, loaders.word_pairs("\t", False),
         notes="byte-identical across four independent copies and the official archive"),
    _sim("WS353-REL", "ws353_simrel/WS-353-REL.txt", 252, "Agirre et al. 2009", _WS_SPLIT,
         _NOT_STATED, loaders.word_pairs("\t", False),
         notes="byte-identical across four independent copies and the official archive"),
    _sim("YP-130", "yp130/YP-130.txt", 130, "Yang & Powers 2006",
         "Yang & Powers (2006). Verb similarity on the taxonomy of WordNet. Global WordNet "
         "Conference.", _NOT_STATED, loaders.word_pairs(None, False), notes=_DICT2VEC),
    _sim("MTurk-287", "mturk287/MTurk-287.txt", 287, "Radinsky et al. 2011",
         "Radinsky, Agichtein, Gabrilovich & Markovitch (2011). A word at a time: computing word "
         "relatedness using temporal semantic analysis. WWW.", _NOT_STATED,
         loaders.word_pairs("\t", False),
         notes=f"{_DICT2VEC}; 287 rows, 286 distinct pairs (gasoline-stock in both orders)"),
    _sim("Card-660", "card660/Card-660.txt", 660, "Pilehvar et al. 2018",
         "Pilehvar, Kartsaklis, Prokhorov & Collier (2018). Card-660: Cambridge Rare Word Dataset - "
         "a reliable benchmark for infrequent word representation models. EMNLP.", _NOT_STATED,
         loaders.word_pairs("\t", False),
         notes=f"{_DICT2VEC}; multi-word terms joined by '_'; one other copy writes 'HIV/Aids' on line 31"),
    # dev/test splits, for model selection without peeking at test pairs
    _sim("MEN-dev", "men/MEN_dataset_lemma_form.dev", 2000, "Bruni et al. 2014", _MEN, "CC BY 2.0",
         loaders.pos_tagged_pairs, ["men/licence.txt"], "lemma form, POS suffix (-n, -v, -j) dropped",
         "MEN"),
    _sim("MEN-test", "men/MEN_dataset_lemma_form.test", 1000, "Bruni et al. 2014", _MEN, "CC BY 2.0",
         loaders.pos_tagged_pairs, ["men/licence.txt"], "lemma form, POS suffix (-n, -v, -j) dropped",
         "MEN"),
    _sim("SimVerb-dev", "simverb3500/SimVerb-500-dev.txt", 500, "Gerz et al. 2016", _SIMVERB,
         _NOT_STATED, loaders.word_pairs("\t", False, (0, 1, 3)), ["simverb3500/README.txt"],
         split_of="SimVerb-3500"),
    _sim("SimVerb-test", "simverb3500/SimVerb-3000-test.txt", 3000, "Gerz et al. 2016", _SIMVERB,
         _NOT_STATED, loaders.word_pairs("\t", False, (0, 1, 3)), ["simverb3500/README.txt"],
         split_of="SimVerb-3500"),
    # sentence similarity
    *[_sts_year(year) for year in STS_YEARS],
    Benchmark("STSB", "sts", (B + "stsb/senteval/sts-test.csv", *_STSB_DOCS), 1379, "pairs",
              "Cer et al. 2017", _STSB, _STSB_LICENCE, (),
              "STS Benchmark test split, SentEval's tokenized lower-cased copy; the official raw "
              "train file differs from one other copy on line 5720", None,
              loaders.sentence_pairs(_STSB_COLS, False)),
    Benchmark("STSB-dev", "sts", (B + "stsb/senteval/sts-dev.csv", *_STSB_DOCS), 1500, "pairs",
              "Cer et al. 2017", _STSB, _STSB_LICENCE, (), "STS Benchmark dev split (SentEval form)",
              "STSB", loaders.sentence_pairs(_STSB_COLS, False)),
    Benchmark("STSB-train", "sts", (B + "stsb/senteval/sts-train.csv", *_STSB_DOCS), 5749, "pairs",
              "Cer et al. 2017", _STSB, _STSB_LICENCE, (), "STS Benchmark train split (SentEval form)",
              "STSB", loaders.sentence_pairs(_STSB_COLS, False)),
    Benchmark("SICK-R", "sts", (B + "sick/semeval2014_task1/SICK_test_annotated.txt", *_SICK_DOCS),
              4927, "pairs", "Marelli et al. 2014", _SICK, "CC BY-NC-SA 3.0", (),
              "SemEval-2014 Task 1 test file, relatedness 1-5, sentences split on whitespace as "
              "SentEval reads them (not lower-cased)", None, loaders.sentence_pairs(_SICK_COLS, True)),
    Benchmark("SICK-R-trial", "sts", (B + "sick/semeval2014_task1/SICK_trial.txt", *_SICK_DOCS),
              500, "pairs", "Marelli et al. 2014", _SICK, "CC BY-NC-SA 3.0", (),
              "SemEval-2014 Task 1 trial file (SentEval's dev split)", "SICK-R",
              loaders.sentence_pairs(_SICK_COLS, True)),
    Benchmark("SICK-R-train", "sts", (B + "sick/semeval2014_task1/SICK_train.txt", *_SICK_DOCS),
              4500, "pairs", "Marelli et al. 2014", _SICK, "CC BY-NC-SA 3.0", (),
              "SemEval-2014 Task 1 train file", "SICK-R", loaders.sentence_pairs(_SICK_COLS, True)),
    # analogy and categorization
    Benchmark("Google", "analogy", (B + "analogy/google/questions-words.txt",), 19544, "questions",
              "Mikolov et al. 2013a",
              "Mikolov, Chen, Corrado & Dean (2013). Efficient estimation of word representations in "
              "vector space. ICLR workshop.", "Apache-2.0 (word2vec distribution)",
              ("capital-common-countries", "capital-world", "currency", "city-in-state", "family",
               "gram1-adjective-to-adverb", "gram2-opposite", "gram3-comparative", "gram4-superlative",
               "gram5-present-participle", "gram6-nationality-adjective", "gram7-past-tense",
               "gram8-plural", "gram9-plural-verbs"),
              "questions-words.txt as in the word2vec distribution (and gensim's test data)",
              loader=loaders.analogy(parse_google)),
    Benchmark("MSR", "analogy", (B + "analogy/msr/msr.txt", B + "analogy/msr/msr_vecto_labeled.csv",
                                 B + "analogy/msr/PROVENANCE"), 8000, "questions", "Mikolov et al. 2013b",
              "Mikolov, Yih & Zweig (2013). Linguistic regularities in continuous space word "
              "representations. NAACL-HLT.", "not stated (hyperwords test-set copy)", (),
              "msr.txt: a b c d; msr_vecto_labeled.csv: the same 8000 rows with 16 relation types",
              loader=loaders.analogy(parse_msr_labeled, file=1)),
    Benchmark("AP", "categorization", (B + "categorization/ap_vecto.csv", _CAT_DOC), 402, "words",
              "Almuhareb & Poesio 2005",
              "Almuhareb & Poesio (2005). Concept learning and categorization from the web. CogSci.",
              _VECTO, (), "21 classes; 21 artefact rows with an empty word are not items",
              loader=loaders.categorization()),
    Benchmark("BLESS", "categorization", (B + "categorization/bless_vecto.csv", _CAT_DOC), 200, "words",
              "Baroni & Lenci 2011",
              "Baroni & Lenci (2011). How we BLESSed distributional semantic evaluation. GEMS workshop.",
              _VECTO, (), "17 classes; 17 empty-word rows are not items",
              loader=loaders.categorization()),
    Benchmark("Battig", "categorization", (B + "categorization/battig_vecto.csv", _CAT_DOC), 5231,
              "words", "Battig & Montague 1969",
              "Battig & Montague (1969). Category norms for verbal items in 56 categories. Journal of "
              "Experimental Psychology Monographs 80(3).", _VECTO, (),
              "56 categories, 4,668 distinct words (words recur across categories; 2 duplicate rows)",
              loader=loaders.categorization()),
    Benchmark("ESSLLI-N", "categorization",
              (B + "categorization/esslli2008_1a_concrete_nouns_wordspace.tbl", _CAT_DOC), 44, "words",
              "Baroni, Evert & Lenci 2008",
              "Baroni, Evert & Lenci (eds.) (2008). ESSLLI 2008 Workshop on Distributional Lexical "
              "Semantics, shared task 1a (concrete nouns).", "GPL-3 (wordspace R package)", (),
              "6 classes (class1), 3 (class2), 2 (class3)",
              loader=loaders.categorization(parse_wordspace_tbl)),
    Benchmark("ESSLLI-V", "categorization",
              (B + "categorization/esslli2008_verbs_vecto.csv", _CAT_DOC), 45, "words",
              "Baroni, Evert & Lenci 2008",
              "Baroni, Evert & Lenci (eds.) (2008). ESSLLI 2008 Workshop on Distributional Lexical "
              "Semantics, shared task 2c (verbs).", _VECTO, (), "9 classes (5 coarse classes after '-')",
              loader=loaders.categorization(label=esslli_verb_class)),
    # word norms used to split benchmarks by concreteness
    Benchmark("Brysbaert-concreteness", "norms",
              (B + "concreteness/Concreteness_ratings_Brysbaert_et_al_BRM.txt",), 39954, "words",
              "Brysbaert et al. 2014",
              "Brysbaert, Warriner & Kuperman (2014). Concreteness ratings for 40 thousand generally "
              "known English word lemmas. Behavior Research Methods 46(3).", _NOT_STATED, (),
              "Conc.M: mean rating 1 (abstract) - 5 (concrete)"),
    Benchmark("Glasgow-norms", "norms",
              (B + "glasgow_norms/13428_2018_1099_MOESM2_ESM.csv", B + "glasgow_norms/PROVENANCE"), 5553,
              "words", "Scott et al. 2019",
              "Scott, Keitel, Becirspahic, Yao & Sereno (2019). The Glasgow Norms: ratings of 5,500 "
              "words on nine scales. Behavior Research Methods 51.", "CC BY 4.0", (),
              "two header rows; CNC = concreteness 1-7, IMAG = imageability 1-7"),
]
BENCHMARKS: dict[str, Benchmark] = {b.name: b for b in _ENTRIES}

PAPER_SIMILARITY = ("RW", "MEN", "WS353", "MTurk-771", "SimVerb-3500", "SimLex-999")
# the same six with MEN and SimVerb's test splits, so no score counts pairs used for selection
PAPER_TEST = ("RW", "MEN-test", "WS353", "MTurk-771", "SimVerb-test", "SimLex-999")
PAPER_STS = tuple(STS_YEARS)
SIMILARITY_SETS = {name: b for name, b in BENCHMARKS.items() if b.task == "similarity" and not b.split_of}


def _group(task: str) -> tuple[str, ...]:
    return tuple(n for n, b in BENCHMARKS.items() if b.task == task and not b.split_of)


GROUPS: dict[str, tuple[str, ...]] = {
    "paper": (*PAPER_SIMILARITY, *PAPER_STS),
    "paper-similarity": PAPER_SIMILARITY,
    "paper-test": PAPER_TEST,
    "paper-sts": PAPER_STS,
    "similarity": _group("similarity"),
    "sts": _group("sts"),
    "analogy": _group("analogy"),
    "categorization": _group("categorization"),
}
GROUPS["all"] = tuple(n for task in ("similarity", "sts", "analogy", "categorization") for n in GROUPS[task])


def _key(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "").replace(" ", "")


ALIASES = {_key(name): name for name in BENCHMARKS}
ALIASES.update({"simlex": "SimLex-999", "simverb": "SimVerb-3500", "mturk": "MTurk-771",
                "wordsim353": "WS353", "ws": "WS353", "wssim": "WS353-SIM", "wsrel": "WS353-REL",
                "rg": "RG-65", "mc": "MC-30", "yp": "YP-130", "card": "Card-660",
                "stsbenchmark": "STSB", "stsbtest": "STSB", "sick": "SICK-R", "sickrtest": "SICK-R",
                "sickrdev": "SICK-R-trial", "googleanalogy": "Google", "msranalogy": "MSR",
                "esslli1a": "ESSLLI-N", "esslli2c": "ESSLLI-V",
                "essli1a": "ESSLLI-N", "essli2c": "ESSLLI-V", "esslli2008nouns": "ESSLLI-N",
                "esslli2008verbs": "ESSLLI-V", "essllinouns": "ESSLLI-N", "esslliverbs": "ESSLLI-V",
                "concreteness": "Brysbaert-concreteness", "glasgow": "Glasgow-norms"})
GROUP_ALIASES = {_key(g): g for g in GROUPS}
GROUP_ALIASES.update({"wordsimilarity": "similarity", "default": "paper"})


def group(name: str) -> tuple[str, ...]:
    """The member sets of a group (paper, paper-similarity, paper-test, paper-sts, similarity,
    sts, analogy, categorization, all), in table order; any spelling `--datasets` accepts. Every
    module that needs a list of sets reads it here, so the registry is the only list."""
    canon = group_name(name)
    if canon is None:
        raise ValueError(f"unknown dataset group {name!r}; groups: {', '.join(GROUPS)}")
    return GROUPS[canon]


def sections(name: str) -> tuple[str, ...]:
    """A set's named sections in table order (SimLex-999's parts, an STS year's subsets)."""
    return get(name).sections


def canonical_name(name: str) -> str | None:
    """Built-in dataset name for a user's spelling (men, simlex999, sts12, ws353-sim...), or None."""
    return ALIASES.get(_key(name))


def group_name(name: str) -> str | None:
    """Group for a user's spelling (paper, similarity, sts, analogy, categorization, all), or None."""
    return GROUP_ALIASES.get(_key(name))


def evaluable(name: str) -> bool:
    return BENCHMARKS[name].loader is not None


def expand(name: str) -> list[str]:
    """Built-in names a user's item stands for: a group's evaluable members, or one set.
    Raises ValueError for an unknown name, an empty group, or a set with no evaluator."""
    group = group_name(name)
    if group is not None:
        members = [n for n in GROUPS[group] if evaluable(n)]
        if not members:
            raise ValueError(f"dataset group {group!r}: this version of vgbench has no evaluator for "
                             f"its sets ({', '.join(GROUPS[group])})")
        return members
    canon = canonical_name(name)
    if canon is None:
        raise ValueError(unknown_name("dataset", name, [*GROUPS, *(n for n in BENCHMARKS if evaluable(n))],
                                      " (groups first; `vgbench datasets` describes them)"))
    if not evaluable(canon):
        raise ValueError(f"dataset {canon!r} ({BENCHMARKS[canon].task}) ships with vgbench, but this "
                         f"version has no evaluator for its task")
    return [canon]


def get(name: str) -> Benchmark:
    canon = canonical_name(name)
    if canon is None:
        raise ValueError(unknown_name("dataset", name, BENCHMARKS,
                                      f" (groups: {', '.join(GROUPS)})"))
    return BENCHMARKS[canon]


def load(name: str):
    """The loaded set (WordPairs for similarity, STSSet for sts, ...) for a built-in name."""
    entry = get(name)
    if entry.loader is None:
        raise ValueError(f"dataset {entry.name!r} ({entry.task}) has no loader in this version of vgbench")
    return _loaded(entry)


def _loaded(entry: Benchmark):
    """The loaded set, carrying the registry's checksum so reports can name exactly what was scored."""
    dataset = entry.loader(entry)
    dataset.checksum = entry.checksum()
    return dataset


def load_similarity(name: str) -> WordPairs:
    entry = get(name)
    if entry.task != "similarity":
        raise ValueError(f"dataset {entry.name!r} is a {entry.task} set, not word similarity")
    return _loaded(entry)


def load_sts(name: str) -> STSSet:
    entry = get(name)
    if entry.task != "sts":
        raise ValueError(f"dataset {entry.name!r} is a {entry.task} set, not sentence similarity")
    return _loaded(entry)
