"""The training-free controls a grounded embedding is compared with: a random mapping M, and the
concatenation of textual and grounded vectors (paper Table 6)."""
from __future__ import annotations

import numpy as np

from vgbench.embeddings.core import Embeddings
from vgbench.extras import require


def random_m(emb: Embeddings, c: int, seed: int = 0) -> Embeddings:
    """Textual vectors through an untrained d x c mapping, initialised as the trainer does (Xavier)."""
    torch = require("torch", "the random-M control")
    from vgbench.grounding.grounder import Grounder
    gen = torch.Generator().manual_seed(seed)
    bound = float(np.sqrt(6.0 / (emb.dim + c)))  # xavier_uniform_ for a (d, c) matrix
    M = (torch.rand(emb.dim, c, generator=gen) * 2 - 1) * bound
    out = Grounder(M=M.numpy()).ground_embeddings(emb, name=f"random-M[c={c},seed={seed}]:{emb.name}")
    out.meta["control"] = {"kind": "random-m", "c": c, "seed": seed}
    return out


def concat(textual: Embeddings, grounded: Embeddings, alpha: float, normalize: bool = True) -> Embeddings:
    """[(1-alpha) * textual ; alpha * grounded] over the words both have (textual order)."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"concat alpha must lie in [0, 1], got {alpha}")
    words = [w for w in textual.words if w in grounded.index]
    a = textual.subset(words)
    b = grounded.subset(words)
    va, vb = (a.normalized(), b.normalized()) if normalize else (a.vectors, b.vectors)
    out = np.hstack([(1 - alpha) * va, alpha * vb]).astype(np.float32)
    return Embeddings(words, out, f"concat[alpha={alpha:g}]:{textual.name},{grounded.name}",
                      {"control": {"kind": "concat", "alpha": alpha, "normalize": normalize,
                                   "textual": textual.name, "grounded": grounded.name}})
