"""The report command through typer's CliRunner: every format, errors and exit codes."""

import json

import pandas as pd
import pytest
from conftest import TINY, on_the_default_engine
from typer.testing import CliRunner

import roiclock
from roiclock.cli import app

runner = CliRunner()
TINY_ARGS = ["--spend", str(TINY / "spend.csv"), "--deals", str(TINY / "deals.csv"),
             "--windows", "1,3", "--as-of", "2024-06-01"]
CONTRACT = ["window_months", "window_end", "mature", "cost", "return", "roi"]


def run(*args):
    return runner.invoke(app, list(args))


def test_no_arguments_uses_sample_and_says_so():
    result = run("report")
    assert result.exit_code == 0, result.output
    assert "Using the sample data shipped with roiclock" in result.output
    assert "Measured at 3 months, ROI is" in result.output
    assert "Portfolio ROI curve" in result.output


def test_table_marks_immature_cells():
    result = run("report", *TINY_ARGS[:-1], "2024-05-31")
    assert result.exit_code == 0, result.output
    y_row = next(line for line in result.output.splitlines() if line.startswith("Y "))
    assert "…" in y_row and "-100%" in y_row
    assert "immature: the window has not ended" in result.output


@pytest.mark.parametrize("by", ["campaign", "channel", "portfolio"])
def test_csv_columns_in_contract_order(by):
    result = run("report", *TINY_ARGS, "--format", "csv", "--by", by)
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[0].split(",")
    assert header[:7] == [by] + CONTRACT


def test_csv_plain_values():
    result = run("report", *TINY_ARGS, "--format", "csv")
    lines = result.output.splitlines()
    # X at 1 month: cost 200, return 300, ROI 0.5; plain numbers, ISO dates, true/false
    assert any(line.startswith("X,1,2024-02-15,true,200,300,0.5,search,2024-01-15,")
               for line in lines)


def test_csv_immature_cells_are_empty():
    result = run("report", *TINY_ARGS[:-1], "2024-05-31", "--format", "csv")
    # immature: no cost, return, ROI or KPI; then the note (none), as-of and data_through
    assert ("Y,3,2024-06-01,false,,,,social,2024-03-01,,,,,,,,2024-05-31,2024-05-31"
            in result.output.splitlines())


def test_json_records():
    result = run("report", *TINY_ARGS[:-1], "2024-05-31", "--format", "json", "--by", "channel")
    records = json.loads(result.output)
    social = [r for r in records if r["channel"] == "social"]
    assert social[0] == {"channel": "social", "window_months": 1, "window_end": None,
                         "mature": False, "cost": None, "return": None, "roi": None,
                         "campaigns": 0, "opportunities": None, "pipeline": None,
                         "won_deals": None, "lost_deals": None, "win_rate": None,
                         "cost_per_opportunity": None, "unpaid_return": None,
                         "unpaid_campaigns": 0, "note": None, "as_of": "2024-05-31",
                         "data_through": "2024-05-31"}
    search = [r for r in records if r["channel"] == "search"]
    assert search[1]["roi"] == pytest.approx(2.2) and search[1]["mature"] is True


def test_csv_round_trip_equals_api(tmp_path):
    out = tmp_path / "out.csv"
    result = run("report", "--format", "csv", "--output", str(out), "--model", "time_decay")
    assert result.exit_code == 0 and result.output == ""
    back = pd.read_csv(out, keep_default_na=True)
    api = roiclock.run_report(model="time_decay").table
    assert list(back.columns) == [*api.columns, "as_of", "data_through"]
    for column, digits in (("cost", 2), ("return", 2)):
        # money to the cent: the cents read back exactly
        pd.testing.assert_series_equal(back[column], api[column].astype("float64").round(digits),
                                       check_names=False, rtol=0, atol=0)
    # ROI to 6 significant digits
    pd.testing.assert_series_equal(back["roi"], api["roi"].astype("float64"),
                                   check_names=False, rtol=5e-6, atol=0)
    assert back["campaign"].tolist() == api["campaign"].tolist()
    assert back["window_end"].fillna("").tolist() == [
        "" if pd.isna(d) else f"{d:%Y-%m-%d}" for d in api["window_end"]]


