"""The study's paired tests: each trained row against GloVe and GloVe+ABTT with the two-level
bootstrap over seeds and pairs (`vgbench.evaluation.hierarchical`) on the means, every set, SimLex's
quartiles, STS and the within-set concreteness bins, with Holm over stated families. The statistics
live in `vgbench.evaluation`; this module only says what is compared with what."""
from __future__ import annotations

import hashlib

import numpy as np

from vgbench.evaluation.policy import STS_AGGREGATE, STS_METRIC
from vgbench.pipeline.study_eval import Evaluated
from vgbench.pipeline.study_spec import (CONC, MEAN_SETS, MIN_BIN_PAIRS, N_CONC_BINS, RULE_COLUMN, WORD_SETS,
                                         StudySettings)


def paired_tests(entries: list[dict], evaluated: dict[str, Evaluated], settings: StudySettings,
                 pairs: dict) -> list[dict]:
    """Each trained row (per rule) against GloVe and GloVe+ABTT of its textual: the two-level
    bootstrap over seeds and pairs (`evaluation.hierarchical`) on the six-set means, every set,
    SimLex's concreteness quartiles, the STS mean and each concreteness bin (within-set bins,
    `evaluation.concreteness`); then Holm over the study's families (`study_families`). The
    resamples of a set are shared by every source of a textual (computed once per source)."""
    from vgbench.evaluation.concreteness import within_set_bins
    from vgbench.evaluation.hierarchical import PairResamples, two_level_test
    from vgbench.reporting.concreteness import brysbaert_concreteness, pair_ratings
    groups: dict[tuple, list[dict]] = {}
    for e in entries:
        groups.setdefault((e["row"], e["textual"], e["rule"]), []).append(e)
    norms = brysbaert_concreteness()
    bins = {}
    for label, names in MEAN_SETS.items():
        ratings = np.concatenate([pair_ratings(pairs[n].word1, pairs[n].word2, norms) for n in names])
        labels = np.concatenate([np.full(len(pairs[n].gold), n, dtype=object) for n in names])
        b, _ = within_set_bins(ratings, labels, N_CONC_BINS)
        bins[label] = {n: b[labels == n] for n in names}
    coverage: dict[tuple[str, str], np.ndarray] = {}
    cache: dict[tuple, tuple[dict, PairResamples, np.ndarray] | None] = {}

    def covered(textual: str, name: str) -> np.ndarray:
        """The pairs of a set that every source of the textual covers (one mask for all its bins)."""
        if (textual, name) not in coverage:
            sources = sorted({e["source"] for e in entries if e["textual"] == textual})
            coverage[(textual, name)] = ~np.isnan(np.array([_cos(evaluated[s], name) for s in sources])).any(0)
        return coverage[(textual, name)]

    def usable(textual: str, name: str, part: tuple | None = None) -> bool:
        """Set up the resamples of a set (restricted to a concreteness bin or a section); False if
        too few pairs."""
        key = (textual, name, part)
        if key not in cache:
            seed = int(hashlib.sha256(f"{name}{part}".encode()).hexdigest()[:8], 16)
            if name in settings.sts:
                year = next(iter(evaluated.values())).sts[name]
                keep = np.ones(len(year["gold"]), bool)
                resamples = PairResamples(year["gold"], settings.n_boot, seed, metric=STS_METRIC,
                                          groups=year["groups"], aggregate=STS_AGGREGATE)
                cache[key] = ({}, resamples, keep)
                return True
            keep = covered(textual, name).copy()
            if part is not None and part[0] == "section":
                keep &= pairs[name].sections[part[1]]
            elif part is not None:
                keep &= bins[part[0]][name] == part[1]
            gold = np.asarray(pairs[name].gold, dtype=float)[keep]
            enough = len(gold) >= (MIN_BIN_PAIRS if part else 3) and np.ptp(gold) > 0
            cache[key] = ({}, PairResamples(gold, settings.n_boot, seed), keep) if enough else None
        return cache[key] is not None

    def rho(textual: str, name: str, source: str, part: tuple | None = None) -> tuple[float, np.ndarray]:
        usable(textual, name, part)
        memo, draws, keep = cache[(textual, name, part)]
        if source not in memo:
            x = (np.asarray(evaluated[source].sts[name]["cosine"], dtype=float) if name in settings.sts
                 else _cos(evaluated[source], name)[keep])
            memo[source] = (draws.point(x), draws.draws(x))
        return memo[source]

    out = []
    for (row, textual, rule), members in groups.items():
        if not members[0]["trained"]:
            continue
        for base in ("GloVe", "GloVe+ABTT"):
            base_members = groups[(base, textual, "-")]
            families = [(label, [(n, None) for n in names]) for label, names in MEAN_SETS.items()]
            families += [(n, [(n, None)]) for n in WORD_SETS]
            families += [(f"SimLex {q}", [("SimLex-999", ("section", q))]) for q in CONC]
            families.append(("STS mean", [(y, None) for y in settings.sts]))
            column = RULE_COLUMN[rule]
            for k in range(N_CONC_BINS):
                members_k = [(n, (column, k)) for n in MEAN_SETS[column] if usable(textual, n, (column, k))]
                families.append((conc_label(k, column), members_k))
            for label, names in families:
                parts = {side: [[rho(textual, n, m["source"], b) for m in group] for n, b in names]
                         for side, group in (("a", base_members), ("b", members))}
                weights = ([int(cache[(textual, n, b)][2].sum()) for n, b in names]
                           if label.startswith("Conc-b") else None)
                seed = int(hashlib.sha256(f"{row}{textual}{rule}{base}{label}".encode()).hexdigest()[:8], 16)
                res = two_level_test([[p for p, _ in s] for s in parts["a"]], [[p for p, _ in s] for s in parts["b"]],
                                     [[d for _, d in s] for s in parts["a"]], [[d for _, d in s] for s in parts["b"]],
                                     seed=seed, weights=weights)
                out.append(dict(row=row, textual=textual, rule=rule, baseline=base, dataset=label,
                                seeds=len(members), **res))
    return study_families(out)


