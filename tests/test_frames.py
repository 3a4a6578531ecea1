"""Helpers: calendar months as pandas DateOffset counts them, lookups."""

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from roiclock.frames import cumulative_by_month, months_since, positions, take

DAY = st.integers(0, 3000).map(lambda d: np.datetime64("2022-01-01") + np.timedelta64(d, "D"))


@hsettings(deadline=None)
@given(start=DAY, end=DAY)
def test_months_since_agrees_with_dateoffset(start, end):
    m = int(months_since(np.array([start]), np.array([end]))[0])
    s = pd.Timestamp(start)
    # the largest m with start + m months <= end
    assert s + pd.DateOffset(months=m) <= pd.Timestamp(end)
    assert s + pd.DateOffset(months=m + 1) > pd.Timestamp(end)


def test_months_since_month_end():
    start = np.array(["2024-01-31"] * 3, dtype="datetime64[D]")
    end = np.array(["2024-02-28", "2024-02-29", "2024-03-30"], dtype="datetime64[D]")
    # 2024-01-31 + 1 month = 2024-02-29 (clamped); + 2 months = 2024-03-31
    assert months_since(start, end).tolist() == [0, 1, 1]


def test_cumulative_by_month():
    # group 0: 5 in month 0, 7 in month 2; group 1: 3 before its start (month -1)
    c = cumulative_by_month(np.array([0, 0, 1, -1]), np.array([0, 2, -1, 0]),
                            np.array([5.0, 7.0, 3.0, 100.0]), 2, 3)
    assert c.tolist() == [[0, 5, 5, 12], [3, 3, 3, 3]]


def test_take_and_positions():
    assert take(np.array([10, 20]), np.array([1, -1, 0])).tolist() == [20, -1, 10]
    assert take(np.array([], dtype="int64"), np.array([-1])).tolist() == [-1]
    values = pd.Series(["b", "x", None, "a"], dtype="str")
    assert positions(values, ["a", "b"]).tolist() == [1, -1, -1, 0]
    assert positions(values.astype("category"), ["a", "b"]).tolist() == [1, -1, -1, 0]
