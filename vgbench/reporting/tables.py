"""Score tables laid out like the paper's Tables 1, 3 and 4, plus paired tests, in three formats.

Why one model for every format: which numbers appear, which one is best in its column, and the
coverage and policy notes are decided once (`ScoreTable` / `TestsTable` -> cells); the console,
Markdown and LaTeX renderers (render.py) only decorate those cells, so they never disagree.
"""
from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vgbench.datasets import registry
from vgbench.evaluation.means import SIMILARITY_MEAN, STS_MEAN
from vgbench.evaluation.policy import STS_AGGREGATE, STS_METRIC
from vgbench.evaluation.results import PairedTest, Results, Score
from vgbench.evaluation.statistics import AGGREGATES, format_p
from vgbench.reporting.policy import policy_notes, setting
from vgbench.reporting.render import (MISSING, Cell, Grid, Renderable, coverage_text, plain,
                                      grouped_latex, latex_notes,
                                      fmt_number, tex_escape)

# Column orders, from the dataset registry.
SIMILARITY_SETS = list(registry.group("paper-similarity"))
SIMLEX = "SimLex-999"
SIMLEX_SECTIONS = list(registry.sections(SIMLEX))
STS_YEARS = list(registry.group("paper-sts"))
STS_AGGREGATES = list(AGGREGATES)
_AGGREGATE_WORDS = {"mean": "plain mean over subsets", "wmean": "size-weighted mean over subsets",
                    "all": "one correlation over all subsets' pairs"}
MEAN_CI_NOTE = ("its CI and paired test resample the pairs of every set in each bootstrap draw "
                "and average the sets' scores per draw.")
_METRIC_WORDS = {"spearman": "Spearman's ρ", "pearson": "Pearson's r"}


# ---------------------------------------------------------------- score tables

@dataclass
class Column:
    """One table column: a label and where its scores come from (or a derived mean)."""
    label: str
    dataset: str | None
    section: str = "All"
    metric: str = "spearman"
    mean_of: list[int] | None = None  # indices of columns averaged; NaN unless all present


@dataclass
class ScoreTable(Renderable):
    """Rows x columns of scores (x100) with CIs and coverage; NaN where a score is missing."""
    key: str
    title: str
    corner: str
    rows: list[str]
    columns: list[str]
    values: np.ndarray
    ci: np.ndarray
    used: np.ndarray
    total: np.ndarray
    decimals: int = 1
    best: str | None = "column"  # "column", "row" or None
    notes: list[str] = field(default_factory=list)
    policy: list[str] = field(default_factory=list)
    marks: np.ndarray | None = None  # per cell: "", "▲" or "▼" (+ baseline number)

    def _bold_means(self) -> str:
        where = "row" if self.best == "row" else "column"
        return (f"best in each {where} among the entries scored on the most pairs; an entry "
                f"scored on fewer pairs (coverage in brackets) is never marked best, since its "
                f"score is not comparable")

    def _coverage_details(self) -> list[list[str | None]]:
        return [[f"{int(u)}/{int(t)} ({coverage_text(int(u), int(t))})"
                 if coverage_text(int(u), int(t)) else None for u, t in zip(ur, tr)]
                for ur, tr in zip(self.used, self.total)]

    def best_mask(self) -> np.ndarray:
        """True where a value is the best of its column (or row) among the entries of equal
        coverage: those scored on the most pairs of that column (row). Ties on the shown digits
        all count. Nothing is marked where fewer than two such values compare."""
        shown = np.array([[float(fmt_number(v, self.decimals)) if math.isfinite(v) else -np.inf
                           for v in row] for row in self.values]).reshape(self.values.shape)
        mask = np.zeros(self.values.shape, bool)
        if self.best is None or not self.values.size:
            return mask
        data = shown if self.best == "column" else shown.T
        used = self.used if self.best == "column" else self.used.T
        out = mask if self.best == "column" else mask.T
        for j in range(data.shape[1]):
            col = np.where(used[:, j] == used[np.isfinite(data[:, j]), j].max(initial=-1),
                           data[:, j], -np.inf)
            if np.isfinite(col).sum() >= 2:
                out[:, j] = col == col.max()
        return mask

    def _grid(self) -> Grid:
        best = self.best_mask()
        rows = []
        for i, name in enumerate(self.rows):
            cells = [Cell(name, numeric=False)]
            for j in range(len(self.columns)):
                v = self.values[i, j]
                lo, hi = self.ci[i, j]
                cells.append(Cell(
                    fmt_number(v, self.decimals), bool(best[i, j]),
                    (fmt_number(lo, self.decimals), fmt_number(hi, self.decimals))
                    if math.isfinite(lo) and math.isfinite(hi) else None,
                    coverage_text(int(self.used[i, j]), int(self.total[i, j])),
                    mark="" if self.marks is None else str(self.marks[i, j]),
                    sort=float(v) if math.isfinite(v) else None))
            rows.append(cells)
        return Grid([self.corner] + self.columns, rows)

    def coverage_notes(self) -> list[str]:
        """'name: dataset used/total (pct)' for every cell below full coverage."""
        out = []
        for i, name in enumerate(self.rows):
            parts = [f"{self.columns[j]} {int(self.used[i, j])}/{int(self.total[i, j])} "
                     f"({coverage_text(int(self.used[i, j]), int(self.total[i, j]))})"
                     for j in range(len(self.columns))
                     if coverage_text(int(self.used[i, j]), int(self.total[i, j]))]
            if parts:
                out.append(f"{name}: " + ", ".join(parts))
        return out


