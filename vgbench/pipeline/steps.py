"""Named, timed, resumable steps: a failure names the step and what to do; a rerun skips what is done."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from vgbench.atomic import write_text_atomic


class StepError(RuntimeError):
    """A step failed; the message names it and says how to continue."""


@dataclass
class StepLog:
    """Seconds per step, kept in a JSON file beside the outputs so reruns report the first timing."""
    path: Path
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path) -> "StepLog":
        steps = json.loads(path.read_text()) if path.exists() else {}
        return cls(path, steps)

    def run(self, name: str, fn: Callable[[], Any], done: Callable[[], bool] | None = None,
            hint: str = "", echo: Callable[[str], None] = print) -> Any:
        if done is not None and done():
            earlier = self.steps.get(name)
            echo(f"[skip] {name} (done" + (f" in {earlier['seconds']:.0f} s earlier)" if earlier else ")"))
            return None
        echo(f"[step] {name} ...")
        start = time.perf_counter()
        try:
            result = fn()
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - re-raised with the step's name and a hint
            raise StepError(f"step '{name}' failed: {exc}" + (f" ({hint})" if hint else "")) from exc
        seconds = time.perf_counter() - start
        self.steps[name] = {"seconds": round(seconds, 1), "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
        write_text_atomic(self.path, json.dumps(self.steps, indent=1) + "\n")
        echo(f"[done] {name} in {seconds:.0f} s")
        return result

    def total_seconds(self) -> float:
        return sum(s["seconds"] for s in self.steps.values())
