"""`vgbench.evaluate`: the Python API behind `vgbench eval`.

Loads each source once, streaming only the words the chosen benchmarks need, scores every
dataset, adds bootstrap CIs and paired tests against a baseline, and returns a Results.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from vgbench.datasets import registry
from vgbench.datasets.analogy import AnalogySet, read_analogy_file
from vgbench.datasets.categorization import CategorizationSet, read_categorization_file
from vgbench.datasets.sts import STSSet, read_sts_dir
from vgbench.datasets.word_pairs import WordPairs, read_word_pairs
from vgbench.embeddings.core import Embeddings
from vgbench.embeddings.postprocess import DEFAULT_FIT_ROWS, parse_steps
from vgbench.embeddings.postprocess import apply as apply_steps
from vgbench.sources import SourceSpec, head_rows_needed, load_target, parse_spec, source_list
from vgbench.sources import resolve as resolve_spec
from vgbench import __version__
from vgbench.evaluation import analogy as analogy_eval
from vgbench.evaluation import statistics
from vgbench.evaluation.cache import ResultsCache
from vgbench.evaluation.categorization import evaluate_categorization
from vgbench.evaluation.provenance import dataset_checksum, source_fingerprint
from vgbench.evaluation.results import PairedTest, Results, Score
from vgbench.evaluation.similarity import (evaluate_pairs, no_correlation_reason, predict_pairs,
                                           scored_values)
from vgbench.evaluation.sts import evaluate_sts, predict_sts

log = logging.getLogger(__name__)

DEFAULT_DATASETS = list(registry.GROUPS["paper"])
PAIRED_TESTS = ("bootstrap", "steiger", "none")


@dataclass
class Policy:
    """How words are looked up and scored; stored with every result."""
    case: str = "lower"
    sts_case: str = "exact"
    oov: str = "skip"
    common_pairs: bool = False
    n_boot: int = 1000
    seed: int = 0
    level: float = 0.95
    paired_test: str = "bootstrap"

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Benchmarks:
    similarity: list[WordPairs] = field(default_factory=list)
    sts: list[STSSet] = field(default_factory=list)
    analogy: list[AnalogySet] = field(default_factory=list)
    categorization: list[CategorizationSet] = field(default_factory=list)

    def vocabulary(self) -> set[str]:
        vocab: set[str] = set()
        for d in [*self.similarity, *self.sts, *self.analogy, *self.categorization]:
            vocab |= d.vocabulary()
        return vocab

    def all_sets(self) -> list:
        return [*self.similarity, *self.sts, *self.analogy, *self.categorization]


def resolve_datasets(datasets: Iterable[str] | None = None, pair_files: Sequence[str | os.PathLike] = (),
                     sts_dirs: Sequence[str | os.PathLike] = (), data_root=None,
                     analogy_files: Sequence[str | os.PathLike] = (),
                     categorization_files: Sequence[str | os.PathLike] = ()) -> Benchmarks:
    """Built-in names and groups (case/dash-insensitive: paper, similarity, sts, analogy,
    categorization, all, ...) plus user files; a relative path that is not found here is looked up
    under the data root."""
    names: list[str] = []
    for item in (DEFAULT_DATASETS if datasets is None else datasets):
        path = _user_path(item, data_root)
        if path is not None and path.is_file():
            pair_files = [*pair_files, path]
        elif path is not None and path.is_dir():
            sts_dirs = [*sts_dirs, path]
        else:
            names += registry.expand(item)
    bench = Benchmarks()
    by_task = {"similarity": bench.similarity, "sts": bench.sts, "analogy": bench.analogy,
               "categorization": bench.categorization}
    for name in dict.fromkeys(names):
        by_task[registry.BENCHMARKS[name].task].append(registry.load(name))
    bench.similarity += [read_word_pairs(p) for p in pair_files]
    bench.sts += [read_sts_dir(p) for p in sts_dirs]
    bench.analogy += [read_analogy_file(p) for p in analogy_files]
    bench.categorization += [read_categorization_file(p) for p in categorization_files]
    return bench


def _user_path(item: str | os.PathLike, data_root) -> Path | None:
    """A user's file or folder for a --datasets item: as given, else under the data root (if any)."""
    if registry.canonical_name(str(item)) or registry.group_name(str(item)):
        return None
    path = Path(item)
    if path.exists() or path.is_absolute():
        return path
    from vgbench.paths import find_data_root
    root = find_data_root(data_root)
    return root / path if root is not None and (root / path).exists() else None


