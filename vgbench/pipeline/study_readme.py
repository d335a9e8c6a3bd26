"""The study's report files: the aggregated tables, the conclusion computed from the tests (and the
margin over GloVe+ABTT against the paper's bar), the machine records of the runs and the README."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from vgbench.pipeline.steps import StepLog, code_version
from vgbench.pipeline.study_eval import COLUMNS
from vgbench.pipeline.study_spec import (MIN_BIN_PAIRS, RULE_COLUMN, TEXTUAL, TITLE, StudySettings,
                                         study_config)
from vgbench.pipeline.study_tests import seed_tests
from vgbench.reporting.study_report import (ALPHA, CONCAT, concreteness_markdown, format_p, seeds_markdown,
                                            significant, tests_markdown)


def aggregate(entries: list[dict]) -> list[dict]:
    """Mean, standard deviation and t-based 95% CI over seeds, per (row, textual, rule)."""
    from vgbench.evaluation.hierarchical import seed_mean_interval
    groups: dict[tuple, list[dict]] = {}
    for e in entries:
        groups.setdefault((e["textual"], e["row"], e["rule"]), []).append(e)
    rows = []
    for (textual, row, rule), members in groups.items():
        agg = {"textual": textual, "row": row, "rule": rule, "seeds": len(members),
               "epochs": [m.get("epoch") for m in members],
               "seconds_per_epoch": float(np.mean([m["seconds_per_epoch"] for m in members]))
               if members[0]["trained"] else None}
        for col in COLUMNS:
            agg[col] = seed_mean_interval([m["scores"][col] for m in members])
        rows.append(agg)
    return rows


def _fmt(cell: dict, spread: bool = True) -> str:
    if cell["sd"] and spread:
        return f"{cell['mean']:.1f} ± {cell['sd']:.1f}"
    return f"{cell['mean']:.1f}"


def write_study_reports(settings: StudySettings, out: Path, entries: list[dict], tests: list[dict],
                        log: StepLog) -> None:
    """The study's report files: runs.csv, summary.csv/.md, tests.csv/.md, seed_tests.csv,
    concreteness.md and README.md."""
    import pandas as pd
    from vgbench.atomic import write_text_atomic
    flat = [{k: v for k, v in e.items() if k != "scores"} | e["scores"] for e in entries]
    write_text_atomic(out / "runs.csv", pd.DataFrame(flat).to_csv(index=False))
    agg = aggregate(entries)
    table = [{"textual": a["textual"], "row": a["row"], "selection": a["rule"], "seeds": a["seeds"],
              **{c: a[c]["mean"] for c in COLUMNS}, **{f"{c} sd": a[c]["sd"] for c in COLUMNS},
              "Mean6 test ci_low": a["Mean6 test"]["ci_low"], "Mean6 test ci_high": a["Mean6 test"]["ci_high"]}
             for a in agg]
    write_text_atomic(out / "summary.csv", pd.DataFrame(table).to_csv(index=False))
    write_text_atomic(out / "tests.csv", pd.DataFrame(tests).to_csv(index=False))
    seeds = seed_tests(tests)
    write_text_atomic(out / "seed_tests.csv", pd.DataFrame(seeds).to_csv(index=False))
    write_text_atomic(out / "concreteness.md", concreteness_markdown(tests))
    from vgbench.reporting.study_report import write_study_page
    from vgbench.reporting.summary import run_stamp
    stamp = run_stamp()   # one command line for the page and the README
    write_study_page(out, agg, tests, entries, study_info(settings, stamp), COLUMNS, summary_markdown(agg))
    write_text_atomic(out / "tests.md", tests_markdown(tests))
    write_text_atomic(out / "README.md", study_readme(settings, agg, tests, seeds, log,
                                                      machine_records(settings.runs, entries), stamp["command"]))


def study_info(settings: StudySettings, stamp: dict):
    """What the study's page says about its rows, policy and run (reporting.study_report.StudyInfo);
    ``stamp`` is `reporting.summary.run_stamp`'s record of this run."""
    from vgbench.grounding.config import describe_changes
    from vgbench.reporting.study_report import StudyInfo
    from vgbench._version import __version__
    stop = f"early stopping (patience {settings.patience})" if settings.patience else "no early stopping"
    describe = {"GloVe": "GloVe 6B (textual vectors), no training",
                "GloVe+ABTT": "GloVe 6B with the mean and top-3 directions removed (Mu & Viswanath 2018), no training",
                "random M": "GloVe grounded through an untrained Xavier M (c = 256), no training"}
    for r in settings.rows:
        cfg = study_config(r, settings.textuals[0], settings.seeds[0], settings)
        over = " ".join(describe_changes(r.changes))
        describe[r.label] = (f"config `{r.config}` ({cfg.model.kind}), c = {cfg.model.grounded_dim}, "
                             f"{_epochs(settings.epochs)}, {stop}" + (f", {over}" if over else ""))
    for search in dict.fromkeys(r.search for r in settings.rows if r.search):
        alts = [r.label for r in settings.rows if r.search == search]
        describe[search] = f"search over {', '.join(alts)}: per seed, the alternative the selection rule prefers"
    if settings.concat:
        for label in [r.label for r in settings.rows] + [r.search for r in settings.rows if r.search]:
            describe[f"{label} {CONCAT}"] = (f"{label}'s selected grounded vectors beside its GloVe vectors, each "
                                             "unit length (concat, alpha 0.5; the paper's Table 6 comparison)")
    policy = [f"{len(settings.seeds)} seeds per trained row, {_epochs(settings.epochs)}, {stop}; overrides: "
              f"{' '.join(describe_changes(settings.changes)) or 'none'}.",
              "Selection 'dev loss': the epoch (and c) with the lowest dev loss, judged on Mean6; 'word dev': the "
              "best mean Spearman on MEN's and SimVerb's dev splits, judged on Mean6 test.",
              f"Tests: two-level bootstrap over seeds and pairs ({settings.n_boot} replicates), Holm over the "
              "families 'conclusions' and 'other' (tests.csv).",
              "Intervals over seeds: Student-t 95% of the seed mean (training runs on these test pairs)."]
    return StudyInfo(title=f"{TITLE.lstrip('# ')} (Flickr8k)", describe=describe, rule_column=RULE_COLUMN,
                     policy=policy, stamp=stamp, version=__version__)


