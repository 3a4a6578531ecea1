"""Data-quality warnings: usable data that is probably not what was meant. One line each on
stderr, never blocking unless --strict; validate lists them."""

from typer.testing import CliRunner

import roiclock
from roiclock.cli import app

runner = CliRunner()
SPEND = "campaign,date,amount\nA,2024-02-01,100\n"
DEALS = ("deal_id,stage,close_date,amount,created_date,campaign\n"
         "D1,won,2024-03-01,0,2024-01-01,A\n"        # zero amount
         "D2,won,2024-03-01,,2024-01-01,A\n"         # empty amount (also rejected)
         "D3,won,2024-03-01,50,2024-04-01,A\n")      # closes before it was created
TOUCHES = "deal_id,campaign,touch_date\nD1,A,2024-01-15\n"  # before A's first spend


def files(write):
    return ["--spend", str(write("s.csv", SPEND)), "--deals", str(write("d.csv", DEALS)),
            "--touches", str(write("t.csv", TOUCHES))]


def test_three_warnings(write):
    inputs = roiclock.validate(roiclock.read(*[write(n, t) for n, t in (
        ("s.csv", SPEND), ("d.csv", DEALS), ("t.csv", TOUCHES))]), roiclock.load_settings())
    checks = inputs.warnings.set_index("check")["rows"].to_dict()
    # 2 of 3 won deals empty or zero; campaign A touched 2024-01-15, spend from 2024-02-01;
    # D3 closes 2024-03-01 but was created 2024-04-01
    assert checks == {"won amounts": 2, "touched before spend": 1, "closed before created": 1}


def test_warnings_one_line_each_and_not_blocking(write):
    result = runner.invoke(app, ["report", *files(write), "--windows", "1"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert len(lines) == 4  # the rejected row, then the three checks
    assert any("2 of 3 won deals have an empty or zero amount" in line for line in lines)
    quiet = runner.invoke(app, ["report", *files(write), "--windows", "1", "--quiet"])
    assert quiet.stderr == ""


def test_strict_blocks_on_what_validate_lists(write):
    clean_amounts = DEALS.replace("D2,won,2024-03-01,,", "D2,won,2024-03-01,5,")
    args = ["--spend", str(write("s.csv", SPEND)), "--deals", str(write("d.csv", clean_amounts)),
            "--touches", str(write("t.csv", TOUCHES))]
    listed = runner.invoke(app, ["validate", *args])
    assert listed.exit_code == 0 and "touched before its first spend" in listed.stdout
    strict = runner.invoke(app, ["report", *args, "--strict"])
    assert strict.exit_code == 2 and "--strict stops on data-quality warnings" in strict.stderr
    assert strict.stderr.count("\n") == 1
