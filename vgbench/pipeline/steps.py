"""Named, timed, resumable steps, recorded with the fingerprint of their inputs.

`steps.json` in the run folder says, per step, the fingerprint it ran with, whether it finished,
and how long it took. A step is reused only when it finished with the same fingerprint and its
outputs are still there; a step that was killed resumes when its fingerprint is unchanged and
restarts from scratch (its work folder cleared) when it changed. Report folders never mark a step
as done: they are rebuilt from the recorded outputs (`report_folder`).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from vgbench.atomic import atomic_output_dir, write_text_atomic

FORMAT = "vgbench-steps/2"


class StepError(RuntimeError):
    """A step failed; the message names it and says how to continue."""


@dataclass
class StepLog:
    """A run folder's steps.json: each step's fingerprint, state and time, and which steps this run saw or reused."""
    path: Path
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)    # steps of this run, in order (run or reused)
    reused: list[str] = field(default_factory=list)  # those reused from an earlier run

    @classmethod
    def open(cls, path: Path) -> "StepLog":
        """The record in `path`; a missing, unreadable or older-format record counts as nothing done."""
        steps: dict[str, dict[str, Any]] = {}
        if path.exists():
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                doc = {}
            if isinstance(doc, dict) and doc.get("format") == FORMAT and isinstance(doc.get("steps"), dict):
                steps = doc["steps"]
        return cls(path, steps)

    def fingerprint(self, name: str) -> str:
        """The fingerprint a step ran with (for the steps downstream of it)."""
        return self.steps[name]["fingerprint"]

    def run(self, name: str, fn: Callable[[bool], Any], *, fingerprint: str, outputs: Sequence[Path],
            workdir: Path | None = None, hint: str = "", echo: Callable[[str], None] = print) -> bool:
        """Run `fn(resume)` unless the step finished with this fingerprint and `outputs` exist.

        On a fresh start `workdir` (else each output) is removed first, so nothing of a run with other
        inputs survives. Returns True when the step ran.
        """
        self.seen.append(name)
        entry = self.steps.get(name, {})
        same = entry.get("fingerprint") == fingerprint
        if same and entry.get("state") == "done" and all(Path(p).exists() for p in outputs):
            echo(f"[skip] {name} (same inputs as the run finished {entry['finished']}, "
                 f"{entry['seconds']:.0f} s)")
            self.reused.append(name)
            return False
        resume = same and entry.get("state") == "started"
        if not resume:
            for p in ([workdir] if workdir is not None else list(outputs)):
                _remove(Path(p))
        self.steps[name] = {"fingerprint": fingerprint, "state": "started",
                            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                            "outputs": [str(p) for p in outputs]}
        self._save()
        echo(f"[step] {name}{' (resuming)' if resume else ''} ...")
        start = time.perf_counter()
        try:
            fn(resume)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - re-raised with the step's name and a hint
            raise StepError(f"step '{name}' failed: {exc}" + (f" ({hint})" if hint else "")) from exc
        missing = [str(p) for p in outputs if not Path(p).exists()]
        if missing:
            raise StepError(f"step '{name}' finished without writing {', '.join(missing)}")
        seconds = time.perf_counter() - start
        self.steps[name].update(state="done", seconds=round(seconds, 1), resumed=resume,
                                finished=time.strftime("%Y-%m-%d %H:%M:%S"))
        self._save()
        echo(f"[done] {name} in {seconds:.0f} s")
        return True

    def current(self) -> dict[str, dict[str, Any]]:
        """The records of this run's steps (not of steps an earlier run with other settings left)."""
        return {n: self.steps[n] for n in self.seen if self.steps.get(n, {}).get("state") == "done"}

    def table(self):
        """This run's steps as a table (reporting.render): each step's time and whether it ran now
        or was reused from an earlier run with the same inputs. The demo, paper and study READMEs
        print it."""
        from vgbench.reporting.render import Cell, RecordsTable, text_cell
        rows = [[text_cell(name), Cell(_duration(s.get("seconds", 0.0)), sort=s.get("seconds", 0.0)),
                 text_cell(f"reused (same inputs, {s['finished']})" if name in self.reused else "run now")]
                for name, s in self.current().items()]
        return RecordsTable("steps", "Steps", ["step", "time", "when"], rows)

    def total_seconds(self, names: Sequence[str]) -> float:
        """Seconds the named steps took when they ran (reused steps count their first run)."""
        return sum(self.steps[n].get("seconds", 0.0) for n in names if n in self.steps)

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.path, json.dumps({"format": FORMAT, "steps": self.steps}, indent=1) + "\n")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


@contextlib.contextmanager
def report_folder(dest: str | os.PathLike, title: str) -> Iterator[Path]:
    """Yield a staging folder that replaces the report folder `dest` when the block succeeds
    (vgbench.atomic.atomic_output_dir); a failed build leaves `dest` as it was.

    `dest` must be absent, empty, or a report of this kind (its README.md starts with `title`), so a
    mistyped --out never mixes a report into an unrelated folder. A report of this kind is replaced
    as a whole: nothing of an earlier one survives, committed files included.
    """
    dest = Path(dest)
    ours = False
    if dest.exists():
        readme = dest / "README.md"
        ours = readme.is_file() and readme.read_text(encoding="utf-8", errors="replace").startswith(title)
        if not dest.is_dir() or (any(dest.iterdir()) and not ours):
            raise StepError(f"{dest}: exists and is not a report written by this command (no README.md "
                            f"starting {title!r}); not replacing it - choose another --out")
    with atomic_output_dir(dest, replace_all=ours) as stage:
        yield stage


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def code_version() -> str:
    """vgbench's version and, in a git checkout, the commit the study ran (its code is fingerprinted)."""
    import subprocess
    from vgbench._version import __version__
    from vgbench.paths import package_path
    checkout = package_path().parent  # a git checkout holds vgbench/ at its top; an install does not
    if not (checkout / ".git").exists():
        return f"vgbench {__version__}"
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=checkout, capture_output=True,
                              text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return f"vgbench {__version__}"
    commit = done.stdout.strip() if done.returncode == 0 else ""
    return f"vgbench {__version__}" + (f" at commit {commit}" if commit else "")
