"""Names and groups of the analogy and categorization sets, as `--datasets` spells them."""
from __future__ import annotations

import os

from vgbench.datasets.analogy import ANALOGY_SETS, AnalogySet
from vgbench.datasets.categorization import CATEGORIZATION_SETS, CategorizationSet, load_categorization

GROUPS = {"analogy": list(ANALOGY_SETS), "analogies": list(ANALOGY_SETS),
          "categorization": list(CATEGORIZATION_SETS)}


def _key(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "").replace(" ", "")


ALIASES = {_key(n): n for n in list(ANALOGY_SETS) + list(CATEGORIZATION_SETS)}
ALIASES.update({"googleanalogy": "Google", "msranalogy": "MSR", "esslli1a": "ESSLLI-N",
                "esslinouns": "ESSLLI-N", "essllinouns": "ESSLLI-N", "essliverbs": "ESSLLI-V",
                "esslliverbs": "ESSLLI-V", "essli1a": "ESSLLI-N", "essli2c": "ESSLLI-V",
                "esslin": "ESSLLI-N", "essliv": "ESSLLI-V"})


def suite_names(name: str) -> list[str] | None:
    """The analogy/categorization sets a user's spelling names (a set or a group), or None."""
    key = name.lower()
    if key in GROUPS:
        return list(GROUPS[key])
    canon = ALIASES.get(_key(name))
    return [canon] if canon else None


def load_suite_set(name: str, root: str | os.PathLike | None = None) -> AnalogySet | CategorizationSet:
    if name in ANALOGY_SETS:
        return ANALOGY_SETS[name](root)
    return load_categorization(name, root)
