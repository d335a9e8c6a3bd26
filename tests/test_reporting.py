"""Reports from a small hand-made Results: the right numbers, the right best values, valid-looking
LaTeX, round-tripping CSV/JSON, real chart files, and no half-written output."""
import io
import math
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from vgbench.evaluation.results import PairedTest, Results, Score
from vgbench.reporting import charts, score_tables, tables, write_reports
from vgbench.reporting.policy import policy_notes

SIX = {"RW": 2034, "MEN": 3000, "WS353": 353, "MTurk-771": 771, "SimVerb-3500": 3500,
       "SimLex-999": 999}
# Hand-picked so every column has a known, different winner.
SIM = {  # embedding -> six "All" scores in SIX order
    "glove": [34.0, 65.7, 50.3, 55.4, 15.3, 26.5],  # the reference figures (tests/test_evaluation.py)
    "VGE_G": [36.0, 64.0, 52.0, 55.0, 17.0, 30.1],
    "cap&co": [30.0, 70.2, 49.0, 58.0, 16.0, 28.0],
}
SECTIONS = {"glove": [26.5, 41.4, 31.4, 1.2, 29.1, 23.9, 29.8, 25.5, 9.6],
            "VGE_G": [30.1, 40.0, 35.0, -2.0, 33.0, 22.0, 31.0, 40.0, 12.0],
            "cap&co": [28.0, 45.0, 30.0, 5.0, 20.0, 30.0, 35.0, 30.0, 8.0]}
STS = {"glove": [44.30, 42.18, 47.06, 47.25, 42.42],
       "VGE_G": [45.00, 41.00, 48.00, 46.00, 43.00],
       "cap&co": [40.00, 43.00, 46.00, 48.00, 41.00]}


@pytest.fixture
def results():
    scores = []
    for emb in SIM:
        for (ds, total), v in zip(SIX.items(), SIM[emb]):
            used = {"RW": 1782, "SimVerb-3500": 3498}.get(ds, total) if emb == "glove" else total
            scores.append(Score(emb, "similarity", ds, "All", "spearman", v, v - 2.5, v + 2.0,
                                used, total))
        for sec, v in zip(score_tables.SIMLEX_SECTIONS[1:], SECTIONS[emb][1:]):
            scores.append(Score(emb, "similarity", "SimLex-999", sec, "spearman", v, v - 6,
                                v + 5, 111, 111))
        for year, v in zip(score_tables.STS_YEARS, STS[emb]):
            for metric, shift in [("pearson", 0.0), ("spearman", 3.0)]:
                scores.append(Score(emb, "sts", year, "MSRpar", metric, v - 5, None, None, 750,
                                    750))
                for agg, extra in [("mean", 0.0), ("wmean", 1.0), ("all", -4.0)]:
                    scores.append(Score(emb, "sts", year, agg, metric, v + shift + extra,
                                        v + shift + extra - 1, v + shift + extra + 1, 1500,
                                        1500))
    # A user word-pair file, evaluated for two of the three embeddings only.
    scores.append(Score("glove", "similarity", "my_pairs", "All", "spearman", 12.0, None, None,
                        9, 10))
    scores.append(Score("VGE_G", "similarity", "my_pairs", "All", "spearman", 11.0, None, None,
                        10, 10))
    tests = [PairedTest("SimLex-999", "All", "spearman", "glove", "VGE_G", 26.5, 30.1, 3.6, 1.1,
                        6.2, 0.004, "bootstrap", 999),
             PairedTest("STS12", "mean", "pearson", "glove", "VGE_G", 44.3, 45.0, 0.7, -0.4,
                        1.8, 0.21, "steiger", 3108)]
    # Metadata laid out as vgbench.evaluate stores it.
    policy = {"case": "lower", "sts_case": "exact", "oov": "skip", "common_pairs": False,
              "n_boot": 1000, "seed": 0, "level": 0.95, "paired_test": "bootstrap"}
    embeddings = {e: {"dim": 50, "policy": dict(policy),
                      "sts_token_coverage": {y: 0.97 + 0.002 * k
                                             for k, y in enumerate(score_tables.STS_YEARS)}}
                  for e in SIM}
    return Results(scores, tests, embeddings,
                   {"policy": dict(policy), "datasets": list(SIX) + score_tables.STS_YEARS,
                    "citations": {"MEN": "Bruni et al. 2014"}, "data_root": "/somewhere",
                    "run": "demo"})