def _numerics(settings: StudySettings) -> str:
    """The batching and arithmetic of the study's training steps, in words."""
    batches = "captions batched by length" if settings.batches == "bucketed" else "captions batched at random"
    if settings.gpu:   # each row's config says (train.amp): the caption -> image configs train float32
        amp = {r.label: study_config(r, settings.textuals[0], settings.seeds[0], settings).train.amp
               for r in settings.rows}
        on, off = [label for label, a in amp.items() if a], [label for label, a in amp.items() if not a]
        if not off:
            return f"{batches}, bf16 autocast on the GPU"
        if not on:
            return f"{batches}, float32 on the GPU"
        return f"{batches}, on the GPU bf16 autocast for {', '.join(on)} and float32 for {', '.join(off)}"
    arithmetic = ("bf16 autocast for the training steps"
                  if settings.precision == "bf16" else "float32")
    return f"{batches}, {arithmetic}"


def _epochs(n: int) -> str:
    return f"{n} epoch{'s' if n != 1 else ''}"


def summary_markdown(agg: list[dict]) -> str:
    """Mean ± SD over seeds of every column, one table per textual source (reporting.render)."""
    from vgbench.reporting.render import Cell, RecordsTable, text_cell
    tables = []
    for textual in dict.fromkeys(a["textual"] for a in agg):
        rows = []
        for a in agg:
            if a["textual"] != textual:
                continue
            epochs = ",".join(str(e) for e in a["epochs"] if e is not None) or "-"
            secs = f"{a['seconds_per_epoch']:.0f}" if a["seconds_per_epoch"] else "-"
            rows.append([text_cell(a["row"]), text_cell(a["rule"]), Cell(str(a["seeds"])), text_cell(epochs),
                         Cell(secs)] + [Cell(_fmt(a[c]), sort=a[c]["mean"]) for c in COLUMNS])
        title = f"GloVe 6B {textual}" if textual in TEXTUAL else textual
        tables.append(RecordsTable(f"summary_{textual}", title, ["row", "selection", "seeds", "epochs", "s/epoch",
                                                                 *COLUMNS], rows,
                                   ["Cells: mean ± standard deviation over seeds."]).to_markdown())
    return "\n".join(tables)