def test_output_table_to_file(tmp_path):
    out = tmp_path / "report.txt"
    result = run("report", *TINY_ARGS, "--output", str(out))
    assert result.exit_code == 0
    assert out.read_text().startswith("Measured at 1 month")


def test_same_inputs_same_bytes():
    first = run("report", "--format", "csv", "--by", "channel").output
    assert first == run("report", "--format", "csv", "--by", "channel").output


def test_touches_and_model_options(tmp_path):
    base = ["report", "--format", "json", "--by", "portfolio"]
    paths = roiclock.sample_paths()
    files = ["--spend", str(paths["spend"]), "--deals", str(paths["deals"])]
    single = json.loads(run(*base, *files).output)
    multi = json.loads(run(*base, *files, "--touches", str(paths["touches"]),
                           "--model", "last").output)
    assert single[-1]["campaigns"] > 0 and multi[-1]["campaigns"] > 0
    assert single[-1]["return"] != multi[-1]["return"]


@pytest.mark.parametrize("args,expected", [
    (["--spend", "missing.csv", "--deals", "missing2.csv"], "missing.csv: file not found"),
    (["--model", "best"], "--model: 'best' is not one of 'first', 'last'"),
    (["--windows", "3,x"], "--windows: expected whole months"),
    (["--as-of", "01/02/2024"], "--as-of: expected a date YYYY-MM-DD"),
    (["--format", "xml"], "--format: 'xml' is not one of 'table', 'csv', 'json'"),
    (["--by", "region"], "--by: 'region' is not one of 'campaign', 'channel', 'portfolio'"),
    (["--no-such-option"], "No such option: --no-such-option"),
    (["--spend", str(TINY / "spend.csv")], "give a deals file too"),
    (["--touches", str(TINY / "deals.csv")], "give both a spend file and a deals file"),
])
def test_bad_input_exit_2_one_line(args, expected):
    result = run("report", *args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and expected in result.stderr
    assert "Traceback" not in result.output


def test_bad_cell_exit_2(write):
    deals = write("deals.csv", "deal_id,close_date,amount\nD1,2024-02-30,10\n")
    result = run("report", "--spend", str(TINY / "spend.csv"), "--deals", str(deals))
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {deals}, line 2, column 'close_date': cannot read "
                             "'2024-02-30' as a date (expected YYYY-MM-DD or DD/MM/YYYY)\n")


def test_help_documents_every_option():
    result = run("report", "--help")
    for option in ("--spend", "--deals", "--touches", "--config", "--model", "--windows",
                   "--as-of", "--basis", "--by", "--format", "--output"):
        assert option in result.output


def test_version():
    assert run("--version").output == f"roiclock {roiclock.__version__}\n"


LAG_COLUMNS = ["months", "win_probability", "share_of_wins", "interval_low", "interval_high",
               "median_days", "deals", "won", "lost", "censored", "won_median_days"]
PROJECT_COLUMNS = ["age_months", "target_months", "measured_cost", "measured_return",
                   "projected_cost", "projected_return", "projected_roi", "interval_low",
                   "interval_high", "status"]


@pytest.mark.parametrize("by", ["portfolio", "channel", "campaign"])
def test_lag_csv_contract(by):
    result = run("lag", "--format", "csv", "--by", by)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].split(",") == [by, *LAG_COLUMNS, "as_of",
                                                        "data_through"]


def test_lag_table_and_json():
    # the sample is followed 712 days from its first created date, 714 from its first touch:
    # a 23-month horizon (700 days) is reached, the default 24 months (730.5 days) is not
    result = run("lag", "--horizon", "23")
    assert result.exit_code == 0 and "Share of wins closed" in result.output
    records = json.loads(run("lag", "--format", "json", "--months", "6,12",
                             "--from", "created", "--horizon", "23").output)
    assert [r["months"] for r in records] == [6, 12]
    assert 0 < records[0]["share_of_wins"] < records[1]["share_of_wins"] <= 1
    records = json.loads(run("lag", "--format", "json", "--months", "6,12",
                             "--from", "created").output)
    assert [r["share_of_wins"] for r in records] == [None, None]
    assert records[0]["median_days"] is None and 0 < records[0]["win_probability"] < 1