def is_headline(t: dict) -> bool:
    """The tests the README's conclusion reads: each trained row's selection column (Mean6 for
    dev-loss selection, Mean6 test for word-dev selection) and STS mean against both controls, and
    its concreteness bins against GloVe+ABTT."""
    return (t["dataset"] in (RULE_COLUMN[t["rule"]], "STS mean")
            or t["dataset"].startswith("Conc-b") and t["baseline"] == "GloVe+ABTT")


def study_families(tests: list[dict]) -> list[dict]:
    """Holm over two families, each stated with its size in every row: "conclusions" (the tests
    the README's conclusion reads, `is_headline`) and "other" (every further set and control)."""
    from vgbench.evaluation.hierarchical import holm_family
    head = [i for i, t in enumerate(tests) if is_headline(t)]
    rest = [i for i, t in enumerate(tests) if not is_headline(t)]
    out = list(tests)
    for name, idx in (("conclusions", head), ("other", rest)):
        for i, t in zip(idx, holm_family([tests[i] for i in idx], name=name)):
            out[i] = t
    return out


SEED_COLUMNS = ["STS mean", *[f"SimLex {q}" for q in CONC]]


def seed_tests(tests: list[dict]) -> list[dict]:
    """The tests of the scores `seed_tests.csv` has always listed (STS mean, SimLex's quartiles),
    now the two-level bootstrap over seeds and pairs, not a t-test over seeds."""
    keep = ("row", "textual", "rule", "baseline")
    return [{k: t[k] for k in keep} | {"score": t["dataset"]}
            | {k: v for k, v in t.items() if k not in keep and k != "dataset"}
            for t in tests if t["dataset"] in SEED_COLUMNS]


def conc_label(k: int, column: str) -> str:
    """The column name of concreteness bin `k` within the sets of `column` (Mean6 or Mean6 test)."""
    return f"Conc-b{k + 1} ({column})"


def _cos(ev: Evaluated, name: str) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in ev.cosines[name]], dtype=float)
