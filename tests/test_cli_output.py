"""What the commands write: CSV safe for spreadsheets, no colors off a terminal, the same
bytes for the same inputs."""

import csv
import io

from typer.testing import CliRunner

from roiclock.cli import app

runner = CliRunner()


def test_csv_cells_safe_for_excel(write):
    spend = 'campaign,date,amount\n"=HYPERLINK(""http://x"")",2024-01-01,100\n@SUM,2024-01-01,5\n'
    deals = "deal_id,close_date,amount,campaign\nD1,2024-03-01,50,@SUM\n"
    result = runner.invoke(app, ["report", "--spend", str(write("s.csv", spend)), "--deals",
                                 str(write("d.csv", deals)), "--windows", "3", "--format",
                                 "csv", "--as-of", "2024-06-01",
                                 "--data-through", "2024-05-31"])
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
