"""Correlations, bootstrap CIs and paired tests checked against independent computations:
scipy's correlations and bootstrap, explicit resample-by-resample loops, Monte-Carlo calibration
of the tests under the null, and a Steiger example worked by hand."""
import math

import numpy as np
import pytest
from scipy import stats

from vgbench.evaluation import statistics as S


def _data(n=300, noise=1.0, seed=0, ties=True):
    rng = np.random.default_rng(seed)
    gold = rng.normal(size=n)
    if ties:  # gold scores in real sets are coarse (SimLex: 0-10 in steps), so ties abound
        gold = np.round(gold, 1)
    pred = gold + noise * rng.normal(size=n)
    return gold, pred


# ------------------------------------------------------------------ correlation

def test_correlation_matches_scipy_with_ties():
    gold, pred = _data()
    pred = np.round(pred, 1)  # ties on both sides
    assert S.correlation(gold, pred) == pytest.approx(100 * stats.spearmanr(gold, pred)[0],
                                                      abs=1e-10)
    assert S.correlation(gold, pred, "pearson") == pytest.approx(
        100 * stats.pearsonr(gold, pred)[0], abs=1e-10)


def test_correlation_undefined_and_bad_input():
    assert math.isnan(S.correlation([1, 2, 3, 4], [5, 5, 5, 5]))
    with pytest.raises(ValueError, match="same length"):
        S.correlation([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="NaN"):
        S.correlation([1, 2, 3], [1, float("nan"), 2])
    with pytest.raises(ValueError, match="metric"):
        S.correlation([1, 2, 3], [1, 2, 3], "kendall")


# ------------------------------------------------------------------ bootstrap CI

def _explicit_distribution(gold, pred, metric, n_boot, seed, groups, aggregate):
    """The bootstrap done the slow, obvious way: materialise every resample, call scipy on it.

    Draws the same indices as the library (same generator calls, one chunk) so the two must
    agree to rounding error.
    """
    members = [np.arange(len(gold))] if groups is None else [
        np.flatnonzero(groups == g) for g in dict.fromkeys(groups.tolist())]
    draws = S._draw(members, n_boot, np.random.default_rng(seed))
    fn = (lambda x, y: stats.spearmanr(x, y)[0]) if metric == "spearman" else (
        lambda x, y: stats.pearsonr(x, y)[0])
    out = []
    for row in range(n_boot):
        picked = [m[d[row]] for m, d in zip(members, draws)]
        if aggregate == "all":
            idx = np.concatenate(picked)
            out.append(fn(gold[idx], pred[idx]))
        else:
            r = np.array([fn(gold[i], pred[i]) for i in picked])
            w = np.array([len(i) for i in picked], float)
            out.append(np.average(r, weights=w if aggregate == "wmean" else None))
    return 100 * np.array(out)


@pytest.mark.parametrize("metric", ["spearman", "pearson"])
@pytest.mark.parametrize("aggregate", [None, "mean", "wmean", "all"])
def test_bootstrap_ci_equals_explicit_resampling(metric, aggregate):
    gold, pred = _data(n=90, seed=3)
    pred = np.round(pred, 1)
    groups = None if aggregate is None else np.repeat([7, 2, 5], [20, 40, 30])
    dist = _explicit_distribution(gold, pred, metric, 150, 11, groups, aggregate or "mean")
    expected = np.quantile(dist, [0.05, 0.95])
    got = S.bootstrap_ci(gold, pred, metric=metric, n_boot=150, seed=11, level=0.9,
                         groups=groups, aggregate=aggregate or "mean")
    assert got == pytest.approx(tuple(expected), abs=1e-9)


def test_bootstrap_ci_agrees_with_scipy_bootstrap():
    gold, pred = _data(n=200, seed=5)

    def spearman(x, y, axis):
        return 100 * stats.pearsonr(stats.rankdata(x, axis=axis), stats.rankdata(y, axis=axis),
                                    axis=axis)[0]

    ref = stats.bootstrap((gold, pred), spearman, paired=True, vectorized=True, n_resamples=3000,
                          method="percentile", rng=np.random.default_rng(1)).confidence_interval
    low, high = S.bootstrap_ci(gold, pred, n_boot=4000, seed=2)
    # Monte-Carlo error of each endpoint is ~0.3 points here; 1.5 is ~4 standard errors.
    assert low == pytest.approx(ref.low, abs=1.5)
    assert high == pytest.approx(ref.high, abs=1.5)
    assert low < S.correlation(gold, pred) < high


def test_stratified_groups_never_mix():
    # Group A: pred = gold (r = +100); group B: pred = -gold (r = -100). If a resample ever moved a
    # pair across groups, per-group correlations would leave +-100 and the aggregate would vary.
    rng = np.random.default_rng(0)
    gold = rng.normal(size=100)
    groups = rng.permutation(np.repeat([0, 1], [30, 70]))  # interleaved, as labels may come
    pred = np.where(groups == 0, gold, -gold)
    assert S.bootstrap_ci(gold, pred, groups=groups, aggregate="mean", n_boot=300) == \
        pytest.approx((0.0, 0.0), abs=1e-9)
    assert S.bootstrap_ci(gold, pred, groups=groups, aggregate="wmean", n_boot=300) == \
        pytest.approx((-40.0, -40.0), abs=1e-9)
    low, high = S.bootstrap_ci(gold, pred, groups=groups, aggregate="all", n_boot=300)
    assert high - low > 1  # the concatenated score does vary


def test_chunking_does_not_change_the_result(monkeypatch):
    gold, pred = _data(n=120, seed=8)
    groups = np.repeat([0, 1, 2], 40)
    whole = S.bootstrap_ci(gold, pred, n_boot=200, seed=4, groups=groups)
    monkeypatch.setattr(S, "_CHUNK_CELLS", 1000)  # 8 resamples per chunk
    assert S.bootstrap_ci(gold, pred, n_boot=200, seed=4, groups=groups) == whole
    assert S.bootstrap_ci(gold, pred, n_boot=200, seed=5, groups=groups) != whole


def test_bootstrap_input_errors():
    gold, pred = _data(n=20)
    with pytest.raises(ValueError, match="one label per pair"):
        S.bootstrap_ci(gold, pred, groups=[0, 1])
    with pytest.raises(ValueError, match="fewer than 3 pairs"):
        S.bootstrap_ci(gold, pred, groups=[0] * 18 + [1, 1])
    with pytest.raises(ValueError, match="aggregate"):
        S.bootstrap_ci(gold, pred, groups=[0] * 20, aggregate="median")
    with pytest.raises(ValueError, match="level"):
        S.bootstrap_ci(gold, pred, level=95)


# ------------------------------------------------------------------ paired bootstrap

def test_paired_bootstrap_detects_a_better_predictor():
    gold, worse = _data(n=400, noise=1.5, seed=1)
    better = gold + 0.5 * np.random.default_rng(9).normal(size=400)
    res = S.paired_bootstrap(gold, worse, better, n_boot=1000)
    assert res["delta"] == pytest.approx(S.correlation(gold, better) - S.correlation(gold, worse),
                                         abs=1e-9)
    assert res["delta"] > 0 and res["ci_low"] > 0 and res["p_value"] < 0.05
    flipped = S.paired_bootstrap(gold, better, worse, n_boot=1000)
    assert flipped["delta"] == pytest.approx(-res["delta"])
    assert (flipped["ci_low"], flipped["ci_high"]) == pytest.approx((-res["ci_high"],
                                                                     -res["ci_low"]))
    assert flipped["p_value"] == pytest.approx(res["p_value"])


def test_paired_bootstrap_identical_predictors():
    gold, pred = _data(n=200)
    res = S.paired_bootstrap(gold, pred, pred.copy(), groups=np.repeat([0, 1], 100))
    assert {k: res[k] for k in ("delta", "ci_low", "ci_high", "p_value", "p_resample", "se")} \
        == {"delta": 0.0, "ci_low": 0.0, "ci_high": 0.0, "p_value": 1.0, "p_resample": 1.0,
            "se": 0.0}
    assert res["p_floor"] == pytest.approx(1 / 1001)


def test_bootstrap_z_p_agrees_with_the_resampling_p_where_that_resolves():
    # Moderate effect: the resampling p (resolution 1/2001) and the normal approximation
    # from the bootstrap SE must tell the same story.
    gold, worse = _data(n=300, noise=1.5, seed=3)
    b = gold + 1.3 * np.random.default_rng(4).normal(size=300)
    res = S.paired_bootstrap(gold, worse, b, n_boot=2000)
    assert 0.01 < res["p_resample"] < 0.5
    assert res["p_value"] == pytest.approx(res["p_resample"], abs=0.02)
    assert res["p_value"] == pytest.approx(2 * stats.norm.sf(abs(res["delta"]) / res["se"]))


def test_bootstrap_z_p_goes_below_the_resampling_floor():
    gold, worse = _data(n=1000, noise=2.0, seed=5)
    better = gold + 0.3 * np.random.default_rng(6).normal(size=1000)
    res = S.paired_bootstrap(gold, worse, better, n_boot=200)
    assert res["p_resample"] == pytest.approx(1 / 201)  # at its floor: only "p <= 0.005"
    assert res["p_value"] < 1e-6  # the z test can still pass a Holm threshold of 0.05/133


def test_holm_matches_the_step_down_definition():
    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan, 0.5])
    adj = S.holm(p)
    # By hand: sorted finite p 0.005, 0.01, 0.03, 0.04, 0.5 times 5, 4, 3, 2, 1, then running max.
    expect = {3: 0.025, 0: 0.04, 2: 0.09, 1: 0.09, 5: 0.5}
    for i, v in expect.items():
        assert adj[i] == pytest.approx(v)
    assert np.isnan(adj[4])
    # Holm rejects at alpha exactly where the sequential procedure does.
    order = np.argsort(p[np.isfinite(p)])
    finite = p[np.isfinite(p)]
    rejected, m = set(), len(finite)
    for k, i in enumerate(order):
        if finite[i] > 0.05 / (m - k):
            break
        rejected.add(i)
    assert {i for i in range(m) if S.holm(finite)[i] <= 0.05} == rejected
    assert np.all(S.holm([0.9, 0.8]) <= 1.0)


