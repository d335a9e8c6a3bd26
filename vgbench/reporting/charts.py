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

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from vgbench.evaluation.results import Results
from vgbench.reporting.tables import (SIMILARITY_SETS, SIMLEX, SIMLEX_SECTIONS, STS_AGGREGATES,
                                      STS_YEARS, embedding_order)

CONC_SECTIONS = [s for s in SIMLEX_SECTIONS if s.startswith("Conc-")]
FORMATS = ("png", "pdf")
_METRIC_LABEL = {"spearman": "Spearman's ρ × 100", "pearson": "Pearson's r × 100"}


def _lookup(results: Results) -> dict:
    return {(s.embedding, s.dataset, s.section, s.metric): s for s in results.scores}


def _series(results: Results, keys: list[tuple[str, str, str]]):
    """Per embedding that has any of `keys` (dataset, section, metric): values, err_low, err_high.

    Error bars are the distance from the value to the CI ends (asymmetric, as percentile CIs are);
    NaN where a score or its CI is missing.
    """
    idx = _lookup(results)
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


def _colors(results: Results) -> dict:
    """One colour per embedding, the same in every chart and panel."""
    from matplotlib import colormaps
    names = embedding_order(results)
    cmap = colormaps["tab10" if len(names) <= 10 else "tab20"]
    return {name: cmap(i % cmap.N) for i, name in enumerate(names)}


def _new_figure(width: float, height: float = 3.8) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _grouped_bars(ax, groups: list[str], series: dict, colors: dict) -> None:
    """One group of bars per x label, one bar per embedding, CI error bars where known."""
    names = list(series)
    width = 0.8 / max(1, len(names))
    x = np.arange(len(groups))
    for k, name in enumerate(names):
        color = colors[name]
        vals, lo, hi = series[name]
        ok = np.isfinite(vals)
        pos = x + (k - (len(names) - 1) / 2) * width
        ax.bar(pos[ok], vals[ok], width, label=name, color=color)
        err_ok = ok & np.isfinite(lo) & np.isfinite(hi)
        if err_ok.any():
            ax.errorbar(pos[err_ok], vals[err_ok], yerr=[lo[err_ok], hi[err_ok]], fmt="none",
                        ecolor="black", elinewidth=0.8, capsize=2)
    ax.set_xticks(x, groups)
    ax.axhline(0, color="black", linewidth=0.6)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)


def _legend(fig: Figure) -> None:
    """Legend below the axes, outside them, so it never hides a bar or a tick label."""
    entries = {}
    for ax in fig.axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    fig.legend(list(entries.values()), list(entries), loc="outside lower center",
               fontsize="small", frameon=False, ncols=min(len(entries), 4))


def concreteness_chart(results: Results, metric: str = "spearman") -> Figure | None:
    """SimLex-999 by concreteness quartile (abstract -> concrete), one line per embedding.

    Lines rather than bars because the quartiles are ordered: the slope shows whether an
    embedding favours concrete words, which is what visual grounding is expected to change.
    """
    series = _series(results, [(SIMLEX, q, metric) for q in CONC_SECTIONS])
    if not series:
        return None
    fig = _new_figure(6.4, 4.2)
    ax = fig.add_subplot()
    x = np.arange(len(CONC_SECTIONS), dtype=float)
    step = 0.05
    colors = _colors(results)
    for k, (name, (vals, lo, hi)) in enumerate(series.items()):
        off = x + (k - (len(series) - 1) / 2) * step  # keep overlapping error bars apart
        yerr = None if np.isnan(lo).all() else [np.nan_to_num(lo), np.nan_to_num(hi)]
        ax.errorbar(off, vals, yerr=yerr, marker="o", capsize=3, label=name, color=colors[name])
    ax.set_xticks(x, ["Conc-q1\n(abstract)", "Conc-q2", "Conc-q3", "Conc-q4\n(concrete)"])
    ax.set_ylabel(_METRIC_LABEL[metric])
    ax.set_title("SimLex-999 by concreteness quartile")
    ax.grid(axis="y", alpha=0.3)
    _legend(fig)
    return fig


