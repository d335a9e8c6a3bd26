"""Concreteness on every pair: the norms as published, pair ratings, and bin scores checked
against scipy on the same pairs."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from vgbench.evaluation.results import PairedTest, Results
from vgbench.reporting import concreteness as C


@pytest.fixture(scope="module")
def norms():
    return C.brysbaert_concreteness(), C.glasgow_imageability()


def test_norms_read_as_published(norms):
    conc, imag = norms
    assert len(conc) == 39954  # Brysbaert et al. (2014): 37,058 words + 2,896 bigrams
    assert conc["roadsweeper"] == 4.85 and conc["baking soda"] == 5.0
    assert imag["abbey"] == pytest.approx(5.344) and imag["address"] == pytest.approx(4.343)
    assert not any("(" in w for w in imag)  # sense-specific rows left out
    assert len(imag) == 5553 - 871


def test_pair_ratings_need_both_words():
    r = C.pair_ratings(["Cat", "cat", "zzzz"], ["dog", "zzzz", "dog"], {"cat": 5.0, "dog": 4.0})
    assert r[0] == 4.5 and math.isnan(r[1]) and math.isnan(r[2])


def _synthetic(seed=0, n=400):
    """Two sets of rated words; embedding 'good' tracks gold on concrete pairs only, 'flat'
    everywhere equally badly."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(200)]
    conc = {w: float(c) for w, c in zip(words, rng.uniform(1, 5, size=200))}
    pairs, preds = {}, {"flat": {}, "good": {}}
    for d in ("MEN", "SimLex-999"):
        i1, i2 = rng.integers(0, 200, n), rng.integers(0, 200, n)
        w1, w2 = [words[i] for i in i1], [words[i] for i in i2]
        gold = rng.normal(size=n) * (10 if d == "MEN" else 1)
        c = C.pair_ratings(w1, w2, conc)
        weight = (c - 1) / 4  # 0 abstract ... 1 concrete
        good = weight * gold / gold.std() + rng.normal(size=n) * 0.5
        flat = 0.3 * gold / gold.std() + rng.normal(size=n)
        good[:3] = np.nan  # three OOV pairs
        pairs[d] = {"word1": w1, "word2": w2, "gold": gold.tolist()}
        preds["good"][d] = [None if not np.isfinite(v) else float(v) for v in good]
        preds["flat"][d] = flat.tolist()
    res = Results(embeddings={"flat": {}, "good": {}},
                  settings={"policy": {"n_boot": 200, "seed": 0, "level": 0.95}},
                  pairs=pairs, predictions=preds)
    res.tests.append(PairedTest("MEN", "All", "spearman", "flat", "good", 0, 0, 0, 0, 0, 1,
                                "paired bootstrap-z", n))
    return res, conc


def test_bins_match_scipy_and_show_the_concreteness_effect():
    res, conc = _synthetic()
    table = C.pair_table(res, conc, {})
    rep = C.concreteness_report(res, table)
    assert rep.pooled.rows == ["flat", "good"]
    good = rep.pooled.values[1]
    assert good[-1] > good[0] + 30  # grounded-like embedding: much better on concrete pairs
    # Bin 3 of 'good', recomputed by hand: size-weighted mean of per-set Spearman, each set cut
    # at its own quintiles (changed by design: bins were quintiles of the pooled pairs).
    df = table.frame
    c = df["concreteness"].to_numpy()
    cos = table.cosines["good"]
    vals, sizes = [], []
    for d in ("MEN", "SimLex-999"):
        lo, hi = np.quantile(c[(df["dataset"] == d).to_numpy()], [0.4, 0.6])
        assert (lo, hi) == pytest.approx((rep.edges[d][2], rep.edges[d][3]))
        m = (df["dataset"] == d).to_numpy() & (c >= lo) & (c < hi) & np.isfinite(cos)
        vals.append(stats.spearmanr(df["gold"][m], cos[m])[0] * 100)
        sizes.append(m.sum())
    assert good[2] == pytest.approx(np.average(vals, weights=sizes), abs=1e-9)
    assert rep.pooled.ci[1, 2, 0] < good[2] < rep.pooled.ci[1, 2, 1]
    # Delta curve: good − flat, positive on concrete pairs with a CI above zero.
    assert rep.deltas.rows == ["good − flat"]
    assert rep.deltas.values[0, -1] > 0 and rep.deltas.ci[0, -1, 0] > 0
    assert rep.deltas.values[0, -1] == pytest.approx(rep.pooled.values[1, -1]
                                                     - rep.pooled.values[0, -1], abs=15)
    # Coverage: rated pairs per bin, pairs scored (3 OOV pairs of 'good' are missing).
    assert rep.pooled.total[0].sum() == np.isfinite(c).sum()
    assert rep.pooled.used[0].sum() == rep.pooled.total[0].sum()
    assert rep.pooled.used[1].sum() == rep.pooled.total[1].sum() - 6  # 3 OOV pairs per set
    assert "rated for both words of 800 of 800 pairs" in rep.coverage
    assert len(rep.per_set) == 2