def embedding_order(results: Results) -> list[str]:
    """Embeddings in the order they were given, plus any that only appear in scores."""
    names = results.embedding_names()
    return names + [e for e in dict.fromkeys(s.embedding for s in results.scores)
                    if e not in names]


def _index(results: Results) -> dict[tuple[str, str, str, str], Score]:
    return {(s.embedding, s.dataset, s.section, s.metric): s for s in results.scores}


def _build(results: Results, key: str, title: str, corner: str, columns: list[Column],
           decimals: int, notes: list[str]) -> ScoreTable | None:
    """Fill a table from the results; drop columns nobody has and embeddings with no score."""
    idx = _index(results)
    names = embedding_order(results)
    n, k = len(names), len(columns)
    values = np.full((n, k), np.nan)
    ci = np.full((n, k, 2), np.nan)
    used = np.full((n, k), -1)
    total = np.full((n, k), -1)
    for i, name in enumerate(names):
        for j, col in enumerate(columns):
            s = idx.get((name, col.dataset, col.section, col.metric))
            if col.mean_of is None and s is not None:
                values[i, j] = s.value
                ci[i, j] = [_num(s.ci_low), _num(s.ci_high)]
                used[i, j], total[i, j] = s.n_used, s.n_total
        for j, col in enumerate(columns):
            if col.mean_of is not None:
                parts = values[i, col.mean_of]
                values[i, j] = float(np.mean(parts)) if np.isfinite(parts).all() else np.nan
                if np.isfinite(parts).all() and (used[i, col.mean_of] >= 0).all():
                    used[i, j] = int(used[i, col.mean_of].sum())
                    total[i, j] = int(total[i, col.mean_of].sum())
                s = idx.get((name, col.dataset, col.section, col.metric))
                if s is not None and np.isfinite(values[i, j]):  # its CI: every set resampled
                    ci[i, j] = [_num(s.ci_low), _num(s.ci_high)]
    keep_cols = [j for j in range(k) if np.isfinite(values[:, j]).any()]
    keep_rows = [i for i in range(n) if np.isfinite(values[i, keep_cols]).any()]
    if not keep_cols or not keep_rows:
        return None
    sub = np.ix_(keep_rows, keep_cols)
    rows = [names[i] for i in keep_rows]
    marks, sig_note = significance_marks(results, rows, [columns[j] for j in keep_cols])
    return ScoreTable(key, title, corner, rows,
                      [columns[j].label for j in keep_cols], values[sub],
                      ci[keep_rows][:, keep_cols], used[sub], total[sub], decimals,
                      notes=notes + sig_note, policy=policy_notes(results), marks=marks)


def alpha(results: Results) -> float:
    """Family-wise error rate of the significance marks: 1 − the CI level (default 0.05)."""
    level = setting(results, "level")
    try:
        return round(1.0 - float(level), 10) if level else 0.05
    except (TypeError, ValueError):
        return 0.05


