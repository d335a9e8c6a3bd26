"""Scoring and paired tests: every dataset's score for every embedding (with bootstrap CIs), the
means over sets, and the paired tests against the baselines. Apart from the API (evaluation.api),
which resolves the datasets and loads the sources, so that each module does one job."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

import numpy as np

from vgbench.datasets import registry
from vgbench.embeddings.core import Embeddings
from vgbench.evaluation import analogy as analogy_eval
from vgbench.evaluation import means
from vgbench.evaluation import statistics
from vgbench.evaluation.categorization import evaluate_categorization
from vgbench.evaluation.policy import STS_METRIC, Policy
from vgbench.evaluation.results import PairedTest, Results, Score
from vgbench.evaluation.similarity import (PairPredictions, evaluate_pairs, no_correlation_reason,
                                           predict_pairs, scored_values)
from vgbench.evaluation.sts import (STSPredictions, evaluate_sts, predict_sts,
                                    subset_correlations, subset_mean)

if TYPE_CHECKING:
    from vgbench.evaluation.api import Benchmarks


@dataclass
class Predictions:
    """Each set's predictions per embedding (in source order), kept for the paired tests."""
    similarity: dict[str, list[PairPredictions]] = field(default_factory=dict)
    sts: dict[str, list[STSPredictions]] = field(default_factory=dict)
    analogy: dict[str, list[analogy_eval.AnalogyPredictions]] = field(default_factory=dict)


def score(results: Results, embs: list[Embeddings], bench: Benchmarks, policy: Policy,
          progress: bool = False) -> Predictions:
    """Score every embedding on every set into `results`; return the predictions."""
    from vgbench.progress import progress_bar
    bar = progress_bar(len(embs) * len(bench.all_sets()), "evaluating", "set", progress)
    preds = Predictions()
    _score_similarity(results, embs, bench, policy, preds, bar)
    _score_sts(results, embs, bench, policy, preds, bar)
    _score_suite(results, embs, bench, policy, preds, bar)
    bar.close()
    _score_means(results, embs, bench, policy, preds)
    return preds


def _mean_sets(bench: Benchmarks) -> dict[str, tuple[str, list[str], str]]:
    """The Mean columns this evaluation can fill: label -> (task, sets, metric)."""
    out = {}
    sim = [d.name for d in bench.similarity]
    if all(d in sim for d in registry.group("paper-similarity")):
        out[means.SIMILARITY_MEAN] = ("similarity", list(registry.group("paper-similarity")), "spearman")
    sts = [s.name for s in bench.sts]
    if all(d in sts for d in registry.group("paper-sts")):
        out[means.STS_MEAN] = ("sts", list(registry.group("paper-sts")), STS_METRIC)
    return out


def _mean_samples(task: str, sets: list[str], metric: str, preds: Predictions,
                  bench: Benchmarks, idx: list[int], policy: Policy,
                  restrict: dict[str, np.ndarray] | None = None) -> list | None:
    """Each set's scored pairs for the embeddings `idx` (the pairs all of them use); None when a
    set has no correlation for one of them."""
    samples = []
    for name in sets:
        if task == "similarity":
            gold = next(d.gold for d in bench.similarity if d.name == name)
            scored = [scored_values(preds.similarity[name][i], policy.oov) for i in idx]
            use = np.logical_and.reduce([u for _, u in scored])
            if restrict is not None and name in restrict:
                use = use & restrict[name]
            sample = means.SetSample(gold[use], [v[use] for v, _ in scored], metric)
            if any(no_correlation_reason(sample.gold, p, len(p), len(p)) for p in sample.preds):
                return None
        else:
            ps = [preds.sts[name][i] for i in idx]
            if any(reason for p in ps for _, reason in subset_correlations(p, metric)):
                return None
            sample = means.SetSample(ps[0].gold, [p.cosine for p in ps], metric, ps[0].groups)
        samples.append(sample)
    return samples


def _score_means(results: Results, embs: list[Embeddings], bench: Benchmarks, policy: Policy,
                 preds: Predictions) -> None:
    """The Mean columns' scores with a bootstrap CI that resamples every set in each draw."""
    if not policy.n_boot:
        return
    restrict = ({d.name: np.logical_and.reduce([p.covered for p in preds.similarity[d.name]])
                 for d in bench.similarity} if policy.common_pairs else None)
    for label, (task, sets, metric) in _mean_sets(bench).items():
        for i, emb in enumerate(embs):
            samples = _mean_samples(task, sets, metric, preds, bench, [i], policy, restrict)
            if samples is None:
                continue
            ci = means.mean_ci(samples, policy.n_boot, policy.seed, policy.level)
            n_used = sum(len(s.gold) for s in samples)
            n_total = (sum(len(d) for d in bench.similarity if d.name in sets) if task ==
                       "similarity" else n_used)
            results.scores.append(Score(emb.name, "mean", label, "All", metric, ci["value"],
                                        ci["ci_low"], ci["ci_high"], n_used, n_total))


