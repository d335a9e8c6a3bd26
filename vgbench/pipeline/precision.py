"""The precision/batching study (issue 21, `make precision`): does bf16 autocast or length bucketing
move the caption -> image model's figures?

The same seeds train the caption -> image model (c = 256, GloVe 6B 50d, a fixed number of epochs, no
early stopping) in the 2 x 2 grid float32 / bf16 autocast x random / bucketed batches, and, on
request, with the throwaway prototype's remaining choices (frozen zero rows for words without a
textual vector; image standardisation over all images) on float32 random batches. Each run is judged
at its last epoch on the study's figures (Mean6, Mean6 test, STS mean; `pipeline.study_eval`'s
evaluation and cache), and the report names the machine every run recorded, so the table says on
which CPU (AMX or not) it holds. Runs are fingerprinted steps: a rerun trains only what is missing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from vgbench.pipeline.settings import RunSettings
from vgbench.pipeline.runner import Experiment
from vgbench.pipeline.training import finished, train_step

TITLE = "# Precision and batching: do the numbers depend on the CPU?"
FIGURES = ("Mean6", "Mean6 test", "STS mean")
REFERENCE = "float32, random batches"


@dataclass(frozen=True)
class Cell:
    """One setting of the study: a label, what it changes in the training config, and the setting it
    differs from by one choice (its paired Δ is taken against that one, so each Δ isolates one choice)."""
    label: str
    changes: dict = field(hash=False)
    versus: str | None = None


def _numerics(bf16: bool, bucketed: bool) -> dict:
    # train.amp is CUDA's switch, train.amp_cpu the CPU's: both set, so a cell means the same on either
    return {"train": {"amp": bf16, "amp_cpu": bf16, "bucket_by_length": bucketed}}


GRID = (
    Cell(REFERENCE, _numerics(False, False)),
    Cell("float32, bucketed", _numerics(False, True), versus=REFERENCE),
    Cell("bf16, random batches", _numerics(True, False), versus=REFERENCE),
    Cell("bf16, bucketed", _numerics(True, True), versus="float32, bucketed"),
)
PROTOTYPE = (
    Cell("float32, random, unknown rows zero", {**_numerics(False, False), "model": {"unknown_rows": "zero"}},
         versus=REFERENCE),
    Cell("float32, random, standardise all images", {**_numerics(False, False), "data": {"standardise": "all"}},
         versus=REFERENCE),
    Cell("float32, random, both prototype choices",
         {**_numerics(False, False), "model": {"unknown_rows": "zero"}, "data": {"standardise": "all"}},
         versus=REFERENCE),
)


@dataclass
class PrecisionSettings(RunSettings):
    """The precision study's run: the model, c, textual, seeds, epochs and which settings to train."""
    out: Path = Path("reports/precision")
    runs: Path = Path("runs/precision")
    config: str = "caption_image"
    grounded_dim: int = 256
    textual: str = "50d"
    seeds: tuple[int, ...] = (0, 1, 2)
    epochs: int = 6
    with_prototype_choices: bool = False
    only: tuple[str, ...] = ()                    # cells to train (labels or their slugs); () = all
    report_only: bool = False                     # report the runs that finished; train nothing
    changes: dict = field(default_factory=dict)   # applied to every run last (`--set`)
    download: bool = False

    @property
    def cells(self) -> tuple[Cell, ...]:
        """The settings to train: the 2x2 grid, plus the prototype's choices when asked, cut to
        ``only`` when given (a shorter study that still pairs each choice with its neighbour)."""
        from vgbench.pipeline.study_spec import _slug
        cells = GRID + (PROTOTYPE if self.with_prototype_choices else ())
        if not self.only:
            return cells
        def key(name: str) -> str:   # "float32, bucketed", "float32_bucketed" and "Float32-Bucketed" alike
            return "_".join(part for part in _slug(name).split("_") if part)
        known = {key(c.label): c for c in cells}
        unknown = [name for name in self.only if key(name) not in known]
        if unknown:
            raise ValueError(f"unknown precision setting {unknown[0]!r}; expected one of " + ", ".join(known))
        wanted = {known[key(name)].label for name in self.only}
        return tuple(c for c in cells if c.label in wanted)

    def study_settings(self):
        """The study's settings that its evaluation reads (sets, cache folder, data)."""
        from vgbench.pipeline.study_spec import StudySettings
        return StudySettings(runs=self.runs, data_root=self.data_root, download=self.download)


