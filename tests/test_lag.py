"""Time to close: Aalen-Johansen / Kaplan-Meier against lifelines' numbers and by hand."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import inputs_from

import roiclock
from roiclock.survival import cumulative_incidence, deal_durations, lag

# durations (days) and outcomes: 1 won, 2 lost, 0 still open (censored); no tied days.
DAYS = np.array([10, 20, 25, 30, 40, 50, 55, 60, 70, 80, 90, 100])
EVENTS = np.array([1, 1, 2, 0, 1, 2, 1, 0, 1, 2, 0, 1])
# lifelines 0.30.3, AalenJohansenFitter(calculate_variance=False).fit(DAYS, EVENTS,
# event_of_interest=1).cumulative_density_ at each day above:
LIFELINES_CIF = [0.083333, 0.166667, 0.166667, 0.166667, 0.260417, 0.260417, 0.354167,
                 0.354167, 0.471354, 0.471354, 0.471354, 0.705729]


def cif_of(days, events):
    first = np.zeros(len(days), dtype=int)  # one group
    order = np.argsort(days, kind="stable")
    frame = pd.DataFrame({"d": days[order], "e": events[order]})
    cells = frame.value_counts().unstack("e", fill_value=0).reindex(columns=[1, 2, 0],
                                                                    fill_value=0)
    first = np.zeros(len(cells), dtype=int)
    won, lost, cens = (cells[c].to_numpy(dtype=float) for c in (1, 2, 0))
    return cells.index.to_numpy(), cumulative_incidence(first, won, lost, cens)


def test_aalen_johansen_matches_lifelines():
    days, cif = cif_of(DAYS, EVENTS)
    assert list(days) == list(DAYS)
    assert cif == pytest.approx(LIFELINES_CIF, abs=1e-6)
    # by hand at day 40: at risk 12 -> win at 10 (1/12); 11 at risk, win at 20 (+11/12 x 1/11);
    # loss at 25 leaves S = 9/12; censored at 30; 8 at risk at 40: + 9/12 x 1/8 = 0.09375
    assert cif[4] == pytest.approx(1 / 12 + 1 / 12 + 0.09375)


def test_without_losses_cif_is_one_minus_kaplan_meier():
    # tied days: wins and censoring only. lifelines 0.30.3 KaplanMeierFitter survival:
    # 5: 0.888889, 10: 0.634921, 15: 0.476190, 20: 0.317460, 30: 0.317460
    days = np.array([5, 5, 10, 10, 10, 15, 20, 20, 30])
    events = np.array([1, 0, 1, 1, 0, 1, 0, 1, 0])
    got_days, cif = cif_of(days, events)
    assert list(got_days) == [5, 10, 15, 20, 30]
    assert 1 - cif == pytest.approx([0.888889, 0.634921, 0.476190, 0.317460, 0.317460],
                                    abs=1e-6)
    # by hand: 8/9 at day 5; then 7 at risk, 2 wins: 8/9 x 5/7 = 0.634921


def test_groups_restart(write):
    # two groups in one call give the same as each alone
    d1, c1 = cif_of(DAYS, EVENTS)
    d2, c2 = cif_of(DAYS[:6], EVENTS[:6])
    first = np.r_[np.zeros(len(c1), int), np.full(len(c2), len(c1))]
    ones = lambda e: np.array([1.0 if x == e else 0.0 for x in EVENTS])  # noqa: E731
    won = np.r_[ones(1), ones(1)[:6]]
    lost = np.r_[ones(2), ones(2)[:6]]
    cens = np.r_[ones(0), ones(0)[:6]]
    both = cumulative_incidence(first, won, lost, cens)
    assert both[:12] == pytest.approx(c1) and both[12:] == pytest.approx(c2)


def small_inputs(write, as_of="2024-12-01", data_through="2024-11-30"):
    spend = write("spend.csv", "campaign,channel,date,amount\nA,web,2024-01-01,10\n"
                               "B,ads,2024-01-01,10\n")
    deals = write("deals.csv", """deal_id,stage,close_date,amount,created_date,campaign
