"""Scores by concreteness on every word pair of every similarity set, not only SimLex's quartiles.

Why: the paper's claim is that grounding helps abstract as well as concrete words. SimLex's
quartiles hold about 250 pairs each (CIs of about ±12 points); rating every pair of the six sets
with Brysbaert et al.'s (2014) concreteness norms gives about 2,000 pairs per quintile.

Method (the statistics are `vgbench.evaluation.concreteness`; this module reads the norms and
formats). A pair's concreteness is the mean of its two words' ratings (1-5; pairs with an unrated
word are left out and counted). Quintiles are cut within each set, so every set contributes the
same share of its pairs to every bin and the mix of sets cannot make the curve (with edges over
the pooled pairs the abstract bins were mostly SimVerb and RW, the concrete ones mostly MEN).
Within a bin each set keeps its own gold scale: the bin's score is the size-weighted mean over
sets of each set's Spearman on its pairs in the bin, and the bootstrap resamples pairs within each
set. The grounded-minus-textual curve is the paired bootstrap of the same score per bin on the
pairs both embeddings cover; its band holds jointly over the bins (Bonferroni) and its per-bin p
values are Holm-adjusted over the bins. Glasgow imageability (Scott et al. 2019) is attached to
each pair where both words are rated.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vgbench.evaluation import concreteness as stats_conc
from vgbench.evaluation import statistics
from vgbench.evaluation.policy import DEFAULT
from vgbench.evaluation.results import Results
from vgbench.datasets import registry
from vgbench.datasets.store import benchmark_text
from vgbench.reporting.policy import policy_notes, setting
from vgbench.reporting.score_tables import SIMILARITY_SETS, ScoreTable, embedding_order

BRYSBAERT = registry.get("Brysbaert-concreteness").files[0]
GLASGOW = registry.get("Glasgow-norms").files[0]
N_BINS = stats_conc.N_BINS
MIN_SET_PAIRS = stats_conc.MIN_SET_PAIRS
MIN_PER_SET_BIN = 30     # per-set tables show a bin only with at least this many pairs


def _read(rel_path: str) -> str:
    """Text of a shipped norms file (the one place norms are read from), checksum verified."""
    return benchmark_text(rel_path)


def brysbaert_concreteness(text: str | None = None) -> dict[str, float]:
    """{lower-cased word or bigram: mean concreteness rating (1-5)}."""
    frame = pd.read_csv(io.StringIO(text if text is not None else _read(BRYSBAERT)), sep="\t",
                        usecols=["Word", "Conc.M"], keep_default_na=False, dtype={"Word": str})
    for col in ("Word", "Conc.M"):
        if col not in frame:
            raise ValueError(f"{BRYSBAERT}: line 1: expected a {col} column")
    return dict(zip(frame["Word"].str.strip().str.lower(), frame["Conc.M"].astype(float)))


def glasgow_imageability(text: str | None = None) -> dict[str, float]:
    """{lower-cased word: mean imageability (1-7)}; sense-specific rows ("bank (river)") are
    left out, the plain entry of the same word is kept."""
    raw = text if text is not None else _read(GLASGOW)
    head = raw.split("\n", 1)[0].split(",")
    if "IMAG" not in head or head[0] != "Words":
        raise ValueError(f"{GLASGOW}: line 1: expected 'Words' and an 'IMAG' column group")
    col = head.index("IMAG")  # the group's first column holds the mean (row 2: M, SD, N)
    frame = pd.read_csv(io.StringIO(raw), header=None, skiprows=2, usecols=[0, col],
                        names=["word", "imag"], keep_default_na=False, dtype={"word": str})
    frame = frame[~frame["word"].str.contains("(", regex=False)]
    return dict(zip(frame["word"].str.strip().str.lower(), frame["imag"].astype(float)))


def pair_ratings(word1: list[str], word2: list[str], norms: dict[str, float]) -> np.ndarray:
    """Mean rating of the two words of each pair; NaN unless both are rated."""
    a = np.array([norms.get(w.lower(), np.nan) for w in word1])
    b = np.array([norms.get(w.lower(), np.nan) for w in word2])
    return (a + b) / 2


@dataclass
class PairTable:
    """Every word pair of the results' similarity sets with its norms and each cosine."""
    frame: pd.DataFrame            # dataset, word1, word2, gold, concreteness, imageability
    cosines: dict[str, np.ndarray]  # embedding -> cosine per row (NaN: a word is missing)

    def to_csv(self) -> str:
        """Every pair with its ratings and each embedding's cosine, as concreteness_pairs.csv."""
        out = self.frame.copy()
        for name, cos in self.cosines.items():
            out[f"cosine:{name}"] = cos
        from vgbench.reporting.escape import csv_frame
        return csv_frame(out).to_csv(index=False, float_format="%.6g")


