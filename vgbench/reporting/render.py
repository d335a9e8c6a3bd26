"""Table rendering shared by every report: cells, and their console, Markdown and LaTeX forms.

Why apart from the tables: a table decides *what* a cell says (value, best, CI, coverage); this
module only decides how each format shows it, so formats can never disagree on the numbers.
"""
from __future__ import annotations

import math
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

    def to_console(self, width: int = 100, policy: bool = True) -> str:
        """Plain text, best value marked '*', coverage in brackets; wide tables are split into
        column blocks that each fit in `width` characters."""
        grid = self._grid()
        header = [plain(h) for h in grid.header]
        cells = [[plain(x) for x in row] for row in _console_cells(grid)]
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

    def to_latex(self, ci: bool = False, coverage: bool = True) -> str:
        """A `table` float with a booktabs tabular, best value bold, caption under the table
        like the paper; coverage below 100 % gets a dagger and a note, CIs optionally inline."""
        grid = self._grid()
        spec = "".join("l" if j == 0 or not _column_numeric(grid, j) else "r"
                       for j in range(len(grid.header)))
        # The tabular is measured in a box first and shrunk to the line width only when wider
        # (long embedding names, many columns), so every table fits the page.
        lines = ["% Requires \\usepackage{booktabs} and \\usepackage{graphicx}.",
                 "\\begin{table}[t]", "\\centering", "\\small",
                 f"\\sbox0{{\\begin{{tabular}}{{{spec}}}", "\\toprule",
                 " & ".join(tex_escape(h) for h in grid.header) + " \\\\", "\\midrule"]
        for row in grid.rows:
            lines.append(" & ".join(_tex_cell(c, ci, coverage) for c in row) + " \\\\")
        notes = [tex_escape(n) for n in self.notes + self.policy]
        if any(c.bold for r in grid.rows for c in r):
            notes.insert(0, f"Bold: {tex_escape(self._bold_means())}.")
        notes = self._latex_notes(coverage) + notes
        lines += ["\\bottomrule", "\\end{tabular}}",
                  "\\ifdim\\wd0>\\linewidth\\resizebox{\\linewidth}{!}{\\usebox0}"
                  "\\else\\usebox0\\fi"]
        if notes:
            lines.append("\\par\\smallskip{\\footnotesize " + " \\\\\n".join(notes) + "\\par}")
        lines += [f"\\caption{{{tex_escape(self.title)}}}", f"\\label{{tab:{self.key}}}",
                  "\\end{table}"]
        return "\n".join(lines) + "\n"


_PLAIN = {"ρ": "rho", "×": "x", "Δ": "delta", "−": "-", "–": "-", "▲": "^", "▼": "v",
          "≤": "<=", "α": "alpha"}


def plain(text: str) -> str:
    """ASCII for the console: a redirected stdout on some systems cannot encode Greek letters."""
    for k, v in _PLAIN.items():
        text = text.replace(k, v)
    return text


def _console_cells(grid: Grid) -> list[list[str]]:
    """Cell texts with the decimal points of a column aligned: the number (plus '*' or a space)
    is right-aligned in its own sub-column, the coverage note follows it."""
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
        covs = [f" ({c.coverage})" if c.coverage else "" for c in col]
        num_w = max(map(len, nums), default=0)
        cov_w = max(map(len, covs), default=0)
        for i, (num, cov) in enumerate(zip(nums, covs)):
            out[i][j] = num.rjust(num_w) + cov.ljust(cov_w)
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


def _tex_number(text: str) -> str:
    return "$-$" + text[1:] if text.startswith("-") else tex_escape(text)


def _tex_cell(c: Cell, ci: bool, coverage: bool) -> str:
    text = _tex_number(c.text) if c.numeric else tex_escape(c.text)
    if c.bold:
        text = f"\\textbf{{{text}}}"
    if c.mark:
        text += _tex_mark(c.mark)
    if ci and c.ci:
        text += f"\\,{{\\scriptsize[{_tex_number(c.ci[0])}, {_tex_number(c.ci[1])}]}}"
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
    """Escape LaTeX specials (and a leading '[')."""
    out = "".join(_TEX_SPECIAL.get(ch, ch) for ch in text)
    return "{}" + out if out.startswith("[") else out  # `\\ [` would read as a row-skip length


def _md_escape(text: str) -> str:
    from vgbench.reporting.escape import markdown_text
    return markdown_text(text)
