"""`vgbench study` (make study): does grounding beat textual GloVe and a training-free control?

Rows: GloVe, GloVe+ABTT (mean and top-3 directions removed), random M (controls, no training), and
trained models, each with several seeds and a fixed number of epochs (no early stopping, no time
caps): C_GloVe, the 2021 VGE model in the paper's setting and in today's default, and the 2023
caption -> image model with a small search over c (the epoch search comes from the per-epoch
grounders every run keeps). Two selection rules, applied after training from each run's history:
- "dev loss": the epoch (and c) with the lowest dev loss (the paper's rule);
- "word dev": the highest mean Spearman on MEN's dev split and SimVerb's dev split; rows selected this
  way are compared on MEN's 1,000-pair test split and SimVerb's 3,000-pair test split ("Mean6 test").
The best two trained rows (by their word-dev score, never by a reported test set) are trained again on
GloVe 6B 100d. Every training run is a (config, seed) folder under runs/study/ named by a fingerprint
of its settings: a rerun skips finished runs, resumes a killed one, and re-evaluates nothing that is
cached. Reports: reports/study/ (mean and spread over seeds, two-level bootstrap tests over seeds and
pairs against GloVe and GloVe+ABTT with Holm over stated families, within-set concreteness bins, a
README whose conclusion is computed from the numbers). Every statistic comes from
`vgbench.evaluation` (hierarchical, concreteness); this module keeps none of its own.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np

from vgbench.pipeline import fingerprint as fp
from vgbench.pipeline.selection import best_rows, drop_repeated_rows, grounder_path, history, select
from vgbench.pipeline.runner import Experiment
from vgbench.pipeline.study_eval import evaluate_source, summary_scores
from vgbench.pipeline.study_readme import write_study_reports
from vgbench.pipeline.study_spec import RULES, TEXTUAL, TITLE, StudySettings, TrainedRow, train_row
from vgbench.pipeline.study_tests import paired_tests
from vgbench.reporting.study_report import CONCAT


def run_study(settings: StudySettings, echo: Callable[[str], None] = print) -> Path:
    """Train every row and seed, select epochs by both rules, evaluate, test and write the
    study's reports as resumable steps; returns the report folder."""
    from vgbench.atomic import write_text_atomic
    from vgbench.datasets import registry
    settings.runs.mkdir(parents=True, exist_ok=True)
    exp = Experiment(settings, TEXTUAL.get(settings.textuals[0], settings.textuals[0]), echo)
    log = exp.log
    if settings.download and "100d" in settings.textuals:
        from vgbench.embeddings import load_embeddings
        exp.step("fetch GloVe 6B 100d", lambda _: load_embeddings(TEXTUAL["100d"], download=True, words={"the"}),
                 outputs=[], reads_textual=False, fetch=TEXTUAL["100d"])
    entries: list[dict] = []

    def add_controls(textual: str) -> None:
        base = TEXTUAL.get(textual, textual)
        identity = fp.embedding_identity(base)
        entries.append(dict(row="GloVe", textual=textual, rule="-", seed=0, source=base, trained=False,
                            identity=identity))
        entries.append(dict(row="GloVe+ABTT", textual=textual, rule="-", seed=0, source=f"{base}|abtt:3",
                            trained=False, identity=identity))
        for seed in settings.seeds:
            entries.append(dict(row="random M", textual=textual, rule="-", seed=seed, trained=False,
                                source=f"random-m[c=256,seed={seed}]:{base}", identity=identity))

    def add_trained(rows: tuple[TrainedRow, ...], textual: str) -> None:
        runs: dict[tuple[str, int], list[tuple[Path, str]]] = {}
        owner: dict[Path, str] = {}
        for row in rows:
            for seed in settings.seeds:
                run = train_row(row, textual, seed, settings, log, echo)
                owner[run[0]] = row.label
                runs.setdefault((row.label, seed), []).append(run)
                if row.search:
                    runs.setdefault((row.search, seed), []).append(run)
        for (label, seed), found in runs.items():
            upstream = dict(found)
            for rule_name, rule in RULES.items():
                run_dir, epoch, crit = select([d for d, _ in found], rule)
                entry = dict(row=label, textual=textual, rule=rule_name, seed=seed, trained=True,
                             source=str(grounder_path(run_dir, epoch)), epoch=epoch,
                             run=run_dir.name, criterion=crit, identity=upstream[run_dir],
                             alternative=owner[run_dir],
                             seconds_per_epoch=float(np.mean([h["seconds"] for h in history(run_dir)])))
                # the same grounded vectors with GloVe+ABTT's post-processing: the like-for-like
                # comparison with the training-free control
                entries.extend([entry, {**entry, "row": f"{label} +ABTT", "source": f"{entry['source']}|abtt:3"}])
                if settings.concat:   # grounded and textual side by side, each row unit length (alpha 0.5)
                    both = f"concat[alpha=0.5]:{TEXTUAL.get(textual, textual)},{entry['source']}"
                    entries.extend([{**entry, "row": f"{label} {CONCAT}", "source": both},
                                    {**entry, "row": f"{label} {CONCAT} +ABTT", "source": f"{both}|abtt:3"}])

    first = settings.textuals[0]
    add_controls(first)
    add_trained(settings.rows, first)
    for textual in settings.textuals[1:]:
        add_controls(textual)
        add_trained(best_rows(settings.rows, entries, first, settings.best_for_100d), textual)
    entries = drop_repeated_rows(entries, {r.search for r in settings.rows if r.search})

    evaluated_file = settings.runs / "evaluated.json"
    tests_file = settings.runs / "tests.json"

    def _evaluate(_):
        scores = [summary_scores(evaluate_source(e["source"], e["identity"], settings)) for e in entries]
        write_text_atomic(evaluated_file, json.dumps(scores) + "\n")
    evaluation_step = f"evaluate {len(entries)} sources"
    exp.step(evaluation_step, _evaluate, outputs=[evaluated_file], code=fp.EVALUATION,
             sources=[[e["source"], e["identity"]] for e in entries])
    for e, scores in zip(entries, json.loads(evaluated_file.read_text())):
        e["scores"] = scores

    def _tests(_):
        unique = {e["source"]: e["identity"] for e in entries}       # "+ABTT" and search rows repeat sources
        evaluated = {src: evaluate_source(src, identity, settings) for src, identity in unique.items()}
        tests = paired_tests(entries, evaluated, settings, {n: registry.load(n) for n in settings.word_sets})
        write_text_atomic(tests_file, json.dumps(tests) + "\n")
    exp.step("two-level tests over seeds and pairs", _tests, outputs=[tests_file], code=fp.STUDY_TESTS,
             evaluated=log.fingerprint(evaluation_step), n_boot=settings.n_boot)
    tests = json.loads(tests_file.read_text())

    with exp.report(TITLE) as out:
        write_study_reports(settings, out, entries, tests, log)
        write_text_atomic(out / "entries.json", json.dumps(entries, indent=1, default=str) + "\n")
    return settings.out
