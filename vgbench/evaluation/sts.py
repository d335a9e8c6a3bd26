"""STS the way SentEval scores its bag-of-words baseline.

Sentence = mean of its in-vocabulary token vectors (an empty sentence becomes "."; a sentence
with no known token becomes the zero vector), cosine in float64, Pearson and Spearman per
subset, then per year: the plain mean over subsets (SentEval's `all.pearson.mean`, the paper's
headline), the size-weighted mean (`wmean`), and one correlation over all pairs concatenated
(`all`, what newer papers report).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vgbench.datasets import registry
from vgbench.datasets.sts import STSSet
from vgbench.embeddings.core import Embeddings
from vgbench.evaluation import statistics
from vgbench.evaluation.policy import DEFAULT, Policy
from vgbench.evaluation.results import Score
from vgbench.evaluation.similarity import no_correlation_reason

AGGREGATES = statistics.AGGREGATES
METRICS = registry.TASK_METRICS["sts"]  # the order scores are stored in


@dataclass
class STSPredictions:
    """Per pair of the whole set: cosine, gold, subset label; plus token coverage."""
    cosine: np.ndarray
    gold: np.ndarray
    groups: np.ndarray
    tokens: int
    tokens_found: int
    subsets: int  # groups are 0 .. subsets - 1


def sentence_matrix(emb: Embeddings, sentences: list[list[str]], case: str) -> tuple[np.ndarray, int, int]:
    """Mean vector per sentence (float64), and (tokens, tokens found)."""
    lookup: dict[str, int] = {}
    rows, starts, total = [], [], 0
    for sent in sentences:
        sent = sent or ["."]
        starts.append(len(rows))
        total += len(sent)
        for tok in sent:
            r = lookup.get(tok)
            if r is None:
                r = lookup[tok] = emb.row(tok, case)
            if r >= 0:
                rows.append(r)
    found = len(rows)
    counts = np.diff(np.append(starts, len(rows)))
    out = np.zeros((len(sentences), emb.dim), dtype=np.float64)
    if rows:
        vecs = emb.vectors[np.array(rows)].astype(np.float64)
        nonempty = counts > 0
        sums = np.add.reduceat(vecs, np.array(starts)[nonempty], axis=0)
        out[nonempty] = sums / counts[nonempty, None]
    return out, total, found


def predict_sts(emb: Embeddings, sts: STSSet, case: str) -> STSPredictions:
    """Cosine of each pair's mean token vectors, tokens looked up under `case` (a Policy's
    `sts_case`)."""
    cos, gold, groups, tokens, found = [], [], [], 0, 0
    for g, sub in enumerate(sts.subsets):
        a, ta, fa = sentence_matrix(emb, sub.sent1, case)
        b, tb, fb = sentence_matrix(emb, sub.sent2, case)
        norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
        cos.append(np.einsum("ij,ij->i", a, b) / np.where(norms == 0, 1.0, norms))
        gold.append(sub.gold)
        groups.append(np.full(len(sub), g))
        tokens += ta + tb
        found += fa + fb
    return STSPredictions(np.concatenate(cos), np.concatenate(gold), np.concatenate(groups), tokens,
                          found, len(sts.subsets))


def subset_correlations(pred: STSPredictions, metric: str) -> list[tuple[float, str]]:
    """Each subset's correlation (NaN where undefined) and why it is undefined ("" if it is)."""
    out = []
    for g in range(pred.subsets):
        m = pred.groups == g
        reason = no_correlation_reason(pred.gold[m], pred.cosine[m], int(m.sum()), int(m.sum()))
        out.append((math.nan if reason else statistics.correlation(pred.gold[m], pred.cosine[m], metric),
                    reason))
    return out


def subset_mean(pred: STSPredictions, metric: str) -> float:
    """SentEval's per-year headline: the plain mean of the subsets' correlations."""
    return float(np.mean([value for value, _ in subset_correlations(pred, metric)]))


def evaluate_sts(emb_name: str, sts: STSSet, pred: STSPredictions,
                 policy: Policy = DEFAULT) -> list[Score]:
    """Scores per subset and per aggregate, for Pearson and Spearman, with the policy's CIs."""
    scores = []
    n = len(pred.gold)
    boot = {"n_boot": policy.n_boot, "seed": policy.seed, "level": policy.level}
    for metric in METRICS:
        per_subset = subset_correlations(pred, metric)
        for g, (sub, (value, reason)) in enumerate(zip(sts.subsets, per_subset)):
            m = pred.groups == g
            lo, hi = (statistics.bootstrap_ci(pred.gold[m], pred.cosine[m], metric, **boot)
                      if policy.n_boot and not reason else (None, None))
            scores.append(Score(emb_name, "sts", sts.name, sub.name, metric, value, lo, hi,
                                int(m.sum()), int(m.sum()), reason))
        values = [value for value, _ in per_subset]
        sizes = np.array([len(s) for s in sts.subsets], dtype=np.float64)
        aggregates = {"mean": float(np.mean(values)),
                      "wmean": float(np.average(values, weights=sizes)),
                      "all": (math.nan if no_correlation_reason(pred.gold, pred.cosine, n, n)
                              else statistics.correlation(pred.gold, pred.cosine, metric))}
        for agg in AGGREGATES:
            lo, hi = (statistics.bootstrap_ci(pred.gold, pred.cosine, metric, groups=pred.groups,
                                              aggregate=agg, **boot)
                      if policy.n_boot and np.isfinite(aggregates[agg]) else (None, None))
            note = "" if np.isfinite(aggregates[agg]) else (
                no_correlation_reason(pred.gold, pred.cosine, n, n) or "a subset has no correlation")
            scores.append(Score(emb_name, "sts", sts.name, agg, metric, aggregates[agg], lo, hi, n, n,
                                note))
    return scores
