"""Charts of the results (matplotlib, Agg canvas, PNG and PDF).

Why figures are built on a bare ``Figure`` with an Agg canvas rather than through pyplot: the
library must not switch the user's backend or leak global figure state, and a report run in a
headless job needs no display. Each chart function returns the Figure (tests and users can
inspect or restyle it); `render` turns it into file bytes so writing stays atomic.
"""
from __future__ import annotations

import io
import math
from typing import Iterable

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from vgbench.evaluation.policy import STS_AGGREGATE, STS_METRIC
from vgbench.evaluation.results import Results
from vgbench.reporting.score_tables import (SIMILARITY_SETS, SIMLEX, SIMLEX_SECTIONS, STS_AGGREGATES,
                                            STS_YEARS, embedding_order, score_index)

CONC_SECTIONS = [s for s in SIMLEX_SECTIONS if s.startswith("Conc-")]
FORMATS = ("png", "pdf")
_METRIC_LABEL = {"spearman": "Spearman's ρ × 100", "pearson": "Pearson's r × 100"}


def _series(results: Results, keys: list[tuple[str, str, str]]):
    """Per embedding that has any of `keys` (dataset, section, metric): values, err_low, err_high.

    Error bars are the distance from the value to the CI ends (asymmetric, as percentile CIs are);
    NaN where a score or its CI is missing.
    """
    idx = score_index(results)
    out = {}
    for name in embedding_order(results):
        vals, lo, hi = [], [], []
        for ds, sec, met in keys:
            s = idx.get((name, ds, sec, met))
            v = s.value if s is not None and s.value is not None else math.nan
            vals.append(v)
            ok = s is not None and s.ci_low is not None and s.ci_high is not None
            lo.append(v - s.ci_low if ok else math.nan)
            hi.append(s.ci_high - v if ok else math.nan)
        if np.isfinite(vals).any():
            out[name] = (np.array(vals, float), np.array(lo, float), np.array(hi, float))
    return out


PAGE_WIDTH = 7.0    # inches: a chart reads at a page's (or an HTML column's) width at 150 dpi
PANEL_COLUMNS = 4   # small multiples per row
_PALETTE = [0, 1, 2, 3, 4, 5, 6, 8]  # tab10 without its grey, kept for reference lines
_LINESTYLES = ["-", "--", ":", "-."]
_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def family(name: str) -> tuple[str, str]:
    """(base, variant) of an embedding name: "VGE+ABTT" -> ("VGE", "+ABTT"),
    "glove|abtt:3" -> ("glove", "|abtt:3"); a plain name is its own base."""
    cut = min([i for i in (name.find("+"), name.find("|")) if i > 0], default=len(name))
    return name[:cut], name[cut:]


def styles(names: list[str]) -> dict[str, dict]:
    """{name: matplotlib style}: one of at most 8 colours per base embedding, and a line
    style and marker per variant (the plain one solid with circles, "+ABTT" dashed with
    squares, ...), the same in every chart and panel."""
    from matplotlib import colormaps
    cmap = colormaps["tab10"]
    bases = list(dict.fromkeys(family(n)[0] for n in names))
    variants = list(dict.fromkeys(family(n)[1] for n in names))
    if "" in variants:
        variants.remove("")
    variants.insert(0, "")
    out = {}
    for n in names:
        base, variant = family(n)
        b = bases.index(base)
        v = variants.index(variant)
        round_ = b // len(_PALETTE)  # past 8 bases the colours repeat with other markers
        out[n] = {"color": cmap(_PALETTE[b % len(_PALETTE)]),
                  "linestyle": _LINESTYLES[v % len(_LINESTYLES)],
                  "marker": _MARKERS[(v + len(_LINESTYLES) * round_) % len(_MARKERS)]}
    return out


