"""The one experiment runner: a pipeline (demo, paper, study, precision) states what it trains,
grounds and evaluates as data (`Train`, `Ground`, `Evaluate`), and `Experiment` executes them as
fingerprinted, resumable steps (vgbench.pipeline.steps) and builds the report folder.

The fingerprints are composed here and nowhere else: an evaluation step's covers the evaluation
code, the textual vectors, the benchmarks, the bootstrap count, the library versions, its sources
and names and the steps upstream of it; a grounding step's the grounding code, the textual vectors
and the training run. So every pipeline reruns exactly what a change reaches.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, ContextManager, Mapping, Sequence

from vgbench.pipeline import fingerprint as fp
from vgbench.pipeline.settings import RunSettings
from vgbench.pipeline.steps import StepLog, report_folder
from vgbench.pipeline.training import train_step

# In an Evaluate's sources, "{train:L}" stands for trained model L's grounder (its M applied to
# any word on load) and "{ground:L}" for the vectors the Ground step of L wrote.
REFERENCE = re.compile(r"\{(train|ground):([^{}]+)\}")


@dataclass(frozen=True)
class Train:
    """A model to train: its label in the reports, the config (a shipped name or a TOML path) and
    what this row changes in it (applied after the pipeline's own changes)."""
    label: str
    config: str
    changes: tuple[dict, ...] = ()
    outputs: tuple[str, ...] = ("summary.json", "grounder.pt")


@dataclass(frozen=True)
class Ground:
    """Every word of the textual vectors grounded zero-shot through trained model `label`'s M,
    written as `<runs>/grounded/<label>.npy`."""
    label: str
    step: str


@dataclass(frozen=True)
class Evaluate:
    """Sources evaluated side by side into `<runs>/<folder>/results.json` (vgbench.evaluation.api).
    `options` are evaluate()'s keyword arguments beyond the pipeline's bootstrap count and data
    root; `record_runs` stores each trained source's run folder in the results' settings."""
    step: str
    folder: str
    sources: tuple[str, ...]
    names: tuple[str, ...] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    record_runs: bool = False
    hint: str = ""


class Experiment:
    """Runs one pipeline's steps under `settings.runs` (steps.json records them) and writes its
    report; `textual` is the textual embedding every step grounds and compares against."""

    def __init__(self, settings: RunSettings, textual: str, echo: Callable[[str], None] = print,
                 n_boot: int | None = None):
        self.settings, self.textual, self.echo = settings, textual, echo
        self.n_boot = settings.n_boot if n_boot is None else n_boot
        self.log = StepLog.open(settings.runs / "steps.json")
        self.trained: dict[str, Path] = {}       # label -> training run folder
        self.grounded: dict[str, Path] = {}      # label -> grounded vectors (.npy)
        self._steps: dict[str, str] = {}         # "train:L" / "ground:L" -> its step's name

    @cached_property
    def textual_id(self) -> Any:
        """What identifies the textual vectors (fingerprint.embedding_identity)."""
        return fp.embedding_identity(self.textual)

    @cached_property
    def benchmarks_id(self) -> Any:
        """What identifies the benchmark data a user brought (None: the shipped data)."""
        return fp.data_root_identity(self.settings.data_root)

    def train(self, row: Train, changes: Sequence[dict] = (), hint: str | None = None) -> Path:
        """Train `row` (its config with `changes`, then the row's own) unless it finished with the
        same inputs; returns its run folder. `hint` ("{run_dir}" is filled in) says how to go on
        after a failure."""
        from vgbench.grounding.config import load_config
        cfg = load_config(row.config).with_(*changes, *row.changes)
        step = f"train {row.label} ({row.config})"
        self.trained[row.label] = train_step(self.log, step, cfg, data_root=self.settings.data_root,
                                             echo=self.echo, outputs=row.outputs,
                                             hint=hint.format(run_dir=cfg.run_dir) if hint else None)
        self._steps[f"train:{row.label}"] = step
        return self.trained[row.label]

    def ground(self, row: Ground) -> Path:
        """Ground every textual word through the M of the trained model `row.label`."""
        from vgbench.embeddings import load_embeddings
        from vgbench.grounding.grounder import Grounder
        folder = self.settings.runs / "grounded"
        out = self.grounded[row.label] = folder / f"{row.label.lower()}.npy"
        grounder = self.trained[row.label] / "grounder.pt"

        def _ground(_):
            g = Grounder.load(grounder)
            return g.export(load_embeddings(g.textual or self.textual), out, fmt="npy", progress=True)
        self._steps[f"ground:{row.label}"] = row.step
        self.step(row.step, _ground, outputs=[out], workdir=folder / row.label.lower(),
                  code=fp.GROUNDING, upstream=[f"train:{row.label}"])
        return out

    def resolve(self, source: str) -> str:
        """`source` with its {train:L} / {ground:L} references replaced by the files they name."""
        return REFERENCE.sub(lambda m: str(self.trained[m[2]] / "grounder.pt") if m[1] == "train"
                             else str(self.grounded[m[2]]), source)

    def evaluate(self, spec: Evaluate) -> Path:
        """Evaluate `spec`'s sources side by side as one step; returns its results.json."""
        from vgbench.evaluation.api import evaluate
        folder = self.settings.runs / spec.folder
        out = folder / "results.json"
        refs = [f"{kind}:{label}" for src in spec.sources for kind, label in REFERENCE.findall(src)]
        options = {"n_boot": self.n_boot, **spec.options}

        def _evaluate(_):
            results = evaluate([self.resolve(s) for s in spec.sources],
                               names=list(spec.names) if spec.names else None,
                               data_root=self.settings.data_root, **options)
            if spec.record_runs:
                results.settings["runs"] = {label: str(self.trained[label]) for kind, label in
                                            (r.split(":", 1) for r in refs) if kind == "train"}
            results.save_json(out)
        self.step(spec.step, _evaluate, outputs=[out], workdir=folder, code=fp.EVALUATION,
                  upstream=dict.fromkeys(refs), hint=spec.hint, benchmarks=self.benchmarks_id,
                  versions=fp.versions(), sources=[src if REFERENCE.search(src) else fp.embedding_identity(src)
                                                    for src in spec.sources], names=list(spec.names or ()),
                  options={k: v for k, v in options.items() if k != "progress"})
        return out

    def step(self, name: str, fn: Callable[[bool], Any], *, outputs: Sequence[Path],
             workdir: Path | None = None, code: Sequence[str] = (), upstream: Sequence[str] = (),
             hint: str = "", reads_textual: bool = True, **identity: Any) -> bool:
        """Run `fn` as step `name` (StepLog.run), fingerprinted by the code of the modules `code`
        names (and all they import), the textual vectors (unless `reads_textual` is False), the
        steps in `upstream` ("train:L", "ground:L") and whatever else `identity` names. Returns
        True when it ran."""
        fingerprint = fp.digest({"code": fp.source_digest(code) if code else None,
                                 "textual": self.textual_id if reads_textual else None,
                                 "upstream": [self.log.fingerprint(self._steps[u]) for u in upstream],
                                 **identity})
        return self.log.run(name, fn, fingerprint=fingerprint, outputs=outputs, workdir=workdir,
                            hint=hint, echo=self.echo)

    def report(self, title: str) -> ContextManager[Path]:
        """The report folder as a staging folder that replaces `settings.out` when the block
        succeeds (steps.report_folder): rebuilt from the steps' outputs on every run."""
        self.echo("[step] write the report from this run's results ...")
        return report_folder(self.settings.out, title)

    def done_line(self) -> str:
        """How long this run's steps took and how many were reused, for the console."""
        log = self.log
        ran = log.total_seconds([n for n in log.seen if n not in log.reused])
        return (f"reports in {self.settings.out} (steps run now: {ran / 60:.1f} min; reused: "
                f"{len(log.reused)} of {len(log.seen)})")
