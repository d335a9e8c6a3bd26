"""Word analogies: the published GloVe figures, gensim's answers question by question, 3CosMul
against a plain loop, the case conventions, and the file formats."""
from __future__ import annotations

import numpy as np
import pytest
from gensim.models import KeyedVectors

from vgbench.datasets import registry
from vgbench.datasets.analogy import parse_google, read_analogy_file
from vgbench.datasets.store import benchmark_text
from vgbench.embeddings.core import Embeddings
from vgbench.evaluation.analogy import (EPSILON, AnalogyPredictions, analogy_vocab,
                                        evaluate_analogies, mcnemar_tests, pair_bootstrap,
                                        paired_analogy_tests, predict_analogies, question_pairs,
                                        wilson_ci)


def _keyed(emb: Embeddings) -> KeyedVectors:
    kv = KeyedVectors(emb.dim)
    kv.add_vectors(emb.words, emb.vectors)
    return kv


def _score(scores, section, metric="accuracy"):
    return next(s for s in scores if s.section == section and s.metric == metric)


def _google_subset(sections: list[str]) -> str:
    out, keep = [], False
    for line in benchmark_text(registry.get("Google").files[0]).splitlines():
        if line.startswith(": "):
            keep = line[2:].strip() in sections
        if keep:
            out.append(line)
    return "\n".join(out) + "\n"


def test_google_and_msr_sizes():
    google, msr = registry.load("Google"), registry.load("MSR")
    assert len(google) == 19544
    sections = google.sections()
    assert sections["semantic"].sum() == 8869 and sections["syntactic"].sum() == 10675
    assert len([s for s in sections if s not in ("All", "semantic", "syntactic")]) == 14
    assert len(msr) == 8000 and len(set(msr.section.tolist())) == 16
    assert (msr.a[0], msr.b[0], msr.c[0], msr.d[0]) == ("good", "better", "rough", "rougher")


@pytest.mark.slow
def test_glove50_reference_figures(glove50):
    """GloVe 6B 50d, 3CosAdd, gensim's conventions: the figures the issue lists."""
    vocab = analogy_vocab(glove50)
    google = evaluate_analogies("g", registry.load("Google"), predict_analogies(vocab, registry.load("Google"), ("3cosadd",)))
    assert round(_score(google, "All").value, 2) == 46.37
    assert (_score(google, "All").n_used, _score(google, "All").n_total) == (19486, 19544)
    assert round(_score(google, "semantic").value, 2) == 48.80
    assert round(_score(google, "syntactic").value, 2) == 44.37
    msr = evaluate_analogies("g", registry.load("MSR"), predict_analogies(vocab, registry.load("MSR"), ("3cosadd",)))
    assert round(_score(msr, "All").value, 2) == 36.34
    assert (_score(msr, "All").n_used, _score(msr, "All").n_total) == (7000, 8000)


def test_same_answers_as_gensim_on_google_sections(glove50, tmp_path):
    """gensim's evaluate_word_analogies on three sections: the same correct questions, the same
    skipped ones, the same accuracy per section (restricted to 50k words to keep gensim quick)."""
    path = tmp_path / "subset.txt"
    path.write_text(_google_subset(["family", "currency", "gram2-opposite"]))
    restrict = 50_000
    _, gensim_sections = _keyed(glove50).evaluate_word_analogies(
        str(path), restrict_vocab=restrict, case_insensitive=True)
    aset = read_analogy_file(path)
    pred = predict_analogies(analogy_vocab(glove50, restrict), aset, ("3cosadd",))
    scores = evaluate_analogies("g", aset, pred)
    for sec in gensim_sections[:-1]:
        members = aset.section == sec["section"]
        ours = {tuple(w.upper() for w in q) for q, ok in zip(
            zip(aset.a, aset.b, aset.c, aset.d), pred.correct["3cosadd"] & members) if ok}
        assert ours == set(sec["correct"]), sec["section"]
        assert int((pred.answered & members).sum()) == len(sec["correct"]) + len(sec["incorrect"])
        n = len(sec["correct"]) + len(sec["incorrect"])
        assert _score(scores, sec["section"]).value == pytest.approx(100 * len(sec["correct"]) / n)
    assert 0 < pred.answered.sum() < len(aset)  # currency has words outside the first 50k


