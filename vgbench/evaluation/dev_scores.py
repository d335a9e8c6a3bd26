"""Scores of a grounder on held-out dev word pairs, for the trainer's per-epoch selection and
learning curves: the trainer takes them as an injected evaluator (grounding sits below evaluation).
"""
from __future__ import annotations

from typing import Callable

from vgbench.datasets.registry import load_similarity
from vgbench.embeddings import load_embeddings
from vgbench.embeddings.core import Embeddings
from vgbench.evaluation.policy import DEFAULT, LOAD_CASE, Policy
from vgbench.evaluation.similarity import evaluate_pairs, predict_pairs
from vgbench.grounding.grounder import Grounder

# Held-out dev splits of two benchmarks, for model selection that does not peek at the test pairs:
# name -> built-in set (MEN's lemma-form dev file loses its POS suffixes; see vgbench.datasets).
DEV_SETS = {"men-dev": "MEN-dev", "simverb-dev": "SimVerb-dev"}


def dev_pairs(name: str, data_root: str | None = None):
    """A DEV_SETS entry as the suite's WordPairs. The dev sets ship with vgbench, so `data_root`
    is not needed; it is accepted for callers that pass one."""
    if name not in DEV_SETS:
        raise ValueError(f"unknown dev set {name!r}; expected one of {', '.join(DEV_SETS)}")
    pairs = load_similarity(DEV_SETS[name])
    pairs.name = name
    return pairs


def quick_scores(grounder: Grounder, sets: list[str], data_root: str | None = None) -> dict[str, float]:
    """Spearman x100 of the grounded vectors on dev word-pair sets, scored by the evaluation suite
    (the default policy's case lookup and OOV rule, no bootstrap)."""
    if not grounder.textual:
        raise ValueError("the grounder records no textual source to evaluate")
    benches = [dev_pairs(n, data_root) for n in sets]
    words = frozenset(w for p in benches for w in p.word1 + p.word2)
    emb = grounder.ground_embeddings(_textual(grounder.textual, words), name="epoch")
    out = {}
    for pairs in benches:
        score = evaluate_pairs("epoch", pairs, predict_pairs(emb, pairs, DEFAULT.case),
                               Policy.of(DEFAULT, n_boot=0))[0]
        out[pairs.name] = float(score.value)
    return out


def dev_scorer(sets: list[str], data_root: str | None = None) -> Callable[[Grounder], dict[str, float]]:
    """The trainer's `evaluator`: quick_scores on `sets` (train.eval_sets) after each epoch."""
    return lambda grounder: quick_scores(grounder, sets, data_root)


_CACHE: dict[tuple[str, frozenset], Embeddings] = {}


def _textual(source: str, words: frozenset[str]) -> Embeddings:
    """Textual vectors of `words` (read once per process: every epoch grounds the same words)."""
    key = (source, words)
    if key not in _CACHE:
        _CACHE[key] = load_embeddings(source, words=words, case=LOAD_CASE)
    return _CACHE[key]
