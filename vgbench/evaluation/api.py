"""`vgbench.evaluate`: the Python API behind `vgbench eval`.

Loads each source once, streaming only the words the chosen benchmarks need, scores every
dataset, adds bootstrap CIs and paired tests against a baseline, and returns a Results. The
scoring settings travel as one Policy (vgbench.evaluation.policy) from the caller to every step.
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
from vgbench._version import __version__
from vgbench.evaluation.cache import ResultsCache
from vgbench.evaluation.policy import LOAD_CASE, Policy
from vgbench.evaluation.provenance import dataset_checksum, source_fingerprint
from vgbench.evaluation.results import Results

from vgbench.evaluation.scoring import compare_to_baselines, score, suite_settings

log = logging.getLogger(__name__)

DEFAULT_DATASETS = list(registry.group("paper"))


@dataclass
class Benchmarks:
    """The loaded benchmark sets of one evaluation, by task."""
    similarity: list[WordPairs] = field(default_factory=list)
    sts: list[STSSet] = field(default_factory=list)
    analogy: list[AnalogySet] = field(default_factory=list)
    categorization: list[CategorizationSet] = field(default_factory=list)

    def vocabulary(self) -> set[str]:
        """Every word any of the chosen sets needs, so a source is read only for those rows."""
        vocab: set[str] = set()
        for d in [*self.similarity, *self.sts, *self.analogy, *self.categorization]:
            vocab |= d.vocabulary()
        return vocab

    def all_sets(self) -> list:
        """The chosen sets of every task, in task order."""
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
    origins: dict[str, str] = {}
    for name in dict.fromkeys(names):
        by_task[registry.BENCHMARKS[name].task].append(_unique_set(registry.load(name), f"built-in {name}", origins))
    bench.similarity += [_unique_set(read_word_pairs(p), p, origins) for p in pair_files]
    bench.sts += [_unique_set(read_sts_dir(p), p, origins) for p in sts_dirs]
    bench.analogy += [_unique_set(read_analogy_file(p), p, origins) for p in analogy_files]
    bench.categorization += [_unique_set(read_categorization_file(p), p, origins) for p in categorization_files]
    return bench


def _unique_set(dataset, origin, origins: dict[str, str]):
    """A dataset whose name no earlier one has: scores are keyed by name, so two files with the
    same base name would otherwise share one column."""
    if dataset.name in origins:
        raise ValueError(f"two datasets are both named {dataset.name!r}: {origins[dataset.name]} and "
                         f"{origin}; results are keyed by name, so rename one of the files")
    origins[dataset.name] = str(origin)
    return dataset


def check_labels(sources: Sequence, names: Sequence[str] | None) -> None:
    """Refuse two sources given the same --name: their rows would merge into one."""
    seen: dict[str, int] = {}
    for i, label in enumerate(list(names or [])[:len(sources)]):
        if label in seen:
            j = seen[label]
            raise ValueError(f"sources {j + 1} ({_source_text(sources[j])}) and {i + 1} "
                             f"({_source_text(sources[i])}) are both labelled {label!r}; their rows "
                             f"would merge into one: give each a different --name")
        seen[label] = i


def _source_text(source) -> str:
    return source.name if isinstance(source, Embeddings) else str(source)


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
    check_labels(sources, names)
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
            cache[target] = load_target(target, words=words, case=LOAD_CASE, fmt=fmt,
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


@dataclass(frozen=True)
class Loading:
    """How sources are read (not how they are scored): labels, format, download, post-processing,
    progress bar."""
    names: Sequence[str] | None = None
    fmt: str | None = None
    download: bool = False
    postprocess: str | None = None
    postprocess_rows: int = DEFAULT_FIT_ROWS
    progress: bool = False


def evaluate(sources: Sequence, datasets: Iterable[str] | Benchmarks | None = None, *,
             policy: Policy | None = None, baseline: str | int | Sequence[str | int] = 0,
             pair_files: Sequence[str | os.PathLike] = (), sts_dirs: Sequence[str | os.PathLike] = (),
             analogy_files: Sequence[str | os.PathLike] = (),
             categorization_files: Sequence[str | os.PathLike] = (), data_root=None,
             names: Sequence[str] | None = None, fmt: str | None = None, download: bool = False,
             postprocess: str | None = None, postprocess_rows: int = DEFAULT_FIT_ROWS,
             progress: bool = False, cache: "str | os.PathLike | ResultsCache | None" = None,
             **policy_fields) -> Results:
    """Evaluate embeddings (source specs, or vectors in memory: see vgbench.sources.load_source)
    on the chosen benchmarks.

    `datasets`: names and groups (default: the paper's six word-similarity sets and STS12-16),
    or a Benchmarks from `resolve_datasets`; `pair_files`, `sts_dirs`, `analogy_files` and
    `categorization_files` add the user's own sets. `policy` (a Policy) says how words are looked
    up and scored; its fields may also be given as keywords (`case="exact", n_boot=0`), which
    replace those of `policy`. With two or more embeddings, each is tested against `baseline`
    (index or name, or a list of them) with the policy's paired test. `postprocess`
    ("center,abtt:3,...") applies to every source that has no "|STEPS" of its own; see
    vgbench.sources.spec. `cache` (a folder or ResultsCache): return the stored results when
    the same files, datasets, policy and version were evaluated before (then `results.cached`
    holds the entry's key and date), else evaluate and store them.

    `sources` and `datasets` may each be one item or a list: evaluate("vectors.txt", "MEN").
    `names`: table labels, one per source in order (a str for a single source); by default a
    file's name, a registry name as given, an Embeddings' own name, and for other vectors in
    memory their kind and 1-based position: `kv-1` (gensim KeyedVectors), `vectors-2` (a
    {word: vector} mapping or a (words, matrix) pair).
    """
    policy = Policy.of(policy, **policy_fields)
    sources = source_list(sources)
    datasets, pair_files, sts_dirs, analogy_files, categorization_files = (
        _one_or_many(x) for x in (datasets, pair_files, sts_dirs, analogy_files, categorization_files))
    check_labels(sources, [names] if isinstance(names, str) else names)
    names = _labels(names, len(sources))
    bench = datasets if isinstance(datasets, Benchmarks) else resolve_datasets(
        datasets, pair_files, sts_dirs, data_root, analogy_files, categorization_files)
    if not bench.all_sets():
        raise ValueError("no dataset to evaluate on: name some (e.g. MEN,SimLex-999,sts or all), "
                         "or give a word-pair file, STS folder, analogy or categorization file")
    loading = Loading(names, fmt, download, postprocess, postprocess_rows, progress)
    store = None if cache is None else cache if isinstance(cache, ResultsCache) else ResultsCache(cache)
    checksums = {d.name: dataset_checksum(d) for d in bench.all_sets()}
    fingerprints = [source_fingerprint(s, postprocess, postprocess_rows, fmt,
                                       store.memo_dir if store is not None else None)
                    for s in sources]
    key = None
    if store is not None:
        labels = planned_labels(sources, names, postprocess)
        key = cache_key(fingerprints, labels, checksums, policy, baseline,
                        _target_paths(sources, postprocess))
        entry = store.get(key)
        if entry is not None and set(entry.results.embeddings) == set(labels):
            entry.results.cached = {"key": key, "created": entry.created, "path": str(entry.path)}
            return entry.results
    embs = load(sources, bench, policy, loading)
    results = new_results(bench, embs, fingerprints, checksums, policy)
    preds = score(results, embs, bench, policy, loading.progress)
    if len(embs) > 1 and policy.paired_test != "none":
        bases = [baseline] if isinstance(baseline, (str, int)) else list(baseline)
        results.tests = compare_to_baselines(embs, bases, bench, preds, policy)
    if store is not None:
        store.put(key, results)
    return results


def _one_or_many(value):
    """A single name or path as a one-item list (a str is not a list of letters)."""
    return [value] if isinstance(value, (str, os.PathLike)) else value


def _labels(names: str | Sequence[str] | None, n_sources: int) -> list[str] | None:
    """`names` as a list of labels, one per source at most (a single label for a single source)."""
    if names is None:
        return None
    names = [names] if isinstance(names, str) else list(names)
    if len(names) > n_sources:
        raise ValueError(f"names: {len(names)} labels ({', '.join(map(str, names))}) for "
                         f"{n_sources} source(s); give one label per source, in order")
    bad = next((x for x in names if not isinstance(x, str) or not x.strip()), None)
    if bad is not None:
        raise ValueError(f"names: {bad!r} is not a label; give a non-empty str per source")
    twice = sorted({x for x in names if names.count(x) > 1})
    if twice:
        raise ValueError(f"names: {', '.join(twice)} given twice; each source needs its own label")
    return names


def cache_key(fingerprints: list[str], labels: Sequence[str] | None,
              checksums: dict[str, str | None], policy: Policy,
              baseline: str | int | Sequence[str | int], paths: Sequence[Sequence[str]] = ()) -> str:
    """The results cache key: what determines the numbers (see vgbench.evaluation.cache), and
    what the report says about them: each source's label and file paths come from this run,
    so a copied or renamed file is never reported under the name it had when it was cached."""
    return ResultsCache.key({"version": __version__, "sources": fingerprints,
                             "names": list(labels or []), "paths": [list(p) for p in paths],
                             "datasets": checksums, **policy.key_parts(),
                             "baseline": baseline if isinstance(baseline, (str, int)) else list(baseline)})


def planned_labels(sources: Sequence, names: Sequence[str] | None = None,
                   postprocess: str | None = None) -> list[str]:
    """The label each source will carry in this run's tables (as load_sources gives them),
    known before anything is loaded."""
    from vgbench.sources.spec import display_name
    post = postprocess if postprocess and postprocess != "none" else None
    labels: list[str] = []
    for i, source in enumerate(sources):
        if names and i < len(names):
            labels.append(names[i])
            continue
        if isinstance(source, Embeddings):
            base = f"{source.name}+{parse_steps(post).label()}" if post else source.name
        else:
            text = str(source)
            base = display_name(parse_spec(f"{text}|{post}" if post and "|" not in text else text))
        labels.append(_source_label(base, set(labels)))
    return labels


def _target_paths(sources: Sequence, postprocess: str | None = None) -> list[list[str]]:
    """Each source's target files as absolute paths (registry names as given)."""
    post = postprocess if postprocess and postprocess != "none" else None
    out = []
    for source in sources:
        if isinstance(source, Embeddings):
            out.append([])
            continue
        text = str(source)
        spec = parse_spec(f"{text}|{post}" if post and "|" not in text else text)
        out.append([str(Path(t).resolve()) if Path(t).exists() else t for t in spec.targets])
    return out


def load(sources: Sequence, bench: Benchmarks, policy: Policy, loading: Loading) -> list[Embeddings]:
    """Each source with the rows the benchmarks need (and the analogy candidates)."""
    return load_sources(sources, bench.vocabulary(), loading.names, loading.fmt, loading.download,
                        loading.progress, loading.postprocess, loading.postprocess_rows,
                        policy.analogy_vocab if bench.analogy else 0, policy.nonfinite)


def new_results(bench: Benchmarks, embs: list[Embeddings], fingerprints: list[str],
                checksums: dict[str, str | None], policy: Policy) -> Results:
    """Results with no score yet: the settings, policy and provenance of this evaluation."""
    stored = policy.to_dict()
    results = Results(settings={"policy": stored,
                                "datasets": [d.name for d in bench.all_sets()],
                                "citations": {d.name: d.citation for d in bench.all_sets()
                                              if d.citation},
                                "version": __version__, "dataset_checksums": checksums})
    results.settings.update(suite_settings(bench, policy))
    repeated = {d.name: {"rows": n, "examples": ex, "built_in": bool(d.checksum)}
                for d in bench.similarity for n, ex in [d.repeated_pairs()] if n}
    if repeated:
        results.settings["repeated_pairs"] = repeated
    for emb, fingerprint in zip(embs, fingerprints):
        results.embeddings[emb.name] = {"dim": emb.dim, "words_loaded": len(emb),
                                        "policy": dict(stored), **_plain_meta(emb.meta),
                                        "fingerprint": fingerprint}
        for key in ("postprocess", "control", "grounding"):
            if key in emb.meta:
                results.embeddings[emb.name][key] = emb.meta[key]
    return results


def _plain_meta(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool, list, type(None)))}
