"""How a name a user types is matched: case, dashes, underscores and spaces do not matter, and a
miss names every known spelling (plus the closest ones), so a user never has to guess.

One rule for every kind of name (datasets, groups, registry embeddings, leaderboard columns,
option values), so `glove-6B-50d`, `simlex_999` and `Similarity Mean` all work alike."""
from __future__ import annotations

import difflib
from typing import Iterable


def name_key(text: str) -> str:
    """The form two spellings are compared in: lower case, no dashes, underscores or spaces."""
    return str(text).lower().replace("-", "").replace("_", "").replace(" ", "")


def match_name(text: str, known: Iterable[str]) -> str | None:
    """The known name `text` spells (case-, dash- and underscore-insensitive), or None."""
    key = name_key(text)
    return next((name for name in known if name_key(name) == key), None)


def closest(text: str, known: Iterable[str], n: int = 3) -> list[str]:
    """Up to n known names that look like `text` (for a "did you mean" hint)."""
    by_key: dict[str, str] = {}
    for name in known:
        by_key.setdefault(name_key(name), name)
    hits = difflib.get_close_matches(name_key(text), list(by_key), n=n, cutoff=0.6)
    return [by_key[k] for k in hits]


def unknown_name(what: str, text: str, known: Iterable[str], suffix: str = "") -> str:
    """One line for a miss: what was not found, the closest names, then every known name."""
    known = list(known)
    near = closest(text, known)
    hint = f" (did you mean {' or '.join(near)}?)" if near else ""
    return f"unknown {what} {text!r}{hint}; known: {', '.join(known)}{suffix}"