def _verdict(t: dict) -> str:
    if not significant(t):
        return f"not different from {t['baseline']} ({t['delta']:+.1f}, p(Holm) = {format_p(t['p_holm'])})"
    return (f"{'above' if t['delta'] > 0 else 'below'} {t['baseline']} ({t['delta']:+.1f}, "
            f"p(Holm) = {format_p(t['p_holm'])})")


def _find(tests: list[dict], **key) -> dict:
    return next(t for t in tests if all(t.get(k) == v for k, v in key.items()))


def conc_tests(tests: list[dict], row: str, textual: str, rule: str, base: str) -> list[dict]:
    """The concreteness-bin tests of one row against one baseline."""
    return [t for t in tests if (t["row"], t["textual"], t["rule"], t["baseline"]) == (row, textual, rule, base)
            and t["dataset"].startswith("Conc-b")]


def conclusions(agg: list[dict], tests: list[dict], seeds: list[dict]) -> list[str]:
    """Plain sentences computed from the numbers, per textual and selection rule: how every trained
    row compares with GloVe and GloVe+ABTT on the six-set mean, on STS and in each within-set
    concreteness bin (two-level bootstrap over seeds and pairs, Holm over the "conclusions"
    family); then the answer to the study's question (beats GloVe+ABTT on all three,
    significantly)."""
    lines = []
    for textual in dict.fromkeys(a["textual"] for a in agg):
        rows = [a for a in agg if a["textual"] == textual]
        ctrl = {a["row"]: a for a in rows if a["rule"] == "-"}
        winners, any_mean6 = [], []
        for rule, col in RULE_COLUMN.items():
            trained = [a for a in rows if a["rule"] == rule]
            if not trained:
                continue
            lines.append(f"- **GloVe 6B {textual}, selection on {rule}** ({col}; STS mean): GloVe "
                         f"{ctrl['GloVe'][col]['mean']:.1f}; {ctrl['GloVe']['STS mean']['mean']:.2f}, GloVe+ABTT "
                         f"{ctrl['GloVe+ABTT'][col]['mean']:.1f}; {ctrl['GloVe+ABTT']['STS mean']['mean']:.2f}.")
            for a in sorted(trained, key=lambda a: -a[col]["mean"]):
                key = dict(row=a["row"], textual=textual, rule=rule)
                mean6 = [_find(tests, **key, baseline=b, dataset=col) for b in ("GloVe", "GloVe+ABTT")]
                sts = [_find(seeds, **key, baseline=b, score="STS mean") for b in ("GloVe", "GloVe+ABTT")]
                conc = conc_tests(tests, a["row"], textual, rule, "GloVe+ABTT")
                conc_deltas = ", ".join(f"{t['delta']:+.1f}" for t in conc)
                up = sum(significant(t) and t["delta"] > 0 for t in conc)
                down = sum(significant(t) and t["delta"] < 0 for t in conc)
                lines.append(
                    f"  - {a['row']}: {col} {a[col]['mean']:.1f} (95% CI over seeds {a[col]['ci_low']:.1f}–"
                    f"{a[col]['ci_high']:.1f}): {_verdict(mean6[0])}; {_verdict(mean6[1])}. STS mean "
                    f"{a['STS mean']['mean']:.2f} ± {a['STS mean']['sd']:.2f}: {_verdict(sts[0])}; {_verdict(sts[1])}"
                    f". Within-set concreteness bins against GloVe+ABTT: {up} of {len(conc)} above, {down} below "
                    f"(p(Holm) ≤ {ALPHA:g}; deltas {conc_deltas}, abstract to concrete).")
                if significant(mean6[1]) and mean6[1]["delta"] > 0:
                    any_mean6.append(f"{a['row']} ({rule})")
                    if (significant(sts[1]) and sts[1]["delta"] > 0 and down == 0
                            and all(t["delta"] > 0 for t in conc)):
                        winners.append(f"{a['row']} ({rule})")
        if winners:
            lines.append(f"- **Answer ({textual})**: {', '.join(winners)} beat the training-free GloVe+ABTT control "
                         "on the six-set mean and on STS, significantly, and no concreteness bin is worse.")
        elif any_mean6:
            lines.append(f"- **Answer ({textual})**: {', '.join(any_mean6)} beat GloVe+ABTT on the six-set mean "
                         f"(p(Holm) ≤ {ALPHA:g}), but not also on STS and in every concreteness bin; no row meets the whole aim.")
        else:
            lines.append(f"- **Answer ({textual})**: no trained row beats the training-free GloVe+ABTT control on "
                         f"the six-set mean at p(Holm) ≤ {ALPHA:g}.")
        lines += margin_lines(rows, tests, seeds, textual)
    return lines


