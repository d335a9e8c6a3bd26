"""The first screen of every report: summary.md, the top of index.html and the console say what
was compared and who won, in words that agree with the adjusted p-values of tests.csv; the
leaderboard's rank is its own column, computed only among comparable rows."""
from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd
import pytest

from vgbench.cli import main
from vgbench.embeddings import Embeddings, save_embeddings
from vgbench.evaluation.cache import ResultsCache
from vgbench.evaluation.means import SIMILARITY_MEAN, STS_MEAN
from vgbench.evaluation.results import PairedTest, Results, Score
from vgbench.reporting import tables, write_reports
from vgbench.reporting.leaderboard import collect, leaderboard_html, leaderboard_table

SIX = {"RW": 2034, "MEN": 3000, "WS353": 353, "MTurk-771": 771, "SimVerb-3500": 3500,
       "SimLex-999": 999}
YEARS = ["STS12", "STS13", "STS14", "STS15", "STS16"]
POLICY = {"case": "lower", "sts_case": "exact", "oov": "skip", "common_pairs": False,
          "n_boot": 1000, "seed": 0, "level": 0.95, "paired_test": "bootstrap"}
# (dataset, delta of B against base, raw p): MEN's raw p is below 0.05 but not after Holm over
# the family, so a verdict read from the raw p would disagree with the tables.
TESTS = {"grounded": [("RW", 4.0, 1e-6), ("MEN", 1.5, 0.02), ("WS353", -3.0, 1e-5),
                      ("MTurk-771", 0.5, 0.6), ("SimVerb-3500", 2.0, 1e-4), ("SimLex-999", 1.0, 0.3),
                      (SIMILARITY_MEAN, 1.2, 1e-4), (STS_MEAN, -0.4, 0.4)],
         "control": [("RW", -2.0, 1e-4), ("MEN", 0.2, 0.9), ("WS353", 0.1, 0.95),
                     ("MTurk-771", -0.3, 0.7), ("SimVerb-3500", -1.0, 0.04),
                     ("SimLex-999", 0.0, 1.0), (SIMILARITY_MEAN, -0.6, 0.01),
                     (STS_MEAN, 0.1, 0.8)]}


def _results() -> Results:
    res = Results(settings={"policy": dict(POLICY), "version": "0.1.0",
                            "invocation": {"command": "vgbench eval base.txt runs/vge/best.pt",
                                           "date": "2026-12-06 05:00 UTC",
                                           "commit": "abc123def456"}})
    base = {"RW": 34.0, "MEN": 65.7, "WS353": 50.3, "MTurk-771": 55.4, "SimVerb-3500": 15.3,
            "SimLex-999": 26.5}
    for k, name in enumerate(["base", "grounded", "control"]):
        res.embeddings[name] = {"dim": 50, "format": "glove", "source": f"/data/{name}.txt",
                                "rows_read": 400000, "words_loaded": 100000,
                                "policy": dict(POLICY), "fingerprint": f"{k}" * 64}
        shift = {t[0]: t[1] for t in TESTS.get(name, [])}
        for ds, total in SIX.items():
            v = base[ds] + shift.get(ds, 0.0)
            res.scores.append(Score(name, "similarity", ds, "All", "spearman", v, v - 2, v + 2,
                                    total, total))
        sim = float(np.mean([base[d] + shift.get(d, 0.0) for d in SIX]))
        res.scores.append(Score(name, "similarity", SIMILARITY_MEAN, "All", "spearman", sim,
                                sim - 1.1, sim + 1.0, sum(SIX.values()), sum(SIX.values())))
        for y, year in enumerate(YEARS):
            v = 45.0 + y
            res.scores.append(Score(name, "sts", year, "mean", "pearson", v, v - 2, v + 2, 750,
                                    750))
        sts = 47.0 + shift.get(STS_MEAN, 0.0)
        res.scores.append(Score(name, "sts", STS_MEAN, "All", "pearson", sts, sts - 1.6,
                                sts + 1.7, 3750, 3750))
    res.embeddings["grounded"].update(source="runs/vge/best.pt", format="checkpoint",
                                      grounding={"kind": "vge", "name": "vge_paper",
                                                 "textual": "glove-6b-50d"},
                                      training={"data": "Flickr8k", "config": "vge_paper.toml",
                                                "epochs": 5, "seed": 0})
    for name, rows in TESTS.items():
        for ds, delta, p in rows:
            res.tests.append(PairedTest(ds, "All", "spearman" if ds != STS_MEAN else "pearson",
                                        "base", name, 50.0, 50.0 + delta, delta, delta - 1,
                                        delta + 1, p, "paired bootstrap-z", 500))
    return res


