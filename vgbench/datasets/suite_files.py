"""The one place the analogy and categorization loaders read a shipped benchmark file from."""
from __future__ import annotations

import os

from vgbench.paths import data_root


def _read(rel_path: str, root: str | os.PathLike | None = None) -> str:
    """The text of a benchmark file, by its path under the data root (e.g.
    "benchmarks/analogy/google/questions-words.txt")."""
    path = data_root(root) / rel_path
    if not path.is_file():
        raise ValueError(f"{path}: missing; the data root {data_root(root)} lacks {rel_path}")
    return path.read_text(encoding="utf-8")
