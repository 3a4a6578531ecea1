"""Helpers: calendar months as pandas DateOffset counts them, lookups."""

import numpy as np
import pandas as pd
import pytest
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


def test_cents_rounds_the_printed_decimal_half_away_from_zero():
    from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

    from roiclock.frames import cents

    rng = np.random.default_rng(8)
    amounts = rng.integers(0, 10**9, 20_000) / 100  # cents split by attribution shares
    values = np.concatenate([rng.uniform(-1e7, 1e7, 20_000), amounts / 3, amounts / 8,
                             (rng.integers(0, 10**6, 2_000) * 2 + 1) / 200,  # x.xx5
                             np.arange(-800, 800) / 8,  # exact binary ties: 0.125 -> 0.13
                             [138894.925, 48336.835, 2.675, 0.0, -0.004]])

    def spreadsheet(v):  # the printed decimal to 1/10,000 cent, then ROUND (half away)
        steady = Decimal(repr(v)).quantize(Decimal("0.000001"), ROUND_HALF_EVEN)
        return float(steady.quantize(Decimal("0.01"), ROUND_HALF_UP))

    assert cents(values).tolist() == [spreadsheet(v) for v in values.tolist()]
    # outward, for an interval: float noise off a whole cent stays on it
    assert cents([138894.92500000002, 2.9999999999999996, -0.001], "down").tolist() == [
        138894.92, 3.0, -0.01]
    assert cents([161619.711, 3.0000000000000004], "up").tolist() == [161619.72, 3.0]


def test_cents_do_not_depend_on_the_order_of_a_sum():
    # two engines summing the same credits in another order differ in the last bits (DuckDB
    # against numpy: 239988.485 as ...48499999999 or ...48500000002): the cents must not
    from roiclock.frames import cents

    rng = np.random.default_rng(3)
    ties = (rng.integers(-10**9, 10**9, 50_000) + 0.5) / 100  # half cents
    plain = rng.uniform(-1e8, 1e8, 50_000)
    for x in (ties, plain):
        for how in ("nearest", "down", "up"):
            assert (cents(x * (1 + 2e-15), how) == cents(x * (1 - 2e-15), how)).all()
    parts = rng.uniform(0, 1000, (2_000, 40)).round(2)
    assert (cents(parts.sum(axis=1)) == cents(parts[:, ::-1].sum(axis=1))).all()


def test_deal_ranges_keep_every_deal_whole_and_every_row_once():
    from roiclock.frames import deal_ranges

    rng = np.random.default_rng(5)
    deal = rng.integers(0, 50, 1_000)
    ranges = list(deal_ranges(deal, 50, rows=120))
    assert len(ranges) > 5
    seen = np.concatenate([p for _, _, p in ranges])
    assert np.array_equal(np.sort(seen), np.arange(len(deal)))  # every row exactly once
    for low, high, piece in ranges:  # each piece holds exactly the rows of its deals
        assert np.array_equal(piece, np.flatnonzero((deal >= low) & (deal < high)))
    assert [b[0] for b in ranges] == [0, *[b[1] for b in ranges[:-1]]] and ranges[-1][1] == 50
    assert list(deal_ranges(deal, 50, rows=1_000)) == [(0, 50, None)]  # small: one piece


@pytest.mark.parametrize("model,period", [("linear", None), ("markov", "month")])
def test_pipeline_valued_piece_by_piece_equals_one_pass(monkeypatch, model, period):
    # the cut loop split into deal ranges gives the same worth (to rounding) as one pass
    import roiclock
    import roiclock.frames as F
    from roiclock import pipeline

    report = roiclock.run_report(model=model, period=period)
    inputs = report.inputs
    campaigns = report.projection.table[["campaign"]].merge(
        report.table[["campaign", "launch"]].drop_duplicates(), on="campaign")
    cuts = [inputs.as_of, inputs.as_of - np.timedelta64(90, "D")]
    whole = pipeline.valued(inputs, report.settings, campaigns, 12, cuts)
    split_into = []

    def small(deal, n_deals):
        pieces = list(F.deal_ranges(deal, n_deals, rows=300))
        split_into.append(len(pieces))
        return pieces

    monkeypatch.setattr(pipeline, "deal_ranges", small)
    pieces = pipeline.valued(inputs, report.settings, campaigns, 12, cuts)
    assert whole.sum() > 0 and max(split_into) > 3
    np.testing.assert_allclose(pieces, whole, rtol=1e-12, atol=1e-6)