# The aim of issue 21 at 50d: GloVe+ABTT plus the paper's margins (its Table 1 gains over GloVe).
PAPER_BAR = {"50d": {"Mean6": 47.7, "STS mean": 54.1}}


def margin_lines(rows: list[dict], tests: list[dict], seeds: list[dict], textual: str) -> list[str]:
    """By how much the best trained row (per rule, by its selection column) beats GloVe+ABTT, with
    the two-level test's 95% interval of each difference, and whether it clears the bar."""
    lines = []
    for rule, col in RULE_COLUMN.items():
        trained = [a for a in rows if a["rule"] == rule]
        if not trained:
            continue
        best = max(trained, key=lambda a: a[col]["mean"])
        key = dict(row=best["row"], textual=textual, rule=rule, baseline="GloVe+ABTT")
        mean6, sts = _find(tests, **key, dataset=col), _find(seeds, **key, score="STS mean")
        text = (f"- **Margin ({textual}, {rule})**: best row {best['row']}: {col} {best[col]['mean']:.1f}, "
                f"{mean6['delta']:+.1f} over GloVe+ABTT (95% CI {mean6['ci_low']:+.1f} to {mean6['ci_high']:+.1f}); "
                f"STS mean {best['STS mean']['mean']:.2f}, {sts['delta']:+.2f} (95% CI {sts['ci_low']:+.2f} to "
                f"{sts['ci_high']:+.2f}).")
        bar = PAPER_BAR.get(textual)
        if bar:
            met = best[col]["mean"] >= bar["Mean6"] and best["STS mean"]["mean"] >= bar["STS mean"]
            text += (f" The bar (Mean6 ≥ {bar['Mean6']}, STS ≥ {bar['STS mean']}: GloVe+ABTT plus the paper's "
                     f"margins) is {'met' if met else 'not met'}.")
        lines.append(text)
    return lines


def machine_records(runs: Path, entries: list[dict]) -> dict[str, dict | None]:
    """The machine and numerics the trained runs recorded (summary.json), one entry per distinct
    record: "N runs" -> the record, its seeds joined."""
    from vgbench.pipeline.machines import merge_seeds
    records = [json.loads((runs / name / "summary.json").read_text()).get("machine")
               for name in dict.fromkeys(e["run"] for e in entries if e.get("trained"))]
    return {f"{n} run{'s' if n > 1 else ''}": record for record, n in merge_seeds(records)}