def _latex_rows(tex):
    body = tex.split("\\midrule\n")[1].split("\\bottomrule")[0]
    return [r.rstrip().removesuffix("\\\\").strip().split(" & ") for r in body.strip().splitlines()]


def _bold_columns(tex):
    """{column index: set of row labels whose cell is bold}."""
    out = {}
    for row in _latex_rows(tex):
        for j, cell in enumerate(row[1:]):
            if cell.startswith("\\textbf{"):
                out.setdefault(j, set()).add(row[0].replace("\\_", "_").replace("\\&", "&"))
    return out


# ------------------------------------------------------------------ numbers and best values

def test_intrinsic_table_values_and_six_set_mean(results):
    t = tables.intrinsic_table(results)
    assert t.rows == ["glove", "VGE_G", "cap&co"]
    assert t.columns == ["RW", "MEN", "WS353", "MTurk-771", "SimVerb-3500", "SimLex-999", "Mean",
                         "my_pairs"]
    mean = t.values[:, t.columns.index("Mean")]
    # The reference six give mean 41.2; computed here independently of the module.
    assert mean[0] == pytest.approx((34.0 + 65.7 + 50.3 + 55.4 + 15.3 + 26.5) / 6)
    assert f"{mean[0]:.1f}" == "41.2"
    assert mean == pytest.approx([np.mean(SIM[e]) for e in SIM])
    assert tables.six_set_mean(results, "VGE_G") == pytest.approx(np.mean(SIM["VGE_G"]))
    assert math.isnan(t.values[2, t.columns.index("my_pairs")])  # not evaluated: a gap


def test_six_set_mean_needs_all_six(results):
    results.scores = [s for s in results.scores
                      if not (s.embedding == "cap&co" and s.dataset == "WS353")]
    t = tables.intrinsic_table(results)
    assert math.isnan(t.values[2, t.columns.index("Mean")])
    assert not math.isnan(t.values[0, t.columns.index("Mean")])
    assert math.isnan(tables.six_set_mean(results, "cap&co"))
    results.scores = [s for s in results.scores if s.dataset != "WS353"]
    assert "Mean" not in tables.intrinsic_table(results).columns  # nobody has all six


def test_best_value_per_column_is_the_one_marked(results):
    t = tables.intrinsic_table(results)
    expected = {}
    for j, col in enumerate(t.columns):
        # only the rows scored on the column's most pairs compete (glove's RW, SimVerb, Mean
        # and my_pairs scores cover fewer pairs)
        col_vals = np.where(t.used[:, j] == t.used[np.isfinite(t.values[:, j]), j].max(),
                            t.values[:, j], np.nan)
        if np.isfinite(col_vals).sum() >= 2:
            expected[j] = {t.rows[i] for i in np.flatnonzero(col_vals == np.nanmax(col_vals))}
    # my_pairs: glove's 12.0 covers 9 of 10 pairs, so nothing; RW: VGE_G; MEN: cap&co; Mean:
    # VGE_G (42.4).
    assert t.columns.index("my_pairs") not in expected
    assert expected[t.columns.index("RW")] == {"VGE_G"}
    assert expected[t.columns.index("Mean")] == {"VGE_G"}
    assert _bold_columns(t.to_latex()) == {j: names for j, names in expected.items()}
    md_rows = [r for r in t.to_markdown().splitlines() if r.startswith("| ") and "Model" not in r]
    for j, names in expected.items():
        assert {r.split(" | ")[0][2:].replace("\\_", "_").replace("&amp;", "&") for r in md_rows
                if r.split(" | ")[j + 1].startswith("**")} == names
    console = t.to_console()
    for line in console.splitlines():
        if line.startswith("cap&co") and "70.2" in line:
            assert "70.2*" in line and "49.0*" not in line


