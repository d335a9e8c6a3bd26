"""Built-in benchmarks load with the sizes their READMEs state; user pair files are sniffed;
bad rows give a one-line error with file and line."""
from __future__ import annotations

import pytest

from vgbench.datasets import STS_YEARS, SIMILARITY_SETS, load_similarity, load_sts, read_word_pairs


@pytest.mark.parametrize("name,size", [("RW", 2034), ("MEN", 3000), ("WS353", 353), ("MTurk-771", 771),
                                       ("SimVerb-3500", 3500), ("SimLex-999", 999)])
def test_similarity_sizes(root, name, size):
    assert len(load_similarity(name, root)) == size


def test_mturk_row_with_stray_tab_is_kept(root):
    d = load_similarity("MTurk-771", root)
    i = d.word1.index("kitchen")
    assert d.word2[i] == "toilet" and d.gold[i] == pytest.approx(2.545454545)


def test_simlex_sections_match_the_readme(root):
    s = load_similarity("SimLex-999", root).sections
    counts = {k: int(v.sum()) for k, v in s.items()}
    assert counts == {"All": 999, "Adjs": 111, "Nouns": 666, "Verbs": 222, "Conc-q1": 249,
                      "Conc-q2": 250, "Conc-q3": 250, "Conc-q4": 250, "Hard": 333}


def test_sts_sizes_skip_unscored_pairs_and_smt(root):
    sizes = {name: len(load_sts(name, root)) for name in STS_YEARS}
    assert sizes == {"STS12": 3108, "STS13": 1500, "STS14": 3750, "STS15": 3000, "STS16": 1186}
    assert [s.name for s in load_sts("STS13", root).subsets] == ["FNWN", "headlines", "OnWN"]


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
