"""Options several commands share (datasets, results cache, report layout, data root, the global
-v/-q), declared once so every command spells, defaults and explains them alike."""
from __future__ import annotations

import argparse
from typing import Callable, Sequence

from vgbench.names import match_name

DATA_ROOT_HELP = ("folder for the data you bring (your own word-pair files and STS folders, caption "
                  "data such as flickr8k/); default: $VGBENCH_DATA")

# Old spellings kept working (hidden from --help) so that existing scripts do not break.
HIDDEN_ALIASES = ("--no-progress",)


def add_global_options(p: argparse.ArgumentParser, suppress: bool = False) -> None:
    """-v/--verbose and -q/--quiet. On the top-level parser (suppress=False) they get their
    defaults; on each sub-command (suppress=True) they default to nothing, so that an option given
    after the sub-command is recorded and one given before it is not overwritten."""
    off = argparse.SUPPRESS if suppress else False
    p.add_argument("-v", "--verbose", action="store_true", default=off,
                   help="log progress details, and print the traceback of an error")
    p.add_argument("-q", "--quiet", action="store_true", default=off,
                   help="no progress bars")
    p.add_argument("--no-progress", dest="quiet", action="store_true", default=off,
                   help=argparse.SUPPRESS)


def add_data_root(p: argparse.ArgumentParser, help: str = DATA_ROOT_HELP) -> None:
    p.add_argument("--data-root", default=None, metavar="DATA_ROOT", help=help)


def choice(choices: Sequence[str]) -> Callable[[str], str]:
    """An argparse `type` that turns any case/dash spelling of a choice into the choice itself
    (an unknown value passes through, and argparse's `choices` check lists the valid ones)."""
    def canonical(text: str) -> str:
        return match_name(text, choices) or text
    canonical.__name__ = "choice"
    return canonical


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
    from vgbench.evaluation.policy import AGGREGATES, STS_AGGREGATE, STS_METRIC
    metrics = TASK_METRICS["sts"]
    p.add_argument("--no-charts", action="store_true", help=no_charts_help)
    p.add_argument("--metric", choices=metrics, type=choice(metrics), default=STS_METRIC,
                   help=f"STS headline metric in tables (default: {STS_METRIC}, as the paper)")
    p.add_argument("--aggregate", choices=AGGREGATES, type=choice(AGGREGATES), default=STS_AGGREGATE,
                   help=f"STS headline aggregate per year (default: {STS_AGGREGATE} over "
                        "subsets, as SentEval)")


def add_bootstrap(p: argparse.ArgumentParser, what: str = "paired bootstrap resamples") -> None:
    """--bootstrap N, defaulting to the scoring policy's count (vgbench.evaluation.policy)."""
    from vgbench.evaluation.policy import DEFAULT
    p.add_argument("--bootstrap", type=int, default=DEFAULT.n_boot, metavar="N",
                   help=f"{what} (default {DEFAULT.n_boot})")


def bootstrap_count(n: int) -> int:
    """`--bootstrap`'s value, checked by the Policy before any work starts (a bad count is a
    user error, not a failure hours later)."""
    from vgbench.evaluation.policy import Policy
    return Policy(n_boot=n).n_boot
