"""`vgbench study`: its tests (the two-level bootstrap of evaluation.hierarchical), and the whole
study end to end on a tiny setting."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from vgbench.pipeline.study import run_study
from vgbench.pipeline.study_spec import StudySettings, TrainedRow


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


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory):
    """The whole study on a tiny setting, run once for the tests of this module: (settings, echo lines)."""
    tmp_path = tmp_path_factory.mktemp("study")
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
    return settings, lines


@pytest.mark.slow
def test_tiny_study_runs_end_to_end_and_a_rerun_trains_nothing(tiny_study):
    settings, lines = tiny_study
    tmp_path = settings.out.parent
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
    # the margin over GloVe+ABTT of the best row per rule, with the test's interval, against the bar
    margins = [l for l in readme.splitlines() if l.startswith("- **Margin (50d, ")]
    assert len(margins) == 2 and all("over GloVe+ABTT (95% CI" in l and "Mean6 ≥ 47.7, STS ≥ 54.1" in l
                                     for l in margins)
    tests_by = {(t["row"], t["rule"], t["baseline"], t["dataset"]): t for t in tests}
    best = max((r for r in summary if r["selection"] == "word dev"), key=lambda r: float(r["Mean6 test"]))
    line = next(l for l in margins if "word dev" in l)
    assert f"best row {best['row']}: Mean6 test {float(best['Mean6 test']):.1f}, " \
           f"{float(tests_by[(best['row'], 'word dev', 'GloVe+ABTT', 'Mean6 test')]['delta']):+.1f} over" in line
    assert line.endswith("is not met.")          # one epoch on 200 captions does not clear the bar
    # the machine and numerics of the 6 runs (one machine, one setting, float32 by default since bf16
    # autocast lowered the scores on AMX): one line naming the seeds
    machine = readme.split("## Machine and numerics")[1].split("##")[0]
    assert "- 6 runs: " in machine and "float32" in machine and "seeds 0, 1" in machine   # the study default
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
    from vgbench.pipeline.selection import best_rows
    rows = (TrainedRow("A", "a.toml"), TrainedRow("B", "b.toml"),
            TrainedRow("C c=1", "c.toml", search="C"), TrainedRow("C c=2", "c.toml", search="C"))
    dev = {"A": 50.0, "B": 40.0, "C": 45.0, "C c=1": 44.0, "C c=2": 45.0}
    entries = [dict(row=r, textual="50d", rule="word dev", trained=True, criterion=v, seed=s)
               for r, v in dev.items() for s in (0, 1)]
    entries += [dict(row="B", textual="50d", rule="dev loss", trained=True, criterion=-99.0, seed=0)]
    assert [r.label for r in best_rows(rows, entries, "50d", 2)] == ["A", "C c=2"]


def test_gpu_study_trains_both_models_at_paper_size():
    from vgbench.pipeline.study_spec import GPU_ROWS, study_config
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
    from vgbench.pipeline.study_spec import SIX
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
    from vgbench.pipeline.study_eval import Evaluated
    from vgbench.pipeline.study_spec import RULE_COLUMN, STS, WORD_SETS
    from vgbench.pipeline.study_tests import paired_tests, seed_tests
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


# ------------------------------------------------------------------ the study's page (index.html)
def _html_table(page: str, key: str) -> tuple[list[str], list[list[tuple[str, str]]]]:
    """(header, rows of (text, mark)) of the page's table `key`, tags stripped."""
    import html as html_lib
    import re
    body = re.search(rf'<table class="sortable" data-key="{key}">(.*?)</table>', page, re.S).group(1)
    strip = lambda t: html_lib.unescape(re.sub(r"<[^>]+>", "", t))  # noqa: E731
    header = [strip(h) for h in re.findall(r"<th>(.*?)</th>", body)]
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body.split("</thead>")[1], re.S):
        cells = []
        for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S):
            mark = re.search(r'<sup class="sig">(.*?)</sup>', td)
            cells.append((strip(re.sub(r'<sup class="sig">.*?</sup>|<span class="ci">.*?</span>', "", td)).strip(),
                          strip(mark.group(1)) if mark else ""))
        rows.append(cells)
    return header, rows