def test_chart_and_csv():
    res, conc = _synthetic()
    rep = C.concreteness_report(res, C.pair_table(res, conc, {}))
    fig = C.concreteness_chart(rep, res)
    # A panel per base embedding, then one per comparison with its CI band.
    assert [ax.get_title() for ax in fig.axes] == ["flat", "good", "good − flat"]
    assert len(fig.axes[2].collections) == 1
    csv = rep.pairs.to_csv()
    assert csv.splitlines()[0] == ("dataset,word1,word2,gold,concreteness,imageability,"
                                   "cosine:flat,cosine:good")
    assert len(csv.splitlines()) == 801


def test_reading_states_the_curve():
    res, conc = _synthetic()
    rep = C.concreteness_report(res, C.pair_table(res, conc, {}))
    [line] = C.reading(rep)
    d = rep.deltas
    assert line.startswith(f"good against flat: {d.values[0, 0]:+.1f} [")
    assert f"{d.values[0, -1]:+.1f} [{d.ci[0, -1, 0]:.1f}, {d.ci[0, -1, 1]:.1f}]" in line
    assert f"joint over the 5 bins, lies above zero in {int((d.ci[0, :, 0] > 0).sum())} of them" in line
    # the band is the joint one: wider than the pointwise 95% interval of the same bin
    from vgbench.evaluation import concreteness as EC
    df, cos = rep.pairs.frame, rep.pairs.cosines
    m = np.isfinite(cos["good"]) & np.isfinite(cos["flat"])
    bins, _ = EC.within_set_bins(df["concreteness"].to_numpy(), df["dataset"].to_numpy())
    sel = m & (bins == 4)
    r = EC.bin_score(df["gold"].to_numpy()[sel], [cos["flat"][sel], cos["good"][sel]],
                     df["dataset"].to_numpy()[sel], n_boot=200, seed=0)
    assert r.value == pytest.approx(d.values[0, -1])
    assert (r.joint_low, r.joint_high) == pytest.approx((d.ci[0, -1, 0], d.ci[0, -1, 1]))
    assert r.joint_low < r.ci_low and r.ci_high < r.joint_high
    assert rep.delta_p_holm.shape == (1, 5)


def test_within_set_bins_pair_by_pair():
    from vgbench.evaluation.concreteness import within_set_bins
    ratings = np.array([1.0, 2.0, 3.0, 4.0, np.nan, 3.0, 3.5, 4.0, 4.5])
    sets = np.array(["A", "A", "A", "A", "A", "B", "B", "B", "B"])
    bins, edges = within_set_bins(ratings, sets, n_bins=2)
    # A's median is 2.5: 1, 2 abstract, 3, 4 concrete; B's is 3.75 although all of B is >= 3
    assert bins.tolist() == [0, 0, 1, 1, -1, 0, 0, 1, 1]
    assert edges["A"].tolist() == [1.0, 2.5, 4.0] and edges["B"].tolist() == [3.0, 3.75, 4.5]


def test_a_more_concrete_set_does_not_tilt_the_pooled_curve():
    # Set "easy" is uniformly more concrete (ratings 3-5) and better predicted than set "hard"
    # (1-3); within each set the prediction is equally good at every concreteness. Pooled edges
    # would make a rising curve out of the mix; within-set bins keep it flat.
    from vgbench.evaluation.concreteness import bin_score, within_set_bins
    rng = np.random.default_rng(0)
    n = 1000
    sets = np.repeat(["hard", "easy"], n)
    ratings = np.concatenate([rng.uniform(1, 3, n), rng.uniform(3, 5, n)])
    gold = rng.normal(size=2 * n)
    noise = np.where(sets == "easy", 0.3, 2.0)
    pred = gold + noise * rng.normal(size=2 * n)
    bins, _ = within_set_bins(ratings, sets)
    curve = [bin_score(gold[bins == k], [pred[bins == k]], sets[bins == k], n_boot=0).value
             for k in range(5)]
    pooled = np.clip(np.searchsorted(np.quantile(ratings, np.linspace(0, 1, 6)), ratings,
                                     side="right") - 1, 0, 4)
    mixed = [bin_score(gold[pooled == k], [pred[pooled == k]], sets[pooled == k], n_boot=0).value
             for k in range(5)]
    assert mixed[-1] - mixed[0] > 40                 # the mix of sets alone makes a curve
    assert max(curve) - min(curve) < 8               # within-set bins: flat within noise
