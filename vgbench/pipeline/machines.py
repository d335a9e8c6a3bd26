"""The machine records of a pipeline's training runs (each run's summary.json `machine`), merged
for its README: runs whose records differ only in the seed are one line, their seeds joined, so a
reader sees at a glance whether every run had the same CPU, build and numerics."""
from __future__ import annotations

import json


def record_key(record: dict | None, *leave_out: str) -> str:
    """A record as a comparable string, without the fields named (e.g. "seed")."""
    return json.dumps({k: v for k, v in (record or {}).items() if k not in leave_out}, sort_keys=True)


def merge_seeds(records: list[dict | None]) -> list[tuple[dict | None, int]]:
    """The distinct records apart from their seed, in first-seen order: (the record with "seed"
    the sorted seeds joined, or None where no run recorded one; how many runs it stands for)."""
    groups: dict[str, tuple[dict | None, list[int], list[int]]] = {}
    for record in records:
        group = groups.setdefault(record_key(record, "seed"), (record, [], []))
        group[1].append(1)
        if record and "seed" in record:
            group[2].append(record["seed"])
    return [(record and {**record, "seed": ", ".join(map(str, sorted(set(seeds))))}, len(count))
            for record, count, seeds in groups.values()]
