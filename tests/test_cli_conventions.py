"""The conventions a user expects of a command line and a Python API: --version, python -m,
-v/-q anywhere, silence on a closed pipe, help for every option, names in any case and with any
dashes (and every known name on a miss), --json, one dataset name or a list, readable labels,
public names visible to dir() while `import vgbench` stays light."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import vgbench
from vgbench.cli import build_parser, main
from vgbench.datasets import registry
from vgbench.embeddings import save_embeddings

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
RUN_CLI = "import sys; from vgbench.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.fixture(scope="module")
def small_vectors(glove50, tmp_path_factory):
    """The words of MEN and SimLex-999 from GloVe 6B 50d, as a word2vec text file."""
    words = registry.load("MEN").vocabulary() | registry.load("SimLex-999").vocabulary()
    emb = glove50.subset([w for w in glove50.words if w in words])
    return save_embeddings(emb, tmp_path_factory.mktemp("vec") / "small.vec")


def test_version_flags_and_python_m():
    for flag in ("--version", "-V"):
        run = subprocess.run([sys.executable, "-c", RUN_CLI, flag], env=ENV, capture_output=True,
                             text=True, timeout=120)
        assert (run.returncode, run.stdout.strip()) == (0, f"vgbench {vgbench.__version__}"), run.stderr
    run = subprocess.run([sys.executable, "-m", "vgbench", "datasets", "men"], env=ENV, cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[1].startswith("MEN ")


def test_global_options_before_or_after_the_command(tmp_path, capsys):
    parse = build_parser().parse_args
    assert parse(["eval", "f.txt", "-v", "-q"]).verbose and parse(["eval", "f.txt", "-v", "-q"]).quiet
    before = parse(["-v", "--quiet", "eval", "f.txt"])
    assert before.verbose and before.quiet  # not reset by the sub-command's defaults
    plain = parse(["eval", "f.txt"])
    assert plain.verbose is False and plain.quiet is False
    assert parse(["ground", "ck.pt", "--out", "x", "--no-progress"]).quiet  # the old spelling
    assert parse(["data", "info", "d", "-v"]).verbose  # nested sub-commands too
    # -v after the command does what the error message promises: the traceback
    bad = tmp_path / "bad.txt"
    bad.write_text("a 1 2\nb 1 2 3\n")
    assert main(["eval", str(bad), "--datasets", "MEN", "-v"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith("vgbench eval: error:")


@pytest.mark.parametrize("argv", [["datasets"], ["datasets", "--json"]])
def test_a_closed_pipe_ends_quietly(argv):
    """`vgbench datasets | head -1`: the reader goes away before vgbench has written."""
    proc = subprocess.Popen([sys.executable, "-c", RUN_CLI, *argv], env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()  # closed before the first write: every write fails with EPIPE
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0 and err == ""


def _parsers(parser: argparse.ArgumentParser, path: str = "vgbench"):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, f"{path} {name}")


def test_every_option_and_command_has_help():
    from vgbench.commands.options import HIDDEN_ALIASES
    missing, hidden = [], []
    for path, parser in _parsers(build_parser()):
        for action in parser._actions:
            what = f"{path} {'/'.join(action.option_strings) or action.dest}"
            if action.help == argparse.SUPPRESS:
                hidden.append(action.option_strings)
            elif not (action.help or "").strip():
                missing.append(what)
            if isinstance(action, argparse._SubParsersAction):
                missing += [f"{path} {c.dest}" for c in action._choices_actions if not c.help]
    assert not missing, f"options without help: {missing}"
    assert all(opts and set(opts) <= set(HIDDEN_ALIASES) for opts in hidden), hidden


def test_one_metavar_for_the_data_root():
    for path, parser in _parsers(build_parser()):
        for action in parser._actions:
            if "--data-root" in action.option_strings:
                assert action.metavar in (None, "DATA_ROOT"), path  # None: argparse's DATA_ROOT


def test_names_in_any_case_and_with_any_dashes(small_vectors, tmp_path, capsys):
    from vgbench.embeddings.registry import registry_name
    assert registry_name("glove-6B-50d") == registry_name("GloVe_6b_50D") == "glove-6b-50d"
    policy = vgbench.Policy(case="Exact-Then-Lower", analogy_methods="3CosMul", oov="SKIP")
    assert policy == vgbench.Policy(case="exact-then-lower", analogy_methods=("3cosmul",))
    cache = tmp_path / "cache"
    assert main(["eval", "glove-6B-50d", str(small_vectors), "--datasets", "men,SIMLEX_999",
                 "--bootstrap", "20", "--case", "Exact-Then-Lower", "--paired-test", "Steiger",
                 "--cache-dir", str(cache), "-q"]) == 0
    printed = capsys.readouterr().out
    assert "glove-6B-50d" in printed and "SimLex-999" in printed
    # the leaderboard's --sort takes any spelling of a column
    assert main(["leaderboard", "--cache-dir", str(cache), "--sort", "simlex999", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    values = [r["scores"]["SimLex-999"]["value"] for r in rows]
    assert len(rows) == 2 and values == sorted(values, reverse=True)
    assert main(["leaderboard", "--cache-dir", str(cache), "--sort", "men"]) == 0
    assert "Ranked by MEN" in capsys.readouterr().out


def test_a_miss_lists_every_known_name(small_vectors, tmp_path, capsys):
    assert main(["eval", str(small_vectors), "--datasets", "MENN", "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "did you mean MEN" in err
    evaluable = [n for n in registry.BENCHMARKS if registry.evaluable(n)]
    assert all(name in err for name in [*registry.GROUPS, *evaluable])
    assert err.index(evaluable[-1]) > 400  # the list is not cut short
    assert main(["eval", "glove-6b-5d", "--datasets", "MEN", "-q"]) == 2
    err = capsys.readouterr().err
    assert "did you mean glove-6b-50d" in err and "glove-6b-100d" in err
    cache = tmp_path / "cache"
    assert main(["eval", str(small_vectors), "--datasets", "MEN", "--bootstrap", "0",
                 "--cache-dir", str(cache), "-q"]) == 0
    capsys.readouterr()
    assert main(["leaderboard", "--cache-dir", str(cache), "--sort", "SimLex"]) == 2
    assert "unknown leaderboard column 'SimLex'" in capsys.readouterr().err


def test_eval_json_is_the_results_and_nothing_else(small_vectors, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["eval", str(small_vectors), "--datasets", "MEN,SimLex-999", "--bootstrap", "20",
                 "--no-cache", "--json", "--out", str(out), "--no-charts"]) == 0
    captured = capsys.readouterr()
    printed = json.loads(captured.out)
    assert printed == json.loads((out / "results.json").read_text())
    assert {s["dataset"] for s in printed["scores"]} >= {"MEN", "SimLex-999"}
    assert "wrote" in captured.err


def test_evaluate_takes_one_name_or_a_list(small_vectors, tmp_path):
    one = vgbench.evaluate(small_vectors, "MEN", n_boot=0)
    assert one.settings["datasets"] == ["MEN"]
    listed = vgbench.evaluate([small_vectors], ["MEN"], n_boot=0)
    assert one.get("small.vec", "MEN").value == listed.get("small.vec", "MEN").value
    pairs = tmp_path / "mine.tsv"
    pairs.write_text("cat\tdog\t8\ncar\tbanana\t1\nking\tqueen\t9\nsun\tchair\t0.5\n")
    mine = vgbench.evaluate(small_vectors, [], pair_files=str(pairs), n_boot=0)
    assert mine.settings["datasets"] == ["mine"]


class _FakeKeyedVectors:
    """What gensim's KeyedVectors offers to vgbench (gensim need not be imported)."""

    def __init__(self, words, vectors):
        self.index_to_key, self.vectors = list(words), np.asarray(vectors)


