"""Table rendering shared by every report: cells, and their console, Markdown and LaTeX forms.

Why apart from the tables: a table decides *what* a cell says (value, best, CI, coverage); this
module only decides how each format shows it, so formats can never disagree on the numbers.
"""
from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass

MISSING = "–"


@dataclass
class Cell:
    """What one table cell says; each renderer decides how to show bold, CI and coverage."""
    text: str
    bold: bool = False
    ci: tuple[str, str] | None = None
    coverage: str | None = None  # e.g. "87.6%" when fewer than all pairs were used
    numeric: bool = True
    mark: str = ""  # significance against a baseline: "▲" / "▼" (+ baseline number)
    sort: float | None = None  # value the HTML table sorts this cell by


@dataclass
class Grid:
    """A table's header and formatted cells, before it is written as Markdown, LaTeX or HTML."""
    header: list[str]
    rows: list[list[Cell]]


def fmt_number(value: float, decimals: int) -> str:
    """A score with `decimals` digits; MISSING for None/NaN."""
    if value is None or not math.isfinite(value):
        return MISSING
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.0"


def coverage_text(used: int, total: int) -> str | None:
    """Coverage below 100 %, floored to 0.1 so 3499/3500 reads 99.9 %, never 100.0 %."""
    if total <= 0 or used >= total:
        return None
    return f"{(1000 * used // total) / 10:.1f}%"  # integer floor: no float round-off


class Renderable:
    """Shared renderers; subclasses provide key, title, notes, policy and `_grid()`."""
    key: str
    title: str
    notes: list[str]
    policy: list[str]

    def _grid(self) -> Grid:
        raise NotImplementedError

    def _bold_means(self) -> str:
        return "best in each column"

    def _latex_notes(self, coverage: bool) -> list[str]:
        return []

    def to_console(self, width: int = 100, policy: bool = True, ci: bool = False) -> str:
        """Plain text, best value marked '*', coverage in brackets; wide tables are split into
        column blocks that each fit in `width` characters. ci: each score followed by half the
        width of its CI ("65.7 ±2.2")."""
        grid = self._grid()
        header = [plain(h) for h in grid.header]
        cells = [[plain(x) for x in row] for row in _console_cells(grid, ci)]
        widths = [max([len(h)] + [len(r[j]) for r in cells]) for j, h in enumerate(header)]
        left = [j == 0 or not _column_numeric(grid, j) for j in range(len(header))]
        lines = textwrap.wrap(plain(self.title), width)
        for block in _column_blocks(widths, width):
            cols = [0] + block

            def fmt_row(vals: list[str]) -> str:
                return "  ".join(v.ljust(widths[j]) if left[j] else v.rjust(widths[j])
                                 for j, v in zip(cols, vals)).rstrip()
            lines.append(fmt_row([header[j] for j in cols]))
            lines.append("  ".join("-" * widths[j] for j in cols))
            lines.extend(fmt_row([r[j] for j in cols]) for r in cells)
            lines.append("")
        notes = self.notes + (self.policy if policy else [])
        if any(c.bold for r in grid.rows for c in r):
            notes = [f"* {self._bold_means()}."] + notes
        for note in notes:
            lines.extend(textwrap.wrap(plain(note), width, subsequent_indent="  "))
        return "\n".join(lines).rstrip() + "\n"

    def to_markdown(self, ci: bool = True) -> str:
        """A GitHub table: best value bold, CI in brackets, coverage in parentheses."""
        grid = self._grid()
        out = [f"### {_md_escape(self.title)}", "",
               "| " + " | ".join(_md_escape(h) for h in grid.header) + " |",
               "|" + "|".join(":---" if j == 0 else "---:" for j in range(len(grid.header))) + "|"]
        for row in grid.rows:
            out.append("| " + " | ".join(_md_cell(c, ci) for c in row) + " |")
        notes = self.notes + self.policy
        if any(c.bold for r in grid.rows for c in r):
            notes = [f"Bold: {self._bold_means()}."] + notes
        if notes:
            out.append("")
            out.extend(f"{_md_escape(n)}  " for n in notes)
        return "\n".join(out) + "\n"

    def _coverage_details(self) -> list[list[str | None]]:
        """Per data cell, the coverage text a LaTeX note gives (None at full coverage);
        subclasses that know the counts say more than the percentage."""
        return [[c.coverage for c in row[1:]] for row in self._grid().rows]

    def to_latex(self, ci: bool = False, coverage: bool = True) -> str:
        """A booktabs table for a one- or two-column paper: caption, label and short notes
        below it. It is measured first and floats as `table*` (full width) when wider than a
        column; only a table wider than the page is shrunk. Coverage below 100 % is one note
        per column when every row shares it (dagger on the header), a dagger per cell where
        rows differ; notes speak of CIs only when the cells print them."""
        grid = self._grid()
        spec = "".join("l" if j == 0 or not _column_numeric(grid, j) else "r"
                       for j in range(len(grid.header)))
        details = self._coverage_details() if coverage else [[None] * (len(grid.header) - 1)
                                                             for _ in grid.rows]
        shared = _shared_coverage(details, [[c.text != MISSING for c in r[1:]] for r in grid.rows])
        header = [tex_escape(h) + ("$^\\dagger$" if j and shared.get(j - 1) else "")
                  for j, h in enumerate(grid.header)]
        body = [" & ".join([_tex_cell(row[0], ci, False)] + [
            _tex_cell(c, ci, coverage and details[i][j] is not None and j not in shared)
            for j, c in enumerate(row[1:])]) + " \\\\" for i, row in enumerate(grid.rows)]
        notes = _coverage_note(grid.header[1:], [r[0].text for r in grid.rows], details, shared)
        printed_ci = ci and any(c.ci for r in grid.rows for c in r)
        if any(c.bold for r in grid.rows for c in r):
            notes.append(tex_escape(f"Bold: {self._bold_means()}."))
        notes += [tex_escape(n) for n in latex_notes(self.notes + self.policy, printed_ci)]
        return latex_float(self.key, tex_escape(self.title), spec, header, body, notes)