@pytest.mark.parametrize("cohort", ["campaign", "month"])
def test_project_csv_contract(cohort):
    result = run("project", "--format", "csv", "--cohort", cohort)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].split(",")[:11] == [cohort] + PROJECT_COLUMNS


def test_project_table_with_backtest():
    result = run("project", "--backtest", "6", "--target", "12")
    assert result.exit_code == 0, result.output
    assert "Backtest: projected from the data as it stood on 2024-07-01" in result.output
    for method in ("measured", "chain_ladder", "bf", "auto"):
        assert method in result.output


def test_project_backtest_records(tmp_path):
    out = tmp_path / "bt.json"
    result = run("project", "--backtest", "6", "--format", "json", "--backtest-output",
                 str(out))
    assert result.exit_code == 0
    records = json.loads(out.read_text())
    assert records[-1]["method"] == "auto" and records[-1]["ages"] == "all"
    assert {r["method"] for r in records} == {"measured", "chain_ladder", "bf", "auto"}
    summary = run("project", "--backtest", "6", "--format", "csv")
    assert summary.stderr.startswith("Backtest (auto, cut at 2024-07-01, 2024-04-01):")


def test_report_kpis_table():
    result = run("report", "--kpis", "--by", "channel")
    assert result.exit_code == 0 and "Leading indicators at 3 months" in result.output


@pytest.mark.parametrize("args,expected", [
    (["lag", "--by", "region"], "--by: 'region' is not one of 'portfolio', 'channel'"),
    (["lag", "--from", "launch"], "--from: 'launch' is not one of 'touch', 'created'"),
    (["lag", "--months", "0,3"], "--months: expected positive months"),
    (["lag", "--horizon", "0"], "--horizon: expected positive months"),
    (["lag", "--confidence", "95"], "--confidence: expected a level between 0 and 1"),
    (["project", "--cohort", "week"], "--cohort: 'week' is not one of 'campaign', 'month'"),
    (["project", "--target", "0"], "--target: expected a positive number of months"),
    (["project", "--backtest", "-2"], "--backtest: expected months >= 1"),
    # 0 months back would be no backtest at all: given, it is a usage error, not a no-op
    (["project", "--backtest", "0"], "--backtest: expected months >= 1"),
    (["project", "--backtest", "0", "--format", "csv", "--backtest-output", "b.csv"],
     "--backtest: expected months >= 1"),
])
def test_lag_project_bad_options(args, expected):
    result = run(*args)
    assert result.exit_code == 2 and expected in result.stderr


def test_unexpected_failure_exit_1(monkeypatch):
    import roiclock.commands as cli

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(cli, "run_report", broken)
    result = run("report")
    assert result.exit_code == 1
    assert result.stderr == "Error: unexpected failure: RuntimeError: disk on fire\n"


