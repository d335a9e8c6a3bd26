"""`vgbench spectrum SOURCE... --out DIR`: explained variance of the top principal directions."""
from __future__ import annotations

import argparse
from pathlib import Path

from vgbench.commands.options import positive_int


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("spectrum", help="chart the explained variance of the top principal directions",
                       description="Compare how much variance the top principal directions of each "
                                   "embedding explain (e.g. textual vs grounded vs ABTT).")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="any source `vgbench eval` accepts")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the chart and its table")
    p.add_argument("--rows", type=positive_int, default=100_000, metavar="N",
                   help="use the first N rows (the most frequent words; default 100000)")
    p.add_argument("--top", type=positive_int, default=20, help="directions to show (default 20)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vgbench.atomic import atomic_output_dir, check_output_dir
    from vgbench.sources import resolve
    from vgbench.reporting.spectrum import spectra, write_spectrum

    names = [f"spectrum.{ext}" for ext in ("png", "pdf", "csv")]
    check_output_dir(args.out, names, owner="spectrum")  # a spectrum.csv of yours is never replaced
    embs = []
    for src in args.sources:
        emb = resolve(src)
        embs.append(emb.subset(emb.words[:args.rows]) if len(emb) > args.rows else emb)
    with atomic_output_dir(args.out, owner="spectrum") as stage:  # it shares folders with reports
        write_spectrum(embs, stage, args.rows, args.top)
    written = [Path(args.out) / n for n in names]
    for name, ratio in spectra(embs, args.rows, min(args.top, 5)).items():
        print(f"{name}: top-5 explained variance " + " ".join(f"{100 * r:.1f}%" for r in ratio[:5]))
    print(f"wrote {len(written)} files to {args.out}")
    return 0