def latex_notes(notes: list[str], printed_ci: bool) -> list[str]:
    """The notes a LaTeX table keeps: the coverage definition is left to the dagger note, and
    without printed CIs every clause about CIs goes (their level and resamples included)."""
    out = []
    for note in notes:
        if note.startswith("Coverage = "):
            continue
        if not printed_ci:
            note = _drop_ci_clauses(note)
        if note:
            out.append(note)
    return out


def _drop_ci_clauses(note: str) -> str:
    """`note` without what it says about CIs: a sentence or ';' part that is about CIs
    ("CIs: bootstrap within sets, 1000 resamples") goes whole, elsewhere only the comma
    clause that names them ("95% CIs from 1000 bootstrap resamples (seed 0)")."""
    about = re.compile(r"\bCIs?\b|confidence interval")
    sentences = []
    for sentence in re.split(r"(?<=\.)\s+(?=[A-Z])", note):
        end = "." if sentence.endswith(".") else ""
        parts = []
        for part in re.split(r";\s+", sentence.removesuffix(".")):
            if re.match(r"[\d.% ]*CIs?\b", part):
                continue
            clauses = [c for c in re.split(r",\s+", part) if not about.search(c)]
            if clauses:
                parts.append(", ".join(clauses))
        if parts and not re.fullmatch(r"[\w ()]*:", parts[0]):
            sentences.append("; ".join(parts) + end)
    return " ".join(sentences)


def _shared_coverage(details: list[list[str | None]], filled: list[list[bool]]) -> dict[int, str]:
    """{data column: coverage} for columns below full coverage where every row that has a
    value shares the same coverage (one note for the column instead of one per row)."""
    out = {}
    for j in range(len(details[0]) if details else 0):
        col = [r[j] for r, f in zip(details, filled) if f[j]]
        if len(col) > 1 and col[0] is not None and all(c == col[0] for c in col):
            out[j] = col[0]
    return out


def _coverage_note(columns: list[str], rows: list[str], details: list[list[str | None]],
                   shared: dict[int, str]) -> list[str]:
    if not any(c for r in details for c in r):
        return []
    parts = [f"{columns[j]} {cov}" + (" (every row)" if len(rows) > 1 else "")
             for j, cov in shared.items()]
    for name, row in zip(rows, details):
        cells = [f"{columns[j]} {c}" for j, c in enumerate(row) if c and j not in shared]
        if cells:
            parts.append(f"{name}: " + ", ".join(cells))
    return ["$^\\dagger$ " + tex_escape("Coverage below 100% (pairs used/pairs): "
                                         + "; ".join(parts) + ".")]


LATEX_PACKAGES = "booktabs,graphicx"
MAX_FLOAT_ROWS = 36  # rows that fit one float of a two-column page at \small, with its notes


