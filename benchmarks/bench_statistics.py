"""Bootstrap CI speed: vgbench.evaluation.statistics vs scipy.stats.bootstrap, side by side.

A user who wants a 95% CI for a Spearman correlation would otherwise call scipy.stats.bootstrap
(vectorised, percentile method). Same data, same number of resamples; prints both CIs (they
differ only by Monte-Carlo noise) and the time ratio.

    .venv/bin/python benchmarks/bench_statistics.py [--pairs 3000] [--resamples 1000]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

from vgbench.evaluation.statistics import bootstrap_ci, paired_bootstrap


def spearman(x, y, axis=-1):
    return 100 * stats.pearsonr(stats.rankdata(x, axis=axis), stats.rankdata(y, axis=axis),
                                axis=axis)[0]


def best_of(fn, repeat=3):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=3000)
    ap.add_argument("--resamples", type=int, default=1000)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    gold = np.round(rng.uniform(0, 10, args.pairs), 1)  # coarse gold scores: many ties
    pred_a = gold + rng.normal(0, 4, args.pairs)
    pred_b = gold + rng.normal(0, 3, args.pairs)

    t_ours, ci = best_of(lambda: bootstrap_ci(gold, pred_a, "spearman", n_boot=args.resamples))
    t_scipy, ref = best_of(lambda: stats.bootstrap(
        (gold, pred_a), spearman, paired=True, vectorized=True, n_resamples=args.resamples,
        method="percentile", rng=np.random.default_rng(0)).confidence_interval)
    print(f"Spearman CI, {args.pairs} pairs x {args.resamples} resamples")
    print(f"  vgbench bootstrap_ci      {t_ours:8.3f} s   CI [{ci[0]:.2f}, {ci[1]:.2f}]")
    print(f"  scipy.stats.bootstrap     {t_scipy:8.3f} s   CI [{ref.low:.2f}, {ref.high:.2f}]")
    print(f"  speed-up                  {t_scipy / t_ours:8.1f}x")

    t_pair, res = best_of(lambda: paired_bootstrap(gold, pred_a, pred_b, "spearman",
                                                    n_boot=args.resamples))

    def scipy_paired():
        def delta(g, a, b, axis=-1):
            return spearman(g, b, axis) - spearman(g, a, axis)
        return stats.bootstrap((gold, pred_a, pred_b), delta, paired=True, vectorized=True,
                               n_resamples=args.resamples, method="percentile",
                               rng=np.random.default_rng(0)).confidence_interval

    t_scipy_pair, ref_pair = best_of(scipy_paired)
    print("Paired Spearman difference (B - A), same data")
    print(f"  vgbench paired_bootstrap  {t_pair:8.3f} s   delta {res['delta']:.2f} "
          f"CI [{res['ci_low']:.2f}, {res['ci_high']:.2f}] p {res['p_value']:.4f}")
    print(f"  scipy.stats.bootstrap     {t_scipy_pair:8.3f} s   "
          f"CI [{ref_pair.low:.2f}, {ref_pair.high:.2f}] (no p-value)")
    print(f"  speed-up                  {t_scipy_pair / t_pair:8.1f}x")


if __name__ == "__main__":
    main()
