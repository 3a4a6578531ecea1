"""project, watch and chart through typer's CliRunner: what the rows say about young, unpaid
and old campaigns, on small hand-made files."""

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from roiclock.cli import app

runner = CliRunner()

# A launched 2023-01-01 (100 spent) and won D1 (300) on 2023-03-01: paid back in month 3
# (ROI (300 - 100) / 100 = +200%). B launched 2024-05-20 (50 spent): under a month old on
# 2024-06-01, too young to project. U spent nothing and is credited D2 (200): no cost.
SPEND = "campaign,date,amount\nA,2023-01-01,100\nB,2024-05-20,50\n"
DEALS = "deal_id,campaign,close_date,amount\nD1,A,2023-03-01,300\nD2,U,2023-06-01,200\n"


@pytest.fixture
def young_paid_unpaid(write):
    return ["--spend", str(write("spend.csv", SPEND)), "--deals", str(write("deals.csv", DEALS)),
            "--as-of", "2024-06-01", "--data-through", "2024-05-31"]


def rows(text: str) -> dict[str, dict]:
    return {r["campaign"]: r for r in csv.DictReader(io.StringIO(text))}


def test_payback_of_a_young_paid_campaign_is_not_yet_measured(young_paid_unpaid):
    result = runner.invoke(app, ["project", *young_paid_unpaid, "--format", "csv"])
    assert result.exit_code == 0, result.output
    table = rows(result.output)
    # B has cost 50 but no whole month yet: not "no cost"
    assert (table["B"]["status"], table["B"]["measured_cost"]) == ("too_young", "50")
    assert (table["B"]["payback_months"], table["B"]["payback"]) == ("", "not yet measured")
    assert table["U"]["payback"] == "no cost"  # really without cost
    assert (table["A"]["payback_months"], table["A"]["payback"]) == ("3", "measured")
    records = json.loads(runner.invoke(app, ["project", *young_paid_unpaid, "--format",
                                             "json"]).output)
    payback = {r["campaign"]: (r["payback_months"], r["payback"]) for r in records}
    assert payback == {"A": (3, "measured"), "B": (None, "not yet measured"),
                       "U": (None, "no cost")}
    view = runner.invoke(app, ["project", *young_paid_unpaid]).output
    line = next(x for x in view.splitlines() if x.startswith("B "))
    assert "no cost" not in line and line.split()[-1] == "-"
    assert "'-': not yet measured" in " ".join(view.split())


def test_ages_are_real_months_since_launch_not_capped_at_the_target(young_paid_unpaid):
    # A launched 2023-01-01: 2023-01-01 + 17 months = 2024-06-01 <= as-of, so 17 months old,
    # though mature (and projected) at the 12-month target; its month cohort 2023-01 too
    result = runner.invoke(app, ["project", *young_paid_unpaid, "--format", "csv"])
    row = rows(result.output)["A"]
    assert (row["age_months"], row["target_months"], row["status"]) == ("17", "12", "mature")
    by_month = runner.invoke(app, ["project", *young_paid_unpaid, "--cohort", "month",
                                   "--format", "csv"])
    months = {r["month"]: r for r in csv.DictReader(io.StringIO(by_month.output))}
    assert months["2023-01"]["age_months"] == "17"
    view = runner.invoke(app, ["project", *young_paid_unpaid]).output
    assert next(x for x in view.splitlines() if x.startswith("A ")).split()[1] == "17"


def test_watch_age_then_is_blank_for_a_campaign_not_there_then(young_paid_unpaid):
    # --since 1: the projection of 2024-05-01. A was 16 months old then (uncapped), U 11
    # (launched at its deal, 2023-06-01); B launched 2024-05-20, after it: no age then
    args = ["watch", *young_paid_unpaid, "--since", "1"]
    table = rows(runner.invoke(app, [*args, "--format", "csv"]).output)
    assert {name: (r["age_months"], r["age_then"]) for name, r in table.items()} == {
        "A": ("17", "16"), "U": ("12", "11"), "B": ("0", "")}
    records = json.loads(runner.invoke(app, [*args, "--format", "json"]).output)
    assert {r["campaign"]: r["age_then"] for r in records} == {"A": 16, "U": 11, "B": None}


