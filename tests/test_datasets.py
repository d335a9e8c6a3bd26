"""Built-in benchmarks come from the package (no data root), load with the sizes their READMEs
state, and resolve by name and group; user pair files are sniffed; bad rows give a one-line
error with file and line."""
from __future__ import annotations

import pytest

from vgbench.datasets import (BENCHMARKS, GROUPS, STS_YEARS, expand, load, load_similarity, load_sts,
                              read_word_pairs)

SIZES = {"RW": 2034, "MEN": 3000, "WS353": 353, "MTurk-771": 771, "SimVerb-3500": 3500,
         "SimLex-999": 999, "RG-65": 65, "MC-30": 30, "WS353-SIM": 203, "WS353-REL": 252,
         "YP-130": 130, "MTurk-287": 287, "Card-660": 660, "MEN-dev": 2000, "MEN-test": 1000,
         "SimVerb-dev": 500, "SimVerb-test": 3000, "STS12": 3108, "STS13": 1500, "STS14": 3750,
         "STS15": 3000, "STS16": 1186, "STSB": 1379, "STSB-dev": 1500, "STSB-train": 5749,
         "SICK-R": 4927, "SICK-R-trial": 500, "SICK-R-train": 4500}


@pytest.fixture(autouse=True)
def no_data_root(monkeypatch, tmp_path):
    """Built-in sets must not need a data root: point every way of finding one at nothing."""
    monkeypatch.delenv("VGBENCH_DATA", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("name,size", SIZES.items())
def test_sizes_match_the_published_counts_and_the_registry(name, size):
    assert len(load(name)) == size == BENCHMARKS[name].size


def test_mturk_row_with_stray_tab_is_kept():
    d = load_similarity("MTurk-771")
    i = d.word1.index("kitchen")
    assert d.word2[i] == "toilet" and d.gold[i] == pytest.approx(2.545454545)


def test_simlex_sections_match_the_readme():
    s = load_similarity("SimLex-999").sections
    counts = {k: int(v.sum()) for k, v in s.items()}
    assert counts == {"All": 999, "Adjs": 111, "Nouns": 666, "Verbs": 222, "Conc-q1": 249,
                      "Conc-q2": 250, "Conc-q3": 250, "Conc-q4": 250, "Hard": 333}
    assert tuple(counts) == BENCHMARKS["SimLex-999"].sections


def test_sts_sizes_skip_unscored_pairs_and_smt():
    sizes = {name: len(load_sts(name)) for name in STS_YEARS}
    assert sizes == {"STS12": 3108, "STS13": 1500, "STS14": 3750, "STS15": 3000, "STS16": 1186}
    assert [s.name for s in load_sts("STS13").subsets] == ["FNWN", "headlines", "OnWN"]


def test_sentence_sets_read_as_senteval_does():
    stsb = load_sts("STSB").subsets[0]
    assert stsb.sent1[0] == "a girl is styling her hair .".split() and stsb.gold[0] == 2.5
    sick = load_sts("SICK-R").subsets[0]  # header skipped, CRLF stripped, case kept
    assert sick.sent1[0][:3] == ["There", "is", "no"] and sick.gold[0] == 3.3
    assert 1 <= sick.gold.min() and sick.gold.max() <= 5


def test_men_lemma_splits_lose_their_pos_suffix_and_do_not_overlap():
    dev, test = load_similarity("MEN-dev"), load_similarity("MEN-test")
    assert (dev.word1[0], dev.word2[0], dev.gold[0]) == ("berry", "seed", 37.0)
    assert not any(w[-2:] in ("-n", "-v", "-j") for w in dev.word1 + dev.word2 + test.word1 + test.word2)
    pairs = lambda d: {frozenset(p) for p in zip(d.word1, d.word2)}  # noqa: E731
    assert not pairs(dev) & pairs(test) and len(dev) + len(test) == len(load_similarity("MEN"))


def test_groups_names_and_aliases():
    assert expand("paper") == ["RW", "MEN", "WS353", "MTurk-771", "SimVerb-3500", "SimLex-999",
                               "STS12", "STS13", "STS14", "STS15", "STS16"]
    assert expand("STS") == ["STS12", "STS13", "STS14", "STS15", "STS16", "STSB", "SICK-R"]
    assert len(GROUPS["similarity"]) == 13 and "MEN-dev" not in GROUPS["similarity"]
    assert set(GROUPS["all"]) >= set(GROUPS["similarity"]) | set(GROUPS["sts"]) | set(GROUPS["analogy"])
    for spelling, name in [("ws353_sim", "WS353-SIM"), ("rg65", "RG-65"), ("Stsb-Dev", "STSB-dev"),
                           ("sick-r", "SICK-R"), ("card660", "Card-660"), ("simlex", "SimLex-999")]:
        assert expand(spelling) == [name]


def test_unknown_names_and_sets_without_an_evaluator_are_clear_errors():
    with pytest.raises(ValueError, match="unknown dataset 'nope'"):
        expand("nope")
    unevaluated = [n for n, b in BENCHMARKS.items() if b.loader is None]
    assert "Brysbaert-concreteness" in unevaluated
    with pytest.raises(ValueError, match="has no evaluator"):
        expand("Brysbaert-concreteness")


def test_every_entry_has_metadata_and_known_files():
    for name, b in BENCHMARKS.items():
        meta = b.metadata()  # raises if a listed file is not shipped
        assert meta["citation"] and meta["licence"] and meta["size"] > 0, name
        assert all(len(f["sha256"]) == 64 for f in meta["files"]), name


@pytest.mark.parametrize("text", ["w1,w2,score\ncat,dog,3.5\nsun,moon,1\n",
                                  "cat\tdog\t3.5\nsun\tmoon\t1\n", "cat dog 3.5\nsun  moon 1\n"])
def test_user_pair_files_sniffed(tmp_path, text):
    path = tmp_path / "pairs.txt"
    path.write_text(text)
    d = read_word_pairs(path)
    assert d.word1 == ["cat", "sun"] and d.word2 == ["dog", "moon"] and list(d.gold) == [3.5, 1.0]


@pytest.mark.parametrize("text,msg", [("cat dog 3\nsun moon\n", "line 2: expected at least 3 fields"),
                                      ("cat dog 3\nsun moon high\n", "line 2: score 'high' is not a number"),
                                      ("", "line 1: empty file")])
def test_bad_pair_files(tmp_path, text, msg):
    path = tmp_path / "p.tsv"
    path.write_text(text)
    with pytest.raises(ValueError, match=msg):
        read_word_pairs(path)


def test_relative_dataset_paths_resolve_under_the_data_root(tmp_path, monkeypatch):
    from vgbench.evaluation.api import resolve_datasets
    from vgbench.paths import DataRootError
    root = tmp_path / "mydata"
    root.mkdir()
    (root / "pairs.tsv").write_text("cat\tdog\t3\nsun\tmoon\t1\nsea\tocean\t9\n")
    monkeypatch.setenv("VGBENCH_DATA", str(root))
    bench = resolve_datasets(["pairs.tsv", "rg65"])
    assert [d.name for d in bench.similarity] == ["RG-65", "pairs"]
    with pytest.raises(DataRootError, match="not a directory"):
        resolve_datasets(["pairs.tsv"], data_root=tmp_path / "missing")


def test_datasets_command_lists_every_set_with_citation_and_licence(capsys):
    import json

    from vgbench.cli import main
    assert main(["datasets"]) == 0
    text = capsys.readouterr().out
    for name, b in BENCHMARKS.items():
        line = next(l for l in text.splitlines() if l.startswith(name + " "))
        assert b.task in line and f"{b.size:,}" in line and b.short_citation in line and b.licence in line
    assert main(["datasets", "--json", "sts"]) == 0
    meta = json.loads(capsys.readouterr().out)
    assert [d["name"] for d in meta["datasets"]] == list(GROUPS["sts"])
    sick = meta["datasets"][-1]
    assert sick["licence"] == "CC BY-NC-SA 3.0" and sick["metric"] == "pearson" and sick["size"] == 4927
    assert sick["files"][0]["path"] == "benchmarks/sick/semeval2014_task1/SICK_test_annotated.txt"
    assert sick["files"][0]["sha256"].startswith("2b8aa806658d")  # PROVENANCE's checksum
    assert main(["datasets", "--verify"]) == 0
    assert "verified 107 shipped files" in capsys.readouterr().out


def test_eval_command_names_a_set_it_cannot_evaluate(capsys):
    from vgbench.cli import main
    assert main(["eval", "glove-6b-50d", "--datasets", "brysbaert-concreteness"]) == 2
    assert "ships with vgbench, but this version has no evaluator" in capsys.readouterr().err


def test_the_registry_gives_the_orders_reports_use():
    from vgbench.datasets import registry
    from vgbench.reporting import score_tables as tables, suite_tables
    assert registry.group("Paper") == ("RW", "MEN", "WS353", "MTurk-771", "SimVerb-3500",
                                       "SimLex-999", "STS12", "STS13", "STS14", "STS15", "STS16")
    assert tables.SIMILARITY_SETS + tables.STS_YEARS == list(registry.group("paper"))
    assert suite_tables.ANALOGY_SETS == ["Google", "MSR"]
    assert registry.get("STS13").metrics == ("pearson", "spearman")
    assert (registry.get("MEN").metric, registry.get("AP").metric) == ("spearman", "purity")
    assert registry.sections("simlex") == ("All", "Adjs", "Nouns", "Verbs", "Conc-q1", "Conc-q2",
                                          "Conc-q3", "Conc-q4", "Hard")
    with pytest.raises(ValueError, match="unknown dataset group 'nope'"):
        registry.group("nope")
