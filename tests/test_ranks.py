"""vgbench's average ranks equal scipy.stats.rankdata's (ties, NaN, any order), so a Spearman
score is the same as before the evaluation path stopped importing scipy.stats."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from vgbench.evaluation import statistics as S
from vgbench.evaluation.ranks import rankdata


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([-2.5, -1.0, 0.0, 0.0, 1.0, 3.25, 7.0, 1e-300, -0.0]) |
                st.floats(-1e6, 1e6, allow_nan=False), max_size=60))
def test_average_ranks_equal_scipys(values):
    np.testing.assert_array_equal(rankdata(values), stats.rankdata(values))


def test_nan_propagates_like_scipy():
    assert np.isnan(rankdata([1.0, np.nan, 2.0])).all()
    assert np.isnan(stats.rankdata([1.0, np.nan, 2.0])).all()


def test_spearman_equals_scipys_spearmanr_with_many_ties():
    rng = np.random.default_rng(3)
    gold = rng.integers(0, 10, 3000).astype(float)
    pred = np.round(rng.normal(size=3000), 1) + gold / 5
    assert S.correlation(gold, pred) == pytest.approx(100 * stats.spearmanr(gold, pred).statistic, abs=1e-10)
