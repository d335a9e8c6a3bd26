"""Table 5: neighbours split into A-only, B-only and shared, against a brute-force cosine search."""
from __future__ import annotations

import numpy as np

from vgbench.embeddings import Embeddings
from vgbench.reporting.neighbors import (NeighborRow, differing_neighbors, neighbors_latex,
                                        neighbors_markdown)


def brute_force(emb: Embeddings, word: str, k: int) -> list[str]:
    u = emb.vectors / np.linalg.norm(emb.vectors, axis=1, keepdims=True)
    sims = u @ u[emb.index[word]]
    order = [i for i in np.argsort(-sims) if emb.words[i] != word]
    return [emb.words[i] for i in order[:k]]


def test_differing_neighbors_against_brute_force():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)]
    a = Embeddings(words, rng.normal(size=(300, 6)).astype(np.float32), "A")
    b = Embeddings(words, a.vectors + rng.normal(0, 0.5, size=(300, 6)).astype(np.float32), "B")
    rows = differing_neighbors(a, b, ["w1", "w2", "missing"], k=5, restrict=None)
    assert [r.word for r in rows] == ["w1", "w2"]
    for r in rows:
        na, nb = brute_force(a, r.word, 5), brute_force(b, r.word, 5)
        assert r.only_a == [x for x in na if x not in nb]
        assert r.only_b == [x for x in nb if x not in na]
        assert len(r.shared) + len(r.only_a) == 5
    header, *body = _markdown_rows(neighbors_markdown(rows, "A|x", "B", k=5))
    assert header == ["word", "only in A\\|x", "only in B", "shared"]   # the name's pipe escaped
    assert body == [[r.word, ", ".join(r.only_a), ", ".join(r.only_b), str(len(r.shared))]
                    for r in rows]
    assert _latex_rows(neighbors_latex(rows, "A_1", "B", k=5)) == [
        ["Word", "only A\\_1", "only B"],
        *[[r.word, ", ".join(r.only_a) or "--", ", ".join(r.only_b) or "--"] for r in rows]]


def _markdown_rows(text: str) -> list[list[str]]:
    """The cells of a Markdown table (header, then body; the rule line skipped), split on the
    pipes that are not escaped."""
    import re
    lines = [line for line in text.splitlines() if line.startswith("|") and not line.startswith("|---")]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]


def _latex_rows(text: str) -> list[list[str]]:
    """The cells of a booktabs table's header and body rows."""
    lines = text.splitlines()
    rows = lines[lines.index("\\toprule") + 1:lines.index("\\bottomrule")]
    return [[c.strip() for c in line.removesuffix("\\\\").split(" & ")] for line in rows
            if line != "\\midrule"]


def test_words_that_need_escaping_stay_in_their_cells():
    """A pipe, an underscore or a percent sign in a word neither splits a cell nor breaks LaTeX."""
    rows = [NeighborRow("a|b", ["x_y", "p|q"], ["50%"], ["s"])]
    assert _markdown_rows(neighbors_markdown(rows, "A", "B"))[1] == ["a\\|b", "x\\_y, p\\|q", "50%", "1"]
    assert _latex_rows(neighbors_latex(rows, "A", "B"))[1] == ["a\\textbar{}b", "x\\_y, p\\textbar{}q",
                                                              "50\\%"]
