"""`vgbench study`: the pooled paired bootstrap, and the whole study end to end on a tiny setting."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from scipy.stats import spearmanr

from vgbench.pipeline.study import TrainedRow, StudySettings, pooled_paired_bootstrap, run_study


def test_pooled_bootstrap_delta_is_the_difference_of_seed_mean_spearmans():
    rng = np.random.default_rng(0)
    gold = rng.normal(size=300)
    a = np.stack([gold + rng.normal(scale=2.0, size=300) for _ in range(2)])
    b = np.stack([gold + rng.normal(scale=0.5, size=300) for _ in range(3)])
    res = pooled_paired_bootstrap([(gold, a, b)], n_boot=200)
    expected = np.mean([spearmanr(gold, x)[0] for x in b]) - np.mean([spearmanr(gold, x)[0] for x in a])
    assert res["delta"] == pytest.approx(100 * expected, abs=1e-9)
    assert res["ci_low"] < res["delta"] < res["ci_high"] and res["ci_low"] > 0
    assert res["p_value"] < 0.01
    same = pooled_paired_bootstrap([(gold, a, a.copy())], n_boot=200)
    assert same["delta"] == 0 and same["p_value"] == 1.0
    # two sets: the statistic is the mean over sets
    two = pooled_paired_bootstrap([(gold, a, b), (gold, a, a.copy())], n_boot=50)
    assert two["delta"] == pytest.approx(res["delta"] / 2)


@pytest.mark.slow
def test_tiny_study_runs_end_to_end_and_a_rerun_trains_nothing(tmp_path):
    rows = (TrainedRow("VGE 2021 (paper)", "paper_vge"),
            TrainedRow("Caption->image c=8", "caption_image", {"model": {"grounded_dim": 8}},
                       "Caption->image"),
            TrainedRow("Caption->image c=16", "caption_image", {"model": {"grounded_dim": 16}},
                       "Caption->image"))
    settings = StudySettings(out=tmp_path / "report", runs=tmp_path / "runs", rows=rows, seeds=(0, 1),
                             epochs=1, textuals=("50d",), n_boot=20,
                             changes={"data": {"limit_train": 200, "limit_dev": 60}, "model": {"grounded_dim": 8},
                                      "train": {"threads": 1, "batch_size": 64}})
    lines: list[str] = []
    run_study(settings, echo=lines.append)
    assert sum(l.startswith("[step] train") for l in lines) == 6
    summary = list(csv.DictReader((tmp_path / "report" / "summary.csv").open()))
    by = {(r["row"], r["selection"]): r for r in summary}
    assert float(by[("GloVe", "-")]["Mean6"]) == pytest.approx(41.2, abs=0.05)       # reference figures
    assert float(by[("GloVe+ABTT", "-")]["Mean6"]) == pytest.approx(46.9, abs=0.05)
    assert {("Caption->image", "dev loss"), ("Caption->image", "word dev"), ("random M", "-"),
            ("VGE 2021 (paper)", "word dev")} <= set(by)
    tests = list(csv.DictReader((tmp_path / "report" / "tests.csv").open()))
    assert {t["baseline"] for t in tests} == {"GloVe", "GloVe+ABTT"}
    assert all(0 < float(t["p_value"]) <= 1 for t in tests)
    assert {t["dataset"] for t in tests if t["dataset"].startswith("Conc-b")} and \
        len({t["dataset"] for t in tests if t["dataset"].startswith("Conc-b")}) == 10  # 5 bins x 2 set families
    readme = (tmp_path / "report" / "README.md").read_text()
    assert "## Conclusion" in readme and "GloVe+ABTT 46.9" in readme
    assert "## By concreteness" in readme and "**Answer (50d)**" in readme
    seeds = list(csv.DictReader((tmp_path / "report" / "seed_tests.csv").open()))
    assert {s["score"] for s in seeds} == {"STS mean", "SimLex Conc-q1", "SimLex Conc-q2", "SimLex Conc-q3",
                                          "SimLex Conc-q4"}
    entries = json.loads((tmp_path / "report" / "entries.json").read_text())
    picked = [e for e in entries if e["row"] == "Caption->image"]
    assert len(picked) == 4 and all(e["epoch"] == 1 for e in picked)
    lines.clear()
    run_study(settings, echo=lines.append)                   # resumable: nothing is trained again
    assert not any(l.startswith("[step] train") for l in lines)


def test_best_rows_for_the_next_textual_use_word_dev_scores_only():
    from vgbench.pipeline.study import best_rows
    rows = (TrainedRow("A", "a.toml"), TrainedRow("B", "b.toml"),
            TrainedRow("C c=1", "c.toml", search="C"), TrainedRow("C c=2", "c.toml", search="C"))
    dev = {"A": 50.0, "B": 40.0, "C": 45.0, "C c=1": 44.0, "C c=2": 45.0}
    entries = [dict(row=r, textual="50d", rule="word dev", trained=True, criterion=v, seed=s)
               for r, v in dev.items() for s in (0, 1)]
    entries += [dict(row="B", textual="50d", rule="dev loss", trained=True, criterion=-99.0, seed=0)]
    assert [r.label for r in best_rows(rows, entries, "50d", 2)] == ["A", "C c=2"]


def test_gpu_study_trains_both_models_at_paper_size():
    from vgbench.pipeline.study import GPU_ROWS, study_config
    settings = StudySettings(rows=GPU_ROWS, epochs=20, patience=5, gpu=True, textuals=("50d",))
    cfgs = [study_config(r, "50d", 1, settings) for r in GPU_ROWS]
    assert {c.model.kind for c in cfgs} == {"vge", "caption_image"}
    for c in cfgs:
        assert (c.model.grounded_dim, c.train.epochs, c.train.patience, c.train.device, c.train.seed) == \
            (1024, 20, 5, "cuda", 1)
        assert c.data.textual == "glove-6b-50d" and c.train.eval_each_epoch and not c.train.time_limit_s


def test_concreteness_bins_are_quantiles_of_the_pooled_pair_ratings():
    from vgbench.datasets import registry
    from vgbench.pipeline.study import SIX, concreteness_bins
    from vgbench.reporting.concreteness import brysbaert_concreteness
    pairs = {n: registry.load(n) for n in SIX}
    bins, edges = concreteness_bins(pairs, SIX)
    pooled = np.concatenate([b[b >= 0] for b in bins.values()])
    counts = np.bincount(pooled, minlength=5)
    assert len(edges) == 6 and counts.sum() > 8000
    assert counts.max() - counts.min() < 0.02 * counts.sum()         # quintiles: equal shares
    norms = brysbaert_concreteness()
    men = pairs["MEN"]
    for i in range(0, len(men), 97):                                # a pair's bin from its two ratings
        a, b = norms.get(men.word1[i].lower()), norms.get(men.word2[i].lower())
        if a is None or b is None:
            assert bins["MEN"][i] == -1
        else:
            r = (a + b) / 2
            k = bins["MEN"][i]
            assert edges[k] <= r <= edges[k + 1]


def test_seed_tests_compare_each_seed_with_the_deterministic_control():
    from scipy.stats import ttest_1samp
    from vgbench.pipeline.study import seed_tests
    ctrl = {"STS mean": 50.0}
    entries = [dict(row="GloVe", textual="50d", rule="-", trained=False, scores={"STS mean": 45.0}),
               dict(row="GloVe+ABTT", textual="50d", rule="-", trained=False, scores=ctrl)]
    vals = [51.0, 52.5, 50.5]
    entries += [dict(row="M", textual="50d", rule="dev loss", trained=True, scores={"STS mean": v}) for v in vals]
    out = {t["baseline"]: t for t in seed_tests(entries, ["STS mean"])}
    d = np.array(vals) - 50.0
    assert out["GloVe+ABTT"]["delta"] == pytest.approx(d.mean())
    assert out["GloVe+ABTT"]["p_value"] == pytest.approx(ttest_1samp(d, 0).pvalue)
    assert out["GloVe+ABTT"]["ci_low"] < d.mean() < out["GloVe+ABTT"]["ci_high"]
    assert out["GloVe"]["delta"] == pytest.approx(np.mean(vals) - 45.0)
