"""Source specs: how one command-line string names an embedding, a control, or a post-processed one.

    glove-6b-50d                       a registry name
    vectors.txt                        a file in any format (sniffed)
    runs/vge/best.pt                   a trained checkpoint (grounded on the fly)
    'glove-6b-50d|abtt:3'              any source, post-processed (steps in order)
    'random-m[c=256,seed=0]:glove-6b-50d'
                                       the grounding export with an untrained (Xavier) mapping
    'concat[alpha=0.5]:glove-6b-50d,grounded.txt'
                                       [(1-alpha) * textual ; alpha * grounded], each row unit length
                                       first (paper Table 6: alpha=1 is grounded only)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from vgbench.embeddings.core import Embeddings
from vgbench.embeddings.postprocess import DEFAULT_FIT_ROWS, Pipeline, apply, parse_steps
from vgbench.embeddings.sources import load_embeddings

_CONTROL = re.compile(r"^(random-m|concat)(?:\[([^\]]*)\])?:(.+)$", re.IGNORECASE)


@dataclass
class SourceSpec:
    kind: str                    # "plain" | "random-m" | "concat"
    targets: list[str]
    params: dict[str, str] = field(default_factory=dict)
    postprocess: str | None = None
    text: str = ""

    def label(self) -> str:
        return self.text


def parse_spec(text: str) -> SourceSpec:
    """Parse a source string (see the module docstring). Plain paths pass through untouched."""
    body, post = text, None
    if "|" in text:
        body, _, post = text.rpartition("|")
        parse_steps(post)  # fail early with a clear message
    m = _CONTROL.match(body)
    if not m:
        return SourceSpec("plain", [body], {}, post, text)
    kind, raw_params, rest = m.group(1).lower(), m.group(2) or "", m.group(3)
    params = {}
    for item in [p.strip() for p in raw_params.split(",") if p.strip()]:
        key, eq, value = item.partition("=")
        if not eq:
            raise ValueError(f"source {text!r}: parameter {item!r} should be key=value")
        params[key.strip().lower()] = value.strip()
    allowed = {"random-m": {"c", "seed"}, "concat": {"alpha", "normalize"}}[kind]
    unknown = set(params) - allowed
    if unknown:
        raise ValueError(f"source {text!r}: unknown parameter(s) {', '.join(sorted(unknown))}; "
                         f"{kind} takes {', '.join(sorted(allowed))}")
    targets = rest.split(",") if kind == "concat" else [rest]
    if kind == "concat" and len(targets) != 2:
        raise ValueError(f"source {text!r}: concat takes two sources, TEXTUAL,GROUNDED")
    return SourceSpec(kind, targets, params, post, text)


def random_m(emb: Embeddings, c: int, seed: int = 0) -> Embeddings:
    """Textual vectors through an untrained d x c mapping, initialised as the trainer does (Xavier)."""
    import torch

    from vgbench.grounding.grounder import Grounder
    gen = torch.Generator().manual_seed(seed)
    bound = float(np.sqrt(6.0 / (emb.dim + c)))  # xavier_uniform_ for a (d, c) matrix
    M = (torch.rand(emb.dim, c, generator=gen) * 2 - 1) * bound
    out = Grounder(M=M.numpy()).ground_embeddings(emb, name=f"random-M[c={c},seed={seed}]:{emb.name}")
    out.meta["control"] = {"kind": "random-m", "c": c, "seed": seed}
    return out


def concat(textual: Embeddings, grounded: Embeddings, alpha: float, normalize: bool = True) -> Embeddings:
    """[(1-alpha) * textual ; alpha * grounded] over the words both have (textual order)."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"concat alpha must lie in [0, 1], got {alpha}")
    words = [w for w in textual.words if w in grounded.index]
    a = textual.subset(words)
    b = grounded.subset(words)
    va, vb = (a.normalized(), b.normalized()) if normalize else (a.vectors, b.vectors)
    out = np.hstack([(1 - alpha) * va, alpha * vb]).astype(np.float32)
    return Embeddings(words, out, f"concat[alpha={alpha:g}]:{textual.name},{grounded.name}",
                      {"control": {"kind": "concat", "alpha": alpha, "normalize": normalize,
                                   "textual": textual.name, "grounded": grounded.name}})


def head_rows_needed(spec: SourceSpec, postprocess: str | None = None,
                     fit_rows: int = DEFAULT_FIT_ROWS) -> int:
    """Rows from the top of each target file that post-processing will fit on (0: none)."""
    steps = spec.postprocess or postprocess
    if not steps or steps == "none":
        return 0
    return fit_rows if parse_steps(steps, fit_rows).needs_fit else 0


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
    pipeline: Pipeline | None = parse_steps(steps, fit_rows) if steps and steps != "none" else None
    head = head_rows_needed(spec, postprocess, fit_rows)
    if load is None:
        def load(target: str, head_rows: int) -> Embeddings:
            return load_embeddings(target, words=words, head_rows=head_rows, **load_kw)
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
        emb = Embeddings(emb.words, emb.vectors, emb.name, dict(emb.meta))
    emb.name = display_name(spec)
    return emb


def display_name(spec: SourceSpec) -> str:
    """Table label: a plain file's name without its folders (registry names as given), the
    control's spec otherwise, and '|steps' when post-processed."""
    from pathlib import Path
    body = spec.text.rpartition("|")[0] if spec.postprocess else spec.text
    if spec.kind == "plain" and Path(body).exists():
        body = Path(body).name
    return f"{body}|{spec.postprocess}" if spec.postprocess else body
