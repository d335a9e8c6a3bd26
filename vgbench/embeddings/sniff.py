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

import numpy as np

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
        # KeyedVectors.save pickles the object: only a file the user calls a gensim model is read,
        # and then by a restricted unpickler that admits only gensim's classes (gensim_pickle).
        if path.suffix.lower() in GENSIM_SUFFIXES:
            return "gensim"
        raise ValueError(f"{path}: looks like a Python pickle; vgbench reads pickles only from files named "
                         f"as gensim models (a .kv/.model name, or --format gensim), and then "
                         f"admits only gensim KeyedVectors content, because unpickling can run code")
    with compressed_errors(path), open_binary(path) as fh:
        head = fh.read(1 << 16)
    head = head[len(BOM):] if head.startswith(BOM) else head
    if not head:
        raise ValueError(f"{path}: line 1: empty file, expected word vectors")
    first, _, rest = head.partition(b"\n")
    fields = first.split()
    if len(fields) == 2 and all(f.isdigit() for f in fields):
        # word2vec header "count dim": text rows follow if the next bytes decode as text rows.
        count, dim = int(fields[0]), int(fields[1])
        if _text_row(rest, dim):
            return "word2vec"
        if _binary_rows(rest, count, dim):
            return "word2vec-binary"
        if _mostly_text(rest[: 4 * dim + 64]):
            return "word2vec"
        return "word2vec-binary"
    return "glove"


def _text_row(rest: bytes, dim: int) -> bool:
    """True when the first row after the header is a whole text row: a word and `dim` numbers."""
    line, newline, _ = rest.partition(b"\n")
    if not newline or dim < 1:
        return False
    parts = line.rstrip().rsplit(None, dim)
    if len(parts) != dim + 1:
        return False
    try:
        [float(v) for v in parts[1:]]
    except ValueError:
        return False
    return True


def _binary_rows(rest: bytes, count: int, dim: int) -> bool:
    """True when the bytes after the header read as whole binary rows ('word ' + dim float32,
    an optional newline before each word) up to the declared count or the end of the sample."""
    pos, rows, size = 0, 0, 4 * dim
    while rows < count:
        sp = rest.find(b" ", pos)
        if sp < 0:
            break
        word = rest[pos:sp].lstrip(b"\n")
        if not word or b"\n" in word or len(word) > 1000 or sp + 1 + size > len(rest):
            break
        if rows == 0 and not np.isfinite(np.frombuffer(rest[sp + 1:sp + 1 + size], "<f4")).all():
            return False
        pos, rows = sp + 1 + size, rows + 1
    return rows >= 1 and (rows == count or len(rest) - pos < size + 1000)


def _mostly_text(data: bytes) -> bool:
    """True when bytes look like text rows (valid UTF-8, few control characters), not packed floats."""
    if not data:
        return True
    if b"\x00" in data:
        return False
    text = data.decode("utf-8", errors="replace")
    bad = sum(ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\n\r") for ch in text)
    return bad <= max(1, 0.05 * len(text))

