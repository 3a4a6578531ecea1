"""Cell parsing on its own: amounts and dates as people write them (roiclock.parse)."""

import numpy as np
import pandas as pd
import pytest

from roiclock import parse


def text(*values):
    return pd.Series(list(values), dtype="object")


@pytest.mark.parametrize("cell,decimal,expected", [
    ("1234.56", ".", 1234.56), ("1,234.56", ".", 1234.56), ("$1,234.56", ".", 1234.56),
    ("1 234,56 €", ",", 1234.56), ("1.234,56", ",", 1234.56), ("(120.00)", ".", -120.0),
    ("-120", ".", -120.0), ("120-", ".", -120.0), ("EUR 5", ".", 5.0), (".5", ".", 0.5),
    ("1\u00a0000", ".", 1000.0), ("1'000.5", ".", 1000.5),
])
def test_amount_forms(cell, decimal, expected):
    values, bad = parse.amounts(text(cell), decimal)
    assert values.iloc[0] == pytest.approx(expected) and not bad.iloc[0]


def test_unreadable_amount_is_bad_and_empty_is_missing():
    values, bad = parse.amounts(text("abc", "", None, "12"), ".")
    assert bad.tolist() == [True, False, False, False]
    assert np.isnan(values.iloc[1]) and values.iloc[3] == 12.0


@pytest.mark.parametrize("cells,expected", [
    (["1,5", "2"], ","), (["1.234,56"], ","), (["1.5"], "."), (["1,234.56"], "."),
    (["12", "7"], "."),  # no sign either way: the fallback
])
def test_decimal_mark_decided_per_column(cells, expected):
    assert parse.decimal_mark(text(*cells)) == expected


def test_decimal_mark_both_ways_is_an_error():
    with pytest.raises(parse.AmbiguousInput, match="both ','"):
        parse.decimal_mark(text("1,5", "2.25"))


def test_iso_dates_keep_the_calendar_day():
    values, bad = parse.dates(text("2024-01-31", "2024-02-29T23:30:00", ""))
    assert values.dt.strftime("%Y-%m-%d").tolist()[:2] == ["2024-01-31", "2024-02-29"]
    assert bad.tolist() == [False, False, False] and pd.isna(values.iloc[2])


def test_day_first_decided_from_the_column():
    values, _ = parse.dates(text("31/01/2024", "05/02/2024"))
    assert values.dt.strftime("%Y-%m-%d").tolist() == ["2024-01-31", "2024-02-05"]
    values, _ = parse.dates(text("01/31/2024", "02/05/2024"))
    assert values.dt.strftime("%Y-%m-%d").tolist() == ["2024-01-31", "2024-02-05"]


def test_day_order_ambiguous_is_an_error_unless_told():
    with pytest.raises(parse.AmbiguousInput, match="dayfirst"):
        parse.dates(text("03/04/2024"))
    values, _ = parse.dates(text("03/04/2024"), dayfirst=True)
    assert values.iloc[0] == pd.Timestamp("2024-04-03")


def test_impossible_date_is_bad():
    _, bad = parse.dates(text("2024-02-30", "31.04.2024"), dayfirst=True)
    assert bad.tolist() == [True, True]


def test_blank_strips_and_merges_categories():
    values = pd.Series(pd.Categorical([" A", "A", "", "B "]))
    out = parse.blank(values)
    assert out.astype("object").tolist()[:2] == ["A", "A"] and pd.isna(out.iloc[2])
    assert list(out.cat.categories) == ["A", "B"]


def test_finite():
    assert parse.finite(pd.Series([1.0, np.inf, np.nan])).tolist() == [True, False, False]
