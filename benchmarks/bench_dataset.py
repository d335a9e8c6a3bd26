"""Building the tokenized Flickr8k training set (40,455 captions): `build_dataset` vs a plain pandas script.

The plain script is what a user would otherwise write: pandas.read_csv, lower-case + punctuation
regex, a Counter vocabulary on the train images, ids padded into a NumPy array; it reports nothing.
Ours also checks every line, pairs captions with feature rows and counts what it drops.

    .venv/bin/python benchmarks/bench_dataset.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vgbench.caption_data.dataset import build_dataset  # noqa: E402
from vgbench.caption_data.bundled import flickr8k_dir, require  # noqa: E402


def plain(flickr: Path, vocab_size: int = 10000) -> dict:
    import re

    import pandas as pd
    df = pd.read_csv(require(flickr, "captions.txt"))  # pandas reads .gz too
    punct = re.compile(r"[^\w\s]|_")
    df["tokens"] = [punct.sub(" ", c.lower()).split() for c in df["caption"]]
    splits = {s: set(Path(flickr / f"Flickr_8k.{s}Images.txt").read_text().split()) for s in ("train", "dev", "test")}
    counts = Counter(w for img, t in zip(df["image"], df["tokens"]) if img in splits["train"] for w in t)
    words = ["<pad>", "<unk>", "<s>", "</s>"] + [w for w, _ in sorted(counts.items(), key=lambda x: (-x[1], x[0]))[:vocab_size]]
    index = {w: i for i, w in enumerate(words)}
    out = {}
    for s, imgs in splits.items():
        toks = [t for img, t in zip(df["image"], df["tokens"]) if img in imgs]
        arr = np.zeros((len(toks), max(map(len, toks))), np.int32)
        for i, t in enumerate(toks):
            arr[i, :len(t)] = [index.get(w, 1) for w in t]
        out[s] = arr
    return out


def main() -> int:
    import logging
    logging.getLogger("vgbench").setLevel(logging.ERROR)  # the known 470 orphan captions
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-root", help="use DATA_ROOT/flickr8k instead of the copy shipped in vgbench/data/flickr8k")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    flickr = flickr8k_dir(args.data_root)
    best_ours = best_plain = float("inf")
    for _ in range(args.repeats):
        t = time.perf_counter()
        ds = build_dataset(require(flickr, "captions.txt"), flickr / "features")
        best_ours = min(best_ours, time.perf_counter() - t)
        t = time.perf_counter()
        ref = plain(flickr)
        best_plain = min(best_plain, time.perf_counter() - t)
    for s in ("train", "dev", "test"):  # the two agree word for word
        assert np.array_equal(np.asarray(ds.splits[s].tokens), ref[s]), s
    n = ds.report["captions_read"]
    print(f"{n} captions read; train {len(ds.splits['train'])}, dev {len(ds.splits['dev'])}, "
          f"test {len(ds.splits['test'])} captions; vocabulary {len(ds.vocab)}")
    print(f"plain pandas script:  {best_plain:6.2f} s")
    print(f"vgbench build_dataset: {best_ours:6.2f} s  (incl. feature rows and the drop report)")
    print(f"ratio plain/ours: {best_plain / best_ours:.2f}x (best of {args.repeats})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
