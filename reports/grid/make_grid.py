"""Build the grid table (reports/grid/README.md's numbers) from the runs of run_grid.sh.

For every run: the epoch the paper's rule picks (lowest dev loss), the epoch the held-out
word-similarity dev sets pick (mean of MEN dev and SimVerb dev Spearman, computed after every
epoch), and the untrained model (epoch 0) as a control; fine-tuned runs also with the fine-tuned
Te exported. Each row is scored by the evaluation suite exactly like textual GloVe.
Usage: .venv/bin/python reports/grid/make_grid.py [RUNS_DIR] [OUT_DIR]
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import vgbench
from vgbench.embeddings import load_embeddings
from vgbench.evaluation.api import resolve_datasets
from vgbench.grounding.grounder import Grounder, quick_scores

SIX = ["RW", "MEN", "WS353", "MTurk-771", "SimVerb-3500", "SimLex-999"]
STS = ["STS12", "STS13", "STS14", "STS15", "STS16"]


def metrics(frame: pd.DataFrame, name: str) -> dict[str, float]:
    f = frame[frame.embedding == name]
    sim = f[(f.task == "similarity") & (f.section == "All")].set_index("dataset")["value"]
    sl = f[f.dataset == "SimLex-999"].set_index("section")["value"]
    sts = f[(f.task == "sts") & (f.section == "mean") & (f.metric == "pearson")].set_index("dataset")["value"]
    return {"Mean6": sim[SIX].mean(), "SimLex": sl["All"], "Conc-q1": sl["Conc-q1"],
            "Conc-q4": sl["Conc-q4"], "SimVerb": sim["SimVerb-3500"], "MEN": sim["MEN"],
            "STS mean": sts[STS].mean()}


def seen_unseen(emb, bench, vocab: set[str]) -> dict[str, float]:
    """Mean over the six sets of Spearman x100 on pairs whose two words are both caption-vocabulary
    words ("seen": their grounding was trained) vs the other pairs ("zero-shot")."""
    from scipy.stats import spearmanr
    from vgbench.evaluation.similarity import predict_pairs
    seen, unseen = [], []
    for pairs in bench.similarity:
        pred = predict_pairs(emb, pairs, "lower")
        both = np.array([a.lower() in vocab and b.lower() in vocab for a, b in zip(pairs.word1, pairs.word2)])
        for mask, out in ((both, seen), (~both, unseen)):
            use = mask & pred.covered
            if use.sum() >= 20:
                out.append(100 * spearmanr(pairs.gold[use], pred.cosine[use]).statistic)
    return {"Mean6 seen": float(np.mean(seen)), "Mean6 zero-shot": float(np.mean(unseen))}


def anisotropy(vectors: np.ndarray, seed: int = 0) -> float:
    """Mean cosine of 5,000 random word pairs: how much one common direction dominates."""
    rng = np.random.default_rng(seed)
    u = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    i, j = rng.integers(len(u), size=(2, 5000))
    return float(np.einsum("ij,ij->i", u[i], u[j]).mean())


def main(runs: Path, out: Path) -> None:
    bench = resolve_datasets(None)
    words = bench.vocabulary()
    textual = load_embeddings("glove-6b-50d", words=words, case="exact-then-lower")
    textual.name = "GloVe 6B 50d (textual)"
    rows, embs = [], [textual]
    base_dev = quick_scores(Grounder(np.eye(50, dtype=np.float32), textual="glove-6b-50d"),
                            ["men-dev", "simverb-dev"])
    rows.append({"setting": textual.name, "run": "-", "select": "-", "epoch": 0, "export Te": "-",
                 **{f"dev {k}": v for k, v in base_dev.items()}, "anisotropy": anisotropy(textual.vectors)})
    for run in sorted(p for p in runs.iterdir() if (p / "log.jsonl").is_file()):
        hist = [json.loads(l) for l in (run / "log.jsonl").read_text().splitlines()]
        by_loss = min(hist, key=lambda r: r["dev_loss"])["epoch"]
        # Selection on the dev word pairs may also pick the untrained model (epoch 0).
        dev0 = quick_scores(Grounder.load(run / "grounders" / "epoch_000.pt"), ["men-dev", "simverb-dev"])
        dev_mean = [np.mean([dev0["men-dev"], dev0["simverb-dev"]])] + [
            np.mean([r.get("eval_men-dev", np.nan), r.get("eval_simverb-dev", np.nan)]) for r in hist]
        by_dev = int(np.nanargmax(dev_mean))
        picks = {("dev loss", by_loss), ("dev MEN+SimVerb", by_dev), ("untrained", 0)}
        for select, epoch in sorted(picks, key=lambda x: (x[1], x[0])):
            path = run / "grounders" / f"epoch_{epoch:03d}.pt"
            g0 = Grounder.load(path)
            for te in (["original", "finetuned"] if g0.finetuned is not None else [g0.te]):
                g = Grounder.load(path, te=te)
                label = f"{run.name} | {select} (ep {epoch}) | Te {te}"
                emb = g.ground_embeddings(textual, name=label)
                embs.append(emb)
                sv = np.linalg.svd(g.M, compute_uv=False)
                h = hist[epoch - 1] if epoch else {"eval_men-dev": dev0["men-dev"],
                                                    "eval_simverb-dev": dev0["simverb-dev"]}
                rows.append({"setting": label, "run": run.name, "select": select, "epoch": epoch,
                             "export Te": te, "dev men-dev": h.get("eval_men-dev"),
                             "dev simverb-dev": h.get("eval_simverb-dev"), "dev loss": h.get("dev_loss"),
                             "epochs run": len(hist), "captions/s": hist[-1]["captions_per_s"],
                             "sv1/sv2": sv[0] / sv[1], "sv max/min": sv[0] / sv[-1],
                             "anisotropy": anisotropy(emb.vectors)})
    res = vgbench.evaluate(embs, n_boot=0, paired_test="none")
    frame = res.frame()
    from vgbench.grounding.dataset import load_flickr8k
    vocab = set(load_flickr8k().vocab.words[4:])
    for row, emb in zip(rows, embs):
        row.update(metrics(frame, emb.name))
        row.update(seen_unseen(emb, bench, vocab))
    table = pd.DataFrame(rows)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "grid.csv", index=False, float_format="%.3f")
    cols = ["setting", "epoch", "Mean6", "SimLex", "Conc-q1", "Conc-q4", "SimVerb", "STS mean",
            "Mean6 seen", "Mean6 zero-shot", "dev men-dev", "dev simverb-dev", "dev loss", "sv max/min",
            "anisotropy"]
    md = markdown(table[cols])
    (out / "grid.md").write_text(md, encoding="utf-8")
    print(md)


def markdown(frame: pd.DataFrame) -> str:
    """A pipe table (no tabulate dependency); numbers with 2 decimals, missing as '-'."""
    def cell(v):
        if isinstance(v, (float, np.floating)):
            return "-" if np.isnan(v) else f"{v:.2f}"
        return str(v)
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "runs/grid"),
         Path(sys.argv[2] if len(sys.argv) > 2 else "reports/grid"))