def test_every_command_has_help_and_is_documented():
    from pathlib import Path

    from roiclock import commands
    from roiclock.cli import COMMANDS

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    names = [c.name or c.callback.__name__ for c in commands.app.registered_commands]
    # the quick group lists exactly the commands there are, with their own summary
    assert names == list(COMMANDS)
    for name in names:
        result = run(name, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output
        command = next(c for c in commands.app.registered_commands
                       if (c.name or c.callback.__name__) == name)
        doc = " ".join((command.callback.__doc__ or "").split())
        assert doc, f"{name} has no help text"
        assert doc.startswith(COMMANDS[name].rstrip(".")), f"{name}'s summary differs"
        assert f"roiclock {name}" in readme, f"{name} is not in the README"


def test_help_and_version_load_no_heavy_library():
    import subprocess
    import sys

    for args in (["--help"], ["--version"]):
        code = ("import sys; from roiclock.cli import app\n"
                "try:\n    app(args, prog_name='roiclock')\nexcept SystemExit:\n    pass\n"
                "heavy = [m for m in ('pandas', 'pyarrow', 'numpy', 'matplotlib', 'duckdb', "
                "'sqlglot', 'pyspark') "
                "if m in sys.modules]\nassert not heavy, heavy")
        result = subprocess.run([sys.executable, "-c", f"args = {args!r}\n" + code],
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr


def test_a_report_on_csv_loads_only_what_it_uses():
    # every command imports only what it uses: no pictures (matplotlib), no SQL engine, no
    # Parquet reader for CSV files, and no pydantic (typer >= 0.29 builds a pydantic adapter
    # per option: ~0.06-0.11 s of every run, so pyproject keeps typer below 0.29)
    code = ("import sys; from roiclock.cli import app\n"
            "try:\n    app(['report'], prog_name='roiclock')\nexcept SystemExit:\n    pass\n"
            "loaded = [m for m in ('matplotlib', 'duckdb', 'sqlglot', 'pyspark', 'pydantic', "
            "'pyarrow.parquet') if m in sys.modules]\nassert not loaded, loaded")
    result = on_the_default_engine(code)
    assert result.returncode == 0, result.stderr


def test_readme_command_reference_matches_the_options():
    import re
    from pathlib import Path

    import typer.main

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Command line", 1)[1].split("\n## ", 1)[0]
    blocks = section.split("```")
    shared, own = blocks[1], blocks[3]
    from roiclock import commands as module

    commands = typer.main.get_command(module.app).commands
    every = [{o for p in c.params for o in p.opts[:1]} - {"--help"} for c in commands.values()]
    common = set.intersection(*every)
    assert set(re.findall(r"--[a-z-]+", shared)) == common
    for name, command in commands.items():
        line = re.search(rf"^roiclock {name} .*(?:\n {{10,}}.*)*", own, flags=re.M)
        assert line, f"{name} is not in the README's command reference"
        flags = {o for p in command.params for o in p.opts[:1]} - common - {"--help"}
        assert set(re.findall(r"--[a-z-]+", line.group(0))) - {"--output"} == flags, name


@pytest.mark.parametrize("args,expected", [
    (["lag", "--model", "first"], "--model: lag counts deals"),
    (["lag", "--windows", "3,6"], "--windows: lag counts deals"),
    (["validate", "--model", "linear"], "--model: validate checks the inputs"),
    (["chart", "--format", "csv", "--output", "x.png"], "--format: chart draws an image"),
    (["report", "--kpis", "--format", "json"], "--kpis: csv and json always carry"),
    (["project", "--backtest-output", "b.csv", "--format", "csv"], "no backtest to write"),
    (["project", "--backtest", "3", "--backtest-output", "b.csv"], "the table view prints"),
    (["explain", "--model", "linear"], "explain explains the markov model only"),
    (["explain", "--top", "3", "--format", "csv"], "--top: the paths are shown"),
    (["project", "--target", "0"], "--target: expected a positive number of months"),
    # the sample starts in 2023-01: a cut 30 months back has no 12 months of history
    (["project", "--backtest", "30"], "--backtest: nothing to backtest 30 months back"),
    (["project", "--method", "chain_ladder", "--prior", "content=1.5"],
     "--prior: the chain ladder uses no prior"),
    (["chart", "--method", "chain_ladder", "--prior", "*=1", "--output", "x.svg"],
     "--prior: the chain ladder uses no prior"),
    (["project", "--cohort", "month", "--prior", "content=0.1"],
     "--prior: a month cohort holds several channels"),
    (["project", "--method", "cape_cod", "--prior", "*=1"],
     "--prior: cape_cod always uses the Cape Cod prior"),
    (["watch", "--method", "cape_cod", "--prior", "content=1"],
     "--prior: cape_cod always uses the Cape Cod prior"),
])
def test_an_option_given_but_not_used_is_an_error(args, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert result.exit_code == 2 and expected in result.stderr
    assert result.stderr.count("\n") == 1 and not list(tmp_path.iterdir())


def test_watch_exit_codes():
    # nobody is outside a 99.9% interval of what was expected three months ago: exit 0
    quiet = run("watch", "--format", "csv", "--confidence", "0.999")
    assert quiet.exit_code == 0, quiet.output
    header = quiet.output.splitlines()[0].split(",")
    assert header[:4] == ["campaign", "age_months", "age_then", "expected_return"]
    # at 95%: 2024-02 Paid Search ABM holds 92.6k at 10 months, under the 93.8k low end of
    # the 118k expected when it was 7 months old on 2024-10-01 (its projection fell from
    # +111% to +70% meanwhile): exit 3, the table still written
    alert = run("watch", "--format", "csv")
    assert alert.exit_code == 3
    behind = [line for line in alert.output.splitlines() if ",behind," in line]
    assert [line.split(",")[:3] for line in behind] == [["2024-02 Paid Search ABM", "10", "7"]]
    table = run("watch")
    assert table.exit_code == 3 and "behind" in table.output


@pytest.mark.parametrize("args,expected", [
    (["project", "--method", "magic"], "--method: 'magic' is not one of 'chain_ladder'"),
    (["project", "--prior", "events=lots"], "--prior: expected NAME=ROI pairs"),
    (["project", "--prior", "evnts=1.5"], "--prior: no channel or campaign is named 'evnts'"),
    # an empty name is no '*', and a name given twice is no silent pick of the last value
    (["project", "--method", "bf", "--prior", "=1"], "--prior: a name is missing before '='"),
    (["project", "--prior", " =1"], "--prior: a name is missing before '=' in '=1'"),
    (["project", "--cohort", "month", "--prior", "=1"], "--prior: a name is missing"),
    (["project", "--prior", "paid_search=1,paid_search=2"],
     "--prior: 'paid_search' is given twice"),
    (["watch", "--prior", "1.5,*=2"], "--prior: '*' is given twice"),
    (["project", "--prior", " , "], "--prior: expected NAME=ROI pairs"),
    (["project", "--compare", "missing.json"], "missing.json: file not found"),
    (["watch", "--since", "0"], "--since: expected a positive number of months"),
    (["watch", "--method", "chain_ladder"], "--method: watch needs a method with a prior"),
])
def test_projection_bad_options(args, expected):
    result = run(*args)
    assert result.exit_code == 2 and expected in result.stderr, result.stderr


@pytest.mark.parametrize("option,value,expected", [
    ("--target", "6", "--compare: the earlier export projects to 12 months, this run to 6 "
                      "(was it made with another --target?)"),
    ("--cohort", "month", "--compare: the earlier export has no 'month' column"),
])
def test_compare_refuses_an_export_made_otherwise(option, value, expected, tmp_path):
    # an earlier 12-month export: a 6-month ROI set against it would be read as new closes
    record = {"campaign": "2024-09 Paid Search Demo days", "age_months": 3,
              "target_months": 12, "measured_cost": 30538.94, "measured_return": 0.0,
              "projected_cost": 30538.94, "projected_roi": 1.5, "status": "projected"}
    before = tmp_path / "before.json"
    before.write_text(json.dumps([record]))
    result = run("project", "--compare", str(before), option, value)
    assert result.exit_code == 2 and result.stderr.startswith(f"Error: {expected}")
    assert result.stderr.count("\n") == 1


def test_project_method_prior_and_compare(tmp_path):
    records = json.loads(run("project", "--format", "json", "--method", "bf", "--prior",
                             "events=120%,paid_search=1").output)
    assert {r["method"] for r in records} == {"bf"}
    events = next(r for r in records if r["campaign"] == "2024-09 Events Case studies")
    assert events["prior_roi"] == pytest.approx(1.2)
    from roiclock.projection import EXPLAIN_COLUMNS

    # the projection's own columns, then when the numbers stand
    assert list(records[0])[-len(EXPLAIN_COLUMNS) - 2:] == [*EXPLAIN_COLUMNS, "as_of",
                                                            "data_through"]
    before = tmp_path / "before.json"
    before.write_text(run("project", "--format", "json", "--as-of", "2024-10-01").output)
    result = run("project", "--compare", str(before))
    assert result.exit_code == 0, result.output
    assert "Change since the earlier export" in result.output
    csv_out = run("project", "--compare", str(before), "--format", "csv")
    assert csv_out.output.splitlines()[0].endswith("previous_roi,change,new_closes,factors,"
                                                   "as_of,data_through")


def test_watch_says_why_nothing_was_judged():
    # on 2023-07-01 the sample's oldest campaign (2023-01) was 6 months old: nothing had
    # reached 12 months, so there was no projection to hold anyone to
    result = run("watch", "--as-of", "2023-10-01")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert ("Against the projection of 2023-07-01 (3 months ago): nothing to judge: there was "
            "too little history then to project ROI at 12 months (no campaign had reached 12 "
            "months); a smaller --target may do.") in text
