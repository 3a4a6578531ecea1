"""Privacy and agreement (issue 12).

Personal data planted in columns roiclock does not read (an e-mail, a phone number, a name)
must appear in no message, no output and no rejects file, whatever goes wrong: messages name
the file, the line, the column and at most the one offending cell. And what ``--strict``
blocks on is exactly what ``validate`` lists and ``--rejects`` writes.
"""

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from roiclock.cli import app

runner = CliRunner()
PERSONAL = ("alice@example.com", "+33 6 12 34 56 78", "Alice Martin")
EXTRA = ",".join(f'"{p}"' for p in PERSONAL)
SPEND = f"campaign,date,amount,owner,phone,name\nA,2024-01-01,100,{EXTRA}\n" \
        f"B,2024-01-05,-5,{EXTRA}\n"
DEALS = (f"deal_id,close_date,amount,campaign,stage,email,phone,contact\n"
         f"D1,2024-03-01,500,A,won,{EXTRA}\nD2,2024-03-09,50,B,won,{EXTRA}\n"
         f"D2,2024-03-10,70,B,won,{EXTRA}\nD3,2030-01-01,9,A,open,{EXTRA}\n")
TOUCHES = (f"deal_id,campaign,touch_date,email,phone,name\nD1,A,2024-02-01,{EXTRA}\n"
           f"D9,A,2024-02-01,{EXTRA}\n")


def files(tmp_path, spend=SPEND, deals=DEALS, touches=TOUCHES):
    out = []
    for option, name, text in (("--spend", "spend.csv", spend), ("--deals", "deals.csv", deals),
                               ("--touches", "touches.csv", touches)):
        (tmp_path / name).write_text(text)
        out += [option, str(tmp_path / name)]
    return out


def assert_private(*texts):
    for text in texts:
        for item in PERSONAL:
            assert item not in text, f"{item!r} leaked into {text[:200]!r}"


@pytest.mark.parametrize("command", [["report"], ["report", "--by", "channel"], ["validate"],
                                     ["lag"], ["project"], ["explain"]])
@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_personal_data_in_unused_columns_never_shows(tmp_path, command, fmt):
    rejects, output = tmp_path / "rejects.csv", tmp_path / f"out.{fmt}"
    result = runner.invoke(app, [*command, *files(tmp_path), "--format", fmt, "--rejects",
                                 str(rejects), "--output", str(output)])
    assert result.exit_code in (0, 2), result.output
    assert_private(result.stdout, result.stderr, rejects.read_text(), output.read_text())
    assert len(list(csv.DictReader(io.StringIO(rejects.read_text())))) == 3


def test_html_page_is_private(tmp_path):
    page = tmp_path / "r.html"
    result = runner.invoke(app, ["report", *files(tmp_path), "--html", str(page)])
    assert result.exit_code == 0
    assert_private(page.read_text(), result.stdout, result.stderr)


@pytest.mark.parametrize("name,deals", [
    ("ragged row", "deal_id,close_date,amount\n"
                   f"D1,2024-03-01,500,{EXTRA}\n"),
    ("no header", f"D1,2024-03-01,500,{EXTRA}\n"),
    ("no header, columns mapped", f"Alice Martin,2024-03-01,500,{EXTRA}\n"),
    ("bad date", f"deal_id,close_date,amount,email,phone,name\nD1,soon,500,{EXTRA}\n"),
    ("unclosed quote", 'deal_id,close_date,amount,email,phone,name\nD1,2024-03-01,5,"'
                       + ",".join(PERSONAL) + "\nD2,2024-03-01,5," + ",".join(PERSONAL) + "\n"),
    ("value over lines", f'deal_id,close_date,amount,name\nD1,2024-03-01,"5\n{PERSONAL[0]}"\n'
                         "D2,2024-03-01,5,x\n"),
])
def test_errors_never_echo_a_row(tmp_path, name, deals):
    rejects = tmp_path / "rejects.csv"
    result = runner.invoke(app, ["validate", *files(tmp_path, deals=deals), "--rejects",
                                 str(rejects)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "deals.csv" in result.stderr
    assert_private(result.stdout, result.stderr)
    if rejects.exists():
        assert_private(rejects.read_text())


def test_a_long_cell_is_cut_in_messages(tmp_path):
    deals = "deal_id,close_date,amount\nD1," + "x" * 5000 + ",5\n"
    result = runner.invoke(app, ["report", *files(tmp_path, deals=deals)[:4]])
    assert result.exit_code == 2 and "… (5,000 characters)" in result.stderr
    assert "x" * 100 not in result.stderr


# strict, validate and the rejects file agree


@pytest.mark.parametrize("deals,spend", [
    (DEALS, SPEND),  # non-blocking rejections only: negative spend, duplicate, unknown deal
    ("deal_id,close_date,amount,stage\nD1,2024-03-01,10,won\nD2,2030-01-01,50,open\n",
     "campaign,date,amount\nA,2024-01-01,100\n"),  # clean, with a future open deal
    ("deal_id,close_date,amount,currency\nD1,2024-03-01,10,EUR\nD2,2024-03-02,5,\n",
     "campaign,date,amount\nA,2024-01-01,100\n"),  # an empty currency
])
def test_strict_blocks_on_exactly_what_validate_lists(tmp_path, deals, spend):
    args = files(tmp_path, spend=spend, deals=deals)
    listed = tmp_path / "validate.csv"
    validate = runner.invoke(app, ["validate", *args, "--rejects", str(listed), "--format",
                                   "json"])
    rows = list(csv.DictReader(io.StringIO(listed.read_text())))
    accounting = json.loads(validate.stdout)
    assert sum(a["rejected"] for a in accounting) == len(rows)
    strict_validate = runner.invoke(app, ["validate", "--strict", *args])
    blocked = tmp_path / "blocked.csv"
    strict_report = runner.invoke(app, ["report", "--strict", *args, "--rejects", str(blocked),
                                        "--format", "csv"])
    if rows:
        assert strict_validate.exit_code == strict_report.exit_code == 2
        first = rows[0]
        assert f"line {first['row']}, column '{first['column']}'" in strict_report.stderr
        # the run stopped, yet the rejects file lists what stopped it: the same rows
        assert blocked.read_text() == listed.read_text()
    else:
        assert validate.exit_code == strict_validate.exit_code == strict_report.exit_code == 0
        assert strict_report.stderr == ""
