"""Choosing among a study's trained runs after training: each run's per-epoch history, the two
selection rules (dev loss, word dev), the rows rerun on the next textual, and the search rows that
repeat an alternative."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from vgbench.pipeline.study_spec import TrainedRow
from vgbench.reporting.study_report import trained_base


def history(run_dir: Path) -> list[dict]:
    """The per-epoch history a training run recorded in its summary.json."""
    return json.loads((run_dir / "summary.json").read_text())["history"]


def word_dev_score(entry: dict) -> float:
    """The word-dev criterion of one epoch: the mean of its dev-set scores (eval_*),
    NaN when it has none."""
    vals = [v for k, v in entry.items() if k.startswith("eval_") and isinstance(v, (int, float))
            and not math.isnan(v)]
    return float(np.mean(vals)) if vals else float("nan")


def select(run_dirs: list[Path], rule: str) -> tuple[Path, int, float]:
    """(run folder, epoch, criterion) the rule prefers among runs (alternatives) and their epochs."""
    best = None
    for run_dir in run_dirs:
        for entry in history(run_dir):
            if rule == "dev_loss":
                key = entry["dev_loss"]
            else:
                key = -word_dev_score(entry)
            if not math.isnan(key) and (best is None or key < best[0]):
                best = (key, run_dir, entry["epoch"])
    if best is None:
        raise ValueError(f"no epoch with a usable {rule} in {', '.join(map(str, run_dirs))}")
    key, run_dir, epoch = best
    return run_dir, int(epoch), float(-key if rule == "word_dev" else key)


def grounder_path(run_dir: Path, epoch: int) -> Path:
    """The grounder a run kept after `epoch` (one per epoch, for selection after training)."""
    return run_dir / "grounders" / f"epoch_{epoch:03d}.pt"


def best_rows(rows: tuple[TrainedRow, ...], entries: list[dict], textual: str, n: int) -> tuple[TrainedRow, ...]:
    """The `n` best trained rows by their mean word-dev score over seeds (dev pairs only, never a
    reported set); for a search, its alternative with the best mean word-dev score."""
    dev: dict[str, float] = {}
    for label in {r.label for r in rows} | {r.reported for r in rows}:
        vals = [e["criterion"] for e in entries if e["trained"] and e["textual"] == textual
                and e["row"] == label and e["rule"] == "word dev"]
        dev[label] = float(np.mean(vals)) if vals else float("-inf")
    ranked = sorted(dict.fromkeys(r.reported for r in rows), key=lambda label: -dev[label])
    return tuple(max((r for r in rows if r.reported == label), key=lambda r: dev[r.label])
                 for label in ranked[:n])


def drop_repeated_rows(entries: list[dict], searches: set[str]) -> list[dict]:
    """Each set of selected runs once: a search row (e.g. "Caption->image", c chosen per seed) whose
    rule picked one alternative for every seed is that alternative's row (the same runs and epochs);
    keep the search row, which states the choice, and drop the alternative's (also its +ABTT twin)."""
    same: dict[tuple, list[str]] = {}
    for key, members in _row_groups(entries).items():
        signature = (key[1], key[2], tuple(sorted((e["seed"], e["source"]) for e in members)))
        same.setdefault(signature, []).append(key[0])
    drop = set()
    for (textual, rule, _), labels in same.items():
        keep = next((r for r in labels if trained_base(r) in searches), labels[0])
        drop |= {(r, textual, rule) for r in labels if r != keep}
    return [e for e in entries if (e["row"], e["textual"], e["rule"]) not in drop]


def _row_groups(entries: list[dict]) -> dict[tuple, list[dict]]:
    groups: dict[tuple, list[dict]] = {}
    for e in entries:
        groups.setdefault((e["row"], e["textual"], e["rule"]), []).append(e)
    return groups
