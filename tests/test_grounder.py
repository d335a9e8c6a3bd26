"""Zero-shot grounding: Ge = Te·M for every word, chunked export readable by gensim, checkpoints as
evaluator sources."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from _vge_synthetic import make_task, save_task
from vgbench.embeddings import Embeddings, load_embeddings
from vgbench.grounding.config import load_config
from vgbench.evaluation.dev_scores import dev_pairs
from vgbench.grounding.grounder import Grounder
from vgbench.sources import load_source
from vgbench.sources.checkpoint import load_checkpoint
from vgbench.grounding.trainer import Trainer


def textual(n=50, d=4, seed=0):
    rng = np.random.default_rng(seed)
    return Embeddings([f"w{i}" for i in range(n)], rng.normal(size=(n, d)).astype(np.float32), "tx")


def grounder(d=4, c=3, **kw):
    M = np.random.default_rng(1).normal(size=(d, c)).astype(np.float32)
    return Grounder(M, **kw)


def test_ground_is_te_times_M_and_finetuned_rows_only_for_training_words():
    emb, g = textual(), grounder()
    assert np.allclose(g.ground(emb.vectors), emb.vectors.astype(np.float64) @ g.M, atol=1e-5)
    ft = np.ones((2, 4), np.float32)
    g2 = grounder(te="finetuned", words=["w3", "w7"], finetuned=ft)
    out = g2.ground_embeddings(emb, chunk=7)
    assert np.allclose(out["w3"], ft[0] @ g2.M) and np.allclose(out["w7"], ft[1] @ g2.M)
    assert np.allclose(out["w4"], emb["w4"] @ g2.M)
    orig = Grounder(g2.M, "original", g2.words, ft).ground_embeddings(emb)
    assert np.allclose(orig["w3"], emb["w3"] @ g2.M)
    with pytest.raises(ValueError, match="dimension 4"):
        g.ground(np.zeros((2, 5)))


def test_export_formats_roundtrip_and_gensim_reads_the_binary(tmp_path):
    from gensim.models import KeyedVectors
    emb, g = textual(n=103), grounder()
    want = emb.vectors @ g.M
    g.export(emb, tmp_path / "g.bin", "word2vec-binary", chunk=10, progress=False)
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "g.bin"), binary=True)
    assert kv.index_to_key == emb.words and np.allclose(kv.vectors, want, atol=1e-6)
    for fmt, name in (("glove", "g.txt"), ("word2vec", "g.vec"), ("npy", "g.npy")):
        g.export(emb, tmp_path / name, fmt, chunk=17, progress=False)
        back = load_embeddings(tmp_path / name)
        assert back.words == emb.words and np.allclose(back.vectors, want, atol=1e-5), fmt
    assert not list(tmp_path.glob(".*.tmp"))


def test_export_memory_stays_flat(tmp_path):
    n, d, c = 40000, 8, 64
    emb = Embeddings([f"w{i}" for i in range(n)], np.ones((n, d), np.float32), "big")
    g = Grounder(np.ones((d, c), np.float32))
    tracemalloc.start()
    g.export(emb, tmp_path / "big.bin", "word2vec-binary", chunk=1000, progress=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.2 * n * c * 4          # the grounded matrix (10 MB) is never held whole


def test_save_load_roundtrip(tmp_path):
    g = grounder(te="finetuned", words=["w1"], finetuned=np.ones((1, 4), np.float32), textual="glove-6b-50d",
                 meta={"name": "x"})
    g.save(tmp_path / "m.pt")
    h = Grounder.load(tmp_path / "m.pt")
    assert np.array_equal(h.M, g.M) and h.words == ["w1"] and h.te == "finetuned"
    assert h.textual == "glove-6b-50d" and h.meta["name"] == "x"
    assert Grounder.load(tmp_path / "m.pt", te="original").te == "original"
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="junk.pt"):
        Grounder.load(tmp_path / "junk.pt")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("trained")
    data, tx_path = save_task(tmp)
    cfg = load_config(None, [f'out_dir="{tmp}"', f'data.textual="{tx_path}"', "model.grounded_dim=8",
                             "train.batch_size=16", "train.epochs=2", "model.finetune_te=true",
                             "train.threads=1"])
    ds, tx = make_task()
    Trainer(cfg, ds, tx, progress=False).run()
    return tmp / "vge", tx_path, tx


def test_checkpoint_is_an_evaluator_source(trained):
    run, tx_path, tx = trained
    g = Grounder.load(run / "best.pt")
    assert g.textual == str(tx_path) and g.M.shape == (8, 8)
    emb = load_checkpoint(run / "best.pt", words={"dog", "car", "unrelated", "nope"})
    assert sorted(emb.words) == ["car", "dog", "unrelated"]
    assert np.allclose(emb["dog"], tx["dog"] @ g.M, atol=1e-5)      # export.te = original
    small = Grounder.load(run / "grounder.pt")                         # M alone gives the same
    assert np.allclose(load_checkpoint(run / "grounder.pt").vectors,
                       load_checkpoint(run / "best.pt").vectors)
    ft = load_checkpoint(run / "best.pt", te="finetuned")
    assert not np.allclose(ft["dog"], emb["dog"]) and np.allclose(ft["unrelated"], emb["unrelated"])
    # a checkpoint is a source like any file; the file reader refuses it
    assert np.allclose(load_source(run / "best.pt")["dog"], emb["dog"])
    with pytest.raises(ValueError, match="trained checkpoint"):
        load_embeddings(run / "best.pt")
    assert small.grounded_dim == 8


def test_cli_ground_and_eval_read_a_checkpoint(trained, tmp_path, capsys):
    from gensim.models import KeyedVectors
    from vgbench.cli import main
    run, tx_path, tx = trained
    out = tmp_path / "grounded.bin"
    assert main(["ground", str(run / "best.pt"), "--vectors", str(tx_path), "--out", str(out),
                 "--no-progress"]) == 0
    assert "grounded" in capsys.readouterr().out
    kv = KeyedVectors.load_word2vec_format(str(out), binary=True)
    g = Grounder.load(run / "best.pt")
    assert len(kv) == len(tx) and np.allclose(kv["car"], tx["car"] @ g.M, atol=1e-5)
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("dog hound 9\ndog car 1\ncar truck 8\ntree oak 9\ncar oak 2\n")
    assert main(["eval", str(run / "best.pt"), str(out), "--dataset", str(pairs)]) == 0
    assert main(["ground", str(run / "best.pt"), "--vectors", str(pairs), "--out", str(tmp_path / "x.txt"),
                 "--no-progress"]) == 2
    assert "x.txt" not in {p.name for p in tmp_path.iterdir()}


def test_dev_pairs_strip_men_pos_suffixes():
    men = dev_pairs("men-dev")
    assert len(men) == 2000 and "-" not in "".join(men.word1[:50])
    assert len(dev_pairs("simverb-dev")) == 500
    with pytest.raises(ValueError, match="unknown dev set"):
        dev_pairs("rw-dev")
