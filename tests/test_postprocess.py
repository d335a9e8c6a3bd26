"""Post-processing and control sources: each step against a direct numpy computation, the
published ABTT effect on GloVe 6B 50d, and the source-spec syntax."""
from __future__ import annotations

import numpy as np
import pytest

from vgbench.embeddings import Embeddings
from vgbench.embeddings.postprocess import apply, explained_variance, parse_steps
from vgbench.sources import parse_spec, resolve
from vgbench.sources.controls import concat, random_m
from vgbench.evaluation.api import evaluate


@pytest.fixture
def toy():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 8)) @ rng.normal(size=(8, 8)) + 3.0
    return Embeddings([f"w{i}" for i in range(500)], x.astype(np.float32), "toy")


def test_center_and_normalize_match_numpy(toy):
    out = apply(toy, parse_steps("center,normalize", fit_rows=200))
    x = toy.vectors.astype(np.float64)
    expected = x - x[:200].mean(axis=0)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(out.vectors, expected, rtol=1e-5, atol=1e-6)


def test_abtt_matches_numpy_svd(toy):
    out = apply(toy, parse_steps("abtt:2", fit_rows=300))
    x = toy.vectors.astype(np.float64)
    mu = x[:300].mean(axis=0)
    _, _, vt = np.linalg.svd(x[:300] - mu, full_matrices=False)
    u = vt[:2]
    expected = (x - mu) - (x - mu) @ u.T @ u
    np.testing.assert_allclose(out.vectors, expected, rtol=1e-4, atol=1e-5)
    # nothing left along the removed directions
    assert np.abs(out.vectors.astype(np.float64) @ u.T).max() < 1e-4
    assert out.meta["postprocess"]["steps"] == ["abtt:2"]


def test_whiten_gives_unit_variance_on_the_fit_rows(toy):
    out = apply(toy, parse_steps("whiten:4", fit_rows=500))
    cov = np.cov(out.vectors.astype(np.float64), rowvar=False)
    np.testing.assert_allclose(cov, np.eye(4), atol=1e-4)


def test_explained_variance_sums_below_one(toy):
    ratio = explained_variance(toy, top=8)
    assert ratio.shape == (8,) and np.all(np.diff(ratio) <= 1e-12) and ratio.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("spec,msg", [("abtt", "expected abtt:N"), ("pca:3", "unknown post-processing"),
                                      ("normalize:2", "takes no parameter")])
def test_bad_steps(spec, msg):
    with pytest.raises(ValueError, match=msg):
        parse_steps(spec)


def test_abtt3_on_glove_reproduces_the_control_figures():
    """Issue 6: mean, top-3 directions removed, N = 100,000, lower-case lookup: Mean6 46.9, STS 52.3."""
    r = evaluate(["glove-6b-50d"], n_boot=0, postprocess="abtt:3")
    name = r.embedding_names()[0]
    assert name == "glove-6b-50d|abtt:3"
    six = ["RW", "MEN", "WS353", "MTurk-771", "SimVerb-3500", "SimLex-999"]
    assert round(np.mean([r.get(name, d).value for d in six]), 1) == 46.9
    sts = np.mean([r.get(name, y, "mean", "pearson").value for y in ["STS12", "STS13", "STS14", "STS15", "STS16"]])
    assert round(sts, 1) == 52.3
    assert r.embeddings[name]["postprocess"]["fit_rows_used"] == 100_000


def test_streaming_file_fit_uses_the_first_rows(tmp_path, glove50):
    """A file source loaded with a word filter still estimates ABTT on its first N rows."""
    from vgbench.embeddings import save_embeddings
    path = save_embeddings(glove50.subset(glove50.words[:3000]), tmp_path / "g.txt")
    direct = apply(glove50.subset(glove50.words[:3000]), parse_steps("abtt:2", fit_rows=1000))
    streamed = resolve(f"{path}|abtt:2", words={"king", "queen"}, fit_rows=1000)
    for w in ("king", "queen"):
        np.testing.assert_allclose(streamed[w], direct[w], rtol=1e-4, atol=1e-5)


def test_random_m_is_seeded_and_shaped(toy):
    a, b, c = random_m(toy, 16, seed=3), random_m(toy, 16, seed=3), random_m(toy, 16, seed=4)
    assert a.vectors.shape == (500, 16)
    np.testing.assert_array_equal(a.vectors, b.vectors)
    assert not np.allclose(a.vectors, c.vectors)


def test_concat_weights(toy):
    other = Embeddings(toy.words[::-1], -toy.vectors[::-1], "g")
    out = concat(toy, other, alpha=0.25)
    assert out.dim == 16 and out.words == toy.words
    np.testing.assert_allclose(out.vectors[:, :8], 0.75 * toy.normalized(), rtol=1e-5)
    np.testing.assert_allclose(out.vectors[:, 8:], -0.25 * toy.normalized(), rtol=1e-5)
    with pytest.raises(ValueError, match="alpha must lie in"):
        concat(toy, other, 1.5)


def test_spec_syntax():
    s = parse_spec("concat[alpha=0.3]:a.txt,b.txt|abtt:1")
    assert (s.kind, s.targets, s.params, s.postprocess) == ("concat", ["a.txt", "b.txt"], {"alpha": "0.3"}, "abtt:1")
    assert parse_spec("random-m[c=64,seed=2]:glove-6b-50d").params == {"c": "64", "seed": "2"}
    assert parse_spec("/data/my vectors.txt").targets == ["/data/my vectors.txt"]
    with pytest.raises(ValueError, match="unknown parameter"):
        parse_spec("random-m[alpha=1]:x")


def test_each_file_is_read_once_for_several_specs(tmp_path, glove50, monkeypatch):
    """`g.txt`, `g.txt|abtt:2` and a control on g.txt share one streaming pass."""
    import vgbench.evaluation.api as api
    from vgbench.embeddings import save_embeddings
    path = save_embeddings(glove50.subset(glove50.words[:3000]), tmp_path / "g.txt")
    calls = []
    real = api.load_target
    monkeypatch.setattr(api, "load_target", lambda *a, **k: calls.append(k["head_rows"]) or real(*a, **k))
    r = evaluate([str(path), f"{path}|abtt:2", f"random-m[c=8]:{path}"], ["MEN"], n_boot=0,
                 postprocess_rows=1000, paired_test="none")
    assert calls == [1000]
    assert r.embedding_names() == ["g.txt", "g.txt|abtt:2", f"random-m[c=8]:{path}"]
    direct = apply(glove50.subset(glove50.words[:3000]), parse_steps("abtt:2", fit_rows=1000))
    alone = evaluate([direct], ["MEN"], n_boot=0).get(direct.name, "MEN").value
    assert r.get("g.txt|abtt:2", "MEN").value == pytest.approx(alone, abs=1e-6)
