"""Correlations (x100), bootstrap confidence intervals and paired tests for evaluation scores.

Why: a benchmark score alone does not say whether embedding B really beats embedding A; word-
similarity sets have a few hundred to a few thousand pairs, so gaps of 1-3 points are often noise.
Every number in a report gets a percentile-bootstrap CI, and comparisons get a paired test.

Speed: the bootstrap never sorts a resample. A resample is a matrix of draw counts (how often each
pair was drawn); the average rank of a value in the resample follows from the cumulative counts of
the tie groups of the original data, which is exactly what ``scipy.stats.rankdata`` would give on
the resampled array. So 1,000 Spearman resamples of 3,000 pairs cost a few array passes, not 2,000
sorts. All arithmetic is float64: float32 cosines reorder near-ties, which moves a Spearman score.
"""
from __future__ import annotations

import logging
import math
from typing import Sequence

import numpy as np

from vgbench.evaluation.policy import AGGREGATES, DEFAULT, STS_AGGREGATE

log = logging.getLogger(__name__)

METRICS = ("spearman", "pearson")
# Cells of one (resamples x pairs) matrix per chunk: bounds memory to ~16 MB per float64 array
# whatever the data size, without changing the random stream (chunks draw rows in order).
_CHUNK_CELLS = 2_000_000


# ---------------------------------------------------------------- input checks

def _check_metric(metric: str) -> str:
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}: expected one of {', '.join(METRICS)}")
    return metric


def _check_vectors(gold, *preds) -> list[np.ndarray]:
    """float64 1-D copies of the inputs, all the same length, all finite, at least 3 pairs."""
    arrays = []
    names = ["gold", "pred"] if len(preds) == 1 else ["gold", "pred_a", "pred_b"]
    for name, x in zip(names, (gold, *preds)):
        a = np.asarray(x, dtype=np.float64)
        if a.ndim != 1:
            raise ValueError(f"{name} must be a 1-D sequence of numbers, got shape {a.shape}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} contains NaN or infinite values at positions "
                             f"{np.flatnonzero(~np.isfinite(a))[:5].tolist()}")
        arrays.append(a)
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError("gold and predictions must have the same length, got "
                         + ", ".join(str(len(a)) for a in arrays))
    if n < 3:
        raise ValueError(f"a correlation needs at least 3 pairs, got {n}")
    return arrays


def _check_level(level: float, n_boot: int) -> None:
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), got {level}")
    if int(n_boot) < 1:
        raise ValueError(f"n_boot must be a positive number of resamples, got {n_boot}")


def _group_members(groups, n: int, aggregate: str) -> list[np.ndarray]:
    """Indices of the pairs of each group, in order of first label; one group when None."""
    if aggregate not in AGGREGATES:
        raise ValueError(f"unknown aggregate {aggregate!r}: expected one of "
                         f"{', '.join(AGGREGATES)}")
    if groups is None:
        return [np.arange(n)]
    labels = np.asarray(groups)
    if labels.shape != (n,):
        raise ValueError(f"groups must give one label per pair: {n} pairs, got shape "
                         f"{labels.shape}")
    uniq, first, inv = np.unique(labels, return_index=True, return_inverse=True)
    members = [np.flatnonzero(inv == k) for k in np.argsort(first, kind="stable")]
    small = [str(uniq[inv[m[0]]]) for m in members if len(m) < 3]
    if small:
        raise ValueError(f"groups {', '.join(small)} have fewer than 3 pairs: a correlation "
                         "per group needs at least 3")
    return members


# ---------------------------------------------------------------- correlation core

def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    dx, dy = x - x.mean(), y - y.mean()
    den = math.sqrt(float(dx @ dx) * float(dy @ dy))
    return float(dx @ dy) / den if den > 0 else math.nan


def correlation(gold: Sequence[float], pred: Sequence[float], metric: str = "spearman") -> float:
    """Spearman (Pearson on average ranks, ties averaged) or Pearson correlation, x100.

    NaN when either side is constant (the correlation is undefined), so a table shows a gap
    rather than a made-up 0.
    """
    _check_metric(metric)
    g, p = _check_vectors(gold, pred)
    if metric == "spearman":
        from vgbench.evaluation.ranks import rankdata  # scipy.stats's, without its import cost
        g, p = rankdata(g), rankdata(p)
    return 100.0 * _pearson(g, p)


