"""Word analogies a : b :: c : ? solved by 3CosAdd and 3CosMul, with gensim's conventions.

Conventions (those of gensim's `KeyedVectors.evaluate_word_analogies(restrict_vocab=300000,
case_insensitive=True)`, so figures are comparable with the literature that used it):

- Candidates are the first `restrict` (300,000) words of the embedding in file order, i.e. the
  most frequent ones for GloVe / word2vec / fastText files.
- Lookup is case-insensitive: a question word is upper-cased and matched against the upper-cased
  restricted words; when several share an upper-cased form the first (most frequent) one wins.
- A question with a word outside the restricted vocabulary is skipped and counted; accuracy is
  correct / answered, and `n_used / n_total` gives the coverage.
- The three question words (every candidate whose upper-cased form equals one of them) are
  excluded from the answers; a prediction is correct when its upper-cased form is the answer's.
  (gensim looks only at its top 5 after excluding the question rows; it can differ from this
  only when five case variants of the question words lead the ranking.)

3CosAdd (Mikolov et al. 2013): argmax_x cos(x, b - a + c) with unit vectors, i.e.
cos(x, b) - cos(x, a) + cos(x, c). 3CosMul (Levy & Goldberg 2014, "Linguistic regularities in
sparse and explicit word representations", CoNLL): argmax_x cos(x, b) cos(x, c) / (cos(x, a) + e)
with every cosine shifted to [0, 1] by (cos + 1) / 2 and e = 0.001, as in their paper.

Work is batched: vectors are normalised once, questions are scored in blocks by one matrix
product against the candidate matrix, the question words are masked, and argmax is taken per row.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vgbench.datasets.analogy import AnalogySet
from vgbench.embeddings.core import Embeddings
from vgbench.evaluation.policy import ANALOGY_METHODS as METHODS
from vgbench.evaluation.policy import DEFAULT
from vgbench.evaluation.results import PairedTest, Score

DEFAULT_RESTRICT = DEFAULT.analogy_vocab
DEFAULT_METHODS = DEFAULT.analogy_methods
EPSILON = 0.001
METRIC = {"3cosadd": "accuracy", "3cosmul": "accuracy-3cosmul"}
_BLOCK_CELLS = 1 << 25  # scores per block (128 MB of float32) bounds memory whatever the vocabulary


@dataclass
class AnalogyVocab:
    """The candidate words: unit vectors of the first `restrict` rows and their case groups."""
    words: list[str]
    unit: np.ndarray                 # (R, dim) float32, rows of unit length (zero rows stay zero)
    upper_row: dict[str, int]        # upper-cased form -> first row with that form
    group: np.ndarray                # (R,) first row of each row's upper-cased form
    variants: dict[int, list[int]] = field(default_factory=dict)  # group -> its other rows

    def rows(self, words: list[str]) -> np.ndarray:
        return np.fromiter((self.upper_row.get(w.upper(), -1) for w in words), np.int64, len(words))


def analogy_vocab(emb: Embeddings, restrict: int = DEFAULT_RESTRICT) -> AnalogyVocab:
    """Candidates and case-insensitive lookup over the embedding's first `restrict` words."""
    words = emb.words[:restrict]
    upper_row: dict[str, int] = {}
    group = np.empty(len(words), np.int64)
    variants: dict[int, list[int]] = {}
    for i, w in enumerate(words):
        first = upper_row.setdefault(w.upper(), i)
        group[i] = first
        if first != i:
            variants.setdefault(first, []).append(i)
    vectors = np.asarray(emb.vectors[:restrict], np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms == 0, 1, norms)
    return AnalogyVocab(words, unit.astype(np.float32, copy=False), upper_row, group, variants)


@dataclass
class AnalogyPredictions:
    """Per question: answered (all four words known), and per method the predicted row and
    whether it is correct (False for unanswered questions)."""
    answered: np.ndarray
    predicted: dict[str, np.ndarray]
    correct: dict[str, np.ndarray]


