"""`vgbench datasets`: every built-in benchmark with its task, size, main metric, citation and
licence; `--json` adds files and checksums; `--verify` reads every shipped file once."""
from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("datasets", help="list the built-in benchmarks (citation, licence, size)",
                       description="List the benchmarks that ship with vgbench and the groups "
                                   "`vgbench eval --datasets` accepts.")
    p.add_argument("names", nargs="*", metavar="NAME", help="only these sets or groups")
    p.add_argument("--json", action="store_true", help="full metadata as JSON (files, SHA-256, notes)")
    p.add_argument("--verify", action="store_true",
                   help="read every shipped file and check its SHA-256")
    p.set_defaults(func=run)


def _selected(names: list[str]) -> list:
    from vgbench.datasets import registry
    if not names:
        return list(registry.BENCHMARKS.values())
    chosen: list[str] = []
    for name in names:
        group = registry.group_name(name)
        chosen += list(registry.GROUPS[group]) if group else [registry.get(name).name]
    return [registry.BENCHMARKS[n] for n in dict.fromkeys(chosen)]


def run(args: argparse.Namespace) -> int:
    from vgbench.datasets import registry, store
    entries = _selected(args.names)
    if args.verify:
        files = sorted({f for e in entries for f in e.files} if args.names else store.manifest())
        for f in files:
            store.benchmark_bytes(f)
        print(f"verified {len(files)} shipped files against their SHA-256")
        return 0
    if args.json:
        print(json.dumps({"groups": {g: list(m) for g, m in registry.GROUPS.items()},
                          "datasets": [e.metadata() for e in entries]}, indent=1))
        return 0
    rows = [("name", "task", "size", "metric", "citation", "licence")]
    for e in entries:
        task = e.task + ("" if e.loader or e.task == "norms" else " (not evaluated)")
        rows.append((e.name, task, f"{e.size:,} {e.unit}", e.metric, e.short_citation, e.licence))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[5])
    print("\ngroups for `vgbench eval --datasets`: "
          + "; ".join(f"{g} ({len(m)} sets)" for g, m in registry.GROUPS.items())
          + ". Default: paper. `--json` gives full citations, files and SHA-256.")
    return 0
