"""Word categorization: purity against hand and independent computations, clustering of clearly
separated groups, coverage, the shipped sets' sizes, user files, and the evaluate/CLI wiring."""
from __future__ import annotations

import json

import numpy as np
import pytest

from vgbench.datasets import registry
from vgbench.datasets.categorization import read_categorization_file
from vgbench.embeddings.core import Embeddings
from vgbench.evaluation.categorization import cluster, evaluate_categorization, purity


def _purity_by_matrix(y_true, y_pred) -> float:
    """The web-benchmarks formula: one-hot clusters x one-hot classes, max per cluster."""
    classes, clusters = sorted(set(y_true)), sorted(set(y_pred))
    t = np.array([[y == c for y in y_true] for c in classes], float)
    p = np.array([[y == k for y in y_pred] for k in clusters], float)
    return float((p @ t.T).max(axis=1).sum() / len(y_true))


def test_purity_hand_case():
    assert purity(list("aabbb"), [1, 1, 1, 2, 2]) == pytest.approx(4 / 5)
    assert purity(list("abc"), [7, 7, 7]) == pytest.approx(1 / 3)
    assert purity(list("abc"), [1, 2, 3]) == 1.0


def test_purity_matches_independent_formula():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = int(rng.integers(2, 60))
        gold = rng.choice(list("abcdef"), n).tolist()
        pred = rng.integers(0, 7, n).tolist()
        assert purity(gold, pred) == pytest.approx(_purity_by_matrix(gold, pred))


def test_separated_clusters_give_purity_one():
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((4, 20)) * 10
    words, labels, vectors = [], [], []
    for k, centre in enumerate(centres):
        for i in range(12):
            words.append(f"w{k}_{i}")
            labels.append(f"class{k}")
            vectors.append(centre + rng.standard_normal(20) * 0.05)
    emb = Embeddings(words, np.array(vectors), "toy")
    from vgbench.datasets.categorization import CategorizationSet
    cset = CategorizationSet("toy", words + ["unknown"], np.array(labels + ["class0"], object))
    score, found = evaluate_categorization(emb, cset)
    assert score.value == pytest.approx(100.0)
    assert (score.n_used, score.n_total) == (48, 49) and not found[-1]
    assert len(set(cluster(np.array(vectors), 4).tolist())) == 4


def test_brute_force_tiny_ward():
    """Three points on a line, two clusters: Ward merges the two closest."""
    x = np.array([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0]])
    labels = cluster(x, 2)
    assert labels[0] == labels[1] != labels[2]


@pytest.mark.parametrize("name,n,k", [("AP", 402, 21), ("BLESS", 200, 17), ("Battig", 5231, 56),
                                      ("ESSLLI-N", 44, 6), ("ESSLLI-V", 45, 9)])
def test_shipped_sets(name, n, k):
    cset = registry.load(name)
    assert (len(cset), len(set(cset.labels.tolist()))) == (n, k)
    assert all(w.strip() for w in cset.words)


def test_glove50_purity_in_range(glove50):
    """GloVe 6B 50d clusters AP and BLESS far above chance (largest class share)."""
    for name in ("AP", "BLESS"):
        cset = registry.load(name)
        score, _ = evaluate_categorization(glove50, cset)
        chance = max(np.unique(cset.labels, return_counts=True)[1]) / len(cset)
        assert score.value > 100 * chance + 30
        assert score.n_used == len(cset)


def test_user_file_formats_and_errors(tmp_path):
    good = tmp_path / "mine.tsv"
    good.write_text("word\tclass\ncat\tanimal\nice cream\tfood\n\ndog\tanimal\n")
    cset = read_categorization_file(good)
    assert cset.words == ["cat", "ice cream", "dog"] and cset.labels.tolist() == ["animal", "food", "animal"]
    bad = tmp_path / "bad.tsv"
    bad.write_text("cat\tanimal\ndog animal\n")
    with pytest.raises(ValueError, match=r"bad.tsv: line 2: expected 'word<TAB>class'"):
        read_categorization_file(bad)
    one = tmp_path / "one.tsv"
    one.write_text("cat\tanimal\ndog\tanimal\n")
    with pytest.raises(ValueError, match="at least two classes"):
        read_categorization_file(one)


def test_evaluate_and_cli_write_the_new_tables(tmp_path, glove50):
    from vgbench.cli import main
    from vgbench.evaluation.api import evaluate, resolve_datasets
    bench = resolve_datasets(["analogy", "Categorization", "esslli-n", "ESSLLI_V", "msr"])
    assert [a.name for a in bench.analogy] == ["Google", "MSR"]
    assert [c.name for c in bench.categorization] == list(registry.group("categorization"))
    analogies = tmp_path / "a.txt"
    analogies.write_text(": family\nboy girl brother sister\nboy girl king queen\n"
                         ": gram3-comparative\ngood better bad worse\nbig bigger zzqqy zzqqyer\n")
    res = evaluate(["glove-6b-50d"], ["AP"], analogy_files=[analogies], n_boot=0)
    assert res.embeddings["glove-6b-50d"]["words_loaded"] >= 300_000  # the analogy candidates
    acc = res.get("glove-6b-50d", "a", "All", "accuracy")
    assert (acc.n_used, acc.n_total) == (3, 4) and acc.ci_low is not None
    assert res.get("glove-6b-50d", "AP", "All", "purity").task == "categorization"
    assert res.settings["analogy"]["restrict_vocab"] == 300_000
    out = tmp_path / "out"
    cats = tmp_path / "c.tsv"
    cats.write_text("cat\tanimal\ndog\tanimal\ncar\tvehicle\ntruck\tvehicle\n")
    code = main(["eval", "glove-6b-50d", "glove-6b-50d|abtt:1", "--datasets", "BLESS",
                 "--analogy", str(analogies), "--categorization", str(cats), "--bootstrap", "0",
                 "--analogy-methods", "3cosadd,3cosmul", "--out", str(out), "--quiet", "--no-charts"])
    assert code == 0
    data = json.loads((out / "results.json").read_text())
    kinds = {(s["task"], s["metric"]) for s in data["scores"]}
    assert {("analogy", "accuracy"), ("analogy", "accuracy-3cosmul"),
            ("categorization", "purity")} <= kinds
    assert any(t["method"] == "McNemar exact" for t in data["tests"])
    assert "BLESS" in (out / "table_categorization.tex").read_text()
    assert "3CosAdd" in (out / "tables.md").read_text()
    assert (out / "table_analogy.tex").exists()
