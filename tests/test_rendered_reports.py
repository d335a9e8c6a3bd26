"""Reports checked as a person sees them: the LaTeX compiled by pdflatex (nothing runs off the
page), index.html rendered by headless Chromium (not blank, every table in the DOM, no request
leaves the file). Skipped, with the reason shown, where the tools are not installed (.ci/run
installs them from Debian packages)."""
from __future__ import annotations

import html as html_lib
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from PIL import Image

from vgbench.embeddings.postprocess import apply, parse_steps
from vgbench.evaluation.api import evaluate
from vgbench.evaluation.results import Results
from vgbench.pipeline import paper
from vgbench.reporting import charts, write_reports
from vgbench.reporting import html as html_mod
from vgbench.reporting.concreteness import concreteness_chart, concreteness_report
from vgbench.reporting.neighbors import NeighborRow, neighbors_latex
from vgbench.reporting.render import Cell
from vgbench.reporting.spectrum import spectrum_chart
from vgbench.reporting.score_tables import ScoreTable, intrinsic_table
from vgbench.reporting.tables import report_tables
from vgbench.reporting.writer import render_reports

sys.path.insert(0, str(Path(__file__).parent))
from browser import BROWSER_HOSTS, CHROMIUM, flags as browser_flags, screenshot  # noqa: E402
PDFLATEX = shutil.which("pdflatex")


@pytest.fixture(scope="module")
def report_dir(glove50, tmp_path_factory):
    """A real two-embedding evaluation (GloVe and GloVe+ABTT) with every report file."""
    abtt = apply(glove50, parse_steps("abtt:3"))
    res = evaluate([glove50, abtt], ["similarity", "STS12"], names=["glove", "glove|abtt:3"],
                   n_boot=100)
    out = tmp_path_factory.mktemp("report")
    write_reports(res, out)
    return out, res


def test_html_is_self_contained(report_dir):
    out, res = report_dir
    page = (out / "index.html").read_text()
    refs = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page)
    assert refs and all(r.startswith(("data:", "#")) for r in refs)
    assert "url(" not in page and "@import" not in page and "http://" not in page
    # The figures of results.json are in the page.
    s = res.get("glove|abtt:3", "MEN")
    assert f"{s.value:.1f}" in page and f"[{s.ci_low:.1f}, {s.ci_high:.1f}]" in page
    assert res.embeddings["glove"]["fingerprint"] in page
    assert res.settings["dataset_checksums"]["MEN"] in page


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (Debian: chromium)")
def test_html_renders_in_chromium(report_dir, tmp_path):
    out, res = report_dir
    url = (out / "index.html").as_uri()
    flags = browser_flags(tmp_path / "profile")
    net = tmp_path / "net.json"
    dom = subprocess.run(flags + [f"--log-net-log={net}", "--dump-dom", url], capture_output=True,
                         text=True, timeout=120, check=True).stdout
    keys = set(re.findall(r'data-key="([^"]+)"', dom))
    expected = {t.key for t in report_tables(res)} | {"concreteness", "concreteness_delta"}
    assert expected <= keys
    assert dom.count("<img") >= 4 and "data:image/png;base64," in dom
    requested = {e.get("params", {}).get("url") for e in json.loads(net.read_text())["events"]
                 if e.get("params", {}).get("url")}
    page_requests = {u for u in requested if u != url and not (urlparse(u).hostname or "").endswith(
        BROWSER_HOSTS)}
    assert not page_requests
    shot = screenshot(out / "index.html", tmp_path / "shot.png", 1280, 1600)
    img = np.asarray(Image.open(io.BytesIO(shot.read_bytes())).convert("L"))
    assert img.shape == (1600, 1280)
    assert (img < 200).mean() > 0.02 and len(np.unique(img)) > 20  # text and tables, not blank


@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex not installed "
                                             "(Debian: texlive-latex-recommended)")
