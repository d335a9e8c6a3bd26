"""Command-line entry point. Thin: each sub-command lives in vgbench/commands/<name>.py and
exposes ``register(subparsers)``; this module only wires them up and turns library errors into
one-line messages."""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

# Sub-command modules, in the order `vgbench --help` lists them.
COMMANDS = ["demo", "paper", "eval", "datasets", "report", "leaderboard", "spectrum", "neighbors", "featurize", "data",
            "train", "ground"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vgbench", description="Evaluate word embeddings and learn visually grounded ones.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"vgbench.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except (ValueError, OSError, KeyError) as exc:  # library errors are one-line by design
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"vgbench {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