def _source_label(label: str, taken: set[str]) -> str:
    """The source's own name, made unique within one comparison (a second copy gets '#2')."""
    base, i = label, 2
    while label in taken:
        label, i = f"{base}#{i}", i + 1
    return label


def load_sources(sources: Sequence, words: set[str] | None, names: Sequence[str] | None = None,
                 fmt: str | None = None, download: bool = False, progress: bool = False,
                 postprocess: str | None = None, postprocess_rows: int = DEFAULT_FIT_ROWS,
                 head_rows: int = 0, nonfinite: str = "drop") -> list[Embeddings]:
    """Resolve each source (spec string or Embeddings), post-process it, and give it a unique label.

    Only rows a benchmark word can resolve to under any case policy are loaded (plus the first
    `postprocess_rows` rows when post-processing needs statistics, and the first `head_rows`
    rows in any case: analogies search among the most frequent words). Each file or registry name
    is read once, however many specs use it (e.g. `big.txt` and `big.txt|abtt:3`).
    """
    post = postprocess if postprocess and postprocess != "none" else None
    specs: dict[int, SourceSpec] = {}
    heads: dict[str, int] = {}
    for i, source in enumerate(sources):
        if not isinstance(source, Embeddings):
            text = str(source)
            spec = specs[i] = parse_spec(f"{text}|{post}" if post and "|" not in text else text)
            for target in spec.targets:
                heads[target] = max(heads.get(target, 0), head_rows,
                                    head_rows_needed(spec, None, postprocess_rows))
    cache: dict[str, Embeddings] = {}

    def load(target: str, _head: int) -> Embeddings:
        if target not in cache:
            # keep every row a benchmark word can resolve to under any case policy
            cache[target] = load_target(target, words=words, case="exact-then-lower", fmt=fmt,
                                        download=download, progress=progress, head_rows=heads[target],
                                        nonfinite=nonfinite)
        return cache[target]

    loaded, taken = [], set()
    for i, source in enumerate(sources):
        if isinstance(source, Embeddings):
            source = _finite_rows(source, nonfinite)
            emb = (apply_steps(source, parse_steps(post, postprocess_rows)) if post
                   else Embeddings(source.words, source.vectors, source.name, dict(source.meta)))
        else:
            emb = resolve_spec(specs[i], words, fit_rows=postprocess_rows, load=load)
        label = names[i] if names and i < len(names) else _source_label(emb.name, taken)
        taken.add(label)
        emb.name = label
        loaded.append(emb)
    return loaded


def _finite_rows(emb: Embeddings, policy: str) -> Embeddings:
    """An in-memory source under the same non-finite policy as a file (rows named by index)."""
    from vgbench.embeddings.text_reader import LoadStats, drop_nonfinite
    if np.isfinite(emb.vectors).all():
        return emb
    stats = LoadStats()
    words, vecs = drop_nonfinite(list(emb.words), emb.vectors, lambda i: f"row {i + 1}", stats,
                                 policy, emb.name)
    return Embeddings(words, vecs, emb.name, {**emb.meta, "nonfinite": stats.nonfinite,
                                               "nonfinite_examples": stats.nonfinite_examples})


