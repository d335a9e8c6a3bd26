"""The two-level bootstrap over seeds and pairs: checked against the pair-level paired bootstrap
where the seeds cannot matter, against explicit resampling, and calibrated by simulation under a
null where seeds vary in quality (the pair-only test over-rejects there; the two-level test does
not)."""
import math

import numpy as np
import pytest
from scipy import stats

from vgbench.evaluation import hierarchical as H
from vgbench.evaluation import statistics as S


def _pred(rng, gold, spearman):
    """Predictions whose population Spearman with a standard-normal gold is `spearman` (x100)."""
    r = 2 * np.sin(np.pi * (np.asarray(spearman) / 100) / 6)   # Pearson of the bivariate normal
    return r * gold + np.sqrt(1 - r * r) * rng.normal(size=np.broadcast(r, gold).shape)


def test_pair_resamples_match_explicit_resampling():
    rng = np.random.default_rng(0)
    gold = np.round(rng.normal(size=60), 1)
    pred = gold + rng.normal(size=60)
    pairs = H.PairResamples(gold, n_boot=5, seed=3)
    draws = pairs.draws(pred)
    for b in range(5):
        idx = np.repeat(np.arange(60), pairs.counts[b].astype(int))   # the pairs drawn
        assert draws[b] == pytest.approx(100 * stats.spearmanr(gold[idx], pred[idx])[0], abs=1e-9)
    assert pairs.point(pred) == pytest.approx(100 * stats.spearmanr(gold, pred)[0])


def test_identical_seeds_reduce_to_the_paired_bootstrap():
    # Three copies of one prediction: no seed variance, so the two-level test is the pair-level
    # paired bootstrap (same resamples for the same seed), which the suite validates on its own.
    rng = np.random.default_rng(1)
    gold = rng.normal(size=200)
    a, b = gold + rng.normal(size=200), gold + 0.8 * rng.normal(size=200)
    res = H.pooled_two_level([(gold, a, np.stack([b, b, b]))], n_boot=300, seed=7)
    ref = S.paired_bootstrap(gold, a, b, n_boot=300, seed=7)
    for key in ("delta", "ci_low", "ci_high", "se", "p_value", "p_resample"):
        assert res[key] == pytest.approx(ref[key], rel=1e-9, abs=1e-12), key
    assert res["seed_se"] == 0 and math.isinf(res["df"]) and res["seeds_b"] == 3


def test_two_level_delta_is_the_weighted_difference_of_seed_means():
    rng = np.random.default_rng(0)
    gold = rng.normal(size=300)
    a = np.stack([gold + rng.normal(scale=2.0, size=300) for _ in range(2)])
    b = np.stack([gold + rng.normal(scale=0.5, size=300) for _ in range(3)])
    res = H.pooled_two_level([(gold, a, b)], n_boot=200)
    expected = (np.mean([stats.spearmanr(gold, x)[0] for x in b])
                - np.mean([stats.spearmanr(gold, x)[0] for x in a]))
    assert res["delta"] == pytest.approx(100 * expected, abs=1e-9)
    assert res["ci_low"] < res["delta"] < res["ci_high"] and res["ci_low"] > 0
    assert res["p_value"] < 0.01 and res["p_value"] < res["p_floor"]   # not floored by B
    same = H.pooled_two_level([(gold, a, a.copy())], n_boot=200)
    assert same["delta"] == 0 and same["p_value"] == 1.0
    other = (gold, a, np.stack([a[0], a[1], a[0]]))          # the same seeds on a second set
    second = H.pooled_two_level([other], n_boot=50)["delta"]
    two = H.pooled_two_level([(gold, a, b), other], n_boot=50)
    assert two["delta"] == pytest.approx((res["delta"] + second) / 2)
    weighted = H.pooled_two_level([(gold, a, b), other], n_boot=50, weights=[3, 1])
    assert weighted["delta"] == pytest.approx((3 * res["delta"] + second) / 4)


def test_seed_variance_recovers_the_between_seed_part():
    # 40 seeds whose population Spearman has SD 4 points, each scored on the same 2,000 pairs: the
    # estimate nets out the pair noise that differs between seeds (raw variance is larger).
    rng = np.random.default_rng(5)
    gold = rng.normal(size=2000)
    preds = _pred(rng, gold, 60 + 4 * rng.normal(size=(40, 1)))
    pairs = H.PairResamples(gold, n_boot=200, seed=0)
    points = np.array([pairs.point(p) for p in preds])
    draws = np.stack([pairs.draws(p) for p in preds])
    est = H.seed_variance(points, draws)
    assert est < np.var(points, ddof=1)
    assert 16 * 0.5 < est < 16 * 1.6


def _null_rejections(reps: int, n: int = 200, seeds: int = 3, seed_sd: float = 8.0,
                     n_boot: int = 200, seed: int = 0) -> tuple[int, int]:
    """(two-level, pair-only) rejections at alpha = 5% over `reps` null data sets: a row with
    `seeds` seeds whose population Spearman varies from seed to seed (SD `seed_sd` points) around a
    deterministic control's 60. Its pair-level sampling SD at n = 200 is about 5 points."""
    rng = np.random.default_rng(seed)
    two = pairs_only = 0
    for i in range(reps):
        gold = rng.normal(size=n)
        control = _pred(rng, gold, 60.0)
        row = _pred(rng, gold, 60.0 + seed_sd * rng.normal(size=(seeds, 1)))
        pairs = H.PairResamples(gold, n_boot, seed=i)
        pa, da = [pairs.point(control)], [pairs.draws(control)]
        pb, db = [pairs.point(x) for x in row], [pairs.draws(x) for x in row]
        two += H.two_level_test([pa], [pb], [da], [db], seed=i)["p_value"] < 0.05
        diffs = np.mean(db, axis=0) - da[0]                     # seeds held fixed
        pairs_only += S.bootstrap_z_p(np.mean(pb) - pa[0], diffs.std(ddof=1)) < 0.05
    return two, pairs_only


def test_two_level_test_is_calibrated_when_seeds_vary_in_quality():
    # Seed SD 8 points against a pair-level SD of about 5: the pair-only test ignores the seed
    # variance and over-rejects (about 15%); the two-level test's size lies in the binomial 99%
    # interval of 5% for this many replications.
    reps = 400
    two, pairs_only = _null_rejections(reps)
    low, high = stats.binom.ppf([0.005, 0.995], reps, 0.05)
    assert low <= two <= high, two / reps
    assert pairs_only > high, pairs_only / reps


def test_holm_family_states_name_and_size():
    tests = [{"p_value": 0.01}, {"p_value": 0.04}, {"p_value": float("nan")}]
    out = H.holm_family(tests, name="conclusions")
    assert [t["family_size"] for t in out] == [2, 2, 2]
    assert out[0]["p_holm"] == pytest.approx(0.02) and out[1]["p_holm"] == pytest.approx(0.04)
    assert math.isnan(out[2]["p_holm"]) and out[0]["family"] == "conclusions"


def test_seed_mean_interval_is_the_t_interval():
    vals = [51.0, 52.5, 50.5]
    cell = H.seed_mean_interval(vals, 0.95)
    half = stats.t.ppf(0.975, 2) * np.std(vals, ddof=1) / np.sqrt(3)
    assert (cell["ci_low"], cell["ci_high"]) == pytest.approx((np.mean(vals) - half,
                                                               np.mean(vals) + half))
