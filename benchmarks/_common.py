"""Helpers shared by the benchmark scripts: a scratch folder and timing."""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path

WORK = Path(os.environ.get("VGBENCH_BENCH_DIR", Path(__file__).resolve().parent / "_work"))


def scratch(name: str) -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    return WORK / name


@contextmanager
def timed(label: str, store: dict):
    start = time.perf_counter()
    yield
    store[label] = time.perf_counter() - start


def glove50_text() -> Path:
    """GloVe 6B 50d as the original text file (written once from the pip package)."""
    path = scratch("glove.6B.50d.txt")
    if not path.exists():
        from vgbench.embeddings import load_embeddings, save_embeddings
        save_embeddings(load_embeddings("glove-6b-50d"), path, "glove")
    return path
