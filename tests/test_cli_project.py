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
