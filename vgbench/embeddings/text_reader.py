"""Streaming reader for text embeddings: GloVe (no header), word2vec text and fastText .vec (header).

Real files are big and dirty (GloVe 840B: 2.2M rows, 5.6 GB, invalid UTF-8, words with spaces,
duplicate keys). The file is read in blocks; each block goes through pandas' C parser (fast path)
and, only when that fails, through a careful line-by-line parser that either copes (a word with
spaces) or raises a one-line error naming the file, the line and what was expected. With a word
filter only the wanted rows are kept, so memory stays flat whatever the file's size.
"""
from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from vgbench.embeddings.sniff import BOM, compressed_errors, open_binary

log = logging.getLogger(__name__)

BLOCK_BYTES = 32 << 20
PARALLEL_MIN_BYTES = 256 << 20


@dataclass
class LoadStats:
    """What the reader saw; stored in Embeddings.meta so results can state it."""
    rows_read: int = 0
    decode_errors: int = 0
    decode_error_examples: list[str] = field(default_factory=list)
    duplicates: int = 0
    duplicate_examples: list[str] = field(default_factory=list)
    words_with_spaces: int = 0
    blank_lines: int = 0
    nonfinite: int = 0
    nonfinite_examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _is_float(token: bytes) -> bool:
    try:
        float(token)
        return True
    except ValueError:
        return False


NONFINITE_POLICIES = ("drop", "error")


def _parse_line(line: bytes, dim: int, where: str) -> tuple[bytes, np.ndarray, bool]:
    """Parse one row. Returns (word bytes, vector, word_had_spaces). Raises ValueError.

    Values are separated by any run of spaces or tabs (and a CR or spaces may end the row); the
    word is everything before the last `dim` values, so a word may contain single spaces.
    """
    parts = line.rstrip().rsplit(None, dim)
    if len(parts) < dim + 1:
        found = len(parts) - 1
        raise ValueError(f"{where}: expected a word and {dim} values, found {max(found, 0)} values")
    values = parts[1:]
    head = parts[0].rstrip(b" \t").split(b" ")
    if len(head) > 1 and all(_is_float(t) for t in head[1:]):
        raise ValueError(f"{where}: expected a word and {dim} values, found {len(head) - 1 + dim} values")
    try:
        vec = np.array([float(v) for v in values], dtype=np.float32)
    except ValueError:
        bad = next(v for v in values if not _is_float(v))
        raise ValueError(f"{where}: value {bad.decode('utf-8', 'replace')!r} is not a number "
                         f"(expected {dim} numeric values after the word)") from None
    return b" ".join(head), vec, len(head) > 1


def drop_nonfinite(words: list[str], vectors: np.ndarray, places: Callable[[int], str], stats: LoadStats,
                   policy: str, path) -> tuple[list[str], np.ndarray]:
    """Rows holding nan or inf: counted with their place ("line 7") and word, then dropped, or an
    error under policy "error". One bad row would otherwise make every score undefined."""
    finite = np.isfinite(vectors).all(axis=1)
    if finite.all():
        return words, vectors
    bad = np.flatnonzero(~finite)
    if policy == "error":
        i = int(bad[0])
        raise ValueError(f"{path}: {places(i)}: word {words[i]!r} has a non-finite value (nan or inf); "
                         f"fix the row, or pass --nonfinite drop to skip such words")
    stats.nonfinite += len(bad)
    for i in bad[:max(0, 5 - len(stats.nonfinite_examples))]:
        stats.nonfinite_examples.append(f"{places(int(i))}: {words[int(i)]}")
    log.info("%s: %s: word %r has a non-finite value; dropped", path, places(int(bad[0])), words[int(bad[0])])
    return [words[i] for i in np.flatnonzero(finite)], vectors[finite]