def latex_float(key: str, caption: str, spec: str, header: list[str], body: list[str],
                notes: list[str], label: str | None = None, size: str = "\\small") -> str:
    """One table float in LaTeX: the tabular is set in a box first; wider than a column it
    floats as `table*` across both columns, wider than the page it is shrunk to fit. Caption
    and label under the table, then one short note per line at footnote size. `caption`,
    `header`, `body` and `notes` are LaTeX already; `size` is the table's font size."""
    rows = "\n".join(body)
    lines = [f"% vgbench table: needs \\usepackage{{{LATEX_PACKAGES}}}; `table*` when wider "
             "than a column.",
             "\\ifdefined\\vgbTable\\else\\newsavebox\\vgbTable\\fi",
             f"\\sbox\\vgbTable{{{size}\\begin{{tabular}}{{@{{}}{spec}@{{}}}}", "\\toprule",
             " & ".join(header) + " \\\\", "\\midrule", rows, "\\bottomrule",
             "\\end{tabular}}",
             "\\ifdim\\wd\\vgbTable>\\columnwidth\\def\\vgbFloat{table*}"
             "\\else\\def\\vgbFloat{table}\\fi",
             "\\begin{\\vgbFloat}[tp]", "\\centering",
             "\\ifdim\\wd\\vgbTable>\\linewidth\\resizebox{\\linewidth}{!}{\\usebox\\vgbTable}"
             "\\else\\usebox\\vgbTable\\fi",
             f"\\caption{{{caption}}}\\label{{{label or 'tab:' + key}}}"]
    if notes:
        lines.append("{\\footnotesize\\raggedright")
        lines += [n + "\\par" for n in notes]
        lines.append("}")
    lines.append("\\end{\\vgbFloat}")
    return "\n".join(lines) + "\n"


def grouped_latex(key: str, title: str, spec: str, header: list[str],
                  groups: list[tuple[str, list[str]]], notes: list[str],
                  size: str = "\\small") -> str:
    """A long table as several floats (no `longtable`, which two-column classes reject): each
    group (a heading and its rows) stays together while it fits one float; the first float
    carries `tab:key` and the notes, the others `tab:key-2`, ... and say they continue it."""
    chunks: list[list[str]] = [[]]
    width = spec.count("l") + spec.count("r")
    for heading, rows in groups:
        for start in range(0, len(rows), MAX_FLOAT_ROWS - 1):
            part = rows[start:start + MAX_FLOAT_ROWS - 1]
            block = [f"\\multicolumn{{{width}}}{{@{{}}l}}{{\\textit{{{heading}}}"
                     + ("" if start == 0 else " (continued)") + "} \\\\"] + part
            if chunks[-1] and len(chunks[-1]) + len(block) > MAX_FLOAT_ROWS:
                chunks.append([])
            chunks[-1].extend(block)
    out = []
    for k, chunk in enumerate(chunks):
        if k == 0:
            out.append(latex_float(key, tex_escape(title), spec, header, chunk, notes,
                                   size=size))
        else:
            cont = (f"{tex_escape(title)}, continued (part {k + 1} of {len(chunks)}; notes under "
                    f"Table~\\ref{{tab:{key}}})")
            out.append(latex_float(key, cont, spec, header, chunk, [], f"tab:{key}-{k + 1}",
                                   size))
    return "\n".join(out)


_PLAIN = {"ρ": "rho", "×": "x", "Δ": "delta", "−": "-", "–": "-", "▲": "^", "▼": "v",
          "≤": "<=", "α": "alpha"}


def plain(text: str) -> str:
    """ASCII for the console: a redirected stdout on some systems cannot encode Greek letters."""
    for k, v in _PLAIN.items():
        text = text.replace(k, v)
    return text


def ci_half_width(c: Cell) -> str:
    """"±h", h half the width of the cell's CI at the cell's decimals ('' without a CI)."""
    if not c.ci:
        return ""
    try:
        lo, hi = float(c.ci[0]), float(c.ci[1])
    except ValueError:
        return ""
    decimals = len(c.text.split(".")[1]) if "." in c.text else 0
    return f"±{(hi - lo) / 2:.{decimals}f}"