def test_watch_verdict_at_the_cent_boundary():
    from roiclock.monitor import verdict

    # the review's case: won 138894.925 (138894.92 to the cent) against a low end of
    # 138894.92500000002 (the amount won then, summed in another order): the low end is
    # shown rounded outward, 138894.92, so the campaign is on track and shows no lower
    assert verdict([138894.925], [138894.92500000002], [161619.71]).tolist() == ["on track"]
    # a whole cent below the low end shown is behind; a cent above the high end, ahead
    assert verdict([138894.91, 161619.73], [138894.92] * 2, [161619.72] * 2).tolist() == [
        "behind", "ahead"]


def test_watch_status_agrees_with_the_cents_shown():
    result = runner.invoke(app, ["watch", "--format", "csv"])
    assert result.exit_code == 3  # 2024-02 Paid Search ABM is behind (see test_cli)
    for row in rows(result.output).values():
        if row["status"] == "not judged":
            continue
        won, low, high = (float(row[c]) for c in ("measured_return", "expected_low",
                                                   "expected_high"))
        expected = "behind" if won < low else "ahead" if won > high else "on track"
        assert row["status"] == expected, row
    # it won nothing since its projection: at the low end, which is what it had won then,
    # 138894.925: won to the nearest cent (a half cent away from zero) .93, the low end
    # rounded outward (down) .92
    row = rows(result.output)["2023-10 Paid Search Demo days"]
    assert (row["measured_return"], row["expected_low"], row["status"]) == (
        "138894.93", "138894.92", "on track")
    view = runner.invoke(app, ["watch"]).output
    line = next(x for x in view.splitlines() if x.startswith("2023-10 Paid Search"))
    assert line.split()[-5:-2] == ["138,895..161,620", "138,895", "on"]


