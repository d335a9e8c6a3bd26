"""The results object every evaluator fills and every report reads.

One tidy table (one row per embedding x dataset x section x metric) keeps reporting generic:
tables and charts are pivots of it. Policy and provenance travel with it into JSON.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, asdict
from pathlib import Path
from typing import Any

import pandas as pd

from vgbench.atomic import write_text_atomic

SCORE_COLUMNS = ["embedding", "task", "dataset", "section", "metric", "value",
                 "ci_low", "ci_high", "n_used", "n_total"]
TEST_COLUMNS = ["dataset", "section", "metric", "embedding_a", "embedding_b", "value_a",
                "value_b", "delta", "ci_low", "ci_high", "p_value", "method", "n"]


@dataclass
class Score:
    """One correlation (x100) with its bootstrap CI and coverage.

    task: "similarity" or "sts". section: "All", "Adjs", ... for SimLex; a subset name, "mean",
    "wmean" or "all" for STS years. metric: "spearman" or "pearson".
    """
    embedding: str
    task: str
    dataset: str
    section: str
    metric: str
    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    n_used: int = 0
    n_total: int = 0
    note: str = ""  # why `value` is undefined (NaN), e.g. "gold scores are constant"


@dataclass
class PairedTest:
    """Does embedding_b beat embedding_a on the same pairs? delta = value_b - value_a (x100)."""
    dataset: str
    section: str
    metric: str
    embedding_a: str
    embedding_b: str
    value_a: float
    value_b: float
    delta: float
    ci_low: float | None
    ci_high: float | None
    p_value: float
    method: str
    n: int


@dataclass
class Results:
    """Scores, paired tests, and per-embedding metadata (source, policy, load statistics)."""
    scores: list[Score] = field(default_factory=list)
    tests: list[PairedTest] = field(default_factory=list)
    embeddings: dict[str, dict[str, Any]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def frame(self) -> pd.DataFrame:
        """All scores as a DataFrame with SCORE_COLUMNS."""
        return pd.DataFrame([asdict(s) for s in self.scores], columns=SCORE_COLUMNS)

    def tests_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(t) for t in self.tests], columns=TEST_COLUMNS)

    def embedding_names(self) -> list[str]:
        return list(self.embeddings) or list(dict.fromkeys(s.embedding for s in self.scores))

    def get(self, embedding: str, dataset: str, section: str = "All",
            metric: str | None = None) -> Score:
        for s in self.scores:
            if (s.embedding, s.dataset, s.section) == (embedding, dataset, section) and (
                    metric is None or s.metric == metric):
                return s
        raise KeyError(f"no score for {embedding!r} on {dataset}/{section}"
                       + (f"/{metric}" if metric else ""))

    def merge(self, other: "Results") -> "Results":
        return Results(self.scores + other.scores, self.tests + other.tests,
                       {**self.embeddings, **other.embeddings}, {**self.settings, **other.settings})

    def to_dict(self) -> dict[str, Any]:
        return {"format": "vgbench-results/1", "settings": self.settings,
                "embeddings": self.embeddings,
                "scores": [asdict(s) for s in self.scores],
                "tests": [asdict(t) for t in self.tests]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Results":
        scores = [{**s, "value": float("nan") if s.get("value") is None else s["value"]}
                  for s in data.get("scores", [])]
        return cls([Score(**s) for s in scores],
                   [PairedTest(**t) for t in data.get("tests", [])],
                   dict(data.get("embeddings", {})), dict(data.get("settings", {})))

    def to_json(self) -> str:
        """The JSON text that save_json writes (reports render it before writing anything)."""
        return json.dumps(_nan_to_none(self.to_dict()), indent=1, default=_jsonable, allow_nan=False)

    def save_json(self, path: str | os.PathLike) -> Path:
        return write_text_atomic(path, self.to_json())

    @classmethod
    def load_json(cls, path: str | os.PathLike) -> "Results":
        return cls.from_dict(json.loads(Path(path).read_text()))


def _nan_to_none(obj: Any) -> Any:
    """Strict JSON has no NaN: an undefined correlation (fewer than 3 pairs) is written as null."""
    if isinstance(obj, float) and obj != obj:
        return None
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_nan_to_none(v) for v in obj]
    return obj


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")