def test_format_p_shows_the_real_precision():
    assert S.format_p(1 / 1001, floor=1 / 1001) == "≤ 0.001"
    assert S.format_p(1 / 10001, floor=1 / 10001) == "≤ 0.0001"
    assert S.format_p(1 / 201, floor=1 / 201) == "≤ 0.005"
    assert S.format_p(0.0123) == "0.012"
    assert S.format_p(3.14e-7) == "3.1e-7"
    assert S.format_p(float("nan")) == "–"


def test_paired_bootstrap_is_calibrated_under_the_null():
    # Two equally good, independent-noise predictors: a 5 % test should reject about 5 % of the
    # time (binomial sd over 150 runs: 1.8 %); a construction without recentring rejects ~never
    # or ~always, and a test on unpaired resamples is far too conservative.
    rng = np.random.default_rng(0)
    rejections = 0
    for i in range(150):
        gold = rng.normal(size=80)
        a = gold + rng.normal(size=80)
        b = gold + rng.normal(size=80)
        rejections += S.paired_bootstrap(gold, a, b, metric="pearson", n_boot=200,
                                         seed=i)["p_value"] < 0.05
    assert 0.01 <= rejections / 150 <= 0.12


# ------------------------------------------------------------------ Steiger

def test_steiger_hand_worked_example():
    # r_ga = .40, r_gb = .50, r_ab = .30, n = 103, worked step by step from Steiger (1980) eq. 14:
    #   z(.40) = 0.4236489, z(.50) = 0.5493061, difference 0.1256572
    #   r-bar = .45, r-bar^2 = .2025
    #   psi = .30 (1 - .405) - .5 (.2025)(1 - .405 - .09) = .1785 - .0511313 = .1273688
    #   s = psi / (1 - .2025)^2 = .1273688 / .6360063 = .2002634
    #   Z = .1256572 * sqrt(100) / sqrt(2 - .4005267) = 1.256572 / 1.264703 = 0.99357
    assert S._steiger_z(0.40, 0.50, 0.30, 103) == pytest.approx(0.99357, abs=1e-4)
    assert S._steiger_z(0.50, 0.40, 0.30, 103) == pytest.approx(-0.99357, abs=1e-4)


