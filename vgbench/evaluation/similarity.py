"""Word similarity: Spearman x100 between cosine and gold, with a stated OOV and case policy.

Cosines are computed in float64 (float32 noise reorders tied pairs). A pair with an
out-of-vocabulary word is skipped (oov="skip") or scored 0 (oov="zero"); either way `n_used`
counts the pairs whose two words were found, so coverage sits next to every number.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vgbench.datasets.word_pairs import WordPairs
from vgbench.embeddings.core import Embeddings
from vgbench.evaluation import statistics
from vgbench.evaluation.policy import DEFAULT, OOV_POLICIES, Policy
from vgbench.evaluation.results import Score


@dataclass
class PairPredictions:
    """Cosines for every pair (nan where a word is missing) and which pairs are covered."""
    cosine: np.ndarray
    covered: np.ndarray


def predict_pairs(emb: Embeddings, pairs: WordPairs, case: str) -> PairPredictions:
    """Cosine of each pair's words looked up under `case` (a Policy's `case`)."""
    rows1, rows2 = emb.rows(pairs.word1, case), emb.rows(pairs.word2, case)
    covered = (rows1 >= 0) & (rows2 >= 0)
    a = emb.vectors[rows1[covered]].astype(np.float64)
    b = emb.vectors[rows2[covered]].astype(np.float64)
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    cos = np.full(len(pairs), np.nan)
    cos[covered] = np.einsum("ij,ij->i", a, b) / np.where(norms == 0, 1.0, norms)
    return PairPredictions(cos, covered)


def scored_values(pred: PairPredictions, oov: str) -> tuple[np.ndarray, np.ndarray]:
    """(predictions, mask of pairs that enter the correlation) under the OOV policy."""
    if oov == "skip":
        return pred.cosine, pred.covered
    if oov == "zero":
        return np.where(pred.covered, pred.cosine, 0.0), np.ones_like(pred.covered)
    raise ValueError(f"unknown OOV policy {oov!r}; expected one of {', '.join(OOV_POLICIES)}")


def no_correlation_reason(gold: np.ndarray, pred: np.ndarray, n_covered: int, n_total: int) -> str:
    """Why a correlation is undefined, in words a table can show ("" when it is defined)."""
    if len(gold) < 3:
        if n_covered < n_total and len(gold) < n_total:
            return f"only {len(gold)} of {n_total} pairs covered (a correlation needs 3)"
        return f"only {len(gold)} pairs (a correlation needs 3)"
    if np.ptp(gold) == 0:
        return "gold scores are constant"
    if np.ptp(pred) == 0:
        return "predicted similarities are all equal (e.g. all-zero vectors)"
    return ""


def evaluate_pairs(emb_name: str, pairs: WordPairs, pred: PairPredictions,
                   policy: Policy = DEFAULT, restrict: np.ndarray | None = None) -> list[Score]:
    """One Score per section (just "All" for sets without sections), under the policy's OOV
    handling, with its bootstrap CIs.

    restrict: an optional mask of pairs to use (e.g. the pairs every compared embedding covers).
    """
    values, usable = scored_values(pred, policy.oov)
    if restrict is not None:
        usable = usable & restrict
    sections = pairs.sections or {"All": np.ones(len(pairs), bool)}
    scores = []
    for section, members in sections.items():
        use = usable & members
        n_total = int(members.sum() if restrict is None else (members & restrict).sum())
        n_cov = int((pred.covered & members & (restrict if restrict is not None else True)).sum())
        reason = no_correlation_reason(pairs.gold[use], values[use], n_cov, n_total)
        if reason:
            value, lo, hi = float("nan"), None, None
        else:
            value = statistics.correlation(pairs.gold[use], values[use], "spearman")
            lo = hi = None
            if policy.n_boot:
                lo, hi = statistics.bootstrap_ci(pairs.gold[use], values[use], "spearman",
                                                 n_boot=policy.n_boot, seed=policy.seed,
                                                 level=policy.level)
        scores.append(Score(emb_name, "similarity", pairs.name, section, "spearman", value,
                            lo, hi, n_cov, n_total, reason))
    return scores