def predict_analogies(vocab: AnalogyVocab, aset: AnalogySet,
                      methods: tuple[str, ...] = METHODS) -> AnalogyPredictions:
    """Solve every answerable question of `aset` with each method (see the module docstring)."""
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown analogy method(s) {', '.join(unknown)}; expected {', '.join(METHODS)}")
    ra, rb, rc, rd = (vocab.rows(ws) for ws in (aset.a, aset.b, aset.c, aset.d))
    answered = (ra >= 0) & (rb >= 0) & (rc >= 0) & (rd >= 0)
    n = len(aset)
    predicted = {m: np.full(n, -1, np.int64) for m in methods}
    todo = np.flatnonzero(answered)
    n_cand = max(len(vocab.words), 1)
    block = max(1, min(1024, _BLOCK_CELLS // n_cand))
    for start in range(0, len(todo), block):
        q = todo[start:start + block]
        a, b, c = ra[q], rb[q], rc[q]
        mask_rows, mask_cols = _excluded(vocab, a, b, c)
        for method in methods:
            scores = _scores(vocab.unit, a, b, c, method)
            scores[mask_rows, mask_cols] = -np.inf
            predicted[method][q] = scores.argmax(axis=1)
    correct = {m: answered & (vocab.group[np.maximum(predicted[m], 0)] == rd) for m in methods}
    return AnalogyPredictions(answered, predicted, correct)


def _scores(unit: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray, method: str) -> np.ndarray:
    """(block, R) scores whose row-wise argmax is the method's answer."""
    if method == "3cosadd":
        return (unit[b] - unit[a] + unit[c]) @ unit.T
    # 3CosMul on cosines shifted to [0, 1]: ((cb+1)/2 (cc+1)/2) / ((ca+1)/2 + e), computed as
    # (cb+1)(cc+1) / (ca + 1 + 2e), which is 2x that: the same order, fewer passes.
    s = unit[b] @ unit.T
    s += 1.0
    t = unit[c] @ unit.T
    t += 1.0
    s *= t
    np.matmul(unit[a], unit.T, out=t)
    t += 1.0 + 2 * EPSILON
    s /= t
    return s


def _excluded(vocab: AnalogyVocab, a, b, c) -> tuple[np.ndarray, np.ndarray]:
    """(row-in-block, candidate) indices of the question words and their case variants."""
    rows = [np.repeat(np.arange(len(a)), 3)]
    cols = [np.stack([a, b, c], axis=1).ravel()]
    if vocab.variants:
        extra_r, extra_c = [], []
        for i, trio in enumerate(zip(a.tolist(), b.tolist(), c.tolist())):
            for g in set(trio):
                for v in vocab.variants.get(g, ()):
                    extra_r.append(i)
                    extra_c.append(v)
        rows.append(np.array(extra_r, np.int64))
        cols.append(np.array(extra_c, np.int64))
    return np.concatenate(rows), np.concatenate(cols)


def wilson_ci(correct: int, n: int, level: float = DEFAULT.level) -> tuple[float | None, float | None]:
    """Wilson score interval of a proportion, x100 (scipy's binomtest); None when n is 0."""
    if n <= 0:
        return None, None
    from scipy.stats import binomtest  # slow to import: only when an analogy set is scored
    ci = binomtest(int(correct), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return 100.0 * ci.low, 100.0 * ci.high


def evaluate_analogies(emb_name: str, aset: AnalogySet, pred: AnalogyPredictions,
                       level: float = DEFAULT.level, ci: bool = True) -> list[Score]:
    """Accuracy x100 (correct / answered) per section and method, with Wilson CIs and coverage.

    Sections: "All", each of the set's sections, and "semantic"/"syntactic" for Google.
    """
    scores = []
    for method, correct in pred.correct.items():
        for section, members in aset.sections().items():
            n_total = int(members.sum())
            n_used = int((pred.answered & members).sum())
            k = int((correct & members).sum())
            value = 100.0 * k / n_used if n_used else float("nan")
            lo, hi = wilson_ci(k, n_used, level) if ci else (None, None)
            scores.append(Score(emb_name, "analogy", aset.name, section, METRIC[method], value,
                                lo, hi, n_used, n_total))
    return scores


TESTED_SECTIONS = ("All", "semantic", "syntactic")


def mcnemar_tests(aset: AnalogySet, name_a: str, name_b: str, pa: AnalogyPredictions,
                  pb: AnalogyPredictions, sections=TESTED_SECTIONS) -> list[PairedTest]:
    """Exact McNemar test per method on the questions both embeddings answered (the whole set,
    and Google's semantic/syntactic halves): a two-sided binomial test on the discordant
    questions (scipy's binomtest)."""
    from scipy.stats import binomtest
    tests = []
    both = pa.answered & pb.answered
    for method in pa.correct:
        if method not in pb.correct:
            continue
        ca, cb = pa.correct[method], pb.correct[method]
        for section, members in aset.sections().items():
            if section not in sections:
                continue
            use = both & members
            n = int(use.sum())
            if n == 0:
                continue
            va, vb = 100.0 * ca[use].mean(), 100.0 * cb[use].mean()
            only_b = int((cb & ~ca & use).sum())
            discordant = only_b + int((ca & ~cb & use).sum())
            p = binomtest(only_b, discordant).pvalue if discordant else 1.0
            tests.append(PairedTest(aset.name, section, METRIC[method], name_a, name_b, va, vb,
                                    vb - va, None, None, float(p), "McNemar exact", n))
    return tests
