"""`vgbench report DIR...`: rebuild the report (index.html and all files) from results.json."""
from __future__ import annotations

import argparse
from pathlib import Path

from vgbench.commands.options import add_report_layout
from vgbench.paths import regular_file


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


def _check_fields(res) -> None:
    """Every score and test field of the type its class declares (a hand-edited or foreign file
    would otherwise fail deep inside a renderer, without naming the file)."""
    import dataclasses
    if not isinstance(res.embeddings, dict) or not isinstance(res.settings, dict):
        raise TypeError("'embeddings' and 'settings' must be objects")
    for i, row in enumerate([*res.scores, *res.tests]):
        for f in dataclasses.fields(row):
            value, kind = getattr(row, f.name), str(f.type)
            numeric = "float" in kind or "int" in kind
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            # NaN is stored as null, so any numeric field may be None
            ok = (number if numeric else isinstance(value, str)) or (value is None and (numeric or "None" in kind))
            if not ok:
                what = "scores" if i < len(res.scores) else "tests"
                raise TypeError(f"{what} entry {row.embedding if what == 'scores' else row.embedding_b!r}: "
                                f"{f.name} = {value!r} is not a {kind.split()[0]}")


def _refuse_label_clash(merged, res, origin: dict[str, Path], path: Path) -> None:
    """Two inputs holding an embedding of the same label from different files, or the same
    scores twice, would merge into one row: refuse, naming both inputs."""
    for name, meta in res.embeddings.items():
        if merged is not None and name in merged.embeddings:
            other = merged.embeddings[name]
            same_file = other.get("fingerprint") and other.get("fingerprint") == meta.get("fingerprint")
            keys = {(s.dataset, s.section, s.metric) for s in merged.scores if s.embedding == name}
            overlap = any((s.dataset, s.section, s.metric) in keys for s in res.scores if s.embedding == name)
            if not same_file or overlap:
                raise ValueError(f"{origin[name]} and {path} both hold an embedding labelled {name!r}"
                                 + ("" if same_file else f" ({other.get('source', '?')} and "
                                    f"{meta.get('source', '?')})")
                                 + "; their rows would merge into one: rerun one of them with "
                                   "--name to label it apart")
        origin.setdefault(name, path)


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
    merged, origin = None, {}
    for path in paths:
        try:
            data = json.loads(regular_file(path, "a results.json").read_text(encoding="utf-8"))
            if not isinstance(data, dict) or not str(data.get("format", "")).startswith("vgbench-results/"):
                raise TypeError("no 'format': 'vgbench-results/1' field")
            res = Results.from_dict(data)
            _check_fields(res)
        except (json.JSONDecodeError, TypeError, AttributeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not a vgbench results.json ({exc}); expected a file written "
                             f"by `vgbench eval --out`") from None
        _refuse_label_clash(merged, res, origin, path)
        merged = res if merged is None else merged.merge(res)
    written = write_reports(merged, out, charts=not args.no_charts, sts_metric=args.metric,
                            sts_aggregate=args.aggregate)
    print(f"wrote {len(written)} files to {out} (open {out / 'index.html'})")
    return 0
