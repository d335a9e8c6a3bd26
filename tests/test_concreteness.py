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
    # Bin 3 of 'good', recomputed by hand: size-weighted mean of per-set Spearman.
    df = table.frame
    c = df["concreteness"].to_numpy()
    lo, hi = rep.edges[2], rep.edges[3]
    cos = table.cosines["good"]
    vals, sizes = [], []
    for d in ("MEN", "SimLex-999"):
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
    assert f"above zero in {int((d.ci[0, :, 0] > 0).sum())} of 5 bins" in line