def significance_marks(results: Results, rows: list[str],
                       columns: list[Column]) -> tuple[np.ndarray, list[str]]:
    """▲/▼ where a cell differs significantly from its baseline: its test's Holm-adjusted p over
    the report's one family (every paired test of the report, Results.FAMILY), the same p (Holm)
    that the paired-tests table prints."""
    marks = np.full((len(rows), len(columns)), "", dtype=object)
    where = {(c.dataset, c.section, c.metric): j for j, c in enumerate(columns)}
    adjusted = results.family_adjusted()
    shown = [(rows.index(t.embedding_b), where[(t.dataset, t.section, t.metric)], t, p)
             for t, p in zip(results.tests, adjusted) if t.embedding_b in rows
             and (t.dataset, t.section, t.metric) in where and math.isfinite(p)]
    if not shown:
        return marks, []
    bases = list(dict.fromkeys(t.embedding_a for _, _, t, _ in shown))
    a = alpha(results)
    for i, j, t, p in shown:
        if p <= a and t.delta != 0:
            tag = str(bases.index(t.embedding_a) + 1) if len(bases) > 1 else ""
            marks[i, j] += ("▲" if t.delta > 0 else "▼") + tag
    against = (bases[0] if len(bases) == 1 else
               ", ".join(f"{k + 1} = {b}" for k, b in enumerate(bases)))
    family = int(np.isfinite(adjusted).sum())
    note = (f"▲/▼: significantly above/below the baseline ({against}) by the paired test: "
            f"p (Holm) ≤ {a:g}, Holm–Bonferroni over the family of all {family} paired tests of "
            f"this report, the same p (Holm) as in the paired-tests table.")
    return marks, [note]


def _num(x: Any) -> float:
    return float(x) if x is not None else math.nan


def _datasets(results: Results, task: str, known: list[str],
              section: str | None = None) -> list[str]:
    """Known datasets in paper order, then the user's own in order of first appearance."""
    seen = list(dict.fromkeys(s.dataset for s in results.scores if s.task == task
                              and (section is None or s.section == section)))
    return [d for d in known if d in seen] + [d for d in seen if d not in known]


def intrinsic_table(results: Results, metric: str = "spearman") -> ScoreTable | None:
    """Paper's Table 1: word-similarity sets (section "All") and the mean of the six sets.

    The mean is computed here from the six scores and shown only for an embedding that has all
    six; user word-pair sets follow as extra columns, not included in the mean.
    """
    sets = _datasets(results, "similarity", SIMILARITY_SETS, "All")
    standard = [d for d in sets if d in SIMILARITY_SETS]
    columns = [Column(d, d, "All", metric) for d in standard]
    if len(standard) == len(SIMILARITY_SETS):
        columns.append(Column("Mean", SIMILARITY_MEAN, "All", metric,
                              mean_of=list(range(len(standard)))))
    columns += [Column(d, d, "All", metric) for d in sets if d not in SIMILARITY_SETS]
    notes = ["Mean: average of the six standard sets (shown when all six were evaluated); "
             + MEAN_CI_NOTE] if len(standard) == len(SIMILARITY_SETS) else []
    return _build(results, "table1_intrinsic",
                  f"Intrinsic evaluation: word similarity ({_METRIC_WORDS[metric]} × 100 between "
                  "cosine and gold scores)", "Model", columns, 1, notes)


def six_set_mean(results: Results, embedding: str, metric: str = "spearman") -> float:
    """Mean of the six standard word-similarity scores, NaN unless all six are present."""
    idx = _index(results)
    vals = [idx.get((embedding, d, "All", metric)) for d in SIMILARITY_SETS]
    if any(s is None or not math.isfinite(s.value) for s in vals):
        return math.nan
    return float(np.mean([s.value for s in vals]))


def simlex_table(results: Results, metric: str = "spearman") -> ScoreTable | None:
    """Paper's Table 3: SimLex-999 by part of speech, concreteness quartile and the hard subset."""
    present = list(dict.fromkeys(s.section for s in results.scores if s.dataset == SIMLEX))
    sections = [s for s in SIMLEX_SECTIONS if s in present] + [
        s for s in present if s not in SIMLEX_SECTIONS]
    return _build(results, "table3_simlex",
                  f"SimLex-999 sections ({_METRIC_WORDS[metric]} × 100); Conc-q1 holds the most "
                  "abstract pairs, Conc-q4 the most concrete, Hard = SimLex's SimAssoc333 subset",
                  "Model", [Column(s, SIMLEX, s, metric) for s in sections], 1, [])


