"""Sources: vectors in memory (gensim KeyedVectors, a (words, matrix) pair, a {word: vector}
mapping, an Embeddings) score exactly as the same vectors read from a file, and anything else is
a TypeError that names the accepted forms."""
from __future__ import annotations

import numpy as np
import pytest

import vgbench
from vgbench.embeddings import Embeddings, save_embeddings
from vgbench.sources import as_embeddings, load_source

N = 20_000  # the most frequent GloVe words: MEN, SimLex and RW mostly covered, quick to write


@pytest.fixture(scope="module")
def glove_file(glove50, tmp_path_factory):
    emb = glove50.subset(glove50.words[:N])
    return emb, save_embeddings(emb, tmp_path_factory.mktemp("src") / "g.txt")


def in_memory_forms(emb: Embeddings) -> dict:
    from gensim.models import KeyedVectors
    kv = KeyedVectors(vector_size=emb.dim)
    kv.add_vectors(list(emb.words), emb.vectors.copy())
    return {"KeyedVectors": kv, "pair": (list(emb.words), emb.vectors.copy()),
            "mapping": {w: emb.vectors[i] for i, w in enumerate(emb.words)}, "Embeddings": emb}


def test_every_in_memory_form_scores_as_the_file(glove_file):
    emb, path = glove_file
    sets = ["MEN", "SimLex-999", "RW"]
    file_scores = vgbench.evaluate([str(path)], sets, n_boot=0)
    forms = in_memory_forms(emb)
    results = vgbench.evaluate(list(forms.values()), sets, n_boot=0, paired_test="none",
                               names=list(forms))
    for name in forms:
        for d in sets:
            ref = file_scores.get("g.txt", d)
            got = results.get(name, d)
            assert (got.value, got.n_used) == pytest.approx((ref.value, ref.n_used), abs=1e-9), (name, d)
    # and the file form itself against scipy on gensim's cosines of the same vectors
    from scipy.stats import spearmanr
    kv, men = forms["KeyedVectors"], vgbench.datasets.load("MEN")
    covered = [(a, b, g) for a, b, g in zip(men.word1, men.word2, men.gold) if a in kv and b in kv]
    rho = spearmanr([g for *_, g in covered], [kv.similarity(a, b) for a, b, _ in covered])[0]
    assert file_scores.get("g.txt", "MEN").n_used == len(covered) == 2352
    assert file_scores.get("g.txt", "MEN").value == pytest.approx(100 * rho, abs=1e-3)


def test_a_mapping_alone_and_a_pair_alone_are_one_source(glove_file):
    emb, path = glove_file
    forms = in_memory_forms(emb)
    ref = vgbench.evaluate(str(path), ["MEN"], n_boot=0).get("g.txt", "MEN").value
    for name in ("mapping", "pair", "KeyedVectors"):
        r = vgbench.evaluate(forms[name], ["MEN"], n_boot=0)
        assert len(r.embedding_names()) == 1 and r.scores[0].value == pytest.approx(ref, abs=1e-9)
    # a tuple of two source names stays two sources
    two = vgbench.evaluate((str(path), str(path)), ["MEN"], n_boot=0, paired_test="none")
    assert len(two.embedding_names()) == 2


def test_load_source_filters_and_post_processes_memory_as_a_file(glove_file):
    emb, path = glove_file
    words = {"cat", "dog", "Paris", "river", "not-a-word-here"}
    from_file = load_source(path, words=words, case="exact-then-lower", postprocess="abtt:2",
                            fit_rows=1000)
    for form in in_memory_forms(emb).values():
        got = load_source(form, words=words, case="exact-then-lower", postprocess="abtt:2", fit_rows=1000)
        assert sorted(got.words) == ["cat", "dog", "paris", "river"]
        for w in got.words:
            np.testing.assert_allclose(got[w], from_file[w], atol=1e-5)
    assert load_source(in_memory_forms(emb)["mapping"], name="mine").name == "mine"


def test_anything_else_is_a_type_error_naming_what_is_accepted(glove_file):
    emb, _ = glove_file
    for bad in (42, ["cat", "dog"], object(), np.zeros((3, 4))):
        with pytest.raises(TypeError, match=r"KeyedVectors.*\(words, matrix\) pair.*\{word: vector\} mapping"):
            load_source(bad)
    with pytest.raises(TypeError, match="expected a path or registry name"):
        vgbench.evaluate([emb, 3.5], ["MEN"], n_boot=0)
    with pytest.raises(TypeError, match="cannot use a str as embeddings"):
        as_embeddings("g.txt")


def test_malformed_in_memory_vectors_are_clear_errors():
    with pytest.raises(ValueError, match="2 words but vectors of shape"):
        as_embeddings((["a", "b"], np.zeros((3, 4))))
    with pytest.raises(ValueError, match="not a numeric matrix"):
        as_embeddings({"a": [1.0, 2.0], "b": [1.0]})
    with pytest.raises(TypeError, match="words must be str"):
        as_embeddings(([1, 2], np.zeros((2, 4))))
    with pytest.raises(ValueError, match="unique"):
        as_embeddings((["a", "a"], np.zeros((2, 4))))
    kv_like = as_embeddings({"a": np.ones(3, np.float64)})
    assert kv_like.vectors.dtype == np.float32 and kv_like.words == ["a"]


def test_the_package_root_exposes_the_source_loaders():
    import vgbench
    from vgbench import sources
    assert vgbench.load_source is sources.load_source and vgbench.as_embeddings is sources.as_embeddings
