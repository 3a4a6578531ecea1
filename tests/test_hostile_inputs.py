"""Hostile input files, second round (issue 12): nothing lost, nothing guessed.

Every case has its files inline. A refused file is exit 2 with one line on stderr naming the
file, the physical line and the column; a file read with a change worth saying gets a counted
note; nothing is silently read another way.
"""

import csv
import io
import json

import pytest
from typer.testing import CliRunner

import roiclock
from roiclock.cli import app

runner = CliRunner()
SPEND = "campaign,date,amount\nA,2024-01-01,100\n"
DEALS = "deal_id,close_date,amount,campaign\nD1,2024-03-01,500,A\n"


def invoke(tmp_path, *args, spend=SPEND, deals=DEALS, touches=None, config=None):
    files = []
    for option, name, content in (("--spend", "spend.csv", spend), ("--deals", "deals.csv", deals),
                                  ("--touches", "touches.csv", touches),
                                  ("--config", "c.yaml", config)):
        if content is None:
            continue
        path = tmp_path / name
        (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
        files += [option, str(path)]
    return runner.invoke(app, [*args, *files])


def one_line(result):
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.output
    return result.stderr


# (name, files, expected line on stderr): each is refused with exit 2
REFUSED = [
    ("unclosed quote swallows the next row",
     dict(deals='deal_id,close_date,amount,campaign\nD1,2024-03-01,500,"A\nD2,2024-05-01,300,B\n'),
     "deals.csv, line 2, column 'campaign': a value runs from line 2 to line 3 (a quote left "
     "open?)"),
    ("quote closed by the next row's quote: a row swallowed",
     dict(deals='deal_id,close_date,amount,notes\nD1,2024-03-01,5,"x\nD2,2024-05-01,3,"y"\n'),
     "deals.csv, line 2: a quote opened on this line seems to swallow the rows up to line 3"),
    ("quote open to the end of the file in a column not read",
     dict(deals='deal_id,close_date,amount,notes\nD1,2024-03-01,5,"x\nD2,2024-05-01,3,y\n'),
     "deals.csv, line 2: a quote opened on this line seems to swallow the rows up to line 3"),
    ("quote left open, ragged",
     dict(deals='deal_id,close_date,amount,notes\n"D1,2024-03-01,5,x\n'),
     "deals.csv, line 2: a quote opened on this line is never closed"),
    ("thousands or decimal, tab German export",
     dict(spend="campaign\tdate\tamount\nA\t2024-01-01\t12.345\n"),
     "spend.csv, column 'amount': amounts like '12.345' could use '.' as the decimal mark or "
     "as a thousands separator; set decimal: '.' or ',' in the config"),
    ("thousands or decimal, deal of 100.000",
     dict(deals="deal_id\tclose_date\tamount\nD1\t2024-03-01\t100.000\n"),
     "deals.csv, column 'amount': amounts like '100.000' could use '.'"),
    ("thousands or decimal, $1,234 in a ; file",
     dict(spend="campaign;date;amount\nA;2024-01-01;$1,234\n"),
     "spend.csv, column 'amount': amounts like '$1,234' could use ','"),
    ("duplicate header", dict(deals="deal_id,close_date,amount,amount\nD1,2024-03-01,5,6\n"),
     "deals.csv, line 1: columns 3 and 4 of the header are both 'amount' (read as amount)"),
    ("duplicate header after normalizing",
     dict(deals="deal_id,close_date,Amount,amount \nD1,2024-03-01,5,6\n"),
     "deals.csv, line 1: columns 3 and 4 of the header are both 'Amount'"),
    ("partial year", dict(deals="deal_id,close_date,amount\nD1,2024,5\n"),
     "deals.csv, line 2, column 'close_date': cannot read '2024' as a date"),
    ("partial month", dict(deals="deal_id,close_date,amount\nD1,2024-07,5\n"),
     "deals.csv, line 2, column 'close_date': cannot read '2024-07' as a date"),
    ("impossible date", dict(deals="deal_id,close_date,amount\nD1,2024-02-30,5\n"),
     "deals.csv, line 2, column 'close_date': cannot read '2024-02-30' as a date"),
    ("percent as spend", dict(spend="campaign,date,amount\nA,2024-01-01,50%\n"),
     "spend.csv, line 2, column 'amount': cannot read '50%' as an amount (a percentage)"),
    ("bad thousands grouping", dict(spend='campaign,date,amount\nA,2024-01-01,"1,5.25"\n'),
     "spend.csv, line 2, column 'amount': cannot read '1,5.25' as an amount"),
    ("1 MB of digits", dict(deals="deal_id,close_date,amount\nD1,2024-03-01," + "9" * 10**6
                            + "\n"),
     "deals.csv, line 2, column 'amount': amount 9999999999999999999999999999999999999999… "
     "(1,000,000 characters) is implausibly large (over 1e+12)"),
    ("bad date after blank lines and a value over two lines",
     dict(deals='deal_id,close_date,amount,notes\n\nD1,2024-03-01,5,"two\nlines"\n\n'
                'D2,2024-13-01,5,x\n'),
     "deals.csv, line 6, column 'close_date': cannot read '2024-13-01' as a date"),
    ("NUL byte after 64 KB", dict(spend=SPEND.encode() + b"A,2024-01-02,1\n" * 5000
                                  + b"A,2024-01-0\x002,1\n"),
     "spend.csv, line 5003: not a text file (binary content)"),
    ("UTF-8 and cp1252 mixed", dict(spend="campaign,date,amount\nCafé,2024-01-01,1\n".encode()
                                    + b"Cr\xe8me,2024-01-01,1\n"),
     "spend.csv, line 3: mixes UTF-8 and another encoding"),
    ("neither UTF-8 nor cp1252", dict(spend=b"campaign,date,amount\nA\x81\xe9,2024-01-01,1\n"),
     "spend.csv, line 2: neither UTF-8 nor Windows-1252 text"),
    ("blank first line", dict(spend="\n" + SPEND), "spend.csv, line 1: the first line is blank"),
    ("header over two lines", dict(spend='"camp\naign",date,amount\nA,2024-01-01,1\n'),
     "spend.csv, line 1: the header runs over several lines"),
    ("column mapped twice", dict(config="columns: {spend: {campaign: Name, channel: Name}}\n",
                                 spend="Name,date,amount\nA,2024-01-01,1\n"),
     "spend.csv, line 1: column 'Name' is mapped to both campaign and channel"),
    ("empty --spend", dict(spend=None), "--spend: the path is empty"),
]


@pytest.mark.parametrize("name,files,expected", REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_with_one_line(tmp_path, name, files, expected):
    if name == "empty --spend":
        result = runner.invoke(app, ["report", "--spend", "", "--deals",
                                     str(tmp_path / "d.csv")])
    else:
        result = invoke(tmp_path, "report", **files)
    assert result.exit_code == 2, result.output
    assert expected in one_line(result)


@pytest.mark.parametrize("files,extra,expected_cost", [
    (dict(spend="campaign\tdate\tamount\nA\t2024-01-01\t12.345\n"), ["decimal: ','"], 12345.0),
    (dict(spend="campaign\tdate\tamount\nA\t2024-01-01\t12.345\n"), ["decimal: '.'"], 12.345),
    (dict(spend="campaign;date;amount\nA;2024-01-01;$1,234\n"), ["decimal: '.'"], 1234.0),
    (dict(spend="campaign;date;amount\nA;2024-01-01;1.234.567\n"), [], 1234567.0),
    (dict(spend='campaign,date,amount\nA,2024-01-01,"1,234,567"\n'), [], 1234567.0),
    (dict(spend="campaign,date,amount\nA,2024-01-01,12.345\nA,2024-01-02,1.5\n"), [], 13.845),
    (dict(spend='campaign,date,amount\nA,2024-01-01,"₹1,23,456.00"\n'), [], 123456.0),
])
def test_decimal_mark_decided_or_set(tmp_path, files, extra, expected_cost):
    result = invoke(tmp_path, "report", "--format", "json", "--windows", "1", "--as-of",
                    "2024-06-01", config="\n".join(extra) + "\n" if extra else None, **files)
    assert result.exit_code == 0, result.output
    # exports carry cents: 12.345 reads as 12.345 and is written as 12.35 (13.845: 13.85)
    assert json.loads(result.stdout)[0]["cost"] == pytest.approx(round(expected_cost, 2))


@pytest.mark.parametrize("cell,expected", [
    ("2024-03-01T23:30-08:00", "2024-03-01"),  # local date as written, not UTC's 03-02
    ("2024-03-01T23:30:00+05:30", "2024-03-01"),
    ("2024-03-01 10:00", "2024-03-01"),
    ("2024-03-01T00:30Z", "2024-03-01"),
])
def test_time_zones_keep_the_written_date(write, cell, expected):
    spend = write("spend.csv", SPEND)
    deals = write("deals.csv", f"deal_id,close_date,amount\nD1,{cell},5\nD2,2024-03-05,1\n")
    inputs = roiclock.load(spend, deals)
    assert f"{inputs.deals['close_date'].iloc[0]:%Y-%m-%d}" == expected


def test_lookalike_campaigns_are_one_with_a_note(tmp_path):
    spend = "campaign,date,amount\nCaf\u00e9,2024-01-01,100\n"
    deals = ("deal_id,close_date,amount,campaign\nD1,2024-03-01,500,Cafe\u0301\n"
             "D2,2024-03-02,5,\ufeffCaf\u00e9\u200b\nD3,2024-03-03,5,Caf\u00e9\u00a0\n")
    result = invoke(tmp_path, "report", "--format", "csv", "--windows", "3", "--as-of",
                    "2024-06-01", "--data-through", "2024-05-31", spend=spend, deals=deals)
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["campaign"] for r in rows] == ["Café"] and float(rows[0]["return"]) == 510
    assert one_line(result).startswith("Note: ") and "2 values of 'campaign' normalized" in \
        result.stderr and "first at line 2" in result.stderr
    quiet = invoke(tmp_path, "report", "--format", "csv", "--quiet", spend=spend, deals=deals)
    assert quiet.stderr == ""


def test_zero_width_deal_ids_are_duplicates(tmp_path):
    deals = "deal_id,close_date,amount\nD1,2024-03-01,5\nD1\u200b,2024-03-02,7\n"
    result = invoke(tmp_path, "validate", "--format", "json", "--quiet", deals=deals)
    assert result.exit_code == 0
    assert json.loads(result.stdout)[1]["rejected"] == 1


def test_cp1252_accent_after_64_kb(tmp_path):
    spend = (SPEND.encode() + b"A,2024-01-02,1\n" * 6000 + "Café,2024-01-03,7\n".encode("cp1252"))
    result = invoke(tmp_path, "report", "--format", "csv", "--windows", "1", "--as-of",
                    "2024-06-01", spend=spend)
    assert result.exit_code == 0, result.output
    assert "Café,1," in result.stdout


def test_value_over_lines_in_an_unread_column_is_counted(tmp_path):
    # a note may hold commas on a line of its own: it is not mistaken for a swallowed row
    deals = ('deal_id,close_date,amount,notes\nD1,2024-03-01,500,"first\nParis, France, EU, 75"\n'
             'D2,2024-03-01,5,x\n')
    result = invoke(tmp_path, "validate", "--format", "json", deals=deals)
    assert result.exit_code == 0
    assert json.loads(result.stdout)[1]["read"] == 2
    assert "Note: " in result.stderr and "1 row holds a value running over several lines" \
        in result.stderr and "first at line 2" in one_line(result)


def test_empty_currency_counted_and_blocking_when_strict(tmp_path):
    spend = "campaign,date,amount,currency\nA,2024-01-01,100,EUR\nA,2024-01-02,50,\n"
    lenient = invoke(tmp_path, "report", "--format", "json", "--windows", "1", "--as-of",
                     "2024-06-01", "--data-through", "2024-05-31", spend=spend)
    assert lenient.exit_code == 0
    assert json.loads(lenient.stdout)[0]["cost"] == 100  # never taken as the base currency
    assert "1 empty currency" in one_line(lenient)
    strict = invoke(tmp_path, "report", "--strict", spend=spend)
    assert strict.exit_code == 2
    assert "spend.csv, line 3, column 'currency': empty currency" in one_line(strict)
    # a currency column left empty everywhere names no currency: nothing to reject
    blank = invoke(tmp_path, "report", "--strict", "--format", "csv",
                   spend="campaign,date,amount,currency\nA,2024-01-01,100,\n")
    assert blank.exit_code == 0


@pytest.mark.parametrize("kind,column", [
    ("struct", "deal_id"), ("binary", "deal_id"), ("list", "amount"),
])
def test_parquet_column_types(tmp_path, kind, column):
    import pyarrow as pa
    import pyarrow.parquet as pq
    values = {"struct": pa.array([{"a": 1}]), "binary": pa.array([b"\x00\xff"], pa.binary()),
              "list": pa.array([[1.0]])}[kind]
    table = {"deal_id": pa.array(["D1"]), "close_date": pa.array(["2024-03-01"]),
             "amount": pa.array([5.0])}
    table[column] = values
    pq.write_table(pa.table(table), tmp_path / "deals.parquet")
    (tmp_path / "spend.csv").write_text(SPEND)
    result = runner.invoke(app, ["report", "--spend", str(tmp_path / "spend.csv"), "--deals",
                                 str(tmp_path / "deals.parquet")])
    assert result.exit_code == 2
    assert f"deals.parquet, column '{column}': the column holds" in one_line(result)


def test_parquet_rows_are_numbered_not_lined(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    pq.write_table(pa.table({"deal_id": ["D1", "D2"], "close_date": ["2024-03-01", "soon"],
                             "amount": [5.0, 6.0]}), tmp_path / "deals.parquet")
    (tmp_path / "spend.csv").write_text(SPEND)
    result = runner.invoke(app, ["report", "--spend", str(tmp_path / "spend.csv"), "--deals",
                                 str(tmp_path / "deals.parquet")])
    assert "deals.parquet, row 2, column 'close_date'" in one_line(result)


def test_header_of_100k_columns(tmp_path):
    names = [f"c{i}" for i in range(100_000)]
    deals = (",".join([*names, "deal_id", "close_date", "amount"]) + "\n"
             + ",".join(["x"] * 100_000 + ["D1", "2024-03-01", "5"]) + "\n")
    result = invoke(tmp_path, "report", "--format", "csv", "--quiet", deals=deals)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("cells,expected", [
    (["1e3", "5"], [1000.0, 5.0]),  # plain numbers, read by pyarrow
    (["1e3", "$5"], [1000.0, 5.0]),  # the slow path reads the same cells the same way
])
def test_exponents_read_alike_on_both_paths(write, cells, expected):
    spend = write("spend.csv", "campaign,date,amount\n" + "".join(
        f'A,2024-01-0{i + 1},"{c}"\n' for i, c in enumerate(cells)))
    inputs = roiclock.load(spend, write("deals.csv", DEALS))
    assert inputs.spend["amount"].tolist() == expected


def test_unreadable_input_is_exit_2(tmp_path, monkeypatch):
    from pathlib import Path
    real = Path.open

    def deny(self, *args, **kwargs):
        if self.name == "deals.csv":
            raise PermissionError(13, "Permission denied")
        return real(self, *args, **kwargs)

    (tmp_path / "spend.csv").write_text(SPEND)
    (tmp_path / "deals.csv").write_text(DEALS)
    monkeypatch.setattr(Path, "open", deny)
    result = runner.invoke(app, ["report", "--spend", str(tmp_path / "spend.csv"), "--deals",
                                 str(tmp_path / "deals.csv")])
    assert result.exit_code == 2
    assert "deals.csv: cannot read: Permission denied" in one_line(result)
