"""The Mean columns' inference: every set resampled in each draw, the sets' scores averaged per
draw; checked against a plain loop with scipy's correlations, and end to end in an evaluation."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm, pearsonr, spearmanr

from vgbench.evaluation.api import evaluate
from vgbench.evaluation.means import SetSample, mean_ci, paired_mean_test
from vgbench.reporting import score_tables
from vgbench.reporting import tables as report_tables


def _sets(rng, n_preds):
    """A word-pair-like set (Spearman) and an STS-like set with two subsets (Pearson)."""
    out = []
    for n, metric, groups in ((40, "spearman", None), (30, "pearson", np.repeat([0, 1], 15))):
        gold = rng.normal(size=n).round(1)  # ties, as gold scores have
        preds = [gold + rng.normal(scale=s, size=n) for s in (1.0, 0.7)[:n_preds]]
        out.append(SetSample(gold, preds, metric, groups))
    return out


def _naive(samples, n_boot, seed):
    """Loop over draws, consuming the generator as means.py documents (per set, per stratum)."""
    rng = np.random.default_rng(seed)
    draws = [[rng.integers(0, len(m), size=(n_boot, len(m))) for m in s.strata()]
             for s in samples]
    corr = {"spearman": lambda a, b: spearmanr(a, b)[0], "pearson": lambda a, b: pearsonr(a, b)[0]}
    out = np.zeros((len(samples[0].preds), n_boot))
    for b in range(n_boot):
        for s, ds in zip(samples, draws):
            for k, p in enumerate(s.preds):
                vals = [corr[s.metric](s.gold[m][d[b]], p[m][d[b]])
                        for m, d in zip(s.strata(), ds)]
                out[k, b] += 100 * np.mean(vals) / len(samples)
    return out


def test_mean_ci_matches_a_plain_loop():
    samples = _sets(np.random.default_rng(0), 1)
    got = mean_ci(samples, n_boot=200, seed=5, level=0.9)
    point = np.mean([100 * spearmanr(samples[0].gold, samples[0].preds[0])[0],
                     100 * np.mean([pearsonr(samples[1].gold[m], samples[1].preds[0][m])[0]
                                    for m in samples[1].strata()])])
    assert got["value"] == pytest.approx(point)
    dist = _naive(samples, 200, 5)[0]
    assert [got["ci_low"], got["ci_high"]] == pytest.approx(np.quantile(dist, [0.05, 0.95]))


def test_paired_mean_test_matches_a_plain_loop():
    samples = _sets(np.random.default_rng(1), 2)
    got = paired_mean_test(samples, n_boot=150, seed=2)
    dist = _naive(samples, 150, 2)
    diffs = dist[1] - dist[0]
    assert got["delta"] == pytest.approx(got["value_b"] - got["value_a"])
    assert [got["ci_low"], got["ci_high"]] == pytest.approx(np.quantile(diffs, [0.025, 0.975]))
    se = diffs.std(ddof=1)
    assert got["p_value"] == pytest.approx(2 * norm.sf(abs(got["delta"]) / se))
    assert got["p_floor"] == pytest.approx(1 / 151)


def test_identical_predictors_give_no_difference():
    samples = _sets(np.random.default_rng(2), 1)
    same = [SetSample(s.gold, [s.preds[0], s.preds[0]], s.metric, s.groups) for s in samples]
    got = paired_mean_test(same, n_boot=50)
    assert got["delta"] == 0 and got["p_value"] == 1.0


def test_evaluation_reports_the_mean_with_ci_and_test(glove50):
    sub = glove50.subset(glove50.words[:20000])
    noisy = type(sub)(sub.words, sub.vectors + np.random.default_rng(0).normal(
        scale=0.8, size=sub.vectors.shape).astype(np.float32), "noisy")
    res = evaluate([sub, noisy], score_tables.SIMILARITY_SETS, n_boot=100)
    mean = res.get(sub.name, "Similarity mean", "All", "spearman")
    table = report_tables.intrinsic_table(res)
    j = table.columns.index("Mean")
    assert mean.value == pytest.approx(table.values[0, j])
    assert mean.ci_low < mean.value < mean.ci_high
    assert table.ci[0, j] == pytest.approx([mean.ci_low, mean.ci_high])
    [test] = [t for t in res.tests if t.dataset == "Similarity mean"]
    assert test.delta == pytest.approx(table.values[1, j] - table.values[0, j], abs=1e-6)
    assert test.p_adjusted is not None and test.p_adjusted < 0.05
    assert "▼" in table.to_markdown().split("| noisy |")[1].split("\n")[0].split(" | ")[-1]
    assert "Similarity mean" in report_tables.tests_table(res).to_markdown()