W1,won,2024-02-01,10,2024-01-10,A
W2,won,2024-04-01,10,2024-01-20,A
L1,lost,2024-03-01,,2024-01-15,B
O1,open,2025-06-01,10,2024-02-01,B
""")
    return roiclock.load(spend, deals, as_of=as_of, data_through=data_through)


def test_durations_from_launch_created_and_censoring(write):
    inputs = small_inputs(write)
    s = roiclock.load_settings()
    d = deal_durations(inputs, s).set_index("deal_id")
    # launch 2024-01-01: W1 31 days, W2 91, L1 60; O1 open, censored at as-of 2024-12-01: 335
    assert d["days"].to_dict() == {"W1": 31, "W2": 91, "L1": 60, "O1": 335}
    assert d["outcome"].to_dict() == {"W1": "won", "W2": "won", "L1": "lost", "O1": "open"}
    c = deal_durations(inputs, s, start="created").set_index("deal_id")
    assert c["days"].to_dict() == {"W1": 22, "W2": 72, "L1": 46, "O1": 304}


def test_lag_table(write):
    inputs = small_inputs(write)
    t = lag(inputs, roiclock.load_settings(), months=[1, 2, 3], horizon_months=6)
    assert list(t.columns) == ["portfolio", "months", "win_probability", "share_of_wins",
                               "interval_low", "interval_high", "median_days", "deals", "won",
                               "lost", "censored", "won_median_days"]
    # 4 at risk; day 31 win: 1/4; day 60 loss: S = 3/4 x 2/3 = 1/2; day 91 win: 1/2 x 1/2 = 1/4
    # month 1 = 30.44 days: 0; month 2 = 60.9 days: 0.25; month 3 = 91.3 days: 0.5; horizon 0.5
    assert t["win_probability"].tolist() == pytest.approx([0, .25, .5])
    assert t["share_of_wins"].tolist() == pytest.approx([0, .5, 1])
    assert t["median_days"].iloc[0] == 31  # share reaches 1/2 on day 31
    assert t[["deals", "won", "lost", "censored"]].iloc[0].tolist() == [4, 2, 1, 1]
    # the plain median of the two closed wins, 31 and 91 days: 61 (it ignores O1 and L1)
    assert t["won_median_days"].iloc[0] == 61
    assert (t["interval_low"] <= t["share_of_wins"] + 1e-12).all()
    assert (t["interval_high"] >= t["share_of_wins"] - 1e-12).all()


def test_lag_by_channel(write):
    t = lag(small_inputs(write), roiclock.load_settings(), by="channel", months=[3])
    assert t.set_index("channel")["won"].to_dict() == {"ads": 0, "web": 2}


def test_sample_shares_are_survey_like():
    s = roiclock.load_settings()
    # the sample is followed 714 days since its first touch: 23 months (700 days) is reached
    t = lag(roiclock.load(settings=s), s, months=[6, 9, 12], horizon_months=23
            ).set_index("months")
    # the majority of wins come more than 6 months after the first touch
    assert t.loc[6, "share_of_wins"] < 0.5
    assert t.loc[12, "share_of_wins"] < 0.95


def test_bootstrap_interval_is_deterministic():
    s = roiclock.load_settings()
    inputs = roiclock.load(settings=s)
    a, b = lag(inputs, s, draws=100), lag(inputs, s, draws=100)
    pd.testing.assert_frame_equal(a, b)


def test_first_steps_are_the_first_path_steps():
    # first_steps takes one minimum per deal instead of sorting every path: it must name the
    # same step path_steps puts first (earliest day, then first campaign by name), at as-ofs
    # that leave deals open and touches outside the lookback
    from roiclock.paths import first_steps, path_steps
    for as_of in (None, "2024-03-01"):
        settings = roiclock.load_settings(lookback_days=60 if as_of else 365)
        inputs = roiclock.load(settings=settings, as_of=as_of)
        steps, names = path_steps(inputs, settings.lookback_days)
        head = steps.drop_duplicates("deal")
        begin, campaign = first_steps(inputs, settings.lookback_days)
        assert (begin[head["deal"]] == head["date"].to_numpy()).all()
        assert (campaign[head["deal"]].to_numpy() == names[head["code"]]).all()
        others = np.setdiff1d(np.arange(len(inputs.deals)), head["deal"])
        assert len(others) and np.isnat(begin[others]).all() and campaign[others].isna().all()


def test_markov_win_chance_from_path_starts_is_the_lag_one():
    # the chain takes each open deal's start from its first path step instead of computing
    # deal_starts again: over the same window (lag_lookback: never shorter than the horizon,
    # whatever the attribution lookback) the chances must be the very same numbers
    from roiclock.paths import path_starts, path_steps
    from roiclock.survival import lag_lookback, win_chance
    for as_of in (None, "2024-03-01"):
        settings = roiclock.load_settings(model="markov", lookback_days=60 if as_of else 730)
        inputs = roiclock.load(settings=settings, as_of=as_of)
        steps, _ = path_steps(inputs, lag_lookback(settings.lookback_days))
        head = steps.drop_duplicates("deal")
        begin = np.full(len(inputs.deals), np.datetime64("NaT"), dtype="datetime64[s]")
        begin[head["deal"].to_numpy()] = head["date"].to_numpy()
        assert np.array_equal(path_starts(steps, len(inputs.deals)), begin, equal_nan=True)
        expected = win_chance(inputs, settings)
        assert 0 < np.mean((expected > 0) & (expected < 1))  # open deals with a real chance
        assert np.array_equal(win_chance(inputs, settings, begin=begin), expected)


def test_shares_and_median_unknown_until_the_horizon_is_reached(write):
    # small_inputs at as-of 2024-10-01: all four deals start at the launch, 2024-01-01, so the
    # group is followed 274 days (9.0 months; 9 months = 273.9 days, 9.1 = 277.0 days).
    # Durations: W1 won 31 d, L1 lost 60 d, W2 won 91 d, O1 open, censored at 274 d.
    inputs = small_inputs(write, as_of="2024-10-01", data_through="2024-09-30")
    s = roiclock.load_settings()
    t = lag(inputs, s, months=[1, 3, 6, 12]).set_index("months")  # horizon 24 months
    # win probabilities stand where observed: day 31 1/4; day 60 loss: S = 3/4 x 2/3 = 1/2;
    # day 91 + 1/2 x 1/2: 1/2; 12 months (365 d) is past the follow-up: unknown
    assert t["win_probability"].tolist()[:3] == pytest.approx([0, .5, .5])
    assert np.isnan(t.loc[12, "win_probability"])
    # CIF(24 months) is not observed: no share, interval or median against a curve that has
    # levelled off at 1/2 only because nothing was seen after day 274
    for column in ("share_of_wins", "interval_low", "interval_high", "median_days"):
        assert t[column].isna().all(), column
    assert t["won_median_days"].iloc[0] == 61  # the plain median of 31 and 91 stays
    # with a 9-month horizon (273.9 d <= 274 d) it is reached: shares of CIF(9 mo) = 1/2
    nine = lag(inputs, s, months=[1, 3, 6], horizon_months=9).set_index("months")
    assert nine["share_of_wins"].tolist() == pytest.approx([0, 1, 1])
    assert nine.loc[1, "median_days"] == 31  # 1/4 >= half of 1/2 on day 31
    # 9.1 months (277 d) is not reached; the months asked do not change a share or median
    assert lag(inputs, s, months=[1], horizon_months=9.1)["share_of_wins"].isna().all()
    pd.testing.assert_frame_equal(
        lag(inputs, s, months=[1, 3], horizon_months=9).reset_index(drop=True),
        nine.reset_index().iloc[:2].reset_index(drop=True)[
            lag(inputs, s, months=[1, 3], horizon_months=9).columns], check_dtype=False)


def test_unknown_shares_in_the_table_csv_and_json(write):
    from typer.testing import CliRunner

    from roiclock.cli import app
    # two channels from launch: web (A, 2024-01-01) followed 335 days to as-of 2024-12-01,
    # ads (B, 2024-06-01) 183 days; with a 9-month horizon (273.9 d) only web reaches it
    spend = write("spend.csv", "campaign,channel,date,amount\nA,web,2024-01-01,10\n"
                               "B,ads,2024-06-01,10\n")
    deals = write("deals.csv", """deal_id,stage,close_date,amount,created_date,campaign
