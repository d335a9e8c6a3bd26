"""Scores by concreteness bin, with bins formed within each data set.

Why within sets: the six similarity sets differ in concreteness (SimVerb and RW are abstract, MEN
concrete) and in how hard they are. With bin edges taken over the pooled pairs the most abstract
fifth is mostly SimVerb and RW and the most concrete mostly MEN, so a pooled curve climbs with the
mix of sets even where no set's own curve does. Here each set is cut at its own quantiles (bin k
holds the k-th fifth of *that set's* rated pairs), each set is scored within each of its bins,
and a bin's pooled score is the mean over sets weighted by their pairs in the bin: every set
contributes to every bin in the same proportion, so the mix of sets cannot make the curve. The
per-set curves are returned too.

Claims per bin: the band drawn for a curve holds jointly over the bins (Bonferroni: each bin's
interval at level 1 - (1 - level) / bins), and per-bin tests are Holm-adjusted over the bins.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vgbench.evaluation import statistics
from vgbench.evaluation.policy import DEFAULT

N_BINS = 5
MIN_SET_PAIRS = 10       # a set enters a bin's pooled score with at least this many pairs there


def within_set_bins(ratings: np.ndarray, sets: np.ndarray,
                    n_bins: int = N_BINS) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Each pair's bin (0 = most abstract, -1 = unrated) from the quantiles of its own set's
    rated pairs, and each set's bin edges."""
    ratings = np.asarray(ratings, dtype=np.float64)
    sets = np.asarray(sets)
    if ratings.shape != sets.shape:
        raise ValueError(f"one set label per pair expected: {ratings.shape} vs {sets.shape}")
    bins = np.full(len(ratings), -1, np.int64)
    edges: dict[str, np.ndarray] = {}
    for name in dict.fromkeys(sets.tolist()):
        mine = sets == name
        rated = mine & np.isfinite(ratings)
        if not rated.any():
            continue
        e = np.quantile(ratings[rated], np.linspace(0, 1, n_bins + 1))
        edges[name] = e
        bins[rated] = np.clip(np.searchsorted(e, ratings[rated], side="right") - 1, 0,
                              n_bins - 1)
    return bins, edges


def joint_level(level: float, n_bins: int) -> float:
    """The per-bin level whose intervals hold jointly over `n_bins` bins (Bonferroni)."""
    return 1 - (1 - level) / max(n_bins, 1)


@dataclass
class BinScore:
    """One bin's score (or B - A difference) x100 with its pointwise and joint intervals."""
    value: float
    ci_low: float = math.nan
    ci_high: float = math.nan
    joint_low: float = math.nan
    joint_high: float = math.nan
    p_value: float = math.nan
    n_used: int = 0


def _kept(labels: np.ndarray, min_set_pairs: int) -> np.ndarray:
    keep = np.zeros(len(labels), bool)
    for lab in np.unique(labels):
        m = labels == lab
        if m.sum() >= min_set_pairs:
            keep |= m
    return keep


def bin_score(gold, preds: list, sets, n_boot: int = DEFAULT.n_boot, seed=DEFAULT.seed,
              level: float = DEFAULT.level, n_bins: int = N_BINS,
              min_set_pairs: int = MIN_SET_PAIRS) -> BinScore:
    """One bin: the pair-weighted mean over sets of Spearman x100 within the bin (one predictor)
    or B - A (two, paired bootstrap within sets), with pointwise and joint (over `n_bins` bins)
    bootstrap intervals; sets with fewer than `min_set_pairs` pairs in the bin are left out."""
    gold, sets = np.asarray(gold, dtype=np.float64), np.asarray(sets)
    keep = _kept(sets, min_set_pairs)
    if keep.sum() < 3:
        return BinScore(math.nan, n_used=int(keep.sum()))
    g, lab = gold[keep], sets[keep]
    ps = [np.asarray(p, dtype=np.float64)[keep] for p in preds]
    n_used = int(keep.sum())
    wide = joint_level(level, n_bins)
    try:
        if len(ps) == 1:
            value = statistics.correlation_by_group(g, ps[0], lab, "wmean")
            if not n_boot:
                return BinScore(value, n_used=n_used)
            lo, hi = statistics.bootstrap_ci(g, ps[0], n_boot=n_boot, seed=seed, level=level,
                                             groups=lab, aggregate="wmean")
            jlo, jhi = statistics.bootstrap_ci(g, ps[0], n_boot=n_boot, seed=seed, level=wide,
                                               groups=lab, aggregate="wmean")
            return BinScore(value, lo, hi, jlo, jhi, n_used=n_used)
        if not n_boot:
            value = (statistics.correlation_by_group(g, ps[1], lab, "wmean")
                     - statistics.correlation_by_group(g, ps[0], lab, "wmean"))
            return BinScore(value, n_used=n_used)
        res = statistics.paired_bootstrap(g, ps[0], ps[1], n_boot=n_boot, seed=seed, level=level,
                                          groups=lab, aggregate="wmean")
        joint = statistics.paired_bootstrap(g, ps[0], ps[1], n_boot=n_boot, seed=seed,
                                            level=wide, groups=lab, aggregate="wmean")
        return BinScore(res["delta"], res["ci_low"], res["ci_high"], joint["ci_low"],
                        joint["ci_high"], res["p_value"], n_used)
    except ValueError:  # a constant side within a bin: no correlation to report
        return BinScore(math.nan, n_used=n_used)


def holm_over_bins(p_values) -> np.ndarray:
    """Holm-adjusted p of each bin's difference (p-values or BinScores), the family being the
    curve's bins."""
    return statistics.holm([getattr(p, "p_value", p) for p in p_values])


def bin_centers(ratings, bins, use, n_bins: int = N_BINS) -> np.ndarray:
    """Median rating of the pairs in each bin (among `use`): where a chart puts the bin."""
    ratings, bins, use = np.asarray(ratings, float), np.asarray(bins), np.asarray(use, bool)
    return np.array([np.median(ratings[use & (bins == k)]) if (use & (bins == k)).any()
                     else math.nan for k in range(n_bins)])
