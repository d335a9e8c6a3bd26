"""`vgbench report DIR...`: rebuild the report (index.html and all files) from results.json."""
from __future__ import annotations

import argparse
from pathlib import Path

from vgbench.commands.options import add_report_layout


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="rebuild reports (index.html, tables, charts) from results.json",
                       description="Rebuild every report file from one or several results.json "
                                   "(or the folders holding them); several are merged side by side.")
    p.add_argument("inputs", nargs="+", metavar="DIR", help="a results folder or results.json")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="where to write (default: the folder given, when there is one)")
    add_report_layout(p)
    p.set_defaults(func=run)


def _results_path(item: str) -> Path:
    path = Path(item)
    path = path / "results.json" if path.is_dir() else path
    if not path.is_file():
        raise ValueError(f"{path}: no results.json here (expected a folder written by "
                         "`vgbench eval --out` or a results.json file)")
    return path


def run(args: argparse.Namespace) -> int:
    import json

    from vgbench.evaluation.results import Results
    from vgbench.reporting import write_reports
    from vgbench.reporting.writer import check_report_dir

    paths = [_results_path(i) for i in args.inputs]
    if args.out is None and len(paths) > 1:
        raise ValueError("several inputs are merged into one report: give --out DIR")
    out = Path(args.out) if args.out else paths[0].parent
    check_report_dir(out)  # a results.json that vgbench did not write there is never replaced
    merged = None
    for path in paths:
        try:
            res = Results.load_json(path)
        except (json.JSONDecodeError, TypeError) as exc:
            raise ValueError(f"{path}: not a vgbench results.json ({exc})") from None
        merged = res if merged is None else merged.merge(res)
    written = write_reports(merged, out, charts=not args.no_charts, sts_metric=args.metric,
                            sts_aggregate=args.aggregate)
    print(f"wrote {len(written)} files to {out} (open {out / 'index.html'})")
    return 0
