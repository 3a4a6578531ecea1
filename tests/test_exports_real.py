"""Small realistic CRM exports (tests/data): presets, encodings, delimiters, formats."""

import pytest
from conftest import DATA, REALDATA

import roiclock

SF, FR, DE = DATA / "salesforce", DATA / "hubspot_fr", DATA / "german"


def cells(table, campaign, months):
    row = table[(table["campaign"] == campaign) & (table["window_months"] == months)].iloc[0]
    return row["cost"], row["return"], row["roi"]


def test_salesforce_export_with_preset():
    # UTF-8 with BOM, US dates (4/30/2024 shows month first), "$12,500.50" amounts, stages
    # "Closed Won" / "Closed Lost" / anything else open. Linear over influence touches:
    # 006A000001 (20,000, closed 4/30): Q1 Webinar and Spring Trade Show 10,000 each.
    r = roiclock.run_report(SF / "campaigns.csv", SF / "opportunities.csv",
                            SF / "influence.csv", preset="salesforce", windows=[3, 6])
    # as-of: the day after the last close of a won/lost deal (6/15/2024)
    assert f"{r.as_of:%Y-%m-%d}" == "2024-06-16"
    # Q1 Webinar, 3 months (to 2024-04-15): cost 5,000, no deal closed yet: ROI -1
    assert cells(r.table, "Q1 Webinar", 3) == (5000.0, 0.0, -1.0)
    # Spring Trade Show, 3 months (to 2024-06-01): 10,000 from 006A000001;
    # ROI (10,000 - 12,500.50) / 12,500.50
    assert cells(r.table, "Spring Trade Show", 3) == pytest.approx(
        (12500.5, 10000.0, (10000 - 12500.5) / 12500.5))
    stages = r.inputs.deals.set_index("deal_id")["stage"].to_dict()
    assert stages == {"006A000001": "won", "006A000002": "lost", "006A000003": "open",
                      "006A000004": "won"}


def test_french_hubspot_export():
    # cp1252, ';', "1 234,56 €", day-first dates, French stage labels mapped in the config.
    r = roiclock.run_report(FR / "campaigns.csv", FR / "deals.csv", config=FR / "roiclock.yaml")
    assert cells(r.table, "Séminaire Lyon", 1) == (1234.56, 0.0, -1.0)
    # Webinaire IA, 1 month (to 2024-03-01): deal 104, 3 500,50 closed 28/02: ROI 1500.5/2000
    assert cells(r.table, "Webinaire IA", 1) == pytest.approx((2000.0, 3500.5, 0.75025))
    assert r.inputs.deals["stage"].tolist() == ["won", "lost", "open", "won"]


def test_german_tab_separated_two_currencies():
    # tab, "12.345,67", dd.mm.yyyy, USD converted at 0.9 EUR
    r = roiclock.run_report(DE / "spend.csv", DE / "deals.csv", config=DE / "roiclock.yaml",
                            as_of="2024-04-01", data_through="2024-03-31")
    # Messe Berlin (EUR), 2 months: return 12,345.67, cost 1,500: ROI 10,845.67 / 1,500
    assert cells(r.table, "Messe Berlin", 2) == pytest.approx((1500, 12345.67, 10845.67 / 1500))
    # US Webinar: spend 2,000 USD = 1,800 EUR; deal 1,000 USD = 900 EUR: ROI -0.5
    assert cells(r.table, "US Webinar", 2) == pytest.approx((1800.0, 900.0, -0.5))


def test_mixed_currencies_without_rates_is_an_error(write):
    spend = write("spend.csv", "campaign,date,amount,currency\nA,2024-01-01,100,EUR\n")
    deals = write("deals.csv", "deal_id,close_date,amount,currency\nD1,2024-02-01,10,USD\n")
    with pytest.raises(roiclock.InputError, match="several currencies .EUR, USD. and no rates"):
        roiclock.run_report(spend, deals)


def test_currency_without_rate_blocks(write):
    spend = write("spend.csv", "campaign,date,amount,currency\nA,2024-01-01,100,EUR\n")
    deals = write("deals.csv", "deal_id,close_date,amount,currency\nD1,2024-02-01,10,JPY\n")
    with pytest.raises(roiclock.InputError, match="line 2, column 'currency': no rate for "
                                                  "currency 'JPY'"):
        roiclock.run_report(spend, deals, currency={"base": "EUR", "rates": {"USD": 0.9}})