class _Accumulator:
    """Collects rows in file order: first occurrence of a word wins; optional word filter."""

    def __init__(self, keep: Callable[[str], bool] | None, stats: LoadStats):
        self.keep, self.stats = keep, stats
        self.seen: set[str] = set()
        self.words: list[str] = []
        self.blocks: list[np.ndarray] = []

    def add(self, words: list[str], vectors: np.ndarray) -> None:
        rows = []
        for i, w in enumerate(words):
            if self.keep is not None and not self.keep(w):
                continue
            if w in self.seen:
                self.stats.duplicates += 1
                if len(self.stats.duplicate_examples) < 5:
                    self.stats.duplicate_examples.append(w)
                continue
            self.seen.add(w)
            self.words.append(w)
            rows.append(i)
        if rows:
            self.blocks.append(vectors if len(rows) == len(words) else vectors[rows])

    def matrix(self, dim: int) -> np.ndarray:
        if not self.blocks:
            return np.zeros((0, dim), dtype=np.float32)
        return np.ascontiguousarray(np.concatenate(self.blocks), dtype=np.float32)


def _decode_words(raw: Iterable[bytes], stats: LoadStats) -> list[str]:
    out = []
    for b in raw:
        try:
            out.append(b.decode("utf-8"))
        except UnicodeDecodeError:
            w = b.decode("utf-8", errors="replace")
            stats.decode_errors += 1
            if len(stats.decode_error_examples) < 5:
                stats.decode_error_examples.append(w)
            out.append(w)
    return out


def _fast_block(block: bytes, dim: int) -> tuple[list[str], np.ndarray] | None:
    """Parse a block with pandas' C parser; None when the block needs the careful parser.

    Words are read as latin-1 (byte-preserving) and decoded as UTF-8 later, so decode errors
    can be counted. A trailing separator on every row (fastText .vec) gives one empty column.
    """
    if b"\t" in block:
        return None  # tabs between fields: the careful parser splits on any run of blanks
    import pandas as pd  # here, not at import: `vgbench datasets` and binary formats need none
    try:
        frame = pd.read_csv(io.BytesIO(block), sep=" ", header=None, quoting=3, na_filter=False,
                            engine="c", encoding="latin-1", dtype={0: object},
                            skip_blank_lines=False, low_memory=False)
    except (ValueError, pd.errors.ParserError, IndexError):
        return None
    width = frame.shape[1]
    if width == dim + 2 and frame.iloc[:, -1].isna().all():
        frame = frame.iloc[:, :-1]
    elif width != dim + 1:
        return None
    try:
        values = frame.iloc[:, 1:].to_numpy(dtype=np.float32)
    except (ValueError, TypeError):
        return None
    if np.isnan(values).any():  # short rows or blank lines become NaN
        return None
    return frame.iloc[:, 0].tolist(), values


def _whole_line_blocks(fh, pending: bytes, bar) -> Iterator[bytes]:
    """Blocks of about BLOCK_BYTES that end on a line boundary."""
    while True:
        chunk = fh.read(BLOCK_BYTES)
        if bar is not None:
            bar.update(len(chunk))
        data = pending + chunk
        if not chunk:
            if data:
                yield data
            return
        cut = data.rfind(b"\n") + 1
        block, pending = data[:cut], data[cut:]
        if block:
            yield block


