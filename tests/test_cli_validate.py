"""`roiclock validate`, --rejects, --strict, --quiet, safe CSV, no colors, same bytes."""

import csv
import io
import json

import pandas as pd
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from typer.testing import CliRunner

import roiclock
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


def test_csv_cells_safe_for_excel(write):
    spend = 'campaign,date,amount\n"=HYPERLINK(""http://x"")",2024-01-01,100\n@SUM,2024-01-01,5\n'
    deals = "deal_id,close_date,amount,campaign\nD1,2024-03-01,50,@SUM\n"
    result = runner.invoke(app, ["report", "--spend", str(write("s.csv", spend)), "--deals",
                                 str(write("d.csv", deals)), "--windows", "3", "--format",
                                 "csv", "--as-of", "2024-06-01"])
    rows = list(csv.reader(io.StringIO(result.stdout)))
    names = [r[0] for r in rows[1:]]
    assert names == ["'=HYPERLINK(\"http://x\")", "'@SUM"]
    # numbers stay numbers: ROI of @SUM is (50 - 5) / 5 = 9, a negative ROI keeps its sign
    assert rows[2][4:7] == ["5", "50", "9"] and rows[1][6] == "-1"


def test_no_color_codes_when_not_a_terminal():
    result = runner.invoke(app, ["report"], env={"NO_COLOR": "1"})
    assert "\x1b[" not in result.output


def test_same_inputs_same_bytes_for_every_command():
    for command in (["report", "--by", "channel"], ["lag"], ["project", "--cohort", "month"]):
        for fmt in ("csv", "json"):
            args = [*command, "--format", fmt, "--as-of", "2024-10-01"]
            assert runner.invoke(app, args).stdout == runner.invoke(app, args).stdout


CELL = st.sampled_from(["2024-01-05", "05/01/2024", "x", "", "-3", "12.5", "1e400", "NaN",
                        "A", "B", "D1", "D2", "won", "lost", "open", "later"])


@hsettings(deadline=None)
@given(spend=st.lists(st.tuples(CELL, CELL, CELL), min_size=1, max_size=12),
       deals=st.lists(st.tuples(CELL, CELL, CELL, CELL), min_size=1, max_size=12),
       touches=st.lists(st.tuples(CELL, CELL, CELL), min_size=1, max_size=12))
def test_every_row_accounted_for(tmp_path_factory, spend, deals, touches):
    folder = tmp_path_factory.mktemp("dirty")
    tables = {"spend": (["campaign", "date", "amount"], spend),
              "deals": (["deal_id", "close_date", "amount", "stage"], deals),
              "touches": (["deal_id", "campaign", "touch_date"], touches)}
    paths = {}
    for name, (header, rows) in tables.items():
        paths[name] = folder / f"{name}.csv"
        pd.DataFrame(rows, columns=header).to_csv(paths[name], index=False)
    settings = roiclock.load_settings(dayfirst=True)
    try:
        inputs = roiclock.validate(roiclock.read(paths["spend"], paths["deals"],
                                                 paths["touches"], settings), settings,
                                   as_of="2024-06-01")
    except roiclock.InputError:
        return  # a whole-file problem (e.g. header only): one message, nothing to count
    for row in inputs.accounting.itertuples():
        assert row.read == row.used + row.rejected + row.after_as_of
        assert row.rejected == (inputs.rejects["kind"] == row.kind).sum()
