import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import roiclock
from roiclock.cli import app
from roiclock.export import to_csv, to_json, write_atomic

TABLE = pd.DataFrame({
    "campaign": ["A", "B"], "window_months": [3, 3],
    "window_end": pd.to_datetime(["2024-04-01", None]).astype("datetime64[s]"),
    "mature": pd.array([True, pd.NA], dtype="boolean"),
    "cost": [1234567.5, np.nan], "return": [0.1 + 0.2, 1e17], "roi": [-0.25, np.nan]})


def test_csv_plain():
    assert to_csv(TABLE) == ("campaign,window_months,window_end,mature,cost,return,roi\n"
                             "A,3,2024-04-01,true,1234567.5,0.3,-0.25\n"
                             "B,3,,,,100000000000000000,\n")


def test_json_nulls_and_numbers():
    records = json.loads(to_json(TABLE))
    assert records[1] == {"campaign": "B", "window_months": 3, "window_end": None,
                          "mature": None, "cost": None, "return": 1e17, "roi": None}
    assert records[0]["mature"] is True and records[0]["cost"] == 1234567.5


def test_write_atomic_replaces_whole_file(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old")
    write_atomic(path, "new\n")
    assert path.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


@pytest.mark.parametrize("command,run,options", [
    ("report", "run_report", {}), ("lag", "run_lag", {}), ("project", "run_project", {}),
    ("watch", "run_watch", {}), ("validate", "run_validate", {}),
    ("explain", "run_explain", {}),
    (["report", "--by", "channel", "--period", "quarter"], "run_report",
     {"by": "channel", "period": "quarter"})])
def test_the_library_exports_what_the_command_writes(command, run, options):
    # a result knows the as-of its numbers stand at: to_csv / to_json of it are the
    # command's bytes, as_of and data_through included (a bare table is written as it is)
    args = [command] if isinstance(command, str) else command
    result = getattr(roiclock, run)(**options)
    for fmt, writer in (("csv", roiclock.to_csv), ("json", roiclock.to_json)):
        cli = CliRunner().invoke(app, [*args, "--format", fmt, "--quiet"])
        assert cli.exit_code in (0, 3), cli.output  # watch: 3, a campaign is behind
        assert writer(result) == cli.stdout
    header = roiclock.to_csv(result).splitlines()[0]
    assert header.endswith(",as_of,data_through")
    assert roiclock.to_csv(result.table).splitlines()[0] + ",as_of,data_through" == header
    stamped = roiclock.stamped(result.table, result.inputs.as_of, result.inputs.data_through)
    assert roiclock.to_csv(stamped) == roiclock.to_csv(result)


def test_to_csv_refuses_what_is_neither_a_table_nor_a_result():
    with pytest.raises(TypeError, match="expected a table or the result of a run_"):
        to_csv([1, 2])