class _Ties:
    """Tie structure of one vector, so that resample ranks need no sort (see module docstring)."""

    def __init__(self, x: np.ndarray):
        _, self.inv, counts = np.unique(x, return_inverse=True, return_counts=True)
        self.order = np.argsort(self.inv, kind="stable")
        self.starts = np.concatenate(([0], np.cumsum(counts)[:-1]))

    def ranks(self, w: np.ndarray) -> np.ndarray:
        """(rows, k) average ranks of each value in each resample given draw counts w (rows, k).

        A value drawn 0 times gets a rank too; its weight 0 makes it irrelevant.
        """
        c = np.add.reduceat(w[:, self.order], self.starts, axis=1)
        rank_of_tie = np.cumsum(c, axis=1) - (c - 1) / 2.0
        return rank_of_tie[:, self.inv]


def _weighted_pearson(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row-wise Pearson of x and y where each pair counts w times; x, y are (k,) or (rows, k)."""
    m = w.sum(axis=1, keepdims=True)
    dx = x - (w * x).sum(axis=1, keepdims=True) / m
    dy = y - (w * y).sum(axis=1, keepdims=True) / m
    wdx = w * dx
    cov = (wdx * dy).sum(axis=1)
    den = np.sqrt((wdx * dx).sum(axis=1) * (w * dy * dy).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, cov / np.where(den > 0, den, 1.0), np.nan)


class _Scorer:
    """Aggregated correlation(s) x100 of one or more predictors, for any draw-count matrix.

    The point estimate is the same computation with every pair drawn once, so the bootstrap
    distribution and the reported value can never disagree in definition.
    """

    def __init__(self, gold: np.ndarray, preds: list[np.ndarray], metric: str,
                 members: list[np.ndarray], aggregate: str):
        self.metric, self.n = metric, len(gold)
        self.units = [np.arange(self.n)] if aggregate == "all" else members
        sizes = np.array([len(u) for u in self.units], dtype=np.float64)
        self.weights = sizes / sizes.sum() if aggregate == "wmean" else np.full(
            len(self.units), 1.0 / len(self.units))
        self.data = []
        for u in self.units:
            vecs = [gold[u]] + [p[u] for p in preds]
            ties = [_Ties(v) for v in vecs] if metric == "spearman" else None
            self.data.append((vecs, ties))

    def __call__(self, w: np.ndarray) -> np.ndarray:
        """(n_preds, rows) scores for draw counts w of shape (rows, n)."""
        out = 0.0
        for unit, (vecs, ties), weight in zip(self.units, self.data, self.weights):
            wu = w[:, unit]
            if ties is None:
                vals = vecs
            else:
                vals = [t.ranks(wu) for t in ties]
            r = np.stack([_weighted_pearson(wu, vals[0], v) for v in vals[1:]])
            out = out + weight * r
        return 100.0 * out

    def point(self) -> np.ndarray:
        return self(np.ones((1, self.n)))[:, 0]


def _draw(members: list[np.ndarray], rows: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Positions drawn with replacement within each group: one (rows, len(group)) array each.

    One uniform matrix per call, consumed row by row, so drawing 1,000 rows at once or in
    chunks gives the same resamples for a given seed.
    """
    u = rng.random((rows, sum(len(m) for m in members)))
    out, start = [], 0
    for m in members:
        k = len(m)
        out.append(np.minimum((u[:, start:start + k] * k).astype(np.int64), k - 1))
        start += k
    return out


def _count_chunks(members: list[np.ndarray], n: int, n_boot: int, seed):
    """Yield draw-count matrices (rows, n), chunk by chunk; groups never exchange pairs."""
    rng = np.random.default_rng(seed)
    chunk = max(1, _CHUNK_CELLS // n)
    for start in range(0, n_boot, chunk):
        rows = min(chunk, n_boot - start)
        w = np.zeros((rows, n))
        for m, idx in zip(members, _draw(members, rows, rng)):
            k = len(m)
            flat = (idx + (np.arange(rows) * k)[:, None]).ravel()
            w[:, m] = np.bincount(flat, minlength=rows * k).reshape(rows, k)
        yield w


def _distribution(scorer: _Scorer, members, n: int, n_boot: int, seed) -> np.ndarray:
    return np.concatenate([scorer(w) for w in _count_chunks(members, n, int(n_boot), seed)],
                          axis=1)


def _percentiles(values: np.ndarray, level: float) -> tuple[float, float]:
    ok = values[np.isfinite(values)]
    if len(ok) < len(values):
        log.debug("%d of %d bootstrap resamples gave an undefined correlation and were dropped",
                  len(values) - len(ok), len(values))
    if not len(ok):
        return math.nan, math.nan
    low, high = np.quantile(ok, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


# ---------------------------------------------------------------- public API

def bootstrap_ci(gold: Sequence[float], pred: Sequence[float], metric: str = "spearman",
                 n_boot: int = DEFAULT.n_boot, seed=DEFAULT.seed, level: float = DEFAULT.level,
                 groups=None, aggregate: str = STS_AGGREGATE) -> tuple[float, float]:
    """Percentile-bootstrap CI (x100) of the correlation between gold and pred.

    Pairs are resampled with replacement. With ``groups`` (one label per pair, e.g. the STS subset
    of each pair) each group is resampled on its own (stratified: group sizes stay fixed, pairs
    never move between groups), the correlation is computed per group and combined as the
    reported score is: "mean" (plain mean over groups, SentEval's STS headline), "wmean" (weighted
    by group size) or "all" (one correlation over all groups' resampled pairs together).
    Resamples whose correlation is undefined (a constant side) are dropped.
    """
    _check_metric(metric)
    _check_level(level, n_boot)
    g, p = _check_vectors(gold, pred)
    members = _group_members(groups, len(g), aggregate)
    dist = _distribution(_Scorer(g, [p], metric, members, aggregate), members, len(g), n_boot,
                         seed)[0]
    return _percentiles(dist, level)


def correlation_by_group(gold: Sequence[float], pred: Sequence[float], groups,
                         aggregate: str = STS_AGGREGATE, metric: str = "spearman") -> float:
    """The score :func:`bootstrap_ci` gives an interval for: per-group correlations x100
    combined by ``aggregate`` ("mean", "wmean" by group size, or "all" pooled)."""
    _check_metric(metric)
    g, p = _check_vectors(gold, pred)
    members = _group_members(groups, len(g), aggregate)
    return float(_Scorer(g, [p], metric, members, aggregate).point()[0])


def paired_bootstrap(gold: Sequence[float], pred_a: Sequence[float], pred_b: Sequence[float],
                     metric: str = "spearman", n_boot: int = DEFAULT.n_boot, seed=DEFAULT.seed,
                     level: float = DEFAULT.level, groups=None,
                     aggregate: str = STS_AGGREGATE) -> dict[str, float]:
    """Does predictor b correlate better with gold than predictor a? Paired bootstrap, x100.

    Both predictors are scored on the *same* resampled pairs (stratified by ``groups`` and
    aggregated as in :func:`bootstrap_ci`), which cancels the difficulty of the particular pairs.
    Returns ``delta`` = score(b) - score(a) on the original pairs, its percentile CI, its
    bootstrap standard error ``se`` and two two-sided p-values for H0 "delta = 0":

    - ``p_value``: the bootstrap z test, 2 * Phi(-|delta| / se) with se the standard deviation of
      the paired bootstrap deltas (Efron & Tibshirani 1993, sec. 16.4). It is not bounded below
      by the number of resamples, so a Holm correction over a family of a hundred tests can
      still reject with B = 1,000 (a resampling p cannot go below 1/(B+1)).
    - ``p_resample``: the Monte Carlo p of the bootstrap distribution recentred at zero (Hall &
      Wilson 1991), (1 + #{|delta* - delta| >= |delta|}) / (1 + B); ``p_floor`` = 1/(1 + B) is
      its resolution, so a value at the floor means "p <= p_floor".

    Identical predictors give delta 0 and both p-values 1.
    """
    _check_metric(metric)
    _check_level(level, n_boot)
    g, a, b = _check_vectors(gold, pred_a, pred_b)
    members = _group_members(groups, len(g), aggregate)
    scorer = _Scorer(g, [a, b], metric, members, aggregate)
    point = scorer.point()
    delta = float(point[1] - point[0])
    dist = _distribution(scorer, members, len(g), n_boot, seed)
    diffs = dist[1] - dist[0]
    low, high = _percentiles(diffs, level)
    ok = diffs[np.isfinite(diffs)]
    if not len(ok) or not math.isfinite(delta):
        p_value = p_resample = se = math.nan
    else:
        extreme = np.abs(ok - delta) >= abs(delta) - 1e-9  # tolerance: float noise at delta = 0
        p_resample = min(1.0, (1.0 + extreme.sum()) / (1.0 + len(ok)))
        se = float(ok.std(ddof=1)) if len(ok) > 1 else math.nan
        p_value = bootstrap_z_p(delta, se)
    return {"delta": delta, "ci_low": low, "ci_high": high, "p_value": float(p_value),
            "se": se, "p_resample": float(p_resample),
            "p_floor": 1.0 / (1.0 + len(ok)) if len(ok) else math.nan}


def bootstrap_z_p(delta: float, se: float) -> float:
    """Two-sided p of z = delta / se; 1 when delta is 0 (within float noise), NaN if se is."""
    if not (math.isfinite(delta) and math.isfinite(se)):
        return math.nan
    if abs(delta) < 1e-9:
        return 1.0
    if se <= 0:
        return 0.0
    from scipy.stats import norm
    return float(2 * norm.sf(abs(delta) / se))


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (Holm 1979), in the input order.

    The family is every finite p given; NaN stays NaN. Reject H_i at level alpha when its
    adjusted p <= alpha: this controls the family-wise error rate without assuming independence.
    """
    p = np.asarray(p_values, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = len(ok)
    if not m:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adj, 1.0)
    return out


def format_p(p: float, floor: float | None = None) -> str:
    """A p-value at the precision it has: '≤ 0.001' at a resampling floor of 1/1001, three
    decimals from 0.001 up, two significant digits below."""
    if p is None or not math.isfinite(p):
        return "–"
    if floor is not None and math.isfinite(floor) and p <= floor * (1 + 1e-9):
        exp = math.floor(math.log10(floor))  # one significant digit, rounded up
        mant = math.ceil(floor / 10 ** exp - 1e-9)
        digits = -exp - 1 if mant == 10 else -exp
        return f"≤ {mant * 10.0 ** exp:.{max(digits, 0)}f}"
    if p >= 0.001:
        return f"{p:.3f}"
    return f"{p:.1e}".replace("e-0", "e-")


def steiger_test(gold: Sequence[float], pred_a: Sequence[float], pred_b: Sequence[float],
                 metric: str = "spearman") -> dict[str, float]:
    """Steiger's (1980) Z test for two dependent correlations sharing the gold variable.

    Tests H0: rho(gold, a) = rho(gold, b) using r_ga, r_gb and the predictors' own correlation
    r_ab (Steiger 1980, eq. 14 with the pooled r-bar; cocor's "steiger1980"), as Rastogi et al.
    (2015) did for word similarity. For Spearman the test is applied to ranks with Bonett &
    Wright's (2000) variance correction: Fisher's z of a rank correlation has variance
    (1 + r^2 / 2) / (n - 3), not 1 / (n - 3), so Z is divided by sqrt(1 + r-bar^2 / 2). Without
    it the test rejected a true null 6.5% of the time at alpha = 5% (tests/test_statistics.py
    measures the corrected size). Returns ``z`` (positive when b correlates better), the
    two-sided ``p_value`` and ``delta`` = (r_gb - r_ga) x 100.
    """
    _check_metric(metric)
    g, a, b = _check_vectors(gold, pred_a, pred_b)
    n = len(g)
    if n < 4:
        raise ValueError(f"Steiger's test needs at least 4 pairs (n - 3 > 0), got {n}")
    from scipy.stats import norm

    from vgbench.evaluation.ranks import rankdata
    if metric == "spearman":
        g, a, b = rankdata(g), rankdata(a), rankdata(b)
    r_ga, r_gb, r_ab = _pearson(g, a), _pearson(g, b), _pearson(a, b)
    z = _steiger_z(r_ga, r_gb, r_ab, n)
    if metric == "spearman" and math.isfinite(z):
        z /= math.sqrt(bonett_wright_factor((r_ga + r_gb) / 2))
    p_value = math.nan if math.isnan(z) else float(2 * norm.sf(abs(z)))
    return {"z": z, "p_value": p_value, "delta": 100.0 * (r_gb - r_ga)}


def bonett_wright_factor(r: float) -> float:
    """Bonett & Wright (2000): Var(atanh(r_s)) ~ (1 + r^2 / 2) / (n - 3) for Spearman's r_s;
    this is the factor over Pearson's 1 / (n - 3)."""
    return 1.0 + r * r / 2.0


def _steiger_z(r_ga: float, r_gb: float, r_ab: float, n: int) -> float:
    """Steiger's Z1* from the three correlations; NaN when one of them is undefined."""
    if not all(map(math.isfinite, (r_ga, r_gb, r_ab))):
        return math.nan
    clip = 1 - 1e-12
    diff = math.atanh(max(-clip, min(clip, r_gb))) - math.atanh(max(-clip, min(clip, r_ga)))
    rbar2 = ((r_ga + r_gb) / 2) ** 2
    psi = r_ab * (1 - 2 * rbar2) - 0.5 * rbar2 * (1 - 2 * rbar2 - r_ab ** 2)
    s = psi / (1 - rbar2) ** 2 if rbar2 < 1 else 1.0
    if abs(diff) < 1e-12:
        return 0.0
    if 2 - 2 * s <= 0:  # predictors perfectly correlated yet different correlations: no noise
        return math.copysign(math.inf, diff)
    return diff * math.sqrt(n - 3) / math.sqrt(2 - 2 * s)
