"""vgbench: evaluate word embeddings faithfully, and learn visually grounded ones.

    >>> import vgbench
    >>> results = vgbench.evaluate(["glove-6b-50d"])          # doctest: +SKIP
    >>> results = vgbench.evaluate(["glove-6b-50d"], policy=vgbench.Policy(n_boot=0))  # doctest: +SKIP
    >>> vgbench.write_reports(results, "out/")               # doctest: +SKIP
"""

import logging

__version__ = "0.1.0"

# A library stays quiet unless its caller configures logging (the CLI does, at WARNING).
logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name):  # lazy: `import vgbench` stays cheap for the CLI
    if name == "evaluate":
        from vgbench.evaluation.api import evaluate
        return evaluate
    if name in ("load_embeddings", "save_embeddings", "Embeddings"):
        import vgbench.embeddings as emb
        return getattr(emb, name)
    if name in ("load_source", "as_embeddings"):
        import vgbench.sources as sources
        return getattr(sources, name)
    if name == "Policy":
        from vgbench.evaluation.policy import Policy
        return Policy
    if name == "Results":
        from vgbench.evaluation.results import Results
        return Results
    if name == "write_reports":
        from vgbench.reporting import write_reports
        return write_reports
    raise AttributeError(f"module 'vgbench' has no attribute {name!r}")
