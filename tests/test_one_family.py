"""One family per report, one answer per comparison: a ▲/▼ mark in a score table and the p (Holm)
printed for the same comparison in the paired-tests table come from the same adjustment, and
tests.csv / results.json store that family and that p, also after `vgbench report` merges runs."""
from __future__ import annotations

import csv
import json
import re

import numpy as np

from vgbench.cli import main
from vgbench.evaluation.results import PairedTest, Results, Score
from vgbench.evaluation.statistics import holm
from vgbench.reporting import write_reports

SIM = {"D1": 0.012, "D2": 0.2, "D3": 0.6}
STS = {"STS12": 0.011, "STS13": 0.3, "STS14": 0.4, "STS15": 0.5, "STS16": 0.7}


def _results(a="A", b="B", shift=0.0) -> Results:
    """Two embeddings on three word-pair sets and five STS years, with chosen test p-values:
    Holm over one table's 3 tests would mark D1 (3 × 0.012 = 0.036), over all 8 it must not."""
    res = Results(settings={"policy": {"level": 0.95, "n_boot": 1000, "paired_test": "bootstrap"}})
    for name, base in ((a, 50.0), (b, 55.0)):
        res.embeddings[name] = {"dim": 8}
        for ds in SIM:
            res.scores.append(Score(name, "similarity", ds, "All", "spearman", base + shift,
                                    base - 5, base + 5, 100, 100))
        for ds in STS:
            res.scores.append(Score(name, "sts", ds, "mean", "pearson", base, base - 3,
                                    base + 3, 300, 300))
    for ds, p in SIM.items():
        res.tests.append(PairedTest(ds, "All", "spearman", a, b, 50.0, 55.0, 5.0, 1.0, 9.0, p,
                                    "paired bootstrap-z", 100))
    for ds, p in STS.items():
        res.tests.append(PairedTest(ds, "mean", "pearson", a, b, 50.0, 55.0, 5.0, 1.0, 9.0, p,
                                    "paired bootstrap-z", 300))
    return res


def _md_tables(text: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of every Markdown table."""
    out, title = [], ""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("### "):
            title = lines[i][4:]
        if lines[i].startswith("| ") and i + 1 < len(lines) and lines[i + 1].startswith("|:"):
            header = [c.strip() for c in lines[i].strip("|").split(" | ")]
            rows, i = [], i + 2
            while i < len(lines) and lines[i].startswith("| "):
                rows.append([c.strip() for c in re.split(r"(?<!\\)\|", lines[i].strip())[1:-1]])
                i += 1
            out.append((title, header, rows))
            continue
        i += 1
    return out


def _page_is_consistent(md: str, alpha: float = 0.05) -> int:
    """Assert every mark and every unmarked cell agrees with the p (Holm) printed for its test;
    return how many cells were checked."""
    tables = _md_tables(md)
    [(_, th, trows)] = [t for t in tables if t[1][:4] == ["Dataset", "Metric", "A", "B"]]
    col = {h: k for k, h in enumerate(th)}
    p_holm = {}
    for r in trows:
        value = r[col["p (Holm)"]].strip("*").replace("≤", "")
        p_holm[(r[col["Dataset"]], r[col["B"]])] = float(value)
    checked = 0
    for title, header, rows in tables:
        if header[0] != "Model":
            continue
        suffix = "/mean" if title.startswith("STS benchmarks") else ""
        for r in rows:
            for label, cell in zip(header[1:], r[1:]):
                key = (label + suffix, r[0].replace("\\|", "|"))
                if key not in p_holm:
                    continue
                marked = "▲" in cell or "▼" in cell
                assert marked == (p_holm[key] <= alpha), (title, key, cell, p_holm[key])
                checked += 1
    return checked


def test_marks_agree_with_the_printed_p_holm(tmp_path):
    out = tmp_path / "rep"
    write_reports(_results(), out, formats=("md", "csv", "json"), charts=False)
    md = (out / "tables.md").read_text()
    assert _page_is_consistent(md) == 8
    assert "over the family of all 8 paired tests of this report" in md
    with open(out / "tests.csv", newline="") as f:
        stored = list(csv.DictReader(f))
    expected = holm(list(SIM.values()) + list(STS.values()))
    assert [float(r["p_adjusted"]) for r in stored] == list(expected)
    assert {r["family"] for r in stored} == {"all 8 paired tests of this report "
                                             "(Holm–Bonferroni)"}


def test_report_recomputes_the_family_when_it_merges_runs(tmp_path, capsys):
    one, two = tmp_path / "one", tmp_path / "two"
    for folder, res in ((one, _results()), (two, _results("C", "D"))):
        write_reports(res, folder, formats=("json",), charts=False)
        stored = json.loads((folder / "results.json").read_text())["tests"]
        assert {t["family"] for t in stored} == {"all 8 paired tests of this report "
                                                 "(Holm–Bonferroni)"}
    merged = tmp_path / "merged"
    assert main(["report", str(one), str(two), "--out", str(merged), "--no-charts"]) == 0
    with open(merged / "tests.csv", newline="") as f:
        stored = list(csv.DictReader(f))
    ps = [*SIM.values(), *STS.values()] * 2
    assert np.allclose([float(r["p_adjusted"]) for r in stored], holm(ps))
    assert {r["family"] for r in stored} == {"all 16 paired tests of this report "
                                             "(Holm–Bonferroni)"}
    assert _page_is_consistent((merged / "tables.md").read_text()) == 16
    data = json.loads((merged / "results.json").read_text())
    assert np.allclose([t["p_adjusted"] for t in data["tests"]], holm(ps))


def test_a_real_multi_source_run_has_no_contradicting_mark(tmp_path):
    """Three embeddings, two of them close to the gold: the marks come out of a real evaluation."""
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(60)]
    base = rng.normal(size=(60, 12))
    pairs = [(i, j) for i in range(60) for j in range(i + 1, 60)][::7]
    gold = [float(base[i] @ base[j]) for i, j in pairs]
    files = []
    for k, noise in enumerate((0.2, 0.9, 0.25)):
        vec = base + rng.normal(scale=noise, size=base.shape)
        path = tmp_path / f"e{k}.txt"
        path.write_text("".join(f"{w} {' '.join(f'{x:.5f}' for x in v)}\n"
                                for w, v in zip(words, vec)))
        files.append(str(path))
    for d in range(2):
        sel = range(d, len(pairs), 2)
        (tmp_path / f"set{d}.txt").write_text("".join(
            f"{words[pairs[i][0]]} {words[pairs[i][1]]} {gold[i]:.4f}\n" for i in sel))
    out = tmp_path / "rep"
    assert main(["eval", *files, "--dataset", str(tmp_path / "set0.txt"), "--dataset",
                 str(tmp_path / "set1.txt"), "--bootstrap", "200", "--no-cache", "--quiet",
                 "--no-charts", "--out", str(out)]) == 0
    md = (out / "tables.md").read_text()
    assert _page_is_consistent(md) == 4
    assert "▼" in md
