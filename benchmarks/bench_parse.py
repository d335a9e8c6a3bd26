"""Parsing throughput of a large text embedding file: vgbench vs gensim vs `cat` (the disk's limit).

Generates a synthetic GloVe-format file (default 1 GB, 300 dimensions, random words) once under
benchmarks/_work/ rather than committing one, then reads it three ways in one run.

    .venv/bin/python benchmarks/bench_parse.py [--gb 1.0] [--skip-gensim]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import scratch, timed  # noqa: E402


def synthetic_file(gb: float, dim: int = 300, seed: int = 0) -> Path:
    path = scratch(f"synthetic-{gb:g}gb-{dim}d.txt")
    if path.exists():
        return path
    from vgbench.embeddings.writers import EmbeddingWriter
    rng = np.random.default_rng(seed)
    bytes_per_row = dim * 10 + 12  # "%.6g" of N(0, 0.4) values averages ~10 bytes with the space
    rows = int(gb * 1e9 / bytes_per_row)
    with EmbeddingWriter(path, rows, dim, "glove") as writer:
        for start in range(0, rows, 20000):
            n = min(20000, rows - start)
            words = [f"w{start + i}_{rng.integers(1e6)}" for i in range(n)]
            writer.write(words, rng.normal(0, 0.4, (n, dim)).astype(np.float32))
    return path


def _peak_rss_mb(path: Path, n_words: int | None) -> float:
    """Peak resident memory of a fresh process that loads the file (all rows or a word filter)."""
    code = ("import resource, sys; from vgbench.embeddings import load_embeddings; "
            f"words = {{f'w{{i}}' for i in range(0, 10**9, 10**9 // {n_words})}} if {n_words!r} else None; "
            f"load_embeddings({str(path)!r}, words=words); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 + "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=1.0)
    ap.add_argument("--skip-gensim", action="store_true")
    args = ap.parse_args()
    path = synthetic_file(args.gb)
    mb = path.stat().st_size / 1e6
    # first, while this process is small: Linux keeps a forked child's pre-exec peak in ru_maxrss
    peak_all = _peak_rss_mb(path, None)
    peak_filtered = _peak_rss_mb(path, 2000)
    t: dict[str, float] = {}
    with timed("cat", t):
        subprocess.run(f"cat '{path}' > /dev/null", shell=True, check=True)
    with timed("cat (again, page cache)", t):
        subprocess.run(f"cat '{path}' > /dev/null", shell=True, check=True)
    from vgbench.embeddings import load_embeddings
    with timed("vgbench", t):
        emb = load_embeddings(path)
    with timed("vgbench (2,000-word filter)", t):
        load_embeddings(path, words=set(emb.words[::len(emb) // 2000]))
    if not args.skip_gensim:
        from gensim.models import KeyedVectors
        with timed("gensim", t):
            kv = KeyedVectors.load_word2vec_format(str(path), binary=False, no_header=True)
        assert np.allclose(kv.vectors[:100], emb.vectors[:100])
    print(f"file: {path.name}, {mb:.0f} MB, {len(emb)} rows x {emb.dim}")
    print(f"peak memory of a fresh process: whole file {peak_all:.0f} MB, "
          f"2,000-word filter {peak_filtered:.0f} MB")
    for label, sec in t.items():
        print(f"{label:30s} {sec:7.2f} s  {mb / sec:8.1f} MB/s")
    disk = t["cat (again, page cache)"]
    print(f"vgbench is {t['vgbench'] / disk:.0f}x slower than cat from the page cache"
          + (f"; {t['gensim'] / t['vgbench']:.1f}x faster than gensim" if "gensim" in t else ""))


if __name__ == "__main__":
    main()
