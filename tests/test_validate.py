"""Input checks: one-line errors naming file, row and column; every row accounted for."""

import pandas as pd
import pytest
from conftest import inputs_from

import roiclock
from roiclock import InputError

DEALS = "deal_id,close_date,amount\nD1,2024-03-01,10\n"


def error(write, **files):
    spend = files.get("spend", "campaign,date,amount\nA,2024-01-01,100\n")
    deals = files.get("deals", DEALS)
    with pytest.raises(InputError) as info:
        raw = roiclock.read(write("spend.csv", spend), write("deals.csv", deals),
                            write("touches.csv", files["touches"]) if "touches" in files
                            else None)
        inputs = roiclock.validate(raw, roiclock.load_settings())
        problem = inputs.blocking(strict=files.get("strict", False))
        if problem:
            raise problem
    message = str(info.value)
    assert "\n" not in message
    return message


def rejected(write, **files):
    """The rejects of a run that goes on (non-blocking reasons); strict mode stops on them."""
    spend = files.get("spend", "campaign,date,amount\nA,2024-01-01,100\n")
    deals = files.get("deals", DEALS)
    raw = roiclock.read(write("spend.csv", spend), write("deals.csv", deals))
    inputs = roiclock.validate(raw, roiclock.load_settings())
    assert inputs.blocking() is None
    assert inputs.blocking(strict=True) is not None
    return inputs.rejects


def test_bad_date_names_file_row_column(write, tmp_path):
    msg = error(write, deals="deal_id,close_date,amount\nD1,2024-03-01,10\nD2,2024-13-01,5\n")
    assert msg == (f"{tmp_path / 'deals.csv'}, line 3, column 'close_date': "
                   "cannot read '2024-13-01' as a date (expected YYYY-MM-DD or DD/MM/YYYY)")


def test_bad_amount(write):
    msg = error(write, spend="campaign,date,amount\nA,2024-01-01,100\nA,2024-01-02,12abc\n")
    assert msg.endswith("spend.csv, line 3, column 'amount': cannot read '12abc' as an amount")


def test_bad_rows_are_counted(write):
    msg = error(write, spend="campaign,date,amount\nA,x,1\nA,y,2\n")
    assert "line 2, column 'date'" in msg and "(2 rows like this)" in msg


def test_missing_column(write):
    msg = error(write, deals="deal_id,amount\nD1,10\n")
    assert "deals.csv: missing column 'close_date'" in msg


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="nope.csv: file not found"):
        roiclock.load(tmp_path / "nope.csv", tmp_path / "deals.csv")


def test_negative_spend_is_rejected(write):
    r = rejected(write, spend="campaign,date,amount\nA,2024-01-01,100\nA,2024-01-02,-5\n")
    assert r[["row", "column", "reason", "message"]].values.tolist() == [
        [3, "amount", "negative spend", "negative spend -5"]]


def test_duplicate_deal_is_rejected(write):
    r = rejected(write, deals=DEALS + "D1,2024-03-02,3\n")
    assert r[["row", "reason", "message"]].values.tolist() == [
        [3, "duplicate deal_id", "duplicate deal_id 'D1' (first on line 2)"]]


def test_strict_names_the_first_rejection(write):
    msg = error(write, deals=DEALS + "D1,2024-03-02,3\n", strict=True)
    assert msg.endswith("deals.csv, line 3, column 'deal_id': duplicate deal_id 'D1' "
                        "(first on line 2)")


def test_unknown_stage(write):
    msg = error(write, deals="deal_id,close_date,amount,stage\nD1,2024-03-01,10,Closed Won\n")
    assert "column 'stage': unknown stage 'Closed Won'" in msg


def test_won_deal_needs_close_date_and_amount(write):
    r = rejected(write, deals=DEALS + "D2,2024-03-01,\nD3,,5\n")
    assert r["message"].tolist() == ["empty amount for a won deal",
                                     "empty close_date for a won deal"]


def test_open_and_lost_deals_may_be_empty(write):
    deals = "deal_id,close_date,amount,stage\nD1,2024-03-01,10,won\nD2,,,open\nD3,,,LOST\n"
    inputs, _ = inputs_from(write, deals)
    assert list(inputs.deals["stage"]) == ["won", "open", "lost"]


