"""The scoring Policy: one object whether built by `vgbench eval` or by `vgbench.evaluate`, and
results.json and the results cache key keep their content (expectations built from the data)."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from scipy.stats import spearmanr

import vgbench
from vgbench.cli import build_parser, main
from vgbench.commands.eval import policy_from_args
from vgbench.embeddings import Embeddings, save_embeddings
from vgbench.evaluation.api import evaluate
from vgbench.evaluation.policy import Policy

WORDS = ["cat", "dog", "car", "banana", "king", "queen", "sun", "chair", "apple", "road"]
PAIRS = [("Cat", "dog", 8.0), ("car", "banana", 1.0), ("king", "queen", 9.0), ("sun", "chair", 0.5),
         ("apple", "banana", 7.0), ("road", "car", 6.0), ("cat", "zebra", 4.0), ("queen", "sun", 2.0),
         ("chair", "road", 3.0)]
STORED_DEFAULTS = {"case": "lower", "sts_case": "exact", "oov": "skip", "common_pairs": False,
                   "n_boot": 1000, "seed": 0, "level": 0.95, "paired_test": "bootstrap"}


def _cli_policy(*argv: str) -> Policy:
    return policy_from_args(build_parser().parse_args(["eval", "x.txt", *argv]))


def test_the_cli_and_the_python_api_build_the_same_default_policy():
    assert _cli_policy() == Policy() == Policy.of() == vgbench.Policy()
    assert Policy().to_dict() == STORED_DEFAULTS  # what results.json stores, in this order
    assert list(Policy().to_dict()) == list(STORED_DEFAULTS)
    assert (Policy().analogy_vocab, Policy().analogy_methods, Policy().nonfinite) == (
        300_000, ("3cosadd",), "drop")


def test_every_cli_option_reaches_its_policy_field():
    cli = _cli_policy("--case", "exact", "--sts-case", "lower", "--oov", "zero", "--common-pairs",
                      "--bootstrap", "0", "--seed", "7", "--paired-test", "steiger",
                      "--analogy-vocab", "500", "--analogy-methods", "3CosMul, 3cosadd",
                      "--nonfinite", "error")
    assert cli == Policy(case="exact", sts_case="lower", oov="zero", common_pairs=True, n_boot=0,
                         seed=7, paired_test="steiger", analogy_vocab=500,
                         analogy_methods=("3cosmul", "3cosadd"), nonfinite="error")
    assert Policy.of(Policy(seed=7), n_boot=0) == Policy(seed=7, n_boot=0)
    with pytest.raises(TypeError, match="unknown argument.s. n_bot; the policy's fields are case"):
        evaluate(["x.txt"], n_bot=0)
    assert Policy.from_dict({**cli.to_dict(), "unknown": 1}) == Policy(**{
        **cli.to_dict(), "analogy_vocab": 300_000})


@pytest.mark.parametrize("fields, message", [
    ({"case": "upper"}, "unknown case policy 'upper'"),
    ({"oov": "mean"}, "unknown OOV policy 'mean'"),
    ({"paired_test": "t"}, "unknown paired test 't'"),
    ({"analogy_methods": ("3cosdiv",)}, "unknown analogy method(s) 3cosdiv"),
    ({"analogy_methods": ()}, "(none given)"),
    ({"n_boot": -1}, "must be 0 (no CIs) or more"),
    ({"level": 95}, "level must be between 0 and 1"),
])
def test_a_bad_policy_is_refused_in_one_line(fields, message):
    with pytest.raises(ValueError) as err:
        Policy(**fields)
    assert message in str(err.value) and "\n" not in str(err.value)


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    a = save_embeddings(Embeddings(WORDS, rng.normal(size=(10, 8)), "a"), tmp_path / "a.txt")
    b = save_embeddings(Embeddings(WORDS[:-1], rng.normal(size=(9, 8)), "b"), tmp_path / "b.txt")
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("".join(f"{w1}\t{w2}\t{g}\n" for w1, w2, g in PAIRS))
    return a, b, pairs


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fingerprint(path) -> str:
    """A plain file's content fingerprint as the cache documents it: its SHA-256, no control,
    no post-processing, format sniffed."""
    desc = {"kind": "plain", "params": {}, "post": None, "targets": [[_sha(path)]], "format": None,
            "post_rows": None}
    return hashlib.sha256(json.dumps(desc, sort_keys=True).encode()).hexdigest()


def _expected(path, policy: dict) -> tuple[dict, list, list]:
    """An embedding's entry, scores and cosines, computed here from the file's text."""
    rows = [line.split(" ") for line in path.read_text().splitlines()]
    words, vectors = [r[0] for r in rows], np.array([[float(x) for x in r[1:]] for r in rows])
    index = {w: i for i, w in enumerate(words)}
    cos, keep = [], []
    for w1, w2, _ in PAIRS:
        i, j = index.get(w1.lower()), index.get(w2.lower())
        if i is None or j is None:
            cos.append(None)
            continue
        u, v = vectors[i], vectors[j]
        cos.append(round(float(u @ v / np.linalg.norm(u) / np.linalg.norm(v)), 7))
        keep.append(len(cos) - 1)
    rho = spearmanr([PAIRS[k][2] for k in keep], [cos[k] for k in keep]).statistic
    vocab = {w for p in PAIRS for w in p[:2]} | {w.lower() for p in PAIRS for w in p[:2]}
    meta = {"dim": 8, "words_loaded": len([w for w in words if w in vocab]), "policy": policy,
            "source": str(path), "format": "glove", "declared_rows": None, "rows_read": len(words),
            "decode_errors": 0, "decode_error_examples": [], "duplicates": 0,
            "duplicate_examples": [], "words_with_spaces": 0, "blank_lines": 0, "nonfinite": 0,
            "nonfinite_examples": [], "fingerprint": _fingerprint(path)}
    score = {"embedding": path.name, "task": "similarity", "dataset": "pairs", "section": "All",
             "metric": "spearman", "value": 100 * rho, "ci_low": None, "ci_high": None,
             "n_used": len(keep), "n_total": len(PAIRS), "note": ""}
    return meta, [score], cos


def test_results_json_and_cache_key_keep_their_content(files, tmp_path):
    a, b, pairs = files
    cache = tmp_path / "cache"
    results = vgbench.evaluate([str(a), str(b)], [], pair_files=[pairs], cache=cache,
                               policy=Policy(n_boot=0, paired_test="none"))
    policy = {**STORED_DEFAULTS, "n_boot": 0, "paired_test": "none"}
    meta_a, scores_a, cos_a = _expected(a, policy)
    meta_b, scores_b, cos_b = _expected(b, policy)
    expected = {
        "format": "vgbench-results/1",
        "settings": {"policy": policy, "datasets": ["pairs"], "citations": {},
                     "version": vgbench.__version__, "dataset_checksums": {"pairs": _sha(pairs)}},
        "embeddings": {"a.txt": meta_a, "b.txt": meta_b},
        "scores": scores_a + scores_b, "tests": [],
        "pairs": {"pairs": {"word1": [p[0] for p in PAIRS], "word2": [p[1] for p in PAIRS],
                            "gold": [p[2] for p in PAIRS]}},
        "predictions": {"a.txt": {"pairs": cos_a}, "b.txt": {"pairs": cos_b}}}
    got = json.loads(results.to_json())
    for s, e in zip(got["scores"], expected["scores"]):
        assert s.pop("value") == pytest.approx(e.pop("value"), abs=1e-9)
    for name in ("a.txt", "b.txt"):
        assert got["predictions"][name]["pairs"] == pytest.approx(
            expected["predictions"][name].pop("pairs"), abs=2e-7)
        got["predictions"][name].pop("pairs")
    assert got == expected
    assert list(got["settings"]) == list(expected["settings"])
    assert list(got["embeddings"]["a.txt"]) == list(meta_a)

    key_parts = {"version": vgbench.__version__, "sources": [_fingerprint(a), _fingerprint(b)],
                 "names": ["a.txt", "b.txt"],  # this run's labels and paths: never another's
                 "paths": [[str(a.resolve())], [str(b.resolve())]],
                 "datasets": {"pairs": _sha(pairs)}, "policy": policy,
                 "analogy_vocab": 300_000, "analogy_methods": ["3cosadd"], "nonfinite": "drop",
                 "baseline": 0}
    key = hashlib.sha256(json.dumps(key_parts, sort_keys=True).encode()).hexdigest()
    assert [p.stem for p in (cache / "runs").glob("*.json")] == [key]
    # by keywords: the same entry; from the command line (its baselines are always a list):
    # the same parts with baseline [0]
    again = evaluate([str(a), str(b)], [], pair_files=[pairs], cache=cache, n_boot=0,
                     paired_test="none")
    assert again.cached is not None and again.cached["key"] == key
    assert main(["eval", str(a), str(b), "--dataset", str(pairs), "--bootstrap", "0",
                 "--paired-test", "none", "--cache-dir", str(cache), "--quiet"]) == 0
    cli_key = hashlib.sha256(json.dumps({**key_parts, "baseline": [0]}, sort_keys=True)
                             .encode()).hexdigest()
    assert sorted(p.stem for p in (cache / "runs").glob("*.json")) == sorted([key, cli_key])
