"""As-of, the data's horizon and snapshots: a window that has not ended, or that ends after the
data, is unknown; a past as-of sees the data as it stood that day."""

import pandas as pd
import pytest
from typer.testing import CliRunner

import roiclock
from roiclock.cli import app

runner = CliRunner()
SPEND = "campaign,date,amount\nA,2024-01-01,1000\n"
TYPO = ("deal_id,close_date,amount,stage,campaign,created_date\n"
        "D1,2024-03-01,500,won,A,2024-02-01\nD2,,,open,A,2094-02-01\n")


def test_a_future_typo_cannot_move_the_horizon(write):
    # D2 was created "2094": not an event but a rejected row (future date). The data runs
    # through 2024-03-01, so as-of is 2024-03-02 and the 3-month window (ends 2024-04-01)
    # is unknown, not ROI (500 - 1000) / 1000 = -0.5.
    spend, deals = write("s.csv", SPEND), write("d.csv", TYPO)
    r = roiclock.run_report(spend, deals, windows=[3, 12])
    assert r.inputs.as_of == pd.Timestamp("2024-03-02")
    assert r.inputs.data_through == pd.Timestamp("2024-03-01")
    assert not r.table["mature"].any()
    assert r.inputs.rejects["reason"].tolist() == ["future date"]
    strict = runner.invoke(app, ["report", "--spend", str(spend), "--deals", str(deals),
                                 "--strict"])
    assert strict.exit_code == 2 and "after today" in strict.stderr
    assert strict.stderr.count("\n") == 1


def test_future_dates_are_judged_against_today(write):
    spend, deals = write("s.csv", SPEND), write("d.csv", TYPO)
    raw = roiclock.read(spend, deals)
    # on 2094-06-01 the 2094 deal is an ordinary open deal
    later = roiclock.validate(raw, roiclock.load_settings(), today="2094-06-01")
    assert later.rejects.empty and later.data_through == pd.Timestamp("2094-02-01")


def test_as_of_after_the_data_changes_nothing_mature_and_says_so():
    base = roiclock.run_report(by="portfolio")
    late = roiclock.run_report(by="portfolio", as_of="2030-01-01")
    assert late.inputs.beyond_data and late.inputs.as_of == base.inputs.as_of
    pd.testing.assert_frame_equal(base.table, late.table)
    result = runner.invoke(app, ["report", "--by", "portfolio", "--as-of", "2030-01-01"])
    note = [line for line in result.stderr.splitlines() if "after the data" in line]
    assert len(note) == 1 and "2030-01-01" in note[0] and "2024-12-31" in note[0]


def test_data_through_extends_the_horizon(write):
    # a quiet export: nothing happened after 2024-03-01 but the export ran on 2024-05-31
    spend, deals = write("s.csv", SPEND), write("d.csv", TYPO.splitlines()[0] + "\n"
                                                + TYPO.splitlines()[1] + "\n")
    r = roiclock.run_report(spend, deals, windows=[3, 12], as_of="2024-06-01",
                            data_through="2024-05-31")
    assert r.table.set_index("window_months")["mature"].tolist()[:2] == [True, False]
    assert not r.inputs.beyond_data


def test_past_as_of_is_the_data_as_it_stood():
    # the sample on 2024-07-01: 2,261 deals existed, 775 of them open (565 closed later)
    r = roiclock.run_lag(start="created", as_of="2024-07-01", horizon_months=17)
    row = r.table.iloc[0]
    # followed 528 days (2023-01-20 to 2024-07-01): a 17-month horizon (517 days) is reached
    assert (row["deals"], row["censored"], row["median_days"]) == (2261, 775, 185)
    assert r.inputs.reopened == 565
    deals = r.inputs.accounting.set_index("kind").loc["deals"]
    assert (deals["used"], deals["after_as_of"], deals["reopened"]) == (2261, 735, 565)


def test_ended_windows_do_not_change_with_a_later_as_of():
    # every window that had ended by 2024-06-01 reads the same then as on the full data:
    # cost, return, ROI and every leading indicator
    then = roiclock.run_report(as_of="2024-06-01").table
    now = roiclock.run_report().table
    ended = then[then["mature"].fillna(False).astype(bool)]
    keys = ["campaign", "window_months"]
    merged = ended.merge(now, on=keys, suffixes=("_then", "_now"))
    assert len(merged) == len(ended) > 50
    for column in ("cost", "return", "roi", "opportunities", "pipeline", "won_deals",
                   "lost_deals"):
        pd.testing.assert_series_equal(merged[f"{column}_then"], merged[f"{column}_now"],
                                       check_names=False)


def test_reopened_deal_is_open_at_as_of(write):
    # D1 created 2024-02-01, won 2024-05-01; on 2024-04-01 it was open
    deals = write("d.csv", "deal_id,close_date,amount,stage,campaign,created_date\n"
                           "D1,2024-05-01,500,won,A,2024-02-01\n"
                           "D2,2024-05-02,50,won,A,2024-04-15\n")
    inputs = roiclock.load(write("s.csv", SPEND), deals, as_of="2024-04-01")
    assert inputs.deals["deal_id"].tolist() == ["D1"]  # D2 did not exist yet
    assert inputs.deals["stage"].tolist() == ["open"] and inputs.deals["close_date"].isna().all()
    assert inputs.deals["amount"].tolist() == [500.0]  # kept as its pipeline value
    assert roiclock.attribute(inputs, roiclock.load_settings()).empty


@pytest.mark.parametrize("file,text,column", [
    ("spend", "campaign,date,amount\n(unattributed),2024-01-01,5\n", "campaign"),
    ("spend", "campaign,channel,date,amount\nA,(none),2024-01-01,5\n", "channel"),
    ("deals", "deal_id,close_date,amount,campaign\nD1,2024-03-01,5,(unattributed)\n",
     "campaign"),
])
def test_reserved_names_are_rejected(write, file, text, column):
    files = {"spend": SPEND, "deals": "deal_id,close_date,amount,campaign\nD1,2024-03-01,5,A\n"}
    files[file] = text
    result = runner.invoke(app, ["validate", "--spend", str(write("s.csv", files["spend"])),
                                 "--deals", str(write("d.csv", files["deals"]))])
    assert result.exit_code == 2
    assert f"column '{column}'" in result.stderr and "roiclock uses for its own rows" in \
        result.stderr


def test_lag_and_validate_run_on_deals_alone(write):
    deals = write("d.csv", "deal_id,stage,close_date,amount,created_date\n"
                           "D1,won,2024-03-01,10,2024-01-01\nD2,open,,,2024-02-01\n")
    lag = runner.invoke(app, ["lag", "--deals", str(deals), "--from", "created",
                              "--format", "csv"])
    assert lag.exit_code == 0, lag.output
    check = runner.invoke(app, ["validate", "--deals", str(deals), "--format", "json"])
    assert check.exit_code == 0 and '"kind": "deals"' in check.stdout
    assert '"kind": "spend"' not in check.stdout
    report = runner.invoke(app, ["report", "--deals", str(deals)])
    assert report.exit_code == 2 and "give a spend file too" in report.stderr


def test_as_of_before_the_data_is_one_line():
    for command in ("report", "validate", "lag", "project"):
        result = runner.invoke(app, [command, "--as-of", "2023-01-10"])
        assert result.exit_code == 2, (command, result.output)
        assert result.stderr == ("Error: --as-of: 2023-01-10 is before the data, which starts "
                                 "2023-01-18: nothing was known yet\n")
