"""vgbench: evaluate word embeddings faithfully, and learn visually grounded ones.

    >>> import vgbench
    >>> results = vgbench.evaluate("glove-6b-50d", "MEN")     # doctest: +SKIP
    >>> results = vgbench.evaluate(["glove-6b-50d", "my.vec"], ["MEN", "sts"],
    ...                            policy=vgbench.Policy(n_boot=0))  # doctest: +SKIP
    >>> vgbench.write_reports(results, "out/")               # doctest: +SKIP

The public names load on first use (`import vgbench` stays light: no scipy.stats, pandas,
matplotlib or torch until a function needs them); `__all__`, `dir()` and the TYPE_CHECKING
imports below make them visible to tools and type checkers all the same.
"""
from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

from vgbench._version import __version__

# A library stays quiet unless its caller configures logging (the CLI does, at WARNING).
logging.getLogger(__name__).addHandler(logging.NullHandler())

# public name -> the module that defines it
_LAZY = {
    "evaluate": "vgbench.evaluation.api",
    "Policy": "vgbench.evaluation.policy",
    "Results": "vgbench.evaluation.results",
    "load_embeddings": "vgbench.embeddings",
    "save_embeddings": "vgbench.embeddings",
    "Embeddings": "vgbench.embeddings",
    "load_source": "vgbench.sources",
    "as_embeddings": "vgbench.sources",
    "write_reports": "vgbench.reporting",
}

__all__ = ["__version__", *_LAZY]

if TYPE_CHECKING:  # what the lazy names are, for type checkers and IDEs
    from vgbench.embeddings import Embeddings, load_embeddings, save_embeddings
    from vgbench.evaluation.api import evaluate
    from vgbench.evaluation.policy import Policy
    from vgbench.evaluation.results import Results
    from vgbench.reporting import write_reports
    from vgbench.sources import as_embeddings, load_source


def __getattr__(name: str):  # lazy: `import vgbench` stays cheap for the CLI
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vgbench' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