def test_latex_compiles_and_fits_the_page(report_dir, tmp_path):
    out, _ = report_dir
    texs = sorted(p.name for p in out.glob("*.tex"))
    assert {"table1_intrinsic.tex", "paired_tests.tex", "concreteness.tex"} <= set(texs)
    for name in texs:
        shutil.copy(out / name, tmp_path / name)
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n"
        "\\usepackage{booktabs,longtable,graphicx}\n\\begin{document}\n"
        + "".join(f"\\input{{{n}}}\n\\clearpage\n" for n in texs) + "\\end{document}\n")
    run = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    log = (tmp_path / "doc.log").read_text(errors="replace")
    assert run.returncode == 0, log[-3000:]
    assert (tmp_path / "doc.pdf").read_bytes().startswith(b"%PDF")
    assert "Overfull \\hbox" not in log, re.findall(r"Overfull \\hbox.*", log)


# ------------------------------------------------------------ two-column LaTeX, charts, layout

REPO = Path(__file__).resolve().parents[1]
REPORTS = REPO / "reports"
PDFFONTS = shutil.which("pdffonts")
TWO_COLUMN = ("\\documentclass[twocolumn]{article}\n\\usepackage[utf8]{inputenc}\n"
              "\\usepackage{booktabs,graphicx,tabularx}\n\\begin{document}\n%s\n\\end{document}\n")


def _demo_results() -> Results:
    """The demo's results (8 rows, 13 comparisons, 247 paired tests), with 100 resamples for
    the concreteness curves instead of 1000: the layout is what is tested, and it is the same."""
    res = Results.load_json(REPORTS / "demo" / "results.json")
    res.settings["n_boot"] = 100
    return res


@pytest.fixture(scope="module")
def demo_files():
    """The demo's report files as `vgbench report reports/demo` rebuilds them: what
    `make demo` writes, without training."""
    return render_reports(_demo_results(), ("tex", "html"))


def _rebuilt_tex() -> dict[str, str]:
    """Every LaTeX table vgbench writes under reports/, rebuilt from the committed results
    (the committed .tex files follow once the reports are regenerated)."""
    out = {}
    for res_path in sorted(REPORTS.glob("*/**/results.json")) + [REPORTS / "demo/results.json"]:
        if res_path.parent.name in ("demo", "concatenation", "study"):
            continue
        res = Results.load_json(res_path)
        for name, data in render_reports(res, ("tex",), charts=False).items():
            out[f"{res_path.parent.relative_to(REPORTS)}/{name}"] = data.decode()
    concat = Results.load_json(REPORTS / "paper/concatenation/results.json")
    alphas = sorted(float(n.split("=")[1]) for n in concat.embedding_names() if n.startswith("alpha="))
    out["paper/concatenation/table6_concat.tex"] = paper.table_latex(
        paper.concat_table(concat, alphas), "VGE")
    rows = []  # Table 5 from the demo's neighbours, as the demo wrote them
    for line in (REPORTS / "demo/neighbors.md").read_text().splitlines()[4:]:
        word, only_a, only_b, shared = [c.strip() for c in line.strip("|").split("|")]
        rows.append(NeighborRow(word, only_a.split(", "), only_b.split(", "), []))
    out["demo/neighbors.tex"] = neighbors_latex(rows, "GloVe", "VGE")
    return out


def _compile_two_column(tex: dict[str, str], tmp_path) -> None:
    """Each file alone in a two-column article: pdflatex must succeed with no error and no
    overfull line."""
    for i, (name, text) in enumerate(sorted(tex.items())):
        work = tmp_path / f"t{i}"
        work.mkdir()
        (work / "table.tex").write_text(text)
        (work / "doc.tex").write_text(TWO_COLUMN % "\\input{table}\n\\clearpage")
        run = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                             cwd=work, capture_output=True, text=True, timeout=120)
        log = (work / "doc.log").read_text(errors="replace")
        assert run.returncode == 0 and "\n! " not in log, (name, log[-2000:])
        assert "Overfull \\hbox" not in log, (name, re.findall(r"Overfull \\hbox.*", log))
        assert "Float too large" not in log, name