def _new_figure(width: float, height: float = 3.8) -> Figure:
    fig = Figure(figsize=(min(width, PAGE_WIDTH), height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def panel_rows(n: int) -> int:
    """Rows of small multiples that `n` panels take."""
    return math.ceil(n / min(PANEL_COLUMNS, max(n, 1)))


def panel_grid(fig, n: int, row_height: float, sharex: bool = False, sharey: bool = True):
    """`n` small-multiple axes, PANEL_COLUMNS per row; the figure grows in height, never in
    width, with the number of panels."""
    ncols = min(PANEL_COLUMNS, n)
    nrows = panel_rows(n)
    if isinstance(fig, Figure):  # a SubFigure takes its share of its parent's height
        fig.set_figheight(nrows * row_height + 0.6)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=sharex, sharey=sharey).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return list(axes[:n])


def _dot_panels(fig, titles: list[str], series: dict, xlabel: str) -> list:
    """One panel per score (dataset, section...): a dot per embedding with its CI whisker,
    embeddings down the side. Scales with rows: more embeddings make panels taller, more
    scores add panels below, the figure never gets wider than the page."""
    names = list(series)
    st = styles(names)
    row_height = 0.18 * len(names) + 0.7
    axes = panel_grid(fig, len(titles), row_height)
    y = np.arange(len(names))[::-1]
    for k, ax in enumerate(axes):
        for i, name in enumerate(names):
            vals, lo, hi = series[name]
            if not np.isfinite(vals[k]):
                continue
            err = None if not (np.isfinite(lo[k]) and np.isfinite(hi[k])) else [[lo[k]], [hi[k]]]
            ax.errorbar([vals[k]], [y[i]], xerr=err, fmt=st[name]["marker"], ms=4,
                        color=st[name]["color"], elinewidth=1, capsize=2, label=name)
        ax.set_title(titles[k], fontsize=8)
        ax.set_yticks(y, names, fontsize=7)
        ax.tick_params(axis="y", labelleft=ax.get_subplotspec().is_first_col())
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="x", alpha=0.3)
        ax.set_ylim(-0.7, len(names) - 0.3)
        if ax.get_subplotspec().is_last_row() or k + PANEL_COLUMNS >= len(axes):
            ax.set_xlabel(xlabel, fontsize=7)
    return axes


def band(ax, x, vals, lo, hi, style: dict, label: str) -> None:
    """A line with its CI as a light band (alpha), so several stay apart."""
    ax.plot(x, vals, label=label, color=style["color"], linestyle=style["linestyle"],
            marker=style["marker"], ms=3.5, lw=1.4)
    ok = np.isfinite(lo) & np.isfinite(hi)
    if ok.any():
        ax.fill_between(np.asarray(x)[ok], lo[ok], hi[ok], color=style["color"], alpha=0.12,
                        linewidth=0)
        for edge in (lo, hi):  # thin edges in the line's style keep overlapping bands apart
            ax.plot(np.asarray(x)[ok], edge[ok], color=style["color"], lw=0.6, alpha=0.6,
                    linestyle=style["linestyle"])


FAMILY_ROW_HEIGHT = 2.1


def family_panels(fig, x, rows: dict, xticks=None, ylabel: str = "") -> list:
    """One panel per base embedding (its variants in line styles), with the first embedding,
    the baseline, drawn in grey in every other panel for reference. `rows`: {name: (values,
    ci_low, ci_high)}, absolute bounds."""
    names = list(rows)
    st = styles(names)
    bases = list(dict.fromkeys(family(n)[0] for n in names))
    axes = panel_grid(fig, len(bases), FAMILY_ROW_HEIGHT)
    ref = names[0]
    for ax, base in zip(axes, bases):
        if family(ref)[0] != base:
            ax.plot(x, rows[ref][0], color="0.6", lw=1, linestyle=":", label=f"{ref} (reference)")
        for n in names:
            if family(n)[0] == base:
                band(ax, x, *rows[n], st[n], n)
        ax.set_title(base, fontsize=8)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=7)
        if xticks is not None:
            ax.set_xticks(x, xticks, fontsize=7)
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel(ylabel, fontsize=7)
        ax.legend(fontsize=6, frameon=False, loc="best")
    return axes


