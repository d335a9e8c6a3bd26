"""The study's page: `reports/study/index.html`, its charts and the first screen of `summary.md`.

Why apart from `pipeline/study*.py`: the study computes (training, selection, the two-level tests of
`evaluation.hierarchical`); this module only shows what it computed, through the same machinery as
the eval reports (Summary, Renderable tables, html.page, charts.render), so a mark on the page is
the very p (Holm) of `tests.csv` and the page can never disagree with the CSVs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vgbench.evaluation.policy import DEFAULT
from vgbench.reporting.render import Cell, Grid, RecordsTable, Renderable, fmt_number, text_cell
from vgbench.reporting.summary import Summary, Verdict

ALPHA = round(1.0 - DEFAULT.level, 10)  # p (Holm) ≤ ALPHA is significant: the rule of `vgbench eval`'s marks
BASELINES = ("GloVe", "GloVe+ABTT")
CONCAT = "⊕ GloVe"   # the suffix of a grounded row concatenated with its textual vectors (paper Table 6)


def trained_base(row: str) -> str:
    """The trained row a study row's vectors come from: without "+ABTT" and without the concatenation."""
    return row.removesuffix(" +ABTT").removesuffix(f" {CONCAT}")
CHART_MEASURES = ("Mean6", "Mean6 test", "STS mean")


def significant(t: dict) -> bool:
    """Significant at ALPHA after Holm over the test's family (p ≤ ALPHA, as `vgbench eval` marks; the
    README's rule too)."""
    return bool(t["p_holm"] <= ALPHA)


def row_name(a: dict) -> str:
    """How the page names one aggregated row: its label and, for trained rows, its selection."""
    return a["row"] if a["rule"] == "-" else f"{a['row']} ({a['rule']})"


def chart_name(row: str, rule: str) -> str:
    """A row's name in the charts, shaped for charts.styles: the trained row is the base (one
    colour), its selection and +ABTT the variant (line style and marker): "VGE | dev loss +ABTT"."""
    if rule == "-":
        return row
    base = row.removesuffix(" +ABTT")
    return f"{base} | {rule}" + (" +ABTT" if base != row else "")


@dataclass
class StudyInfo:
    """What the pipeline tells the page about the study (plain data: reporting never imports it)."""
    title: str
    describe: dict[str, str]        # row label -> one line (model, c, epochs, overrides)
    rule_column: dict[str, str]     # selection rule -> the column it is judged on
    policy: list[str]
    stamp: dict                     # run_stamp(): command, date, commit
    version: str


def _cell(x: dict, decimals: int = 1) -> tuple[str, tuple[str, str] | None]:
    ci = None
    if x["sd"] and math.isfinite(x["ci_low"]):
        ci = (fmt_number(x["ci_low"], decimals), fmt_number(x["ci_high"], decimals))
    return fmt_number(x["mean"], decimals), ci


def picks(entries: list[dict], a: dict) -> str:
    """The alternatives the selection rule chose per seed for a search row ("" when it has one)."""
    members = [e for e in entries if (e["row"], e["textual"], e["rule"]) == (a["row"], a["textual"], a["rule"])]
    chosen = [e.get("alternative") for e in members]
    if len(set(chosen)) <= 1 and (not chosen or chosen[0] in (None, a["row"], trained_base(a["row"]))):
        return ""
    return "; chosen per seed: " + ", ".join(f"seed {e['seed']} {e.get('alternative')} epoch {e.get('epoch')}"
                                               for e in members)


