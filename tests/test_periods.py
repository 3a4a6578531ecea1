"""Spend periods: always-on campaigns measured as monthly (or quarterly) spend cohorts."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import roiclock
from roiclock.cli import app
from roiclock.periods import label

runner = CliRunner()
# One always-on campaign S in channel x: spend in January only; touched in January (D1, won
# 300 on 2024-03-01) and in February (D2, won 200 on 2024-04-15).
SPEND = "campaign,channel,date,amount\nS,x,2024-01-10,100\n"
DEALS = "deal_id,close_date,amount,stage\nD1,2024-03-01,300,won\nD2,2024-04-15,200,won\n"
TOUCHES = "deal_id,campaign,touch_date\nD1,S,2024-01-15\nD2,S,2024-02-10\n"


def report(write, **options):
    files = [write("s.csv", SPEND), write("d.csv", DEALS), write("t.csv", TOUCHES)]
    return roiclock.run_report(*files, windows=[1, 2, 3], period="month",
                               data_through="2024-06-30", **options)


def cell(table, name, window, column):
    key = table.columns[0]
    return table[(table[key] == name) & (table["window_months"] == window)][column].iloc[0]


def test_two_month_always_on_campaign(write):
    t = report(write).table
    # S 2024-01 starts 2024-01-01, costs January's 100. D1's touch is in January: 300.
    # 1 month (to 2024-02-01): return 0, ROI -1; 2 months (to 03-01): D1 closes on 03-01,
    # not before: still -1; 3 months (to 04-01): 300, ROI (300 - 100) / 100 = 2
    assert cell(t, "S 2024-01", 1, "launch") == pd.Timestamp("2024-01-01")
    assert [cell(t, "S 2024-01", w, "roi") for w in (1, 2, 3)] == [-1, -1, 2]
    assert cell(t, "S 2024-01", 3, "period") == "2024-01"
    # S 2024-02: D2's February touch, no February spend: the campaign's unpaid return for
    # that month (200 by 2024-05-01), cost 0, no ROI; never moved to January
    assert (cell(t, "S 2024-02", 3, "cost"), cell(t, "S 2024-02", 3, "return")) == (0, 200)
    assert np.isnan(cell(t, "S 2024-02", 3, "roi"))
    assert cell(t, "S 2024-02", 3, "note").startswith("no cost")


def test_channel_groups_per_spend_month(write):
    t = report(write, by="channel").table
    january = t[(t["channel"] == "x") & (t["period"] == "2024-01")]
    assert january["roi"].tolist() == [-1, -1, 2]
    february = t[(t["channel"] == "x") & (t["period"] == "2024-02")].iloc[-1]
    # the February cohort belongs to channel x: its return is x's unpaid return that month
    assert (february["campaigns"], february["unpaid_return"]) == (0, 200)


def test_single_touch_deal_credits_its_created_month(write):
    deals = ("deal_id,close_date,amount,stage,campaign,created_date\n"
             "D1,2024-03-01,300,won,S,2024-02-20\nD2,2024-03-01,50,won,S,\n")
    r = roiclock.run_report(write("s.csv", SPEND), write("d.csv", deals), windows=[3],
                            period="month", data_through="2024-06-30")
    returns = r.table.set_index("campaign")["return"]
    # D1 was created in February: S 2024-02; D2 has no created date: S's first period
    assert returns.to_dict() == {"S 2024-01": 50.0, "S 2024-02": 300.0}


def test_quarters_and_labels():
    dates = pd.to_datetime(["2024-01-31", "2024-04-01", "2024-12-31"])
    assert label(dates, "quarter").tolist() == ["2024-Q1", "2024-Q2", "2024-Q4"]
    assert label(dates, "month").tolist() == ["2024-01", "2024-04", "2024-12"]


def always_on(write, channels=("search", "social", "content"), months=12, seed=3):
    """One always-on campaign per channel, spending every month; deals close 1-5 months
    after their touch."""
    rng = np.random.default_rng(seed)
    spend, deals, touches = [], [], []
    for c, channel in enumerate(channels):
        for m in range(months):
            day = pd.Timestamp("2023-01-01") + pd.DateOffset(months=m)
            spend.append((f"{channel} always-on", channel, day, 1000))
            for k in range(6):
                deal = f"D{c}-{m}-{k}"
                touch = day + pd.Timedelta(days=int(rng.integers(0, 28)))
                close = touch + pd.Timedelta(days=int(rng.integers(30, 150)))
                deals.append((deal, close, float(rng.integers(100, 900)), "won"))
                touches.append((deal, f"{channel} always-on", touch))
    frames = {"spend": pd.DataFrame(spend, columns=["campaign", "channel", "date", "amount"]),
              "deals": pd.DataFrame(deals, columns=["deal_id", "close_date", "amount", "stage"]),
              "touches": pd.DataFrame(touches, columns=["deal_id", "campaign", "touch_date"])}
    return [write(f"{k}.csv", v.to_csv(index=False, date_format="%Y-%m-%d"))
            for k, v in frames.items()]


def test_always_on_data_gives_curves_per_spend_month(write):
    files = always_on(write)
    flat = roiclock.run_report(*files, by="channel")
    cohorts = roiclock.run_report(*files, by="channel", period="month")
    # without periods one curve per channel; with them, one per channel and spend month
    assert flat.table["channel"].nunique() == 3 and "period" not in flat.table
    pairs = cohorts.table[["channel", "period"]].drop_duplicates()
    assert len(pairs) == 36 and set(pairs["period"]) == {f"2023-{m:02d}" for m in range(1, 13)}
    # every cohort costs its month's spend and gets only its own month's touches
    mature = cohorts.table[cohorts.table["mature"].fillna(False).astype(bool)]
    assert (mature["cost"] == 1000).all() and (mature["unpaid_return"] == 0).all()
    # the credits are the same, only labelled by the month of each touch
    credited = cohorts.credits.groupby("campaign", observed=True)["return"].sum()
    assert credited.sum() == pytest.approx(flat.credits["return"].sum())
    assert credited.index.str.endswith(tuple(f"2023-{m:02d}" for m in range(1, 13))).all()


def test_cli_period_column_and_lag(write):
    files = always_on(write)
    args = ["--spend", str(files[0]), "--deals", str(files[1]), "--touches", str(files[2])]
    result = runner.invoke(app, ["report", *args, "--period", "quarter", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "period" in result.stdout.splitlines()[0].split(",")
    lag = runner.invoke(app, ["lag", *args, "--period", "quarter", "--format", "csv",
                              "--months", "1,3"])
    assert lag.exit_code == 0, lag.output
    rows = [line.split(",") for line in lag.stdout.splitlines()]
    period = rows[0].index("period")
    assert {r[period] for r in rows[1:]} == {"2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"}


def test_periods_with_a_deals_file_without_campaigns(write):
    # no campaign column: every deal is unattributed, nothing to split, no crash (it was exit 1)
    spend = write("s.csv", "campaign,date,amount\nA,2024-01-01,100\n")
    deals = write("d.csv", "deal_id,close_date,amount\nD1,2024-03-01,10\n")
    r = roiclock.run_report(spend, deals, windows=[1], period="month")
    assert r.table.set_index("campaign").loc["(unattributed)", "return"] == 10


def test_markov_shares_a_campaign_among_its_cohorts(write):
    # Paths: w1 (won 1000) X Jan 10, X Feb 10, Y Feb 15; w2 (won 500) X; w3 (lost) Y.
    # Chain: P(conv) = 2/3; without X 1/6, without Y 1/3: removal effects X 0.75, Y 0.5, so
    # w1 splits X 0.75 / 1.25 = 0.6, Y 0.4 with or without periods. By month, X's 0.6 is
    # shared by its two touches: X 2023-01 0.3 (300), X 2023-02 0.3 (300), Y 2023-02 0.4 (400)
    # (it was 0.375 / 0.375 / 0.25: each cohort weighed the whole campaign's effect)
    files = [write("s.csv", "campaign,date,amount,channel\nX,2023-01-01,100,a\n"
                   "X,2023-02-01,100,a\nY,2023-01-01,100,b\nY,2023-02-01,100,b\n"),
             write("d.csv", "deal_id,close_date,amount,stage,created_date\n"
                   "w1,2023-04-01,1000,won,2023-01-10\nw2,2023-03-01,500,won,2023-01-05\n"
                   "w3,2023-03-15,,lost,2023-01-20\n"),
             write("t.csv", "deal_id,campaign,touch_date\nw1,X,2023-01-10\nw1,X,2023-02-10\n"
                   "w1,Y,2023-02-15\nw2,X,2023-01-05\nw3,Y,2023-01-20\n")]
    got = {}
    for period in (None, "month", "quarter"):
        credits = roiclock.run_report(*files, model="markov", windows=[1, 3],
                                      period=period).credits
        got[period] = dict(zip(credits["deal_id"] + " " + credits["campaign"].astype(str),
                               credits["return"].round(9), strict=True))
    assert got[None] == {"w1 X": 600, "w1 Y": 400, "w2 X": 500}
    assert got["month"] == {"w1 X 2023-01": 300, "w1 X 2023-02": 300, "w1 Y 2023-02": 400,
                            "w2 X 2023-01": 500}
    assert got["quarter"] == {"w1 X 2023-Q1": 600, "w1 Y 2023-Q1": 400, "w2 X 2023-Q1": 500}


@pytest.mark.parametrize("model", ["markov", "linear", "w_shaped"])
def test_cohorts_add_up_to_their_campaign_for_every_deal(model):
    # on the sample: per deal and campaign, the credits of its month cohorts sum to what the
    # campaign gets without periods
    plain = roiclock.run_report(model=model).credits
    split = roiclock.run_report(model=model, period="month").credits
    base = split["campaign"].astype(str).str.replace(r" \d{4}-\d{2}$", "", regex=True)
    summed = split.groupby([split["deal_id"], base])["return"].sum()
    whole = plain.groupby([plain["deal_id"], plain["campaign"].astype(str)])["return"].sum()
    both = pd.concat([whole.rename("plain"), summed.rename("split")], axis=1)
    assert len(both) == len(whole) and both.notna().all().all()
    np.testing.assert_allclose(both["split"], both["plain"], rtol=1e-9)