@pytest.mark.slow
def test_study_page_opens_with_the_summary_and_its_marks_are_the_csv_p_holm(tiny_study):
    import re
    settings, _ = tiny_study
    out = settings.out
    page = (out / "index.html").read_text()
    # the first screen: what was compared, headline, verdicts, policy, run; before any table
    assert page.index('id="summary"') < page.index('id="tables"') < page.index('id="charts"')
    summary = page[page.index('id="summary"'):page.index('id="tables"')]
    for heading in ("Compared", "Headline", "Verdicts", "Policy", "Run"):
        assert f"<h3>{heading}</h3>" in summary
    assert "c = 8" in summary and "selection by word dev" in summary and "Command: " in summary
    assert "chosen per seed: seed 0" in summary                   # the search row states its choice
    # self-contained: nothing outside the file
    assert not re.search(r"https?://", page) and not re.search(r'src="(?!data:)', page)
    # every mark is the p (Holm) of tests.csv: ▲k/▼k exactly where p (Holm) ≤ 0.05 against baseline k
    tests = list(csv.DictReader((out / "tests.csv").open()))
    by = {(t["row"], t["rule"], t["baseline"], t["dataset"]): t for t in tests}
    header, rows = _html_table(page, "summary_50d")
    assert header[:3] == ["row", "selection", "seeds"] and "Mean6" in header and "STS mean" in header
    checked = 0
    for cells in rows:
        row, rule = cells[0][0], cells[1][0]
        for col, (_, mark) in zip(header[3:], cells[3:]):
            expected = ""
            for k, base in enumerate(("GloVe", "GloVe+ABTT"), 1):
                t = by.get((row, rule, base, col))
                if t is not None and float(t["p_holm"]) <= 0.05:
                    expected += ("▲" if float(t["delta"]) > 0 else "▼") + str(k)
                checked += t is not None
            assert mark == expected, (row, rule, col, mark, expected)
    assert checked > 20
    # the best mean of a column is bold (from summary.csv)
    means = list(csv.DictReader((out / "summary.csv").open()))
    best = max(float(r["Mean6"]) for r in means)
    assert f"<b>{best:.1f}</b>" in page
    # no duplicate rows: each (row, selection) once, and no two rows are the same runs and epochs
    keys = [(r["textual"], r["row"], r["selection"]) for r in means]
    assert len(keys) == len(set(keys)) == len(rows)
    entries = json.loads((out / "entries.json").read_text())
    runsets = {}
    for e in entries:
        runsets.setdefault((e["textual"], e["row"], e["rule"]), set()).add((e["seed"], e["source"]))
    signatures = [(k[0], k[2], frozenset(v)) for k, v in runsets.items()]
    assert len(signatures) == len(set(signatures))
    # c is fixed to 8 for both alternatives here: the search picks "c=8" (tie, first) for every seed,
    # so that row is the search row and appears once, as "Caption->image"
    assert {("Caption->image", "dev loss"), ("Caption->image", "word dev")} <= {(r["row"], r["selection"])
                                                                             for r in means}
    assert "Caption->image c=8" not in {r["row"] for r in means}
    # summary.md: the same first screen, then the results; no heading twice
    md = (out / "summary.md").read_text()
    headings = [line for line in md.splitlines() if line.startswith("#")]
    assert len(headings) == len(set(headings)) and headings[1] == "## Compared"
    assert "### GloVe 6B 50d" in md


@pytest.mark.slow
def test_study_charts_are_written_embedded_and_free_of_type3_fonts(tiny_study):
    import shutil
    import subprocess
    settings, _ = tiny_study
    out = settings.out
    page = (out / "index.html").read_text()
    for stem in ("scores_50d", "concreteness_50d"):
        assert (out / f"{stem}.png").stat().st_size > 1000
        assert f'id="chart-{stem}"' in page
        pdf = out / f"{stem}.pdf"
        if shutil.which("pdffonts"):
            fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
            assert "Type 3" not in fonts and "TrueType" in fonts, fonts
    if not shutil.which("pdffonts"):
        pytest.skip("pdffonts not installed (Debian: poppler-utils): Type 3 check not run")


