"""Table 5: neighbours split into A-only, B-only and shared, against a brute-force cosine search."""
from __future__ import annotations

import numpy as np

from vgbench.embeddings import Embeddings
from vgbench.reporting.neighbors import differing_neighbors, neighbors_latex, neighbors_markdown


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
    assert "| w1 |" in neighbors_markdown(rows, "A|x", "B")
    assert "\\toprule" in neighbors_latex(rows, "A_1", "B")