@pytest.mark.parametrize("args,expected", [
    # lag with a touches file needs no spend file: only the deals are missing
    (["lag", "--touches", "t.csv"], "Error: give a deals file too (or no input file, for the "
                                    "sample); no spend file is needed here\n"),
    (["validate", "--touches", "t.csv"], "Error: give a deals file too (or no input file, "
                                         "for the sample); no spend file is needed here\n"),
    # from the launch, lag needs the spend: a deals file is there, say the spend is missing
    (["lag", "--deals", "d.csv"], "Error: give a spend file too (the delay from launch needs "
                                  "the spend's launch dates; with a deals file alone, measure "
                                  "from the created date: --from created)\n"),
    (["project", "--spend", "s.csv"], "Error: give a deals file too (or no input file, for "
                                      "the sample)\n"),
])
def test_a_missing_input_is_named_exactly(args, expected, write):
    folder = str(write("t.csv", "x\n1\n").parent)
    for name in ("d.csv", "s.csv"):
        write(name, "x\n1\n")
    args = [a if not a.endswith(".csv") else f"{folder}/{a}" for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and result.stderr == expected


def test_watch_sentences(young_paid_unpaid):
    # --since 1 month: "1 month ago", not "1 months ago"
    view = " ".join(runner.invoke(app, ["watch", *young_paid_unpaid, "--since", "1"])
                    .output.split())
    assert "Against the projection of 2024-05-01 (1 month ago):" in view
    # 18 months before 2024-06-01 is 2022-12-01, before A's launch (2023-01-01): no
    # projection of that day is named, there was too little history then
    early = " ".join(runner.invoke(app, ["watch", *young_paid_unpaid, "--since", "18"])
                     .output.split())
    assert ("Nothing to judge: 18 months ago (2022-12-01) is before the data, so nothing "
            "was known then: too little history to have projected ROI at 12 months.") in early
    assert "Against the projection" not in early


def test_headline_when_every_campaign_is_mature(young_paid_unpaid, write):
    # without B, A is the one paid campaign, mature at 12 months (ROI +200%): nothing is
    # projected, so no interval is missing for want of history
    spend = write("spend_a.csv", "campaign,date,amount\nA,2023-01-01,100\n")
    args = [str(spend) if a.endswith("spend.csv") else a for a in young_paid_unpaid]
    view = " ".join(runner.invoke(app, ["project", *args]).output.split())
    assert ("Nothing to project at 12 months: the one paid campaign is mature there, ROI "
            "+200% measured.") in view
    assert "no 80% interval" not in view


# D launched 2023-06-30 with 400 spent; deal d7 (750, campaign D) closed 2024-01-31. As of
# 2024-02-01 D is 7 whole months old (2023-06-30 + 7 months = 2024-01-30 <= 2024-02-01 <
# 2024-02-29): its 7 whole months hold 0, but month 8 (2024-01-30..2024-02-29), under way,
# already holds 750 >= 400. A (launched 2023-01-01, 100 spent, D1 300 on 2023-03-01: paid
# back in month 3) is the older campaign the pattern comes from.
UNDER_WAY_SPEND = "campaign,date,amount\nA,2023-01-01,100\nD,2023-06-30,400\n"
UNDER_WAY_DEALS = ("deal_id,campaign,close_date,amount\nD1,A,2023-03-01,300\n"
                   "d7,D,2024-01-31,750\n")


@pytest.mark.parametrize("method", ["auto", "bf", "chain_ladder"])
def test_payback_already_won_in_the_month_under_way_is_that_month(method, write):
    args = ["project", "--spend", str(write("spend.csv", UNDER_WAY_SPEND)),
            "--deals", str(write("deals.csv", UNDER_WAY_DEALS)), "--as-of", "2024-02-01",
            "--data-through", "2024-01-31", "--method", method]
    table = rows(runner.invoke(app, [*args, "--format", "csv"]).output)
    # the month under way (8) already covers the cost: payback 8 (it was 11, from the path
    # that started at month 7's 0), projected (marked *) until month 8 ends: more may still be
    # spent in it. The chain ladder cannot develop 0 (too_young); the data still shows it.
    # A paid back in its third month, a whole month observed: measured
    assert (table["D"]["age_months"], table["D"]["measured_return"]) == ("7", "750")
    assert (table["D"]["payback_months"], table["D"]["payback"]) == ("8", "projected")
    assert (table["A"]["payback_months"], table["A"]["payback"]) == ("3", "measured")
    records = json.loads(runner.invoke(app, [*args, "--format", "json"]).output)
    assert {(r["campaign"], r["payback_months"], r["payback"]) for r in records} == {
        ("A", 3, "measured"), ("D", 8, "projected")}
    view = runner.invoke(app, args).output
    assert next(x for x in view.splitlines() if x.startswith("D ")).split()[-2:] == [
        "8", "mo*"]
    if method != "chain_ladder":  # won stays won: never projected below the 750 won
        assert float(table["D"]["projected_return"]) >= 750


def test_compare_refuses_an_export_made_with_another_period(tmp_path):
    before = tmp_path / "before.json"
    made = runner.invoke(app, ["project", "--as-of", "2024-10-01", "--period", "quarter",
                               "--format", "json", "--output", str(before)])
    assert made.exit_code == 0, made.output
    # the export records it: each record's period, 2023-Q1 ...
    assert json.loads(before.read_text())[0]["period"] == "2023-Q1"
    for extra, now in (([], "without --period"), (["--period", "month"],
                                                  "with --period month")):
        result = runner.invoke(app, ["project", "--compare", str(before), *extra])
        assert result.exit_code == 2
        assert result.stderr == ("Error: --compare: the earlier export was made with --period "
                                 f"quarter, this run {now}: its cohorts are not this run's\n")
    same = runner.invoke(app, ["project", "--compare", str(before), "--period", "quarter",
                               "--format", "csv"])
    assert same.exit_code == 0 and any(r["change"] for r in rows(same.output).values())


def test_compare_refuses_an_export_without_a_cohort_of_this_run(tmp_path):
    # an export that records no period (made before exports carried it) of quarter cohorts:
    # not one of its campaigns is a campaign of this run
    record = {"campaign": "2024-09 Paid Search Demo days 2024-Q3", "age_months": 0,
              "target_months": 12, "measured_cost": 30538.94, "measured_return": 0.0,
              "projected_cost": 30538.94, "projected_roi": 1.5, "status": "projected"}
    before = tmp_path / "before.json"
    before.write_text(json.dumps([record]))
    result = runner.invoke(app, ["project", "--compare", str(before)])
    assert result.exit_code == 2
    assert result.stderr == ("Error: --compare: the earlier export has none of this run's 31 "
                             "campaigns (was it made from other data, or with another "
                             "--period?)\n")


def test_compare_with_its_own_export_changes_nothing(tmp_path):
    # the export holds ROI to 6 significant digits (1.96536 for 1.9653627...): the run now
    # is taken to the same precision before the subtraction, so nothing moved is 0, exactly
    before = tmp_path / "same.json"
    runner.invoke(app, ["project", "--format", "json", "--output", str(before)])
    table = rows(runner.invoke(app, ["project", "--compare", str(before), "--format",
                                     "csv"]).output)
    compared = [r for r in table.values() if r["previous_roi"]]
    assert len(compared) == 30  # every paid campaign; (unattributed) and the unpaid have none
    assert {(r["change"], r["new_closes"], r["factors"]) for r in compared} == {("0", "0", "0")}
    assert all(r["previous_roi"] == r["projected_roi"] for r in compared)


def test_compare_takes_an_older_export_that_records_no_period(tmp_path):
    # review 13: an export made with --period quarter before exports carried the period was
    # refused as "made without --period"; it shares every cohort, so it compares (change 0:
    # it is this very run), and a period column holding something else is refused by name
    made = runner.invoke(app, ["project", "--period", "quarter", "--format", "json"])
    records = json.loads(made.output)
    older = tmp_path / "older.json"
    older.write_text(json.dumps([{k: v for k, v in r.items() if k != "period"}
                                 for r in records]))
    same = runner.invoke(app, ["project", "--period", "quarter", "--compare", str(older),
                               "--format", "csv"])
    assert same.exit_code == 0, same.stderr
    changes = [r["change"] for r in rows(same.output).values() if r["change"] != ""]
    assert changes and all(float(c) == 0 for c in changes)
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps([{**r, "period": "2023-q1"} for r in records]))
    refused = runner.invoke(app, ["project", "--period", "quarter", "--compare", str(odd)])
    assert refused.exit_code == 2
    assert refused.stderr == ("Error: --compare: the earlier export's period column holds "
                              "'2023-q1': neither a month (2024-03) nor a quarter (2024-Q1)\n")


