"""Options several commands share (datasets, results cache, report layout), declared once so
`eval`, `report` and `leaderboard` spell, default and explain them alike."""
from __future__ import annotations

import argparse


def comma_list(text: str | None) -> list[str] | None:
    """Items of a comma-separated option (None when the option was not given)."""
    return None if text is None else [item.strip() for item in text.split(",") if item.strip()]


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1 (a count, a size), refused at parse time."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} should be at least 1")
    return value


def add_datasets(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--datasets", default=None, metavar="LIST", help=help)


def add_cache_dir(p: argparse.ArgumentParser, extra: str = "") -> None:
    p.add_argument("--cache-dir", default=None, metavar="DIR",
                   help="results cache folder (default: ~/.cache/vgbench/results or "
                        "$VGBENCH_RESULTS_CACHE)" + extra)


def add_report_layout(p: argparse.ArgumentParser, no_charts_help: str = "skip the charts") -> None:
    """--no-charts, and the STS headline (--metric, --aggregate) the tables show."""
    from vgbench.datasets.registry import TASK_METRICS
    from vgbench.evaluation.statistics import AGGREGATES
    p.add_argument("--no-charts", action="store_true", help=no_charts_help)
    p.add_argument("--metric", choices=TASK_METRICS["sts"], default=TASK_METRICS["sts"][0],
                   help=f"STS headline metric in tables (default: {TASK_METRICS['sts'][0]}, "
                        "as the paper)")
    p.add_argument("--aggregate", choices=AGGREGATES, default=AGGREGATES[0],
                   help=f"STS headline aggregate per year (default: {AGGREGATES[0]} over "
                        "subsets, as SentEval)")
