"""The leaderboard: every embedding in the results cache, ranked per dataset and on the means.

Why from the cache: each `vgbench eval` stores its results under a content key, so the board
compares embeddings evaluated on different days without re-running any of them (MTEB's
leaderboard, offline and for word vectors). One row per (content fingerprint, policy): the same
file under two names is one row; the same file scored under two policies is two.

The means' CIs combine the per-dataset bootstrap CIs as independent normal errors
(se_mean = sqrt(sum se_i^2) / k, se_i = CI width / 2z): the datasets are disjoint samples.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import norm

from vgbench.evaluation.cache import ResultsCache
from vgbench.evaluation.policy import DEFAULT
from vgbench.evaluation.results import Score
from vgbench.reporting.policy import stored_policy_text
from vgbench.reporting.render import Cell, Grid, coverage_text
from vgbench.reporting.score_tables import SIMILARITY_SETS, STS_YEARS, ScoreTable

MEANS = {"Similarity mean": ("similarity", SIMILARITY_SETS),
         "STS mean": ("sts", STS_YEARS)}


def headline(scores: list[Score]) -> Score | None:
    """The score a dataset is ranked by: section "All" (else the per-year "mean"), Pearson
    for STS as the paper reports it, else the first metric present."""
    if not scores:
        return None
    for section in ("All", "mean"):
        pick = [s for s in scores if s.section == section]
        if pick:
            pearson = [s for s in pick if s.metric == "pearson" and s.task == "sts"]
            return (pearson or pick)[0]
    return scores[0]


@dataclass
class Row:
    """One leaderboard row: an evaluated source under its label, with the fingerprint and policy
    its scores were made with."""
    label: str
    fingerprint: str
    policy: str
    created: str
    scores: dict[str, Score] = field(default_factory=dict)
    task: dict[str, str] = field(default_factory=dict)


def collect(cache: ResultsCache, datasets: list[str] | None = None) -> tuple[list[Row], int]:
    """Rows of the board (later evaluations of the same embedding and policy win) and how many
    embeddings were left out because they were scored on common pairs only."""
    rows: dict[tuple[str, str], Row] = {}
    skipped = 0
    wanted = {d.lower() for d in datasets} if datasets else None
    for entry in cache.entries():
        res = entry.results
        by_emb: dict[str, dict[str, list[Score]]] = {}
        for s in res.scores:
            if wanted is None or s.dataset.lower() in wanted:
                by_emb.setdefault(s.embedding, {}).setdefault(s.dataset, []).append(s)
        for name, meta in res.embeddings.items():
            meta = meta if isinstance(meta, dict) else {}
            policy = meta.get("policy") or res.settings.get("policy") or {}
            if isinstance(policy, dict) and policy.get("common_pairs"):
                skipped += 1
                continue
            key = (str(meta.get("fingerprint") or f"unfingerprinted:{name}"),
                   json.dumps(policy, sort_keys=True))
            row = rows.get(key) or Row(name, key[0], stored_policy_text(policy), entry.created)
            row.label, row.created = name, entry.created
            for ds, scores in by_emb.get(name, {}).items():
                best = headline(scores)
                if best is not None:
                    row.scores[ds], row.task[ds] = best, best.task
            rows[key] = row
    return [r for r in rows.values() if r.scores], skipped


def _mean(scores: list[Score], level: float = DEFAULT.level) -> tuple[float, float, float]:
    vals = np.array([s.value for s in scores], float)
    if not np.isfinite(vals).all():
        return math.nan, math.nan, math.nan
    z = norm.ppf(0.5 + level / 2)
    widths = [(s.ci_high - s.ci_low) for s in scores
              if s.ci_low is not None and s.ci_high is not None]
    m = float(vals.mean())
    if len(widths) < len(scores):
        return m, math.nan, math.nan
    se = math.sqrt(sum((w / (2 * z)) ** 2 for w in widths)) / len(scores)
    return m, m - z * se, m + z * se


def leaderboard_table(rows: list[Row], sort: str | None = None) -> ScoreTable | None:
    """Rows ranked by `sort` (a dataset or mean; default the similarity mean when there is one)."""
    if not rows:
        return None
    datasets = list(dict.fromkeys(d for r in rows for d in r.scores if d not in MEANS))
    order = ([d for d in SIMILARITY_SETS if d in datasets] + [d for d in STS_YEARS if d in datasets]
             + [d for d in datasets if d not in SIMILARITY_SETS and d not in STS_YEARS])
    means = [m for m, (_, sets) in MEANS.items()
             if any(all(d in r.scores for d in sets) for r in rows)]
    columns = order + means
    n, k = len(rows), len(columns)
    values, ci = np.full((n, k), np.nan), np.full((n, k, 2), np.nan)
    used, total = np.full((n, k), -1), np.full((n, k), -1)
    for i, r in enumerate(rows):
        for j, col in enumerate(columns):
            if col in MEANS:
                sets = MEANS[col][1]
                if all(d in r.scores for d in sets):
                    v, lo, hi = _mean([r.scores[d] for d in sets])
                    if col in r.scores:  # the evaluation's own bootstrap over every set
                        lo, hi = (_float(r.scores[col].ci_low), _float(r.scores[col].ci_high))
                    values[i, j], ci[i, j] = v, (lo, hi)
                    used[i, j] = sum(r.scores[d].n_used for d in sets)
                    total[i, j] = sum(r.scores[d].n_total for d in sets)
            elif col in r.scores:
                s = r.scores[col]
                values[i, j] = s.value
                ci[i, j] = (math.nan if s.ci_low is None else s.ci_low,
                            math.nan if s.ci_high is None else s.ci_high)
                used[i, j], total[i, j] = s.n_used, s.n_total
    key = sort or (means[0] if means else columns[0])
    if key not in columns:
        raise ValueError(f"cannot sort by {key!r}: the board has {', '.join(columns)}")
    j = columns.index(key)
    front = [j] + [c for c in range(len(columns)) if c != j]  # the ranked column first
    columns, values, ci = [columns[c] for c in front], values[:, front], ci[:, front]
    used, total = used[:, front], total[:, front]
    order, ranks, keys = _rank(values[:, 0], used[:, 0], total[:, 0])
    notes = [f"Ranked by {key} (the column after Rank) among the rows of equal coverage (the same "
             f"number of pairs used in {key}): the rows scored on every pair first, then each "
             f"lower coverage as its own group, its coverage beside the rank; a score on fewer "
             f"pairs is never ranked above or marked best against one on more; a row without "
             f"{key} has no rank. Scores × 100 with 95% bootstrap CIs; word similarity: "
             f"Spearman, STS: Pearson, plain mean over subsets.",
             "Means: shown when every set of the mean was evaluated; coverage = pairs used / "
             "pairs over its sets; CI from the evaluation's bootstrap that resamples every set "
             "in each draw, else (older entries) from the sets' CIs as independent normal "
             "errors. In brackets: the first digits of the content fingerprint."]
    policies = list(dict.fromkeys(r.policy for r in rows))
    labels = [row_label(rows[i], policies) for i in order]
    if len(policies) == 1:
        notes.append(f"Policy: {policies[0]}.")
    else:
        notes += [f"Policy {k + 1}: {p}." for k, p in enumerate(policies)]
    return LeaderboardTable("leaderboard", f"Leaderboard: {n} cached embedding"
                            f"{'s' if n != 1 else ''}", "Embedding", labels, columns,
                            values[order], ci[order], used[order], total[order], 1, "column",
                            notes, [], ranks=ranks, rank_keys=keys, ranked_by=key,
                            sources=[rows[i] for i in order])


@dataclass
class LeaderboardTable(ScoreTable):
    """The board: a Rank column right after the label (blank for a row without the ranked
    column's value), then the ranked column, then the others."""
    ranks: list[int | None] = field(default_factory=list)
    rank_keys: list[float | None] = field(default_factory=list)  # sorts Rank: groups, then rank
    ranked_by: str = ""
    sources: list[Row] = field(default_factory=list)

    def rank_text(self, i: int) -> str:
        """Row i's rank, with its coverage where that is not full (blank when it has no value)."""
        if self.ranks[i] is None:
            return ""
        cov = coverage_text(int(self.used[i, 0]), int(self.total[i, 0]))
        return f"{self.ranks[i]}" + (f" (on {cov})" if cov else "")

    def _grid(self) -> Grid:
        grid = super()._grid()
        for i, row in enumerate(grid.rows):
            row.insert(1, Cell(self.rank_text(i), numeric=False, sort=self.rank_keys[i]))
        return Grid([grid.header[0], "Rank"] + grid.header[1:], grid.rows)

    def _coverage_details(self) -> list[list[str | None]]:
        return [[None] + row for row in super()._coverage_details()]


def row_label(row: Row, policies: list[str]) -> str:
    """A row's label: its name, the first digits of its fingerprint, its policy's number when
    the board mixes policies."""
    tag = f" [policy {policies.index(row.policy) + 1}]" if len(policies) > 1 else ""
    return f"{row.label} ({row.fingerprint[:8]}){tag}"


def _float(x) -> float:
    return math.nan if x is None else float(x)


def _rank(values: np.ndarray, used: np.ndarray,
          total: np.ndarray) -> tuple[list[int], list[int | None], list[float | None]]:
    """Row order, each row's rank and its Rank sort key: groups of equal coverage (most pairs
    first), each ranked by value within itself; rows without a value last and unranked."""
    def coverage(i: int) -> float:
        return used[i] / total[i] if total[i] > 0 and used[i] >= 0 else 1.0
    order = sorted(range(len(values)), key=lambda i: (
        not math.isfinite(values[i]), -coverage(i), -used[i],
        -values[i] if math.isfinite(values[i]) else 0.0))
    ranks: list[int | None] = []
    keys: list[float | None] = []
    rank, group, groups = 0, None, 0
    for i in order:
        here = (round(coverage(i), 12), int(used[i])) if math.isfinite(values[i]) else None
        if here is None:
            ranks.append(None)
            keys.append(None)
            continue
        if here != group:
            rank, group, groups = 0, here, groups + 1
        rank += 1
        ranks.append(rank)
        keys.append(groups * 1_000_000 + rank)
    return order, ranks, keys


def leaderboard_html(table: ScoreTable, rows: list[Row]) -> str:
    """The leaderboard as one HTML page: the table, then each embedding's content fingerprint
    and evaluation time."""
    from vgbench.reporting import html
    fps = "".join("<tr>" + "".join(f'<td class="text" data-sort="{html._e(v)}">{inner}</td>'
                                   for v, inner in (
                                       (r.label, html._e(r.label)),
                                       (r.fingerprint, f"<code>{html._e(r.fingerprint)}</code>"),
                                       (r.created, html._e(r.created)))) + "</tr>"
                  for r in rows)
    prov = ("<h2>Embeddings</h2><div class=\"wrap\"><table class=\"sortable\" "
            "data-key=\"leaderboard_embeddings\"><thead><tr><th>Embedding</th><th>Content "
            "fingerprint (SHA-256)</th><th>Evaluated (UTC)</th></tr></thead><tbody>"
            f"{fps}</tbody></table></div>")
    return html.page("vgbench leaderboard", ["<h1>vgbench leaderboard</h1>",
                                             html.table_html(table), prov])