def concreteness_chart(results: Results, metric: str = "spearman") -> Figure | None:
    """SimLex-999 by concreteness quartile (abstract -> concrete), one panel per base
    embedding, its variants as line styles with CI bands.

    Lines rather than bars because the quartiles are ordered: the slope shows whether an
    embedding favours concrete words, which is what visual grounding is expected to change.
    """
    series = _series(results, [(SIMLEX, q, metric) for q in CONC_SECTIONS])
    if not series:
        return None
    fig = _new_figure(PAGE_WIDTH)
    x = np.arange(len(CONC_SECTIONS), dtype=float)
    rows = {n: (v, v - lo, v + hi) for n, (v, lo, hi) in series.items()}
    family_panels(fig, x, rows, ["q1\nabstract", "q2", "q3", "q4\nconcrete"],
                  _METRIC_LABEL[metric])
    fig.suptitle("SimLex-999 by concreteness quartile", fontsize=9)
    return fig


def simlex_sections_chart(results: Results, metric: str = "spearman") -> Figure | None:
    """SimLex-999 sections (paper's Table 3): one panel per section, a dot per embedding with
    its CI."""
    present = {s.section for s in results.scores if s.dataset == SIMLEX and s.metric == metric}
    sections = [s for s in SIMLEX_SECTIONS if s in present] + sorted(present - set(SIMLEX_SECTIONS))
    series = _series(results, [(SIMLEX, s, metric) for s in sections])
    if not series:
        return None
    fig = _new_figure(PAGE_WIDTH)
    _dot_panels(fig, sections, series, _METRIC_LABEL[metric])
    fig.suptitle("SimLex-999 sections", fontsize=9)
    return fig


def datasets_chart(results: Results, sts_metric: str = STS_METRIC,
                   sts_aggregate: str = STS_AGGREGATE) -> Figure | None:
    """Every dataset's headline score per embedding, one panel per dataset: word similarity
    (Spearman, section "All") first, then STS years and user STS sets (chosen metric and
    aggregate)."""
    if sts_aggregate not in STS_AGGREGATES:
        raise ValueError(f"unknown STS aggregate {sts_aggregate!r}: expected one of "
                         f"{', '.join(STS_AGGREGATES)}")
    keys, titles = [], []
    for d in _ordered(results, "similarity", SIMILARITY_SETS, "All", "spearman"):
        keys.append((d, "All", "spearman"))
        titles.append(f"{d} (ρ)")
    for d in _ordered(results, "sts", STS_YEARS, sts_aggregate, sts_metric):
        keys.append((d, sts_aggregate, sts_metric))
        titles.append(f"{d} {sts_aggregate} ({'r' if sts_metric == 'pearson' else 'ρ'})")
    series = _series(results, keys)
    if not series:
        return None
    fig = _new_figure(PAGE_WIDTH)
    _dot_panels(fig, titles, series, "score × 100")
    fig.suptitle("Every dataset per embedding (word similarity: Spearman's ρ; STS: "
                 f"{_METRIC_LABEL[sts_metric].split(' ×')[0]}, {sts_aggregate} over subsets)",
                 fontsize=9)
    return fig


def _ordered(results: Results, task: str, known: list[str], section: str, metric: str) -> list[str]:
    seen = list(dict.fromkeys(s.dataset for s in results.scores if s.task == task
                              and s.section == section and s.metric == metric))
    return [d for d in known if d in seen] + [d for d in seen if d not in known]


def render(fig: Figure, formats: Iterable[str] = FORMATS) -> dict[str, bytes]:
    """{format: file bytes}; PDFs carry no creation date so reruns give identical files, and
    embed TrueType (Type 42) fonts, not the Type 3 that publishers reject (set for this call
    only, the user's matplotlib settings stay as they are)."""
    import matplotlib
    from vgbench.reporting.escape import no_mathtext
    out = {}
    no_mathtext(fig)  # labels from the user's files are text, never mathtext
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f"unknown chart format {fmt!r}: expected one of {', '.join(FORMATS)}")
        buf = io.BytesIO()
        meta = {"CreationDate": None} if fmt == "pdf" else {"Software": None}
        with matplotlib.rc_context({"text.parse_math": False, "pdf.fonttype": 42, "ps.fonttype": 42}):
            fig.savefig(buf, format=fmt, dpi=150, metadata=meta)
        out[fmt] = buf.getvalue()
    return out