def simlex_sections_chart(results: Results, metric: str = "spearman") -> Figure | None:
    """SimLex-999 sections (paper's Table 3) as grouped bars with CI error bars."""
    present = {s.section for s in results.scores if s.dataset == SIMLEX and s.metric == metric}
    sections = [s for s in SIMLEX_SECTIONS if s in present] + sorted(present - set(SIMLEX_SECTIONS))
    series = _series(results, [(SIMLEX, s, metric) for s in sections])
    if not series:
        return None
    fig = _new_figure(max(6.4, 0.35 * len(sections) * max(2, len(series)) + 1.5))
    ax = fig.add_subplot()
    _grouped_bars(ax, sections, series, _colors(results))
    ax.set_ylabel(_METRIC_LABEL[metric])
    ax.set_title("SimLex-999 sections")
    _legend(fig)
    return fig


def datasets_chart(results: Results, sts_metric: str = "pearson",
                   sts_aggregate: str = "mean") -> Figure | None:
    """Every dataset's headline score per embedding: word similarity (Spearman, section "All")
    on the left, STS years and user STS sets (chosen metric and aggregate) on the right."""
    if sts_aggregate not in STS_AGGREGATES:
        raise ValueError(f"unknown STS aggregate {sts_aggregate!r}: expected one of "
                         f"{', '.join(STS_AGGREGATES)}")
    panels = []
    sim = _ordered(results, "similarity", SIMILARITY_SETS, "All", "spearman")
    if sim:
        panels.append(("Word similarity", sim, "All", "spearman"))
    sts = _ordered(results, "sts", STS_YEARS, sts_aggregate, sts_metric)
    if sts:
        panels.append((f"STS ({sts_aggregate} over subsets)", sts, sts_aggregate, sts_metric))
    panel_series = [_series(results, [(d, sec, met) for d in ds]) for _, ds, sec, met in panels]
    panels = [(p, s) for p, s in zip(panels, panel_series) if s]
    if not panels:
        return None
    n_emb = len(set().union(*(s.keys() for _, s in panels)))
    widths = [len(p[1]) for p, _ in panels]
    fig = _new_figure(max(6.4, 0.3 * sum(widths) * max(2, n_emb) + 2))
    axes = fig.subplots(1, len(panels), width_ratios=widths, squeeze=False)[0]
    colors = _colors(results)
    for ax, ((title, ds, _, metric), series) in zip(axes, panels):
        _grouped_bars(ax, ds, series, colors)
        ax.set_title(title)
        ax.set_ylabel(_METRIC_LABEL[metric])
        for label in ax.get_xticklabels():
            label.set(rotation=30, ha="right", rotation_mode="anchor")
    _legend(fig)
    return fig


def _ordered(results: Results, task: str, known: list[str], section: str, metric: str) -> list[str]:
    seen = list(dict.fromkeys(s.dataset for s in results.scores if s.task == task
                              and s.section == section and s.metric == metric))
    return [d for d in known if d in seen] + [d for d in seen if d not in known]


def render(fig: Figure, formats: Iterable[str] = FORMATS) -> dict[str, bytes]:
    """{format: file bytes}; PDFs carry no creation date so reruns give identical files."""
    import matplotlib
    from vgbench.reporting.escape import no_mathtext
    out = {}
    no_mathtext(fig)  # labels from the user's files are text, never mathtext
    for fmt in formats:
        if fmt not in FORMATS:
            raise ValueError(f"unknown chart format {fmt!r}: expected one of {', '.join(FORMATS)}")
        buf = io.BytesIO()
        meta = {"CreationDate": None} if fmt == "pdf" else {"Software": None}
        with matplotlib.rc_context({"text.parse_math": False}):  # texts created while drawing
            fig.savefig(buf, format=fmt, dpi=150, metadata=meta)
        out[fmt] = buf.getvalue()
    return out


def all_charts(results: Results, sts_metric: str = "pearson",
               sts_aggregate: str = "mean") -> dict[str, Figure]:
    """{file stem: Figure} for every chart the results can fill."""
    charts = {"simlex_concreteness": concreteness_chart(results),
              "simlex_sections": simlex_sections_chart(results),
              "datasets": datasets_chart(results, sts_metric, sts_aggregate)}
    from vgbench.reporting.suite_charts import suite_chart
    charts["analogy_categorization"] = suite_chart(results)
    return {k: v for k, v in charts.items() if v is not None}
