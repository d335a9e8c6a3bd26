"""The results cache: every evaluation stored under a key of what determines its numbers.

Key = vgbench version + each embedding's content fingerprint and label + the datasets' checksums
+ the scoring policy + the baselines. Re-evaluating unchanged files is then a file read, and the
leaderboard ranks everything ever evaluated without re-running it. Entries are written atomically
(temp file + rename): an interrupted run leaves either no entry or a whole one, never half.

Every entry carries the SHA-256 of its results and is checked when read: an entry edited by hand
(a NaN in a score, a string where a number belongs) is ignored with a warning and re-evaluated,
never shown. A cache that cannot be written (read-only folder) costs only the caching.
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

FORMAT = "vgbench-cache/2"


ENV_VAR = "VGBENCH_RESULTS_CACHE"


def default_cache_dir() -> Path:
    """$VGBENCH_RESULTS_CACHE, else `results/` under vgbench's cache folder ($VGBENCH_CACHE,
    else ~/.cache/vgbench)."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    return cache_dir() / "results"


@dataclass
class CacheEntry:
    """One cached evaluation: its key, when and by which version it was made, the results and their file."""
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
        """Where memoised intermediate results are kept, by content hash."""
        return self.root / "sha256"

    @staticmethod
    def key(parts: dict[str, Any]) -> str:
        """The cache key of a run: SHA-256 of its parts as sorted JSON."""
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

    def put(self, key: str, results: Results) -> Path | None:
        """Store the results; None (with a warning) when the cache cannot be written, so a
        finished evaluation is never lost to a read-only or full cache folder."""
        from vgbench._version import __version__
        stored = json.loads(results.to_json())
        data = {"format": FORMAT, "key": key,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "version": __version__, "results_sha256": _digest(stored), "results": stored}
        try:
            return write_text_atomic(self._path(key), json.dumps(data))
        except OSError as exc:
            log.warning("could not store the results in the cache %s (%s); they are reported "
                        "all the same", self.root, exc.strerror or exc)
            return None

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
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            found = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise ValueError(f"expected format {FORMAT!r}, got {found!r}")
        stored = data["results"]
        if data.get("results_sha256") != _digest(stored):
            raise ValueError("its results do not match their recorded SHA-256 (edited or damaged)")
        check_results(stored)
        if not all(isinstance(data.get(k), str) for k in ("key", "created", "version")):
            raise ValueError("key, created and version must be strings")
        return CacheEntry(data["key"], data["created"], data["version"],
                          Results.from_dict(stored), path)


def _digest(results: Any) -> str:
    return hashlib.sha256(json.dumps(results, sort_keys=True).encode()).hexdigest()


_SCORE_NUMBERS = ("value", "ci_low", "ci_high")
_TEST_NUMBERS = ("value_a", "value_b", "delta", "ci_low", "ci_high", "p_value", "p_adjusted",
                 "p_resample", "p_floor")


def check_results(data: Any) -> None:
    """Raise ValueError unless stored results hold numbers where numbers belong: a score
    without a value must say why (its note), counts are whole numbers, labels are strings."""
    if not isinstance(data, dict):
        raise ValueError("results must be an object")
    for field_, kind in (("scores", list), ("tests", list), ("embeddings", dict),
                         ("settings", dict)):
        if not isinstance(data.get(field_, kind()), kind):
            raise ValueError(f"results.{field_} must be a {kind.__name__}")
    for i, s in enumerate(data.get("scores", [])):
        where = f"scores[{i}]"
        _check_record(s, where, ("embedding", "task", "dataset", "section", "metric"),
                      _SCORE_NUMBERS, ("n_used", "n_total"))
        if s.get("value") is None and not s.get("note"):
            raise ValueError(f"{where}: no value and no note saying why")
    for i, t in enumerate(data.get("tests", [])):
        _check_record(t, f"tests[{i}]", ("dataset", "section", "metric", "embedding_a",
                                         "embedding_b", "method"), _TEST_NUMBERS, ("n",))
    if not all(isinstance(m, dict) for m in data.get("embeddings", {}).values()):
        raise ValueError("results.embeddings: every entry must be an object")


def _check_record(rec: Any, where: str, texts: tuple, numbers: tuple, counts: tuple) -> None:
    if not isinstance(rec, dict):
        raise ValueError(f"{where}: expected an object")
    for k in texts:
        if not isinstance(rec.get(k), str):
            raise ValueError(f"{where}.{k}: expected a string, found {rec.get(k)!r}")
    for k in numbers:
        v = rec.get(k)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise ValueError(f"{where}.{k}: expected a number, found {v!r}")
    for k in counts:
        v = rec.get(k, 0)
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"{where}.{k}: expected a whole number, found {v!r}")
