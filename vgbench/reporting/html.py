"""`index.html`: the whole report in one self-contained page.

Why one file with everything inline (CSS, a few lines of script for sorting, charts as base64
PNG): it opens from a laptop, an e-mail attachment or an air-gapped cluster alike, and it can
never break because a CDN moved. No element refers to anything outside the file.
"""
from __future__ import annotations

import base64
import html
import math
import re
from typing import Any

from vgbench.evaluation.results import Results
from vgbench.reporting.policy import policy_notes
from vgbench.reporting.render import Cell, Renderable

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
padding:1em 2em;color:#1b1b1b;background:#fff}
h1{font-size:1.6em;margin:.3em 0}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ddd}
h3{font-size:1.05em;margin:1.4em 0 .4em}
nav a{margin-right:1em}
.wrap{overflow-x:auto;max-width:100%}
td:first-child,th:first-child{position:sticky;left:0;z-index:1;background:#fff}
th:first-child{z-index:2;background:#f3f5f8}
table{border-collapse:collapse;margin:.3em 0;font-variant-numeric:tabular-nums}
th,td{padding:.25em .6em;border-bottom:1px solid #e4e4e4;text-align:right;white-space:nowrap}
th:first-child,td:first-child,td.text{text-align:left}
th{background:#f3f5f8;cursor:pointer;user-select:none;position:sticky;top:0}
th.asc::after{content:" \\25B2"}th.desc::after{content:" \\25BC"}
tr:hover td{background:#fafbfe}
td b{color:#000}.ci{color:#666;font-size:.85em}.cov{color:#a05a00;font-size:.85em}
.sig{font-weight:bold}.up{color:#0a6b2e}.down{color:#b00020}
.note{color:#444;font-size:.9em;margin:.15em 0;max-width:100ch}
img{max-width:100%;height:auto;border:1px solid #eee}
p,.note,figcaption{max-width:100ch}
code{font-size:.9em;background:#f5f5f5;padding:0 .2em}
"""

# Click a header to sort by it (numbers by their data-sort value, text alphabetically).
_JS = """
document.querySelectorAll('table.sortable').forEach(function(t){
 t.querySelectorAll('th').forEach(function(th,col){th.addEventListener('click',function(){
  var asc=!th.classList.contains('asc');
  t.querySelectorAll('th').forEach(function(h){h.classList.remove('asc','desc')});
  th.classList.add(asc?'asc':'desc');
  var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
  rows.sort(function(a,b){
   var x=a.cells[col].getAttribute('data-sort'),y=b.cells[col].getAttribute('data-sort');
   var nx=parseFloat(x),ny=parseFloat(y);
   if(!isNaN(nx)&&!isNaN(ny)) return asc?nx-ny:ny-nx;
   if(isNaN(nx)!==isNaN(ny)) return isNaN(nx)?1:-1;
   return asc?String(x).localeCompare(y):String(y).localeCompare(x);});
  rows.forEach(function(r){body.appendChild(r)});});});});
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _cell(c: Cell) -> str:
    text = f"<b>{_e(c.text)}</b>" if c.bold else _e(c.text)
    if c.mark:
        text += f'<sup class="sig">{_mark_html(c.mark)}</sup>'
    if c.ci:
        text += f' <span class="ci">[{_e(c.ci[0])}, {_e(c.ci[1])}]</span>'
    if c.coverage:
        text += f' <span class="cov">({_e(c.coverage)})</span>'
    key = c.sort if c.sort is not None and math.isfinite(c.sort) else (
        c.text if not c.numeric else "")
    if c.numeric and c.sort is None:
        try:
            key = float(c.text)
        except ValueError:
            key = ""
    cls = "" if c.numeric else ' class="text"'
    return f'<td{cls} data-sort="{_e(key)}">{text}</td>'


def _mark_html(mark: str) -> str:
    """Each ▲/▼ and the baseline number after it in its own colour: "▲1▼2" is one green and
    one red mark, not all red."""
    parts = re.findall(r"[▲▼][^▲▼]*|[^▲▼]+", mark)
    return "".join(f'<span class="{"down" if p[0] == "▼" else "up" if p[0] == "▲" else ""}">'
                   f"{_e(p)}</span>" for p in parts)


def table_html(table: Renderable, anchor: str | None = None) -> str:
    """A Renderable as a sortable HTML table with its title and notes (policy left to the
    page's policy section)."""
    grid = table._grid()
    out = [f'<h3 id="{_e(anchor or table.key)}">{_e(table.title)}</h3>',
           f'<div class="wrap"><table class="sortable" data-key="{_e(table.key)}"><thead><tr>'
           + "".join(f"<th>{_e(h)}</th>" for h in grid.header) + "</tr></thead><tbody>"]
    for row in grid.rows:
        out.append("<tr>" + "".join(_cell(c) for c in row) + "</tr>")
    out.append("</tbody></table></div>")
    notes = list(table.notes)
    if any(c.bold for r in grid.rows for c in r):
        notes.insert(0, f"Bold: {table._bold_means()}.")
    if any(c.ci for r in grid.rows for c in r):
        notes.append("Brackets: bootstrap confidence interval.")
    out += [f'<p class="note">{_e(n)}</p>' for n in notes]
    return "\n".join(out)


def _figure(stem: str, png: bytes, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure id="chart-{_e(stem)}"><img alt="{_e(caption)}" '
            f'src="data:image/png;base64,{data}"><figcaption class="note">{_e(caption)}'
            "</figcaption></figure>")


def _provenance(results: Results) -> str:
    from vgbench._version import __version__
    version = results.settings.get("version") or __version__
    rows = []
    for name, meta in results.embeddings.items():
        meta = meta if isinstance(meta, dict) else {}
        fp = str(meta.get("fingerprint") or "–")
        rows.append("<tr>" + "".join([
            f'<td class="text" data-sort="{_e(name)}">{_e(name)}</td>',
            f'<td class="text" data-sort="{_e(fp)}"><code title="{_e(fp)}">{_e(fp[:16])}'
            "</code></td>",
            f'<td data-sort="{_e(meta.get("dim", ""))}">{_e(meta.get("dim", "–"))}</td>',
            f'<td data-sort="{_e(meta.get("words_loaded", ""))}">'
            f'{_e(meta.get("words_loaded", "–"))}</td>',
            f'<td class="text" data-sort="{_e(meta.get("format", ""))}">'
            f'{_e(meta.get("format", "–"))}</td>']) + "</tr>")
    emb = ('<div class="wrap"><table class="sortable" data-key="provenance_embeddings"><thead>'
           "<tr><th>Embedding</th><th>Content fingerprint (SHA-256)</th><th>dim</th>"
           "<th>words loaded</th><th>format</th></tr></thead><tbody>" + "".join(rows)
           + "</tbody></table></div>")
    checks = results.settings.get("dataset_checksums") or {}
    cites = results.settings.get("citations") or {}
    names = list(dict.fromkeys(list(results.settings.get("datasets") or []) + list(checks)))
    drows = "".join(
        f'<tr><td class="text" data-sort="{_e(d)}">{_e(d)}</td><td class="text" '
        f'data-sort="{_e(checks.get(d) or "")}"><code title="{_e(checks.get(d) or "")}">'
        f'{_e((checks.get(d) or "–")[:16])}</code></td><td class="text" '
        f'data-sort="{_e(cites.get(d, ""))}">{_e(cites.get(d, ""))}</td></tr>' for d in names)
    data = ('<div class="wrap"><table class="sortable" data-key="provenance_datasets"><thead>'
            "<tr><th>Dataset</th><th>Checksum (SHA-256)</th><th>Citation</th></tr></thead>"
            f"<tbody>{drows}</tbody></table></div>")
    return (f'<h2 id="provenance">Provenance</h2><p>vgbench {_e(version)}. Fingerprints hash '
            "the embedding files' bytes and everything that changes the vectors; hover a "
            f"digest for all 64 digits.</p>{emb}{data}")


def html_report(results: Results, tables: list[Renderable], charts: dict[str, bytes],
                captions: dict[str, str] | None = None, title: str | None = None,
                summary=None) -> str:
    """The page: the summary first (what was compared, who won), then tables (sortable),
    charts, policy and provenance, all inline. Title: what was compared."""
    from vgbench.reporting.summary import build_summary, summary_html
    captions = captions or {}
    summary = summary or build_summary(results)
    title = title or summary.title
    toc = ['<a href="#summary">Summary</a>', '<a href="#tables">Tables</a>']
    toc += [f'<a href="#{t.key}">{label}</a>' for t in tables
            for key, label in (("paired_tests", "Paired tests"), ("concreteness", "Concreteness"))
            if t.key == key]
    toc += ['<a href="#charts">Charts</a>', '<a href="#policy">Policy</a>',
            '<a href="#provenance">Provenance</a>']
    body = [f"<h1>{_e(title)}</h1>", "<nav>" + "".join(toc) + "</nav>", summary_html(summary),
            '<h2 id="tables">Tables</h2>']
    body += [table_html(t) for t in tables]
    body.append('<h2 id="charts">Charts</h2>')
    body += [_figure(stem, png, captions.get(stem, stem)) for stem, png in charts.items()]
    body.append('<h2 id="policy">Policy</h2>')
    body += [f'<p class="note">{_e(n)}</p>' for n in policy_notes(results)]
    body.append(_provenance(results))
    return page(title, body)


def page(title: str, body: list[str]) -> str:
    """A complete self-contained HTML page around `body` (HTML fragments)."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            # No request may leave the page: forbid every fetch except inline data.
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>\n"
            + "\n".join(body) + f"\n<script>{_JS}</script>\n</body></html>\n")