def evaluate(sources: Sequence, datasets: Iterable[str] | None = None, *,
             pair_files: Sequence[str | os.PathLike] = (), sts_dirs: Sequence[str | os.PathLike] = (),
             case: str = "lower", sts_case: str = "exact", oov: str = "skip", common_pairs: bool = False,
             n_boot: int = 1000, seed: int = 0, level: float = 0.95, paired_test: str = "bootstrap",
             baseline: str | int | Sequence[str | int] = 0, names: Sequence[str] | None = None, fmt: str | None = None,
             download: bool = False, data_root=None, progress: bool = False,
             postprocess: str | None = None, postprocess_rows: int = DEFAULT_FIT_ROWS,
             cache: "str | os.PathLike | ResultsCache | None" = None,
             analogy_files: Sequence[str | os.PathLike] = (),
             categorization_files: Sequence[str | os.PathLike] = (),
             analogy_vocab: int = analogy_eval.DEFAULT_RESTRICT,
             analogy_methods: Sequence[str] = analogy_eval.DEFAULT_METHODS,
             nonfinite: str = "drop") -> Results:
    """Evaluate embeddings (source specs, or vectors in memory: see vgbench.sources.load_source)
    on the chosen benchmarks.

    Defaults follow the paper: all six word-similarity sets and STS12-16; lower-case lookup and
    OOV pairs skipped for words; SentEval's exact lookup for STS. `common_pairs` scores every
    embedding on the pairs all of them cover. With two or more embeddings, each is tested
    against `baseline` (index or name, or a list of them) with `paired_test`. `postprocess` ("center,abtt:3,...")
    applies to every source that has no "|STEPS" of its own; see vgbench.sources.spec.
    `cache` (a folder or ResultsCache): return the stored results when the same files, datasets,
    policy and version were evaluated before (then `results.cached` holds the entry's key and
    date), else evaluate and store them.
    Analogies (vgbench.evaluation.analogy) search the first `analogy_vocab` words of each source
    with gensim's conventions; categorization (vgbench.evaluation.categorization) looks words up
    with `case` and skips missing ones.
    `nonfinite`: a vector row holding nan/inf is dropped and counted ("drop", listed under the
    embedding's `nonfinite` / `nonfinite_examples`), or stops the evaluation ("error").
    """
    sources = source_list(sources)
    if paired_test not in PAIRED_TESTS:
        raise ValueError(f"unknown paired test {paired_test!r}; expected one of {', '.join(PAIRED_TESTS)}")
    bad = [m for m in analogy_methods if m not in analogy_eval.METHODS]
    if bad or not analogy_methods:
        raise ValueError(f"unknown analogy method(s) {', '.join(bad) or '(none given)'}; expected "
                         f"some of {', '.join(analogy_eval.METHODS)}")
    if n_boot < 0:
        raise ValueError(f"n_boot (--bootstrap) must be 0 (no CIs) or more, got {n_boot}")
    policy = Policy(case, sts_case, oov, common_pairs, n_boot, seed, level, paired_test)
    bench = resolve_datasets(datasets, pair_files, sts_dirs, data_root, analogy_files,
                             categorization_files)
    if not bench.all_sets():
        raise ValueError("no dataset to evaluate on: name some (e.g. MEN,SimLex-999,sts or all), "
                         "or give a word-pair file, STS folder, analogy or categorization file")
    store = None if cache is None else cache if isinstance(cache, ResultsCache) else ResultsCache(cache)
    memo = store.memo_dir if store is not None else None
    checksums = {d.name: dataset_checksum(d) for d in bench.all_sets()}
    fingerprints = [source_fingerprint(s, postprocess, postprocess_rows, fmt, memo) for s in sources]
    cache_key = None
    if store is not None:
        cache_key = store.key({"version": __version__, "sources": fingerprints, "names": list(names or []),
                         "datasets": checksums, "policy": policy.as_dict(), "analogy_vocab": analogy_vocab,
                         "analogy_methods": list(analogy_methods), "nonfinite": nonfinite,
                         "baseline": baseline if isinstance(baseline, (str, int)) else list(baseline)})
        entry = store.get(cache_key)
        if entry is not None:
            entry.results.cached = {"key": cache_key, "created": entry.created, "path": str(entry.path)}
            return entry.results
    embs = load_sources(sources, bench.vocabulary(), names, fmt, download, progress,
                        postprocess, postprocess_rows, analogy_vocab if bench.analogy else 0, nonfinite)
    results = Results(settings={"policy": policy.as_dict(),
                                "datasets": [d.name for d in bench.all_sets()],
                                "citations": {d.name: d.citation for d in bench.all_sets()
                                              if d.citation},
                                "version": __version__, "dataset_checksums": checksums})
    results.settings.update(_suite_settings(bench, analogy_vocab, analogy_methods, case))
    for emb, fingerprint in zip(embs, fingerprints):
        results.embeddings[emb.name] = {"dim": emb.dim, "words_loaded": len(emb),
                                        "policy": policy.as_dict(), **_plain_meta(emb.meta),
                                        "fingerprint": fingerprint}
        for key in ("postprocess", "control", "grounding"):
            if key in emb.meta:
                results.embeddings[emb.name][key] = emb.meta[key]
    bar = _progress(progress, len(embs) * len(bench.all_sets()))
    sim_preds = {d.name: [predict_pairs(e, d, case) for e in embs] for d in bench.similarity}
    for d in bench.similarity:
        restrict = (np.logical_and.reduce([p.covered for p in sim_preds[d.name]])
                    if common_pairs else None)
        for emb, pred in zip(embs, sim_preds[d.name]):
            results.scores += evaluate_pairs(emb.name, d, pred, oov, restrict, n_boot, seed, level)
            bar.update(1)
        results.pairs[d.name] = {"word1": list(d.word1), "word2": list(d.word2),
                                 "gold": [float(g) for g in d.gold]}
        for emb, pred in zip(embs, sim_preds[d.name]):
            results.predictions.setdefault(emb.name, {})[d.name] = [
                round(float(c), 7) for c in pred.cosine]
    sts_preds = {s.name: [predict_sts(e, s, sts_case) for e in embs] for s in bench.sts}
    for s in bench.sts:
        for emb, pred in zip(embs, sts_preds[s.name]):
            results.scores += evaluate_sts(emb.name, s, pred, n_boot, seed, level)
            results.embeddings[emb.name].setdefault("sts_token_coverage", {})[s.name] = (
                pred.tokens_found / max(pred.tokens, 1))
            bar.update(1)
    analogy_preds = _suite_scores(results, embs, bench, policy, analogy_vocab, analogy_methods, bar)
    bar.close()
    if len(embs) > 1 and paired_test != "none":
        bases = [baseline] if isinstance(baseline, (str, int)) else list(baseline)
        tested: set[int] = set()  # a pair of baselines is tested once, not in both directions
        for b in bases:
            base = _baseline_index(b, embs)
            results.tests += paired_tests(embs, base, bench, sim_preds, sts_preds, policy, skip=tested)
            results.tests += _analogy_tests(embs, base, bench, analogy_preds, skip=tested)
            tested.add(base)
        adjusted = statistics.holm([t.p_value for t in results.tests])
        family = f"all {int(np.isfinite(adjusted).sum())} paired tests of this evaluation"
        for t, p in zip(results.tests, adjusted):
            t.p_adjusted, t.family = float(p), family
    if store is not None:
        store.put(cache_key, results)
    return results


