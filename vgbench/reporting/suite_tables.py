"""Tables for word analogies and categorization, built on the same cell model as tables.py."""
from __future__ import annotations

import numpy as np

from vgbench.evaluation.results import Results
from vgbench.reporting import tables as t
from vgbench.reporting.policy import policy_notes

ANALOGY_SETS = ["Google", "MSR"]
CATEGORIZATION_SETS = ["AP", "BLESS", "Battig", "ESSLLI-N", "ESSLLI-V"]
TOTALS = ("All", "semantic", "syntactic")
_METHOD = {"accuracy": "3CosAdd", "accuracy-3cosmul": "3CosMul"}


def _analogy_notes(results: Results) -> list[str]:
    conv = results.settings.get("analogy") or {}
    restrict = conv.get("restrict_vocab", 300000)
    return [f"Accuracy × 100 = correct / answered; coverage = questions answered / questions. "
            f"Candidates: the first {restrict:,} words of each embedding, case-insensitive "
            "(gensim's evaluate_word_analogies conventions), question words excluded. "
            "CIs: Wilson score intervals."]


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
    keys = list(dict.fromkeys((s.dataset, s.section) for s in results.scores
                              if s.task == "analogy" and s.metric == metric))
    if not keys:
        return None
    names = t.embedding_order(results)
    idx = t._index(results)
    shape = (len(keys), len(names))
    values, used, total = np.full(shape, np.nan), np.full(shape, -1), np.full(shape, -1)
    ci = np.full(shape + (2,), np.nan)
    for i, (ds, sec) in enumerate(keys):
        for j, name in enumerate(names):
            s = idx.get((name, ds, sec, metric))
            if s is not None:
                values[i, j], used[i, j], total[i, j] = s.value, s.n_used, s.n_total
                ci[i, j] = [t._num(s.ci_low), t._num(s.ci_high)]
    keep = [j for j in range(len(names)) if np.isfinite(values[:, j]).any()]
    if not keep:
        return None
    return t.ScoreTable(f"analogy_sections_{_METHOD.get(metric, metric).lower()}",
                        f"Word analogy per section: accuracy × 100 ({_METHOD.get(metric, metric)})",
                        "Section", [f"{d} {s}" for d, s in keys], [names[j] for j in keep],
                        values[:, keep], ci[:, keep], used[:, keep], total[:, keep], 2, "row",
                        _analogy_notes(results), policy_notes(results))


def categorization_table(results: Results) -> t.ScoreTable | None:
    """Cluster purity per categorization set."""
    sets = t._datasets(results, "categorization", CATEGORIZATION_SETS, "All")
    columns = [t.Column(d, d, "All", "purity") for d in sets]
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
                analogy_sections_table(results, "accuracy"),
                analogy_sections_table(results, "accuracy-3cosmul")]
    out.append(categorization_table(results))
    return [x for x in out if x is not None]