def test_compare_refuses_mixed_periods_and_period_less_launch_months(tmp_path):
    # review 14: a period column mixing quarters and months crashed (IndexError, exit 1);
    # by launch month an export that records no period cannot be told from this run's
    made = json.loads(runner.invoke(app, ["project", "--period", "quarter", "--format",
                                          "json"]).output)
    mixed = tmp_path / "mixed.json"
    mixed.write_text(json.dumps([{**r, "period": "2023-03" if i == 0 else r["period"]}
                                 for i, r in enumerate(made)]))
    result = runner.invoke(app, ["project", "--period", "quarter", "--compare", str(mixed)])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "mixes quarters ('2023-Q1') and months ('2023-03')" in result.stderr
    months = json.loads(runner.invoke(app, ["project", "--cohort", "month", "--period", "month",
                                            "--format", "json"]).output)
    older = tmp_path / "older.json"
    older.write_text(json.dumps([{k: v for k, v in r.items() if k != "period"} for r in months]))
    refused = runner.invoke(app, ["project", "--cohort", "month", "--period", "month",
                                  "--compare", str(older)])
    assert refused.exit_code == 2 and "records no --period" in refused.stderr


def test_names_with_brackets_are_text_not_markup(write):
    # review 14: a campaign named '[/]' made the table view fail (rich MarkupError, exit 1);
    # '[link=http://x]ev' printed as 'ev'
    spend = write("s.csv", "campaign,date,amount,channel\n[/],2024-01-01,100,[link=http://x]ev\n")
    deals = write("d.csv", "deal_id,close_date,amount,campaign\nD1,2024-03-01,300,[/]\n")
    for command in (["report", "--by", "campaign"], ["report", "--by", "channel"], ["project"]):
        result = runner.invoke(app, [*command, "--spend", str(spend), "--deals", str(deals)])
        assert result.exit_code == 0, result.output
        assert ("[/]" if "channel" not in command else "[link=http://x]ev") in result.output
