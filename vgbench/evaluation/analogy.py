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

Intervals and tests respect the design: Google's 19,544 questions are built from 572 word pairs
(every question a : b :: c : d joins the pair (a, b) to the pair (c, d)), so questions that share a
pair are not independent and a binomial interval is several times too narrow. The default CI and
paired test are a cluster bootstrap over word pairs (`pair_bootstrap`); the Wilson interval is kept
only as `wilson_ci`, an interval conditional on the question set.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vgbench.evaluation import statistics

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
        """Rows of `words` among the candidates (case-insensitive), -1 where absent."""
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
    """Wilson score interval of a proportion, x100 (scipy's binomtest); None when n is 0.

    Conditional on the question set: it treats the questions as independent draws, which they
    are not when they share word pairs (see `pair_bootstrap`)."""
    if n <= 0:
        return None, None
    from scipy.stats import binomtest  # slow to import: only when an analogy set is scored
    ci = binomtest(int(correct), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return 100.0 * ci.low, 100.0 * ci.high


_BOOT_CHUNK_CELLS = 4_000_000   # bootstrap weights held at once (32 MB of float64)


def question_pairs(aset: AnalogySet) -> tuple[np.ndarray, np.ndarray]:
    """Each question's two word pairs as cluster ids: (a, b) and (c, d), case-folded, within the
    question's section (sections are fixed strata of the design)."""
    ids: dict[tuple[str, str, str], int] = {}
    first = np.empty(len(aset), np.int64)
    second = np.empty(len(aset), np.int64)
    for q, (sec, a, b, c, d) in enumerate(zip(aset.section.tolist(), aset.a, aset.b, aset.c, aset.d)):
        first[q] = ids.setdefault((sec, a.lower(), b.lower()), len(ids))
        second[q] = ids.setdefault((sec, c.lower(), d.lower()), len(ids))
    return first, second


def _pair_strata(aset: AnalogySet, first: np.ndarray, second: np.ndarray) -> list[np.ndarray]:
    """The cluster ids of each section (the strata the pairs are resampled within)."""
    n_pairs = int(max(first.max(initial=-1), second.max(initial=-1))) + 1
    section_of = np.empty(n_pairs, dtype=object)
    section_of[first] = aset.section
    section_of[second] = aset.section
    return [np.flatnonzero(section_of == s) for s in dict.fromkeys(aset.section.tolist())]


def pair_bootstrap(aset: AnalogySet, columns: np.ndarray, n_boot: int = DEFAULT.n_boot,
                   seed=DEFAULT.seed) -> np.ndarray:
    """(n_boot, k) bootstrap sums of the question columns (questions x k) under a cluster
    bootstrap over word pairs.

    Each replicate draws, within every section, that section's word pairs with replacement;
    a question counts m(a, b) * m(c, d) times, the product of its two pairs' multiplicities (a
    question whose pair was not drawn drops out). This is the bootstrap of a generalised U-statistic
    (Arcones & Gine 1992, "On the bootstrap of U and V statistics", Ann. Statist. 20) -- the
    questions are a function of pairs taken two at a time -- and the one-population form of Owen's
    (2007) pigeonhole bootstrap for crossed factors ("The pigeonhole bootstrap", Ann. Appl. Stat.
    1): a pair is one unit whether it is the example or the query, so both roles share its
    multiplicity. To first order its variance is the cluster-robust one with each question's
    residual attributed to both of its pairs (checked in tests/test_analogy.py). Ratios of these
    sums (accuracy = correct / answered) are the bootstrap replicates of the accuracies."""
    first, second = question_pairs(aset)
    strata = _pair_strata(aset, first, second)
    n_pairs = sum(len(s) for s in strata)
    cols = np.asarray(columns, dtype=np.float64)
    rng = np.random.default_rng(seed)
    chunk = max(1, _BOOT_CHUNK_CELLS // max(len(aset), 1))
    out = []
    for start in range(0, int(n_boot), chunk):
        rows = min(chunk, int(n_boot) - start)
        m = np.zeros((rows, n_pairs))
        for members in strata:
            k = len(members)
            flat = (rng.integers(0, k, (rows, k)) + (np.arange(rows) * k)[:, None]).ravel()
            m[:, members] = np.bincount(flat, minlength=rows * k).reshape(rows, k)
        out.append((m[:, first] * m[:, second]) @ cols)
    return np.concatenate(out) if out else np.zeros((0, cols.shape[1]))


def _ratio_ci(num: np.ndarray, den: np.ndarray, level: float) -> tuple[float, float]:
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = 100.0 * num / den
    return statistics._percentiles(ratio, level)


def evaluate_analogies(emb_name: str, aset: AnalogySet, pred: AnalogyPredictions,
                       level: float = DEFAULT.level, ci: bool = True,
                       n_boot: int = DEFAULT.n_boot, seed=DEFAULT.seed) -> list[Score]:
    """Accuracy x100 (correct / answered) per section and method, with coverage and a percentile
    CI from the cluster bootstrap over word pairs (`pair_bootstrap`). With `n_boot` 0 (no
    resampling) the Wilson interval instead, which results.json's settings and the table note
    label as conditional on the question set; none when `ci` is False.

    Sections: "All", each of the set's sections, and "semantic"/"syntactic" for Google.
    """
    sections = aset.sections()
    methods = list(pred.correct)
    boot = None
    if ci and n_boot and pred.answered.any():
        cols = [pred.answered & members for members in sections.values()]
        cols += [pred.correct[m] & members for m in methods for members in sections.values()]
        boot = pair_bootstrap(aset, np.stack(cols, axis=1), n_boot, seed)
    scores = []
    n_sec = len(sections)
    for i, method in enumerate(methods):
        correct = pred.correct[method]
        for j, (section, members) in enumerate(sections.items()):
            n_total = int(members.sum())
            n_used = int((pred.answered & members).sum())
            k = int((correct & members).sum())
            value = 100.0 * k / n_used if n_used else float("nan")
            lo = hi = None
            if boot is not None and n_used:
                lo, hi = _ratio_ci(boot[:, n_sec * (1 + i) + j], boot[:, j], level)
            elif ci and not n_boot and n_used:
                lo, hi = wilson_ci(k, n_used, level)
            scores.append(Score(emb_name, "analogy", aset.name, section, METRIC[method], value,
                                lo, hi, n_used, n_total))
    return scores


TESTED_SECTIONS = ("All", "semantic", "syntactic")


def paired_analogy_tests(aset: AnalogySet, name_a: str, name_b: str, pa: AnalogyPredictions,
                         pb: AnalogyPredictions, n_boot: int = DEFAULT.n_boot, seed=DEFAULT.seed,
                         level: float = DEFAULT.level,
                         sections=TESTED_SECTIONS) -> list[PairedTest]:
    """Paired cluster-bootstrap test per method on the questions both embeddings answered (the
    whole set, and Google's semantic/syntactic halves): both accuracies on the same resampled word
    pairs (`pair_bootstrap`), p from the bootstrap z test (`statistics.bootstrap_z_p`) with the
    resampling p kept as a secondary field. With `n_boot` 0: McNemar's exact test instead
    (conditional on the question set)."""
    if not n_boot:
        return mcnemar_tests(aset, name_a, name_b, pa, pb, sections)
    both = pa.answered & pb.answered
    wanted = [(s, m) for s, m in aset.sections().items() if s in sections and (both & m).any()]
    methods = [m for m in pa.correct if m in pb.correct]
    if not wanted or not methods:
        return []
    cols = [both & m for _, m in wanted]
    for method in methods:
        diff = pb.correct[method].astype(float) - pa.correct[method].astype(float)
        cols += [np.where(both & m, diff, 0.0) for _, m in wanted]
    boot = pair_bootstrap(aset, np.stack(cols, axis=1), n_boot, seed)
    tests = []
    for i, method in enumerate(methods):
        ca, cb = pa.correct[method], pb.correct[method]
        for j, (section, members) in enumerate(wanted):
            use = both & members
            n = int(use.sum())
            va, vb = 100.0 * ca[use].mean(), 100.0 * cb[use].mean()
            delta = vb - va
            with np.errstate(invalid="ignore", divide="ignore"):
                draws = 100.0 * boot[:, len(wanted) * (1 + i) + j] / boot[:, j]
            ok = draws[np.isfinite(draws)]
            low, high = statistics._percentiles(draws, level)
            se = float(ok.std(ddof=1)) if len(ok) > 1 else math.nan
            if abs(delta) < 1e-9:
                p = p_res = 1.0
            else:
                p = statistics.bootstrap_z_p(delta, se)
                extreme = np.abs(ok - delta) >= abs(delta) - 1e-9
                p_res = float(min(1.0, (1.0 + extreme.sum()) / (1.0 + len(ok))))
            tests.append(PairedTest(aset.name, section, METRIC[method], name_a, name_b, va, vb,
                                    delta, low, high, float(p), "pair-cluster bootstrap-z", n,
                                    p_resample=p_res, p_floor=1.0 / (1.0 + len(ok))))
    return tests


def mcnemar_tests(aset: AnalogySet, name_a: str, name_b: str, pa: AnalogyPredictions,
                  pb: AnalogyPredictions, sections=TESTED_SECTIONS) -> list[PairedTest]:
    """Exact McNemar test per method on the questions both embeddings answered (the whole set,
    and Google's semantic/syntactic halves): a two-sided binomial test on the discordant
    questions (scipy's binomtest). Conditional on the question set: it treats questions as
    independent, which questions sharing word pairs are not (`paired_analogy_tests`)."""
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