def sts_table(results: Results, metric: str = STS_METRIC,
              aggregate: str = STS_AGGREGATE) -> ScoreTable | None:
    """Paper's Table 4: STS12-16 and their mean, one score per year aggregated over subsets.

    The default (Pearson, plain mean over a year's subsets) is SentEval's and the paper's.
    """
    if aggregate not in STS_AGGREGATES:
        raise ValueError(f"unknown STS aggregate {aggregate!r}: expected one of "
                         f"{', '.join(STS_AGGREGATES)}")
    sets = _datasets(results, "sts", STS_YEARS, aggregate)
    years = [d for d in sets if d in STS_YEARS]
    columns = [Column(d, d, aggregate, metric) for d in years]
    headline = (metric, aggregate) == (STS_METRIC, STS_AGGREGATE)
    if len(years) == len(STS_YEARS):
        columns.append(Column("Mean", STS_MEAN if headline else None, "All", metric,
                              mean_of=list(range(len(years)))))
    columns += [Column(d, d, aggregate, metric) for d in sets if d not in STS_YEARS]
    notes = ["Mean: average of STS12-STS16 (shown when all five were evaluated)"
             + ("; " + MEAN_CI_NOTE if headline else ".")] if len(years) == len(STS_YEARS) else []
    table = _build(results, "table4_sts" if headline else f"sts_{metric}_{aggregate}",
                   f"STS benchmarks ({_METRIC_WORDS[metric]} × 100 between the cosine of mean "
                   f"word vectors and gold; per year: {_AGGREGATE_WORDS[aggregate]})",
                   "Model", columns, 2, notes)
    if table is not None:
        table.notes += _token_coverage_note(results, table.rows)
    return table


def _token_coverage_note(results: Results, names: list[str]) -> list[str]:
    """STS has no OOV pairs, only unknown tokens: state how many were found, per embedding."""
    parts = []
    for name in names:
        meta = results.embeddings.get(name)
        cov = meta.get("sts_token_coverage") if isinstance(meta, dict) else None
        if isinstance(cov, dict) and cov:
            vals = [math.floor(1000.0 * float(v) + 1e-6) / 10 for v in cov.values()]
            lo, hi = min(vals), max(vals)
            parts.append(f"{name} {lo:.1f}%" if lo == hi else f"{name} {lo:.1f}-{hi:.1f}%")
    return [f"STS tokens found in the vocabulary: {', '.join(parts)}."] if parts else []


def sections_table(results: Results, key: str, title: str, task: str, metric: str,
                   decimals: int, notes: list[str], skip: tuple[str, ...] = ()) -> ScoreTable | None:
    """Every (dataset, section) of a task (rows; sections in `skip` left out) for every
    embedding (columns); best per row."""
    keys = list(dict.fromkeys((s.dataset, s.section) for s in results.scores
                              if s.task == task and s.metric == metric and s.section not in skip))
    if not keys:
        return None
    names = embedding_order(results)
    idx = _index(results)
    shape = (len(keys), len(names))
    values, used, total = np.full(shape, np.nan), np.full(shape, -1), np.full(shape, -1)
    ci = np.full(shape + (2,), np.nan)
    for i, (ds, sec) in enumerate(keys):
        for j, name in enumerate(names):
            s = idx.get((name, ds, sec, metric))
            if s is not None:
                values[i, j], used[i, j], total[i, j] = s.value, s.n_used, s.n_total
                ci[i, j] = [_num(s.ci_low), _num(s.ci_high)]
    keep = [j for j in range(len(names)) if np.isfinite(values[:, j]).any()]
    if not keep:
        return None
    return ScoreTable(key, title, "Section" if task != "sts" else "Subset",
                      [f"{d} {s}" for d, s in keys], [names[j] for j in keep],
                      values[:, keep], ci[:, keep], used[:, keep], total[:, keep], decimals, "row",
                      notes, policy_notes(results))


def sts_subsets_table(results: Results, metric: str = STS_METRIC) -> ScoreTable | None:
    """Every STS subset (rows) for every embedding (columns); best per row."""
    return sections_table(results, f"sts_subsets_{metric}",
                          f"STS per subset ({_METRIC_WORDS[metric]} × 100)", "sts", metric, 2, [],
                          skip=tuple(STS_AGGREGATES))


# ---------------------------------------------------------------- paired tests