def cell_config(cell: Cell, seed: int, settings: PrecisionSettings):
    """The training config of one (cell, seed), in a folder named by its settings."""
    from vgbench.grounding.config import load_config
    from vgbench.pipeline.study_spec import TEXTUAL, _slug, fingerprint
    data = {"textual": TEXTUAL.get(settings.textual, settings.textual)}
    if settings.data_root:
        data["data_root"] = settings.data_root
    train = {"seed": seed, "epochs": settings.epochs, "patience": settings.epochs + 1, "time_limit_s": 0,
             "eval_each_epoch": True, "keep_epoch_grounders": True, "eval_sets": ["men-dev", "simverb-dev"]}
    cfg = load_config(settings.config).with_({"model": {"grounded_dim": settings.grounded_dim},
                                              "data": data, "train": train}, cell.changes, settings.changes,
                                             out_dir=str(settings.runs))
    return cfg.with_(name=f"{_slug(cell.label)}_s{seed}_{fingerprint(cfg)}")


def run_precision(settings: PrecisionSettings, echo: Callable[[str], None] = print) -> Path:
    """Train (or reuse) every (cell, seed), evaluate each run's last epoch, write the report."""
    from vgbench.atomic import write_text_atomic
    from vgbench.pipeline.selection import grounder_path, history
    from vgbench.pipeline.study_eval import evaluate_source, summary_scores
    settings.runs.mkdir(parents=True, exist_ok=True)
    exp = Experiment(settings, settings.textual, echo)   # report_only: its log is read, never written
    log = exp.log
    study = settings.study_settings()
    rows = []
    # seed-major: an interrupted study still has every setting on its first seeds
    for seed in settings.seeds:
        for cell in settings.cells:
            cfg = cell_config(cell, seed, settings)
            step = f"train {cell.label} seed {seed}"
            if settings.report_only:
                run_dir = finished(log, step, cfg, settings.data_root)
                if run_dir is None:
                    echo(f"[missing] {step}: not finished, left out of the report")
                    continue
                log.seen.append(step)
                log.reused.append(step)
            else:
                run_dir = train_step(log, step, cfg, data_root=settings.data_root, echo=echo)
            last = history(run_dir)[-1]
            source = str(grounder_path(run_dir, int(last["epoch"])))
            scores = summary_scores(evaluate_source(source, log.fingerprint(step), study))
            summary = json.loads((run_dir / "summary.json").read_text())
            rows.append({"cell": cell.label, "seed": seed, "run": run_dir.name, "epoch": int(last["epoch"]),
                         "dev_loss": float(last["dev_loss"]),
                         "seconds_per_epoch": sum(h["seconds"] for h in summary["history"]) / len(summary["history"]),
                         **{f: scores[f] for f in FIGURES}, "machine": summary.get("machine")})
    if not rows:
        raise ValueError(f"no finished run to report in {settings.runs}")
    order = {cell.label: i for i, cell in enumerate(settings.cells)}
    rows.sort(key=lambda r: (order[r["cell"]], r["seed"]))
    with exp.report(TITLE) as folder:
        write_text_atomic(folder / "runs.json", json.dumps(rows, indent=1) + "\n")
        write_text_atomic(folder / "runs.csv", runs_csv(rows))
        write_text_atomic(folder / "README.md", precision_readme(settings, rows))
    return settings.out


def cell_summary(rows: list[dict], cells: tuple[Cell, ...] = GRID + PROTOTYPE) -> list[dict]:
    """Per cell: mean and SD over seeds of each figure, and of its difference on the same seed from
    the setting it differs from by one choice (the paired comparison the question needs)."""
    from vgbench.evaluation.hierarchical import seed_mean_interval
    versus = {c.label: c.versus for c in cells}
    out = []
    for cell in dict.fromkeys(r["cell"] for r in rows):
        members = [r for r in rows if r["cell"] == cell]
        against = versus.get(cell) if cell != REFERENCE else None
        base = {r["seed"]: r for r in rows if r["cell"] == against}
        entry = {"cell": cell, "seeds": len(members), "against": against if base else None,
                 "seconds_per_epoch": sum(m["seconds_per_epoch"] for m in members) / len(members)}
        for f in FIGURES:
            entry[f] = seed_mean_interval([m[f] for m in members])
            paired = [m[f] - base[m["seed"]][f] for m in members if m["seed"] in base]
            entry[f"delta {f}"] = seed_mean_interval(paired) if paired else None
            entry["paired seeds"] = len(paired)
        out.append(entry)
    return out