def pair_table(results: Results, conc: dict[str, float] | None = None,
               imag: dict[str, float] | None = None) -> PairTable | None:
    """Norms for every pair of every word-pair set that has per-pair predictions."""
    sets = [d for d in results.pairs if any(d in p for p in results.predictions.values())]
    if not sets:
        return None
    conc = brysbaert_concreteness() if conc is None else conc
    imag = glasgow_imageability() if imag is None else imag
    parts, cosines = [], {}
    names = [n for n in embedding_order(results) if n in results.predictions]
    for d in sets:
        p = results.pairs[d]
        parts.append(pd.DataFrame({"dataset": d, "word1": p["word1"], "word2": p["word2"],
                                   "gold": np.asarray(p["gold"], float),
                                   "concreteness": pair_ratings(p["word1"], p["word2"], conc),
                                   "imageability": pair_ratings(p["word1"], p["word2"], imag)}))
        for name in names:
            pred = results.predictions[name].get(d)
            vals = (np.full(len(p["gold"]), np.nan) if pred is None
                    else np.array([np.nan if v is None else v for v in pred], float))
            cosines.setdefault(name, []).append(vals)
    return PairTable(pd.concat(parts, ignore_index=True),
                     {n: np.concatenate(v) for n, v in cosines.items()})


@dataclass
class ConcretenessReport:
    """Scores per concreteness bin (pooled and per set), deltas against baselines, coverage."""
    edges: dict[str, np.ndarray]        # each set's own quintile edges
    centers: np.ndarray                 # median concreteness of the pooled pairs in each bin
    pooled: ScoreTable
    deltas: ScoreTable | None
    per_set: list[ScoreTable] = field(default_factory=list)
    coverage: str = ""
    pooled_sets: list[str] = field(default_factory=list)
    pairs: PairTable | None = None
    delta_p_holm: np.ndarray | None = None   # (comparisons, bins): Holm over each curve's bins

    def tables(self) -> list[ScoreTable]:
        """The report's tables in order: pooled bins, the deltas (when there is a baseline), per set."""
        return [self.pooled] + ([self.deltas] if self.deltas else []) + self.per_set


def _bin_labels(n_bins: int) -> list[str]:
    return [f"Q{k + 1}" for k in range(n_bins)]


def _comparisons(results: Results, names: list[str]) -> list[tuple[str, str]]:
    """(baseline, other) pairs: those the run tested, else every embedding against the first."""
    seen = list(dict.fromkeys((t.embedding_a, t.embedding_b) for t in results.tests
                              if t.embedding_a in names and t.embedding_b in names))
    return seen or [(names[0], n) for n in names[1:]]


def _bin_score(gold, preds, labels, n_boot, seed, level, n_bins=N_BINS):
    """(value, ci_low, ci_high, n_used, p) of one bin (`evaluation.concreteness.bin_score`); the
    interval is the joint one (over `n_bins`) for a difference, the pointwise one for a score."""
    r = stats_conc.bin_score(gold, preds, labels, n_boot, seed, level, n_bins)
    if len(preds) == 2:
        return r.value, r.joint_low, r.joint_high, r.n_used, r.p_value
    return r.value, r.ci_low, r.ci_high, r.n_used, r.p_value