@dataclass
class TestsTable(Renderable):
    """One row per paired comparison: does B beat A on the same pairs?

    p is each test's own p-value; p (Holm) is adjusted over every test the table shows, and
    bold marks the tests significant after that correction.
    """
    key: str
    title: str
    results: Results
    notes: list[str] = field(default_factory=list)
    policy: list[str] = field(default_factory=list)

    def _bold_means(self) -> str:
        return f"significant after Holm–Bonferroni correction (p (Holm) ≤ {alpha(self.results):g})"

    def adjusted(self) -> np.ndarray:
        """p (Holm) over the report's family: the same values the score tables' marks use."""
        return np.array(self.results.family_adjusted())

    def _rows(self):
        a = alpha(self.results)
        for t, p_adj in zip(self.results.tests, self.adjusted()):
            d = 2 if (t.dataset in STS_YEARS or t.dataset == STS_MEAN
                      or _is_sts(self.results, t.dataset)) else 1
            where = t.dataset if t.section in ("All", "", None) else f"{t.dataset}/{t.section}"
            ci = None if t.ci_low is None or t.ci_high is None else (
                f"[{fmt_number(_num(t.ci_low), d)}, {fmt_number(_num(t.ci_high), d)}]")
            yield t, d, where, ci, p_adj, bool(p_adj <= a)

    def _grid(self) -> Grid:
        # Most telling columns first: a console too narrow for all of them splits after p.
        header = ["Dataset", "Metric", "A", "B", "B − A", _ci_label(self.results), "p",
                  "p (Holm)", "A score", "B score", "Test", "n"]
        rows = []
        for t, d, where, ci, p_adj, sig in self._rows():
            rows.append([Cell(where, numeric=False), Cell(t.metric, numeric=False),
                         Cell(t.embedding_a, numeric=False), Cell(t.embedding_b, numeric=False),
                         Cell(fmt_number(t.delta, d), sort=_num(t.delta)),
                         Cell(ci or MISSING, numeric=False),
                         Cell(_fmt_p(t, self.results), numeric=False, sort=_num(t.p_value)),
                         Cell(_fmt_p(t, self.results, p_adj), bold=sig, numeric=False,
                              sort=_num(p_adj)),
                         Cell(fmt_number(t.value_a, d)), Cell(fmt_number(t.value_b, d)),
                         Cell(t.method, numeric=False), Cell(str(t.n))])
        return Grid(header, rows)

    def to_latex(self, ci: bool = False, coverage: bool = True) -> str:
        """Floats of six narrow columns (no `longtable`: two-column classes reject it): each
        comparison B vs A is a heading row, so the long embedding names never share a line
        with the numbers; a long list is split over several floats, each at footnote size so
        that it fits one column of a two-column page."""
        header = [tex_escape(h) for h in ["Dataset", "B − A", _ci_label(self.results), "p",
                                          "p (Holm)", "n"]]
        groups: dict[tuple[str, str], list[str]] = {}
        for t, d, where, ci_text, p_adj, sig in self._rows():
            p_holm = tex_escape(_fmt_p(t, self.results, p_adj))
            groups.setdefault((t.embedding_a, t.embedding_b), []).append(" & ".join([
                "\\quad " + tex_escape(where), _tex_num(fmt_number(t.delta, d)),
                tex_escape(ci_text or MISSING), tex_escape(_fmt_p(t, self.results)),
                f"\\textbf{{{p_holm}}}" if sig else p_holm, str(t.n)]) + " \\\\")
        notes = [tex_escape(n) for n in [f"Bold: {self._bold_means()}."]
                 + latex_notes(self.notes + self.policy, True)]
        return grouped_latex(self.key, self.title, "lrrrrr", header,
                             [(f"{tex_escape(b)} vs {tex_escape(a)}", rows)
                              for (a, b), rows in groups.items()], notes,
                             size="\\footnotesize\\setlength{\\tabcolsep}{4pt}")


def _tex_num(text: str) -> str:
    return "$-$" + text[1:] if text.startswith("-") else tex_escape(text)


def _is_sts(results: Results, dataset: str) -> bool:
    return any(s.task == "sts" and s.dataset == dataset for s in results.scores)


def _fmt_p(t: PairedTest, results: Results, p: float | None = None) -> str:
    """A test's p (or `p`, its adjusted value) at its precision: a Monte Carlo p at its floor
    1/(B+1) reads '≤ 0.001'."""
    value = _num(t.p_value if p is None else p)
    if not math.isfinite(value):
        return MISSING
    floor = None
    if "bootstrap" in (t.method or "") and "-z" not in t.method:
        n_boot = setting(results, "n_boot")
        floor = t.p_floor if t.p_floor else (1.0 / (1 + int(n_boot)) if n_boot else None)
        if p is not None and floor:  # Holm multiplies the floor by the rank's factor
            floor = None if value > _num(t.p_value) * (1 + 1e-9) else floor
    return format_p(value, floor).replace("≤ ", "≤")