def _assert_page_reads_whole(page: str, width: int, tmp_path) -> None:
    """No cell cut off, wide tables scroll in their own container with the first column in view,
    and both charts show at >= 80% of their width or with text >= 9 px."""
    from test_rendered_reports import CHROMIUM, MIN_CHART_TEXT_PX, _measure
    if CHROMIUM is None:
        pytest.skip("headless Chromium not installed (Debian: chromium)")
    m = _measure(page, width, tmp_path)
    assert m["viewport"] == width and m["page"] <= width, m["page"]
    assert not m["cut"] and not m["unscrolled"], (m["cut"][:5], m["unscrolled"][:3])
    assert not m["narrow"] and not m["unsticky"], (m["narrow"][:3], m["unsticky"][:3])
    assert len(m["images"]) == 2
    for shown, natural in m["images"]:
        assert shown >= 0.8 * natural or shown / natural * MIN_CHART_TEXT_PX >= 9, (shown, natural)


@pytest.mark.slow
@pytest.mark.parametrize("width", [1024, 1400])
def test_study_page_has_no_clipped_cell_and_readable_images(tiny_study, width, tmp_path):
    settings, _ = tiny_study
    _assert_page_reads_whole((settings.out / "index.html").read_text(), width, tmp_path)


COMMITTED_STUDY_PAGES = sorted((Path(__file__).resolve().parents[1] / "reports" / "study").glob("**/index.html"))


@pytest.mark.parametrize("width", [1024, 1400])
@pytest.mark.parametrize("page", COMMITTED_STUDY_PAGES, ids=lambda p: p.parent.name)
def test_committed_study_pages_have_no_clipped_cell_and_readable_images(page, width, tmp_path):
    """The pages `make study` wrote, with the real study's 20-column tables and long labels."""
    _assert_page_reads_whole(page.read_text(), width, tmp_path)


def test_a_search_row_that_always_picked_one_alternative_replaces_it():
    from vgbench.pipeline.selection import drop_repeated_rows

    def rows(label, rule, sources):
        return [dict(row=label, textual="50d", rule=rule, seed=s, source=src) for s, src in enumerate(sources)]
    same, other = ["run/c8_s0/e3", "run/c8_s1/e2"], ["run/c8_s0/e3", "run/c16_s1/e4"]
    entries = (rows("C c=8", "dev loss", same) + rows("C c=8 +ABTT", "dev loss", [s + "|abtt" for s in same])
               + rows("C", "dev loss", same) + rows("C +ABTT", "dev loss", [s + "|abtt" for s in same])
               + rows("C c=8", "word dev", same) + rows("C", "word dev", other))
    kept = {(e["row"], e["rule"]) for e in drop_repeated_rows(entries, {"C"})}
    assert kept == {("C", "dev loss"), ("C +ABTT", "dev loss"), ("C c=8", "word dev"), ("C", "word dev")}
    # the concatenated rows follow their grounded row: the search's is kept, the alternative's dropped
    both = [f"concat[alpha=0.5]:glove-6b-50d,{s}" for s in same]
    entries = (rows("C c=8 ⊕ GloVe", "dev loss", both) + rows("C ⊕ GloVe", "dev loss", both)
               + rows("C c=8 ⊕ GloVe +ABTT", "dev loss", [s + "|abtt" for s in both])
               + rows("C ⊕ GloVe +ABTT", "dev loss", [s + "|abtt" for s in both]))
    kept = {e["row"] for e in drop_repeated_rows(entries, {"C"})}
    assert kept == {"C ⊕ GloVe", "C ⊕ GloVe +ABTT"}


