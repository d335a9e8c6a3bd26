"""`vgbench leaderboard`: rank every cached evaluation per dataset and on the means."""
from __future__ import annotations

import argparse

from vgbench.commands.options import add_cache_dir, add_datasets, comma_list


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("leaderboard", help="rank every embedding in the results cache",
                       description="Every embedding `vgbench eval` has evaluated (results cache), "
                                   "ranked per dataset and on the means, with 95% CIs.")
    add_datasets(p, help="comma-separated dataset names to show (default: all cached)")
    p.add_argument("--sort", default=None, metavar="COLUMN",
                   help="rank by this dataset or mean (default: Similarity mean)")
    p.add_argument("--html", default=None, metavar="FILE", help="also write a self-contained page")
    add_cache_dir(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vgbench.atomic import write_text_atomic
    from vgbench.evaluation.cache import ResultsCache
    from vgbench.reporting.leaderboard import collect, leaderboard_html, leaderboard_table

    cache = ResultsCache(args.cache_dir)
    datasets = comma_list(args.datasets) or None
    rows, skipped = collect(cache, datasets)
    table = leaderboard_table(rows, args.sort)
    if table is None:
        print(f"No cached evaluations in {cache.root}" + (" for those datasets" if datasets else "")
              + "; run `vgbench eval SOURCE...` first.")
        return 0
    print(table.to_console(120, policy=False))
    for j, col in enumerate(table.columns):
        if col.endswith(" mean"):
            print(f"{col} with 95% CI:")
            for i, row in enumerate(table.rows):
                lo, hi = table.ci[i, j]
                if lo == lo and hi == hi:
                    print(f"  {row}: {table.values[i, j]:.1f} [{lo:.1f}, {hi:.1f}]")
    if skipped:
        print(f"({skipped} embedding(s) scored on common pairs only are not ranked.)")
    if args.html:
        write_text_atomic(args.html, leaderboard_html(table, rows))
        print(f"wrote {args.html}")
    return 0