def _cell(stat: dict | None, digits: int, sign: str = "") -> str:
    if stat is None:
        return "-"
    return f"{stat['mean']:{sign}.{digits}f} ± {stat['sd']:.{digits}f}"


def summary_markdown(summary: list[dict]) -> str:
    """One row per setting: mean ± sd over seeds, and the paired difference from its neighbour."""
    from vgbench.reporting.render import Cell, RecordsTable, text_cell
    rows = [[text_cell(s["cell"]), Cell(str(s["seeds"])), Cell(f"{s['seconds_per_epoch']:.0f}")]
            + [Cell(_cell(s[f], 2 if f == "STS mean" else 1)) for f in FIGURES]
            + [text_cell(s["against"] or "-")] + [Cell(_cell(s[f"delta {f}"], 2, "+")) for f in FIGURES]
            for s in summary]
    return RecordsTable("precision", "Mean ± SD over seeds, and the paired Δ", [
        "setting", "seeds", "s/epoch", *FIGURES, "Δ against", *[f"Δ {f}" for f in FIGURES]], rows).to_markdown()


TARGET = {"Mean6": 46.0, "STS mean": 49.5}   # issue 21: mean over 3 seeds, c = 256, 6 epochs, 50d


def verdict_lines(summary: list[dict]) -> list[str]:
    """The answer from the numbers: does each choice move the figures (95% t-interval of the
    paired Δ over seeds excludes 0), and does each setting reach the target."""
    out = []
    for s in summary:
        if s["against"]:
            parts = []
            for f in ("Mean6", "STS mean"):
                d = s[f"delta {f}"]
                if d is None or s["paired seeds"] < 2:
                    parts.append(f"Δ {f}: fewer than 2 seeds on both settings, no call")
                    continue
                moved = d["ci_low"] > 0 or d["ci_high"] < 0
                parts.append(f"Δ {f} {d['mean']:+.2f} (95% CI {d['ci_low']:+.2f} to {d['ci_high']:+.2f}"
                             f"{', moved' if moved else ', not moved'})")
            out.append(f"- **{s['cell']}** against {s['against']}: " + "; ".join(parts) + ".")
    for s in summary:
        met = all(s[f]["mean"] >= bar for f, bar in TARGET.items())
        out.append(f"- {s['cell']}: Mean6 {s['Mean6']['mean']:.2f}, STS {s['STS mean']['mean']:.2f} over "
                   f"{s['seeds']} seed(s): target (Mean6 ≥ {TARGET['Mean6']}, STS ≥ {TARGET['STS mean']}) "
                   + ("met." if met else "NOT met."))
    return out


def seeds_markdown(rows: list[dict]) -> str:
    """Every run's own figures, so a reader sees the seed-to-seed spread behind each mean."""
    from vgbench.reporting.render import Cell, RecordsTable, text_cell
    cells = [[text_cell(r["cell"]), Cell(str(r["seed"])), Cell(str(r["epoch"])), Cell(f"{r['dev_loss']:.4f}"),
              Cell(f"{r['Mean6']:.2f}"), Cell(f"{r['Mean6 test']:.2f}"), Cell(f"{r['STS mean']:.2f}"),
              text_cell(r["run"])] for r in rows]
    return RecordsTable("precision_runs", "Every run", ["setting", "seed", "epoch", "dev loss", "Mean6",
                                                        "Mean6 test", "STS mean", "run"], cells).to_markdown()


def runs_csv(rows: list[dict]) -> str:
    """The per-run figures as CSV (escaped for spreadsheets) for a reader's own analysis."""
    import pandas as pd
    from vgbench.reporting.escape import csv_frame
    frame = pd.DataFrame([{k: v for k, v in r.items() if k != "machine"} for r in rows])
    return csv_frame(frame).to_csv(index=False)