@pytest.mark.parametrize("text,dayfirst,expected", [
    ("03/04/2024\n13/04/2024\n", None, "2024-04-03"),
    ("03/04/2024\n04/13/2024\n", None, "2024-03-04"),
    ("03/04/2024\n", True, "2024-04-03"),
    ("03/04/2024\n", False, "2024-03-04"),
])
def test_day_first_dates(write, text, dayfirst, expected):
    spend = write("spend.csv", "campaign,date,amount\n" + "".join(
        f"A,{d},1\n" for d in text.split()))
    deals = write("deals.csv", "deal_id,close_date,amount\nD1,2024-06-01,1\n")
    inputs = roiclock.load(spend, deals, settings=roiclock.load_settings(dayfirst=dayfirst))
    assert f"{inputs.spend['date'].iloc[0]:%Y-%m-%d}" == expected


def test_ambiguous_dates_are_an_error(write):
    spend = write("spend.csv", "campaign,date,amount\nA,03/04/2024,1\nA,05/06/2024,1\n")
    deals = write("deals.csv", "deal_id,close_date,amount\nD1,2024-06-01,1\n")
    with pytest.raises(roiclock.InputError, match="column 'date': dates like '03/04/2024' "
                                                  "could be day/month or month/day"):
        roiclock.load(spend, deals)


@pytest.mark.parametrize("amount,expected", [
    ('"$1,234.56"', 1234.56), ('"1 234,56 €"', 1234.56), ("(120.00)", -120.0),
    ('"1.234,56"', 1234.56), ("1234", 1234.0), ('"£2,000.00"', 2000.0), ("7.5", 7.5),
])
def test_amount_forms(write, amount, expected):
    deals = write("deals.csv", f"deal_id,close_date,amount,stage\nD1,2024-06-01,{amount},lost\n")
    spend = write("spend.csv", "campaign,date,amount\nA,2024-01-01,1\n")
    assert roiclock.load(spend, deals).deals["amount"].iloc[0] == expected


def test_parquet_inputs(tmp_path):
    import pandas as pd
    paths = roiclock.sample_paths()
    for name in ("spend", "deals", "touches"):
        pd.read_csv(paths[name]).to_parquet(tmp_path / f"{name}.parquet")
    from_parquet = roiclock.run_report(*(tmp_path / f"{n}.parquet"
                                         for n in ("spend", "deals", "touches")))
    assert from_parquet.table.equals(roiclock.run_report().table)


PIPELINE = REALDATA / "maven-crm" / "sales_pipeline.csv"


@pytest.mark.skipif(not PIPELINE.is_file(), reason=f"real CRM export not found at {PIPELINE}")
def test_maven_export_with_stage_mapping(write):
    # Maven's open stages (Engaging, Prospecting) mapped to open; products as campaigns.
    spend = write("spend.csv", "campaign,date,amount\nGTXPro,2016-10-20,100000\n")
    r = roiclock.run_lag(spend, PIPELINE, columns={"deals": {
        "deal_id": "opportunity_id", "stage": "deal_stage", "amount": "close_value",
        "campaign": "product", "created_date": "engage_date"}},
        stages={"open": ["Engaging", "Prospecting"]}, start="created", months=[1, 3, 6])
    acc = r.inputs.accounting.set_index("kind").loc["deals"]
    assert acc["read"] == 8800 and acc["read"] == acc["used"] + acc["rejected"] + acc[
        "after_as_of"]
    row = r.table.iloc[2]
    # 500 deals have no engage date: they have no start; counted apart, under the table
    assert row["deals"] == 8300 and row["won"] + row["lost"] + row["censored"] == 8300
    apart = r.table.iloc[-1]
    assert (apart["portfolio"], apart["deals"]) == ("(no start: no created date)", 500)
    # the export covers ~14 months: short of the default 24-month horizon, the share of
    # eventual wins is unknown (win probabilities are known); at a 12-month horizon it is
    assert r.table["share_of_wins"].iloc[:3].isna().all()
    assert r.table["win_probability"].iloc[:3].between(0, 1).all()
    twelve = roiclock.run_lag(spend, PIPELINE, columns={"deals": {
        "deal_id": "opportunity_id", "stage": "deal_stage", "amount": "close_value",
        "campaign": "product", "created_date": "engage_date"}},
        stages={"open": ["Engaging", "Prospecting"]}, start="created", months=[1, 3, 6],
        horizon_months=12)
    share = twelve.table["share_of_wins"].iloc[:3]
    assert 0 < share.iloc[0] < share.iloc[-1] <= 1