def _score_similarity(results: Results, embs: list[Embeddings], bench: Benchmarks,
                      policy: Policy, preds: Predictions, bar) -> None:
    """Word-pair sets: scores, and every pair's words, gold score and cosines for analyses."""
    preds.similarity = {d.name: [predict_pairs(e, d, policy.case) for e in embs]
                        for d in bench.similarity}
    for d in bench.similarity:
        restrict = (np.logical_and.reduce([p.covered for p in preds.similarity[d.name]])
                    if policy.common_pairs else None)
        for emb, pred in zip(embs, preds.similarity[d.name]):
            results.scores += evaluate_pairs(emb.name, d, pred, policy, restrict)
            bar.update(1)
        results.pairs[d.name] = {"word1": list(d.word1), "word2": list(d.word2),
                                 "gold": [float(g) for g in d.gold]}
        for emb, pred in zip(embs, preds.similarity[d.name]):
            results.predictions.setdefault(emb.name, {})[d.name] = [
                round(float(c), 7) for c in pred.cosine]


def _score_sts(results: Results, embs: list[Embeddings], bench: Benchmarks, policy: Policy,
               preds: Predictions, bar) -> None:
    """STS sets: scores, and the share of tokens each embedding knows."""
    preds.sts = {s.name: [predict_sts(e, s, policy.sts_case) for e in embs] for s in bench.sts}
    for s in bench.sts:
        for emb, pred in zip(embs, preds.sts[s.name]):
            results.scores += evaluate_sts(emb.name, s, pred, policy)
            results.embeddings[emb.name].setdefault("sts_token_coverage", {})[s.name] = (
                pred.tokens_found / max(pred.tokens, 1))
            bar.update(1)


def _score_suite(results: Results, embs: list[Embeddings], bench: Benchmarks, policy: Policy,
                 preds: Predictions, bar) -> None:
    """Analogies and categorization, one embedding at a time (its analogy candidates once)."""
    preds.analogy = {a.name: [] for a in bench.analogy}
    for emb in embs:
        vocab = analogy_eval.analogy_vocab(emb, policy.analogy_vocab) if bench.analogy else None
        for aset in bench.analogy:
            pred = analogy_eval.predict_analogies(vocab, aset, policy.analogy_methods)
            preds.analogy[aset.name].append(pred)
            results.scores += analogy_eval.evaluate_analogies(emb.name, aset, pred, policy.level,
                                                              n_boot=policy.n_boot, seed=policy.seed)
            bar.update(1)
        for cset in bench.categorization:
            results.scores.append(evaluate_categorization(emb, cset, policy.case)[0])
            bar.update(1)


def suite_settings(bench: Benchmarks, policy: Policy) -> dict:
    """How analogies and categorization were scored, stored with the results."""
    out: dict = {}
    if bench.analogy:
        out["analogy"] = {"restrict_vocab": policy.analogy_vocab, "case_insensitive": True,
                          "methods": list(policy.analogy_methods),
                          "3cosmul_epsilon": analogy_eval.EPSILON,
                          "ci": ("percentile, cluster bootstrap over the questions' word pairs"
                                 if policy.n_boot else
                                 "Wilson score interval, conditional on the question set"),
                          "paired_test": "pair-cluster bootstrap-z (McNemar exact, conditional on "
                                         "the question set, with --bootstrap 0)"}
    if bench.categorization:
        out["categorization"] = {"clustering": "scipy Ward linkage on unit vectors, cut at the "
                                               "number of gold classes", "case": policy.case,
                                 "missing_words": "skipped"}
    return out


def compare_to_baselines(embs: list[Embeddings], bases: Sequence[str | int], bench: Benchmarks,
                           preds: Predictions, policy: Policy) -> list[PairedTest]:
    """Every embedding against each baseline (a pair of baselines is tested once, not in both
    directions), Holm-corrected over all of these tests (the report's family, Results.FAMILY)."""
    tests: list[PairedTest] = []
    tested: set[int] = set()
    for b in bases:
        base = _baseline_index(b, embs)
        tests += paired_tests(embs, base, bench, preds, policy, skip=tested)
        tested.add(base)
    return Results(tests=tests).adjust_family().tests


def _baseline_index(baseline: str | int, embs: list[Embeddings]) -> int:
    if isinstance(baseline, int):
        if not 0 <= baseline < len(embs):
            raise ValueError(f"baseline index {baseline} out of range for {len(embs)} embeddings")
        return baseline
    names = [e.name for e in embs]
    if baseline not in names:
        raise ValueError(f"baseline {baseline!r} is not one of the evaluated embeddings: {', '.join(names)}")
    return names.index(baseline)


