"""A training run's logs: log.jsonl, log.csv and the loss chart loss.png, rebuilt from the whole
history after every epoch and written atomically, so a killed run never leaves half a log and a
resumed run continues the same files."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from vgbench.atomic import atomic_path, write_text_atomic

LOG_FILES = ("log.jsonl", "log.csv", "loss.png")


def write_logs(run_dir: Path, history: list[dict[str, Any]]) -> None:
    """log.jsonl (every field), log.csv (the scalar fields) and loss.png from the epochs' rows."""
    write_text_atomic(run_dir / "log.jsonl", "".join(json.dumps(r) + "\n" for r in history))
    write_text_atomic(run_dir / "log.csv", history_csv(history))
    plot_losses(history, run_dir / "loss.png")


def history_csv(history: list[dict[str, Any]]) -> str:
    """The scalar fields of every row (lists such as M's singular values stay in log.jsonl)."""
    keys: list[str] = []
    for r in history:
        keys += [k for k in r if k not in keys and not isinstance(r[k], list)]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=keys, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(history)
    return buf.getvalue()


def plot_losses(history: list[dict[str, Any]], path: Path) -> None:
    """Train and dev losses per epoch; beside them the per-epoch word-dev scores when there are any."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    epochs = [r["epoch"] for r in history]
    evals = sorted({k for r in history for k in r if k.startswith("eval_")})
    fig = Figure(figsize=(10 if evals else 6, 4))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2 if evals else 1, squeeze=False)
    ax = axes[0][0]
    for key in ("loss", "fw", "bw", "match"):
        for part, style in (("train", "-"), ("dev", "--")):
            vals = [r.get(f"{part}_{key}") for r in history]
            if any(v is not None for v in vals):
                ax.plot(epochs, vals, style, marker="o", label=f"{part} {key}")
    ax.set_xlabel("epoch"), ax.set_ylabel("loss"), ax.legend(fontsize=7), ax.grid(alpha=.3)
    if evals:
        ax2 = axes[0][1]
        for key in evals:
            ax2.plot(epochs, [r.get(key) for r in history], marker="o", label=key[5:])
        ax2.set_xlabel("epoch"), ax2.set_ylabel("score (x100)"), ax2.legend(fontsize=7), ax2.grid(alpha=.3)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=90)
