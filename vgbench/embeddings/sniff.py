"""Guess an embedding file's format from its first bytes, so users never have to say it."""
from __future__ import annotations

import bz2
import gzip
import os
from pathlib import Path
from typing import BinaryIO

FORMATS = ("glove", "word2vec", "word2vec-binary", "npy", "gensim", "checkpoint")

_GZIP, _BZ2, _ZIP, _NPY, _PICKLE = b"\x1f\x8b", b"BZh", b"PK\x03\x04", b"\x93NUMPY", b"\x80"


def open_binary(path: str | os.PathLike) -> BinaryIO:
    """Open a file for binary reading, transparently decompressing gzip and bz2."""
    with open(path, "rb") as fh:
        magic = fh.read(3)
    if magic[:2] == _GZIP:
        return gzip.open(path, "rb")
    if magic == _BZ2:
        return bz2.open(path, "rb")
    return open(path, "rb", buffering=1 << 20)


def sniff_format(path: str | os.PathLike) -> str:
    """Return one of FORMATS for `path`; raise ValueError with the reason when it is none of them."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path}: is a directory, expected an embedding file")
    with open(path, "rb") as fh:
        magic = fh.read(8)
    if not magic:
        raise ValueError(f"{path}: line 1: empty file, expected word vectors")
    if magic.startswith(_NPY):
        return "npy"
    if magic.startswith(_ZIP):
        return "checkpoint"  # torch.save writes a zip archive
    if magic.startswith(_PICKLE):
        return "gensim"  # KeyedVectors.save pickles the object
    with open_binary(path) as fh:
        head = fh.read(1 << 16)
    if not head:
        raise ValueError(f"{path}: line 1: empty file, expected word vectors")
    first, _, rest = head.partition(b"\n")
    fields = first.split()
    if len(fields) == 2 and all(f.isdigit() for f in fields):
        # word2vec header "count dim": text rows follow if the next bytes decode as text rows.
        dim = int(fields[1])
        if _mostly_text(rest[: 4 * dim + 64]):
            return "word2vec"
        return "word2vec-binary"
    return "glove"


def _mostly_text(data: bytes) -> bool:
    """True when bytes look like a text row (numbers, spaces, letters), not packed floats."""
    if not data:
        return True
    printable = sum(32 <= b < 127 or b in (9, 10, 13) or b >= 0xC2 for b in data)
    return printable / len(data) > 0.95 and b"\x00" not in data

