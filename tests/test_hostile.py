"""Hostile input: every case gives one line naming file (row, column) and exit 2."""

import pytest
from typer.testing import CliRunner

from roiclock.cli import app

runner = CliRunner()
SPEND = "campaign,date,amount\nA,2024-01-01,100\n"
DEALS = "deal_id,close_date,amount\nD1,2024-03-01,10\n"


def run_with(tmp_path, spend=SPEND, deals=DEALS, *extra):
    files = {}
    for name, content in (("spend.csv", spend), ("deals.csv", deals)):
        path = tmp_path / name
        (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
        files[name] = path
    return runner.invoke(app, ["report", "--spend", str(files["spend.csv"]), "--deals",
                               str(files["deals.csv"]), *extra])


CASES = [
    ("empty file", dict(deals=""), "deals.csv: the file is empty"),
    ("header only", dict(deals="deal_id,close_date,amount\n"),
     "deals.csv, line 2: no data rows (the file has only a header)"),
    ("one column", dict(deals="deal_id\nD1\n"), "deals.csv: missing column 'close_date'"),
    ("binary", dict(spend=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"),
     "spend.csv, line 3: not a text file (binary content)"),
    ("huge amount", dict(deals="deal_id,close_date,amount\nD1,2024-03-01,1e300\n"),
     "deals.csv, line 2, column 'amount': amount 1e300 is implausibly large"),
    ("NaN amount", dict(spend="campaign,date,amount\nA,2024-01-01,NaN\n"),
     "spend.csv, line 2, column 'amount': cannot read 'NaN' as an amount"),
    ("inf amount", dict(deals="deal_id,close_date,amount\nD1,2024-03-01,inf\n"),
     "deals.csv, line 2, column 'amount': cannot read 'inf' as an amount"),
    ("text amount", dict(deals="deal_id,close_date,amount\nD1,2024-03-01,ten\n"),
     "deals.csv, line 2, column 'amount': cannot read 'ten' as an amount"),
    ("date in 1900", dict(spend="campaign,date,amount\nA,1900-01-01,5\n"),
     "spend.csv, line 2, column 'date': date 1900-01-01 is out of range"),
    ("date in 2200", dict(deals="deal_id,close_date,amount\nD1,2200-01-01,5\n"),
     "deals.csv, line 2, column 'close_date': date 2200-01-01 is out of range"),
    ("bad date", dict(deals="deal_id,close_date,amount\nD1,yesterday,5\n"),
     "deals.csv, line 2, column 'close_date': cannot read 'yesterday' as a date"),
    ("unknown stage", dict(deals="deal_id,close_date,amount,stage\nD1,2024-03-01,5,maybe\n"),
     "deals.csv, line 2, column 'stage': unknown stage 'maybe'"),
    ("ragged rows", dict(deals="deal_id,close_date,amount\nD1,2024-03-01,5,extra,cells\n"),
     "deals.csv, line 2: 5 values where the header has 3 columns"),
    ("utf-16", dict(deals="deal_id,close_date,amount\n".encode("utf-16")),
     "deals.csv, line 1: not a text file"),
]


@pytest.mark.parametrize("name,files,expected", CASES, ids=[c[0] for c in CASES])
def test_hostile_input(tmp_path, name, files, expected):
    result = run_with(tmp_path, **files)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("deals,expected", [
    (DEALS + "D1,2024-03-02,3\n", "line 3, column 'deal_id': duplicate deal_id 'D1'"),
    (DEALS + "D2,2024-03-02,\n", "line 3, column 'amount': empty amount for a won deal"),
])
def test_rejections_pass_unless_strict(tmp_path, deals, expected):
    lenient = run_with(tmp_path, SPEND, deals)
    assert lenient.exit_code == 0
    assert lenient.stderr.startswith("Warning: 1 row rejected")
    strict = run_with(tmp_path, SPEND, deals, "--strict")
    assert strict.exit_code == 2 and expected in strict.stderr


def test_strict_passes_clean_data_with_future_open_deals(tmp_path):
    deals = "deal_id,close_date,amount,stage\nD1,2024-03-01,10,won\nD2,2030-01-01,50,open\n"
    result = run_with(tmp_path, SPEND, deals, "--strict")
    assert result.exit_code == 0 and result.stderr == ""
