"""`roiclock validate`, --rejects, --strict, --quiet and the accounting line."""

import csv
import io
import json

from typer.testing import CliRunner

from roiclock.cli import app

runner = CliRunner()
SPEND = "campaign,date,amount\nA,2024-01-01,100\nA,2024-01-02,-5\nB,2024-01-03,x\n"
DEALS = ("deal_id,close_date,amount,stage\nD1,2024-03-01,10,won\nD1,2024-03-02,3,won\n"
         "D2,2030-01-01,9,open\nD3,2025-05-01,4,won\n")
TOUCHES = "deal_id,campaign,touch_date\nD1,A,2024-02-01\nD9,A,2024-02-01\n"


def files(write, spend=SPEND, deals=DEALS, touches=TOUCHES):
    return ["--spend", str(write("spend.csv", spend)), "--deals", str(write("deals.csv", deals)),
            "--touches", str(write("touches.csv", touches))]


def test_validate_counts_and_rejects_file(write, tmp_path):
    out = tmp_path / "rejects.csv"
    result = runner.invoke(app, ["validate", *files(write), "--as-of", "2025-01-01",
                                 "--rejects", str(out), "--format", "json"])
    # B's amount 'x' cannot be read: a blocking problem, so exit 2 after the report
    assert result.exit_code == 2
    accounting = {r["kind"]: r for r in json.loads(result.stdout)}
    # spend: 3 read = 1 used + 2 rejected (negative spend, bad amount)
    assert [accounting["spend"][k] for k in ("read", "used", "rejected", "after_as_of")] == [
        3, 1, 2, 0]
    # deals: D1 again (duplicate), D3 closes after as-of, D2 open (expected close is no event)
    assert [accounting["deals"][k] for k in ("read", "used", "rejected", "after_as_of")] == [
        4, 2, 1, 1]
    assert [accounting["touches"][k] for k in ("read", "used", "rejected")] == [2, 1, 1]
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["kind"], r["row"], r["column"], r["reason"]) for r in rows] == [
        ("spend", "3", "amount", "negative spend"), ("spend", "4", "amount", "bad amount"),
        ("deals", "3", "deal_id", "duplicate deal_id"),
        ("touches", "3", "deal_id", "touch for an unknown deal")]
    assert "cannot read 'x' as an amount" in result.stderr


def test_validate_table_and_exit_codes(write):
    clean = runner.invoke(app, ["validate", *files(write, spend=SPEND.splitlines()[0] + "\n"
                                                   + SPEND.splitlines()[1] + "\n")])
    assert clean.exit_code == 0, clean.output
    assert "Rejected rows by reason" in clean.stdout and "The data is usable." in clean.stdout
    strict = runner.invoke(app, ["validate", "--strict", *files(
        write, spend="campaign,date,amount\nA,2024-01-01,100\n")])
    assert strict.exit_code == 2 and "duplicate deal_id 'D1'" in strict.stderr


def test_quiet_silences_warnings(write):
    spend = "campaign,date,amount\nA,2024-01-01,100\nA,2024-01-02,-5\n"
    loud = runner.invoke(app, ["report", *files(write, spend=spend), "--format", "csv"])
    quiet = runner.invoke(app, ["report", *files(write, spend=spend), "--format", "csv",
                                "--quiet"])
    assert loud.exit_code == quiet.exit_code == 0
    assert loud.stderr.startswith("Warning: 3 rows rejected (1 negative spend, "
                                  "1 duplicate deal_id, 1 touch for an unknown deal)")
    assert quiet.stderr == "" and quiet.stdout == loud.stdout


def test_report_summary_line_counts_rejects(write):
    spend = "campaign,date,amount\nA,2024-01-01,100\nA,2024-01-02,-5\n"
    result = runner.invoke(app, ["report", *files(write, spend=spend)])
    assert "spend 1 of 2 rows used (1 rejected)" in result.stdout.replace("\n", " ")
