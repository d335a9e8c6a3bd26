"""Readers and writers: every format round-trips, dirty files load as promised, bad files fail
with a one-line error naming the file and line; gensim reads what we write."""
from __future__ import annotations

import bz2
import gzip

import numpy as np
import pytest
from gensim.models import KeyedVectors

from vgbench.embeddings import Embeddings, load_embeddings, save_embeddings
from vgbench.embeddings.sniff import sniff_format
from vgbench.embeddings.writers import EmbeddingWriter


@pytest.fixture
def small():
    rng = np.random.default_rng(0)
    words = ["the", "cat", "Dog", "naïve", "x-ray", "42"]
    return Embeddings(words, rng.normal(size=(len(words), 7)).astype(np.float32), "small")


@pytest.mark.parametrize("fmt,suffix", [("glove", ".txt"), ("word2vec", ".vec"),
                                         ("word2vec-binary", ".bin"), ("npy", ".npy")])
def test_round_trip_and_sniffing(tmp_path, small, fmt, suffix):
    path = save_embeddings(small, tmp_path / f"e{suffix}", fmt)
    assert sniff_format(path) == fmt
    back = load_embeddings(path)
    assert back.words == small.words
    np.testing.assert_allclose(back.vectors, small.vectors, rtol=1e-5, atol=1e-6)


def test_gensim_reads_our_word2vec_files_and_we_read_gensims(tmp_path, small):
    save_embeddings(small, tmp_path / "e.bin", "word2vec-binary")
    save_embeddings(small, tmp_path / "e.vec", "word2vec")
    kv_bin = KeyedVectors.load_word2vec_format(str(tmp_path / "e.bin"), binary=True)
    kv_txt = KeyedVectors.load_word2vec_format(str(tmp_path / "e.vec"), binary=False)
    for kv in (kv_bin, kv_txt):
        assert list(kv.index_to_key) == small.words
        np.testing.assert_allclose(kv.vectors, small.vectors, rtol=1e-5, atol=1e-6)
    kv_bin.save(str(tmp_path / "e.kv"))
    ours = load_embeddings(tmp_path / "e.kv")
    assert ours.meta["format"] == "gensim" and ours.words == small.words


@pytest.mark.parametrize("opener,suffix", [(gzip.open, ".gz"), (bz2.open, ".bz2")])
def test_compressed_text(tmp_path, small, opener, suffix):
    plain = save_embeddings(small, tmp_path / "e.txt", "glove")
    with opener(tmp_path / f"e.txt{suffix}", "wb") as fh:
        fh.write(plain.read_bytes())
    back = load_embeddings(tmp_path / f"e.txt{suffix}")
    assert back.words == small.words


def test_dirty_glove_840b_style_file(tmp_path):
    """Invalid UTF-8 replaced and counted, words with spaces kept, duplicates: first wins."""
    rows = [b"the 1 2", b"caf\xe9 3 4", b". . . 5 6", b"the 7 8", b"fastText 9 10 "]
    (tmp_path / "dirty.txt").write_bytes(b"\n".join(rows) + b"\n")
    emb = load_embeddings(tmp_path / "dirty.txt")
    assert emb.words == ["the", "caf\ufffd", ". . .", "fastText"]
    np.testing.assert_array_equal(emb["the"], [1, 2])
    assert emb.meta["decode_errors"] == 1 and emb.meta["duplicates"] == 1
    assert emb.meta["words_with_spaces"] == 1


def test_word_filter_streams_only_needed_rows(tmp_path, small):
    path = save_embeddings(small, tmp_path / "e.txt", "glove")
    emb = load_embeddings(path, words={"cat", "dog", "missing"}, case="exact-then-lower")
    assert emb.words == ["cat", "Dog"]
    assert emb.meta["rows_read"] == len(small)
    assert load_embeddings(path, words={"dog"}, case="exact").words == []


@pytest.mark.parametrize("content,expected", [
    (b"a 1 2\nb 1 2 3\n", "line 2: expected a word and 2 values, found 3"),
    (b"a 1 2\nb 1\n", "line 2: expected a word and 2 values, found 1"),
    (b"a 1 2\nb 1 zz\n", "line 2: value 'zz' is not a number"),
    (b"", "line 1: empty file"),
    (b"3 2\na 1 2\nb 1 2 3\n", "line 3: expected a word and 2 values, found 3"),
])
def test_bad_rows_name_file_and_line(tmp_path, content, expected):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError) as err:
        load_embeddings(path)
    assert str(path) in str(err.value) and expected in str(err.value)
    assert "\n" not in str(err.value)


def test_error_line_number_deep_in_a_big_file(tmp_path, monkeypatch):
    """The fast block parser hands a bad block to the careful one, which counts lines right."""
    import vgbench.embeddings.text_reader as tr
    monkeypatch.setattr(tr, "BLOCK_BYTES", 64)
    lines = [f"w{i} {i} {i + 1}" for i in range(200)]
    lines[157] = "w157 1 2 3"
    path = tmp_path / "big.txt"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match="line 158: expected a word and 2 values, found 3"):
        load_embeddings(path)
    lines[157] = "w157 1 2"
    path.write_text("\n".join(lines) + "\n")
    assert len(load_embeddings(path)) == 200


def test_truncated_word2vec_binary(tmp_path, small):
    path = save_embeddings(small, tmp_path / "e.bin", "word2vec-binary")
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ValueError, match=r"e\.bin: row 6: file ends early"):
        load_embeddings(path)


def test_npy_needs_a_matching_vocabulary(tmp_path, small):
    np.save(tmp_path / "m.npy", small.vectors)
    with pytest.raises(ValueError, match="no vocabulary file"):
        load_embeddings(tmp_path / "m.npy")
    (tmp_path / "m.vocab").write_text("a\nb\n")
    with pytest.raises(ValueError, match="2 words for 6 rows"):
        load_embeddings(tmp_path / "m.npy")


def test_writer_leaves_nothing_behind_on_failure(tmp_path, small):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with EmbeddingWriter(target, len(small), small.dim) as writer:
            writer.write(small.words[:2], small.vectors[:2])
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="2 rows written, 6 declared"):
        w = EmbeddingWriter(target, len(small), small.dim)
        w.write(small.words[:2], small.vectors[:2])
        w.close()
    assert list(tmp_path.iterdir()) == []


def test_registry_default_embedding(glove50):
    assert len(glove50) == 400_000 and glove50.dim == 50
    assert glove50.words[:3] == ["the", ",", "."]


def test_unknown_source_is_a_one_line_error():
    with pytest.raises(ValueError, match="no such file, and not a known embedding name"):
        load_embeddings("no-such-embedding")


def test_parallel_parse_matches_sequential(tmp_path, monkeypatch):
    """Worker processes parse blocks; rows, order, duplicates and error lines are unchanged."""
    import vgbench.embeddings.text_reader as tr
    monkeypatch.setattr(tr, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(tr, "PARALLEL_MIN_BYTES", 0)
    rng = np.random.default_rng(0)
    lines = [f"w{i % 900} " + " ".join(f"{v:.4f}" for v in rng.normal(size=5)) for i in range(1000)]
    path = tmp_path / "p.txt"
    path.write_text("\n".join(lines) + "\n")
    seq = tr.read_text(path, workers=1)
    par = tr.read_text(path, workers=2)
    assert par.words == seq.words and len(par) == 900 and par.meta["duplicates"] == 100
    np.testing.assert_array_equal(par.vectors, seq.vectors)
    lines[777] += " 1.0"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match="line 778: expected a word and 5 values, found 6"):
        tr.read_text(path, workers=2)
