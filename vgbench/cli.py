"""Command-line entry point. Thin: each sub-command lives in vgbench/commands/<name>.py and
exposes ``register(subparsers)``; this module only wires them up and turns library errors into
one-line messages."""
from __future__ import annotations

import argparse
import errno
import logging
import os
import sys
import traceback

# Sub-command modules, in the order `vgbench --help` lists them.
COMMANDS = ["demo", "paper", "study", "eval", "datasets", "report", "leaderboard", "spectrum", "neighbors", "featurize", "data",
            "train", "ground"]


def command_modules() -> dict:
    """Each sub-command's module, imported by name here (not through importlib) so that the layering
    contract (lint-imports) sees every import the CLI makes."""
    from vgbench.commands import (data, datasets, demo, eval as eval_command, featurize, ground, leaderboard,
                                  neighbors, paper, report, spectrum, study, train)
    modules = {"demo": demo, "paper": paper, "study": study, "eval": eval_command, "datasets": datasets, "report": report,
               "leaderboard": leaderboard, "spectrum": spectrum, "neighbors": neighbors, "featurize": featurize,
               "data": data, "train": train, "ground": ground}
    return {name: modules[name] for name in COMMANDS}


def build_parser() -> argparse.ArgumentParser:
    from vgbench._version import __version__
    from vgbench.commands.options import add_global_options
    parser = argparse.ArgumentParser(
        prog="vgbench", description="Evaluate word embeddings and learn visually grounded ones.",
        epilog="-v and -q may also follow the command (vgbench eval FILE -v).")
    parser.add_argument("-V", "--version", action="version", version=f"vgbench {__version__}",
                        help="print the version and exit")
    add_global_options(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                help="what to do (vgbench COMMAND --help for its options)")
    for module in command_modules().values():
        module.register(sub)
    for command in _subcommands(parser):
        add_global_options(command, suppress=True)
    return parser


def _subcommands(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every sub-command parser, nested ones (`vgbench data info`) included."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found += [child, *_subcommands(child)]
    return found


# Exit codes (README "Exit codes"): what went wrong, for scripts that call vgbench.
EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_SYSTEM, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

_DISK_FULL = {getattr(errno, "ENOSPC", 28), getattr(errno, "EDQUOT", 122)}
_BAD_PATH = (FileNotFoundError, NotADirectoryError, IsADirectoryError, FileExistsError)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at exit where it cannot be caught
        return code
    except BrokenPipeError:
        return _reader_went_away()
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - every failure becomes one line (+ traceback with -v)
        code, message = describe_error(exc, args)
        if args.verbose:
            traceback.print_exc()
        print(f"vgbench {args.command}: error: {message}", file=sys.stderr)
        return code


def _reader_went_away() -> int:
    """The reader of stdout closed it (`vgbench datasets | head -1`): stop quietly, as `cat` does.
    stdout is pointed at devnull so that Python's final flush does not fail again (Python docs,
    "Note on SIGPIPE")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return EXIT_OK


def describe_error(exc: BaseException, args: argparse.Namespace) -> tuple[int, str]:
    """(exit code, one-line message) for an exception escaping a command."""
    missing = _missing_extra(exc)
    if missing:
        return EXIT_SYSTEM, missing
    if isinstance(exc, (ValueError, KeyError, UnicodeError, EOFError)):
        # bad input: the library's messages already name the file, the line and what was expected
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        return EXIT_INPUT, _one_line(str(msg), limit=4000)  # long enough for every known name
    if isinstance(exc, MemoryError):
        return EXIT_SYSTEM, ("out of memory; evaluate fewer sources at once, or choose fewer datasets "
                             "so that fewer words are kept")
    if isinstance(exc, OSError):
        # a path that is not there or not of the right kind is the user's input; the rest is the system's
        code = EXIT_INPUT if isinstance(exc, _BAD_PATH) else EXIT_SYSTEM
        if exc.errno is None and exc.filename is None and str(exc):
            return code, _one_line(str(exc))  # a library message that names its file
        where = exc.filename or ", ".join(_input_paths(args)) or "a file"
        what = exc.strerror or _one_line(str(exc)) or type(exc).__name__
        if exc.errno in _DISK_FULL:
            hint = "free some space or write elsewhere; the previous output is left as it was"
        elif isinstance(exc, PermissionError):
            hint = "check the permissions, or write elsewhere"
        elif isinstance(exc, FileNotFoundError):
            hint = "check the path"
        elif isinstance(exc, _BAD_PATH):
            hint = "choose another path"
        else:
            hint = "check the file and the disk"
        return code, f"{where}: {what}; {hint}"
    inputs = ", ".join(_input_paths(args)) or "the given inputs"
    return EXIT_INTERNAL, (f"unexpected {type(exc).__name__} while working on {inputs}: "
                           f"{_one_line(str(exc))}; rerun with -v for the traceback and please "
                           f"report it")


def _missing_extra(exc: BaseException) -> str | None:
    """The install line for an optional dependency that is not installed (vgbench.extras)."""
    if not isinstance(exc, ImportError):
        return None
    from vgbench.extras import EXTRA_OF, MissingExtra, install_hint
    if isinstance(exc, MissingExtra):
        return _one_line(str(exc))
    top = (exc.name or "").split(".")[0]
    if isinstance(exc, ModuleNotFoundError) and top in EXTRA_OF:
        return f"this needs {top}, which is not installed: {install_hint(EXTRA_OF[top])}"
    return None


def _one_line(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _input_paths(args: argparse.Namespace) -> list[str]:
    """The existing files and folders a command was given, to name them in an error."""
    found: list[str] = []
    for key, value in vars(args).items():
        if key in ("func", "command"):
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item and os.path.exists(item) and item not in found:
                found.append(item)
    return found[:4]


if __name__ == "__main__":
    sys.exit(main())