@pytest.fixture
def report(tmp_path):
    out = tmp_path / "report"
    write_reports(_results(), out, charts=False)
    return out


def _sections(md: str) -> dict[str, str]:
    parts = re.split(r"^## (.+)$", md, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def test_summary_md_says_what_who_how_and_when(report):
    md = (report / "summary.md").read_text()
    assert md.startswith("# base vs grounded vs control\n")
    sections = _sections(md)
    assert list(sections) == ["Compared", "Headline", "Verdicts", "Policy", "Run"]
    compared = sections["Compared"]
    assert "base: base.txt; glove; 400,000 rows; 100,000 words loaded; dim 50" in compared
    assert "trained on Flickr8k; config vge\\_paper.toml; epochs 5; seed 0" in compared
    headline = sections["Headline"]
    sim = np.mean([34.0 + 4.0, 65.7 + 1.5, 50.3 - 3.0, 55.4 + 0.5, 15.3 + 2.0, 26.5 + 1.0])
    assert f"grounded: similarity six-set mean {sim:.1f} \\[{sim - 1.1:.1f}, {sim + 1.0:.1f}\\]" \
        in headline
    assert "STS mean 46.60 \\[45.00, 48.30\\]" in headline
    assert "grounded vs base, similarity six-set mean: Δ 1.2 \\[0.2, 2.2\\]" in headline
    assert "Policy: word lookup lower" in sections["Policy"]
    run = sections["Run"]
    assert "2026-12-06 05:00 UTC" in run and "`vgbench eval base.txt runs/vge/best.pt`" in run
    assert "vgbench 0.1.0, commit abc123def456" in run


def _verdicts(md: str) -> dict[tuple[str, str, str], str]:
    out = {}
    for line in _sections(md)["Verdicts"].splitlines():
        m = re.match(r"- (\S+) vs (\S+): (.*)\.$", line)
        if not m:
            continue
        for part in m.group(3).split("; "):
            word, sets = part.split(" on ", 1)
            for ds in sets.split(", "):
                out[(m.group(1), m.group(2), ds.replace("\\", ""))] = word
    return out


def test_verdict_words_agree_with_the_adjusted_p_in_tests_csv(report):
    verdicts = _verdicts((report / "summary.md").read_text())
    tests = pd.read_csv(report / "tests.csv")
    assert len(verdicts) == len(tests) == 16
    for _, t in tests.iterrows():
        word = verdicts[(t["embedding_b"], t["embedding_a"], t["dataset"])]
        beats = t["p_adjusted"] <= 0.05 and t["delta"] > 0
        loses = t["p_adjusted"] <= 0.05 and t["delta"] < 0
        assert (word == "beats") == beats and (word == "loses") == loses, (t["dataset"], word)
    # MEN's raw p 0.02 is significant alone, not after Holm over the 16 tests: a tie
    assert verdicts[("grounded", "base", "MEN")] == "ties"
    assert verdicts[("grounded", "base", "RW")] == "beats"
    assert verdicts[("grounded", "base", "WS353")] == "loses"


def test_index_html_opens_with_the_summary(report):
    page = (report / "index.html").read_text()
    assert "<title>base vs grounded vs control</title>" in page
    assert re.search(r"<h1>base vs grounded vs control</h1>", page)
    first_h2 = re.search(r"<h2[^>]*>(.*?)</h2>", page).group(1)
    assert first_h2 == "Summary"
    assert page.index('id="summary"') < page.index('id="tables"')
    summary = page[page.index('id="summary"'):page.index('id="tables"')]
    assert "grounded vs base: beats on RW" in summary and "abc123def456" in summary


def test_summary_escapes_labels_for_each_reader(tmp_path):
    res = _results()
    res.embeddings["<b>x|y</b>"] = res.embeddings.pop("control")
    for s in res.scores:
        s.embedding = "<b>x|y</b>" if s.embedding == "control" else s.embedding
    for t in res.tests:
        t.embedding_b = "<b>x|y</b>" if t.embedding_b == "control" else t.embedding_b
    write_reports(res, tmp_path / "r", charts=False, formats=("md", "html", "csv"))
    assert "<b>x" not in (tmp_path / "r" / "summary.md").read_text()
    assert "&lt;b&gt;x\\|y&lt;/b&gt;" in (tmp_path / "r" / "summary.md").read_text()
    assert "<b>x|y</b>" not in (tmp_path / "r" / "index.html").read_text()


def _terminal(monkeypatch, columns: int) -> None:
    monkeypatch.setattr("shutil.get_terminal_size",
                        lambda fallback=(80, 24): os.terminal_size((columns, 24)))


def test_console_shows_ci_when_wide_and_verdicts_instead_of_the_paired_list(monkeypatch):
    res = _results()
    _terminal(monkeypatch, 200)
    wide = tables.console_table(res)
    assert re.search(r"\d\.\d\*? ±2\.0", wide)  # Table 1 cells: CI ±2 around each score
    assert "Paired comparisons" not in wide and "paired bootstrap-z" not in wide
    assert "grounded vs base: beats on RW, SimVerb-3500, Similarity mean;" in wide
    assert max(map(len, wide.splitlines())) <= 200
    _terminal(monkeypatch, 60)
    narrow = tables.console_table(res)
    assert "±" not in narrow and "+-" not in narrow
    assert max(map(len, narrow.splitlines())) <= 60
    assert "bold" not in (wide + narrow).lower()


WORDS = ["cat", "dog", "car", "banana", "king", "queen", "sun", "chair", "apple", "road"]
PAIRS = ("cat\tdog\t8\ncar\tbanana\t1\nking\tqueen\t9\nsun\tchair\t0.5\napple\tbanana\t7\n"
         "road\tcar\t6\ncat\tchair\t1\nqueen\tsun\t2\n")


def test_eval_records_the_command_and_prints_the_summary(tmp_path, capsys, monkeypatch):
    rng = np.random.default_rng(0)
    a = save_embeddings(Embeddings(WORDS, rng.normal(size=(10, 8)), "a"), tmp_path / "a.txt")
    b = save_embeddings(Embeddings(WORDS, rng.normal(size=(10, 8)), "b"), tmp_path / "b.txt")
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(PAIRS)
    args = ["eval", str(a), str(b), "--dataset", str(pairs), "--bootstrap", "30", "--quiet",
            "--no-cache", "--no-charts", "--out", str(tmp_path / "out")]
    monkeypatch.setattr("sys.argv", ["vgbench"] + args)
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "Summary: a.txt vs b.txt" in printed
    assert printed.rstrip().splitlines()[-1].startswith("  vgbench ")
    md = (tmp_path / "out" / "summary.md").read_text()
    assert f"`vgbench eval {a} {b} --dataset {pairs}" in md
    assert "a.txt: a.txt; glove" in md or "a.txt: a.txt; word2vec" in md
    assert main(args + ["--json"]) == 0
    assert "Summary:" not in capsys.readouterr().out


# ------------------------------------------------------------------ leaderboard

def _cached(name: str, values: dict[str, float], k: int) -> Results:
    res = Results(settings={"policy": dict(POLICY)})
    res.embeddings[name] = {"dim": 50, "fingerprint": f"{k}" * 64, "policy": dict(POLICY)}
    for ds, v in values.items():
        res.scores.append(Score(name, "similarity", ds, "All", "spearman", v, v - 2, v + 2,
                                SIX[ds], SIX[ds]))
    return res


@pytest.fixture
def board(tmp_path):
    cache = ResultsCache(tmp_path / "cache")
    entries = [("low-men", {"MEN": 60.0, "SimLex-999": 40.0}),
               ("no-simlex", {"MEN": 70.0}),
               ("high-men", {"MEN": 65.0, "SimLex-999": 30.0}),
               ("mid", {"MEN": 62.0, "SimLex-999": 35.0})]
    for k, (name, values) in enumerate(entries):
        cache.put(f"{k:064x}", _cached(name, values, k))
    rows, _ = collect(cache)
    return rows


def test_leaderboard_rank_is_its_own_column_and_blank_without_a_value(board):
    table = leaderboard_table(board, sort="SimLex-999")
    grid = table._grid()
    assert grid.header[:3] == ["Embedding", "Rank", "SimLex-999"]  # ranked column in view
    ranks = {row[0].text.split(" (")[0]: row[1].text for row in grid.rows}
    assert ranks == {"low-men": "1", "mid": "2", "high-men": "3", "no-simlex": ""}
    by_men = leaderboard_table(board, sort="MEN")
    ranks = {row[0].text.split(" (")[0]: row[1].text for row in by_men._grid().rows}
    assert ranks == {"no-simlex": "1", "high-men": "2", "mid": "3", "low-men": "4"}


def test_leaderboard_ranks_stay_in_order_when_the_page_sorts_another_column(board):
    """Sorting the page by MEN (as its script does: by data-sort) leaves every rank with its
    row: the ranks of the comparable rows are 1..k by SimLex-999 whatever the order."""
    table = leaderboard_table(board, sort="SimLex-999")
    page = leaderboard_html(table, board)
    body = page[page.index('data-key="leaderboard"'):]
    body = body[:body.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body[body.index("<tbody>"):])
    cells = [re.findall(r'<td[^>]*data-sort="([^"]*)"[^>]*>', r) for r in rows]
    assert all(len(c) == len(table.columns) + 2 for c in cells)
    men = table.columns.index("MEN") + 2
    by_men = sorted(cells, key=lambda c: -float(c[men]))
    simlex = table.columns.index("SimLex-999") + 2
    ranked = [(float(c[simlex]), c[1]) for c in by_men if c[1]]
    ranks = {v: int(float(k) % 1_000_000) for v, k in ranked}
    assert sorted(ranks.values()) == [1, 2, 3]
    assert [ranks[v] for v in sorted(ranks, reverse=True)] == [1, 2, 3]
    assert [c[1] for c in by_men if not c[simlex]] == [""]  # no SimLex: no rank


def test_every_leaderboard_table_is_sortable(board, tmp_path):
    page = leaderboard_html(leaderboard_table(board), board)
    tables_ = re.findall(r'<table class="sortable"[^>]*>(.*?)</table>', page, flags=re.S)
    assert len(tables_) == 2
    for t in tables_:
        tds = re.findall(r"<td[^>]*>", t)
        assert tds and all("data-sort=" in td for td in tds)


def test_demo_records_each_trained_models_data_config_epochs_and_seed(tmp_path):
    import json

    from vgbench.pipeline.demo import describe_training
    from vgbench.reporting.summary import build_summary
    run = tmp_path / "demo_vge"
    run.mkdir()
    (run / "summary.json").write_text(json.dumps({"epochs_run": 6, "best_epoch": 4}))
    (run / "config.toml").write_text('[data]\ndataset = "flickr8k"\n[train]\nepochs = 6\nseed = 3\n')
    res = Results(embeddings={"GloVe": {"dim": 50}, "VGE": {"dim": 256, "format": "npy",
                                                              "source": "runs/vge.npy"},
                              "VGE+ABTT": {"dim": 256}})
    describe_training(res, {"VGE": run}, {"VGE": "demo_vge"})
    assert "training" not in res.embeddings["GloVe"]
    lines = dict(build_summary(res).sources)
    assert lines["VGE"] == ("vge.npy; npy; dim 256; trained on flickr8k; config demo_vge; "
                            "epochs 6 of 6 (best 4); seed 3")
    assert "config demo_vge" in lines["VGE+ABTT"]
