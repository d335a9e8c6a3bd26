"""Two-level (hierarchical) bootstrap: rows trained with several seeds, scored on sampled pairs.

Why: a trained row's score varies with its training seed *and* with the test pairs that happened
to be drawn. A paired bootstrap over pairs alone treats the seeds as fixed: with a seed-to-seed
SD comparable to the sampling SD it rejects a true null far more often than alpha
(tests/test_hierarchical.py measures it). A t-test over the seeds' scores treats the pairs as
fixed: the opposite mistake. Here both are random factors, crossed (every seed is scored on the
same pairs), and each bootstrap draw resamples both (Davison & Hinkley 1997, sec. 3.8; for
crossed factors Owen 2007, "The pigeonhole bootstrap", Ann. Appl. Stat.):

- pairs: one resample of each set's pairs, shared by every seed of every row (so comparisons
  stay paired over pairs, as in :func:`statistics.paired_bootstrap`, whose count matrices and
  rank arithmetic are reused here);
- seeds: each row's seeds are drawn with replacement, one draw per bootstrap replicate, the same
  seeds for every set of the statistic (a seed is one trained model for all sets). A row with
  one "seed" (a deterministic control) contributes no seed variance.

Resampling the seeds' observed scores would count twice the pair noise that differs between
seeds (each seed errs on different pairs: that part is already in the pair resamples) and, with
few seeds, shrink their variance by (S - 1) / S. So each replicate adds to the pair-resampled
seed mean the resampled deviations of the seeds from their mean, scaled so that their variance is
the between-seed variance net of pair sampling (`seed_variance`, a method-of-moments estimate),
divided by S: Davison & Hinkley's (1997, sec. 3.8) adjusted resampling of the upper level.

The statistic is |delta| / se with se the SD of the replicates, as in the pair-level bootstrap z
test (`statistics.bootstrap_z_p`), so p is not floored by the number of replicates; the Monte Carlo
p of the recentred distribution is kept as a secondary field with its floor. With 3 seeds the
seed part of se rests on 2 degrees of freedom and a normal reference over-rejects (about 6-8% at
alpha 5%), so the statistic is referred to Student's t with Welch-Satterthwaite degrees of
freedom (the pair part taken as known); with no seed variance this is the z test exactly. The
size is checked by simulation in tests/test_hierarchical.py.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy.stats import t as student_t

from vgbench.evaluation import statistics
from vgbench.evaluation.policy import DEFAULT, STS_AGGREGATE


class PairResamples:
    """A correlation (x100) of any prediction with one set's gold, on the original pairs and on
    `n_boot` resamples of them; every prediction scored by one object sees the same resamples.

    ``groups``/``aggregate`` as in :func:`statistics.bootstrap_ci` (e.g. STS subsets resampled
    within themselves, their correlations averaged). The resamples are those that
    :func:`statistics.paired_bootstrap` draws for the same ``seed``."""

    def __init__(self, gold: Sequence[float], n_boot: int = DEFAULT.n_boot, seed=DEFAULT.seed,
                 metric: str = "spearman", groups=None, aggregate: str = STS_AGGREGATE):
        statistics._check_metric(metric)
        statistics._check_level(0.5, n_boot)
        (self.gold,) = statistics._check_vectors(gold)
        self.metric, self.aggregate, n = metric, aggregate, len(self.gold)
        self.members = statistics._group_members(groups, n, aggregate)
        self.counts = np.concatenate(list(statistics._count_chunks(self.members, n, int(n_boot),
                                                                    seed)))

    def _scorer(self, pred: Sequence[float]):
        (p,) = statistics._check_vectors(pred)
        if len(p) != len(self.gold):
            raise ValueError(f"pred has {len(p)} values for {len(self.gold)} pairs")
        return statistics._Scorer(self.gold, [p], self.metric, self.members, self.aggregate)

    def point(self, pred: Sequence[float]) -> float:
        """The (aggregated) correlation on the original pairs (x100)."""
        return float(self._scorer(pred).point()[0])

    def draws(self, pred: Sequence[float]) -> np.ndarray:
        """(n_boot,) correlations (x100) on the resamples (NaN where a side is constant)."""
        return self._scorer(pred)(self.counts)[0]


def _row(points: list[Sequence[float]], draws: list[Sequence[np.ndarray]], weights: np.ndarray):
    """A row's seed scores averaged over the sets with `weights` (summing to 1): (S,) on the
    pairs, (S, B) on the resamples."""
    pts = [np.asarray(p, dtype=np.float64).ravel() for p in points]
    drs = [np.atleast_2d(np.asarray(d, dtype=np.float64)) for d in draws]
    s, n_boot = drs[0].shape
    if any(len(p) != s for p in pts) or any(d.shape != (s, n_boot) for d in drs):
        raise ValueError("every set needs the row's scores for the same seeds and resamples")
    return (np.tensordot(weights, np.stack(pts), axes=1),
            np.tensordot(weights, np.stack(drs), axes=1))


def seed_variance(points: np.ndarray, draws: np.ndarray) -> float:
    """Between-seed variance of a row's score, net of pair sampling (method of moments).

    The seeds' observed variance s^2 holds the true seed-to-seed variance plus the part of the
    pair-sampling noise that differs between seeds (each seed errs on different pairs); the
    latter is the bootstrap variance of a seed's deviation from the seed mean, times S / (S - 1).
    Their difference, floored at 0, is what the pair resamples do not already carry."""
    s = len(points)
    if s < 2:
        return 0.0
    observed = float(np.var(points, ddof=1))
    dev = draws - np.nanmean(draws, axis=0)
    within = float(np.nanmean(np.nanvar(dev, axis=1, ddof=1))) * s / (s - 1)
    return max(0.0, observed - within)


def _seed_effects(points: np.ndarray, draws: np.ndarray, picks: np.ndarray) -> np.ndarray:
    """(B,) draws of the seed-mean's deviation due to which seeds were trained: the seeds'
    deviations from their mean, scaled so that their resampled mean has variance
    seed_variance / S (Davison & Hinkley 1997, sec. 3.8, adjusted cluster resampling)."""
    s = len(points)
    if s < 2:
        return np.zeros(len(picks))
    dev = points - points.mean()
    spread = float(np.var(points, ddof=1))
    scale = math.sqrt(seed_variance(points, draws) / spread * s / (s - 1)) if spread > 0 else 0.0
    return scale * dev[picks].mean(axis=1)


def two_level_test(points_a: list[Sequence[float]], points_b: list[Sequence[float]],
                   draws_a: list[Sequence[np.ndarray]], draws_b: list[Sequence[np.ndarray]],
                   seed=DEFAULT.seed, level: float = DEFAULT.level,
                   paired_seeds: bool = False,
                   weights: Sequence[float] | None = None) -> dict[str, float]:
    """Is row B's seed-mean score above row A's, averaged over sets? Two-level bootstrap, x100.

    Outer lists run over sets, inner ones over a row's seeds: ``points_*[k][j]`` is seed j's score
    on set k, ``draws_*[k][j]`` its (B,) scores on the set's shared pair resamples
    (:class:`PairResamples`, the same object for both rows). ``paired_seeds``: the rows share
    their seeds (e.g. a model and the same model post-processed), so the seed effect is taken on
    the per-seed differences. Each replicate is the pair-resampled difference of the seed means
    plus a resampled seed effect per row (see the module docstring). Returns ``delta`` (mean over
    sets of B's seed mean minus A's), its percentile CI, ``se``, ``p_value`` (|delta| / se on
    the t reference, see the module docstring), ``df``, ``p_resample`` with its ``p_floor``,
    the seed counts and ``seed_se`` (the seed part of se). ``weights``: the sets' weights in the
    mean (default equal; e.g. their numbers of pairs).
    """
    if not points_a or len(points_a) != len(points_b):
        raise ValueError("two_level_test needs the same, non-zero number of sets for both rows")
    w = np.ones(len(points_a)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (len(points_a),) or not np.all(w >= 0) or not w.sum() > 0:
        raise ValueError(f"weights must be one non-negative number per set, got {weights!r}")
    w = w / w.sum()
    pa, da = _row(points_a, draws_a, w)
    pb, db = _row(points_b, draws_b, w)
    if da.shape[1] != db.shape[1]:
        raise ValueError("both rows must be scored on the same pair resamples")
    n_boot, sa, sb = da.shape[1], len(pa), len(pb)
    if paired_seeds and sa != sb:
        raise ValueError(f"paired seeds need as many seeds in both rows ({sa} vs {sb})")
    delta = float(pb.mean() - pa.mean())
    rng = np.random.default_rng(seed)
    pairs_only = db.mean(axis=0) - da.mean(axis=0)
    if paired_seeds:
        picks = rng.integers(0, sb, (n_boot, sb))
        effect = _seed_effects(pb - pa, db - da, picks)
        parts = [seed_variance(pb - pa, db - da) / sb]
        raw = [_spread(pb - pa) / sb]
        dfs = [sb - 1]
    else:
        picks_a, picks_b = rng.integers(0, sa, (n_boot, sa)), rng.integers(0, sb, (n_boot, sb))
        effect = _seed_effects(pb, db, picks_b) - _seed_effects(pa, da, picks_a)
        parts = [seed_variance(pa, da) / sa, seed_variance(pb, db) / sb]
        raw = [_spread(pa) / sa, _spread(pb) / sb]
        dfs = [sa - 1, sb - 1]
    out = _summary(delta, pairs_only + effect, level)
    df = _satterthwaite_df(out["se"], [r if p > 0 else 0.0 for r, p in zip(raw, parts)], dfs)
    if math.isfinite(df) and math.isfinite(out["p_value"]) and out["se"] > 0 and abs(delta) >= 1e-9:
        out["p_value"] = float(2 * student_t.sf(abs(delta) / out["se"], df))
    return out | {"df": df, "seeds_a": sa, "seeds_b": sb, "sets": len(points_a),
                  "seed_se": math.sqrt(sum(parts))}


def _spread(points: np.ndarray) -> float:
    return float(np.var(points, ddof=1)) if len(points) > 1 else 0.0


def _satterthwaite_df(se: float, seed_parts: list[float], dfs: list[int]) -> float:
    """Welch-Satterthwaite degrees of freedom of se^2 when only its seed parts are estimated
    from few seeds (the pair part rests on thousands of pairs: taken as known); inf when the
    seeds add no variance. A seed part is s^2 / S less the (precisely estimated) pair noise, so
    its sampling variance is that of s^2 / S: `seed_parts` are the raw s^2 / S. With 3 seeds and
    a seed part comparable to the pair part, a normal reference over-rejects (about 8% at alpha
    5% in the suite's simulation); this t reference restores the nominal size."""
    denom = sum(v * v / d for v, d in zip(seed_parts, dfs) if d > 0 and v > 0)
    if not denom or not math.isfinite(se):
        return math.inf
    return se ** 4 / denom


def _summary(delta: float, diffs: np.ndarray, level: float) -> dict[str, float]:
    """CI, bootstrap SE, z-test p and resampling p of a bootstrap distribution of a delta."""
    ok = diffs[np.isfinite(diffs)]
    low, high = statistics._percentiles(diffs, level)
    if not len(ok) or not math.isfinite(delta):
        se = p_value = p_resample = math.nan
    else:
        if abs(delta) < 1e-9 and np.all(np.abs(ok) < 1e-9):
            se = 0.0
        else:
            se = float(ok.std(ddof=1)) if len(ok) > 1 else math.nan
        p_value = statistics.bootstrap_z_p(delta, se)
        extreme = np.abs(ok - delta) >= abs(delta) - 1e-9
        p_resample = float(min(1.0, (1.0 + extreme.sum()) / (1.0 + len(ok))))
    return {"delta": delta, "ci_low": low, "ci_high": high, "se": se, "p_value": float(p_value),
            "p_resample": p_resample, "p_floor": 1.0 / (1.0 + len(ok)) if len(ok) else math.nan}


def seed_mean_interval(values: Sequence[float], level: float = DEFAULT.level) -> dict[str, float]:
    """Mean, SD and Student-t interval of a score over seeds (the spread of the training runs on
    these very test pairs, not an interval for new pairs)."""
    vals = np.asarray(values, dtype=np.float64)
    mean = float(np.mean(vals))
    sd = float(np.std(vals, ddof=1)) if len(vals) > 1 else 0.0
    half = (float(student_t.ppf((1 + level) / 2, len(vals) - 1) * sd / math.sqrt(len(vals)))
            if len(vals) > 1 else 0.0)
    return {"mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}


def holm_family(tests: list[dict], key: str = "p_value", name: str = "study") -> list[dict]:
    """The tests with Holm-adjusted p (``p_holm``), the family's name and size added: the family
    is every test given with a finite p."""
    adjusted = statistics.holm([t[key] for t in tests])
    size = int(np.isfinite([t[key] for t in tests]).sum())
    return [t | {"p_holm": float(p), "family": name, "family_size": size}
            for t, p in zip(tests, adjusted)]


def pooled_two_level(sets: list[tuple[Sequence[float], np.ndarray, np.ndarray]],
                     n_boot: int = DEFAULT.n_boot, seed=DEFAULT.seed, level: float = DEFAULT.level,
                     metric: str = "spearman", weights: Sequence[float] | None = None) -> dict:
    """:func:`two_level_test` from raw predictions: per set (gold (n), preds_a (S_a x n),
    preds_b (S_b x n)) on the same pairs; the sets' resamples are drawn from ``seed + k``."""
    pa, pb, da, db = [], [], [], []
    for k, (gold, a, b) in enumerate(sets):
        pairs = PairResamples(gold, n_boot, seed + k, metric)
        a, b = np.atleast_2d(a), np.atleast_2d(b)
        pa.append([pairs.point(x) for x in a])
        pb.append([pairs.point(x) for x in b])
        da.append([pairs.draws(x) for x in a])
        db.append([pairs.draws(x) for x in b])
    return two_level_test(pa, pb, da, db, seed=seed, level=level, weights=weights)
