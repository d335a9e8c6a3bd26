"""Bootstrap CI and paired test for a mean over several benchmark sets (the tables' Mean columns).

Why not combine the sets' own CIs: readers look at the six-set similarity mean and the STS mean
first, so they get the same inference as a single set. Every bootstrap draw resamples the pairs
of *every* set (within each STS subset), scores each set as its table does (a correlation, or the
plain mean of the subsets' correlations), and averages the sets: the CI is the percentile interval
of those means; the paired test scores both embeddings on the same draws and reports the
bootstrap-z p of the difference of means, as the per-set paired test does.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from vgbench.evaluation.policy import DEFAULT

# The Mean columns: (label, task, the sets averaged, metric). Scores and tests of a mean are
# stored under the label as dataset, section "All", task "mean".
SIMILARITY_MEAN = "Similarity mean"
STS_MEAN = "STS mean"

_CHUNK_CELLS = 4_000_000  # draws x pairs per chunk: bounded memory for any number of resamples


@dataclass
class SetSample:
    """One set's scored pairs: gold, one value vector per predictor (same pairs), the metric
    ("spearman" or "pearson") and the strata (STS subset of each pair; None: one stratum).
    The set's score is the plain mean over strata of the correlation in each."""
    gold: np.ndarray
    preds: Sequence[np.ndarray]
    metric: str
    groups: np.ndarray | None = None

    def strata(self) -> list[np.ndarray]:
        """Row indices of each stratum the bootstrap resamples within (an STS year's subsets;
        one stratum otherwise)."""
        if self.groups is None:
            return [np.arange(len(self.gold))]
        labels = np.asarray(self.groups)
        return [np.flatnonzero(labels == g) for g in dict.fromkeys(labels.tolist())]


def _rowwise_correlation(x: np.ndarray, y: np.ndarray, metric: str) -> np.ndarray:
    """Correlation x100 of each row of x with the same row of y (NaN where a side is constant)."""
    if metric == "spearman":
        from scipy.stats import rankdata  # row-wise ranks; imported only when a mean is resampled
        x, y = rankdata(x, axis=1), rankdata(y, axis=1)
    dx = x - x.mean(axis=1, keepdims=True)
    dy = y - y.mean(axis=1, keepdims=True)
    den = np.sqrt((dx * dx).sum(axis=1) * (dy * dy).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * np.where(den > 0, (dx * dy).sum(axis=1) / np.where(den > 0, den, 1), np.nan)


def _set_scores(sample: SetSample, draws: list[np.ndarray] | None) -> np.ndarray:
    """(n_preds, rows) scores of one set; `draws` holds each stratum's (rows, size) positions,
    None for the original pairs."""
    total = 0.0
    strata = sample.strata()
    for k, members in enumerate(strata):
        idx = members[None, :] if draws is None else members[draws[k]]
        gold = sample.gold[idx]
        total = total + np.stack([_rowwise_correlation(gold, p[idx], sample.metric)
                                  for p in sample.preds])
    return total / len(strata)


def _mean_distribution(samples: Sequence[SetSample], n_boot: int, seed) -> np.ndarray:
    """(n_preds, n_boot) means over the sets, every set resampled in each draw."""
    rng = np.random.default_rng(seed)
    sizes = [[len(m) for m in s.strata()] for s in samples]
    chunk = max(1, _CHUNK_CELLS // max(1, sum(map(sum, sizes))))
    out = []
    for start in range(0, n_boot, chunk):
        rows = min(chunk, n_boot - start)
        per_set = [_set_scores(s, [rng.integers(0, k, size=(rows, k)) for k in ks])
                   for s, ks in zip(samples, sizes)]
        out.append(np.mean(per_set, axis=0))
    return np.concatenate(out, axis=1)


def _check(samples: Sequence[SetSample], n_preds: int, level: float, n_boot: int) -> None:
    if not samples:
        raise ValueError("a mean over sets needs at least one set")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), got {level}")
    if int(n_boot) < 1:
        raise ValueError(f"n_boot must be a positive number of resamples, got {n_boot}")
    for s in samples:
        if len(s.preds) != n_preds or any(len(p) != len(s.gold) for p in s.preds):
            raise ValueError(f"each set needs {n_preds} prediction vector(s) as long as its gold")
        if any(len(m) < 3 for m in s.strata()):
            raise ValueError("every set (and STS subset) needs at least 3 pairs for a correlation")


def mean_ci(samples: Sequence[SetSample], n_boot: int = DEFAULT.n_boot, seed=DEFAULT.seed,
            level: float = DEFAULT.level) -> dict[str, float]:
    """The mean of the sets' scores and its percentile-bootstrap CI (x100)."""
    _check(samples, 1, level, n_boot)
    point = float(np.mean([_set_scores(s, None)[0, 0] for s in samples]))
    dist = _mean_distribution(samples, int(n_boot), seed)[0]
    low, high = _percentiles(dist, level)
    return {"value": point, "ci_low": low, "ci_high": high}


def paired_mean_test(samples: Sequence[SetSample], n_boot: int = DEFAULT.n_boot,
                     seed=DEFAULT.seed, level: float = DEFAULT.level) -> dict[str, float]:
    """Does predictor b (preds[1]) beat a (preds[0]) on the mean over the sets? Both are scored
    on the same draws; delta = mean(b) - mean(a) x100, its percentile CI, the bootstrap-z p
    (2Φ(−|Δ|/SE), SE the SD of the bootstrap deltas) and the resampling p with its floor."""
    _check(samples, 2, level, n_boot)
    point = np.mean([_set_scores(s, None)[:, 0] for s in samples], axis=0)
    dist = _mean_distribution(samples, int(n_boot), seed)
    diffs = dist[1] - dist[0]
    delta = float(point[1] - point[0])
    low, high = _percentiles(diffs, level)
    ok = diffs[np.isfinite(diffs)]
    if len(ok) < 2 or not math.isfinite(delta):
        p_value = p_resample = se = math.nan
    else:
        se = float(ok.std(ddof=1))
        from scipy.stats import norm
        p_value = (1.0 if abs(delta) < 1e-9 else 0.0 if se <= 0
                   else float(2 * norm.sf(abs(delta) / se)))
        p_resample = min(1.0, (1.0 + (np.abs(ok - delta) >= abs(delta) - 1e-9).sum())
                         / (1.0 + len(ok)))
    return {"value_a": float(point[0]), "value_b": float(point[1]), "delta": delta,
            "ci_low": low, "ci_high": high, "se": se, "p_value": float(p_value),
            "p_resample": float(p_resample), "p_floor": 1.0 / (1.0 + len(ok)) if len(ok) else math.nan}


def _percentiles(values: np.ndarray, level: float) -> tuple[float, float]:
    ok = values[np.isfinite(values)]
    if not len(ok):
        return math.nan, math.nan
    low, high = np.quantile(ok, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)