W1,won,2024-02-01,10,2024-01-10,A
W2,won,2024-04-01,10,2024-01-20,A
L1,lost,2024-03-01,,2024-01-15,A
W3,won,2024-07-01,10,2024-06-10,B
O1,open,2025-06-01,10,2024-06-20,B
""")
    args = ["lag", "--spend", str(spend), "--deals", str(deals), "--as-of", "2024-12-01",
            "--data-through", "2024-11-30", "--by", "channel", "--months", "2,3",
            "--horizon", "9"]
    runner = CliRunner()
    table = runner.invoke(app, args, terminal_width=100)
    assert table.exit_code == 0, table.output
    rows = {line.split()[0]: line.split() for line in table.output.splitlines()
            if line.startswith(("web ", "ads "))}
    # web: day 31 win 1/3, day 60 loss (S = 2/3 x 1/2 = 1/3), day 91 + 1/3 = 2/3; 2 months
    # (60.9 d): share 1/2, 3 months (91.3 d): 1; median 31 d. ads: W3 on day 30 (1/2 won by 2
    # months), O1 censored at 183 d: no share, no median
    assert rows["web"][4:7] == ["50%", "100%", "31"]
    assert rows["ads"][4:7] == ["-", "-", "-"]
    assert ("-: unknown. 1 of 2 groups has no share of eventual wins or median: 1 followed "
            "for less than the 9-month --horizon"
            in " ".join(table.output.split()))
    csv = runner.invoke(app, [*args, "--format", "csv"]).output.splitlines()
    assert csv[1].startswith("ads,2,0.5,,,,,2,1,0,1,30,")
    records = runner.invoke(app, [*args, "--format", "json"]).output
    ads = [r for r in json.loads(records) if r["channel"] == "ads"]
    assert [r["share_of_wins"] for r in ads] == [None, None]
    assert [r["median_days"] for r in ads] == [None, None]


T1_DEALS = """deal_id,close_date,amount,stage,created_date
d1,2023-03-01,1200,won,2023-01-20
d2,2023-05-15,3000,won,2023-02-10
d3,2023-09-01,900,won,2023-03-01
d4,2023-12-20,6000,won,2023-04-01
d5,,,open,2023-06-01
d6,2023-07-01,,lost,2023-02-01
d7,2024-01-31,1500,won,2023-07-15
"""
T1_TOUCHES = """deal_id,campaign,touch_date
d1,A,2023-01-20
d2,A,2023-02-10
d2,B,2023-02-15
d3,B,2023-03-01
d3,C,2023-04-01
d4,A,2023-04-01
d4,B,2023-05-01
d4,C,2023-06-01
d5,B,2023-06-05
d6,A,2023-02-01
d7,D,2023-07-15
d7,C,2023-08-01
"""


def test_a_short_lookback_does_not_cut_the_delays(write):
    # a GA4-style 90-day lookback used to leave d1 (40 d) and d2 (89 d: from its touch of
    # 02-15, its first of 02-10 being 94 days back): "100% of wins by 3 months". The delay
    # is measured over lag_lookback = max(lookback, horizon) = 731 days: from the first touch
    #   d1 01-20 -> 03-01: 40 d won      d2 02-10 -> 05-15: 94 d won
    #   d6 02-01 -> 07-01: 150 d lost    d3 03-01 -> 09-01: 184 d won
    #   d7 07-15 -> 01-31: 200 d won     d5 06-05 -> as-of 2024-02-01: 241 d open
    #   d4 04-01 -> 12-20: 263 d won
    from roiclock.survival import lag_lookback
    assert lag_lookback(90) == lag_lookback(730) == 731 and lag_lookback(1095) == 1095
    tables = []
    for lookback in (90, 730):
        inputs, s = inputs_from(write, T1_DEALS, T1_TOUCHES, as_of="2024-02-01",
                                lookback_days=lookback)
        d = deal_durations(inputs, s).set_index("deal_id")
        assert d["days"].to_dict() == {"d1": 40, "d2": 94, "d3": 184, "d4": 263, "d5": 241,
                                       "d6": 150, "d7": 200}
        tables.append(lag(inputs, s, months=[1, 3, 6, 9, 12], horizon_months=12))
    pd.testing.assert_frame_equal(*tables)
    t = tables[0].set_index("months")
    # 7 at risk: 40 d win 1/7; 94 d win + 6/7 x 1/6 = 2/7; 150 d loss: S = 5/7 x 4/5 = 4/7;
    # 184 d + 4/7 x 1/4 = 3/7; 200 d + 3/7 x 1/3 = 4/7; 241 d censored (S = 2/7);
    # 263 d: + 2/7 x 1/1 = 6/7. Followed 377 days (01-20 to 2024-02-01) >= 12 months (365 d)
    assert t["win_probability"].tolist() == pytest.approx([0, 1 / 7, 2 / 7, 6 / 7, 6 / 7])
    assert t["share_of_wins"].tolist() == pytest.approx([0, 1 / 6, 1 / 3, 1, 1])
    assert t.loc[1, "median_days"] == 184  # 3/7 reaches half of 6/7 on day 184


def test_a_long_lookback_widens_the_window(write):
    # X's first touch is 799 days before its close: beyond the 731 days of the default window
    # (start 2022-06-01: 283 d), inside a 1,095-day lookback (start 2021-01-01: 799 d)
    deals = "deal_id,close_date,amount,stage\nX,2023-03-11,10,won\n"
    touches = "deal_id,campaign,touch_date\nX,A,2021-01-01\nX,A,2022-06-01\n"
    for lookback, days in ((730, 283), (1095, 799)):
        inputs, s = inputs_from(write, deals, touches, lookback_days=lookback)
        assert deal_durations(inputs, s)["days"].tolist() == [days]



def test_a_deal_of_exactly_the_horizon_keeps_its_start(write):
    # review 13: with a 90-day lookback and a 12-month horizon (365.25 days) a deal won 365
    # days after its only touch is inside the horizon: its touch must start it (window 366)
    deals = "deal_id,close_date,amount,stage\nd3,2024-01-01,10,won\n"
    touches = "deal_id,campaign,touch_date\nd3,A,2023-01-01\n"
    inputs, s = inputs_from(write, deals, touches, lookback_days=90)
    assert deal_durations(inputs, s, horizon_months=12)["days"].tolist() == [365]


def test_lag_default_months_stay_within_the_horizon_and_repeats_are_one():
    # review 13: `lag --horizon 1` alone complained about a default the user never typed;
    # `--months 3,3` gave two identical rows
    from typer.testing import CliRunner

    from roiclock.cli import app

    cli = CliRunner()
    short = cli.invoke(app, ["lag", "--horizon", "1", "--format", "csv"])
    assert short.exit_code == 0, short.stderr
    assert [line.split(",")[1] for line in short.output.splitlines()[1:2]] == ["1"]
    twice = cli.invoke(app, ["lag", "--months", "3,3", "--format", "csv"])
    assert twice.exit_code == 0 and len(twice.output.splitlines()) == 2
    assert roiclock.run_lag(horizon_months=6).table["months"].tolist()[:3] == [1, 3, 6]



def test_the_unknown_note_names_a_group_without_a_win_within_the_horizon(write):
    # review 14: followed 732 days, its only win at 729 days: with a 12-month horizon the
    # group was followed long enough; what it lacks is a win within the horizon
    from typer.testing import CliRunner

    from roiclock.cli import app

    deals = write("d.csv", "deal_id,close_date,amount,stage\nW,2024-12-30,10,won\n"
                           "O,,,open\n")
    touches = write("t.csv", "deal_id,campaign,touch_date\nW,A,2023-01-01\nO,A,2023-01-01\n")
    result = CliRunner().invoke(app, ["lag", "--deals", str(deals), "--touches", str(touches),
                                      "--horizon", "12", "--as-of", "2025-01-03"])
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.output.split())
    assert "1 without a win within it" in text and "followed for less" not in text
