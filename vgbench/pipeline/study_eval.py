"""Evaluating one study source once: its scores, its cosines on every word-pair set and its STS
predictions, cached by source, content identity, sets and evaluation code, so the tests can resample
pairs without evaluating again."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from vgbench.evaluation.policy import DEFAULT, STS_AGGREGATE, STS_METRIC
from vgbench.pipeline import fingerprint as fp
from vgbench.pipeline.study_spec import CONC, SIX, SIX_TEST, STS, WORD_SETS, StudySettings


# ---------------------------------------------------------------------------------- evaluation
@dataclass
class Evaluated:
    """Scores of one source (dataset/section -> value x100) and its cosines on every word-pair set."""
    scores: dict[str, float]
    cosines: dict[str, list[float | None]]
    sts: dict[str, dict[str, list]] = field(default_factory=dict)   # year -> cosine, gold, groups


def evaluate_source(source: str, identity, settings: StudySettings) -> Evaluated:
    """Evaluate a source once: cached under runs/study/eval/, keyed by the source, what identifies its
    contents (`identity`: the training step's fingerprint, or the textual files), the sets and the
    evaluation code."""
    from vgbench.atomic import write_text_atomic
    key = fp.digest([source, identity, settings.word_sets, settings.sts, fp.source_digest(fp.EVALUATION),
                     "sts-predictions"])
    cache = settings.runs / "eval" / f"{key}.json"
    if cache.exists():
        data = json.loads(cache.read_text())
        return Evaluated(data["scores"], data["cosines"], data["sts"])
    from vgbench.evaluation.api import evaluate, load_sources, resolve_datasets
    from vgbench.evaluation.similarity import predict_pairs
    bench = resolve_datasets(settings.word_sets + settings.sts)
    emb = load_sources([source], bench.vocabulary(), download=settings.download)[0]
    results = evaluate([emb], settings.word_sets + settings.sts, n_boot=0, paired_test="none")
    scores = {}
    for s in results.scores:
        if s.task == "similarity" or s.section == STS_AGGREGATE and s.metric == STS_METRIC:
            scores[f"{s.dataset}/{s.section}"] = s.value
    cosines = {}
    for pairs in bench.similarity:
        pred = predict_pairs(emb, pairs, DEFAULT.case)
        cosines[pairs.name] = [None if not c else float(v) for v, c in zip(pred.cosine, pred.covered)]
    from vgbench.evaluation.sts import predict_sts
    sts = {}
    for year in bench.sts:
        p = predict_sts(emb, year, DEFAULT.sts_case)
        sts[year.name] = {"cosine": p.cosine.tolist(), "gold": p.gold.tolist(), "groups": p.groups.tolist()}
    write_text_atomic(cache, json.dumps({"source": source, "scores": scores, "cosines": cosines,
                                         "sts": sts}) + "\n")
    return Evaluated(scores, cosines, sts)


def summary_scores(ev: Evaluated) -> dict[str, float]:
    """The study's columns for one source."""
    s = ev.scores
    out = {name: s.get(f"{name}/All", float("nan")) for name in WORD_SETS}
    out["Mean6"] = float(np.mean([out[n] for n in SIX]))
    out["Mean6 test"] = float(np.mean([out[n] for n in SIX_TEST]))
    sts = [s.get(f"{y}/{STS_AGGREGATE}", float("nan")) for y in STS]
    out["STS mean"] = float(np.mean(sts))
    for q in CONC:
        out[f"SimLex {q}"] = s.get(f"SimLex-999/{q}", float("nan"))
    return out


# ------------------------------------------------------------------------------------- reports
COLUMNS = ["Mean6", "Mean6 test", *SIX, "MEN-test", "SimVerb-test", "STS mean",
           *[f"SimLex {q}" for q in CONC]]
