"""Tables for word analogies and categorization, built on the same cell model as tables.py."""
from __future__ import annotations

from vgbench.datasets import registry
from vgbench.evaluation.results import Results
from vgbench.reporting import score_tables as t

ANALOGY_SETS = list(registry.group("analogy"))
CATEGORIZATION_SETS = list(registry.group("categorization"))
TOTALS = ("All", "semantic", "syntactic")
_METHOD = {"accuracy": "3CosAdd", "accuracy-3cosmul": "3CosMul"}


def _analogy_notes(results: Results) -> list[str]:
    conv = results.settings.get("analogy") or {}
    restrict = conv.get("restrict_vocab", 300000)
    ci = conv.get("ci", "percentile, cluster bootstrap over the questions' word pairs")
    return [f"Accuracy × 100 = correct / answered; coverage = questions answered / questions. "
            f"Candidates: the first {restrict:,} words of each embedding, case-insensitive "
            "(gensim's evaluate_word_analogies conventions), question words excluded. "
            f"CIs: {ci} (questions sharing a word pair are not independent)."]


def analogy_table(results: Results, metric: str = "accuracy") -> t.ScoreTable | None:
    """Accuracy per analogy set (Google also split into semantic and syntactic), one method."""
    sets = t._datasets(results, "analogy", ANALOGY_SETS, "All")
    present = {(s.dataset, s.section) for s in results.scores if s.task == "analogy"}
    columns = []
    for d in sets:
        columns.append(t.Column(d, d, "All", metric))
        for part, label in (("semantic", "sem."), ("syntactic", "syn.")):
            if (d, part) in present:
                columns.append(t.Column(f"{d} {label}", d, part, metric))
    key = "table_analogy" if metric == "accuracy" else "table_analogy_3cosmul"
    return t._build(results, key, f"Word analogy: accuracy × 100 ({_METHOD.get(metric, metric)})",
                    "Model", columns, 2, _analogy_notes(results))


def analogy_sections_table(results: Results, metric: str = "accuracy") -> t.ScoreTable | None:
    """Every analogy section (rows) for every embedding (columns); best per row."""
    method = _METHOD.get(metric, metric)
    return t.sections_table(results, f"analogy_sections_{method.lower()}",
                            f"Word analogy per section: accuracy × 100 ({method})", "analogy",
                            metric, 2, _analogy_notes(results))


def categorization_table(results: Results) -> t.ScoreTable | None:
    """Cluster purity per categorization set."""
    sets = t._datasets(results, "categorization", CATEGORIZATION_SETS, "All")
    columns = [t.Column(d, d, "All", registry.MAIN_METRIC["categorization"]) for d in sets]
    return t._build(results, "table_categorization", "Word categorization: cluster purity × 100",
                    "Model", columns, 1,
                    ["Ward clustering (scipy) of the unit-normalised vectors of the words found, "
                     "cut at the number of gold classes; purity = share of words in their "
                     "cluster's majority class. Coverage = words found / words; missing words "
                     "are skipped."])


def suite_tables(results: Results, full: bool = False) -> list[t.ScoreTable]:
    """The analogy and categorization tables present in `results` (with `full`, also the
    3CosMul table and the per-section tables)."""
    out = [analogy_table(results, "accuracy")]
    if full:
        out += [analogy_table(results, "accuracy-3cosmul"),
                *(analogy_sections_table(results, m) for m in registry.TASK_METRICS["analogy"])]
    out.append(categorization_table(results))
    return [x for x in out if x is not None]
