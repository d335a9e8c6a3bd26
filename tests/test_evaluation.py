"""The evaluator reproduces the published reference figures for GloVe 6B 50d on the
shipped benchmarks and agrees with a second implementation (gensim's evaluate_word_pairs) under
the same policy."""
from __future__ import annotations

import numpy as np
import pytest
from gensim.models import KeyedVectors

from vgbench.datasets import SIMILARITY_SETS, load_similarity
from vgbench.embeddings import Embeddings
from vgbench.evaluation.api import evaluate

REFERENCE_SIMILARITY = {"RW": (34.0, 1782, 2034), "MEN": (65.7, 3000, 3000), "WS353": (50.3, 353, 353),
                        "MTurk-771": (55.4, 771, 771), "SimVerb-3500": (15.3, 3498, 3500),
                        "SimLex-999": (26.5, 999, 999)}
REFERENCE_SIMLEX = {"Adjs": 41.4, "Nouns": 31.4, "Verbs": 1.2, "Conc-q1": 29.1, "Conc-q2": 23.9,
                    "Conc-q3": 29.8, "Conc-q4": 25.5, "Hard": 9.6}
REFERENCE_STS = {"STS12": 44.30, "STS13": 42.18, "STS14": 47.06, "STS15": 47.25, "STS16": 42.42}
# the field's standard suite beyond the paper's sets: lower-case lookup, OOV pairs skipped
REFERENCE_SUITE = {"RG-65": 59.46, "MC-30": 56.23, "YP-130": 37.72, "WS353-SIM": 57.32,
                   "WS353-REL": 46.57, "MTurk-287": 61.88, "Card-660": 47.26}
# (dataset, sts_case) -> (Pearson, Spearman); SentEval's exact lookup is the default
REFERENCE_SENTENCE = {("STSB", "exact"): (32.67, 38.54), ("SICK-R", "exact"): (57.35, 49.75),
                      ("SICK-R", "lower"): (60.48, 53.09)}


@pytest.fixture(scope="module")
def results(glove50):
    return evaluate([glove50], n_boot=200)


def test_reference_word_similarity(results):
    for name, (value, used, total) in REFERENCE_SIMILARITY.items():
        s = results.get("glove-6b-50d", name)
        assert round(s.value, 1) == pytest.approx(value, abs=0.05), name
        assert (s.n_used, s.n_total) == (used, total), name
        assert s.ci_low < s.value < s.ci_high
    mean6 = np.mean([results.get("glove-6b-50d", n).value for n in REFERENCE_SIMILARITY])
    assert round(mean6, 1) == 41.2


def test_reference_simlex_sections(results):
    for section, value in REFERENCE_SIMLEX.items():
        assert round(results.get("glove-6b-50d", "SimLex-999", section).value, 1) == pytest.approx(
            value, abs=0.05), section


def test_reference_sts_senteval_pearson_mean(results):
    for year, value in REFERENCE_STS.items():
        s = results.get("glove-6b-50d", year, "mean", "pearson")
        assert s.value == pytest.approx(value, abs=0.006), year
    assert np.mean([results.get("glove-6b-50d", y, "mean", "pearson").value for y in REFERENCE_STS]) \
        == pytest.approx(44.64, abs=0.01)


def test_default_is_the_paper_suite(results):
    assert results.settings["datasets"] == ["RW", "MEN", "WS353", "MTurk-771", "SimVerb-3500",
                                            "SimLex-999", "STS12", "STS13", "STS14", "STS15", "STS16"]


def test_reference_standard_suite(glove50):
    r = evaluate([glove50], ["similarity"], n_boot=100)
    for name, value in REFERENCE_SUITE.items():
        s = r.get("glove-6b-50d", name)
        assert s.value == pytest.approx(value, abs=0.006), name
        assert s.ci_low < s.value < s.ci_high
    assert (r.get("glove-6b-50d", "Card-660").n_used, r.get("glove-6b-50d", "Card-660").n_total) == (199, 660)


@pytest.mark.parametrize("case", ["exact", "lower"])
def test_reference_stsb_and_sick(glove50, case):
    r = evaluate([glove50], ["STSB", "sick-r"], n_boot=100, sts_case=case)
    for (name, c), (pearson, spearman) in REFERENCE_SENTENCE.items():
        if c != case:
            continue
        for metric, value in (("pearson", pearson), ("spearman", spearman)):
            s = r.get("glove-6b-50d", name, "mean", metric)
            assert s.value == pytest.approx(value, abs=0.006), (name, metric)
            assert s.ci_low < s.value < s.ci_high and s.n_used == s.n_total
            # one subset: the mean over subsets is the correlation over all pairs
            assert r.get("glove-6b-50d", name, "all", metric).value == pytest.approx(s.value)
    coverage = r.embeddings["glove-6b-50d"]["sts_token_coverage"]
    assert 0.85 < coverage["SICK-R"] <= 1 and 0.85 < coverage["STSB"] <= 1


