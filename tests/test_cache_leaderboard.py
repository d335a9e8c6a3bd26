"""The results cache and the leaderboard as a user meets them: a second run is a lookup, a
changed file is re-evaluated, a broken entry is ignored, every cached embedding is ranked."""
from __future__ import annotations

import json

import numpy as np
import pytest

from vgbench.cli import main
from vgbench.embeddings import Embeddings, save_embeddings
from vgbench.evaluation.api import evaluate
from vgbench.evaluation.cache import ResultsCache
from vgbench.reporting.leaderboard import collect, leaderboard_table

WORDS = ["cat", "dog", "car", "banana", "king", "queen", "sun", "chair", "apple", "road"]
PAIRS = ("cat\tdog\t8\ncar\tbanana\t1\nking\tqueen\t9\nsun\tchair\t0.5\napple\tbanana\t7\n"
         "road\tcar\t6\ncat\tchair\t1\nqueen\tsun\t2\n")


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    a = save_embeddings(Embeddings(WORDS, rng.normal(size=(10, 8)), "a"), tmp_path / "a.txt")
    b = save_embeddings(Embeddings(WORDS, rng.normal(size=(10, 8)), "b"), tmp_path / "b.txt")
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(PAIRS)
    return a, b, pairs


def _eval(sources, pairs, cache, **kw):
    return evaluate([str(s) for s in sources], [], pair_files=[pairs], n_boot=50, cache=cache, **kw)


def test_second_run_is_a_lookup_and_a_changed_file_is_not(files, tmp_path):
    a, b, pairs = files
    cache = tmp_path / "cache"
    first = _eval([a, b], pairs, cache)
    assert first.cached is None
    again = _eval([a, b], pairs, cache)
    assert again.cached is not None and again.cached["key"] in again.cached["path"]
    assert again.to_json() == first.to_json()
    assert _eval([a, b], pairs, cache, oov="zero").cached is None  # another policy
    save_embeddings(Embeddings(WORDS, np.random.default_rng(7).normal(size=(10, 8)), "a"), a)
    changed = _eval([a, b], pairs, cache)
    assert changed.cached is None
    fp_old = first.embeddings["a.txt"]["fingerprint"]
    assert changed.embeddings["a.txt"]["fingerprint"] != fp_old
    assert changed.embeddings["b.txt"]["fingerprint"] == first.embeddings["b.txt"]["fingerprint"]
    assert len(list((cache / "runs").glob("*.json"))) == 3


def test_a_broken_entry_is_ignored_and_replaced(files, tmp_path):
    a, b, pairs = files
    cache = ResultsCache(tmp_path / "cache")
    _eval([a], pairs, cache)
    [entry] = list((cache.root / "runs").glob("*.json"))
    entry.write_text('{"format": "vgbench-cache/1", "key": ')  # as if cut off mid-write
    assert _eval([a], pairs, cache).cached is None
    assert _eval([a], pairs, cache).cached is not None
    assert not list(cache.root.rglob("*.tmp"))


def test_leaderboard_ranks_every_cached_embedding(files, tmp_path):
    a, b, pairs = files
    cache = ResultsCache(tmp_path / "cache")
    r1 = _eval([a], pairs, cache)
    r2 = _eval([b], pairs, cache)
    _eval([a, b], pairs, cache)  # the same two embeddings again: still two rows
    rows, skipped = collect(cache)
    assert skipped == 0 and sorted(r.label for r in rows) == ["a.txt", "b.txt"]
    table = leaderboard_table(rows, sort="pairs")
    va, vb = r1.get("a.txt", "pairs").value, r2.get("b.txt", "pairs").value
    assert sorted(table.values[:, 0], reverse=True) == pytest.approx(sorted([va, vb], reverse=True))
    assert table.rows[0].startswith("a.txt" if va > vb else "b.txt") and table.ranks == [1, 2]
    with pytest.raises(ValueError, match="cannot sort"):
        leaderboard_table(rows, sort="nope")


def test_cli_eval_says_cached_and_leaderboard_lists_both(files, tmp_path, capsys):
    a, b, pairs = files
    cache = str(tmp_path / "cache")
    args = ["eval", str(a), str(b), "--dataset", str(pairs), "--bootstrap", "50", "--quiet",
            "--cache-dir", cache, "--out", str(tmp_path / "out")]
    assert main(args) == 0
    assert "cached:" not in capsys.readouterr().out
    assert main(args) == 0
    assert "cached:" in capsys.readouterr().out
    page = tmp_path / "board.html"
    assert main(["leaderboard", "--cache-dir", cache, "--html", str(page)]) == 0
    out = capsys.readouterr().out
    assert "a.txt" in out and "b.txt" in out and "Leaderboard: 2 cached embeddings" in out
    assert "a.txt" in page.read_text() and "https://" not in page.read_text()
    assert main(["eval", str(a), "--dataset", str(pairs), "--bootstrap", "0", "--quiet",
                 "--no-cache", "--cache-dir", str(tmp_path / "none")]) == 0
    assert not (tmp_path / "none").exists()


def test_cli_report_rebuilds_and_merges(files, tmp_path, capsys):
    a, b, pairs = files
    for src, out in [(a, "ra"), (b, "rb")]:
        assert main(["eval", str(src), "--dataset", str(pairs), "--bootstrap", "50", "--quiet",
                     "--no-cache", "--out", str(tmp_path / out), "--no-charts"]) == 0
    (tmp_path / "ra" / "index.html").unlink()
    assert main(["report", str(tmp_path / "ra"), "--no-charts"]) == 0
    assert (tmp_path / "ra" / "index.html").is_file()
    assert main(["report", str(tmp_path / "ra"), str(tmp_path / "rb"), "--out",
                 str(tmp_path / "both"), "--no-charts"]) == 0
    merged = json.loads((tmp_path / "both" / "results.json").read_text())
    assert set(merged["embeddings"]) == {"a.txt", "b.txt"}
    assert set(merged["predictions"]) == {"a.txt", "b.txt"}
    assert list(merged["settings"]["dataset_checksums"]) == ["pairs"]
    capsys.readouterr()
    assert main(["report", str(tmp_path / "ra"), str(tmp_path / "rb")]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "missing")]) == 2


def test_mean_ci_combines_the_sets_as_independent_errors():
    from scipy.stats import norm

    from vgbench.evaluation.results import Score
    from vgbench.reporting.leaderboard import _mean
    scores = [Score("e", "similarity", d, "All", "spearman", v, v - w, v + w, 10, 10)
              for d, v, w in [("A", 40.0, 3.0), ("B", 50.0, 4.0)]]
    m, lo, hi = _mean(scores)
    z = norm.ppf(0.975)
    se = np.hypot(3.0 / z, 4.0 / z) / 2  # each CI half-width is z * se_i
    assert m == 45.0 and (lo, hi) == pytest.approx((45 - z * se, 45 + z * se))
    assert (hi - lo) / 2 == pytest.approx(2.5)  # sqrt(3^2 + 4^2) / 2