def test_vectors_in_memory_get_readable_labels(glove50):
    words = sorted(registry.load("MEN").vocabulary() & set(glove50.words))
    sub = glove50.subset(words)
    mapping = {w: sub[w] for w in words}
    pair = (words, sub.vectors)
    kv = _FakeKeyedVectors(words, sub.vectors)
    r = vgbench.evaluate([mapping, pair, kv], "MEN", n_boot=0, paired_test="none")
    assert r.embedding_names() == ["vectors-1", "vectors-2", "kv-3"]
    assert len({r.get(n, "MEN").value for n in r.embedding_names()}) == 1
    assert vgbench.evaluate(mapping, "MEN", n_boot=0, names="mine").embedding_names() == ["mine"]
    assert vgbench.evaluate([mapping, kv], "MEN", n_boot=0, paired_test="none",
                            names=["a", "b"]).embedding_names() == ["a", "b"]
    with pytest.raises(ValueError, match="3 labels .* for 2 source"):
        vgbench.evaluate([mapping, kv], "MEN", n_boot=0, names=["a", "b", "c"])
    with pytest.raises(ValueError, match="both labelled 'a'"):
        vgbench.evaluate([mapping, kv], "MEN", n_boot=0, names=["a", "a"])


def test_public_names_are_visible_and_import_stays_light():
    code = ("import sys, vgbench; "
            "print(json.dumps([sorted(dir(vgbench)), vgbench.__all__, "
            "[m for m in ('torch', 'pandas', 'matplotlib', 'scipy.stats') if m in sys.modules]]))")
    run = subprocess.run([sys.executable, "-c", "import json; " + code], env=ENV,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    names, public, heavy = json.loads(run.stdout)
    assert {"evaluate", "Policy", "Results", "load_source", "write_reports"} <= set(names)
    assert heavy == []
    assert all(callable(getattr(vgbench, n)) for n in public if n != "__version__")


def test_readme_first_screen_installs_and_shows_real_output(capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = "\n".join(readme.splitlines()[:40])
    for words in ("pip install vgbench", "pip install 'vgbench[train]'", "pip install .",
                  "make test", "make demo", "3.11"):
        assert words in first, words
    assert ".venv/bin/vgbench" not in readme
    # the excerpt is what that command prints
    block = first.split("```console\n", 1)[1].split("```", 1)[0].splitlines()
    command = block[0].removeprefix("$ vgbench ").split("#")[0].split()
    shown = [line for line in block[1:] if line != "..."]
    assert main([*command, "--no-cache", "-q"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[:len(shown)] == shown


def test_the_command_line_starts_without_heavy_imports():
    """`vgbench --help`, `--version` and every parse build the whole parser: it imports no
    scipy.stats, pandas, matplotlib or torch (each command imports what it needs when it runs)."""
    code = ("import json, sys; from vgbench.cli import build_parser; build_parser(); "
            "print(json.dumps([m for m in ('torch', 'pandas', 'matplotlib', 'scipy.stats') "
            "if m in sys.modules]))")
    run = subprocess.run([sys.executable, "-c", code], env=ENV, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == []
