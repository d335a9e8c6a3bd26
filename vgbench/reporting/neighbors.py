"""The paper's Table 5: nearest neighbours that differ between two embeddings.

For each probe word, the top-k cosine neighbours under embedding A and under B; only the
neighbours that are not shared are shown, which is where grounding changes meaning.
"""
from __future__ import annotations

from dataclasses import dataclass

from vgbench.embeddings.core import Embeddings
from vgbench.reporting.render import tex_escape

TABLE5_WORDS = ("happy", "sad", "big", "bird", "horse", "together", "smart")


@dataclass
class NeighborRow:
    """One word of Table 5: the neighbours only the first embedding has, only the second has, and both share."""
    word: str
    only_a: list[str]
    only_b: list[str]
    shared: list[str]


def differing_neighbors(a: Embeddings, b: Embeddings, words=TABLE5_WORDS, k: int = 10,
                        restrict: int | None = 100_000) -> list[NeighborRow]:
    """Top-k neighbours of each word in a and b, among the first `restrict` rows of each (the
    most frequent words, as in gensim's restrict_vocab), split into A-only, B-only and shared."""
    a_r = a.subset(a.words[:restrict]) if restrict and len(a) > restrict else a
    b_r = b.subset(b.words[:restrict]) if restrict and len(b) > restrict else b
    rows = []
    for w in words:
        if w not in a.index or w not in b.index:
            continue
        na = [x for x, _ in _neighbors(a_r, a, w, k)]
        nb = [x for x, _ in _neighbors(b_r, b, w, k)]
        rows.append(NeighborRow(w, [x for x in na if x not in nb], [x for x in nb if x not in na],
                                [x for x in na if x in nb]))
    return rows


def _neighbors(pool: Embeddings, full: Embeddings, word: str, k: int):
    if word in pool.index:
        return pool.most_similar(word, k)
    extended = Embeddings(pool.words + [word], list(pool.vectors) + [full[word]], pool.name)
    return extended.most_similar(word, k)


def neighbors_markdown(rows: list[NeighborRow], name_a: str, name_b: str, k: int = 10) -> str:
    """Table 5 as Markdown: per word the top-k neighbours found only by A, only by B, and
    how many both share."""
    from vgbench.reporting.escape import markdown_text as md
    name_a, name_b = md(name_a), md(name_b)
    lines = [f"Top-{k} nearest neighbours; only the neighbours that differ are listed.", "",
             f"| word | only in {name_a} | only in {name_b} | shared |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {md(r.word)} | {', '.join(map(md, r.only_a))} | {', '.join(map(md, r.only_b))} "
                     f"| {len(r.shared)} |")
    return "\n".join(lines) + "\n"


def neighbors_latex(rows: list[NeighborRow], name_a: str, name_b: str, k: int = 10) -> str:
    """The paper's Table 5 for a one- or two-column page: the two neighbour lists share what
    the column leaves after the word (tabularx X columns, ragged right), so it never runs
    into the margin; caption and label under it."""
    def cell(words: list[str]) -> str:
        return tex_escape(", ".join(words)) if words else "--"
    col = ">{\\raggedright\\arraybackslash}X"
    body = [f"{tex_escape(r.word)} & {cell(r.only_a)} & {cell(r.only_b)} \\\\" for r in rows]
    return "\n".join([
        "% vgbench table: needs \\usepackage{booktabs,tabularx}.",
        "\\begin{table}[tp]", "\\centering\\small",
        f"\\begin{{tabularx}}{{\\linewidth}}{{@{{}}l{col}{col}@{{}}}}", "\\toprule",
        f"Word & only {tex_escape(name_a)} & only {tex_escape(name_b)} \\\\", "\\midrule", *body,
        "\\bottomrule", "\\end{tabularx}",
        f"\\caption{{Nearest neighbours (top {k}, cosine) that differ between "
        f"{tex_escape(name_a)} and {tex_escape(name_b)}.}}\\label{{tab:neighbors}}",
        "\\end{table}", ""])
