"""Shared fixtures: the data root and the default embedding, loaded once per session.

Benchmark tests need no data root (the benchmark files ship with vgbench); `root` is the folder
of user-brought data (caption data) for the tests that use it."""
from __future__ import annotations

import pytest

from vgbench.paths import data_root


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
def root():
    return data_root()


@pytest.fixture(scope="session")
def glove50():
    from vgbench.embeddings import load_embeddings
    return load_embeddings("glove-6b-50d")