def test_ties_on_shown_digits_are_all_bold_and_single_values_never(results):
    for s in results.scores:
        if s.dataset == "SimVerb-3500":
            s.value = {"glove": 17.04, "VGE_G": 16.96, "cap&co": 3.0}[s.embedding]
    t = tables.intrinsic_table(results)
    j = t.columns.index("SimVerb-3500")
    # glove's 17.0 is on 3498 of the 3500 pairs: not comparable, never best
    assert set(np.array(t.rows)[t.best_mask()[:, j]]) == {"VGE_G"}
    for s in results.scores:
        if s.dataset == "SimVerb-3500":
            s.n_used = s.n_total
    t = tables.intrinsic_table(results)
    assert set(np.array(t.rows)[t.best_mask()[:, j]]) == {"glove", "VGE_G"}  # both show 17.0
    only = Results([s for s in results.scores if s.embedding == "glove"], [],
                   {"glove": results.embeddings["glove"]})
    assert not tables.intrinsic_table(only).best_mask().any()


def test_simlex_and_sts_tables(results):
    t = tables.simlex_table(results)
    assert t.columns == score_tables.SIMLEX_SECTIONS
    assert t.values[1] == pytest.approx(SECTIONS["VGE_G"])
    assert t.best_mask()[:, t.columns.index("Conc-q4")].tolist() == [False, True, False]

    sts = tables.sts_table(results)  # paper's headline: Pearson, plain mean
    assert sts.key == "table4_sts" and sts.decimals == 2
    assert sts.columns == score_tables.STS_YEARS + ["Mean"]
    assert sts.values[0, :5] == pytest.approx(STS["glove"])
    assert sts.values[0, 5] == pytest.approx(np.mean(STS["glove"]))
    other = tables.sts_table(results, "spearman", "wmean")
    assert other.key == "sts_spearman_wmean"
    assert other.values[0, :5] == pytest.approx(np.array(STS["glove"]) + 4.0)
    with pytest.raises(ValueError, match="aggregate"):
        tables.sts_table(results, aggregate="median")


def test_coverage_shown_only_below_full(results):
    console = tables.intrinsic_table(results).to_console()
    glove = next(line for line in console.splitlines() if line.startswith("glove"))
    assert "(87.6%)" in glove  # RW 1782/2034
    assert "(99.9%)" in glove  # SimVerb 3498/3500: floored, never shown as 100.0%
    assert "glove   12.0 (90.0%)" in console  # my_pairs 9/10
    assert "41.2  (97.6%)" in glove  # the mean's coverage: pairs used / pairs over its sets
    vge = next(line for line in console.splitlines() if line.startswith("VGE_G"))
    assert "%" not in vge
    tex = tables.intrinsic_table(results).to_latex()
    assert tex.count("$^\\dagger$") == 4 + 1  # four marked cells (mean too) and the note
    assert "RW 1782/2034 (87.6\\%)" in tex


def test_policy_footer(results):
    text = tables.console_table(results)
    policy = ("Policy: word lookup lower, STS token lookup exact, OOV pairs skipped, 95% CIs "
              "from 1000 bootstrap resamples (seed 0), paired test bootstrap.")
    assert policy in policy_notes(results)
    assert text.count("Policy:") == 1  # once, as the console footer
    assert "Settings: run demo." in text and "/somewhere" not in text
    results.embeddings["VGE_G"]["policy"].update(case="exact", oov="zero", common_pairs=True)
    lines = policy_notes(results)
    assert any(line.startswith("Policy (VGE_G): word lookup exact, STS token lookup exact, "
                               "OOV pairs scored 0, only the pairs every embedding covers")
               for line in lines)
    assert any(line.startswith("Policy (glove): word lookup lower") for line in lines)
    md = tables.intrinsic_table(results).to_markdown()
    assert "Policy (VGE\\_G): word lookup exact" in md  # stated under every file table
    sts = tables.sts_table(results).to_markdown()
    assert "STS tokens found in the vocabulary: glove 97.0-97.8%" in sts


