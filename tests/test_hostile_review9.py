"""Review 9: blank cells, priors, duplicate ids, stage labels, Parquet types, huge amounts and
rejected values as written."""

import csv
import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from roiclock.cli import app

runner = CliRunner()
SPEND = "campaign,date,amount\nA,2024-01-01,100\n"
HEAD = "deal_id,campaign,stage,created_date,close_date,amount\n"


def run(tmp_path, *args, spend=SPEND, deals=None, config=None):
    paths = []
    for option, name, content in (("--spend", "spend.csv", spend),
                                  ("--deals", "deals.csv", deals),
                                  ("--config", "c.yaml", config)):
        if content is None:
            continue
        path = tmp_path / name
        if not isinstance(content, str):  # a pyarrow table: written as Parquet
            path = tmp_path / name.replace(".csv", ".parquet")
            pq.write_table(content, path)
        else:
            path.write_text(content)
        paths += [option, str(path)]
    return runner.invoke(app, [*args, *paths])


def one_line(result):
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.output
    return result.stderr


def rejects(tmp_path, *args, **files):
    out = tmp_path / "rejects.csv"
    result = run(tmp_path, "validate", "--rejects", str(out), *args, **files)
    return result, list(csv.DictReader(io.StringIO(out.read_text())))


# A: blank text in a number column is an empty cell, as a null is

@pytest.mark.parametrize("blank", ["", " ", "   "])
def test_blank_amount_of_open_and_lost_deals_is_empty(tmp_path, blank):
    deals = (HEAD + "D1,A,won,2024-01-10,2024-03-01,3000\n"
             f'D2,A,lost,2024-02-05,2024-05-01,"{blank}"\nD3,A,open,2024-03-01,,"{blank}"\n')
    result = run(tmp_path, "validate", "--strict", deals=deals)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("blank", ["", " "])
def test_blank_amount_in_parquet_text(tmp_path, blank):
    table = pa.table({"deal_id": ["D1", "D2", "D3"], "campaign": ["A"] * 3,
                      "stage": ["won", "lost", "won"],
                      "close_date": ["2024-03-01", "2024-05-01", "2024-04-01"],
                      "amount": ["3000", blank, blank]})
    result, rows = rejects(tmp_path, deals=table)
    # the lost deal may leave it empty; the won deal is rejected as an empty value, as a null
    assert [(r["row"], r["column"], r["reason"]) for r in rows] == [
        ("3", "amount", "empty value")]
    assert "not a finite number" not in result.output


def test_blank_spend_amount_and_margin_are_empty(tmp_path):
    spend = 'campaign,date,amount\nA,2024-01-01,100\nA,2024-01-02," "\n'
    deals = "deal_id,close_date,amount,stage,margin\nD1,2024-03-01,5,won,0.5\nD2,,,open,\" \"\n"
    result, rows = rejects(tmp_path, spend=spend, deals=deals)
    assert [(r["kind"], r["reason"]) for r in rows] == [("spend", "empty value")]
    assert rows[0]["message"] == "empty amount"


# F: digits too many for a float are implausibly large, not "not a finite number"

def test_overflowing_digits_are_implausibly_large(tmp_path):
    deals = HEAD + "D1,A,won,2024-01-10,2024-03-01," + "9" * 400 + "\n"
    result, rows = rejects(tmp_path, deals=deals)
    assert rows[0]["reason"] == "bad amount"
    assert rows[0]["message"] == ("amount " + "9" * 40 + "… (400 characters) is implausibly "
                                  "large (over 1e+12)")
    assert rows[0]["value"] == "9" * 400


def test_infinity_stored_as_a_number_is_not_finite(tmp_path):
    table = pa.table({"deal_id": ["D1"], "close_date": ["2024-03-01"],
                      "amount": [float("inf")]})
    result, rows = rejects(tmp_path, deals=table)
    assert rows[0]["message"] == "'inf' is not a finite number"
