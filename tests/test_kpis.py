import numpy as np
import pytest

import roiclock


def test_leading_indicators(write):
    spend = write("spend.csv", "campaign,date,amount\nA,2024-01-01,100\n")
    deals = write("deals.csv", """deal_id,stage,created_date,close_date,amount,campaign
D1,won,2024-01-10,2024-02-10,50,A
D2,lost,2024-01-20,2024-03-15,30,A
D3,open,2024-02-20,,40,A
""")
    r = roiclock.run_report(spend, deals, windows=[1, 3], as_of="2024-06-01",
                            data_through="2024-05-31")
    t = r.table.set_index("window_months")
    # 1 month (end 2024-02-01): D1, D2 created: 2 opportunities, pipeline 50 + 30 = 80,
    # nothing closed yet (win rate unknown), cost per opportunity 100 / 2 = 50
    assert t.loc[1, ["opportunities", "pipeline", "won_deals", "lost_deals"]].tolist() == [
        2, 80, 0, 0]
    assert np.isnan(t.loc[1, "win_rate"]) and t.loc[1, "cost_per_opportunity"] == 50
    # 3 months (end 2024-04-01): 3 opportunities, pipeline 120, 1 won, 1 lost: win rate 1/2,
    # cost per opportunity 100 / 3
    assert t.loc[3, ["opportunities", "pipeline", "won_deals", "lost_deals"]].tolist() == [
        3, 120, 1, 1]
    assert t.loc[3, "win_rate"] == 0.5
    assert t.loc[3, "cost_per_opportunity"] == pytest.approx(100 / 3)
    p = roiclock.run_report(spend, deals, windows=[1, 3], as_of="2024-06-01",
                            data_through="2024-05-31",
                            by="portfolio").table
    assert p["opportunities"].tolist() == [2, 3] and p["win_rate"].iloc[1] == 0.5


def test_an_unpaid_campaign_has_no_cost_per_opportunity(write):
    from typer.testing import CliRunner

    from roiclock.cli import app

    # U spends nothing and sources D2 (created 2024-01-15): 1 opportunity, cost 0: no cost
    # per opportunity (blank, as its ROI), not 0; A: 100 / 1 = 100
    spend = write("spend.csv", "campaign,date,amount\nA,2024-01-01,100\n")
    deals = write("deals.csv", """deal_id,stage,created_date,close_date,amount,campaign
D1,won,2024-01-10,2024-02-10,50,A
D2,won,2024-01-15,2024-02-15,70,U
""")
    result = CliRunner().invoke(app, ["report", "--spend", str(spend), "--deals", str(deals),
                                      "--windows", "3", "--as-of", "2024-06-01",
                                      "--data-through", "2024-05-31", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = [line.split(",") for line in result.output.splitlines()]
    column = lines[0].index("cost_per_opportunity")
    cells = {line[0]: (line[lines[0].index("opportunities")], line[column])
             for line in lines[1:]}
    assert cells == {"A": ("1", "100"), "U": ("1", "")}