def paired_tests(embs: list[Embeddings], base: int, bench: Benchmarks, preds: Predictions,
                 policy: Policy, skip: set[int] = frozenset()) -> list[PairedTest]:
    """Each embedding (except those in `skip`) against the baseline, on the pairs both cover:
    word similarity and STS by the policy's paired test, analogies by the paired cluster
    bootstrap over word pairs (McNemar when the policy asks for no resamples)."""
    tests = []
    for j, emb in enumerate(embs):
        if j == base or j in skip:
            continue
        names = (embs[base].name, emb.name)
        for d in bench.similarity:
            tests += _similarity_tests(d, names, preds.similarity[d.name][base],
                                       preds.similarity[d.name][j], policy)
        for s in bench.sts:
            tests.append(_sts_test(s.name, names, preds.sts[s.name][base], preds.sts[s.name][j],
                                   policy))
        for aset in bench.analogy:
            tests += analogy_eval.paired_analogy_tests(aset, *names, preds.analogy[aset.name][base],
                                                       preds.analogy[aset.name][j], policy.n_boot,
                                                       policy.seed, policy.level)
        tests += _mean_tests(names, base, j, bench, preds, policy)
    return [t for t in tests if t is not None]


def _mean_tests(names: tuple[str, str], base: int, j: int, bench: Benchmarks, preds: Predictions,
                policy: Policy) -> list[PairedTest]:
    """The Mean columns compared: a paired bootstrap resampling every set's pairs in each draw
    (each set on the pairs both embeddings use)."""
    if not policy.n_boot:
        return []
    tests = []
    for label, (task, sets, metric) in _mean_sets(bench).items():
        samples = _mean_samples(task, sets, metric, preds, bench, [base, j], policy)
        if samples is None:
            continue
        bt = means.paired_mean_test(samples, policy.n_boot, policy.seed, policy.level)
        tests.append(PairedTest(label, "All", metric, *names, bt["value_a"], bt["value_b"],
                                bt["delta"], bt["ci_low"], bt["ci_high"], bt["p_value"],
                                "paired bootstrap-z (every set resampled in each draw)",
                                sum(len(s.gold) for s in samples), p_resample=bt["p_resample"],
                                p_floor=bt["p_floor"]))
    return tests


def _similarity_tests(d, names: tuple[str, str], pa: PairPredictions, pb: PairPredictions,
                      policy: Policy) -> list[PairedTest | None]:
    """One test per section, on the pairs both embeddings score under the OOV policy."""
    metric = registry.MAIN_METRIC["similarity"]
    va, ua = scored_values(pa, policy.oov)
    vb, ub = scored_values(pb, policy.oov)
    tests = []
    for section, members in (d.sections or {"All": np.ones(len(d), bool)}).items():
        use = ua & ub & members
        n = int(use.sum())
        if (no_correlation_reason(d.gold[use], va[use], n, n)
                or no_correlation_reason(d.gold[use], vb[use], n, n)):
            continue
        values = (statistics.correlation(d.gold[use], va[use], metric),
                  statistics.correlation(d.gold[use], vb[use], metric))
        tests.append(_test((d.name, section, metric), names, values, d.gold[use], va[use],
                           vb[use], None, policy))
    return tests


def _sts_test(dataset: str, names: tuple[str, str], pa: STSPredictions, pb: STSPredictions,
              policy: Policy) -> PairedTest | None:
    """A year's headline (mean over subsets) compared; it needs a correlation in every subset
    for both sides."""
    metric = registry.MAIN_METRIC["sts"]
    if any(reason for p in (pa, pb) for _, reason in subset_correlations(p, metric)):
        return None
    values = (subset_mean(pa, metric), subset_mean(pb, metric))
    return _test((dataset, "mean", metric), names, values, pa.gold, pa.cosine, pb.cosine,
                 pa.groups, policy)


def _test(where: tuple[str, str, str], names: tuple[str, str], values: tuple[float, float],
          gold, pred_a, pred_b, groups, policy: Policy) -> PairedTest | None:
    """One paired test of `where` (dataset, section, metric); None when it needs resamples and
    the policy asks for none."""
    (dataset, section, metric), (a, b), (value_a, value_b) = where, names, values
    if policy.paired_test == "steiger" and groups is None:
        st = statistics.steiger_test(gold, pred_a, pred_b, metric)
        return PairedTest(dataset, section, metric, a, b, value_a, value_b, value_b - value_a,
                          None, None, float(st["p_value"]), "steiger", len(gold))
    if policy.n_boot == 0:
        return None
    bt = statistics.paired_bootstrap(gold, pred_a, pred_b, metric, n_boot=policy.n_boot,
                                     seed=policy.seed, level=policy.level, groups=groups,
                                     aggregate="mean")
    return PairedTest(dataset, section, metric, a, b, value_a, value_b, float(bt["delta"]),
                      float(bt["ci_low"]), float(bt["ci_high"]), float(bt["p_value"]),
                      "paired bootstrap-z" + (" (stratified by subset)" if groups is not None else ""),
                      len(gold), p_resample=float(bt["p_resample"]), p_floor=float(bt["p_floor"]))
