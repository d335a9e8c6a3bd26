"""`vgbench neighbors A B [--words ...]`: the paper's Table 5 for any two embeddings."""
from __future__ import annotations

import argparse

from vgbench.commands.options import positive_int


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("neighbors", help="nearest neighbours that differ between two embeddings")
    p.add_argument("a", metavar="SOURCE_A", help="e.g. the textual vectors")
    p.add_argument("b", metavar="SOURCE_B", help="e.g. a checkpoint or grounded file")
    p.add_argument("--words", default=",".join(
        ("happy", "sad", "big", "bird", "horse", "together", "smart")), help="comma-separated probes")
    p.add_argument("-k", type=positive_int, default=10, help="neighbours per word (default 10)")
    p.add_argument("--restrict", type=positive_int, default=100_000, metavar="N",
                   help="search among the first N words of each embedding (default 100000; 0: all)")
    p.add_argument("--out", default=None, metavar="DIR", help="also write neighbors.md and neighbors.tex")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vgbench.atomic import atomic_output_dir, check_output_dir
    from vgbench.sources import resolve
    from vgbench.reporting.neighbors import differing_neighbors, neighbors_latex, neighbors_markdown

    if args.out:
        check_output_dir(args.out, ["neighbors.md", "neighbors.tex"], owner="neighbors")
    a, b = resolve(args.a), resolve(args.b)
    words = [w.strip() for w in args.words.split(",") if w.strip()]
    rows = differing_neighbors(a, b, words, args.k, args.restrict or None)
    md = neighbors_markdown(rows, args.a, args.b, args.k)
    print(md)
    if args.out:  # shares folders with reports; a neighbors.md of yours is never replaced
        with atomic_output_dir(args.out, owner="neighbors") as stage:
            (stage / "neighbors.md").write_text(md, encoding="utf-8")
            (stage / "neighbors.tex").write_text(neighbors_latex(rows, args.a, args.b, args.k),
                                                 encoding="utf-8")
    return 0