def concreteness_report(results: Results, table: PairTable | None = None,
                        n_bins: int = N_BINS) -> ConcretenessReport | None:
    """Spearman per concreteness bin for every embedding with per-pair predictions."""
    table = pair_table(results) if table is None else table
    if table is None or not table.cosines:
        return None
    df = table.frame
    rated = np.isfinite(df["concreteness"].to_numpy())
    standard = [d for d in SIMILARITY_SETS if d in set(df["dataset"])]
    pooled_sets = standard if standard else list(dict.fromkeys(df["dataset"]))
    in_pool = df["dataset"].isin(pooled_sets).to_numpy()
    conc = df["concreteness"].to_numpy()
    if (rated & in_pool).sum() < n_bins * MIN_SET_PAIRS:
        return None
    bins, edges = stats_conc.within_set_bins(conc, df["dataset"].to_numpy(), n_bins)
    centers = stats_conc.bin_centers(conc, bins, in_pool, n_bins)
    labels_col = _bin_labels(n_bins)
    gold = df["gold"].to_numpy()
    sets = df["dataset"].to_numpy()
    stored = setting(results, "n_boot")
    n_boot = DEFAULT.n_boot if stored is None else int(stored)
    seed = int(setting(results, "seed") or DEFAULT.seed)
    level = float(setting(results, "level") or DEFAULT.level)
    names = list(table.cosines)
    policy = policy_notes(results)

    def fill(rows, columns, score_fn):
        shape = (len(rows), len(columns))
        vals, used, total = np.full(shape, np.nan), np.full(shape, -1), np.full(shape, -1)
        ci, p = np.full(shape + (2,), np.nan), np.full(shape, np.nan)
        for i, row in enumerate(rows):
            for j, sel in enumerate(columns):
                v, lo, hi, n_used, p[i, j] = score_fn(row, sel)
                vals[i, j], ci[i, j], used[i, j], total[i, j] = v, (lo, hi), n_used, sel.sum()
        fill.p = p
        return vals, ci, used, total

    def single(name, sel):
        cos = table.cosines[name]
        m = sel & np.isfinite(cos)
        return _bin_score(gold[m], [cos[m]], sets[m], n_boot, seed, level)

    def paired(pair, sel):
        a, b = (table.cosines[n] for n in pair)
        m = sel & np.isfinite(a) & np.isfinite(b)
        return _bin_score(gold[m], [a[m], b[m]], sets[m], n_boot, seed, level, n_bins)

    pool_cols = [in_pool & (bins == k) for k in range(n_bins)]
    n_pool, n_rated = int(in_pool.sum()), int((in_pool & rated).sum())
    coverage = (f"Concreteness (Brysbaert et al. 2014) rated for both words of {n_rated} of "
                f"{n_pool} pairs ({100 * n_rated / max(n_pool, 1):.1f}%) of "
                f"{', '.join(pooled_sets)}")
    has_imag = np.isfinite(df["imageability"].to_numpy()) & in_pool
    if has_imag.any():
        r = statistics.correlation(conc[has_imag & rated], df["imageability"].to_numpy()[
            has_imag & rated]) if (has_imag & rated).sum() >= 3 else math.nan
        coverage += (f"; Glasgow imageability for {int(has_imag.sum())} pairs (Spearman with "
                     f"concreteness {r / 100:.2f})")
    coverage += "."
    method = (f"Bins: concreteness quintiles cut within each set (mean rating of the two words, "
              f"1 = abstract, 5 = concrete), so every bin holds the same mix of sets. Score per "
              f"bin: size-weighted mean over sets of "
              f"Spearman × 100 within the bin (sets with fewer than {MIN_SET_PAIRS} pairs in the "
              f"bin left out); CIs: bootstrap within sets, {n_boot} resamples. Coverage: pairs "
              "scored / rated pairs in the bin.")
    vals, ci, used, total = fill(names, pool_cols, single)
    pooled = ScoreTable("concreteness", "Word similarity by concreteness bin, pooled over "
                        f"{len(pooled_sets)} sets (Spearman × 100)", "Model", names, labels_col,
                        vals, ci, used, total, 1, "column", [method, coverage], policy)
    comps = _comparisons(results, names)
    deltas, p_holm = None, None
    if comps:
        vals, ci, used, total = fill(comps, pool_cols, paired)
        p_holm = np.stack([stats_conc.holm_over_bins(row) for row in fill.p])
        joint = 100 * stats_conc.joint_level(level, n_bins)
        deltas = ScoreTable("concreteness_delta", "Difference against the baseline by "
                            "concreteness bin (B − A, Spearman × 100, paired bootstrap)", "B − A",
                            [f"{b} − {a}" for a, b in comps], labels_col, vals, ci, used, total,
                            1, None, ["Pairs both embeddings cover; paired bootstrap within "
                                      f"sets per bin. Intervals hold jointly over the {n_bins} "
                                      f"bins (Bonferroni: each at {joint:.0f}%)."], policy)
    per_set = []
    for d in dict.fromkeys(df["dataset"]):
        cols = [(sets == d) & (bins == k) for k in range(n_bins)]
        if max(c.sum() for c in cols) < MIN_PER_SET_BIN:
            continue
        cols = [c if c.sum() >= MIN_PER_SET_BIN else np.zeros_like(c) for c in cols]
        vals, ci, used, total = fill(names, cols, single)
        if np.isfinite(vals).any():
            e = edges.get(d)
            cuts = ", ".join(f"{x:.2f}" for x in e) if e is not None else "-"
            per_set.append(ScoreTable(f"concreteness_{d}", f"{d} by concreteness bin "
                                      f"(Spearman × 100; the set's own edges {cuts})", "Model", names,
                                      labels_col, vals, ci, used, total, 1, "column",
                                      [f"Bins with fewer than {MIN_PER_SET_BIN} rated pairs of "
                                       f"{d} are left empty."], policy))
    return ConcretenessReport(edges, centers, pooled, deltas, per_set, coverage, pooled_sets,
                              table, p_holm)