def _ci_label(results: Results) -> str:
    level = setting(results, "ci_level") or setting(results, "level")
    try:
        return f"{100 * float(level):g}% CI"
    except (TypeError, ValueError):
        return "CI"


def tests_table(results: Results) -> TestsTable | None:
    """Paired comparisons; bold p (Holm) where significant after correcting over the table."""
    if not results.tests:
        return None
    methods = {t.method for t in results.tests}
    family = int(np.isfinite(results.family_adjusted()).sum())
    notes = [f"Family for p (Holm): all {family} paired tests of this report (the ▲/▼ marks of "
             f"the score tables use the same adjusted p).",
             "Each test compares A and B on the pairs both cover (n), so its scores may differ "
             "from the score tables' when a row covers fewer pairs."]
    if any("-z" in m for m in methods):
        notes.append("Bootstrap-z: two-sided p = 2Φ(−|Δ|/SE), SE the standard deviation of "
                     "the paired bootstrap Δ (not bounded by 1/(B+1)); CI: percentile bootstrap "
                     "of Δ.")
    if any("bootstrap" in m and "-z" not in m for m in methods):
        notes.append("Paired bootstrap: p from the bootstrap distribution recentred at zero; "
                     "it cannot go below 1/(B+1), shown as ≤.")
    if "steiger" in methods:
        notes.append("Steiger: Steiger's (1980) Z for dependent correlations sharing the gold "
                     "scores.")
    if "McNemar exact" in methods:
        notes.append("McNemar exact (analogies): two-sided binomial test on the questions only one "
                     "embedding solved.")
    return TestsTable("paired_tests", "Paired comparisons: does B beat A on the same pairs? "
                      "(Δ = B − A, × 100)", results, notes)


def all_tables(results: Results, sts_metric: str = STS_METRIC,
               sts_aggregate: str = STS_AGGREGATE) -> list[ScoreTable | TestsTable]:
    """The headline tables in report order (missing ones left out)."""
    from vgbench.reporting.suite_tables import suite_tables
    tables = [intrinsic_table(results), simlex_table(results),
              sts_table(results, sts_metric, sts_aggregate), *suite_tables(results),
              tests_table(results)]
    return [t for t in tables if t is not None]


CONSOLE_CI_WIDTH = 120  # columns from which the console shows "±" CIs


def console_table(results: Results, width: int | None = None, sts_metric: str = STS_METRIC,
                  sts_aggregate: str = STS_AGGREGATE) -> str:
    """The console report: headline tables side by side per embedding, best marked '*', each
    score with "±" half its CI width when the terminal (`width`, default its width) has at
    least CONSOLE_CI_WIDTH columns; then one verdict line per comparison instead of the full
    paired list (that stays in tests.csv and tables.md).

    The policy footer is printed once at the end rather than under every table.
    """
    import shutil
    from vgbench.reporting.summary import verdicts
    width = width or shutil.get_terminal_size((100, 24)).columns
    ci = width >= CONSOLE_CI_WIDTH
    tables = [t for t in all_tables(results, sts_metric, sts_aggregate)
              if not isinstance(t, TestsTable)]
    parts = [t.to_console(width, policy=False, ci=ci) for t in tables]
    unscored = [line for note in unscored_notes(results)
                for line in textwrap.wrap(note, width, subsequent_indent="  ")]
    if not parts:
        return "\n".join(["No scores."] + unscored) + "\n"
    found = verdicts(results)
    if found:
        lines = textwrap.wrap(f"Paired tests against the baseline (p (Holm) <= "
                              f"{alpha(results):g} over all {len(results.tests)} tests; every "
                              f"test in tests.csv and tables.md with --out):", width)
        lines += [line for v in found for line in
                  textwrap.wrap(plain(v.sentence()), width, initial_indent="  ",
                                subsequent_indent="    ")]
        parts.append("\n".join(lines) + "\n")
    footer = [line for note in policy_notes(results)
              for line in textwrap.wrap(plain(note), width, subsequent_indent="  ")]
    if ci and any(c.ci for t in tables for r in t._grid().rows for c in r):
        footer.append(f"±: half the width of the {_ci_label(results)} (bootstrap); the "
                      f"intervals themselves are in tables.md and index.html.")
    return console_safe("\n".join(parts) + "\n" + "\n".join(unscored + footer) + "\n")