def _parse_blocks(blocks: Iterator[bytes], dim: int, workers: int):
    """Yield (block, fast-parse result or None) in file order; big files use worker processes,
    with at most 2 blocks per worker in flight so memory stays flat."""
    if workers <= 1:
        for block in blocks:
            yield block, _fast_block(block, dim)
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        queue: deque = deque()
        for block in blocks:
            queue.append((block, pool.submit(_fast_block, block, dim)))
            if len(queue) >= 2 * workers:
                head, fut = queue.popleft()
                yield head, fut.result()
        while queue:
            head, fut = queue.popleft()
            yield head, fut.result()


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def read_text(path: str | os.PathLike, header: bool | None = None,
              keep: Callable[[str], bool] | None = None, progress: bool = False,
              name: str | None = None, workers: int | None = None, nonfinite: str = "drop"):
    """Read a text embedding file. `header`: None sniffs the word2vec "count dim" line.

    nonfinite: rows with nan/inf are dropped and counted ("drop") or stop the read ("error").

    `keep(word) -> bool` selects rows (None keeps all). Files over PARALLEL_MIN_BYTES are parsed
    by `workers` processes (default: up to 4 CPUs); rows are still taken in file order.
    """
    from vgbench.embeddings.core import Embeddings

    path = Path(path)
    stats = LoadStats()
    acc = _Accumulator(keep, stats)
    size = path.stat().st_size
    workers = default_workers() if workers is None else workers
    bar = None
    if progress:
        from vgbench.progress import progress_bar
        bar = progress_bar(size, f"reading {path.name}", "B", unit_scale=True)
    if nonfinite not in NONFINITE_POLICIES:
        raise ValueError(f"unknown non-finite policy {nonfinite!r}; expected one of "
                         f"{', '.join(NONFINITE_POLICIES)}")
    declared_rows = None
    with compressed_errors(path), open_binary(path) as fh:
        first = fh.readline()
        if first.startswith(BOM):
            first = first[len(BOM):]
        if not first.strip():
            raise ValueError(f"{path}: line 1: empty file, expected word vectors")
        fields = first.split()
        is_header = len(fields) == 2 and all(f.isdigit() for f in fields)
        if header is True and not is_header:
            raise ValueError(f"{path}: line 1: expected a word2vec header 'count dim', found "
                             f"{first[:60].decode('utf-8', 'replace').strip()!r}")
        if is_header and header is not False:
            declared_rows, dim = int(fields[0]), int(fields[1])
            if dim <= 0:
                raise ValueError(f"{path}: line 1: dimension must be positive, found {dim}")
            pending, line_no = b"", 2
        else:
            dim = _infer_dim(first, path)
            pending, line_no = first, 1
        blocks = _whole_line_blocks(fh, pending, bar)
        for block, fast in _parse_blocks(blocks, dim, workers if size >= PARALLEL_MIN_BYTES else 1):
            line_no = _read_block(block, fast, dim, line_no, path, acc, stats, nonfinite)
    if bar is not None:
        bar.close()
    if declared_rows is not None and declared_rows != stats.rows_read:
        log.warning("%s: header declares %d rows, file has %d", path, declared_rows, stats.rows_read)
    if stats.rows_read == 0:
        raise ValueError(f"{path}: line {line_no}: no vectors found, expected rows 'word v1 ... v{dim}'")
    meta = {"source": str(path), "format": "word2vec" if declared_rows is not None else "glove",
            "dim": dim, "declared_rows": declared_rows, **stats.as_dict()}
    return Embeddings(acc.words, acc.matrix(dim), name or path.name, meta)


def _infer_dim(first: bytes, path: Path) -> int:
    parts = first.split()
    dim = 0
    for token in reversed(parts[1:]):
        if not _is_float(token):
            break
        dim += 1
    if dim == 0:
        raise ValueError(f"{path}: line 1: expected 'word v1 v2 ...' with numeric values, found "
                         f"{first[:60].decode('utf-8', 'replace').strip()!r}")
    return dim


def _read_block(block: bytes, fast, dim: int, line_no: int, path: Path, acc: _Accumulator,
                stats: LoadStats, nonfinite: str = "drop") -> int:
    """Take one block of whole lines starting at `line_no` (its fast parse, or parse it carefully
    when that failed); return the next line number."""
    n_lines = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
    if fast is not None and len(fast[0]) == n_lines:
        words = _decode_words((w.encode("latin-1") for w in fast[0]), stats)
        stats.rows_read += len(words)
        words, vecs = drop_nonfinite(words, fast[1], lambda i: f"line {line_no + i}", stats,
                                     nonfinite, path)
        acc.add(words, vecs)
        return line_no + n_lines
    words_b, vecs, lines = [], [], []
    for offset, line in enumerate(block.split(b"\n")[:n_lines]):
        if not line.strip():
            stats.blank_lines += 1
            continue
        word, vec, spaced = _parse_line(line, dim, f"{path}: line {line_no + offset}")
        stats.words_with_spaces += spaced
        words_b.append(word)
        vecs.append(vec)
        lines.append(line_no + offset)
    words = _decode_words(words_b, stats)
    stats.rows_read += len(words)
    if words:
        words, matrix = drop_nonfinite(words, np.stack(vecs), lambda i: f"line {lines[i]}", stats,
                                       nonfinite, path)
        acc.add(words, matrix)
    return line_no + n_lines