def _check_paper_style(name: str, text: str) -> None:
    assert "longtable" not in text, name
    floats = len(re.findall(r"\\begin\{(?:table\*?|\\vgbFloat)\}", text))
    assert floats and len(re.findall(r"\\label\{tab:[^}]+\}", text)) == floats, name
    code = "\n".join(line for line in text.splitlines() if not line.startswith("%"))
    # A number's minus is a minus: no hyphen before a digit outside words ("[-0.3", " -1.2").
    assert not re.search(r"(?<![\w.}-])-\d", code), (name, re.findall(r".{20}(?<![\w.}-])-\d.{5}", code))
    for part in text.split("\\end{\\vgbFloat}")[:-1]:  # caption directly under the tabular
        assert part.index("\\caption") > part.index("\\usebox"), name
        assert "\\footnotesize" not in part[part.index("\\usebox"):part.index("\\caption")], name


@pytest.mark.skipif(PDFLATEX is None, reason="pdflatex not installed "
                                             "(Debian: texlive-latex-recommended)")
def test_every_table_compiles_in_two_columns(report_dir, demo_files, tmp_path):
    """The LaTeX of a small evaluation, of the demo (8 rows, 247 paired tests) and of every
    other report under reports/ drops into an ACL-style two-column paper: it compiles, no
    line is overfull, no `longtable`, a label per float, caption under the table, real minus."""
    out, res = report_dir
    tex = {f"eval/{p.name}": p.read_text() for p in out.glob("*.tex")}
    tex["eval/table1_with_ci.tex"] = intrinsic_table(res).to_latex(ci=True)
    tex.update({f"demo/{k}": v.decode() for k, v in demo_files.items() if k.endswith(".tex")})
    tex.update(_rebuilt_tex())
    assert {"demo/paired_tests.tex", "demo/neighbors.tex", "demo/concreteness.tex",
            "paper/concatenation/table6_concat.tex"} <= set(tex)
    for name, text in tex.items():
        if "vgbFloat" in text:
            _check_paper_style(name, text)
        else:
            assert "\\label{tab:" in text, name
    # The demo's 247 tests become several floats, none longer than a page holds.
    paired = tex["demo/paired_tests.tex"]
    assert paired.count("\\end{\\vgbFloat}") > 1
    assert all(chunk.count("\\\\\n") <= 40 for chunk in paired.split("\\end{\\vgbFloat}"))
    _compile_two_column(tex, tmp_path)


def _table(used, total, values=None) -> ScoreTable:
    used, total = np.array(used), np.array(total)
    values = np.full(used.shape, 50.0) if values is None else np.array(values, float)
    return ScoreTable("t", "T", "Model", [f"m{i}" for i in range(used.shape[0])],
                      [f"D{j}" for j in range(used.shape[1])], values,
                      values[..., None] + np.array([-2.0, 2.0]), used, total,
                      policy=["Policy: OOV pairs skipped, 95% CIs from 1000 bootstrap "
                              "resamples (seed 0), paired test bootstrap."])


def test_coverage_dagger_only_where_rows_differ():
    """A column every row covers alike gets one dagger on its header and one note; only a
    column whose rows differ puts a dagger on its cells."""
    tex = _table([[9, 10, 5], [9, 10, 4], [9, 10, 5]], [[10, 10, 5]] * 3).to_latex()
    header = next(line for line in tex.splitlines() if line.startswith("Model &"))
    assert header.split(" & ")[1] == "D0$^\\dagger$" and "dagger" not in header.split(" & ")[3]
    rows = [line for line in tex.splitlines() if line.startswith("m")]
    assert [r.count("dagger") for r in rows] == [0, 1, 0]  # only m1's D2 (4/5)
    [note] = [line for line in tex.splitlines() if line.startswith("$^\\dagger$")]
    assert note.count("9/10") == 1 and "every row" in note and "m1: D2 4/5 (80.0\\%)" in note
    assert "m0:" not in note and "m2:" not in note


