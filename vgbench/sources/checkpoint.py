"""A trained checkpoint or grounder file as a source: its textual vectors, grounded through its M."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vgbench.embeddings import load_embeddings
from vgbench.embeddings.core import Embeddings
from vgbench.embeddings.sniff import sniff_format
from vgbench.extras import require

if TYPE_CHECKING:
    from vgbench.grounding.grounder import Grounder


def is_checkpoint(target: str | os.PathLike) -> bool:
    """Whether `target` is a file holding a torch archive (a checkpoint or a grounder)."""
    path = Path(target)
    return path.is_file() and sniff_format(path) == "checkpoint"


def checkpoint_textual(path: str | os.PathLike, textual: str | None = None, te: str | None = None,
                       **load_kw) -> tuple[Grounder, str, Embeddings]:
    """The grounder of `path`, the textual source it grounds and that source's vectors.

    `textual` overrides the source recorded at training time; `load_kw` go to load_embeddings
    (words, case, head_rows, progress, nonfinite). The vectors must have the dimension M maps.
    """
    require("torch", f"{path}: reading a checkpoint")  # torch only here: evaluating vector files needs none
    from vgbench.grounding.grounder import Grounder
    grounder = Grounder.load(path, te=te)
    _require_finite(grounder, path)
    source = textual or grounder.textual
    if not source:
        raise ValueError(f"{path}: records no textual vectors to ground; name the vectors to ground (--vectors)")
    emb = load_embeddings(source, **load_kw)
    if emb.dim != grounder.in_dim:
        raise ValueError(f"{source}: vectors have dimension {emb.dim}, but {path} grounds "
                         f"{grounder.in_dim}-dimensional vectors")
    return grounder, source, emb


def _require_finite(grounder: Grounder, path) -> None:
    """A diverged training run leaves nan/inf in M: every grounded vector would be garbage."""
    for what, values in (("its mapping M", grounder.M), ("its fine-tuned textual vectors", grounder.finetuned)):
        if values is not None and not np.isfinite(values).all():
            bad = int(values.size - np.isfinite(values).sum())
            raise ValueError(f"{path}: {what} holds {bad} of {values.size} values that are nan or "
                             f"inf (the training diverged); retrain with a lower learning rate, or "
                             f"use an earlier checkpoint")


def load_checkpoint(path: str | os.PathLike, words=None, case: str = "exact", te: str | None = None,
                    textual: str | None = None, name: str | None = None, **load_kw) -> Embeddings:
    """The checkpoint's textual vectors (only rows `words` resolve to under `case`, as for a file)
    grounded through its M, in memory."""
    grounder, source, emb = checkpoint_textual(path, textual, te, words=words, case=case, **load_kw)
    out = grounder.ground_embeddings(emb, name=name or Path(path).name)
    out.meta.update({"source": str(path), "format": "checkpoint", "textual": source})
    return out
