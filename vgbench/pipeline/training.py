"""The training step every pipeline shares: train one config as a fingerprinted, resumable step.

Its fingerprint is everything that can change the trained model (the config but its output folder,
the training code, the caption data, the textual vectors, the benchmarks the per-epoch scores read,
the torch version), so a rerun retrains exactly when one of them changed and resumes a killed run.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from vgbench.pipeline import fingerprint as fp
from vgbench.pipeline.steps import StepLog


def train_step(log: StepLog, step: str, cfg, *, data_root: str | None, echo: Callable[[str], None],
               outputs: Sequence[str] = ("summary.json",), hint: str | None = None) -> Path:
    """Train `cfg` (a grounding Config) as step `step` unless it finished with the same inputs;
    `outputs` are file names in its run folder. Returns the run folder."""
    from vgbench.evaluation.dev_scores import dev_scorer
    from vgbench.grounding.trainer import train
    run_dir = cfg.run_dir

    def _train(resume: bool):
        return train(cfg, resume=resume and (run_dir / "last.pt").exists(), progress=True,
                     evaluator=dev_scorer(cfg.train.eval_sets, cfg.data.data_root))
    log.run(step, _train, fingerprint=train_fingerprint(cfg, data_root),
            outputs=[run_dir / name for name in outputs], workdir=run_dir, echo=echo,
            hint=hint or f"rerun to resume from {run_dir}/last.pt")
    return run_dir


def train_fingerprint(cfg, data_root: str | None) -> str:
    """Everything that can change the trained model: the config but its output folder, the training
    code, the caption data, the textual vectors, the benchmarks the per-epoch scores read, torch."""
    return fp.digest({"config": {k: v for k, v in cfg.to_dict().items() if k != "out_dir"},
                      "code": fp.source_digest(fp.TRAINING), "flickr8k": fp.flickr8k_identity(data_root),
                      "textual": fp.embedding_identity(cfg.data.textual),
                      "benchmarks": fp.data_root_identity(data_root), "versions": fp.versions("torch")})


def finished(log: StepLog, step: str, cfg, data_root: str | None,
             outputs: Sequence[str] = ("summary.json",)) -> Path | None:
    """The run folder of `step` when it finished with these very inputs, else None; reads the log
    only (never writes it), so a report can be made while another process is still training."""
    entry = log.steps.get(step, {})
    done = entry.get("state") == "done" and entry.get("fingerprint") == train_fingerprint(cfg, data_root)
    return cfg.run_dir if done and all((cfg.run_dir / name).exists() for name in outputs) else None
