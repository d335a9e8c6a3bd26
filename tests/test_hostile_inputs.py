"""Hostile but realistic inputs: no code runs from a data file, every failure is one line with an
exit code, a bad row is named and the good ones kept, nothing vanishes from the report."""
from __future__ import annotations

import bz2
import gzip
import json
import os
import pickle
import sys

import numpy as np
import pytest
import torch

from vgbench.cli import EXIT_INPUT, EXIT_INTERNAL, EXIT_SYSTEM, describe_error, main
from vgbench.datasets.word_pairs import read_word_pairs
from vgbench.embeddings import load_embeddings
from vgbench.evaluation.api import evaluate

MARKER = "vgbench_pwned"


class Exploit:
    """Unpickling this object creates a marker file: proof that code from the data file ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


WORDS = ["cat", "dog", "car", "truck", "sun", "moon", "king", "queen", "tree", "house"]


def vectors(seed=0, dim=5):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(len(WORDS), dim)).round(4)


def write_glove(path, vecs=None, sep=" ", end="\n", words=WORDS, bom=False):
    vecs = vectors() if vecs is None else vecs
    text = "".join(w + sep + " ".join(f"{x:g}" for x in v) + end for w, v in zip(words, vecs))
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def write_pairs(path, rows):
    path.write_text("".join("\t".join(map(str, r)) + "\n" for r in rows))
    return path


PAIRS = [("cat", "dog", 8.0), ("car", "truck", 7.5), ("sun", "moon", 6.0), ("king", "queen", 9.0),
         ("tree", "house", 2.0), ("cat", "car", 1.0), ("dog", "moon", 1.5)]


def one_line_error(capsys):
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    return err


# ------------------------------------------------------------------------- no code from data
def test_pickle_under_any_name_is_refused_and_never_unpickled(tmp_path, capsys):
    marker = tmp_path / MARKER
    evil = tmp_path / "vectors.txt"
    evil.write_bytes(pickle.dumps(Exploit(marker), protocol=4))
    pairs = write_pairs(tmp_path / "p.tsv", PAIRS)
    assert main(["eval", str(evil), "--dataset", str(pairs), "--quiet"]) == EXIT_INPUT
    err = one_line_error(capsys)
    assert "pickle" in err and "--format gensim" in err and str(evil) in err
    assert not marker.exists()


def test_gensim_files_load_when_named_so(tmp_path):
    from gensim.models import KeyedVectors
    kv = KeyedVectors(5)
    kv.add_vectors(WORDS, vectors().astype(np.float32))
    kv.save(str(tmp_path / "model.kv"))
    emb = load_embeddings(tmp_path / "model.kv")
    assert emb.words == WORDS and np.allclose(emb["cat"], vectors()[0])
    os.replace(tmp_path / "model.kv", tmp_path / "model.bin.pkl")
    with pytest.raises(ValueError, match="--format gensim"):
        load_embeddings(tmp_path / "model.bin.pkl")
    assert load_embeddings(tmp_path / "model.bin.pkl", fmt="gensim").words == WORDS


def test_checkpoint_with_code_is_refused_by_eval_ground_and_resume(tmp_path, capsys):
    from vgbench.grounding.checkpoint import load_state
    from vgbench.grounding.grounder import Grounder
    from vgbench.grounding.trainer import load_checkpoint
    marker = tmp_path / MARKER
    evil = tmp_path / "best.pt"
    torch.save({"format": "vgbench-checkpoint", "payload": Exploit(marker)}, evil)
    pairs = write_pairs(tmp_path / "p.tsv", PAIRS)
    assert main(["eval", str(evil), "--dataset", str(pairs), "--quiet"]) == EXIT_INPUT
    assert "never unpickles" in one_line_error(capsys)
    assert main(["ground", str(evil), "--vectors", str(write_glove(tmp_path / "v.txt")),
                 "--out", str(tmp_path / "g.txt"), "--no-progress"]) == EXIT_INPUT
    one_line_error(capsys)
    for load in (load_state, load_checkpoint, Grounder.load):
        with pytest.raises(ValueError, match="best.pt"):
            load(evil)
    assert not marker.exists()


# ------------------------------------------------------------------------- one line, always
@pytest.mark.parametrize("opener,suffix", [(gzip.open, ".gz"), (bz2.open, ".bz2")])
def test_truncated_compressed_file_is_one_line(tmp_path, capsys, opener, suffix):
    plain = write_glove(tmp_path / "v.txt", np.random.default_rng(0).normal(size=(10, 300)))
    packed = tmp_path / f"v.txt{suffix}"
    with opener(packed, "wb") as fh:
        fh.write(plain.read_bytes() * 20)
    packed.write_bytes(packed.read_bytes()[: packed.stat().st_size // 2])
    pairs = write_pairs(tmp_path / "p.tsv", PAIRS)
    assert main(["eval", str(packed), "--dataset", str(pairs), "--quiet"]) == EXIT_INPUT
    err = one_line_error(capsys)
    assert str(packed) in err and "truncated or corrupt" in err


def test_unexpected_exception_is_one_line_with_traceback_only_under_verbose(tmp_path, capsys, monkeypatch):
    import vgbench.evaluation.api as api

    def broken(*a, **k):
        raise TypeError("boom")

    monkeypatch.setattr(api, "evaluate", broken)
    vecs = write_glove(tmp_path / "v.txt")
    assert main(["eval", str(vecs), "--quiet"]) == EXIT_INTERNAL
    err = one_line_error(capsys)
    assert err.startswith("vgbench eval: error:") and "TypeError" in err and str(vecs) in err and "-v" in err
    assert main(["-v", "eval", str(vecs), "--quiet"]) == EXIT_INTERNAL
    assert "Traceback" in capsys.readouterr().err


def test_full_disk_is_an_os_error_naming_the_file():
    import errno
    exc = OSError(errno.ENOSPC, "No space left on device", "/x/out")
    code, msg = describe_error(exc, type("A", (), {"__dict__": {}})())
    assert code == EXIT_SYSTEM and msg.startswith("/x/out: No space left on device") and "previous" in msg


@pytest.mark.parametrize("override,key", [("train.device=\"gpu\"", "train.device"),
                                          ("train.device=\"cuda:x\"", "train.device"),
                                          ("train.epochs=-1", "train.epochs"),
                                          ("train.epochs=0", "train.epochs"),
                                          ("train.lr=0", "train.lr"),
                                          ("train.lr=nan", "train.lr"),
                                          ("train.patience=0", "train.patience"),
                                          ("data.vocab_size=0", "data.vocab_size")])
def test_config_values_are_validated_with_the_key_named(override, key):
    from vgbench.grounding.config import load_config
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        load_config(None, [override])
    for ok in ("train.device=\"cpu\"", "train.device=\"cuda:1\"", "train.device=\"mps\"", "train.epochs=1"):
        load_config(None, [ok])


def test_train_with_bad_epochs_exits_2(tmp_path, capsys):
    assert main(["train", "--set", "train.epochs=-1", "--set", f'out_dir="{tmp_path}"']) == EXIT_INPUT
    assert "train.epochs" in one_line_error(capsys)


def test_dataset_whose_image_vectors_do_not_cover_its_captions_is_rejected(tmp_path):
    sys.path.insert(0, os.path.dirname(__file__))
    from _vge_synthetic import save_task
    from vgbench.caption_data.dataset import CaptionDataset
    directory, _ = save_task(tmp_path / "task", n_images=30)
    ds = CaptionDataset.load(directory)
    assert ds.features.shape[0] == 30
    np.save(directory / "features.npy", np.asarray(ds.features)[:10])
    (directory / "images.txt").write_text("".join(f"{n}\n" for n in ds.image_names[:10]))
    with pytest.raises(ValueError, match=r"dataset: caption dataset: split '\w+' points to image row"):
        CaptionDataset.load(directory)


def test_failed_checkpoint_write_keeps_the_previous_file_and_names_it(tmp_path, monkeypatch):
    from vgbench.grounding import checkpoint
    path = checkpoint.save_state({"a": torch.ones(2)}, tmp_path / "last.pt")

    def full_disk(obj, f, *a, **k):
        open(f, "wb").write(b"partial")
        raise RuntimeError("[enforce fail at inline_container.cc] . PytorchStreamWriter failed writing file")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(OSError) as info:
        checkpoint.save_state({"a": torch.zeros(2)}, path)
    assert info.value.filename == str(path) and "disk space" in info.value.strerror
    assert torch.equal(checkpoint.load_state(path)["a"], torch.ones(2))
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]


# ------------------------------------------------------------- name the bad row, keep the good ones
def test_nonfinite_row_is_named_dropped_counted_and_the_rest_scored(tmp_path, capsys):
    good = vectors()
    bad = good.copy()
    bad[3, 2] = np.nan
    bad[7, 0] = np.inf
    path = write_glove(tmp_path / "v.txt", bad)
    pairs = write_pairs(tmp_path / "p.tsv", PAIRS)
    out = tmp_path / "out"
    assert main(["eval", str(path), "--dataset", str(pairs), "--bootstrap", "0", "--out", str(out),
                 "--no-charts", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert f"note: {path}: dropped 2 word(s)" in printed and "line 4: truck" in printed
    data = json.loads((out / "results.json").read_text())
    meta = data["embeddings"]["v.txt"]
    assert meta["nonfinite"] == 2 and meta["nonfinite_examples"] == ["line 4: truck", "line 8: queen"]
    # the same as evaluating a file without those two words
    keep = [i for i in range(len(WORDS)) if i not in (3, 7)]
    clean = write_glove(tmp_path / "clean.txt", good[keep], words=[WORDS[i] for i in keep])
    ref = evaluate([str(clean)], [], pair_files=[pairs], n_boot=0)
    assert data["scores"][0]["value"] == pytest.approx(ref.scores[0].value)
    assert data["scores"][0]["n_used"] == ref.scores[0].n_used == 5
    assert main(["eval", str(path), "--dataset", str(pairs), "--nonfinite", "error", "--quiet"]) == EXIT_INPUT
    err = one_line_error(capsys)
    assert f"{path}: line 4: word 'truck' has a non-finite value" in err


@pytest.mark.parametrize("fmt", ["npy", "bin"])
def test_nonfinite_rows_in_binary_formats(tmp_path, fmt):
    from vgbench.embeddings import Embeddings, save_embeddings
    vecs = vectors().astype(np.float32)
    vecs[1, 0] = np.nan
    path = save_embeddings(Embeddings(WORDS, vecs), tmp_path / f"v.{fmt}")
    emb = load_embeddings(path)
    assert "dog" not in emb and len(emb) == 9 and emb.meta["nonfinite_examples"] == ["row 2: dog"]
    with pytest.raises(ValueError, match="row 2: word 'dog'"):
        load_embeddings(path, nonfinite="error")


def test_ground_drops_nonfinite_rows_and_says_so(tmp_path, capsys):
    from vgbench.grounding.grounder import Grounder
    g = Grounder(np.eye(5, 3, dtype=np.float32))
    ckpt = g.save(tmp_path / "grounder.pt")
    bad = vectors()
    bad[0, 1] = np.nan
    src = write_glove(tmp_path / "v.txt", bad)
    out = tmp_path / "g.txt"
    assert main(["ground", str(ckpt), "--vectors", str(src), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "left out 1 word(s)" in printed and "line 1: cat" in printed
    grounded = load_embeddings(out)
    assert "cat" not in grounded and len(grounded) == 9 and np.isfinite(grounded.vectors).all()
    assert main(["ground", str(ckpt), "--vectors", str(src), "--out", str(out), "--no-progress",
                 "--nonfinite", "error"]) == EXIT_INPUT
    assert "line 1: word 'cat'" in one_line_error(capsys)
    from vgbench.embeddings.core import Embeddings
    with pytest.raises(ValueError, match="'cat'"):
        g.export(Embeddings(WORDS, bad), tmp_path / "x.txt", progress=False)


@pytest.mark.parametrize("variant", ["bom", "crlf", "tab", "spaces", "trailing", "tab_spaces"])
def test_text_layout_variants_read_exactly(tmp_path, variant):
    sep, end, bom = {"bom": (" ", "\n", True), "crlf": (" ", "\r\n", False), "tab": ("\t", "\n", False),
                     "spaces": ("   ", "\n", False), "trailing": (" ", "  \n", False),
                     "tab_spaces": ("\t ", " \t\r\n", False)}[variant]
    vecs = vectors()
    if variant == "spaces":
        text = "".join(w + sep + "  ".join(f"{x:g}" for x in v) + end for w, v in zip(WORDS, vecs))
        path = tmp_path / "v.txt"
        path.write_text(text)
    else:
        path = write_glove(tmp_path / "v.txt", vecs, sep=sep, end=end, bom=bom)
    emb = load_embeddings(path)
    assert emb.words == WORDS and emb.dim == 5
    assert np.allclose(emb.vectors, vecs, atol=1e-6)


def test_bom_in_word2vec_header_and_pairs_file(tmp_path):
    path = tmp_path / "v.vec"
    path.write_bytes(b"\xef\xbb\xbf" + f"{len(WORDS)} 5\n".encode() + write_glove(tmp_path / "g.txt").read_bytes())
    assert load_embeddings(path).words == WORDS
    pairs = tmp_path / "p.tsv"
    pairs.write_bytes(b"\xef\xbb\xbfword1\tword2\tscore\r\ncat\tdog\t8\r\n")
    wp = read_word_pairs(pairs)
    assert wp.word1 == ["cat"] and wp.gold.tolist() == [8.0]


def test_first_row_is_a_header_only_when_it_cannot_be_a_pair(tmp_path):
    named = write_pairs(tmp_path / "named.tsv", [("word1", "word2", "score")] + PAIRS)
    assert len(read_word_pairs(named)) == len(PAIRS)
    ws = write_pairs(tmp_path / "ws.tsv", [("Word 1", "Word 2", "Human (mean)")] + PAIRS)
    assert len(read_word_pairs(ws)) == len(PAIRS)
    broken = write_pairs(tmp_path / "broken.tsv", [("tiger", "cat", "7,35")] + PAIRS)
    with pytest.raises(ValueError, match=r"broken.tsv: line 1: score '7,35' is not a number"):
        read_word_pairs(broken)
    missing = write_pairs(tmp_path / "missing.tsv", [("tiger", "cat", "n/a")] + PAIRS)
    with pytest.raises(ValueError, match="line 1"):
        read_word_pairs(missing)
    nan = write_pairs(tmp_path / "nan.tsv", PAIRS + [("tiger", "cat", "nan")])
    with pytest.raises(ValueError, match="line 8: score 'nan' is not a finite number"):
        read_word_pairs(nan)


# ------------------------------------------------------------------------ nothing vanishes
@pytest.mark.parametrize("rows,reason", [
    (PAIRS[:2], "only 2 pairs (a correlation needs 3)"),
    ([(a, b, 5.0) for a, b, _ in PAIRS], "gold scores are constant"),
    ([("cat", "dog", 1), ("zzz", "yyy", 2), ("xxx", "www", 3), ("car", "sun", 4)],
     "only 2 of 4 pairs covered"),
])
def test_dataset_without_a_correlation_is_listed_with_its_reason(tmp_path, capsys, rows, reason):
    pairs = write_pairs(tmp_path / "mine.tsv", rows)
    ok = write_pairs(tmp_path / "ok.tsv", PAIRS)
    out = tmp_path / "out"
    assert main(["eval", str(write_glove(tmp_path / "v.txt")), "--dataset", str(ok), "--dataset",
                 str(pairs), "--bootstrap", "0", "--out", str(out), "--no-charts", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "no correlation: mine for v.txt" in printed and reason in printed
    assert reason in (out / "tables.md").read_text()
    score = next(s for s in json.loads((out / "results.json").read_text())["scores"] if s["dataset"] == "mine")
    assert score["value"] is None and reason in score["note"]


def test_all_zero_vectors_say_why_there_is_no_score(tmp_path, capsys):
    path = write_glove(tmp_path / "zero.txt", np.zeros((len(WORDS), 5)))
    pairs = write_pairs(tmp_path / "p.tsv", PAIRS)
    assert main(["eval", str(path), "--dataset", str(pairs), "--bootstrap", "0", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "no correlation: p for zero.txt: predicted similarities are all equal" in printed


def test_empty_dataset_list_is_an_error(tmp_path, capsys):
    path = write_glove(tmp_path / "v.txt")
    for value in ("", " , "):
        assert main(["eval", str(path), "--datasets", value, "--quiet"]) == EXIT_INPUT
        assert "names no dataset" in one_line_error(capsys)
    with pytest.raises(ValueError, match="no dataset to evaluate"):
        evaluate([str(path)], [])
    pairs = write_pairs(tmp_path / "p.tsv", PAIRS)
    assert main(["eval", str(path), "--dataset", str(pairs), "--bootstrap", "-1", "--quiet"]) == EXIT_INPUT
    assert "--bootstrap" in one_line_error(capsys)


# ------------------------------------------------------------------------ featurize
def test_featurize_lists_a_dangling_symlink(tmp_path):
    from vgbench.caption_data.featurize import collect_images
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "a.jpg").write_bytes(b"x")
    (tmp_path / "imgs" / "gone.jpg").symlink_to(tmp_path / "nowhere.jpg")
    assert [n for n, _ in collect_images([tmp_path / "imgs"])] == ["a.jpg", "gone.jpg"]


def test_featurize_run_lists_the_dangling_symlink_as_skipped(tmp_path):
    from PIL import Image
    sys.path.insert(0, os.path.dirname(__file__))
    from test_featurize import MeanColour
    from vgbench.caption_data.featurize import featurize
    images = tmp_path / "imgs"
    images.mkdir()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(images / "a.png")
    (images / "gone.jpg").symlink_to(tmp_path / "nowhere.jpg")
    res = featurize([images], tmp_path / "out", MeanColour(), chunk_size=4, workers=0, progress=False)
    assert [s.image for s in res.skipped] == ["gone.jpg"] and len(res.store) == 1


def test_in_memory_embeddings_follow_the_same_nonfinite_policy(tmp_path):
    from vgbench.embeddings.core import Embeddings
    bad = vectors()
    bad[0, 0] = np.nan
    pairs = write_pairs(tmp_path / "p.tsv", PAIRS)
    res = evaluate([Embeddings(WORDS, bad, "mem")], [], pair_files=[pairs], n_boot=0)
    assert res.embeddings["mem"]["nonfinite_examples"] == ["row 1: cat"] and res.scores[0].n_used == 5
    with pytest.raises(ValueError, match="row 1: word 'cat'"):
        evaluate([Embeddings(WORDS, bad, "mem")], [], pair_files=[pairs], n_boot=0, nonfinite="error")


def test_exit_codes_for_paths(tmp_path, capsys):
    assert main(["train", str(tmp_path / "missing.toml")]) == EXIT_INPUT
    assert one_line_error(capsys).endswith("missing.toml: No such file or directory; check the path")
    afile = tmp_path / "afile"
    afile.write_text("x")
    pairs = write_pairs(tmp_path / "p.tsv", PAIRS)
    assert main(["eval", str(write_glove(tmp_path / "v.txt")), "--dataset", str(pairs), "--bootstrap", "0",
                 "--out", str(afile), "--quiet"]) == EXIT_INPUT
    assert one_line_error(capsys).endswith(f"{afile}: exists and is not a folder; the output needs a "
                                           f"folder; choose another path")
    assert main(["data", "info", str(tmp_path)]) == EXIT_INPUT
    assert "not a saved caption dataset" in one_line_error(capsys)
