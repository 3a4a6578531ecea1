"""Hostile settings and options (issue 12): exit 2 with one line naming the key or option,
never a traceback, never a whole value printed back, never NaN in the output."""

import pytest
from typer.testing import CliRunner

import roiclock
from roiclock.cli import app

runner = CliRunner()

CONFIGS = [
    ("columns: [1, 2]\n", "columns: expected a mapping, got [1, 2]"),
    ("columns: {deals: [1]}\n", "columns.deals: expected a mapping, got [1]"),
    ("columns: {deals: {deal_id: 5}}\n", "columns.deals: expected a mapping of column"),
    ('currency: "EUR"\n', "currency: expected a mapping, got 'EUR'"),
    ("currency: {base: [1]}\n", "currency.base: expected a currency code"),
    ('currency: {rates: "x"}\n', "currency.rates: expected a mapping of code: rate"),
    ("currency: {base: EUR, rates: {USD: .inf}}\n", "currency.rates.'USD': expected a positive"),
    ('lookback_days: "abc"\n', "lookback_days: expected a finite number, got 'abc'"),
    ("cost_multiplier: .inf\n", "cost_multiplier: expected a finite number, got inf"),
    ("cost_multiplier: .nan\n", "cost_multiplier: expected a finite number, got nan"),
    ("cost_multiplier: 1.0e+308\n", "cost_multiplier must be >= 0 and at most 1,000,000"),
    ("half_life_days: true\n", "half_life_days: expected a finite number, got True"),
    ("lookback_days: 2024-01-01\n", "lookback_days: expected a finite number"),
    ("model: [linear]\n", "model: expected text"),
    ("windows: 3\n", "windows: expected a list of whole months, got 3"),
    ("windows: [99999999999999999999]\n", "windows must be positive whole months (at most 1200)"),
    ("windows: [3.5]\n", "windows: expected a list of whole months"),
    ("dayfirst: maybe\n", "dayfirst must be true, false or null, got 'maybe'"),
    ("1: 2\n", "unknown setting '1'"),
    ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "windows: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n",
     "line 2: not valid YAML: aliases (*name) are not allowed"),
    ("windows: " + "[" * 50 + "]" * 50 + "\n", "not valid YAML: nested more than 10 deep"),
    ("model: " + "x" * 10_000 + "\n", "unknown model 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… "
     "(10,002 characters)"),
    ("!!python/object/apply:os.system [echo hi]\n", "not valid YAML"),
    # won, lost and open are always understood: mapping one onto another stage would turn
    # every won deal lost (case-insensitive), silently
    ("stages: {lost: [Won]}\n", "stages.lost: 'Won' is the stage won itself"),
    ("stages: {won: [' OPEN ']}\n", "stages.won: ' OPEN ' is the stage open itself"),
    ("stages: {won: [Closed], lost: [' closed']}\n",
     "stages: ' closed' is mapped to both won and lost"),
]


@pytest.mark.parametrize("text,expected", CONFIGS, ids=[c[0][:30] for c in CONFIGS])
def test_bad_config_is_one_line(tmp_path, text, expected):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["report", "--config", str(path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and len(result.stderr) < 400, result.stderr
    assert expected in result.stderr


def test_a_stage_mapped_onto_itself_is_fine(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("stages: {won: [WON, Closed Won], lost: [Lost]}\n")
    assert roiclock.load_settings(path).stages["won"] == ["WON", "Closed Won"]
    result = runner.invoke(app, ["validate", "--config", str(path)])
    assert result.exit_code == 0, result.output


def test_validate_refuses_a_stage_redefining_won(tmp_path):
    path = tmp_path / "st2.yaml"
    path.write_text("stages: {lost: [Won]}\n")
    result = runner.invoke(app, ["validate", "--config", str(path)])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "stages.lost: 'Won' is the stage won itself" in result.stderr


@pytest.mark.parametrize("data,expected", [
    (b"model: caf\xe9\n", "c.yaml, line 1: not UTF-8 text"),
    (b"model: first\n" + b"#" * (1 << 20), "larger than 1 MB"),
    (b"model: first\x00\n", "not valid YAML"),
])
def test_config_bytes(tmp_path, data, expected):
    path = tmp_path / "c.yaml"
    path.write_bytes(data)
    with pytest.raises(roiclock.InputError, match=expected):
        roiclock.load_settings(path)


OPTIONS = [
    (["report", "--windows", "99999999999999999999"], "--windows: expected positive months"),
    (["report", "--windows", "3,x"], "--windows: expected whole months like 3,6,9,12"),
    (["lag", "--horizon", "inf"], "--horizon: expected positive months (at most 1200), got inf"),
    (["lag", "--horizon", "nan"], "--horizon: expected positive months (at most 1200), got nan"),
    (["lag", "--confidence", "nan"], "--confidence: expected a level between 0 and 1"),
    (["lag", "--months", "1,99999999999999999999"], "--months: expected positive months"),
    (["project", "--backtest", "100000"], "--backtest: expected months >= 1 (at most 1200)"),
    (["project", "--target", "99999999999999999999"], "--target: expected a positive number"),
    (["chart", "--output", "x.png", "--target", "5000"], "--target: expected a positive number"),
    (["explain", "--top", "-1"], "--top: expected a count from 0 to 1e9"),
    (["report", "--spend", "", "--deals", "d.csv"], "--spend: the path is empty"),
    (["report", "--config", ""], "--config: the path is empty"),
    (["report", "--spend", ".", "--deals", "d.csv"], "--spend: expected a file, got a directory"),
    (["report", "--as-of", "2024-13-45"], "--as-of: expected a date YYYY-MM-DD"),
    (["report", "--bogus"], "No such option: --bogus"),
    (["report", "--by", "x" * 5000], "--by:"),
]


@pytest.mark.parametrize("args,expected", OPTIONS, ids=[" ".join(a[0])[:40] for a in OPTIONS])
def test_bad_option_is_one_line(args, expected):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert expected in result.stderr


def test_no_nan_in_the_output_with_extreme_settings(tmp_path):
    # the largest finite cost multiplier and horizon still give finite or empty cells
    path = tmp_path / "c.yaml"
    path.write_text("cost_multiplier: 1000000\n")
    result = runner.invoke(app, ["report", "--config", str(path), "--format", "csv"])
    assert result.exit_code == 0 and "nan" not in result.stdout.lower()
    lag = runner.invoke(app, ["lag", "--horizon", "1200", "--format", "csv"])
    assert lag.exit_code == 0 and "nan" not in lag.stdout.lower() and lag.stderr == ""


@pytest.mark.parametrize("args,expected", [
    (["report", "--spend", "no\npe.csv", "--deals", "d.csv"], "Error: no\\npe.csv: file not found"),
    (["report", "--windows", "3\n6"], "--windows: expected whole months like 3,6,9,12, got "
                                      "'3\\n6'"),
])
def test_control_characters_never_break_the_line(args, expected):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and expected in result.stderr


def test_bare_command_shows_help_on_stdout_one_line_on_stderr():
    result = runner.invoke(app, [])
    assert result.exit_code == 2
    assert "Commands:" in result.stdout and "report" in result.stdout
    assert result.stderr == "Error: no command given (the help above lists them)\n"
