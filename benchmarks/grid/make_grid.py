"""Build the grid table (reports/grid/README.md's numbers) from the runs of run_grid.sh.

For every run: the epoch the paper's rule picks (lowest dev loss), the epoch the held-out
word-similarity dev sets pick (mean of MEN dev and SimVerb dev Spearman, computed after every
epoch), and the untrained model (epoch 0) as a control; fine-tuned runs also with the fine-tuned
Te exported. Each row is scored by the evaluation suite exactly like textual GloVe.
Usage: .venv/bin/python benchmarks/grid/make_grid.py [RUNS_DIR] [OUT_DIR]
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import vgbench
from vgbench.embeddings import load_embeddings
from vgbench.evaluation.api import resolve_datasets
from vgbench.grounding.config import load_config
from vgbench.evaluation.dev_scores import quick_scores
from vgbench.grounding.grounder import Grounder

# The grid of reports/grid/README.md, one row per setting: (shown as, regex matching the start of a full-table label).
MAIN_ROWS = [
    ("GloVe 6B 50d, textual", "GloVe 6B 50d (textual)"),
    ("control: untrained Xavier M (c=256)", "untrained Xavier M"),
    ("C_GloVe (caption-only LM, refined Te)", "c_glove ep"),
    ("VGE without images (L_FW+L_BW, Te ft + R), Te_orig·M", "no_image ep"),
    ("VGE L_FW, Te frozen", "fw_frozen ep"),
    ("VGE L_FW+L_BW, Te frozen", "fw_bw_frozen ep"),
    ("VGE L_FW+L_BW+L_B, Te frozen", "fw_bw_b_frozen ep"),
    ("VGE +R: all losses, Te ft + R(0.001,1), Te_orig·M (paper)", "all_r ep3 (dev loss): Te_orig"),
    ("  same run, export Te_ft·M", "all_r ep3 (dev loss): Te_fine"),
    ("  same run, Te_ft alone (no M)", "all_r ep3 (dev loss): Te_ft alone"),
    ("  same, R(1,1), Te_orig·M", "all_r_alpha1 ep2 (dev loss): Te_orig"),
    ("  same, + output bias, Te_orig·M", "all_r_bias ep1 (dev loss): Te_orig"),
    ("  L_FW+L_BW+L_B frozen + output bias", "fw_bw_b_frozen_bias ep"),
    ("  orthogonal M, export Te_ft·M", "all_r_orth ep2 (dev loss): Te_fine"),
    ("default (vge.toml): orthogonal M, Te_ft·M, dev-pair selection", r"vge_default ep\d+ .*Te_fine"),
]

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
    order = [l.split()[1] for l in (runs / "driver.log").read_text().splitlines()
             if l.startswith("=== ")] if (runs / "driver.log").is_file() else []
    order += sorted(p.name for p in runs.iterdir())
    done = [runs / n for n in dict.fromkeys(order) if (runs / n / "summary.json").is_file()]
    added_control = False
    curves: dict[str, list] = {}

    def add(label, g, run, select, epoch, h, hist, extra=None):
        emb = g.ground_embeddings(textual, name=label)
        embs.append(emb)
        dev = quick_scores(g, ["men-dev", "simverb-dev"])       # this row's own vectors
        sv = np.linalg.svd(g.M, compute_uv=False)
        rows.append({"setting": label, "run": run, "select": select, "epoch": epoch,
                     "export Te": g.te if g.finetuned is not None else "original",
                     "dev men-dev": dev["men-dev"], "dev simverb-dev": dev["simverb-dev"],
                     "dev loss": h.get("dev_loss"), "epochs run": len(hist),
                     "captions/s": hist[-1]["captions_per_s"] if hist else None,
                     "sv max/min": sv[0] / sv[-1], "anisotropy": anisotropy(emb.vectors), **(extra or {})})

    for run in done:
        hist = [json.loads(l) for l in (run / "log.jsonl").read_text().splitlines()]
        kind = load_config(run / "config.toml").model.kind
        by_loss = min(hist, key=lambda r: r["dev_loss"])["epoch"]
        # Selection on the dev word pairs may also pick the untrained model (epoch 0).
        g_init = Grounder.load(run / "grounders" / "epoch_000.pt")
        dev0 = quick_scores(g_init, ["men-dev", "simverb-dev"])
        h0 = {"eval_men-dev": dev0["men-dev"], "eval_simverb-dev": dev0["simverb-dev"]}
        if not added_control and kind == "vge" and g_init.grounded_dim == 256:
            add("untrained Xavier M, c=256 (control)", g_init, "-", "-", 0, h0, [])
            added_control = True
        curves[run.name] = [(0, dev0["men-dev"], dev0["simverb-dev"])] + [
            (r["epoch"], r.get("eval_men-dev"), r.get("eval_simverb-dev")) for r in hist]
        dev_mean = [np.mean([dev0["men-dev"], dev0["simverb-dev"]])] + [
            np.mean([r.get("eval_men-dev", np.nan), r.get("eval_simverb-dev", np.nan)]) for r in hist]
        by_dev = int(np.nanargmax(dev_mean))
        picks = {by_loss: "dev loss"}
        picks[by_dev] = picks[by_dev] + " = dev pairs" if by_dev in picks else "dev pairs"
        for epoch, select in sorted(picks.items()):
            path = run / "grounders" / f"epoch_{epoch:03d}.pt"
            h = hist[epoch - 1] if epoch else h0
            g0 = Grounder.load(path)
            if epoch == 0:
                add(f"{run.name}: {select} picks epoch 0 (untrained)", g0, run.name, select, 0, h, hist)
                continue
            if kind == "caption_lm":
                add(f"{run.name} ep{epoch} ({select}): refined Te", g0, run.name, select, epoch, h, hist)
                continue
            tes = ["original", "finetuned"] if g0.finetuned is not None else ["original"]
            for te in tes:
                add(f"{run.name} ep{epoch} ({select}): Te_{te[:4]}·M", Grounder.load(path, te=te),
                    run.name, select, epoch, h, hist)
            if g0.finetuned is not None:   # what the images did to Te, without M
                ident = Grounder(np.eye(g0.in_dim, dtype=np.float32), "finetuned", g0.words, g0.finetuned,
                                 g0.textual)
                add(f"{run.name} ep{epoch} ({select}): Te_ft alone (M = I)", ident, run.name, select,
                    epoch, h, hist)
    res = vgbench.evaluate(embs, n_boot=0, paired_test="none")
    frame = res.frame()
    from vgbench.caption_data.dataset import load_flickr8k
    vocab = set(load_flickr8k().vocab.words[4:])
    for row, emb in zip(rows, embs):
        row.update(metrics(frame, emb.name))
        row.update(seen_unseen(emb, bench, vocab))
    table = pd.DataFrame(rows)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "grid.csv", index=False, float_format="%.3f")
    cols = ["setting", "Mean6", "SimLex", "Conc-q1", "Conc-q4", "SimVerb", "STS mean",
            "Mean6 seen", "Mean6 zero-shot", "dev men-dev", "dev simverb-dev", "dev loss", "epochs run",
            "sv max/min", "anisotropy"]
    plot_curves(curves, base_dev, out / "dev_curves.png")
    # Paired bootstrap tests against textual GloVe for the three trained rows with the best Mean6.
    trained = table[(table.epoch > 0)]
    best = trained.sort_values("Mean6", ascending=False).drop_duplicates("Mean6").head(3)
    chosen = [embs[0]] + [embs[i] for i in best.index]
    tests = vgbench.evaluate(chosen, n_boot=1000, paired_test="bootstrap").tests_frame()
    tests = tests[tests.section.isin(["All", "mean"]) & ~((tests.section == "mean") & (tests.metric != "pearson"))]
    tests = tests[["embedding_b", "dataset", "value_a", "value_b", "delta", "ci_low", "ci_high", "p_value"]]
    tests.to_csv(out / "paired_tests.csv", index=False, float_format="%.4f")
    (out / "paired_tests.md").write_text(markdown(tests.rename(columns={"embedding_b": "vs textual GloVe"})),
                                          encoding="utf-8")
    main_rows = []
    for shown, prefix in MAIN_ROWS:
        hit = table[table.setting.str.match(re.escape(prefix) if "\\" not in prefix else prefix)]
        if len(hit):
            r = hit.iloc[0].copy()
            r["setting"] = shown + (f" (ep {int(r['epoch'])})" if r["epoch"] else "")
            main_rows.append(r)
    main_cols = ["setting", "Mean6", "SimLex", "Conc-q1", "Conc-q4", "SimVerb", "STS mean", "Mean6 seen",
                 "Mean6 zero-shot", "dev men-dev", "dev simverb-dev", "epochs run"]
    (out / "main.md").write_text(markdown(pd.DataFrame(main_rows)[main_cols]), encoding="utf-8")
    md = markdown(table[cols])
    (out / "grid.md").write_text(md, encoding="utf-8")
    print(md)


def plot_curves(curves: dict, base: dict, path: Path) -> None:
    """MEN dev and SimVerb dev Spearman after every epoch of every run (epoch 0 = untrained)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, k, key in ((axes[0], 1, "men-dev"), (axes[1], 2, "simverb-dev")):
        for name, pts in curves.items():
            ax.plot([p[0] for p in pts], [p[k] for p in pts], marker="o", label=name)
        ax.axhline(base[key], color="k", ls="--", label="GloVe 6B 50d (textual)")
        ax.set_title(f"{key} Spearman x100"), ax.set_xlabel("epoch"), ax.grid(alpha=.3)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


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