def concreteness_chart(report: ConcretenessReport, results: Results):
    """Top: each embedding's Spearman per concreteness bin, one panel per base embedding (its
    variants as line styles, CI bands). Below: one panel per comparison, B − A against
    concreteness with its paired-bootstrap CI band and the zero line; these panels share
    their y axis so the differences compare at a glance."""
    from vgbench.reporting import charts as c
    t, d = report.pooled, report.deltas
    x = report.centers
    n_bases = len(dict.fromkeys(c.family(n)[0] for n in t.rows))
    top_h = c.panel_rows(n_bases) * c.FAMILY_ROW_HEIGHT + 0.4
    bottom_h = c.panel_rows(len(d.rows)) * 1.5 + 0.6 if d is not None else 0
    fig = c._new_figure(c.PAGE_WIDTH, top_h + bottom_h)
    top, bottom = (fig.subfigures(2, 1, height_ratios=[top_h, bottom_h]) if d is not None
                   else (fig, None))
    rows = {name: (t.values[k], t.ci[k, :, 0], t.ci[k, :, 1]) for k, name in enumerate(t.rows)}
    c.family_panels(top, x, rows, ylabel="Spearman × 100")
    top.suptitle(f"By concreteness (quintiles within each of {len(report.pooled_sets)} sets, "
                 "pooled; 1 = abstract … 5 = concrete)", fontsize=9)
    if d is not None:
        st = c.styles(list(dict.fromkeys(c.embedding_order(results) + list(t.rows))))
        axes = c.panel_grid(bottom, len(d.rows), 1.5)
        for k, (ax, label) in enumerate(zip(axes, d.rows)):
            other = label.split(" − ")[0]
            c.band(ax, x, d.values[k], d.ci[k, :, 0], d.ci[k, :, 1], st.get(other, {"color": "C0", "linestyle": "-", "marker": "o"}),
                   label)
            ax.axhline(0, color="black", linewidth=0.7)
            ax.set_title(label, fontsize=7)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
        bottom.supxlabel("pair concreteness (Brysbaert; 1 = abstract … 5 = concrete)", fontsize=7)
        bottom.suptitle("Difference against the baseline (B − A, Spearman × 100, "
                        "paired-bootstrap band, joint over the bins)", fontsize=9)
    return fig


def reading(report: ConcretenessReport) -> list[str]:
    """Plain sentences that read the concreteness result, one per comparison: the difference on
    the most abstract and the most concrete fifth (fifths within each set) with intervals that
    hold jointly over the bins, and in how many bins that joint band excludes zero (for a
    report's README)."""
    if report.deltas is None:
        return []
    out = []
    d = report.deltas
    last = len(d.columns) - 1
    for k, label in enumerate(d.rows):
        other, base = label.split(" − ", 1)
        lo, hi = d.ci[k, :, 0], d.ci[k, :, 1]
        up = int(np.sum(lo > 0))
        down = int(np.sum(hi < 0))
        out.append(
            f"{other} against {base}: {d.values[k, 0]:+.1f} [{lo[0]:.1f}, {hi[0]:.1f}] on the most "
            f"abstract fifth of the pairs and {d.values[k, last]:+.1f} [{lo[last]:.1f}, "
            f"{hi[last]:.1f}] on the most concrete (fifths within each set); the band, joint over "
            f"the {len(d.columns)} bins, lies above zero in {up} of them"
            + (f" and below zero in {down}" if down else "") + ".")
    return out
