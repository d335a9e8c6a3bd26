"""Training throughput and zero-shot grounding cost, side by side with what a user would otherwise do.

1. Training: captions/s of the VGE trainer on Flickr8k (c = 256 by default) and the model's dense
   FLOP rate as a fraction of this machine's measured float32 matmul FLOP/s (same threads, same run).
2. Grounding all 400k GloVe 6B 50d words: `Grounder.export` (chunked) vs the direct way, the whole
   `vectors @ M` in memory then gensim's save_word2vec_format: seconds and peak memory of each.

Usage: .venv/bin/python benchmarks/bench_train.py [--c 256] [--steps 12] [--threads 1]
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import scratch  # noqa: E402


def matmul_peak(threads: int, n: int = 1024, seconds: float = 2.0) -> float:
    import torch
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = 0.0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        a @ b
        best = max(best, 2 * n ** 3 / (time.perf_counter() - t))
    return best


def train_throughput(c: int, steps: int, threads: int) -> dict:
    import torch
    from vgbench.grounding.config import load_config
    from vgbench.grounding.model import flops_per_caption
    from vgbench.grounding.trainer import Trainer, epoch_batches, make_batch
    torch.set_num_threads(threads)
    cfg = load_config(None, ['out_dir="/nonexistent"', f"model.grounded_dim={c}", f"train.threads={threads}"])
    tr = Trainer(cfg, progress=False)
    tr._setup()
    split, model, opt = tr.train_split, tr.model, tr.opt
    batches = epoch_batches(split.image_index, cfg.train.batch_size, 0, 0)
    model.train()

    def step(k):
        b = make_batch(split, tr.dataset.features, batches[k], 0, 0, k, tr.device)
        out = model(**b.kwargs())
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
        return len(batches[k])

    step(0)
    t, n = time.perf_counter(), 0
    for k in range(1, steps + 1):
        n += step(k)
    secs = time.perf_counter() - t
    mean_len = float(np.mean(split.lengths))
    flops = flops_per_caption(cfg.model, tr.model.te_orig.shape[1], len(tr.vocab_words), mean_len)
    return {"captions_per_s": n / secs, "flop_per_caption": flops, "flops": n / secs * flops}


GROUND_SCRIPT = r"""
import sys, time, resource, numpy as np
from vgbench.embeddings import load_embeddings
from vgbench.grounding.grounder import Grounder
c, mode, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
emb = load_embeddings("glove-6b-50d")
M = np.random.default_rng(0).normal(size=(50, c)).astype(np.float32)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
if mode == "vgbench":
    Grounder(M).export(emb, out, "word2vec-binary", progress=False)
else:
    from gensim.models import KeyedVectors
    kv = KeyedVectors(c)
    kv.add_vectors(emb.words, emb.vectors @ M)
    kv.save_word2vec_format(out, binary=True)
secs = time.perf_counter() - t
print(secs, before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def grounding(c: int) -> dict:
    res = {}
    for mode in ("vgbench", "direct+gensim"):
        out = scratch(f"grounded_{mode}.bin")
        p = subprocess.run([sys.executable, "-c", GROUND_SCRIPT, str(c), mode, str(out)],
                           capture_output=True, text=True)
        if p.returncode:
            raise SystemExit(f"grounding benchmark ({mode}) failed:\n{p.stderr[-2000:]}")
        secs, before, after = map(float, p.stdout.split())
        res[mode] = {"seconds": secs, "peak_rss_mb": after / 1024, "growth_mb": (after - before) / 1024}
        out.unlink(missing_ok=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--c", type=int, default=256)
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ground-c", type=int, default=1024)
    args = ap.parse_args()
    peak = matmul_peak(args.threads)
    tr = train_throughput(args.c, args.steps, args.threads)
    peak2 = matmul_peak(args.threads)        # again after: the machine is shared, bracket the run
    peak = max(peak, peak2)
    print(f"training, c={args.c}, {args.threads} thread(s), {args.steps} steps of 256 captions")
    print(f"  {tr['captions_per_s']:.0f} captions/s; {tr['flop_per_caption'] / 1e6:.0f} MFLOP per caption "
          f"-> {tr['flops'] / 1e9:.1f} GFLOP/s")
    print(f"  dense float32 matmul peak (1024^2, same threads): {peak / 1e9:.1f} GFLOP/s")
    print(f"  fraction of peak: {tr['flops'] / peak:.1%}")
    g = grounding(args.ground_c)
    print(f"grounding 400,000 GloVe 6B 50d words to c={args.ground_c}, word2vec binary:")
    for mode, r in g.items():
        print(f"  {mode:15s} {r['seconds']:6.1f} s   peak RSS {r['peak_rss_mb']:7.0f} MB "
              f"(+{r['growth_mb']:.0f} MB while grounding)")
    v, d = g["vgbench"], g["direct+gensim"]
    print(f"  ratio: {d['seconds'] / v['seconds']:.2f}x the speed, "
          f"{v['growth_mb'] / max(d['growth_mb'], 1):.2f}x the extra memory of the direct way")


if __name__ == "__main__":
    main()
