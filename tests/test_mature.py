"""Windows, maturity, group curves and the headline on the tiny hand-made data set.

tests/data/tiny: X (search) spends 100 on 2024-01-15, 100 on 02-10, 50 on 04-14, so launches
2024-01-15; Y (social) spends 200 on 2024-03-01. Single touch through the deals' campaign:
D1 X won 02-14 300; D2 X won 02-15 500; D3 Y won 05-31 1000; D4 Y lost; D5 X open.
Windows 1 and 3 months: X ends 2024-02-15 and 2024-04-15; Y ends 2024-04-01 and 2024-06-01.
"""

import numpy as np
import pandas as pd
import pytest
from conftest import TINY

import roiclock


def report(as_of=None, by="campaign", **settings):
    return roiclock.run_report(TINY / "spend.csv", TINY / "deals.csv", as_of=as_of, by=by,
                               windows=[1, 3], **settings)


def cell(table, key, months, column, by="campaign"):
    row = table[(table[by] == key) & (table["window_months"] == months)]
    assert len(row) == 1
    return row.iloc[0][column]


def test_default_as_of_is_day_after_last_event():
    # latest event: D3 closes 2024-05-31 (D5's 2024-09-01 is an open deal's expectation)
    assert report().as_of == pd.Timestamp("2024-06-01")


def test_campaign_windows_hand_computed():
    t = report(as_of="2024-06-01").table
    # X, 1 month, end 2024-02-15: cost 100 + 100 = 200; return D1 300 (D2 closes on the end
    # date: half-open window, not counted); ROI (300 - 200) / 200 = 0.5
    assert cell(t, "X", 1, "window_end") == pd.Timestamp("2024-02-15")
    assert (cell(t, "X", 1, "cost"), cell(t, "X", 1, "return")) == (200.0, 300.0)
    assert cell(t, "X", 1, "roi") == pytest.approx(0.5)
    # X, 3 months, end 2024-04-15: cost 250; return 300 + 500 = 800; ROI 550 / 250 = 2.2
    assert (cell(t, "X", 3, "cost"), cell(t, "X", 3, "return")) == (250.0, 800.0)
    assert cell(t, "X", 3, "roi") == pytest.approx(2.2)
    # Y, 1 month: cost 200, return 0, ROI -1; 3 months (end 2024-06-01 <= as-of, mature):
    # return 1000, ROI (1000 - 200) / 200 = 4
    assert cell(t, "Y", 1, "roi") == pytest.approx(-1.0)
    assert cell(t, "Y", 3, "mature")
    assert cell(t, "Y", 3, "roi") == pytest.approx(4.0)


def test_immature_window_is_unknown_not_zero():
    # as-of 2024-05-31: Y's 3-month window ends 2024-06-01 > as-of; D3 closes on as-of and is
    # counted apart as after as-of
    r = report(as_of="2024-05-31")
    t = r.table
    assert not cell(t, "Y", 3, "mature")
    assert all(np.isnan(cell(t, "Y", 3, c)) for c in ("cost", "return", "roi"))
    assert cell(t, "Y", 1, "mature")
    deals = r.inputs.accounting.set_index("kind").loc["deals"]
    assert (deals["read"], deals["used"], deals["after_as_of"]) == (5, 4, 1)


def test_portfolio_sums_campaigns_mature_at_largest_window():
    p = report(as_of="2024-06-01", by="portfolio").table
    # both mature at 3: cost(1) = 200 + 200 = 400, return(1) = 300, ROI -0.25;
    # cost(3) = 250 + 200 = 450, return(3) = 800 + 1000 = 1800, ROI 1350 / 450 = 3
    assert list(p["campaigns"]) == [2, 2]
    assert list(p["cost"]) == [400.0, 450.0] and list(p["return"]) == [300.0, 1800.0]
    assert list(p["roi"]) == pytest.approx([-0.25, 3.0])
    # window_end of a group: the latest end among its campaigns
    assert list(p["window_end"]) == [pd.Timestamp("2024-04-01"), pd.Timestamp("2024-06-01")]
    p = report(as_of="2024-05-31", by="portfolio").table
    # only X is mature at 3 months, so the 1-month point counts X alone too: ROI 0.5, 2.2
    assert list(p["campaigns"]) == [1, 1]
    assert list(p["roi"]) == pytest.approx([0.5, 2.2])


def test_channel_groups_and_immature_group():
    t = report(as_of="2024-05-31", by="channel").table
    assert cell(t, "search", 3, "roi", "channel") == pytest.approx(2.2)
    assert not cell(t, "social", 1, "mature", "channel")
    assert cell(t, "social", 1, "campaigns", "channel") == 0
    assert np.isnan(cell(t, "social", 1, "roi", "channel"))


def test_headline():
    r = report(as_of="2024-06-01")
    # return(1) / return(3) = 300 / 1800 = 16.7%
    assert r.headline.startswith(
        "Measured at 1 month, ROI is -25%; at 3 months it is +300%: an early measurement sees "
        "17% of the return (2 paid campaigns mature at 3 months, as of 2024-06-01). ")
    young = report(as_of="2024-04-01")
    assert young.headline.startswith("No campaign is mature at 3 months yet (as of 2024-04-01)")


def test_cost_multiplier():
    t = report(as_of="2024-06-01", cost_multiplier=1.4).table
    # X(1): 200 x 1.4 = 280; ROI (300 - 280) / 280
    assert cell(t, "X", 1, "cost") == pytest.approx(280.0)
    assert cell(t, "X", 1, "roi") == pytest.approx(20 / 280)


