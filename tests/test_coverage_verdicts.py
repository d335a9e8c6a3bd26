"""Coverage-aware verdicts: a score on fewer pairs (a vocabulary cut under `--oov skip`) is never
ranked above, nor bolded against, a score on every pair; its coverage stands beside its rank."""
from __future__ import annotations

import numpy as np

from vgbench.evaluation.cache import ResultsCache
from vgbench.evaluation.results import Results, Score
from vgbench.reporting import tables
from vgbench.reporting.leaderboard import collect, leaderboard_table

SIX = {"RW": 2034, "MEN": 3000, "WS353": 353, "MTurk-771": 771, "SimVerb-3500": 3500,
       "SimLex-999": 999}


def _results(name: str, values: list[float], cover: float) -> Results:
    res = Results(settings={"policy": {"oov": "skip", "n_boot": 100, "level": 0.95}})
    res.embeddings[name] = {"dim": 50, "fingerprint": name * 8,
                            "policy": {"oov": "skip", "n_boot": 100, "level": 0.95}}
    for (ds, total), v in zip(SIX.items(), values):
        used = int(total * cover) if ds == "RW" else total
        res.scores.append(Score(name, "similarity", ds, "All", "spearman", v, v - 2, v + 2,
                                used, total))
    return res


FULL = [34.0, 65.7, 50.3, 55.4, 15.3, 26.5]      # mean 41.2
CUT = [39.2, 66.0, 50.9, 55.8, 16.9, 26.9]       # mean 42.6, RW on 30.1% of the pairs
OTHER = [33.0, 64.0, 49.0, 54.0, 15.0, 26.0]


def test_leaderboard_ranks_only_rows_of_equal_coverage(tmp_path):
    cache = ResultsCache(tmp_path / "cache")
    for i, (name, vals, cover) in enumerate((("glove-50k", CUT, 0.301), ("glove", FULL, 1.0),
                                            ("other", OTHER, 1.0))):
        cache.put(f"{i:064x}", _results(name, vals, cover))
    rows, _ = collect(cache)
    table = leaderboard_table(rows)
    assert [r.split(" (")[0] for r in table.rows] == ["glove", "other", "glove-50k"]
    used = sum(SIX.values()) - SIX["RW"] + int(SIX["RW"] * 0.301)
    assert used / sum(SIX.values()) == 9235 / 10657  # 86.66%, shown floored as 86.6%
    assert [table.rank_text(i) for i in range(3)] == ["1", "2", "1 (on 86.6%)"]
    mean = table.columns.index("Similarity mean")
    rw = table.columns.index("RW")
    assert np.isclose(table.values[2, mean], np.mean(CUT))  # higher, but ranked on its own
    best = table.best_mask()
    assert not best[2, rw] and not best[2, mean]
    assert best[0, rw] and best[0, mean]
    assert "among the rows of equal coverage" in " ".join(table.notes)
    assert "never ranked" in table.to_markdown()


def test_score_tables_bold_only_among_equal_coverage():
    res = _results("glove", FULL, 1.0).merge(_results("glove-50k", CUT, 0.301)).merge(
        _results("other", OTHER, 1.0))
    t = tables.intrinsic_table(res)
    best = t.best_mask()
    rw, mean = t.columns.index("RW"), t.columns.index("Mean")
    assert t.rows[int(np.argmax(t.values[:, rw]))] == "glove-50k"
    assert [t.rows[i] for i in np.flatnonzero(best[:, rw])] == ["glove"]
    assert [t.rows[i] for i in np.flatnonzero(best[:, mean])] == ["glove"]
    md = t.to_markdown()
    assert "**39.2**" not in md and "**34.0**" in md
    assert "scored on fewer pairs" in md
