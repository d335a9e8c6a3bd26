"""Score tables laid out like the paper's Tables 1, 3 and 4 (and their sections and STS subsets).

Why one model for every format: which numbers appear, which one is best in its column, and the
coverage and policy notes are decided once (`ScoreTable` -> cells); the console, Markdown and LaTeX
renderers (render.py) only decorate those cells, so they never disagree.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vgbench.datasets import registry
from vgbench.evaluation.means import SIMILARITY_MEAN, STS_MEAN
from vgbench.evaluation.policy import STS_AGGREGATE, STS_METRIC
from vgbench.evaluation.results import Results, Score
from vgbench.evaluation.statistics import AGGREGATES
from vgbench.reporting.policy import policy_notes, setting
from vgbench.reporting.render import Cell, Grid, Renderable, coverage_text, fmt_number

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


def score_index(results: Results) -> dict[tuple[str, str, str, str], Score]:
    """Every score by (embedding, dataset, section, metric): the tables' and the charts' look-up."""
    return {(s.embedding, s.dataset, s.section, s.metric): s for s in results.scores}


def _build(results: Results, key: str, title: str, corner: str, columns: list[Column],
           decimals: int, notes: list[str]) -> ScoreTable | None:
    """Fill a table from the results; drop columns nobody has and embeddings with no score."""
    idx = score_index(results)
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
    idx = score_index(results)
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
    idx = score_index(results)
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