def test_margin_basis_on_tiny():
    t = report(as_of="2024-06-01", basis="margin", default_margin=0.4).table
    # X(3): 300 x 0.5 + 500 x 0.5 = 400; Y(3): D3 has no margin: 1000 x 0.4 = 400
    assert cell(t, "X", 3, "return") == pytest.approx(400.0)
    assert cell(t, "Y", 3, "return") == pytest.approx(400.0)


def test_calendar_months_clamp_to_month_end(write):
    spend = "campaign,date,amount\nM,2024-01-31,10\n"
    deals = "deal_id,close_date,amount,campaign\nD1,2024-02-28,5,M\nD2,2024-02-29,7,M\n"
    r = roiclock.run_report(write("s.csv", spend), write("d.csv", deals), windows=[1],
                            as_of="2024-03-01")
    # 2024-01-31 + 1 calendar month = 2024-02-29 (leap year, clamped): D1 in, D2 on the end
    assert cell(r.table, "M", 1, "window_end") == pd.Timestamp("2024-02-29")
    assert cell(r.table, "M", 1, "return") == 5.0


def test_unpaid_campaign_has_no_roi_and_keeps_its_credit(write):
    spend = "campaign,date,amount\nPaid,2024-01-01,100\n"
    deals = "deal_id,close_date,amount\nD1,2024-03-01,40\n"
    touches = "deal_id,campaign,touch_date\nD1,Webinar,2024-02-01\nD1,Paid,2024-02-15\n"
    r = roiclock.run_report(write("s.csv", spend), write("d.csv", deals),
                            write("t.csv", touches), windows=[3], as_of="2024-06-01",
                            data_through="2024-05-31")
    t = r.table
    # linear: 20 each; the webinar launches at its first touch, 2024-02-01
    assert cell(t, "Webinar", 3, "launch") == pd.Timestamp("2024-02-01")
    assert (cell(t, "Webinar", 3, "cost"), cell(t, "Webinar", 3, "return")) == (0.0, 20.0)
    assert np.isnan(cell(t, "Webinar", 3, "roi"))
    assert cell(t, "Paid", 3, "return") == 20.0
    # to date: the webinar's own row leaves return_to_date empty (not a return of 0) and
    # carries its 20 as unpaid_return_to_date; the paid campaign's row has its 20
    so_far = roiclock.run_report(write("s.csv", spend), write("d.csv", deals),
                                 write("t.csv", touches), windows=[3], as_of="2024-06-01",
                                 data_through="2024-05-31", to_date=True).table
    assert np.isnan(cell(so_far, "Webinar", 3, "return_to_date"))
    assert cell(so_far, "Webinar", 3, "unpaid_return_to_date") == 20.0
    assert cell(so_far, "Paid", 3, "return_to_date") == 20.0


def test_unattributed_row(write):
    spend = "campaign,date,amount\nA,2024-01-01,100\n"
    deals = "deal_id,close_date,amount,campaign\nD1,2024-03-01,40,A\nD2,2024-03-01,60,\n"
    r = roiclock.run_report(write("s.csv", spend), write("d.csv", deals), windows=[3])
    row = r.table[r.table["campaign"] == "(unattributed)"].iloc[0]
    assert row["return"] == 60.0 and row["cost"] == 0.0 and row["mature"] is pd.NA


def test_to_date_any_age(write):
    # A (2024-01) is mature at 3 months on 2024-06-15, B (2024-05) is not.
    spend = write("s.csv", "campaign,date,amount\nA,2024-01-01,100\nB,2024-05-01,50\n")
    deals = write("d.csv", "deal_id,close_date,amount,campaign\nD1,2024-03-01,300,A\n"
                           "D2,2024-06-01,20,B\n")
    r = roiclock.run_report(spend, deals, windows=[3], as_of="2024-06-15",
                            data_through="2024-06-14", to_date=True)
    rows = r.table.set_index("campaign")
    # A: 100 and 300, ROI 2; B: 50 and 20, ROI (20 - 50) / 50 = -0.6, though B is immature
    assert rows.loc["A", ["cost_to_date", "return_to_date", "roi_to_date"]].tolist() == [
        100, 300, 2]
    assert rows.loc["B", "roi_to_date"] == pytest.approx(-0.6)
    assert not rows.loc["B", "mature"]
    # portfolio: 150 and 320, ROI 170 / 150; a third of the cost (B's 50) is still immature
    so_far = r.to_date.iloc[0]
    assert so_far["roi_to_date"] == pytest.approx(170 / 150)
    assert so_far["immature_cost_share"] == pytest.approx(1 / 3)
    channel = roiclock.run_report(spend, deals, windows=[3], as_of="2024-06-15",
                                  data_through="2024-06-14", to_date=True, by="portfolio")
    assert channel.table["cost_to_date"].tolist() == [150]


def test_month_index_in_slices_equals_one_pass(monkeypatch):
    # month_index works through slices of ROWS_PER_PASS rows (bounded temporaries at 100M
    # touches): elementwise, so the months are the same whatever the slice size
    import numpy as np
    import pandas as pd

    import roiclock.mature as M

    rng = np.random.default_rng(3)
    launch = pd.Series(pd.to_datetime(["2023-01-31", "2023-02-28", "2024-02-29"]))
    dates = (np.datetime64("2023-01-01") + rng.integers(0, 900, 1_000)).astype("datetime64[s]")
    dates[::17] = np.datetime64("NaT")
    pos = rng.integers(-1, 3, 1_000)
    whole = M.month_index(dates, pos, launch, 12)
    monkeypatch.setattr(M, "ROWS_PER_PASS", 7)
    sliced = M.month_index(dates, pos, launch, 12)
    assert np.array_equal(whole[0], sliced[0]) and np.array_equal(whole[1], sliced[1])
    assert (whole[1] == -1).sum() > 50 and len(np.unique(whole[0])) > 10
