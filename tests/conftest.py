"""Shared fixtures: a private results cache and the default embedding, loaded once per session.

No test needs a data root: the benchmark files ship with vgbench and so does the Flickr8k demo data."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_results_cache(tmp_path_factory):
    """`vgbench eval` caches results by default: keep the tests' entries out of ~/.cache."""
    import os
    old = os.environ.get("VGBENCH_RESULTS_CACHE")
    os.environ["VGBENCH_RESULTS_CACHE"] = str(tmp_path_factory.mktemp("results_cache"))
    yield
    if old is None:
        os.environ.pop("VGBENCH_RESULTS_CACHE", None)
    else:
        os.environ["VGBENCH_RESULTS_CACHE"] = old


@pytest.fixture(scope="session")
def glove50():
    from vgbench.embeddings import load_embeddings
    return load_embeddings("glove-6b-50d")