def test_console_fits_in_100_columns(results):
    for k in range(8):  # many user sets make the table too wide for one block
        results.scores.append(Score("glove", "similarity", f"user_set_{k}", "All", "spearman",
                                    10.0 + k, None, None, 5, 10))
    text = tables.console_table(results, width=100)
    assert max(len(line) for line in text.splitlines()) <= 100
    text.encode("ascii")  # a redirected Windows console cannot print Greek letters
    assert "user_set_7" in text and "SimLex-999" in text and "STS16" in text


# ------------------------------------------------------------------ LaTeX

def _check_latex(tex, n_rows, n_cols):
    unescaped = re.sub(r"\\[{}]", "", tex)
    depth = 0
    for ch in unescaped:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    assert tex.count("\\begin{") == tex.count("\\end{")
    assert tex.index("\\toprule") < tex.index("\\midrule") < tex.index("\\bottomrule")
    assert tex.count("$") % 2 == 0
    spec = re.search(r"\\begin\{tabular\}\{(?:@\{\})?([lrc]+)(?:@\{\})?\}", tex).group(1)
    assert len(spec) == n_cols
    rows = _latex_rows(tex)
    assert len(rows) == n_rows
    assert all(len(r) == n_cols for r in rows)
    header = tex.split("\\toprule\n")[1].split("\n")[0]
    assert header.count(" & ") == n_cols - 1


def test_latex_tables_are_well_formed(results):
    texts = tables.latex_tables(results)
    assert set(texts) == {"table1_intrinsic", "table3_simlex", "table4_sts", "paired_tests"}
    _check_latex(texts["table1_intrinsic"], 3, 1 + 8)
    _check_latex(texts["table3_simlex"], 3, 1 + 9)
    _check_latex(texts["table4_sts"], 3, 1 + 6)
    paired = texts["paired_tests"]
    assert "longtable" not in paired and paired.count("\\quad ") == 2
    assert "\\textbf{0.008}" in paired  # p 0.004 x 2 tests (Holm), significant
    tex = texts["table1_intrinsic"]
    assert "cap\\&co" in tex and "VGE\\_G" in tex and "my\\_pairs" in tex
    assert "\\label{tab:table1_intrinsic}" in tex and "\\caption{" in tex
    assert "$-$2.0" in texts["table3_simlex"]  # VGE_G Verbs: a real minus sign
    with_ci = tables.intrinsic_table(results).to_latex(ci=True)
    _check_latex(with_ci, 3, 9)
    assert "{\\scriptsize[31.5, 36.0]}" in with_ci  # glove RW 34.0, CI 31.5-36.0


def test_markdown_report_has_every_table(results):
    md = tables.markdown_report(results)
    for title in ["Intrinsic evaluation", "SimLex-999 sections", "plain mean over subsets",
                  "size-weighted mean", "one correlation over all", "STS per subset",
                  "Paired comparisons"]:
        assert title in md
    assert "| glove | 34.0 [31.5, 36.0] (87.6%) |" in md
    assert "| 0.004 | **0.008** |" in md  # raw p, then Holm over 2 tests, significant in bold
    assert "Family for p (Holm): all 2 paired tests of this report" in md


# ------------------------------------------------------------------ files

def test_write_reports_files_round_trip(results, tmp_path):
    paths = write_reports(results, tmp_path / "out")
    names = {p.name for p in paths}
    assert names == {"results.json", "scores.csv", "tests.csv", "tables.md",
                     "table1_intrinsic.tex", "table3_simlex.tex", "table4_sts.tex",
                     "paired_tests.tex", "index.html", "summary.md"} | {f"{c}.{f}" for c in
                                            ["simlex_concreteness", "simlex_sections", "datasets"]
                                            for f in ["png", "pdf"]}
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)
    for chart in ["simlex_concreteness", "simlex_sections", "datasets"]:
        png = (tmp_path / "out" / f"{chart}.png").read_bytes()
        pdf = (tmp_path / "out" / f"{chart}.pdf").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
        assert Image.open(io.BytesIO(png)).size[0] >= 800  # 150 dpi, at least 6.4 inches wide
        assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 2000
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".") and p.name != ".vgbench-files"]

    back = Results.load_json(tmp_path / "out" / "results.json")
    assert back.to_dict() == results.to_dict()

    csv = pd.read_csv(tmp_path / "out" / "scores.csv")
    frame = results.frame()
    assert list(csv.columns) == list(frame.columns)
    pd.testing.assert_frame_equal(csv, frame.astype({"ci_low": float, "ci_high": float}),
                                  check_exact=True)
    tests = pd.read_csv(tmp_path / "out" / "tests.csv")
    # The hand-made tests leave the optional columns (Holm, family, resampling p) empty.
    pd.testing.assert_frame_equal(tests.dropna(axis=1, how="all"),
                                  results.tests_frame().dropna(axis=1, how="all"),
                                  check_exact=True)


