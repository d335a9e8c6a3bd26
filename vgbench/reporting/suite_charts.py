"""Chart of the analogy and categorization scores: one panel per task kind."""
from __future__ import annotations

from matplotlib.figure import Figure

from vgbench.evaluation.results import Results
from vgbench.reporting import charts as c
from vgbench.reporting.suite_tables import ANALOGY_SETS, CATEGORIZATION_SETS


def suite_chart(results: Results) -> Figure | None:
    """Analogy accuracy (3CosAdd; Google's semantic and syntactic halves too) and categorization
    purity per embedding, with the accuracies' pair-cluster bootstrap CIs: one panel per set."""
    present = {(s.dataset, s.section) for s in results.scores if s.task == "analogy"}
    analogy = []
    for d in c._ordered(results, "analogy", ANALOGY_SETS, "All", "accuracy"):
        analogy.append((d, d, "All", "accuracy"))
        analogy += [(f"{d} {p[:3]}.", d, p, "accuracy") for p in ("semantic", "syntactic")
                    if (d, p) in present]
    categ = [(d, d, "All", "purity")
             for d in c._ordered(results, "categorization", CATEGORIZATION_SETS, "All", "purity")]
    keys = [(f"{title} (acc.)", *k) for title, *k in analogy] + [
        (f"{title} (purity)", *k) for title, *k in categ]
    series = c._series(results, [k[1:] for k in keys])
    if not series:
        return None
    fig = c._new_figure(c.PAGE_WIDTH)
    c._dot_panels(fig, [k[0] for k in keys], series, "× 100")
    fig.suptitle("Word analogy (3CosAdd accuracy) and categorization (purity)", fontsize=9)
    return fig
