"""Results belong to this run's inputs: a cache hit never reports another file's name, a rewritten
file is re-evaluated however its times were restored, and a damaged or unwritable cache never
costs the user a finished evaluation or a readable leaderboard."""
from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from vgbench.cli import main
from vgbench.embeddings import Embeddings, save_embeddings
from vgbench.evaluation.api import evaluate
from vgbench.evaluation.cache import ResultsCache
from vgbench.reporting.leaderboard import collect

WORDS = ["cat", "dog", "car", "banana", "king", "queen", "sun", "chair", "apple", "road"]
PAIRS = ("cat\tdog\t8\ncar\tbanana\t1\nking\tqueen\t9\nsun\tchair\t0.5\napple\tbanana\t7\n"
         "road\tcar\t6\ncat\tchair\t1\nqueen\tsun\t2\n")


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    a = save_embeddings(Embeddings(WORDS, rng.normal(size=(10, 8)).round(4), "a"),
                        tmp_path / "mine_v1.vec")
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(PAIRS)
    return a, pairs


def _cli(source, pairs, cache, *extra):
    return main(["eval", str(source), "--dataset", str(pairs), "--bootstrap", "20",
                 "--cache-dir", str(cache), "--quiet", *extra])


def test_a_copied_file_evaluates_under_its_new_name(files, tmp_path, capsys, caplog):
    a, pairs = files
    cache = tmp_path / "cache"
    assert _cli(a, pairs, cache) == 0
    final = tmp_path / "final_model.vec"
    shutil.copy2(a, final)
    out = tmp_path / "rep"
    assert _cli(final, pairs, cache, "--out", str(out)) == 0
    console = capsys.readouterr().out.split("final_model.vec", 1)
    assert len(console) == 2 and "mine_v1" not in console[1]
    data = json.loads((out / "results.json").read_text())
    assert list(data["embeddings"]) == ["final_model.vec"]
    assert data["embeddings"]["final_model.vec"]["source"] == str(final)
    assert {s["embedding"] for s in data["scores"]} == {"final_model.vec"}
    for tex in out.rglob("*.tex"):
        assert "mine" not in tex.read_text(), tex


def test_same_size_rewrite_with_restored_times_is_re_evaluated(files, tmp_path):
    a, pairs = files
    cache = tmp_path / "cache"
    first = evaluate([str(a)], [], pair_files=[pairs], n_boot=0, cache=cache)
    st = os.stat(a)
    text = a.read_text()
    lines = text.splitlines(keepends=True)
    # the vectors moved between words of the same text length: same size, another embedding
    rewritten = _same_length_shuffle(text)
    assert len(rewritten.encode()) == st.st_size and rewritten != text
    a.write_text(rewritten)
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(a).st_size == st.st_size and os.stat(a).st_mtime_ns == st.st_mtime_ns
    again = evaluate([str(a)], [], pair_files=[pairs], n_boot=0, cache=cache)
    assert again.cached is None
    assert again.embeddings["mine_v1.vec"]["fingerprint"] != first.embeddings["mine_v1.vec"][
        "fingerprint"]
    assert again.scores[0].value != pytest.approx(first.scores[0].value)


def _same_length_shuffle(text: str) -> str:
    """The vectors of each word swapped with the next word's (rows keep their byte lengths when
    the vector texts are swapped between rows of the same vector-text length)."""
    rows = [line.split(" ", 1) for line in text.splitlines()]
    vecs = [v for _, v in rows]
    by_len: dict[int, list[int]] = {}
    for i, v in enumerate(vecs):
        by_len.setdefault(len(v), []).append(i)
    new = list(vecs)
    for idx in by_len.values():
        for k, i in enumerate(idx):
            new[i] = vecs[idx[(k + 1) % len(idx)]]
    if new == vecs:  # every vector text of a different length: reverse one row's signs instead
        new[0] = " ".join(x[1:] if x.startswith("-") else "-" + x[1:] if x[0] == "0" else x
                          for x in vecs[0].split(" "))
    return "".join(f"{w} {v}\n" for (w, _), v in zip(rows, new))


def _only_entry(cache):
    [entry] = list((cache / "runs").glob("*.json"))
    return entry, json.loads(entry.read_text())


def test_an_entry_edited_to_nan_is_ignored_not_shown(files, tmp_path, capsys, caplog):
    a, pairs = files
    b = save_embeddings(Embeddings(WORDS, np.random.default_rng(3).normal(size=(10, 8)), "b"),
                        tmp_path / "b.txt")
    cache = tmp_path / "cache"
    assert main(["eval", str(a), str(b), "--dataset", str(pairs), "--bootstrap", "20",
                 "--cache-dir", str(cache), "--quiet"]) == 0
    truth = capsys.readouterr().out
    entry, data = _only_entry(cache)
    for s in data["results"]["scores"]:
        s["value"] = None
    entry.write_text(json.dumps(data))
    assert main(["eval", str(a), str(b), "--dataset", str(pairs), "--bootstrap", "20",
                 "--cache-dir", str(cache), "--quiet"]) == 0
    again = capsys.readouterr()
    assert "cached:" not in again.out and again.out == truth
    assert "ignoring unreadable cache entry" in again.err + caplog.text


def test_an_entry_with_strings_breaks_neither_eval_nor_leaderboard(files, tmp_path, capsys, caplog):
    a, pairs = files
    cache = tmp_path / "cache"
    assert _cli(a, pairs, cache) == 0
    capsys.readouterr()
    entry, data = _only_entry(cache)
    data["results"]["scores"][0]["value"] = "sixty"
    data["results"]["scores"][0]["n_used"] = "8"
    from vgbench.evaluation.cache import _digest
    data["results_sha256"] = _digest(data["results"])  # even a consistent digest is no pass
    entry.write_text(json.dumps(data))
    assert collect(ResultsCache(cache))[0] == []
    assert main(["leaderboard", "--cache-dir", str(cache)]) == 0
    assert _cli(a, pairs, cache) == 0
    out = capsys.readouterr()
    assert "cached:" not in out.out and "mine_v1.vec" in out.out
    assert "expected a number" in out.err + caplog.text


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_cache_does_not_lose_the_evaluation(files, tmp_path, capsys, caplog):
    a, pairs = files
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o500)
    try:
        out = tmp_path / "rep"
        assert _cli(a, pairs, cache, "--out", str(out)) == 0
        printed = capsys.readouterr()
        assert "mine_v1.vec" in printed.out and (out / "results.json").is_file()
        assert "could not store the results in the cache" in printed.err + caplog.text
    finally:
        cache.chmod(0o700)


def test_an_unwritable_cache_does_not_lose_the_evaluation(files, tmp_path, capsys, caplog,
                                                        monkeypatch):
    """The same as root would meet it (root ignores permission bits): the write fails."""
    a, pairs = files
    import vgbench.evaluation.cache as cache_mod
    import vgbench.evaluation.provenance as prov_mod

    def refuse(path, *args, **kw):
        raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr(cache_mod, "write_text_atomic", refuse)
    monkeypatch.setattr(prov_mod, "write_text_atomic", refuse)
    out = tmp_path / "rep"
    assert _cli(a, pairs, tmp_path / "cache", "--out", str(out)) == 0
    printed = capsys.readouterr()
    assert "mine_v1.vec" in printed.out and (out / "results.json").is_file()
    assert "could not store the results in the cache" in printed.err + caplog.text
