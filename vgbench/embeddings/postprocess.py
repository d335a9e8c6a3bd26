"""Post-processing steps that compose in order: center, abtt:D, normalize, whiten:K.

The controls a grounding result must beat: "all-but-the-top" (Mu & Viswanath, ICLR 2018) removes
the mean and the top D principal directions, with no training and no images. Statistics (mean,
principal directions) are estimated on the N most frequent words — the first N rows of the file,
which a streaming load keeps alongside the benchmark words — and then applied to every row.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from vgbench.embeddings.core import Embeddings

log = logging.getLogger(__name__)

DEFAULT_FIT_ROWS = 100_000
STEP_NAMES = ("center", "abtt", "normalize", "whiten")


@dataclass
class Step:
    """One step; `param` is D for abtt and K for whiten."""
    name: str
    param: int | None = None

    def label(self) -> str:
        return self.name if self.param is None else f"{self.name}:{self.param}"


@dataclass
class Pipeline:
    steps: list[Step]
    fit_rows: int = DEFAULT_FIT_ROWS
    fitted: list[dict] = field(default_factory=list)

    def label(self) -> str:
        return "+".join(s.label() for s in self.steps)

    @property
    def needs_fit(self) -> bool:
        return any(s.name != "normalize" for s in self.steps)

    def describe(self) -> dict:
        return {"steps": [s.label() for s in self.steps], "fit_rows": self.fit_rows}


def parse_steps(spec: str, fit_rows: int = DEFAULT_FIT_ROWS) -> Pipeline:
    """'center,abtt:3,normalize' -> Pipeline. Raises ValueError naming the bad step."""
    steps = []
    for raw in [s.strip() for s in spec.replace("+", ",").split(",") if s.strip()]:
        name, _, arg = raw.partition(":")
        name = name.lower()
        if name not in STEP_NAMES:
            raise ValueError(f"unknown post-processing step {raw!r}; expected center, abtt:D, normalize, whiten:K")
        if name in ("abtt", "whiten"):
            if not arg.isdigit() or int(arg) < (1 if name == "whiten" else 0):
                raise ValueError(f"post-processing step {raw!r}: expected {name}:N with a whole number N")
            steps.append(Step(name, int(arg)))
        else:
            if arg:
                raise ValueError(f"post-processing step {raw!r}: {name} takes no parameter")
            steps.append(Step(name))
    if not steps:
        raise ValueError(f"empty post-processing spec {spec!r}")
    if fit_rows < 1:
        raise ValueError(f"post-processing fit rows must be positive, got {fit_rows}")
    return Pipeline(steps, fit_rows)


def top_directions(centered: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k principal directions (rows, unit length) and the explained variance ratio of all.

    Eigen-decomposition of the d x d scatter matrix: the same directions as an SVD of the
    (N x d) data, at a fraction of the cost for N = 100,000.
    """
    var, vecs = np.linalg.eigh(centered.T @ centered)
    order = np.argsort(var)[::-1]
    var, vecs = np.clip(var[order], 0, None), vecs[:, order]
    return vecs[:, :k].T, var / var.sum()


def check_dimension(emb: Embeddings, pipeline: Pipeline) -> None:
    """abtt:D removes D of the `dim` directions: D ≥ dim leaves nothing but float residue."""
    for step in pipeline.steps:
        if step.name == "abtt" and step.param and step.param >= emb.dim:
            raise ValueError(f"{emb.name}: post-processing step {step.label()!r} removes "
                             f"{step.param} directions from {emb.dim}-dimensional vectors; "
                             f"expected abtt:D with D < {emb.dim}")


def fit_warning(pipeline: Pipeline, used: int, rows_read: int | None = None) -> str | None:
    """The visible warning when the statistics were fitted on fewer rows than asked."""
    if used >= pipeline.fit_rows:
        return None
    why = (f"the source has only {rows_read:,} rows" if rows_read is not None else
           "the source has fewer rows")
    return (f"post-processing {pipeline.label()} fitted on {used:,} rows, fewer than the "
            f"{pipeline.fit_rows:,} asked ({why}); its figures are not comparable with a fit "
            f"on {pipeline.fit_rows:,} rows")


def apply(emb: Embeddings, pipeline: Pipeline, fit_words: list[str] | None = None) -> Embeddings:
    """Apply the steps in order. Statistics come from `fit_words` (default: the first fit_rows
    rows, i.e. the embedding's most frequent words in file order). Fewer fit rows than asked is
    logged as a warning and recorded in meta["postprocess"]["warning"]."""
    check_dimension(emb, pipeline)
    vectors = emb.vectors.astype(np.float64)
    fit_idx = (np.arange(min(pipeline.fit_rows, len(emb))) if fit_words is None
               else np.array([emb.index[w] for w in fit_words if w in emb.index]))
    if pipeline.needs_fit and len(fit_idx) < 2:
        raise ValueError(f"{emb.name}: post-processing needs at least 2 rows to estimate statistics")
    fitted = []
    for step in pipeline.steps:
        if step.name == "normalize":
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors = vectors / np.where(norms == 0, 1, norms)
            fitted.append({"step": "normalize"})
            continue
        mean = vectors[fit_idx].mean(axis=0)
        if step.name == "center":
            vectors = vectors - mean
            fitted.append({"step": "center", "mean_norm": float(np.linalg.norm(mean))})
        elif step.name == "abtt":
            vectors = vectors - mean
            if step.param:
                dirs, ratio = top_directions(vectors[fit_idx], step.param)
                vectors = vectors - (vectors @ dirs.T) @ dirs
                fitted.append({"step": step.label(), "explained_variance": ratio[:step.param].tolist()})
            else:
                fitted.append({"step": step.label()})
        elif step.name == "whiten":
            centered = vectors - mean
            k = min(step.param, emb.dim)
            dirs, _ = top_directions(centered[fit_idx], k)
            std = (centered[fit_idx] @ dirs.T).std(axis=0, ddof=1)
            vectors = (centered @ dirs.T) / np.where(std == 0, 1, std)
            fitted.append({"step": step.label(), "kept_dims": int(k)})
    described = {**pipeline.describe(), "fit_rows_used": int(len(fit_idx)), "fitted": fitted}
    if pipeline.needs_fit:
        rows = emb.meta.get("rows_read")
        warning = fit_warning(pipeline, int(len(fit_idx)), rows if isinstance(rows, int) else None)
        if warning:
            log.info("%s: %s", emb.name, warning)  # the CLI and every report show it
            described["warning"] = warning
    meta = {**emb.meta, "postprocess": described}
    return Embeddings(emb.words, vectors.astype(np.float32), f"{emb.name}+{pipeline.label()}", meta)


def explained_variance(emb: Embeddings, fit_rows: int = DEFAULT_FIT_ROWS, top: int = 20) -> np.ndarray:
    """Explained-variance ratio of the top principal directions of the first `fit_rows` rows."""
    sample = emb.vectors[:fit_rows].astype(np.float64)
    _, ratio = top_directions(sample - sample.mean(axis=0), top)
    return ratio[:top]