def test_steiger_uses_the_data_correlations():
    gold, a = _data(n=150, seed=2, ties=False)
    b = gold + 0.7 * np.random.default_rng(3).normal(size=150)
    for metric, corr in [("pearson", lambda x, y: stats.pearsonr(x, y)[0]),
                         ("spearman", lambda x, y: stats.spearmanr(x, y)[0])]:
        res = S.steiger_test(gold, a, b, metric)
        z = S._steiger_z(corr(gold, a), corr(gold, b), corr(a, b), 150)
        if metric == "spearman":  # Bonett & Wright (2000): Var(z) = (1 + r-bar^2 / 2) / (n - 3)
            z /= math.sqrt(1 + ((corr(gold, a) + corr(gold, b)) / 2) ** 2 / 2)
        assert res["z"] == pytest.approx(z, rel=1e-9)
        assert res["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)
        assert res["z"] > 0 and res["p_value"] < 0.05  # b has less noise
        assert res["delta"] == pytest.approx(S.correlation(gold, b, metric)
                                             - S.correlation(gold, a, metric))


def test_steiger_z_is_standard_normal_under_the_null():
    # rho(g,a) = rho(g,b) = .5 and rho(a,b) = .6: Z must have mean ~0 and sd ~1. A wrong
    # covariance term (e.g. treating the correlations as independent) gives sd far from 1.
    rng = np.random.default_rng(0)
    cov = np.array([[1, .5, .5], [.5, 1, .6], [.5, .6, 1]])
    zs = [S.steiger_test(*rng.multivariate_normal(np.zeros(3), cov, size=150).T,
                         metric="pearson")["z"] for _ in range(600)]
    assert abs(np.mean(zs)) < 0.12
    assert np.std(zs) == pytest.approx(1.0, abs=0.08)


def _steiger_spearman_rejections(reps: int, n: int = 100, seed: int = 0) -> tuple[int, int]:
    """(rejections with, without the Bonett-Wright correction) at alpha = 5% on `reps` null data
    sets: Spearman(gold, a) = Spearman(gold, b) by symmetry, correlations high (.7, .7; .6)."""
    rng = np.random.default_rng(seed)
    cov = np.array([[1, .7, .7], [.7, 1, .6], [.7, .6, 1]])
    corrected = plain = 0
    for _ in range(reps):
        g, a, b = rng.multivariate_normal(np.zeros(3), cov, size=n).T
        res = S.steiger_test(g, a, b, "spearman")
        corrected += res["p_value"] < 0.05
        rs = [stats.spearmanr(x, y)[0] for x, y in ((g, a), (g, b), (a, b))]
        plain += 2 * stats.norm.sf(abs(S._steiger_z(*rs, n))) < 0.05
    return corrected, plain


def test_steiger_spearman_is_calibrated_with_bonett_wright():
    # 3,000 null data sets: the corrected test's size lies in the binomial 99% interval of 5%
    # (4.0% - 6.0%); Steiger on ranks without the correction over-rejects (about 7.5%).
    reps = 3000
    corrected, plain = _steiger_spearman_rejections(reps)
    low, high = stats.binom.ppf([0.005, 0.995], reps, 0.05)
    assert low <= corrected <= high, corrected / reps
    assert plain > high, plain / reps


def test_steiger_identical_predictors():
    gold, pred = _data()
    assert S.steiger_test(gold, pred, pred) == {"z": 0.0, "p_value": 1.0, "delta": 0.0}