def _suite_settings(bench: Benchmarks, restrict: int, methods: Sequence[str], case: str) -> dict:
    """How analogies and categorization were scored, stored with the results."""
    out: dict = {}
    if bench.analogy:
        out["analogy"] = {"restrict_vocab": restrict, "case_insensitive": True,
                          "methods": list(methods), "3cosmul_epsilon": analogy_eval.EPSILON,
                          "ci": "Wilson score interval", "paired_test": "McNemar exact"}
    if bench.categorization:
        out["categorization"] = {"clustering": "scipy Ward linkage on unit vectors, cut at the "
                                               "number of gold classes", "case": case,
                                 "missing_words": "skipped"}
    return out


def _suite_scores(results: Results, embs: list[Embeddings], bench: Benchmarks, policy: Policy,
                  restrict: int, methods: Sequence[str], bar) -> dict:
    """Score analogies and categorization into `results`; return the analogy predictions
    {set name: [per embedding]} for paired tests."""
    preds: dict[str, list] = {a.name: [] for a in bench.analogy}
    for emb in embs:
        vocab = analogy_eval.analogy_vocab(emb, restrict) if bench.analogy else None
        for aset in bench.analogy:
            pred = analogy_eval.predict_analogies(vocab, aset, tuple(methods))
            preds[aset.name].append(pred)
            results.scores += analogy_eval.evaluate_analogies(emb.name, aset, pred, policy.level)
            bar.update(1)
        for cset in bench.categorization:
            results.scores.append(evaluate_categorization(emb, cset, policy.case)[0])
            bar.update(1)
    return preds


def _analogy_tests(embs, base: int, bench: Benchmarks, preds: dict, skip: set[int]) -> list[PairedTest]:
    tests = []
    for j, emb in enumerate(embs):
        if j != base and j not in skip:
            for aset in bench.analogy:
                tests += analogy_eval.mcnemar_tests(aset, embs[base].name, emb.name,
                                                    preds[aset.name][base], preds[aset.name][j])
    return tests


