"""`vgbench leaderboard`: rank every cached evaluation per dataset and on the means."""
from __future__ import annotations

import argparse
import json
import math

from vgbench.commands.options import add_cache_dir, add_datasets, comma_list
from vgbench.names import match_name, unknown_name


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("leaderboard", help="rank every embedding in the results cache",
                       description="Every embedding `vgbench eval` has evaluated (results cache), "
                                   "ranked per dataset and on the means, with 95% CIs.")
    add_datasets(p, help="comma-separated dataset names to show (default: all cached)")
    p.add_argument("--sort", default=None, metavar="COLUMN",
                   help="rank by this dataset or mean (default: Similarity mean)")
    p.add_argument("--html", default=None, metavar="FILE", help="also write a self-contained page")
    p.add_argument("--json", action="store_true",
                   help="print the ranked rows as JSON on stdout instead of the table (scores x 100 "
                        "with 95%% CIs, as in results.json)")
    add_cache_dir(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vgbench.atomic import write_text_atomic
    from vgbench.evaluation.cache import ResultsCache
    from vgbench.reporting.leaderboard import collect, leaderboard_html, leaderboard_table

    cache = ResultsCache(args.cache_dir)
    datasets = comma_list(args.datasets) or None
    rows, skipped = collect(cache, datasets)
    table = leaderboard_table(rows)
    if table is not None and args.sort:
        column = match_name(args.sort, table.columns)
        if column is None:
            raise ValueError(unknown_name("leaderboard column", args.sort, table.columns,
                                          " (--sort takes a dataset or a mean)"))
        table = leaderboard_table(rows, column)
    if args.json:
        print(json.dumps(ranked_rows(table, rows) if table is not None else [], indent=1,
                         allow_nan=False))
        if args.html and table is not None:
            write_text_atomic(args.html, leaderboard_html(table, rows))
        return 0
    if table is None:
        print(f"No cached evaluations in {cache.root}" + (" for those datasets" if datasets else "")
              + "; run `vgbench eval SOURCE...` first.")
        return 0
    import shutil
    from vgbench.reporting.tables import CONSOLE_CI_WIDTH, console_safe
    width = shutil.get_terminal_size((120, 24)).columns
    wide = width >= CONSOLE_CI_WIDTH  # CIs as "±" in the cells, else after the table
    print(console_safe(table.to_console(width, policy=False, ci=wide)), end="")
    for j, col in enumerate(table.columns):
        with_ci = [(row, table.values[i, j], *table.ci[i, j]) for i, row in enumerate(table.rows)
                   if math.isfinite(table.ci[i, j, 0]) and math.isfinite(table.ci[i, j, 1])]
        if col.endswith(" mean") and with_ci and not wide:
            print(f"{col} with 95% CI:")
            for row, value, lo, hi in with_ci:
                print(f"  {row}: {value:.1f} [{lo:.1f}, {hi:.1f}]")
    if skipped:
        print(f"({skipped} embedding(s) scored on common pairs only are not ranked.)")
    if args.html:
        write_text_atomic(args.html, leaderboard_html(table, rows))
        print(f"wrote {args.html}")
    return 0


def ranked_rows(table, rows: list) -> list[dict]:
    """The board as plain data, best first: each embedding's rank (null without a value in the
    ranked column; ranks restart in each group of lower coverage), label, content fingerprint,
    policy, date, and per column its value with the 95% CI (null where missing)."""
    def number(x) -> float | None:
        return float(x) if math.isfinite(x) else None

    out = []
    for i, row in enumerate(table.sources):
        scores = {col: {"value": number(table.values[i, j]), "ci_low": number(table.ci[i, j, 0]),
                        "ci_high": number(table.ci[i, j, 1])}
                  for j, col in enumerate(table.columns) if math.isfinite(table.values[i, j])}
        out.append({"rank": table.ranks[i], "ranked_by": table.ranked_by,
                    "embedding": row.label, "fingerprint": row.fingerprint,
                    "policy": row.policy, "created": row.created, "scores": scores})
    return out