def test_write_reports_formats(results, tmp_path):
    paths = write_reports(results, tmp_path, formats=("json",), charts=False)
    assert [p.name for p in paths] == ["results.json"]
    with pytest.raises(ValueError, match="docx"):
        write_reports(results, tmp_path, formats=("docx",))
    (tmp_path / "file").write_text("x")
    with pytest.raises(OSError, match="not a folder"):
        write_reports(results, tmp_path / "file", charts=False)
    no_tests = Results(results.scores, [], results.embeddings, results.settings)
    names = {p.name for p in write_reports(no_tests, tmp_path / "b", charts=False)}
    assert "tests.csv" not in names and "paired_tests.tex" not in names


def test_nothing_written_when_rendering_fails(results, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "scores.csv").write_text("old")

    def broken(fig, formats=charts.FORMATS):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(charts, "render", broken)  # the writer imports charts when it draws
    with pytest.raises(RuntimeError):
        write_reports(results, out)
    assert [p.name for p in out.iterdir()] == ["scores.csv"]
    assert (out / "scores.csv").read_text() == "old"


# ------------------------------------------------------------------ charts

def _dots(ax) -> dict:
    """{embedding: x of its dot} in one small-multiple panel."""
    return {c.get_label(): float(c.lines[0].get_xdata()[0]) for c in ax.containers}


def test_chart_panels_show_the_scores(results):
    fig = charts.simlex_sections_chart(results)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == score_tables.SIMLEX_SECTIONS
    got = sorted(round(x, 6) for ax in axes for x in _dots(ax).values())
    assert got == sorted(round(v, 6) for vals in SECTIONS.values() for v in vals)
    fig = charts.datasets_chart(results)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    titles = [ax.get_title() for ax in axes]
    assert titles[:7] == [f"{d} (ρ)" for d in list(SIX) + ["my_pairs"]]
    assert len(_dots(axes[6])) == 2  # my_pairs only for two embeddings
    assert sorted(round(x, 6) for ax in axes[7:] for x in _dots(ax).values()) == sorted(
        round(v, 6) for vals in STS.values() for v in vals)
    spearman = charts.datasets_chart(results, "spearman", "all")
    sts = [ax for ax in spearman.axes if ax.get_visible()][7:]
    assert sorted(round(x, 6) for ax in sts for x in _dots(ax).values()) == sorted(
        round(v - 1.0, 6) for vals in STS.values() for v in vals)


def test_concreteness_chart_lines(results):
    fig = charts.concreteness_chart(results)
    lines = {ln.get_label(): ln.get_ydata() for ax in fig.axes for ln in ax.lines
             if not ln.get_label().startswith("_") and "reference" not in ln.get_label()}
    assert set(lines) == set(SIM)
    for emb, vals in SECTIONS.items():
        assert list(lines[emb]) == pytest.approx(vals[4:8])


def test_no_charts_without_data():
    only_sts = Results([Score("e", "sts", "STS12", "mean", "pearson", 40.0, 39.0, 41.0, 10, 10)])
    from vgbench.reporting.report_charts import all_charts
    figs = all_charts(only_sts)
    assert set(figs) == {"datasets"}
    assert tables.intrinsic_table(only_sts) is None
    assert tables.console_table(Results()) == "No scores.\n"
