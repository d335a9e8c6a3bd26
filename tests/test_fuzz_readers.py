"""Property-based tests: every reader, fed random or garbled bytes, returns correct data or raises
the project's one-line ValueError naming the file; never another exception, never a hang.

Bounded for `make test`: a fixed number of examples per reader, derandomized (the same examples
every run), a deadline per example and an alarm that turns a hang into a failure.
"""
from __future__ import annotations

import bz2
import contextlib
import gzip
import signal
import string
from datetime import timedelta
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vgbench.datasets.sts import read_sts_dir
from vgbench.datasets.word_pairs import read_word_pairs
from vgbench.embeddings import Embeddings, load_embeddings, save_embeddings
from vgbench.caption_data.captions import read_captions

FUZZ = settings(max_examples=120, deadline=timedelta(seconds=5), derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
HANG_S = 20


@contextlib.contextmanager
def no_hang(seconds: int = HANG_S):
    def alarm(*_):
        raise TimeoutError(f"reader still running after {seconds} s")
    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def data_or_one_line_error(read, path: Path):
    """Call the reader: its result, or None after checking the error is the project's one line."""
    with no_hang():
        try:
            return read(path)
        except ValueError as exc:
            msg = str(exc)
            assert "\n" not in msg and len(msg) < 2000, msg
            assert str(path.name) in msg or str(path.parent.name) in msg, msg
            return None


# ------------------------------------------------------------------------ valid data round-trips
words_st = st.text(alphabet=string.ascii_letters + "éü中-'_.", min_size=1, max_size=8).filter(
    lambda w: not w.replace(".", "").replace("-", "").isdigit())


@st.composite
def embedding_files(draw):
    words = draw(st.lists(words_st, min_size=1, max_size=12, unique=True))
    dim = draw(st.integers(1, 6))
    vecs = np.array(draw(st.lists(st.lists(st.floats(-1e3, 1e3, allow_nan=False, width=32),
                                           min_size=dim, max_size=dim),
                                  min_size=len(words), max_size=len(words))), dtype=np.float32)
    if dim == 1 or len(words) == 1:
        vecs = vecs.reshape(len(words), dim)
    layout = draw(st.fixed_dictionaries({
        "sep": st.sampled_from([" ", "\t", "  ", "\t "]), "vsep": st.sampled_from([" ", "  "]),
        "end": st.sampled_from(["\n", "\r\n", " \n", "\t\n"]), "bom": st.booleans(),
        "header": st.booleans(), "compress": st.sampled_from([None, "gz", "bz2"])}))
    return words, vecs, layout


@FUZZ
@given(case=embedding_files())
def test_text_embeddings_in_any_layout_read_back_exactly(tmp_path, case):
    words, vecs, lay = case
    rows = "".join(w + lay["sep"] + lay["vsep"].join(repr(float(x)) for x in v) + lay["end"]
                   for w, v in zip(words, vecs))
    text = (f"{len(words)} {vecs.shape[1]}\n" if lay["header"] else "") + rows
    data = ("\ufeff" if lay["bom"] else "").encode() + text.encode()
    path = tmp_path / "v.txt"
    if lay["compress"] == "gz":
        data = gzip.compress(data)
    elif lay["compress"] == "bz2":
        data = bz2.compress(data)
    path.write_bytes(data)
    with no_hang():
        emb = load_embeddings(path)
    assert emb.words == words
    np.testing.assert_array_equal(emb.vectors, vecs)


@FUZZ
@given(case=embedding_files(), fmt=st.sampled_from(["bin", "npy", "vec"]))
def test_binary_and_written_formats_read_back_exactly(tmp_path, case, fmt):
    words, vecs, _ = case
    path = save_embeddings(Embeddings(words, vecs), tmp_path / f"v.{fmt}")
    with no_hang():
        emb = load_embeddings(path)
    assert emb.words == words
    np.testing.assert_allclose(emb.vectors, vecs, rtol=1e-5, atol=1e-6)  # .vec: 6 significant digits


# ------------------------------------------------------------------------ garbled bytes
VALID_TEXT = b"the 0.1 0.2 -0.3\nof 1e-3 2 3\nand 4 5 6\n"
VALID_W2V = b"3 3\n" + VALID_TEXT


def _binary_sample() -> bytes:
    vecs = np.arange(9, dtype="<f4").reshape(3, 3)
    return b"3 3\n" + b"".join(w + b" " + v.tobytes() for w, v in zip([b"the", b"of", b"and"], vecs))


@st.composite
def garbled(draw, base: bytes):
    """A valid file cut, with bytes flipped, inserted or replaced, or plain random bytes."""
    kind = draw(st.sampled_from(["random", "cut", "flip", "insert", "splice"]))
    if kind == "random":
        return draw(st.binary(max_size=300))
    data = bytearray(base)
    if kind == "cut":
        return bytes(data[:draw(st.integers(0, len(data)))])
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[i] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[i:i] = draw(st.sampled_from([b"nan", b"inf", b"\x00", b"\xff\xfe", b"\t", b"  ", b"\r",
                                              b"\n", b"\xef\xbb\xbf", b"1e999", b"-", b"x", b"99999999"]))
        else:
            data[i:i + 3] = draw(st.binary(min_size=0, max_size=5))
    return bytes(data)


def _compress(kind: str, data: bytes) -> bytes:
    return gzip.compress(data) if kind == "gz" else bz2.compress(data)


@FUZZ
@given(data=st.one_of(garbled(VALID_TEXT), garbled(VALID_W2V)),
       fmt=st.sampled_from([None, "glove", "word2vec"]))
def test_garbled_text_embeddings(tmp_path, data, fmt):
    path = tmp_path / "v.txt"
    path.write_bytes(data)
    emb = data_or_one_line_error(lambda p: load_embeddings(p, fmt=fmt), path)
    if emb is not None:
        assert emb.vectors.shape == (len(emb.words), emb.dim) and np.isfinite(emb.vectors).all()


@FUZZ
@given(data=garbled(_binary_sample()))
def test_garbled_word2vec_binary(tmp_path, data):
    path = tmp_path / "v.bin"
    path.write_bytes(data)
    emb = data_or_one_line_error(lambda p: load_embeddings(p, fmt="word2vec-binary"), path)
    if emb is not None:
        assert np.isfinite(emb.vectors).all()


@FUZZ
@given(data=st.one_of(garbled(VALID_TEXT), garbled(_binary_sample())), kind=st.sampled_from(["gz", "bz2"]),
       cut=st.integers(0, 400), flip=st.integers(0, 400))
def test_garbled_compressed_files(tmp_path, data, kind, cut, flip):
    packed = bytearray(_compress(kind, data))
    packed = packed[:len(packed) - cut % max(len(packed), 1)] if cut % 3 else packed
    if flip % 2 and len(packed) > 12:
        packed[10 + flip % (len(packed) - 10)] ^= 0x5A
    path = tmp_path / f"v.txt.{kind}"
    path.write_bytes(bytes(packed))
    data_or_one_line_error(load_embeddings, path)


@FUZZ
@given(matrix=st.binary(max_size=200), vocab=st.binary(max_size=100), valid_header=st.booleans())
def test_garbled_npy_and_vocabulary(tmp_path, matrix, vocab, valid_header):
    path = tmp_path / "m.npy"
    if valid_header:
        import io
        buf = io.BytesIO()
        np.save(buf, np.ones((3, 2), dtype=np.float32))
        matrix = buf.getvalue()[:128] + matrix
    path.write_bytes(matrix)
    (tmp_path / "m.vocab").write_bytes(vocab)
    data_or_one_line_error(load_embeddings, path)


@FUZZ
@given(data=garbled(b"word1\tword2\tscore\ncat\tdog\t8.5\ncar\ttruck\t7\nsun\tmoon\t6\n"))
def test_garbled_pair_files(tmp_path, data):
    path = tmp_path / "pairs.tsv"
    path.write_bytes(data)
    pairs = data_or_one_line_error(read_word_pairs, path)
    if pairs is not None:
        assert len(pairs.word1) == len(pairs.word2) == len(pairs.gold) >= 1
        assert np.isfinite(pairs.gold).all() and all(pairs.word1) and all(pairs.word2)


@FUZZ
@given(inp=garbled(b"A man is here.\tA man is there.\nDogs run.\tCats sit.\nHi\tHello\n"),
       gs=garbled(b"4.2\n1\n\n"))
def test_garbled_sts_folders(tmp_path, inp, gs):
    folder = tmp_path / "sts"
    folder.mkdir(exist_ok=True)
    (folder / "STS.input.x.txt").write_bytes(inp)
    (folder / "STS.gs.x.txt").write_bytes(gs)
    sts = data_or_one_line_error(lambda p: read_sts_dir(p), folder / "STS.gs.x.txt")
    if sts is not None:
        sub = sts.subsets[0]
        assert len(sub.sent1) == len(sub.sent2) == len(sub.gold) and np.isfinite(sub.gold).all()


CAPTION_SAMPLES = {
    "flickr8k-csv": b"image,caption\n1.jpg,A dog runs .\n2.jpg,\"A cat, sitting .\"\n",
    "flickr8k-token": b"1.jpg#0\tA dog runs .\n1.jpg#1\tA brown dog .\n2.jpg#0\tA cat .\n",
    "tsv": b"image\tcaption\n1.jpg\tA dog runs .\n2.jpg\tA cat .\n",
    "coco": (b'{"images": [{"id": 1, "file_name": "1.jpg"}], "annotations": '
             b'[{"image_id": 1, "caption": "A dog."}, {"image_id": 1, "caption": "Two dogs."}]}'),
}


@FUZZ
@given(fmt=st.sampled_from(sorted(CAPTION_SAMPLES)), data=st.data(), sniff=st.booleans())
def test_garbled_caption_files(tmp_path, fmt, data, sniff):
    raw = data.draw(garbled(CAPTION_SAMPLES[fmt]))
    path = tmp_path / "captions.txt"
    path.write_bytes(raw)
    result = data_or_one_line_error(lambda p: read_captions(p, None if sniff else fmt), path)
    if result is not None:
        assert all(c.image and c.text for c in result.captions)


def test_every_property_test_here_is_bounded_and_repeatable():
    """Each @given test of this module runs under FUZZ (a test added without it would run
    hypothesis's defaults: random examples, a different run each time)."""
    import sys
    module = sys.modules[__name__]
    fuzzed = [f for name, f in vars(module).items()
              if name.startswith("test_") and getattr(f, "is_hypothesis_test", False)]
    assert len(fuzzed) >= 5
    for test in fuzzed:
        used = test._hypothesis_internal_use_settings
        assert (used.max_examples, used.deadline, used.derandomize) == (
            FUZZ.max_examples, FUZZ.deadline, True), test.__name__
        assert used.max_examples <= 200


def test_a_hanging_reader_becomes_a_failure():
    import time
    start = time.monotonic()
    try:
        with no_hang(1):
            time.sleep(5)
    except TimeoutError as exc:
        assert "still running after 1 s" in str(exc)
    else:
        raise AssertionError("no_hang let a 5 s sleep finish")
    assert time.monotonic() - start < 3
