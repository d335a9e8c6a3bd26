"""A training run's folder: vgbench writes only into a folder it made (marked .vgbench-run) or an
empty one, and clears only the run files it names, so a user's folder is never replaced."""
from __future__ import annotations

import os
from pathlib import Path

from vgbench.atomic import check_writable, is_temporary, write_text_atomic
from vgbench.grounding.training_log import LOG_FILES

RUN_FILES = ("config.toml", "best.pt", "last.pt", "grounder.pt", *LOG_FILES, "summary.json")


RUN_MARK = ".vgbench-run"


def check_run_dir(run_dir: Path) -> None:
    """Refuse, before any work, a run folder that is not vgbench's: one that holds anything and
    was not made by `vgbench train` (no .vgbench-run marker) is the user's, and its files are
    never replaced or removed. Also fail now when it cannot be written."""
    mark = run_dir / RUN_MARK
    if os.path.lexists(run_dir) and not run_dir.is_dir():
        raise ValueError(f"{run_dir}: exists and is not a folder; choose another name (--set name=...) "
                         f"or out_dir")
    if run_dir.is_dir() and not (mark.is_file() and not mark.is_symlink()) \
            and not (run_dir / "last.pt").is_file():  # an older version's run: resume it or choose another name
        held = sorted(p.name for p in run_dir.iterdir() if not is_temporary(p))
        if held:
            raise ValueError(f"{run_dir}: exists, holds {', '.join(held[:3])}"
                             f"{' ...' if len(held) > 3 else ''} and was not made by vgbench train "
                             f"(no {RUN_MARK}); not writing into it - choose another name "
                             f"(--set name=...) or out_dir")
    check_writable(run_dir)


def claim_run_dir(run_dir: Path) -> None:
    """Make `run_dir` this run's folder (check_run_dir first), marked as made by vgbench train."""
    check_run_dir(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if not (run_dir / RUN_MARK).is_file():
        write_text_atomic(run_dir / RUN_MARK, "a training run folder made by vgbench train; its run "
                                              "files (config.toml, *.pt, log.*, summary.json) are "
                                              "replaced by a new run\n")


def remove_unfinished_run(run_dir: Path) -> None:
    """Before a fresh run: the files of a run that was killed before its first checkpoint, so the
    folder ends with this run's files only (a run with a last.pt is resumed, never mixed)."""
    for name in RUN_FILES:
        (run_dir / name).unlink(missing_ok=True)
    for pattern in ("epoch_*.pt", "grounders/epoch_*.pt"):
        for p in run_dir.glob(pattern):
            p.unlink(missing_ok=True)