def study_readme(settings: StudySettings, agg: list[dict], tests: list[dict], seeds: list[dict],
                 log: StepLog, machines: dict[str, dict | None] | None = None,
                 command: str = "vgbench study") -> str:
    """The study's README: the command that made it, the question, the rows, the settings, the
    conclusions computed from the numbers, the machine and numerics of the runs, the tables and the steps."""
    from vgbench.grounding.machine import machine_lines
    from vgbench.reporting.escape import markdown_code
    steps = log.table().to_markdown()
    from vgbench.grounding.config import describe_changes
    rows = "\n".join(f"| {r.label} | `{r.config}` | {' '.join(describe_changes(r.changes)) or '-'} |"
                     for r in settings.rows)
    device = "one GPU" if settings.gpu else "CPU"
    stop = (f"early stopping with patience {settings.patience}" if settings.patience
            else "no early stopping, no time cap")
    return f"""{TITLE} (Flickr8k)

Made by {markdown_code(command)} ({code_version()}) on {device}: {len(settings.seeds)} seeds
per trained row, {settings.epochs} epochs each ({stop}); the steps took
{log.total_seconds(list(log.current())) / 3600:.2f} hours.
Overrides: {' '.join(describe_changes(settings.changes)) or 'none'}.

## Conclusion (computed from the tables below)

{chr(10).join(conclusions(agg, tests, seeds))}

## How to read it

- `index.html` shows this report as a page: what was compared, the headline in words, the tables (best
  bold, ▲/▼ from the same p (Holm) as `tests.csv`) and the charts (`scores_*`, `concreteness_*`).
- Scores are Spearman x100 (STS: mean Pearson x100 over each year's subsets, SentEval's protocol).
  Cells are mean ± standard deviation over seeds; `summary.csv` has 95% t-intervals over seeds (the
  spread of training runs on these test pairs; the tests below add the pairs' sampling).
- Selection "dev loss": per run the epoch (and, for the caption -> image model, the c) with the lowest
  dev loss (the paper's rule). Selection "word dev": the highest mean of MEN's 2,000-pair dev split and
  SimVerb's 500-pair dev split; such rows are judged on **Mean6 test**, the six-set mean with MEN's
  1,000-pair test split and SimVerb's 3,000-pair test split in place of the full sets (the full MEN and
  SimVerb contain the dev pairs).
- Paired tests (`tests.md`, all sets in `tests.csv`): a two-level bootstrap ({settings.n_boot} replicates;
  `vgbench.evaluation.hierarchical`): training seeds and test pairs are both random factors, so each
  replicate resamples the pairs (the same resample for the row and the control) and the row's seeds
  (the between-seed variance net of pair sampling, Davison & Hinkley's adjusted resampling); the
  statistic is the difference of seed-mean Spearman (averaged over the six sets for Mean6; STS: the
  mean over years of the mean Pearson over subsets, subsets resampled within themselves). p: |delta| / SE
  on a t reference with Satterthwaite degrees of freedom for the seed part (not floored by the number
  of replicates; `p_resample` in `tests.csv` is the resampling p with its floor `p_floor`). Holm over two
  families, each stated with its size: "conclusions" (the tests the conclusion above reads: the selection
  column and STS mean against both controls, the concreteness bins against GloVe+ABTT) and "other"
  (every further set). The suite's simulation (`tests/test_hierarchical.py`) checks the size at 5%.
- Concreteness (`concreteness.md`): every pair of the six sets is rated by the mean of its two words'
  Brysbaert et al. (2014) concreteness; bins are quintiles cut *within each set* (abstract to concrete),
  so the mix of sets is the same in every bin and cannot make the curve. Per bin, the same two-level test
  restricted to the bin's pairs (sets with at least {MIN_BIN_PAIRS} pairs there), the sets weighted by
  their pairs in the bin.
- STS means and SimLex's concreteness quartiles (`seed_tests.csv`) use the same two-level test (the
  former t-tests over seeds treated the test pairs as fixed).
- Controls: GloVe+ABTT removes the mean and top-3 principal directions (Mu & Viswanath 2018; no
  training); random M grounds through an untrained Xavier M (c = 256). Rows marked "+ABTT" are a
  trained row's grounded vectors (same runs, same selected epochs) with the same post-processing:
  the like-for-like comparison with GloVe+ABTT.
- Numerics of every trained run: {_numerics(settings)}; dev losses, selection and exports
  are float32. `make precision` (`reports/precision/`) measures on the same seeds whether bf16 or
  bucketing moves the figures; `--precision` and `--batches` change them.

## Machine and numerics

What the training runs recorded (`summary.json`); the same config and seed can give different figures
on another CPU or with other numerics:
{chr(10).join(machine_lines(machines or {})) or '- no trained run'}

## Rows

| row | config | overrides |
|---|---|---|
{rows}

## Results

{summary_markdown(agg)}
## Paired tests (Mean6, Mean6 test, SimLex-999, MEN-test, STS mean)

{tests_markdown(tests)}
## By concreteness (`concreteness.md`)

{concreteness_markdown(tests)}
## STS and SimLex quartiles (`seed_tests.csv`)

{seeds_markdown(seeds)}
## Steps

{steps}
"""
