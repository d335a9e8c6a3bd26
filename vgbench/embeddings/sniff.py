"""Guess an embedding file's format from its first bytes, so users never have to say it."""
from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import zlib
from pathlib import Path
from typing import BinaryIO, Iterator

FORMATS = ("glove", "word2vec", "word2vec-binary", "npy", "gensim", "checkpoint")

_GZIP, _BZ2, _ZIP, _NPY, _PICKLE = b"\x1f\x8b", b"BZh", b"PK\x03\x04", b"\x93NUMPY", b"\x80"
BOM = b"\xef\xbb\xbf"
# Names under which a pickle is taken to be a gensim KeyedVectors file without --format gensim.
GENSIM_SUFFIXES = (".kv", ".model")


def open_binary(path: str | os.PathLike) -> BinaryIO:
    """Open a file for binary reading, transparently decompressing gzip and bz2."""
    with open(path, "rb") as fh:
        magic = fh.read(3)
    if magic[:2] == _GZIP:
        return gzip.open(path, "rb")
    if magic == _BZ2:
        return bz2.open(path, "rb")
    return open(path, "rb", buffering=1 << 20)


@contextlib.contextmanager
def compressed_errors(path: str | os.PathLike) -> Iterator[None]:
    """Turn the errors of a truncated or corrupt .gz/.bz2 stream into one line naming the file."""
    try:
        yield
    except (EOFError, zlib.error, gzip.BadGzipFile, lzma.LZMAError) as exc:
        raise ValueError(f"{path}: compressed data is truncated or corrupt ({exc}); check the "
                         f"file with gzip -t / bzip2 -t, or download it again") from None
    except OSError as exc:
        if exc.errno is None:  # bz2 reports a bad stream as a bare OSError
            raise ValueError(f"{path}: compressed data is corrupt ({exc}); check the file with "
                             f"bzip2 -t / gzip -t, or download it again") from None
        raise


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
        # KeyedVectors.save pickles the object, and unpickling runs whatever code the file names:
        # only a file the user calls a gensim model is ever unpickled.
        if path.suffix.lower() in GENSIM_SUFFIXES:
            return "gensim"
        raise ValueError(f"{path}: looks like a Python pickle; vgbench unpickles only files named "
                         f"as gensim models (a .kv/.model name, or --format gensim), because "
                         f"unpickling a file can run code it contains")
    with compressed_errors(path), open_binary(path) as fh:
        head = fh.read(1 << 16)
    head = head[len(BOM):] if head.startswith(BOM) else head
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