def shipped_settings() -> str:
    """Which cell the shipped caption -> image configs and the study's defaults train as, read from
    them (so the report cannot name a setting the code no longer uses)."""
    from vgbench.grounding.config import load_config
    from vgbench.pipeline.study_spec import CPU_BATCHES, CPU_PRECISION

    def label(bf16: bool, bucketed: bool) -> str:
        return next(c.label for c in GRID if c.changes == _numerics(bf16, bucketed))
    demo = load_config("demo_caption_image").train
    as_demo = label(demo.amp_cpu, demo.bucket_by_length)
    as_study = label(CPU_PRECISION == "bf16", CPU_BATCHES == "bucketed")
    shipped = load_config("caption_image")
    return (f"The demo's caption -> image run trains as \"{as_demo}\" (`demo_caption_image`), the study "
            f"as \"{as_study}\" (its `--precision`/`--batches` defaults); the shipped configs keep "
            f"`model.unknown_rows = \"{shipped.model.unknown_rows}\"` and "
            f"`data.standardise = \"{shipped.data.standardise}\"`.")


PROTOTYPE_NOTE = ("The prototype's choices: \"unknown rows zero\" makes Te's rows without a GloVe vector "
                  "(special tokens, training words GloVe lacks) frozen zero rows instead of trainable random "
                  "ones (`model.unknown_rows`); \"standardise all images\" standardises the image vectors with "
                  "the mean and std of every image instead of the training split's (`data.standardise`).")


def precision_readme(settings: PrecisionSettings, rows: list[dict]) -> str:
    """The report: the question, the settings, the tables and the machine that ran them."""
    from vgbench.grounding.config import describe_changes
    from vgbench.grounding.machine import machine_lines
    from vgbench.pipeline.steps import code_version
    from vgbench.pipeline.machines import merge_seeds, record_key
    machines: dict[str, dict | None] = {}
    for cell in dict.fromkeys(r["cell"] for r in rows):
        groups = merge_seeds([r["machine"] for r in rows if r["cell"] == cell])
        for i, (record, _) in enumerate(groups):
            machines[cell + (f" ({i + 1})" if len(groups) > 1 else "")] = record
    distinct = {record_key(r["machine"], "seed", "precision", "batching") for r in rows}
    from vgbench.reporting.escape import markdown_code
    from vgbench.reporting.summary import run_stamp
    summary = cell_summary(rows, settings.cells)
    command = "python benchmarks/" + run_stamp()["command"]
    prototype = any(r["cell"] in {c.label for c in PROTOTYPE} for r in rows)
    return f"""{TITLE}

Made by {markdown_code(command)} ({code_version()}): the caption -> image
model (`{settings.config}`, c = {settings.grounded_dim}, GloVe 6B {settings.textual}), {settings.epochs} epochs
per run (no early stopping), seeds {', '.join(map(str, settings.seeds))}, each setting on the same seeds.
Figures are those of each run's last epoch (Spearman x100; STS: mean Pearson x100). Cells are mean ± SD
over seeds; Δ is the difference, on the same seed, from the setting named under "Δ against" (the one it
differs from by one choice), mean ± SD over seeds. A choice "moved" a figure when the 95% Student-t
interval of its paired Δ over seeds excludes zero; with 3 seeds that interval is wide, so "not moved"
means no change larger than the interval's half-width was seen on this machine. {PROTOTYPE_NOTE if prototype else ''}
{shipped_settings()}
Overrides: {' '.join(describe_changes(settings.changes)) or 'none'}.

## Machine and numerics

{'All runs on one machine and torch build' if len(distinct) == 1 else 'The runs were NOT all on one machine and build'}
(from each run's `summary.json`):
{chr(10).join(machine_lines(machines))}

## Results

{summary_markdown(summary)}
## What the numbers say

{chr(10).join(verdict_lines(summary))}

## Per seed

{seeds_markdown(rows)}
Rerun: `make precision` (the grid), `make precision PROTOTYPE=1` (the prototype's choices, into
`reports/precision/prototype/`), or `python benchmarks/precision_study.py --help`; finished runs under
`{settings.runs}` are reused, a killed one resumes.
"""