def test_margin_must_be_fraction(write):
    r = rejected(write, deals="deal_id,close_date,amount,margin\nD1,2024-03-01,10,0.5\n"
                              "D2,2024-03-01,10,35\nD3,2024-03-01,10,35%\n")
    assert r["message"].tolist() == ["margin 35 is not a fraction between 0 and 1"]


def test_one_channel_per_campaign(write):
    msg = error(write, spend="campaign,channel,date,amount\nA,x,2024-01-01,1\nA,y,2024-01-02,1\n")
    assert "line 3, column 'channel': campaign has more than one channel" in msg


def test_column_mapping(write):
    spend = write("spend.csv", "Campaign Name,Day,Cost\nA,2024-01-01,100\n")
    deals = write("deals.csv", "Opportunity ID,Close Date,Amount\nD1,2024-02-01,10\n")
    settings = roiclock.load_settings(columns={
        "spend": {"campaign": "Campaign Name", "date": "Day", "amount": "Cost"},
        "deals": {"deal_id": "Opportunity ID", "close_date": "Close Date"}})
    inputs = roiclock.load(spend, deals, settings=settings)
    assert inputs.spend["amount"].tolist() == [100.0]
    assert inputs.deals["deal_id"].tolist() == ["D1"]


def test_numeric_ids_match_across_files(write):
    deals = "deal_id,close_date,amount,stage\n17,2024-03-01,10,won\n18,,,open\n"
    touches = "deal_id,campaign,touch_date\n17,A,2024-02-01\n"
    inputs, s = inputs_from(write, deals, touches)
    assert roiclock.attribute(inputs, s)["campaign"].tolist() == ["A"]


def test_accounting_read_used_rejected_after(write):
    deals = ("deal_id,close_date,amount,stage\nD1,2024-03-01,10,won\n"
             "D2,2024-06-01,10,won\nD3,2024-09-01,10,open\n")
    touches = ("deal_id,campaign,touch_date\nD1,A,2024-02-01\nD9,A,2024-02-01\n"
               "D3,A,2024-07-01\n")
    inputs, _ = inputs_from(write, deals, touches, as_of=pd.Timestamp("2024-06-01"))
    acc = inputs.accounting.set_index("kind")
    # deals: D2 closes on as-of (after), D3 is open (its close date is an expectation)
    assert acc.loc["deals", ["read", "used", "rejected", "after_as_of"]].tolist() == [3, 2, 0, 1]
    # touches: D9 is unknown (rejected), D3's touch 2024-07-01 is after as-of
    assert acc.loc["touches", ["read", "used", "rejected", "after_as_of"]].tolist() == [3, 1, 1, 1]
    for _, row in acc.iterrows():
        assert row["read"] == row["used"] + row["rejected"] + row["after_as_of"]
    assert inputs.rejects[["row", "reason"]].values.tolist() == [[3, "touch for an unknown deal"]]


def test_validated_inputs_do_not_alias_the_raw_frames():
    # dates already typed are not copied by validation (0.8 GB at 100M touches), yet a write
    # into the raw frames must not reach the validated inputs, and the inputs stay writable
    import roiclock

    raw = roiclock.read()
    inputs = roiclock.validate(raw)
    first = inputs.touches.loc[0, "touch_date"]
    raw.touches.loc[0, "touch_date"] = pd.Timestamp("1999-01-01")
    raw.spend.loc[:, "date"] = pd.NaT
    assert inputs.touches.loc[0, "touch_date"] == first
    assert inputs.spend["date"].notna().all()
    inputs.spend.loc[0, "date"] = pd.Timestamp("2000-01-01")  # no read-only array behind it
    assert inputs.spend.loc[0, "date"] == pd.Timestamp("2000-01-01")


def test_touch_deal_ids_are_text_as_in_the_file():
    # the library's inputs keep deal ids as text: sorting, ordering and new values behave as
    # strings (a categorical of every deal's id would sort in file order and refuse '>')
    import roiclock

    touches = roiclock.load().touches
    assert pd.api.types.is_string_dtype(touches["deal_id"])
    assert not isinstance(touches["deal_id"].dtype, pd.CategoricalDtype)
    ids = touches["deal_id"]
    assert ids.min() == sorted(ids)[0] and (ids > "D00001").any()
