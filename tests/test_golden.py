"""Every command's csv/json output on the bundled sample, byte for byte against tests/golden/.

A refactor must not move a single byte. A change that is meant to change the numbers updates
the files on purpose: ``ROICLOCK_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py``, and
the diff of tests/golden/ is reviewed with the change.
"""

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from roiclock.api import sample_paths
from roiclock.cli import app

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("ROICLOCK_UPDATE_GOLDEN") == "1"
runner = CliRunner()

# validate names its files: given relative to the sample's folder, the output does not depend
# on where the package is installed
FILES = ["--spend", "spend.csv", "--deals", "deals.csv", "--touches", "touches.csv"]
CASES = {
    "report_campaign.csv": ["report", "--format", "csv"],
    "report_channel.json": ["report", "--format", "json", "--by", "channel"],
    "report_portfolio.csv": ["report", "--format", "csv", "--by", "portfolio"],
    "report_first_windows.csv": ["report", "--format", "csv", "--model", "first",
                                "--windows", "1,3,6"],
    "report_position.json": ["report", "--format", "json", "--model", "position",
                             "--as-of", "2024-06-01"],
    "report_time_decay.csv": ["report", "--format", "csv", "--model", "time_decay",
                              "--by", "channel"],
    "report_markov.csv": ["report", "--format", "csv", "--model", "markov"],
    "lag_portfolio.json": ["lag", "--format", "json"],
    "lag_channel_created.csv": ["lag", "--format", "csv", "--by", "channel", "--from",
                                "created"],
    "project_campaign.csv": ["project", "--format", "csv"],
    "project_month.json": ["project", "--format", "json", "--cohort", "month", "--target",
                           "9"],
    "project_backtest.csv": ["project", "--format", "csv", "--backtest", "6",
                             "--backtest-output", "{tmp}/backtest.csv"],
    "validate.json": ["validate", "--format", "json", *FILES],
    "explain.csv": ["explain", "--format", "csv"],
    # the table view too: what an analyst reads
    "report.txt": ["report", "--kpis"],
    "report_channel.txt": ["report", "--by", "channel"],
    "lag.txt": ["lag"],
    # the sample is followed 714 days: 23 months is reached, and reads as 24 did before the
    # shares waited for the horizon (the file is the former lag.txt)
    "lag_horizon_23.txt": ["lag", "--horizon", "23"],
    "project.txt": ["project", "--backtest", "6"],
    "validate.txt": ["validate", *FILES],
    "explain.txt": ["explain", "--top", "5"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_unchanged(name, tmp_path, monkeypatch):
    args = [a.replace("{tmp}", str(tmp_path)) for a in CASES[name]]
    monkeypatch.chdir(sample_paths()["spend"].parent)
    result = runner.invoke(app, args + ["--quiet"])
    assert result.exit_code == 0, result.output
    outputs = {name: result.stdout}
    if "--backtest-output" in args:
        outputs[name.replace(".csv", "_records.csv")] = (tmp_path / "backtest.csv").read_text()
    for file, text in outputs.items():
        path = GOLDEN / file
        if UPDATE:
            path.write_text(text, encoding="utf-8")
        assert path.read_text(encoding="utf-8") == text, f"{file} changed"
