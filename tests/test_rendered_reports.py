"""Reports checked as a person sees them: the LaTeX compiled by pdflatex (nothing runs off the
page), index.html rendered by headless Chromium (not blank, every table in the DOM, no request
leaves the file). Skipped, with the reason shown, where the tools are not installed (.ci/run
installs them from Debian packages)."""
from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from urllib.parse import urlparse

import numpy as np
import pytest
from PIL import Image

from vgbench.embeddings.postprocess import apply, parse_steps
from vgbench.evaluation.api import evaluate
from vgbench.reporting import write_reports
from vgbench.reporting.tables import report_tables

CHROMIUM = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome",
                                            "chrome") if shutil.which(b)), None)
PDFLATEX = shutil.which("pdflatex")
# Chromium's own background services (updates, time, dictionaries), not the page's requests.
BROWSER_HOSTS = ("google.com", "googleapis.com", "gvt1.com", "gstatic.com", "googleusercontent.com")


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
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             f"--user-data-dir={tmp_path / 'profile'}"]
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
    shot = tmp_path / "shot.png"
    subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1280,1600", url],
                   capture_output=True, timeout=120, check=True)
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