def test_rows_are_chosen_by_name_and_the_cpu_study_defaults_to_the_caption_image_model():
    from vgbench.pipeline.study_spec import CPU_EPOCHS, CPU_ROWS, ROWS, rows_named
    assert [r.label for r in CPU_ROWS] == ["Caption->image c=256"]   # cut to ~2.5 h of float32 training
    assert CPU_EPOCHS >= 20                                    # issue 21: 20+ epochs at c = 256
    assert rows_named("all") == tuple(ROWS.values())
    from vgbench.pipeline.study_spec import study_config
    ft = study_config(ROWS["caption_image_ft_256"], "50d", 0, StudySettings())   # a valid config
    assert (ft.model.kind, ft.model.finetune_te, ft.export.te, ft.model.grounded_dim) == \
        ("caption_image", True, "finetuned", 256)
    assert [r.label for r in rows_named("vge-default, C_GloVe")] == ["C_GloVe", "VGE 2021 (default)"]
    with pytest.raises(ValueError, match="--rows 'vge2023'.*caption_image_256"):
        rows_named("vge2023")


def test_study_verdicts_and_marks_read_p_holm():
    from vgbench.reporting.study_report import StudyInfo, StudyTable, study_summary
    cell = lambda m: {"mean": m, "sd": 1.0, "ci_low": m - 1, "ci_high": m + 1}  # noqa: E731
    agg = [dict(textual="50d", row=r, rule=rule, seeds=s, epochs=[None] * s if rule == "-" else [3, 4],
                **{c: cell(v) for c, v in (("Mean6", m), ("Mean6 test", m), ("STS mean", m))})
           for r, rule, s, m in (("GloVe", "-", 1, 40.0), ("GloVe+ABTT", "-", 1, 45.0), ("M", "dev loss", 2, 47.0))]

    def test(base, ds, delta, p):
        return dict(row="M", textual="50d", rule="dev loss", baseline=base, dataset=ds, delta=delta, p_holm=p)
    tests = [test("GloVe", "Mean6", 7.0, 0.01), test("GloVe+ABTT", "Mean6", 2.0, 0.2),
             test("GloVe", "STS mean", -3.0, 0.049), test("GloVe+ABTT", "STS mean", -4.0, 0.05)]
    info = StudyInfo("t", {"M": "model m"}, {"dev loss": "Mean6"}, [], {"date": "d", "command": "c"}, "0")
    s = study_summary(agg, tests, [], info)
    sentences = [v.sentence() for v in s.verdicts]
    assert sentences[0].startswith("M (dev loss) [50d] vs GloVe [50d]: beats on Mean6 (+7.0") and \
        "loses on STS mean (-3.0" in sentences[0]
    assert "ties on Mean6 (+2.0, p (Holm) 0.200)" in sentences[1]
    assert "loses on STS mean (-4.0" in sentences[1]        # p (Holm) = 0.05: significant, as `vgbench eval` marks
    grid = StudyTable("50d", agg, tests, ["Mean6", "STS mean"], "t")._grid()
    assert [c.mark for c in grid.rows[2][3:]] == ["▲1", "▼1▼2"] and grid.rows[2][3].bold


def test_study_numerics_follow_its_precision_and_batching_settings():
    from vgbench.pipeline.study_spec import CPU_ROWS, study_config
    row = CPU_ROWS[0]
    cfg = study_config(row, "50d", 0, StudySettings(precision="float32", batches="random"))
    assert (cfg.train.amp_cpu, cfg.train.bucket_by_length) == (False, False)
    cfg2 = study_config(row, "50d", 0, StudySettings(precision="bf16", batches="bucketed"))
    assert (cfg2.train.amp_cpu, cfg2.train.bucket_by_length) == (True, True)
    assert cfg.name != cfg2.name                  # other numerics, another run folder: never mixed


def test_the_gpu_study_names_each_rows_arithmetic_from_its_config():
    """The caption -> image configs train float32 (bf16 lowered their scores in make precision), the
    paper's VGE config bf16 autocast on CUDA: the README must not say bf16 for both."""
    from vgbench.pipeline.study_readme import _numerics
    from vgbench.pipeline.study_spec import GPU_ROWS
    text = _numerics(StudySettings(rows=GPU_ROWS, gpu=True, textuals=("50d",)))
    assert text.endswith("on the GPU bf16 autocast for VGE 2021 (paper, c=1024) and float32 for "
                         "Caption->image (c=1024)")
    assert _numerics(StudySettings(rows=GPU_ROWS[1:], gpu=True, textuals=("50d",))).endswith("float32 on the GPU")