def _by_trained_row(agg: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """(textual, row without "+ABTT") -> its aggregated rows (selections and +ABTT twins)."""
    out: dict[tuple[str, str], list[dict]] = {}
    for a in agg:
        base = a["row"] if a["rule"] == "-" else a["row"].removesuffix(" +ABTT")
        out.setdefault((a["textual"], base), []).append(a)
    return out


def study_summary(agg: list[dict], tests: list[dict], entries: list[dict], info: StudyInfo) -> Summary:
    """The first screen: every row with its model, c, epochs, seeds and selection; the headline
    (selection column and STS mean with seed intervals) and its two-level test against both
    controls in words, from p (Holm)."""
    sources, headline, verdicts = [], [], []
    by = {(t["row"], t["textual"], t["rule"], t["baseline"], t["dataset"]): t for t in tests}
    for (textual, base), members in _by_trained_row(agg).items():
        text = info.describe.get(base, "")
        text += f"; {members[0]['seeds']} seed{'s' if members[0]['seeds'] > 1 else ''}"
        for a in members:
            if a["row"] == base and a["rule"] != "-":
                epochs = ",".join(str(e) for e in a["epochs"] if e is not None)
                text += f"; selection by {a['rule']} (epochs chosen {epochs}{picks(entries, a)})"
        if any(a["row"] != base for a in members):
            text += "; each also with the mean and top-3 directions removed (the +ABTT rows, like GloVe+ABTT)"
        sources.append((f"{base} [{textual}]", text))
    for a in agg:
        name = f"{row_name(a)} [{a['textual']}]"
        col = info.rule_column.get(a["rule"], "Mean6")
        parts = []
        for measure, decimals in ((col, 1), ("STS mean", 2)):
            text, ci = _cell(a[measure], decimals)
            parts.append(f"{measure} {text}" + (f" [{ci[0]}, {ci[1]}] (95% over seeds)" if ci else ""))
        headline.append((name, parts))
        for b in BASELINES:
            v = Verdict(a=f"{b} [{a['textual']}]", b=name)
            for measure in (col, "STS mean"):
                t = by.get((a["row"], a["textual"], a["rule"], b, measure))
                if t is None:
                    continue
                word = "ties" if not significant(t) else "beats" if t["delta"] > 0 else "loses"
                getattr(v, word).append(f"{measure} ({t['delta']:+.1f}, p (Holm) {format_p(t['p_holm'])})")
            if v.beats or v.ties or v.loses:
                verdicts.append(v)
    note = (f"beats / loses: p (Holm) ≤ {ALPHA:g}, the two-level bootstrap over seeds and pairs with Holm "
            "over the test's family (the p (Holm) of tests.csv); ties: no significant difference.")
    return Summary(title=info.title, sources=sources, headline=headline, against=[], verdicts=verdicts,
                   alpha=ALPHA, policy=info.policy, date=info.stamp.get("date", ""),
                   command=info.stamp.get("command"), version=info.version, commit=info.stamp.get("commit"),
                   verdict_note=note)


def format_p(p: float) -> str:
    """A p-value as every report prints it (vgbench.evaluation.statistics.format_p)."""
    from vgbench.evaluation.statistics import format_p as fmt
    return fmt(p)


class StudyTable(Renderable):
    """Mean over seeds per row and column of one textual: the seeds' 95% t-interval in brackets,
    the best mean bold, ▲/▼ where the study's test against GloVe (1) or GloVe+ABTT (2) has
    p (Holm) < ALPHA."""

    def __init__(self, textual: str, agg: list[dict], tests: list[dict], columns: list[str], title: str):
        self.key = f"summary_{textual}"
        self.title = title
        self.rows = [a for a in agg if a["textual"] == textual]
        self.columns = columns
        self.policy = []
        self.notes = ["Cells: mean over seeds, brackets the 95% t-interval over seeds (training runs on these "
                      "test pairs).",
                      f"▲/▼: significantly above/below 1 = GloVe, 2 = GloVe+ABTT of this textual: p (Holm) ≤ "
                      f"{ALPHA:g}, the two-level bootstrap over seeds and pairs, Holm over the test's family "
                      "(the p (Holm) of tests.csv)."]
        self.tests = {(t["row"], t["rule"], t["baseline"], t["dataset"]): t for t in tests
                      if t["textual"] == textual}

    def mark(self, a: dict, column: str) -> str:
        """▲k/▼k per control k where the row's test in `column` is significant (p (Holm))."""
        out = ""
        for k, b in enumerate(BASELINES, 1):
            t = self.tests.get((a["row"], a["rule"], b, column))
            if t is not None and significant(t) and t["delta"] != 0:
                out += ("▲" if t["delta"] > 0 else "▼") + str(k)
        return out

    def _grid(self) -> Grid:
        best = {}
        for c in self.columns:
            vals = [a[c]["mean"] for a in self.rows if math.isfinite(a[c]["mean"])]
            best[c] = max(vals) if len(vals) > 1 else None
        rows = []
        for a in self.rows:
            cells = [Cell(a["row"], numeric=False), Cell(a["rule"], numeric=False), Cell(str(a["seeds"]))]
            for c in self.columns:
                text, ci = _cell(a[c], 2 if c == "STS mean" else 1)
                cells.append(Cell(text, bold=best[c] is not None and a[c]["mean"] == best[c], ci=ci,
                                  mark=self.mark(a, c), sort=a[c]["mean"]))
            rows.append(cells)
        return Grid(["row", "selection", "seeds", *self.columns], rows)


def tests_table(tests: list[dict], datasets: tuple[str, ...]) -> RecordsTable:
    """The two-level tests of the headline sets, as tests.csv has them."""
    rows = []
    for t in tests:
        if t["dataset"] not in datasets:
            continue
        rows.append([Cell(t["row"], numeric=False), Cell(t["textual"], numeric=False), Cell(t["rule"], numeric=False),
                     Cell(t["baseline"], numeric=False), Cell(t["dataset"], numeric=False),
                     Cell(f"{t['delta']:+.1f}".replace("-", "−"), sort=t["delta"],
                          ci=(f"{t['ci_low']:+.1f}".replace("-", "−"), f"{t['ci_high']:+.1f}".replace("-", "−")),
                          mark=("▲" if t["delta"] > 0 else "▼") if significant(t) else ""),
                     Cell(format_p(t["p_value"]), sort=t["p_value"]), Cell(format_p(t["p_holm"]), sort=t["p_holm"]),
                     Cell(f"{t['family']} ({t['family_size']})", numeric=False), Cell(str(t["seeds"]))])
    return RecordsTable("paired_tests", "Paired tests: two-level bootstrap over seeds and pairs",
                        ["row", "textual", "selection", "vs", "set", "delta (×100)", "p", "p (Holm)",
                         "family (size)", "seeds"], rows,
                        [f"▲/▼: p (Holm) ≤ {ALPHA:g}. Every set in tests.csv."])


def concreteness_table(tests: list[dict]) -> RecordsTable:
    """Delta from each control per within-set concreteness bin (abstract to concrete)."""
    conc = [t for t in tests if t["dataset"].startswith("Conc-b")]
    bins = [f"b{k}" for k in range(1, 1 + len({t["dataset"].split(" ")[0] for t in conc}))]
    groups: dict[tuple, dict[str, dict]] = {}
    for t in conc:
        groups.setdefault((t["row"], t["textual"], t["rule"], t["baseline"]), {})[t["dataset"].split(" ")[0][5:]] = t
    rows = []
    for (row, textual, rule, base), by_bin in groups.items():
        cells = [Cell(row, numeric=False), Cell(textual, numeric=False), Cell(rule, numeric=False),
                 Cell(base, numeric=False)]
        for b in bins:
            t = by_bin.get(b)
            cells.append(Cell("–") if t is None else Cell(
                f"{t['delta']:+.1f}".replace("-", "−"), sort=t["delta"],
                mark=("▲" if t["delta"] > 0 else "▼") if significant(t) else ""))
        rows.append(cells)
    return RecordsTable("concreteness", "Concreteness: difference from the control per within-set quintile",
                        ["row", "textual", "selection", "vs", *[f"Conc-{b}" for b in bins]], rows,
                        ["Spearman difference ×100, quintiles cut within each set (abstract b1 to concrete b5), "
                         f"sets weighted by their pairs in the bin; ▲/▼: p (Holm) ≤ {ALPHA:g}."])


# ------------------------------------------------------------------- Markdown (README, tests.md)
HEADLINE_SETS = ("Mean6", "Mean6 test", "SimLex-999", "MEN-test", "STS mean")


def tests_markdown(tests: list[dict]) -> str:
    """The two-level paired tests of the headline sets as a Markdown table (the page's table)."""
    return tests_table(tests, HEADLINE_SETS).to_markdown()


def concreteness_markdown(tests: list[dict]) -> str:
    """Per trained row and rule: the two-level test against each control in each concreteness bin."""
    return concreteness_table(tests).to_markdown()


def _signed(value: float, digits: int) -> str:
    return f"{value:+.{digits}f}".replace("-", "−")


def seeds_table(seeds: list[dict]) -> RecordsTable:
    """The tests `seed_tests.csv` lists (STS mean, SimLex's quartiles), with their intervals."""
    rows = [[text_cell(t["row"]), text_cell(t["textual"]), text_cell(t["rule"]), text_cell(t["baseline"]),
             text_cell(t["score"]),
             Cell(_signed(t["delta"], 2), ci=(_signed(t["ci_low"], 2), _signed(t["ci_high"], 2)), sort=t["delta"],
                  mark=("▲" if t["delta"] > 0 else "▼") if significant(t) else ""),
             Cell(format_p(t["p_value"])), Cell(format_p(t["p_holm"])),
             text_cell(f"{t['family']} ({t['family_size']})")] for t in seeds]
    return RecordsTable("seed_tests", "STS mean and SimLex's concreteness quartiles: two-level tests",
                        ["row", "textual", "selection", "vs", "score", "delta (×100)", "p", "p (Holm)",
                         "family (size)"], rows,
                        [f"Brackets: the test's 95% interval; ▲/▼: p (Holm) ≤ {ALPHA:g}."])


def seeds_markdown(seeds: list[dict]) -> str:
    """The seed-level tests (STS mean, SimLex's quartiles) as a Markdown table."""
    return seeds_table(seeds).to_markdown()


# ---------------------------------------------------------------------------------------- charts
def score_chart(agg: list[dict], textual: str, measures=CHART_MEASURES):
    """One panel per measure, a dot per row with its 95% interval over seeds."""
    from vgbench.reporting import charts  # matplotlib only when charts are drawn
    rows = [a for a in agg if a["textual"] == textual]
    measures = [m for m in measures if any(math.isfinite(a[m]["mean"]) for a in rows)]
    if not rows or not measures:
        return None
    series = {}
    for a in rows:
        vals = np.array([a[m]["mean"] for m in measures], float)
        lo = np.array([a[m]["mean"] - a[m]["ci_low"] if a[m]["sd"] else math.nan for m in measures], float)
        hi = np.array([a[m]["ci_high"] - a[m]["mean"] if a[m]["sd"] else math.nan for m in measures], float)
        series[chart_name(a["row"], a["rule"])] = (vals, lo, hi)
    fig = charts._new_figure(charts.PAGE_WIDTH)
    charts._dot_panels(fig, list(measures), series, "score × 100")
    fig.suptitle(f"Score per row, GloVe 6B {textual} (mean over seeds, 95% interval over seeds)", fontsize=9)
    return fig


def concreteness_chart(tests: list[dict], textual: str, baseline: str = "GloVe+ABTT"):
    """Difference from `baseline` per within-set concreteness bin: one panel per trained row, its
    selections and +ABTT variant in line styles, the two-level test's interval as a band."""
    from vgbench.reporting import charts
    conc = [t for t in tests if t["textual"] == textual and t["baseline"] == baseline
            and t["dataset"].startswith("Conc-b")]
    if not conc:
        return None
    series: dict[str, list[dict]] = {}
    for t in conc:
        series.setdefault(chart_name(t["row"], t["rule"]), []).append(t)
    names = list(series)
    st = charts.styles(names)
    bases = list(dict.fromkeys(n.split(" | ")[0] for n in names))
    fig = charts._new_figure(charts.PAGE_WIDTH)
    axes = charts.panel_grid(fig, len(bases), charts.FAMILY_ROW_HEIGHT)
    for ax, base in zip(axes, bases):
        for n in names:
            if n.split(" | ")[0] != base:
                continue
            ts = sorted(series[n], key=lambda t: t["dataset"])
            x = np.array([int(t["dataset"][6:].split(" ")[0]) for t in ts], float)
            charts.band(ax, x, np.array([t["delta"] for t in ts]), np.array([t["ci_low"] for t in ts]),
                        np.array([t["ci_high"] for t in ts]), st[n], n.split(" | ")[1])
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_title(base, fontsize=8)
        ax.set_xticks([1, 2, 3, 4, 5], ["1\nabstract", "2", "3", "4", "5\nconcrete"], fontsize=7)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel(f"Δ vs {baseline} (ρ × 100)", fontsize=7)
        ax.legend(fontsize=6, frameon=False, loc="best")
    fig.suptitle(f"Concreteness per row, GloVe 6B {textual}: within-set quintiles", fontsize=9)
    return fig


def study_charts(agg: list[dict], tests: list[dict]) -> dict[str, object]:
    """{file stem: Figure} of every study chart, per textual."""
    out = {}
    for textual in dict.fromkeys(a["textual"] for a in agg):
        out[f"scores_{textual}"] = score_chart(agg, textual)
        out[f"concreteness_{textual}"] = concreteness_chart(tests, textual)
    return {k: v for k, v in out.items() if v is not None}


CAPTIONS = {"scores": "Score per row (one panel per measure) with the 95% interval over seeds",
            "concreteness": "Difference from GloVe+ABTT per within-set concreteness quintile, one panel per "
                            "trained row; bands: the two-level test's 95% interval"}


# ------------------------------------------------------------------------------------------ page
def write_study_page(out, agg: list[dict], tests: list[dict], entries: list[dict], info: StudyInfo,
                     columns: list[str], tables_md: str) -> Summary:
    """Write index.html, the charts (PNG + PDF) and summary.md (the first screen, then the results)
    into `out`; returns the summary."""
    from vgbench.reporting import charts
    from vgbench.atomic import write_bytes_atomic, write_text_atomic
    from vgbench.reporting.html import _figure, page, table_html
    from vgbench.reporting.summary import summary_html, summary_markdown
    summary = study_summary(agg, tests, entries, info)
    tables: list[Renderable] = [StudyTable(t, agg, tests, columns, f"Results, GloVe 6B {t}")
                                for t in dict.fromkeys(a["textual"] for a in agg)]
    tables += [tests_table(tests, ("Mean6", "Mean6 test", "STS mean")), concreteness_table(tests)]
    pngs = {}
    for stem, fig in study_charts(agg, tests).items():
        files = charts.render(fig)
        for fmt, data in files.items():
            write_bytes_atomic(out / f"{stem}.{fmt}", data)
        pngs[stem] = files["png"]
    nav = "".join(f'<a href="#{k}">{label}</a>' for k, label in
                  (("summary", "Summary"), ("tables", "Tables"), ("charts", "Charts")))
    body = [f"<h1>{_escape(info.title)}</h1>", f"<nav>{nav}</nav>", summary_html(summary),
            '<h2 id="tables">Tables</h2>', *[table_html(t) for t in tables], '<h2 id="charts">Charts</h2>',
            *[_figure(stem, png, CAPTIONS[stem.split("_")[0]] + f" ({stem.split('_', 1)[1]})")
              for stem, png in pngs.items()]]
    write_text_atomic(out / "index.html", page(info.title, body))
    write_text_atomic(out / "summary.md", summary_markdown(summary) + "\n## Results (mean ± SD over seeds)\n\n"
                      + tables_md)
    return summary


def _escape(text: str) -> str:
    import html
    return html.escape(text, quote=True)
