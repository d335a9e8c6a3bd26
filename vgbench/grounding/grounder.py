"""Zero-shot grounding: apply a trained M to any textual vectors, Ge(w) = Te(w)·M.

The paper trains M on a 10k-word caption vocabulary and then grounds every word of the textual
embedding with it (Section 4). A `Grounder` holds what that needs and nothing else: M (d x c), the
fine-tuned textual vectors of the training words (used only under the "finetuned" export policy)
and the name of the textual source, so that a checkpoint can be an evaluator source on its own.

Which Te the export uses for training words (the paper does not say): "original" grounds every word
from its original textual vector, so training and non-training words live in one consistent space
(the default); "finetuned" uses Te_ft(w)·M for the training words and Te_orig(w)·M for the rest.
The caption-only baseline (C_GloVe) has no M: its Grounder carries the identity and the
"finetuned" policy, i.e. refined Te for caption words and the textual vector for the others.
Training words absent from the textual file are not exported (the output vocabulary is the input's).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import torch

from vgbench.embeddings.core import Embeddings
from vgbench.grounding.checkpoint import load_state, save_state

log = logging.getLogger(__name__)

GROUNDER_FORMAT = "vgbench-grounder"
DEFAULT_CHUNK = 65536


@dataclass
class Grounder:
    """M plus the optional fine-tuned overrides; `ground*` methods never hold more than a chunk."""
    M: np.ndarray
    te: str = "original"                     # export policy: "original" | "finetuned"
    words: list[str] = field(default_factory=list)          # training words with a textual vector
    finetuned: np.ndarray | None = None      # their fine-tuned Te rows (len(words) x d)
    textual: str | None = None               # textual source the model was trained from
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.M = np.ascontiguousarray(self.M, dtype=np.float32)
        if self.M.ndim != 2:
            raise ValueError(f"M must be a matrix, got shape {self.M.shape}")
        if self.te not in ("original", "finetuned"):
            raise ValueError(f"te = {self.te!r}; expected original or finetuned")
        if self.finetuned is not None:
            self.finetuned = np.asarray(self.finetuned, dtype=np.float32)
            if self.finetuned.shape != (len(self.words), self.M.shape[0]):
                raise ValueError(f"fine-tuned rows {self.finetuned.shape} do not match "
                                 f"{len(self.words)} words x d={self.M.shape[0]}")
        self._override = {w: i for i, w in enumerate(self.words)}

    @property
    def in_dim(self) -> int:
        return int(self.M.shape[0])

    @property
    def out_dim(self) -> int:
        return int(self.M.shape[1])

    # ------------------------------------------------------------------------------- grounding
    def ground(self, vectors: np.ndarray, words: Iterable[str] | None = None) -> np.ndarray:
        """Ground a block of textual vectors (n x d) -> (n x c). With `words` and the "finetuned"
        policy, training words use their fine-tuned textual vectors."""
        x = np.asarray(vectors, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"expected vectors of dimension {self.in_dim} (M is {self.M.shape}), "
                             f"got shape {x.shape}")
        if words is not None and self.te == "finetuned" and self.finetuned is not None:
            hits = [(i, self._override[w]) for i, w in enumerate(words) if w in self._override]
            if hits:
                x = x.copy()
                rows, src = zip(*hits)
                x[list(rows)] = self.finetuned[list(src)]
        return x @ self.M

    def ground_embeddings(self, emb: Embeddings, chunk: int = DEFAULT_CHUNK, name: str | None = None,
                          progress: bool = False) -> Embeddings:
        """All of `emb` grounded, in memory (for the evaluator)."""
        out = np.empty((len(emb), self.out_dim), dtype=np.float32)
        for start, stop in _chunks(len(emb), chunk, progress, "grounding"):
            out[start:stop] = self.ground(emb.vectors[start:stop], emb.words[start:stop])
        return Embeddings(list(emb.words), out, name or f"{emb.name}+grounded",
                          {**emb.meta, "grounding": self.describe()})

    def export(self, emb: Embeddings, path: str | os.PathLike, fmt: str | None = None,
               chunk: int = DEFAULT_CHUNK, progress: bool = True) -> Path:
        """Ground every word of `emb` and write it chunk by chunk (atomic; flat memory)."""
        from vgbench.embeddings.writers import EmbeddingWriter
        bad = np.flatnonzero(~np.isfinite(emb.vectors).all(axis=1))
        if len(bad):
            raise ValueError(f"{emb.name}: word {emb.words[bad[0]]!r} (and {len(bad) - 1} more) has "
                             f"non-finite values; drop such rows before grounding")
        with EmbeddingWriter(path, len(emb), self.out_dim, fmt) as writer:
            for start, stop in _chunks(len(emb), chunk, progress, f"grounding -> {Path(path).name}"):
                writer.write(emb.words[start:stop], self.ground(emb.vectors[start:stop],
                                                                emb.words[start:stop]))
        return Path(path)

    def describe(self) -> dict[str, Any]:
        return {"d": self.in_dim, "c": self.out_dim, "te": self.te, "textual": self.textual,
                **{k: v for k, v in self.meta.items() if isinstance(v, (str, int, float, bool))}}

    # ------------------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> Path:
        """M alone (plus the small fine-tuned overrides), readable with torch.load(weights_only)."""
        state = {"format": GROUNDER_FORMAT, "version": 1, "M": torch.from_numpy(self.M),
                 "te": self.te, "words": list(self.words),
                 "finetuned": None if self.finetuned is None else torch.from_numpy(self.finetuned),
                 "textual": self.textual, "meta": _plain(self.meta)}
        return save_state(state, path)

    @classmethod
    def load(cls, path: str | os.PathLike, te: str | None = None) -> "Grounder":
        """A grounder file, or a training checkpoint (its M at that point of training)."""
        path = Path(path)
        state = load_state(path, "vgbench grounder or checkpoint")
        fmt = state.get("format") if isinstance(state, dict) else None
        if fmt == GROUNDER_FORMAT:
            g = cls(state["M"].numpy(), state["te"], list(state["words"]),
                    None if state["finetuned"] is None else state["finetuned"].numpy(),
                    state["textual"], dict(state.get("meta") or {}))
        else:
            from vgbench.grounding.trainer import CHECKPOINT_FORMAT, model_from_checkpoint
            if fmt != CHECKPOINT_FORMAT:
                raise ValueError(f"{path}: neither a vgbench grounder nor a training checkpoint")
            model, cfg = model_from_checkpoint(state)
            g = cls.from_model(model, state["vocab"], state["known"], cfg)
            g.meta["epoch"] = int(state["epoch"])
        if te is not None:
            g = cls(g.M, te, g.words, g.finetuned, g.textual, g.meta)
        return g

    @classmethod
    def from_model(cls, model, vocab: list[str], known, cfg) -> "Grounder":
        """The grounder of a model in memory (training words = vocabulary rows with textual vectors)."""
        state = model.export_state()
        known = np.asarray(known, dtype=bool)
        ids = np.flatnonzero(known)
        te = "finetuned" if cfg.model.kind == "caption_lm" else cfg.export.te
        finetuned = state["te_finetuned"][ids] if cfg.model.finetune_te else None
        return cls(state["M"], te if finetuned is not None else "original",
                   [vocab[i] for i in ids] if finetuned is not None else [], finetuned,
                   cfg.data.textual, {"name": cfg.name, "kind": cfg.model.kind,
                                      "finetune_te": cfg.model.finetune_te})


def load_grounded_source(path: str | os.PathLike, words: Iterable[str] | None = None,
                         te: str | None = None, textual: str | None = None) -> Embeddings:
    """A checkpoint or grounder file as an evaluator source: its textual vectors, grounded on the fly.

    `words` restricts the result (and the reading of the textual file) to those words. `textual`
    overrides the textual source recorded at training time.
    """
    from vgbench.embeddings import load_embeddings
    path = Path(path)
    g = Grounder.load(path, te=te)
    source = textual or g.textual
    if not source:
        raise ValueError(f"{path}: records no textual source; pass the textual vectors explicitly")
    emb = load_embeddings(source, words=None if words is None else set(words))
    if emb.dim != g.in_dim:
        raise ValueError(f"{source}: vectors have dimension {emb.dim}, but {path} grounds "
                         f"{g.in_dim}-dimensional vectors")
    out = g.ground_embeddings(emb, name=path.stem)
    out.meta.update({"source": str(path), "format": "checkpoint", "textual": source})
    return out


# Held-out dev splits of two benchmarks, for model selection that does not peek at the test pairs:
# name -> built-in set (MEN's lemma-form dev file loses its POS suffixes; see vgbench.datasets).
DEV_SETS = {"men-dev": "MEN-dev", "simverb-dev": "SimVerb-dev"}


def dev_pairs(name: str, data_root: str | None = None):
    """A DEV_SETS entry as the suite's WordPairs. The dev sets ship with vgbench, so `data_root`
    is not needed; it is accepted for callers that pass one."""
    from vgbench.datasets.registry import load_similarity
    if name not in DEV_SETS:
        raise ValueError(f"unknown dev set {name!r}; expected one of {', '.join(DEV_SETS)}")
    pairs = load_similarity(DEV_SETS[name])
    pairs.name = name
    return pairs


def quick_scores(grounder: Grounder, sets: list[str], data_root: str | None = None) -> dict[str, float]:
    """Spearman x100 of the grounded vectors on dev word-pair sets, scored by the evaluation suite
    (lower-case lookup, OOV pairs skipped, no bootstrap)."""
    from vgbench.evaluation.policy import Policy
    from vgbench.evaluation.similarity import evaluate_pairs, predict_pairs
    if not grounder.textual:
        raise ValueError("the grounder records no textual source to evaluate")
    benches = [dev_pairs(n, data_root) for n in sets]
    words = frozenset(w for p in benches for w in p.word1 + p.word2)
    emb = grounder.ground_embeddings(load_embeddings_cached(grounder.textual, words), name="epoch")
    out = {}
    for pairs in benches:
        score = evaluate_pairs("epoch", pairs, predict_pairs(emb, pairs, "lower"), Policy(n_boot=0))[0]
        out[pairs.name] = float(score.value)
    return out


_CACHE: dict[tuple[str, frozenset], Embeddings] = {}


def load_embeddings_cached(source: str, words: frozenset[str]) -> Embeddings:
    """Textual vectors of `words` (read once per process: every epoch grounds the same words)."""
    key = (source, words)
    if key not in _CACHE:
        from vgbench.embeddings import load_embeddings
        _CACHE[key] = load_embeddings(source, words=words, case="exact-then-lower")
    return _CACHE[key]


def _chunks(n: int, chunk: int, progress: bool, desc: str):
    from vgbench.progress import progress_bar
    if chunk < 1:
        raise ValueError(f"chunk size must be positive, got {chunk}")
    bar = progress_bar(n, desc, "word", progress, unit_scale=True)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        yield start, stop
        bar.update(stop - start)
    bar.close()


def _plain(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool, type(None)))}
