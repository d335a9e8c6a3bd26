"""Escape text for the program that will read it: a Markdown viewer, a spreadsheet, matplotlib.

Why one module: labels, dataset names and words come from the user's files and command line;
each reader treats some characters as instructions (inline HTML, formulas, mathtext), so every
renderer passes text through the one helper for its reader instead of escaping per call site.
LaTeX escaping lives with the LaTeX renderer (render.tex_escape); HTML uses html.escape.
"""
from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

# Characters a spreadsheet reads as the start of a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_MD_SPECIAL = "\\|*_`[]"


def markdown_text(text: Any) -> str:
    """Text for a Markdown table cell or heading: HTML-escaped (a viewer that renders inline HTML
    sees no tags), Markdown specials and `|` backslash-escaped, newlines folded to spaces."""
    text = html.escape(str(text), quote=True)
    for ch in _MD_SPECIAL:
        text = text.replace(ch, "\\" + ch)
    return " ".join(text.splitlines()) if "\n" in text or "\r" in text else text


def markdown_code(text: Any) -> str:
    """Text as a Markdown code span (a command line): a backquote inside would end the span, so it
    becomes a quote."""
    return "`" + str(text).replace("`", "'") + "`"


def csv_cell(value: Any) -> Any:
    """A text cell a spreadsheet shows as text: one that starts like a formula gets a leading `'`.

    Numbers, and text that reads as a plain number (`-0.25`, `-inf`), are left as they are. A
    carriage return becomes a newline: pandas quotes a cell holding "\n" but not one holding a
    bare "\r", which a spreadsheet would read as the start of a new row."""
    if not isinstance(value, str):
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if not value.startswith(_FORMULA_START):
        return value
    try:
        float(value)
        return value
    except ValueError:
        return "'" + value


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells and column names pass csv_cell (numeric columns untouched)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(csv_cell)
    out.columns = [csv_cell(c) if isinstance(c, str) else c for c in out.columns]
    if out.index.dtype == object:
        out.index = out.index.map(csv_cell)
    return out


def csv_number(value: float, fmt: str = ".6f") -> str:
    """A number for a hand-written CSV row ('' when missing)."""
    return "" if value is None or not math.isfinite(value) else format(value, fmt)


def no_mathtext(fig) -> None:
    """Make every text of a matplotlib figure literal: a label such as `$x^$` would otherwise be
    parsed as mathtext (and crash the render, or show as a formula). vgbench's own chart texts use
    Unicode (ρ, Δ, ×), never mathtext."""
    from matplotlib.text import Text
    for text in fig.findobj(Text):
        text.set_parse_math(False)