def _console_cells(grid: Grid, ci: bool = False) -> list[list[str]]:
    """Cell texts with the decimal points of a column aligned: the number (plus '*' or a space)
    is right-aligned in its own sub-column, then (ci) "±" half the CI width, then the coverage."""
    out = [[c.text for c in row] for row in grid.rows]
    for j in range(1, len(grid.header)):
        col = [row[j] for row in grid.rows]
        if not _column_numeric(grid, j):
            for i, c in enumerate(col):
                out[i][j] = c.text + ("*" if c.bold else "")
            continue
        marked = any(c.bold for c in col)
        sig_w = max((len(c.mark) for c in col), default=0)
        nums = [c.text + plain(c.mark).ljust(sig_w) + ("*" if c.bold else " " if marked else "")
                for c in col]
        pms = [(" " + ci_half_width(c)) if ci and ci_half_width(c) else "" for c in col]
        covs = [f" ({c.coverage})" if c.coverage else "" for c in col]
        num_w = max(map(len, nums), default=0)
        pm_w = max(map(len, pms), default=0)
        cov_w = max(map(len, covs), default=0)
        for i, (num, pm, cov) in enumerate(zip(nums, pms, covs)):
            out[i][j] = num.rjust(num_w) + pm.ljust(pm_w) + cov.ljust(cov_w)
    return out


def _md_cell(c: Cell, ci: bool) -> str:
    text = _md_escape(c.text)
    text = f"**{text}**" if c.bold else text
    text += _md_escape(c.mark)
    if ci and c.ci:
        text += f" [{c.ci[0]}, {c.ci[1]}]"
    if c.coverage:
        text += f" ({c.coverage})"
    return text


def tex_number(text: str) -> str:
    """A number for LaTeX: a real minus sign, everything else escaped."""
    return "$-$" + text[1:] if text.startswith("-") else tex_escape(text)


def _tex_cell(c: Cell, ci: bool, coverage: bool) -> str:
    text = tex_number(c.text) if c.numeric else tex_escape(c.text)
    if c.bold:
        text = f"\\textbf{{{text}}}"
    if c.mark:
        text += _tex_mark(c.mark)
    if ci and c.ci:
        text += f"\\,{{\\scriptsize[{tex_number(c.ci[0])}, {tex_number(c.ci[1])}]}}"
    if coverage and c.coverage:
        text += "$^\\dagger$"
    return text


def _tex_mark(mark: str) -> str:
    arrow = {"▲": "\\uparrow", "▼": "\\downarrow"}
    return "$^{" + "".join(arrow.get(ch, ch) for ch in mark) + "}$"


def _column_numeric(grid: Grid, j: int) -> bool:
    return all(r[j].numeric for r in grid.rows)


def _column_blocks(widths: list[int], width: int) -> list[list[int]]:
    """Split data columns 1.. into blocks that fit `width` next to the label column."""
    blocks, current, used = [], [], widths[0]
    for j in range(1, len(widths)):
        if current and used + 2 + widths[j] > width:
            blocks.append(current)
            current, used = [], widths[0]
        current.append(j)
        used += 2 + widths[j]
    if current:
        blocks.append(current)
    return blocks or [[]]


_TEX_SPECIAL = {"\\": "\\textbackslash{}", "&": "\\&", "%": "\\%", "$": "\\$", "#": "\\#",
                "_": "\\_", "{": "\\{", "}": "\\}", "~": "\\textasciitilde{}",
                "^": "\\textasciicircum{}", "–": "--", "×": "$\\times$", "ρ": "$\\rho$",
                "Δ": "$\\Delta$", "−": "$-$", "≥": "$\\geq$", "<": "$<$", ">": "$>$",
                "≤": "$\\leq$", "Φ": "$\\Phi$", "α": "$\\alpha$", "|": "\\textbar{}",
                "▲": "$\\uparrow$", "▼": "$\\downarrow$", "…": "\\dots{}", "’": "'"}


def tex_escape(text: str) -> str:
    """Escape LaTeX specials (and a leading '['); a hyphen before a digit that does not follow
    a letter or digit ("-0.3", "[-1.2, 3.4]") is a minus sign."""
    text = re.sub(r"(?<![\w.])-(?=\.?\d)", "−", text)
    out = "".join(_TEX_SPECIAL.get(ch, ch) for ch in text)
    return "{}" + out if out.startswith("[") else out  # `\\ [` would read as a row-skip length


def _md_escape(text: str) -> str:
    from vgbench.reporting.escape import markdown_text
    return markdown_text(text)


class RecordsTable(Renderable):
    """Rows whose cells are already decided (tests, bins, runs, steps) as a Renderable, so every
    table of every report goes through the same Markdown, LaTeX and console renderers."""

    def __init__(self, key: str, title: str, header: list[str], rows: list[list[Cell]], notes: list[str] | None = None):
        self.key, self.title, self.header, self.rows, self.notes, self.policy = key, title, header, rows, notes or [], []

    def _grid(self) -> Grid:
        return Grid(self.header, self.rows)


def text_cell(value) -> Cell:
    """A label cell (left-aligned, never bold)."""
    return Cell(str(value), numeric=False)
