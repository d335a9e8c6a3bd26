"""`vgbench study`: its tests (the two-level bootstrap of evaluation.hierarchical), and the whole
study end to end on a tiny setting."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from scipy.stats import spearmanr

from vgbench.pipeline.study import TrainedRow, StudySettings, run_study


def test_study_keeps_no_statistics_of_its_own():
    # every resampling, test and interval of the study comes from vgbench.evaluation
    from pathlib import Path
    import vgbench
    root = Path(vgbench.__file__).parent
    for folder in ("pipeline", "reporting"):
        for f in (root / folder).glob("*.py"):
            text = f.read_text()
            for banned in ("default_rng", ".integers(", "np.random.", "ttest", ".quantile("):
                assert banned not in text, f"{f.name} uses {banned}"


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
    # Holm over stated families: every test carries its family, its size and p(Holm) >= p
    sizes = {f: sum(t["family"] == f for t in tests) for f in ("conclusions", "other")}
    assert all(int(t["family_size"]) == sizes[t["family"]] for t in tests) and sizes["conclusions"] > 0
    assert all(float(t["p_holm"]) >= float(t["p_value"]) - 1e-12 for t in tests)
    assert {"se", "df", "p_resample", "p_floor", "seed_se"} <= set(tests[0])
    readme = (tmp_path / "report" / "README.md").read_text()
    assert "## Conclusion" in readme and "GloVe+ABTT 46.9" in readme
    assert "## By concreteness" in readme and "**Answer (50d)**" in readme
    # the machine and numerics of the 6 runs (one machine, one setting): one line naming the seeds
    machine = readme.split("## Machine and numerics")[1].split("##")[0]
    assert "- 6 runs: " in machine and "bf16 autocast" in machine and "seeds 0, 1" in machine
    seeds = list(csv.DictReader((tmp_path / "report" / "seed_tests.csv").open()))
    assert {s["score"] for s in seeds} == {"STS mean", "SimLex Conc-q1", "SimLex Conc-q2", "SimLex Conc-q3",
                                          "SimLex Conc-q4"}
    assert all(s["family"] in ("conclusions", "other") and float(s["se"]) > 0 for s in seeds)
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


def test_study_concreteness_bins_are_quintiles_within_each_set():
    from vgbench.datasets import registry
    from vgbench.evaluation.concreteness import within_set_bins
    from vgbench.pipeline.study import SIX
    from vgbench.reporting.concreteness import brysbaert_concreteness, pair_ratings
    pairs = {n: registry.load(n) for n in SIX}
    norms = brysbaert_concreteness()
    ratings = np.concatenate([pair_ratings(pairs[n].word1, pairs[n].word2, norms) for n in SIX])
    labels = np.concatenate([np.full(len(pairs[n].gold), n, dtype=object) for n in SIX])
    bins, edges = within_set_bins(ratings, labels, 5)
    for n in SIX:                                                   # every set spans every bin
        counts = np.bincount(bins[(labels == n) & (bins >= 0)], minlength=5)
        assert counts.min() > 0.15 * counts.sum(), (n, counts)
        men = (labels == n) & (bins >= 0)
        for k in range(5):                                          # a pair's bin: its set's quantiles
            r = ratings[men & (bins == k)]
            assert np.all((edges[n][k] <= r) & (r <= edges[n][k + 1]))


def test_study_tests_are_two_level_with_holm_families():
    # The study's test step on synthetic cosines (no training): a 3-seed row against the two
    # deterministic controls on every set, SimLex quartile, STS year and within-set bin.
    from vgbench.datasets import registry
    from vgbench.pipeline.study import (Evaluated, RULE_COLUMN, STS, WORD_SETS, paired_tests,
                                        seed_tests)
    rng = np.random.default_rng(0)
    pairs = {n: registry.load(n) for n in WORD_SETS}
    sts_gold = {y: (rng.normal(size=60), np.repeat([0, 1, 2], 20)) for y in STS}

    def source(quality: float) -> Evaluated:
        cos = {n: (np.asarray(p.gold, float) + rng.normal(scale=quality, size=len(p.gold)) * np.std(p.gold)).tolist()
               for n, p in pairs.items()}
        cos["RW"][0] = None                                         # a pair one source does not cover
        sts = {y: {"cosine": (g + rng.normal(scale=quality, size=60)).tolist(), "gold": g.tolist(),
                   "groups": grp.tolist()} for y, (g, grp) in sts_gold.items()}
        return Evaluated({}, cos, sts)

    evaluated = {"glove": source(1.5), "abtt": source(1.2), **{f"m{s}": source(1.0) for s in range(3)}}
    entries = [dict(row="GloVe", textual="50d", rule="-", trained=False, source="glove"),
               dict(row="GloVe+ABTT", textual="50d", rule="-", trained=False, source="abtt")]
    entries += [dict(row="M", textual="50d", rule="dev loss", trained=True, source=f"m{s}") for s in range(3)]
    settings = StudySettings(n_boot=50, sts=list(STS))
    tests = paired_tests(entries, evaluated, settings, pairs)
    by = {(t["baseline"], t["dataset"]): t for t in tests}
    assert len(tests) == 2 * (2 + len(WORD_SETS) + 4 + 1 + 5)
    mean6 = by[("GloVe", "Mean6")]
    assert mean6["seeds_a"] == 1 and mean6["seeds_b"] == 3 and mean6["delta"] > 0
    assert mean6["p_value"] < mean6["p_floor"]                         # not floored by the resamples
    head = [t for t in tests if t["family"] == "conclusions"]
    assert {t["dataset"] for t in head} == {RULE_COLUMN["dev loss"], "STS mean", *(
        t["dataset"] for t in tests if t["dataset"].startswith("Conc-b"))}
    assert all(t["family_size"] == len(head) for t in head)
    assert not any(t["dataset"].startswith("Conc-b") and t["baseline"] == "GloVe" for t in head)
    seeds = seed_tests(tests)
    assert {s["score"] for s in seeds} == {"STS mean", "SimLex Conc-q1", "SimLex Conc-q2",
                                          "SimLex Conc-q3", "SimLex Conc-q4"}