def console_safe(text: str) -> str:
    """`text` with "±" as "+-" when stdout cannot print it (a redirected Windows console may
    hold only ASCII)."""
    import sys
    try:
        text.encode(getattr(sys.stdout, "encoding", None) or "ascii")
        return text
    except (UnicodeEncodeError, LookupError):
        return text.replace("±", "+-")


def unscored_notes(results: Results) -> list[str]:
    """One line per dataset section that yielded no correlation, with the reason and for whom.

    STS aggregates are left out (they follow from their subsets)."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for s in results.scores:
        if s.note and (s.task != "sts" or s.section not in STS_AGGREGATES):
            groups.setdefault((s.dataset, s.section, s.note), [])
            if s.embedding not in groups[(s.dataset, s.section, s.note)]:
                groups[(s.dataset, s.section, s.note)].append(s.embedding)
    return [f"no correlation: {dataset}" + (f" ({section})" if section != "All" else "")
            + f" for {', '.join(embs)}: {note}" for (dataset, section, note), embs in groups.items()]


def input_notes(results: Results) -> list[str]:
    """What loading the inputs found that changes no number silently but should be seen: duplicate
    words in a vector file (first row kept), pairs repeated in a user's word-pair file."""
    notes = []
    for name, meta in results.embeddings.items():
        if isinstance(meta, dict) and meta.get("duplicates"):
            notes.append(f"{name}: {meta['duplicates']} duplicate word(s) in the vector file; the "
                         f"first row of each was kept")
    for dataset, info in results.settings.get("repeated_pairs", {}).items():
        if isinstance(info, dict) and not info.get("built_in"):
            notes.append(f"{dataset}: {info.get('rows')} row(s) repeat an earlier pair "
                         f"({', '.join(map(str, info.get('examples', [])))}); every row was scored")
    return notes


def report_tables(results: Results) -> list[Any]:
    """Every table of the full report, in order: Tables 1 and 3, each STS metric and
    aggregate, STS subsets, paired tests (missing ones left out)."""
    tables: list[Any] = [intrinsic_table(results), simlex_table(results)]
    metrics = [m for m in registry.TASK_METRICS["sts"]
               if any(s.task == "sts" and s.metric == m for s in results.scores)]
    for metric in metrics:
        for agg in STS_AGGREGATES:
            tables.append(sts_table(results, metric, agg))
    for metric in metrics:
        tables.append(sts_subsets_table(results, metric))
    from vgbench.reporting.suite_tables import suite_tables
    tables += suite_tables(results, full=True)
    tables.append(tests_table(results))
    return [t for t in tables if t is not None]


def markdown_report(results: Results, ci: bool = True, extra: list[Any] = ()) -> str:
    """Every table in one Markdown document, including the other STS aggregates and subsets;
    `extra` tables (e.g. by concreteness) follow."""
    body = [t.to_markdown(ci) for t in report_tables(results) + list(extra)]
    if ci and body and any(s.ci_low is not None for s in results.scores):
        body.insert(0, _ci_note(results) + "\n")
    from vgbench.reporting.escape import markdown_text
    unscored = unscored_notes(results)
    if unscored:
        body.append("## Not scored\n\n" + "".join(f"- {markdown_text(n)}\n" for n in unscored))
    notes = input_notes(results)
    if notes:
        body.append("## Input notes\n\n" + "".join(f"- {markdown_text(n)}\n" for n in notes))
    return "# vgbench results\n\n" + "\n".join(body)


def _ci_note(results: Results) -> str:
    n_boot = setting(results, "n_boot")
    extra = f", {n_boot} resamples" if n_boot else ""
    return (f"Brackets: {_ci_label(results)} (percentile bootstrap over pairs{extra}; STS years "
            "resampled within each subset).")


def latex_tables(results: Results, sts_metric: str = STS_METRIC, sts_aggregate: str = STS_AGGREGATE,
                 ci: bool = False, coverage: bool = True) -> dict[str, str]:
    """{file stem: LaTeX source} for Tables 1, 3, 4 and the paired tests, where data exist."""
    return {t.key: t.to_latex(ci=ci, coverage=coverage)
            for t in all_tables(results, sts_metric, sts_aggregate)}