def test_case_conventions_match_gensim(tmp_path):
    """Mixed-case vocabulary: first upper-cased occurrence wins, case variants of the question
    words are never the answer, words beyond the restricted vocabulary are unknown."""
    rng = np.random.default_rng(3)
    words = ["paris", "France", "berlin", "Germany", "PARIS", "rome", "italy", "Berlin",
             "madrid", "spain", "lisbon", "portugal", "Rome", "tokyo", "japan", "oslo"]
    vectors = rng.standard_normal((len(words), 8)).astype(np.float32)
    vectors[words.index("PARIS")] = vectors[words.index("berlin")] + 0.01  # a variant near b
    emb = Embeddings(words, vectors, "toy")
    text = (": capitals\nParis france Berlin germany\nberlin GERMANY rome Italy\n"
            "madrid spain lisbon portugal\nrome italy tokyo japan\nparis france oslo norway\n"
            "Tokyo Japan Paris France\n")
    path = tmp_path / "toy.txt"
    path.write_text(text)
    restrict = 15  # "oslo" (row 15) lies outside
    _, sections = _keyed(emb).evaluate_word_analogies(str(path), restrict_vocab=restrict)
    aset = read_analogy_file(path)
    pred = predict_analogies(analogy_vocab(emb, restrict), aset, ("3cosadd",))
    assert pred.answered.tolist() == [True, True, True, True, False, True]
    ours = {tuple(w.upper() for w in q) for q, ok in zip(
        zip(aset.a, aset.b, aset.c, aset.d), pred.correct["3cosadd"]) if ok}
    assert ours == set(sections[0]["correct"])
    assert len(sections[0]["correct"]) + len(sections[0]["incorrect"]) == 5
    vocab = analogy_vocab(emb, restrict)
    assert vocab.upper_row["PARIS"] == 0 and vocab.upper_row["BERLIN"] == 2
    assert all(vocab.words[p].upper() not in {"PARIS", "FRANCE", "BERLIN"}
               for p in [pred.predicted["3cosadd"][0]])


def test_3cosmul_matches_a_plain_loop(glove50):
    """3CosMul (Levy & Goldberg 2014: cosines shifted to [0, 1], epsilon 0.001) and 3CosAdd
    against a float64 loop over questions."""
    restrict = 50_000
    aset = parse_google(_google_subset(["family", "gram3-comparative"]), "subset", "s")
    pick = np.random.default_rng(0).choice(len(aset), 40, replace=False)
    pred = predict_analogies(analogy_vocab(glove50, restrict), aset)
    unit = glove50.normalized()[:restrict].astype(np.float64)
    index = {w: i for i, w in enumerate(glove50.words[:restrict])}
    checked = 0
    for q in pick:
        rows = [index.get(w.lower(), -1) for w in (aset.a[q], aset.b[q], aset.c[q], aset.d[q])]
        if min(rows) < 0:
            assert not pred.answered[q]
            continue
        a, b, c, _ = rows
        cos = unit @ unit[[a, b, c]].T
        shifted = (cos + 1) / 2
        mul = shifted[:, 1] * shifted[:, 2] / (shifted[:, 0] + EPSILON)
        add = cos[:, 1] - cos[:, 0] + cos[:, 2]
        for scores in (mul, add):
            scores[[a, b, c]] = -np.inf
        assert pred.predicted["3cosmul"][q] == int(np.argmax(mul))
        assert pred.predicted["3cosadd"][q] == int(np.argmax(add))
        checked += 1
    assert checked >= 25


def test_wilson_and_mcnemar_against_formulas():
    lo, hi = wilson_ci(30, 100, 0.95)
    z, p = 1.959963984540054, 0.3
    centre = (p + z * z / 200) / (1 + z * z / 100)
    half = z / (1 + z * z / 100) * np.sqrt(p * (1 - p) / 100 + z * z / 40000)
    assert (lo, hi) == pytest.approx((100 * (centre - half), 100 * (centre + half)))
    aset = parse_google(": s\n" + "a b c d\n" * 12, "x", "x")
    answered = np.ones(12, bool)
    ca = np.array([1] * 6 + [0] * 6, bool)
    cb = np.array([1] * 6 + [1] * 5 + [0], bool)  # B alone solves 5, A alone none
    from vgbench.evaluation.analogy import AnalogyPredictions
    tests = mcnemar_tests(aset, "A", "B", AnalogyPredictions(answered, {}, {"3cosadd": ca}),
                          AnalogyPredictions(answered, {}, {"3cosadd": cb}))
    assert tests[0].p_value == pytest.approx(2 * 0.5 ** 5)
    assert tests[0].delta == pytest.approx(100 * 5 / 12)


