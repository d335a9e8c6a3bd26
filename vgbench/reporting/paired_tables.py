"""The paired-tests table: one row per comparison of two embeddings on the same pairs, with p and
p (Holm) over every test the report shows."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vgbench.evaluation.means import STS_MEAN
from vgbench.evaluation.results import PairedTest, Results
from vgbench.evaluation.statistics import format_p
from vgbench.reporting.policy import setting
from vgbench.reporting.render import (MISSING, Cell, Grid, Renderable, grouped_latex, latex_notes,
                                      fmt_number, tex_escape, tex_number)
from vgbench.reporting.score_tables import STS_YEARS, _num, alpha


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
                "\\quad " + tex_escape(where), tex_number(fmt_number(t.delta, d)),
                tex_escape(ci_text or MISSING), tex_escape(_fmt_p(t, self.results)),
                f"\\textbf{{{p_holm}}}" if sig else p_holm, str(t.n)]) + " \\\\")
        notes = [tex_escape(n) for n in [f"Bold: {self._bold_means()}."]
                 + latex_notes(self.notes + self.policy, True)]
        return grouped_latex(self.key, self.title, "lrrrrr", header,
                             [(f"{tex_escape(b)} vs {tex_escape(a)}", rows)
                              for (a, b), rows in groups.items()], notes,
                             size="\\footnotesize\\setlength{\\tabcolsep}{4pt}")


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