def test_latex_notes_speak_of_cis_only_when_printed():
    table = _table([[10, 10]], [[10, 10]], [[-1.5, 2.0]])
    without, with_ci = table.to_latex(), table.to_latex(ci=True)
    assert "CI" not in without and "Policy: OOV pairs skipped, paired test bootstrap." in without
    assert "95\\% CIs from 1000" in with_ci
    assert "$-$1.5" in with_ci and "[$-$3.5, $-$0.5]" not in with_ci  # CI bounds printed
    assert "$-$3.5" in with_ci and "{\\scriptsize" in with_ci


# ------------------------------------------------------------------------------ charts

def test_charts_scale_with_rows_and_keep_the_page_width(demo_files):
    """With the demo's 8 rows every chart is at most 7 in (1050 px at 150 dpi) wide; rows
    and data sets add small-multiple panels downwards, and 8 rows use at most 8 colours with
    a line style or marker per variant (every row stays distinguishable)."""
    res = Results.load_json(REPORTS / "demo" / "results.json")
    assert len(res.embedding_names()) == 8
    pngs = {k: Image.open(io.BytesIO(v)) for k, v in demo_files.items() if k.endswith(".png")}
    assert {"datasets.png", "simlex_sections.png", "concreteness.png"} <= set(pngs)
    for name, img in pngs.items():
        assert img.size[0] <= 1050, (name, img.size)
    from vgbench.reporting.report_charts import all_charts
    figs = all_charts(res)
    assert len([ax for ax in figs["datasets"].axes if ax.get_visible()]) == 11  # 6 sim + 5 STS
    st = charts.styles(res.embedding_names())
    assert len({s["color"] for s in st.values()}) <= 8
    assert len({(s["color"], s["linestyle"], s["marker"]) for s in st.values()}) == 8
    assert st["GloVe"]["linestyle"] == "-" and st["GloVe+ABTT"]["linestyle"] == "--"
    assert st["GloVe"]["color"] == st["GloVe+ABTT"]["color"] != st["VGE"]["color"]
    many = charts.styles([f"e{i}" for i in range(12)] + [f"e{i}+ABTT" for i in range(12)])
    assert len({s["color"] for s in many.values()}) == 8
    assert len({tuple(map(str, s.values())) for s in many.values()}) == 24


def test_concreteness_chart_has_a_panel_per_comparison():
    res = _demo_results()
    rep = concreteness_report(res)
    fig = concreteness_chart(rep, res)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert set(rep.deltas.rows) <= set(titles)
    assert {"GloVe", "C_GloVe", "VGE", "CapImg"} <= set(titles)
    bands = [c for ax in fig.axes for c in ax.collections]
    assert bands and all(c.get_alpha() is not None and c.get_alpha() <= 0.2 for c in bands)


@pytest.mark.parametrize("top", [1, 4, 20])  # with 1 rank a plain locator ticks 0.945, 0.96...
def test_spectrum_rank_axis_has_integer_ticks(top):
    rng = np.random.default_rng(0)
    ratios = {"GloVe": np.sort(rng.random(top))[::-1] / 4, "VGE": np.sort(rng.random(top))[::-1] / 5}
    fig = spectrum_chart(ratios, 1000)
    fig.canvas.draw()
    ax = fig.axes[0]
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)


@pytest.mark.skipif(PDFFONTS is None, reason="pdffonts not installed (Debian: poppler-utils)")
def test_pdf_charts_embed_no_type3_fonts(report_dir, tmp_path):
    """Publishers reject Type 3 fonts: every PDF chart embeds TrueType (Type 42), and the
    setting does not leak into the user's matplotlib."""
    import matplotlib
    before = matplotlib.rcParams["pdf.fonttype"]
    out, _ = report_dir
    pdfs = sorted(out.glob("*.pdf"))
    spectrum = tmp_path / "spectrum.pdf"
    spectrum.write_bytes(charts.render(spectrum_chart({"a": np.array([0.5, 0.3])}), ["pdf"])["pdf"])
    assert len(pdfs) >= 3
    for pdf in pdfs + [spectrum]:
        fonts = subprocess.run([PDFFONTS, str(pdf)], capture_output=True, text=True,
                               check=True).stdout
        assert "Type 3" not in fonts and "TrueType" in fonts, (pdf.name, fonts)
    assert matplotlib.rcParams["pdf.fonttype"] == before


