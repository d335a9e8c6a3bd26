"""The results object every evaluator fills and every report reads.

One tidy table (one row per embedding x dataset x section x metric) keeps reporting generic:
tables and charts are pivots of it. Policy and provenance travel with it into JSON.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from vgbench.atomic import write_text_atomic

SCORE_COLUMNS = ["embedding", "task", "dataset", "section", "metric", "value",
                 "ci_low", "ci_high", "n_used", "n_total"]
# The one multiple-testing family of a report: every paired test it shows. The ▲/▼ marks of the
# score tables and the paired-tests table read the same adjusted p, so they cannot disagree.
FAMILY = "all {n} paired tests of this report (Holm–Bonferroni)"

TEST_COLUMNS = ["dataset", "section", "metric", "embedding_a", "embedding_b", "value_a",
                "value_b", "delta", "ci_low", "ci_high", "p_value", "method", "n", "p_adjusted",
                "family", "p_resample", "p_floor"]


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
    p_adjusted: float | None = None   # Holm over `family`
    family: str | None = None         # which tests p_adjusted was corrected over
    p_resample: float | None = None   # Monte Carlo bootstrap p, resolution p_floor = 1/(B+1)
    p_floor: float | None = None


@dataclass
class Results:
    """Scores, paired tests, and per-embedding metadata (source, policy, load statistics).

    pairs / predictions (word-pair sets only) keep every pair's words and gold score and each
    embedding's cosine (None where a word is missing), so analyses by pair (concreteness) can be
    rebuilt from results.json alone.
    """
    scores: list[Score] = field(default_factory=list)
    tests: list[PairedTest] = field(default_factory=list)
    embeddings: dict[str, dict[str, Any]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    pairs: dict[str, dict[str, list]] = field(default_factory=dict)
    predictions: dict[str, dict[str, list]] = field(default_factory=dict)
    cached: dict[str, Any] | None = field(default=None, compare=False, repr=False)  # not saved

    def frame(self) -> pd.DataFrame:
        """All scores as a DataFrame with SCORE_COLUMNS."""
        import pandas as pd  # here: pandas is slow to import and most callers never ask
        return pd.DataFrame([asdict(s) for s in self.scores], columns=SCORE_COLUMNS)

    def tests_frame(self) -> pd.DataFrame:
        """The paired tests as a DataFrame (the columns of tests.csv)."""
        import pandas as pd
        return pd.DataFrame([asdict(t) for t in self.tests], columns=TEST_COLUMNS)

    def embedding_names(self) -> list[str]:
        """The embeddings in evaluation order."""
        return list(self.embeddings) or list(dict.fromkeys(s.embedding for s in self.scores))

    def get(self, embedding: str, dataset: str, section: str = "All",
            metric: str | None = None) -> Score:
        """The score of one embedding on one dataset section (and metric); KeyError naming
        what is missing."""
        for s in self.scores:
            if (s.embedding, s.dataset, s.section) == (embedding, dataset, section) and (
                    metric is None or s.metric == metric):
                return s
        raise KeyError(f"no score for {embedding!r} on {dataset}/{section}"
                       + (f"/{metric}" if metric else ""))

    def family_adjusted(self) -> list[float]:
        """Each test's Holm-adjusted p over the report's family (all its tests; NaN where a test
        has no p)."""
        from vgbench.evaluation.statistics import holm
        return [float(p) for p in holm([float("nan") if t.p_value is None else t.p_value
                                          for t in self.tests])]

    def adjust_family(self) -> "Results":
        """Store in every test the family and adjusted p that the report shows; returns self."""
        adjusted = self.family_adjusted()
        family = FAMILY.format(n=sum(p == p for p in adjusted))
        for t, p in zip(self.tests, adjusted):
            t.p_adjusted, t.family = (p if p == p else None), family
        return self

    def merge(self, other: "Results") -> "Results":
        """Both results in one; the tests' family becomes all tests of the merged report."""
        preds = {k: dict(v) for k, v in self.predictions.items()}
        for name, per_set in other.predictions.items():
            preds.setdefault(name, {}).update(per_set)
        settings = dict(self.settings)
        for k, v in other.settings.items():  # per-dataset maps (checksums, citations) combine
            both = isinstance(v, dict) and isinstance(settings.get(k), dict) and k != "policy"
            lists = isinstance(v, list) and isinstance(settings.get(k), list)
            settings[k] = ({**settings[k], **v} if both else
                           list(dict.fromkeys(settings[k] + v)) if lists else v)
        return Results(self.scores + other.scores, self.tests + other.tests,
                       {**self.embeddings, **other.embeddings}, settings,
                       {**self.pairs, **other.pairs}, preds).adjust_family()

    def to_dict(self) -> dict[str, Any]:
        """The results as results.json stores them (format vgbench-results/1)."""
        return {"format": "vgbench-results/1", "settings": self.settings,
                "embeddings": self.embeddings,
                "scores": [asdict(s) for s in self.scores],
                "tests": [asdict(t) for t in self.tests],
                **({"pairs": self.pairs, "predictions": self.predictions} if self.pairs else {})}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Results":
        """Results from results.json's dictionary (null scores read back as NaN)."""
        scores = [{**s, "value": float("nan") if s.get("value") is None else s["value"]}
                  for s in data.get("scores", [])]
        return cls([Score(**s) for s in scores],
                   [PairedTest(**t) for t in data.get("tests", [])],
                   dict(data.get("embeddings", {})), dict(data.get("settings", {})),
                   dict(data.get("pairs", {})), dict(data.get("predictions", {})))

    def to_json(self) -> str:
        """The JSON text that save_json writes (reports render it before writing anything)."""
        return json.dumps(_nan_to_none(self.to_dict()), indent=1, default=_jsonable, allow_nan=False)

    def save_json(self, path: str | os.PathLike) -> Path:
        """Write results.json atomically; returns its path."""
        return write_text_atomic(path, self.to_json())

    @classmethod
    def load_json(cls, path: str | os.PathLike) -> "Results":
        """Results from a results.json file."""
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

