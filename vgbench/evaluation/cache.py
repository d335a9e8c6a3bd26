"""The results cache: every evaluation stored under a key of what determines its numbers.

Key = vgbench version + each embedding's content fingerprint and label + the datasets' checksums
+ the scoring policy + the baselines. Re-evaluating unchanged files is then a file read, and the
leaderboard ranks everything ever evaluated without re-running it. Entries are written atomically
(temp file + rename): an interrupted run leaves either no entry or a whole one, never half.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from vgbench.paths import cache_dir
from vgbench.atomic import write_text_atomic
from vgbench.evaluation.results import Results

log = logging.getLogger(__name__)

FORMAT = "vgbench-cache/1"


ENV_VAR = "VGBENCH_RESULTS_CACHE"


def default_cache_dir() -> Path:
    """$VGBENCH_RESULTS_CACHE, else `results/` under vgbench's cache folder ($VGBENCH_CACHE,
    else ~/.cache/vgbench)."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    return cache_dir() / "results"


@dataclass
class CacheEntry:
    key: str
    created: str
    version: str
    results: Results
    path: Path


class ResultsCache:
    """A folder of `runs/<key>.json` entries plus `sha256/` memos of file digests."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root else default_cache_dir()

    @property
    def memo_dir(self) -> Path:
        return self.root / "sha256"

    @staticmethod
    def key(parts: dict[str, Any]) -> str:
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / "runs" / f"{key}.json"

    def get(self, key: str) -> CacheEntry | None:
        """The stored entry, or None (also for an unreadable one, which is then re-evaluated)."""
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            return self._read(path)
        except (ValueError, KeyError, TypeError, OSError) as exc:
            log.warning("ignoring unreadable cache entry %s: %s", path, exc)
            return None

    def put(self, key: str, results: Results) -> Path:
        from vgbench import __version__
        data = {"format": FORMAT, "key": key,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "version": __version__, "results": json.loads(results.to_json())}
        return write_text_atomic(self._path(key), json.dumps(data))

    def entries(self) -> Iterator[CacheEntry]:
        """Every readable entry, oldest first; unreadable files are skipped with a warning."""
        folder = self.root / "runs"
        paths = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime) \
            if folder.is_dir() else []
        for path in paths:
            try:
                yield self._read(path)
            except (ValueError, KeyError, TypeError, OSError) as exc:
                log.warning("skipping unreadable cache entry %s: %s", path, exc)

    @staticmethod
    def _read(path: Path) -> CacheEntry:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"expected format {FORMAT!r}, got {data.get('format')!r}")
        return CacheEntry(data["key"], data["created"], data["version"],
                          Results.from_dict(data["results"]), path)
