"""Chart of the analogy and categorization scores: one panel per task kind."""
from __future__ import annotations

from matplotlib.figure import Figure

from vgbench.evaluation.results import Results
from vgbench.reporting import charts as c
from vgbench.reporting.suite_tables import ANALOGY_SETS, CATEGORIZATION_SETS


def suite_chart(results: Results) -> Figure | None:
    """Analogy accuracy (3CosAdd; Google's semantic and syntactic halves too) and categorization
    purity per embedding, with the accuracies' pair-cluster bootstrap CIs."""
    present = {(s.dataset, s.section) for s in results.scores if s.task == "analogy"}
    analogy = []
    for d in c._ordered(results, "analogy", ANALOGY_SETS, "All", "accuracy"):
        analogy.append((d, d, "All", "accuracy"))
        analogy += [(f"{d} {p[:3]}.", d, p, "accuracy") for p in ("semantic", "syntactic")
                    if (d, p) in present]
    categ = [(d, d, "All", "purity")
             for d in c._ordered(results, "categorization", CATEGORIZATION_SETS, "All", "purity")]
    panels = [(title, ylabel, keys) for title, ylabel, keys in (
        ("Word analogy (3CosAdd)", "accuracy × 100", analogy),
        ("Categorization", "purity × 100", categ)) if keys]
    series = [c._series(results, [k[1:] for k in keys]) for _, _, keys in panels]
    panels = [(p, s) for p, s in zip(panels, series) if s]
    if not panels:
        return None
    n_emb = len(set().union(*(s.keys() for _, s in panels)))
    widths = [len(p[2]) for p, _ in panels]
    fig = c._new_figure(max(6.4, 0.3 * sum(widths) * max(2, n_emb) + 2))
    axes = fig.subplots(1, len(panels), width_ratios=widths, squeeze=False)[0]
    colors = c._colors(results)
    for ax, ((title, ylabel, keys), s) in zip(axes, panels):
        c._grouped_bars(ax, [k[0] for k in keys], s, colors)
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        for label in ax.get_xticklabels():
            label.set(rotation=30, ha="right", rotation_mode="anchor")
    c._legend(fig)
    return fig
