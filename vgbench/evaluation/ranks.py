"""Average ranks (ties share the mean of their positions), as `scipy.stats.rankdata` gives them.

Why not scipy's: importing `scipy.stats` costs about half a second (its docstrings are processed at
import), more than ranking every word set of a whole evaluation, and a Spearman score needs only
this. tests/test_ranks.py checks it against scipy.stats.rankdata, ties and NaN included.
"""
from __future__ import annotations

import numpy as np


def rankdata(values) -> np.ndarray:
    """1-based average ranks of a 1-d array (float64); NaN everywhere when any value is NaN,
    as scipy's default nan_policy='propagate' gives."""
    x = np.asarray(values, dtype=np.float64).ravel()
    if np.isnan(x).any():
        return np.full(x.shape, np.nan)
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    # start of each tie group in sorted order, and the group every sorted position belongs to
    new_group = np.r_[True, sorted_x[1:] != sorted_x[:-1]]
    group = np.cumsum(new_group) - 1
    starts = np.flatnonzero(new_group)
    ends = np.r_[starts[1:], len(x)]  # one past the last position of each group
    mean_rank = (starts + 1 + ends) / 2.0  # mean of the 1-based positions starts+1 .. ends
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = mean_rank[group]
    return ranks
