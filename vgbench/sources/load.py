"""Turn any source into Embeddings: a spec string (file, registry name, checkpoint, control,
post-processing) or vectors already in memory. Everything that reads a source goes through here."""
from __future__ import annotations

import os
from typing import Callable, Iterable

from vgbench.embeddings import load_embeddings
from vgbench.embeddings.registry import split_source
from vgbench.embeddings.core import Embeddings
from vgbench.embeddings.loading import word_filter
from vgbench.embeddings.postprocess import DEFAULT_FIT_ROWS, apply, parse_steps
from vgbench.sources.checkpoint import is_checkpoint, load_checkpoint
from vgbench.sources.controls import concat, random_m
from vgbench.sources.memory import ACCEPTED, as_embeddings, default_label, is_in_memory
from vgbench.sources.spec import SourceSpec, display_name, head_rows_needed, parse_spec, with_default_steps

# What a checkpoint passes on to the reading of its textual vectors.
_CHECKPOINT_OPTIONS = ("head_rows", "progress", "nonfinite", "download", "name")


def load_target(target: str, words: Iterable[str] | None = None, case: str = "exact",
                fmt: str | None = None, **load_kw) -> Embeddings:
    """One file or registry name: a trained checkpoint is grounded on the fly, anything else is
    read by vgbench.embeddings.load_embeddings (same word filter, head rows and options)."""
    kind, path = split_source(target)
    if kind == "file" and fmt in (None, "checkpoint") and is_checkpoint(path):
        return load_checkpoint(path, words, case, **{k: v for k, v in load_kw.items()
                                                       if k in _CHECKPOINT_OPTIONS})
    if fmt == "checkpoint":
        raise ValueError(f"{path}: --format checkpoint, but this is not a vgbench checkpoint or "
                         f"grounder (.pt); leave --format out to have the format sniffed")
    return load_embeddings(target, words=words, case=case, fmt=fmt, **load_kw)


def resolve(spec: SourceSpec | str, words: set[str] | None = None, postprocess: str | None = None,
            fit_rows: int = DEFAULT_FIT_ROWS, load: Callable[[str, int], Embeddings] | None = None,
            **load_kw) -> Embeddings:
    """Load a source spec: its target(s), the control it names, then post-processing.

    `postprocess` applies when the spec has no `|STEPS` of its own. `load(target, head_rows)`
    replaces the plain loader, so a caller can read each file once for several specs; the
    returned Embeddings is always a new object (the loaded one is never renamed).
    """
    spec = parse_spec(spec) if isinstance(spec, str) else spec
    steps = spec.postprocess or postprocess
    pipeline = parse_steps(steps, fit_rows) if steps and steps != "none" else None
    head = head_rows_needed(spec, postprocess, fit_rows)
    if load is None:
        def load(target: str, head_rows: int) -> Embeddings:
            return load_target(target, words=words, head_rows=head_rows, **load_kw)
    loaded = [load(t, head) for t in spec.targets]
    if spec.kind == "random-m":
        emb = random_m(loaded[0], int(spec.params.get("c", 256)), int(spec.params.get("seed", 0)))
    elif spec.kind == "concat":
        emb = concat(loaded[0], loaded[1], float(spec.params.get("alpha", 0.5)),
                     spec.params.get("normalize", "true").lower() not in ("0", "false", "no"))
    else:
        emb = loaded[0]
    if pipeline is not None:
        emb = apply(emb, pipeline)
    if emb is loaded[0]:
        emb = _copy(emb)
    emb.name = display_name(spec)
    return emb


def load_source(source, words: Iterable[str] | None = None, case: str = "exact",
                postprocess: str | None = None, fit_rows: int = DEFAULT_FIT_ROWS,
                name: str | None = None, **load_kw) -> Embeddings:
    """Any source as Embeddings: a spec string or path (see vgbench.sources.spec), a SourceSpec,
    or vectors in memory (an Embeddings, a gensim KeyedVectors, a (words, matrix) pair, a
    {word: vector} mapping).

    words/case: keep only the rows these words resolve to under the case policy, as a streaming
    file read does. postprocess: steps ("abtt:3") for a source that names none of its own, fitted
    on its first `fit_rows` rows. load_kw (fmt, progress, download, nonfinite, vocab) apply to files.
    """
    if is_in_memory(source):
        emb = as_embeddings(source, name)
        pipeline = parse_steps(postprocess, fit_rows) if postprocess and postprocess != "none" else None
        emb = apply(emb, pipeline) if pipeline is not None else _copy(emb)
        if words is not None:
            keep = word_filter(words, case)
            emb = emb.subset([w for w in emb.words if keep(w)])
    else:
        spec = source if isinstance(source, SourceSpec) else with_default_steps(_text(source), postprocess)
        emb = resolve(spec, words, postprocess, fit_rows, case=case, **load_kw)
    if name:
        emb.name = name
    return emb


def source_list(sources) -> list:
    """One source or several as a list: specs kept as strings, in-memory vectors as Embeddings
    (an Embeddings keeps its name; unnamed vectors are labelled by position: kv-1, vectors-2)."""
    if isinstance(sources, (str, os.PathLike)) or is_in_memory(sources):
        sources = [sources]
    return [(as_embeddings(s, None if isinstance(s, Embeddings) else default_label(s, i))
             if is_in_memory(s) else _text(s)) for i, s in enumerate(sources, 1)]


def _text(source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    raise TypeError(f"cannot use a {type(source).__name__} as a source; expected {ACCEPTED}")


def _copy(emb: Embeddings) -> Embeddings:
    return Embeddings(emb.words, emb.vectors, emb.name, dict(emb.meta))
