"""Why does grounding lower the scores? Look at what M does to GloVe's space.

For a grounder file: M's singular values; the textual directions M stretches most (eigenvectors of
M·Mᵀ) compared with GloVe's mean direction and top principal components; and a shrinkage test:
M_g = U·diag(s^g)·Vᵀ for g in 0..1 (g = 0 keeps GloVe's cosines exactly, g = 1 is the trained M),
scored on the dev sets (MEN dev, SimVerb dev) and the six-set mean.
Usage: .venv/bin/python benchmarks/grid/analyze_m.py runs/grid/NAME/grounders/epoch_002.pt [...]
"""
from __future__ import annotations

import sys

import numpy as np

import vgbench
from vgbench.embeddings import load_embeddings
from vgbench.evaluation.api import resolve_datasets
from vgbench.evaluation.dev_scores import quick_scores
from vgbench.grounding.grounder import Grounder

SIX = ["RW", "MEN", "WS353", "MTurk-771", "SimVerb-3500", "SimLex-999"]


def main(paths: list[str]) -> None:
    full = load_embeddings("glove-6b-50d")
    X = full.vectors[:100000].astype(np.float64)        # the 100k most frequent words
    mean = X.mean(0)
    pcs = np.linalg.svd(X - mean, full_matrices=False)[2][:3]
    words = resolve_datasets(SIX).vocabulary()
    textual = load_embeddings("glove-6b-50d", words=words, case="exact-then-lower")
    for path in paths:
        g = Grounder.load(path)
        U, s, Vt = np.linalg.svd(g.M.astype(np.float64), full_matrices=False)
        top = U[:, 0]
        print(f"\n{path}: singular values max {s[0]:.3f} min {s[-1]:.3f} (ratio {s[0] / s[-1]:.2f}); "
              f"top 5 {np.round(s[:5], 3).tolist()}")
        print(f"  |cos| of the most stretched textual direction with GloVe's mean direction: "
              f"{abs(top @ mean) / np.linalg.norm(mean):.3f}; with PC1..3: "
              f"{np.round(np.abs(pcs @ top), 3).tolist()}")
        gain = np.linalg.norm((X - mean) @ g.M, axis=1).mean() / np.linalg.norm(X - mean, axis=1).mean()
        gm = np.linalg.norm(mean @ g.M) / np.linalg.norm(mean)
        print(f"  stretch of the mean direction relative to the average word: {gm / gain:.3f}")
        for gamma in (0.0, 0.25, 0.5, 0.75, 1.0):
            Mg = (U * s ** gamma) @ Vt
            h = Grounder(Mg.astype(np.float32), textual="glove-6b-50d")
            dev = quick_scores(h, ["men-dev", "simverb-dev"])
            emb = h.ground_embeddings(textual, name=f"g={gamma}")
            f = vgbench.evaluate([emb], SIX, n_boot=0, paired_test="none").frame()
            six = f[f.section == "All"].set_index("dataset")["value"][SIX].mean()
            print(f"  shrink g={gamma:4.2f}: dev MEN {dev['men-dev']:.2f} SimVerb {dev['simverb-dev']:.2f}"
                  f" | Mean6 {six:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