def _pair_design(n_pairs=40, seed=0, effect=1.5):
    """One section whose questions join every ordered pair of `n_pairs` word pairs; whether a
    question is solved depends strongly on its two pairs (as real analogy sets do)."""
    rng = np.random.default_rng(seed)
    pairs = [(f"a{i}", f"b{i}") for i in range(n_pairs)]
    lines = [": s"] + [f"{a} {b} {c} {d}" for i, (a, b) in enumerate(pairs)
                       for j, (c, d) in enumerate(pairs) if i != j]
    aset = parse_google("\n".join(lines) + "\n", "x", "x")
    first, second = question_pairs(aset)
    u, v = effect * rng.normal(size=n_pairs), effect * rng.normal(size=n_pairs)
    prob = 1 / (1 + np.exp(-(u[first] + v[second])))
    return aset, rng.random(len(aset)) < prob, rng


def test_pair_bootstrap_matches_the_cluster_robust_variance():
    # Independent check: to first order the multiplicity-product bootstrap of an accuracy has the
    # variance (1 - 1/P) sum_i (R_i + C_i)^2 / N^2, where R_i, C_i sum the residuals of the
    # questions in which pair i is the example (a, b) or the query (c, d): the cluster-robust
    # variance with each question attributed to both its pairs.
    aset, correct, _ = _pair_design()
    first, second = question_pairs(aset)
    n, p = len(aset), int(first.max()) + 1
    e = correct - correct.mean()
    r, c = np.bincount(first, e, p), np.bincount(second, e, p)
    robust_se = 100 * np.sqrt((1 - 1 / p) * np.sum((r + c) ** 2)) / n
    boot = pair_bootstrap(aset, np.stack([np.ones(n), correct], axis=1), n_boot=2000, seed=1)
    boot_se = np.std(100 * boot[:, 1] / boot[:, 0], ddof=1)
    assert boot_se == pytest.approx(robust_se, rel=0.12)
    naive_se = 100 * np.sqrt(correct.mean() * (1 - correct.mean()) / n)
    assert boot_se > 3 * naive_se                     # questions sharing pairs are not independent
    score = evaluate_analogies("x", aset, AnalogyPredictions(np.ones(n, bool), {}, {"3cosadd": correct}),
                               n_boot=500, seed=0)[0]
    lo, hi = wilson_ci(int(correct.sum()), n)
    assert score.ci_low < lo and score.ci_high > hi   # the design's interval is wider


def test_paired_cluster_test():
    aset, ca, rng = _pair_design(seed=2)
    n = len(aset)
    answered = np.ones(n, bool)
    same = paired_analogy_tests(aset, "A", "B", AnalogyPredictions(answered, {}, {"3cosadd": ca}),
                                AnalogyPredictions(answered, {}, {"3cosadd": ca.copy()}), n_boot=200)
    assert same[0].delta == 0 and same[0].p_value == 1.0
    first, _ = question_pairs(aset)
    cb = ca | (first < 10) & (rng.random(n) < 0.5)     # B solves more, on a quarter of the pairs
    res = paired_analogy_tests(aset, "A", "B", AnalogyPredictions(answered, {}, {"3cosadd": ca}),
                               AnalogyPredictions(answered, {}, {"3cosadd": cb}), n_boot=400)[0]
    assert res.delta == pytest.approx(100 * (cb.mean() - ca.mean()))
    assert res.ci_low < res.delta < res.ci_high and res.method == "pair-cluster bootstrap-z"
    mc = mcnemar_tests(aset, "A", "B", AnalogyPredictions(answered, {}, {"3cosadd": ca}),
                       AnalogyPredictions(answered, {}, {"3cosadd": cb}))[0]
    assert res.p_value > mc.p_value                   # McNemar treats the questions as independent
    none = paired_analogy_tests(aset, "A", "B", AnalogyPredictions(answered, {}, {"3cosadd": ca}),
                                AnalogyPredictions(answered, {}, {"3cosadd": cb}), n_boot=0)[0]
    assert none.method == "McNemar exact"


def test_google_format_errors_name_the_line(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text(": s\na b c d\na b c\n")
    with pytest.raises(ValueError, match=r"bad.txt: line 3: expected four words"):
        read_analogy_file(bad)
    bad.write_text("a b c d\n")
    with pytest.raises(ValueError, match=r"line 1: expected a ': section' header"):
        read_analogy_file(bad)
