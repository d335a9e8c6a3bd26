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


def ranked_rows(table, rows: list) -> list[dict]:
    """The board as plain data, best first: each embedding's label, content fingerprint, policy,
    date, and per column its value with the 95% CI (null where missing)."""
    def number(x) -> float | None:
        return float(x) if math.isfinite(x) else None

    policies = list(dict.fromkeys(r.policy for r in rows))

    def shown_as(r) -> str:  # the label leaderboard_table gives a row, after its rank
        tag = f" [policy {policies.index(r.policy) + 1}]" if len(policies) > 1 else ""
        return f"{r.label} ({r.fingerprint[:8]}){tag}"

    by_shown = {shown_as(r): r for r in rows}
    out = []
    for i, shown in enumerate(table.rows):
        row = by_shown[shown.split(". ", 1)[1]]
        scores = {col: {"value": number(table.values[i, j]), "ci_low": number(table.ci[i, j, 0]),
                        "ci_high": number(table.ci[i, j, 1])}
                  for j, col in enumerate(table.columns) if math.isfinite(table.values[i, j])}
        out.append({"rank": i + 1, "embedding": row.label, "fingerprint": row.fingerprint,
                    "policy": row.policy, "created": row.created, "scores": scores})
    return out