# --------------------------------------------------------------------------- HTML layout

# Injected into a copy of the page: measures every table cell against its scroll container
# and every image against its natural size, and writes the findings into the DOM.
_MEASURE = """<script>
window.addEventListener('load', function(){
 var out = {viewport: window.innerWidth, page: document.documentElement.scrollWidth,
            cut: [], unscrolled: [], images: []};
 document.querySelectorAll('td, th').forEach(function(cell){
  var box = cell.closest('.wrap'); if (!box) { out.cut.push('no container: ' + cell.textContent); return; }
  var right = cell.getBoundingClientRect().right - box.getBoundingClientRect().left + box.scrollLeft;
  if (right > box.scrollWidth + 1) out.cut.push(cell.textContent);
  if (box.getBoundingClientRect().right > window.innerWidth + 1) out.cut.push('container: ' + cell.textContent);
 });
 out.narrow = []; out.unsticky = [];
 document.querySelectorAll('tr > :first-child').forEach(function(cell){
  if (getComputedStyle(cell).position !== 'sticky') out.unsticky.push(cell.textContent);
 });
 document.querySelectorAll('.wrap').forEach(function(box){
  if (box.clientWidth < window.innerWidth - 80) out.narrow.push(box.clientWidth);
  var ox = getComputedStyle(box).overflowX;
  if (box.scrollWidth > box.clientWidth && ox !== 'auto' && ox !== 'scroll') out.unscrolled.push(box.innerHTML.slice(0, 80));
 });
 document.querySelectorAll('img').forEach(function(img){
  out.images.push([img.getBoundingClientRect().width, img.naturalWidth]);
 });
 var pre = document.createElement('pre'); pre.id = 'measured';
 pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
});
</script>"""
MIN_CHART_TEXT_PX = 6 * 150 / 72  # the smallest text in a chart (6 pt at 150 dpi)


def _measure(page: str, width: int, tmp_path) -> dict:
    copy = tmp_path / f"page{width}.html"
    copy.write_text(page.replace("</body>", _MEASURE + "</body>"))
    dom = subprocess.run(
        browser_flags(tmp_path / f"profile{width}") + [
         f"--window-size={width},900", "--virtual-time-budget=5000", "--dump-dom",
         copy.as_uri()], capture_output=True, text=True, timeout=180, check=True).stdout
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.S)
    assert found, dom[-500:]
    return json.loads(html_lib.unescape(found.group(1)))


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (Debian: chromium)")
@pytest.mark.parametrize("width", [1024, 1400])
def test_nothing_is_clipped_in_the_page(demo_files, report_dir, width, tmp_path):
    """At 1024 and 1400 px: the page itself never scrolls sideways, every table cell lies
    inside its own scroll container (which scrolls when the table is wider) that spans the
    window, the first column stays in view while scrolling, and every chart
    shows at >= 80% of its natural width or its smallest text stays >= 9 px."""
    out, _ = report_dir
    for page in (demo_files["index.html"].decode(), (out / "index.html").read_text()):
        m = _measure(page, width, tmp_path)
        assert m["viewport"] == width
        assert m["page"] <= width, m["page"]
        assert not m["cut"] and not m["unscrolled"], (m["cut"][:5], m["unscrolled"][:3])
        # Tables use the window's width (no fixed cap) and keep their labels in view.
        assert not m["narrow"] and not m["unsticky"], (m["narrow"][:3], m["unsticky"][:3])
        assert m["images"]
        for shown, natural in m["images"]:
            assert shown >= 0.8 * natural or shown / natural * MIN_CHART_TEXT_PX >= 9, (shown, natural)


def test_mixed_marks_are_coloured_per_glyph():
    cell = html_mod._cell(Cell("66.3", mark="▲1▼2"))
    assert '<span class="up">▲1</span><span class="down">▼2</span>' in cell
    assert 'class="sig down"' not in cell
    css = html_mod._CSS
    assert "max-width:1200px" not in css and "position:sticky;left:0" in css