def test_sts_aggregates_are_consistent(results):
    f = results.frame()
    sts12 = f[(f.dataset == "STS12") & (f.metric == "pearson")].set_index("section")
    subsets = sts12.drop(["mean", "wmean", "all"])
    assert sts12.loc["mean", "value"] == pytest.approx(subsets.value.mean())
    assert sts12.loc["wmean", "value"] == pytest.approx(np.average(subsets.value, weights=subsets.n_used))


@pytest.mark.parametrize("name", list(SIMILARITY_SETS))
def test_agrees_with_gensim_evaluate_word_pairs(glove50, tmp_path, name):
    """gensim with the same policy: case-insensitive lookup, whole vocabulary, OOV pairs skipped."""
    pairs = load_similarity(name)
    tsv = tmp_path / "pairs.tsv"
    tsv.write_text("".join(f"{a}\t{b}\t{g}\n" for a, b, g in zip(pairs.word1, pairs.word2, pairs.gold)))
    kv = KeyedVectors(glove50.dim)
    kv.add_vectors(glove50.words, glove50.vectors)
    _, spearman, oov_ratio = kv.evaluate_word_pairs(str(tsv), restrict_vocab=len(glove50),
                                                   case_insensitive=True)
    ours = evaluate([glove50], [name], n_boot=0).get("glove-6b-50d", name)
    assert ours.value == pytest.approx(100 * spearman.statistic, abs=0.05)
    assert 100 * (1 - ours.n_used / ours.n_total) == pytest.approx(oov_ratio, abs=1e-6)


def test_oov_policy_and_common_pairs(glove50):
    words = [w for w in glove50.words[:50000] if w != "ferocious"]
    small = glove50.subset(words)
    small.name = "small"
    r = evaluate([glove50, small], ["SimLex-999"], n_boot=0, paired_test="none")
    full, part = r.get("glove-6b-50d", "SimLex-999"), r.get("small", "SimLex-999")
    assert part.n_used < full.n_used == 999
    common = evaluate([glove50, small], ["SimLex-999"], n_boot=0, common_pairs=True, paired_test="none")
    a, b = common.get("glove-6b-50d", "SimLex-999"), common.get("small", "SimLex-999")
    assert a.n_total == b.n_total == part.n_used and a.value == pytest.approx(b.value)
    zero = evaluate([small], ["SimLex-999"], n_boot=0, oov="zero").get("small", "SimLex-999")
    assert zero.n_used == part.n_used and zero.value != pytest.approx(part.value)


def test_paired_test_finds_a_real_difference(glove50):
    rng = np.random.default_rng(0)
    noisy = Embeddings(glove50.words, glove50.vectors + rng.normal(0, 0.6, glove50.vectors.shape).astype(
        np.float32), "noisy")
    r = evaluate([glove50, noisy], ["MEN", "STS12"], n_boot=300)
    men = next(t for t in r.tests if t.dataset == "MEN")
    assert men.embedding_a == "glove-6b-50d" and men.embedding_b == "noisy"
    assert men.delta < 0 and men.p_value < 0.05 and men.ci_high < 0
    same = evaluate([glove50, Embeddings(glove50.words, glove50.vectors, "copy")], ["MEN"], n_boot=100)
    assert same.tests[0].delta == 0 and same.tests[0].p_value > 0.5


def test_results_json_round_trip(results, tmp_path):
    from vgbench.evaluation.results import Results
    path = results.save_json(tmp_path / "r.json")
    back = Results.load_json(path)
    assert back.frame().equals(results.frame())
    assert back.settings["policy"]["case"] == "lower"


def test_no_bootstrap_means_no_resampled_test(glove50, monkeypatch):
    """--bootstrap 0 runs no bootstrap at all: no CIs, no paired bootstrap tests; Steiger still runs."""
    from vgbench.evaluation import statistics

    def forbidden(*args, **kwargs):
        raise AssertionError("a bootstrap ran with n_boot=0")
    monkeypatch.setattr(statistics, "paired_bootstrap", forbidden)
    small = glove50.subset(glove50.words[:50000])
    small.name = "small"
    r = evaluate([glove50, small], ["SimLex-999"], n_boot=0)
    assert r.tests == [] and r.get("small", "SimLex-999").ci_low is None
    steiger = evaluate([glove50, small], ["SimLex-999"], n_boot=0, paired_test="steiger")
    assert steiger.tests and all(t.method == "steiger" for t in steiger.tests)
    # the concreteness report written with it resamples nothing either: point values, no CIs
    from vgbench.reporting.concreteness import concreteness_report
    monkeypatch.setattr(statistics, "bootstrap_ci", forbidden)
    report = concreteness_report(evaluate([glove50, small], ["SimLex-999", "MEN"], n_boot=0))
    assert report is not None and report.deltas is not None
    for table in (report.pooled, report.deltas):
        assert np.isfinite(table.values).any() and np.isnan(table.ci).all()
