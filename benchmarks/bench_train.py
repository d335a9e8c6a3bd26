"""Training throughput and zero-shot grounding cost, side by side with what a user would otherwise do.

1. Training, both models (VGE 2021 and the caption -> image model, c = 256 by default) on Flickr8k:
   captions/s of each training path, measured in interleaved rounds in one run (the machine may be
   shared, so only ratios within a run mean much), next to this machine's float32 and bf16 matmul
   FLOP/s (same threads). Paths:
   - "before": the trainer as it was (VGE: the N x |V| logits materialised; batches in random order);
     for the caption -> image model, the plain way a user would write it: nn.LSTM over a packed
     sequence, float32;
   - "exact": the full softmax fused in chunks (same loss and gradients) and captions batched by
     length (train.bucket_by_length);
   - "bf16": the same plus bf16 autocast on the CPU (train.amp_cpu; needs native bf16, e.g. AMX).
2. Grounding all 400k GloVe 6B 50d words: `Grounder.export` (chunked) vs the direct way, the whole
   `vectors @ M` in memory then gensim's save_word2vec_format: seconds and peak memory of each.

Usage: .venv/bin/python benchmarks/bench_train.py [--c 256] [--steps 6] [--rounds 3] [--threads 2]
       [--no-grounding]
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import scratch  # noqa: E402


def matmul_peak(threads: int, dtype: str = "float32", n: int = 1024, seconds: float = 1.5) -> float:
    import torch
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n).to(getattr(torch, dtype)), torch.randn(n, n).to(getattr(torch, dtype))
    a @ b
    best = 0.0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        a @ b
        best = max(best, 2 * n ** 3 / (time.perf_counter() - t))
    return best


class ModelBench:
    """One model's training steps under each path, on the same weights and the same data."""

    def __init__(self, kind: str, c: int, threads: int):
        import torch
        from vgbench.grounding.config import load_config
        from vgbench.grounding.model import flops_per_caption
        from vgbench.grounding.batches import epoch_batches
        from vgbench.grounding.trainer import Trainer
        torch.set_num_threads(threads)
        cfg = load_config(None, ['out_dir="/nonexistent"', f'model.kind="{kind}"',
                                 f"model.grounded_dim={c}", f"train.threads={threads}"])
        self.kind = kind
        self.tr = Trainer(cfg, progress=False)
        self.tr._setup()
        split = self.tr.train_split
        self.batches = {"random": epoch_batches(split.image_index, 256, 0, 0),
                        "bucketed": epoch_batches(split.image_index, 256, 0, 0, split.lengths)}
        self.next = {"random": 0, "bucketed": 0}
        d = self.tr.model.te_orig.shape[1]
        self.flop_per_caption = flops_per_caption(cfg.model, d, len(self.tr.vocab_words),
                                                  float(np.mean(split.lengths)),
                                                  self.tr.dataset.features.shape[1])

    def paths(self) -> list[str]:
        return ["before", "exact", "bf16"]

    def _loss(self, batch, path: str):
        import torch
        model = self.tr.model
        if self.kind == "caption_image" and path == "before":
            return packed_lstm_loss(model, batch)
        from vgbench.grounding.model import VGEModel
        VGEModel.fused_softmax = path != "before"
        amp = torch.autocast("cpu", dtype=torch.bfloat16) if path == "bf16" else contextlib.nullcontext()
        with amp:
            return model(**batch.kwargs())["loss"]

    def run(self, path: str, steps: int) -> float:
        """Captions per second over `steps` training steps."""
        from vgbench.grounding.batches import make_batch
        order = "random" if path == "before" else "bucketed"
        tr, n = self.tr, 0
        t = time.perf_counter()
        for _ in range(steps):
            k = self.next[order] = (self.next[order] + 1) % len(self.batches[order])
            rows = self.batches[order][k]
            batch = make_batch(tr.train_split, tr.dataset.features, rows, 0, 0, k, tr.device)
            loss = self._loss(batch, path)
            tr.opt.zero_grad()
            loss.backward()
            tr.opt.step()
            n += len(rows)
        return n / (time.perf_counter() - t)


def packed_lstm_loss(model, batch):
    """The caption -> image loss as one would write it with stock PyTorch: a packed nn.LSTM, float32."""
    import torch.nn.functional as F
    from torch.nn.utils.rnn import pack_padded_sequence
    x = F.embedding(batch.tokens, model.te()) @ model.M
    packed = pack_padded_sequence(x, batch.lengths.cpu(), batch_first=True, enforce_sorted=False)
    _, (h, _) = model.lstm(packed)
    return F.mse_loss(h[0], model.target(batch.images))


def train_throughput(c: int, steps: int, rounds: int, threads: int) -> dict:
    """{kind: {path: [captions/s per round]}}, every path of every model once per round."""
    benches = [ModelBench(kind, c, threads) for kind in ("vge", "caption_image")]
    for b in benches:                       # warm-up: one step of every path
        for path in b.paths():
            b.run(path, 1)
    rates = {b.kind: {p: [] for p in b.paths()} for b in benches}
    for _ in range(rounds):
        for b in benches:
            for path in b.paths():
                rates[b.kind][path].append(b.run(path, steps))
    return {"rates": rates, "flop_per_caption": {b.kind: b.flop_per_caption for b in benches}}


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
    ap.add_argument("--steps", type=int, default=6, help="training steps per path and round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ground-c", type=int, default=1024)
    ap.add_argument("--no-grounding", action="store_true")
    args = ap.parse_args()
    peak = matmul_peak(args.threads)
    peak16 = matmul_peak(args.threads, "bfloat16")
    tr = train_throughput(args.c, args.steps, args.rounds, args.threads)
    peak = max(peak, matmul_peak(args.threads))        # again after: the machine may be shared
    peak16 = max(peak16, matmul_peak(args.threads, "bfloat16"))
    print(f"training, c={args.c}, {args.threads} thread(s), {args.rounds} interleaved rounds of "
          f"{args.steps} steps of 256 captions per path (median captions/s)")
    print(f"  dense matmul (1024^2, same threads): float32 {peak / 1e9:.1f} GFLOP/s, "
          f"bf16 {peak16 / 1e9:.1f} GFLOP/s")
    for kind, paths in tr["rates"].items():
        fpc = tr["flop_per_caption"][kind]
        base = statistics.median(paths["before"])
        print(f"  {kind} ({fpc / 1e6:.0f} MFLOP per caption):")
        for path, rates in paths.items():
            r = statistics.median(rates)
            print(f"    {path:7s} {r:7.0f} captions/s  {r * fpc / peak:6.1%} of float32 peak  "
                  f"{r / base:5.2f}x before   (rounds: {', '.join(f'{x:.0f}' for x in rates)})")
    if args.no_grounding:
        return
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