def _baseline_index(baseline: str | int, embs: list[Embeddings]) -> int:
    if isinstance(baseline, int):
        if not 0 <= baseline < len(embs):
            raise ValueError(f"baseline index {baseline} out of range for {len(embs)} embeddings")
        return baseline
    names = [e.name for e in embs]
    if baseline not in names:
        raise ValueError(f"baseline {baseline!r} is not one of the evaluated embeddings: {', '.join(names)}")
    return names.index(baseline)


def paired_tests(embs, base: int, bench: Benchmarks, sim_preds, sts_preds, policy: Policy,
                 skip: set[int] = frozenset()) -> list[PairedTest]:
    """Each embedding (except those in `skip`) against the baseline, on the pairs both cover."""
    tests = []
    for j, emb in enumerate(embs):
        if j == base or j in skip:
            continue
        a_name = embs[base].name
        for d in bench.similarity:
            pa, pb = sim_preds[d.name][base], sim_preds[d.name][j]
            va, ua = scored_values(pa, policy.oov)
            vb, ub = scored_values(pb, policy.oov)
            sections = d.sections or {"All": np.ones(len(d), bool)}
            for section, members in sections.items():
                use = ua & ub & members
                if (no_correlation_reason(d.gold[use], va[use], int(use.sum()), int(use.sum()))
                        or no_correlation_reason(d.gold[use], vb[use], int(use.sum()), int(use.sum()))):
                    continue
                tests.append(_test(d.name, section, "spearman", a_name, emb.name, d.gold[use],
                                   va[use], vb[use], None, policy))
        for s in bench.sts:
            pa, pb = sts_preds[s.name][base], sts_preds[s.name][j]
            if not _every_subset_correlates(pa, pb):
                continue
            tests.append(_test(s.name, "mean", "pearson", a_name, emb.name, pa.gold, pa.cosine,
                               pb.cosine, pa.groups, policy))
    return [t for t in tests if t is not None]


def _every_subset_correlates(pa, pb) -> bool:
    """A paired test of an STS year needs a defined correlation in each subset for both sides."""
    for g in np.unique(pa.groups):
        m = pa.groups == g
        if (no_correlation_reason(pa.gold[m], pa.cosine[m], int(m.sum()), int(m.sum()))
                or no_correlation_reason(pb.gold[m], pb.cosine[m], int(m.sum()), int(m.sum()))):
            return False
    return True


def _test(dataset, section, metric, a, b, gold, pred_a, pred_b, groups,
          policy: Policy) -> PairedTest | None:
    """One paired test; None when it needs resamples and `--bootstrap 0` asked for none."""
    if groups is not None:
        value_a = float(np.mean([statistics.correlation(gold[groups == g], pred_a[groups == g], metric)
                                 for g in np.unique(groups)]))
        value_b = float(np.mean([statistics.correlation(gold[groups == g], pred_b[groups == g], metric)
                                 for g in np.unique(groups)]))
    else:
        value_a = statistics.correlation(gold, pred_a, metric)
        value_b = statistics.correlation(gold, pred_b, metric)
    if policy.paired_test == "steiger" and groups is None:
        st = statistics.steiger_test(gold, pred_a, pred_b, metric)
        return PairedTest(dataset, section, metric, a, b, value_a, value_b, value_b - value_a,
                          None, None, float(st["p_value"]), "steiger", len(gold))
    if policy.n_boot == 0:
        return None
    bt = statistics.paired_bootstrap(gold, pred_a, pred_b, metric, n_boot=policy.n_boot, seed=policy.seed,
                                     level=policy.level, groups=groups, aggregate="mean")
    return PairedTest(dataset, section, metric, a, b, value_a, value_b, float(bt["delta"]),
                      float(bt["ci_low"]), float(bt["ci_high"]), float(bt["p_value"]),
                      "paired bootstrap-z" + (" (stratified by subset)" if groups is not None else ""),
                      len(gold), p_resample=float(bt["p_resample"]), p_floor=float(bt["p_floor"]))


def _plain_meta(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool, list, type(None)))}


def _progress(enabled: bool, total: int):
    from vgbench.progress import progress_bar
    return progress_bar(total, "evaluating", "set", enabled)
