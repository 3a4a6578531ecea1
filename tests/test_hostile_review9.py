"""Review 9: blank cells, priors, duplicate ids, stage labels, Parquet types, huge amounts and
rejected values as written."""

import csv
import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import roiclock
from roiclock.cli import app
from roiclock.schema import InputError

runner = CliRunner()
SPEND = "campaign,date,amount\nA,2024-01-01,100\n"
HEAD = "deal_id,campaign,stage,created_date,close_date,amount\n"


def run(tmp_path, *args, spend=SPEND, deals=None, config=None):
    paths = []
    for option, name, content in (("--spend", "spend.csv", spend),
                                  ("--deals", "deals.csv", deals),
                                  ("--config", "c.yaml", config)):
        if content is None:
            continue
        path = tmp_path / name
        if not isinstance(content, str):  # a pyarrow table: written as Parquet
            path = tmp_path / name.replace(".csv", ".parquet")
            pq.write_table(content, path)
        else:
            path.write_text(content)
        paths += [option, str(path)]
    return runner.invoke(app, [*args, *paths])


def one_line(result):
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.output
    return result.stderr


def rejects(tmp_path, *args, **files):
    out = tmp_path / "rejects.csv"
    result = run(tmp_path, "validate", "--rejects", str(out), *args, **files)
    return result, list(csv.DictReader(io.StringIO(out.read_text())))


# A: blank text in a number column is an empty cell, as a null is

@pytest.mark.parametrize("blank", ["", " ", "   "])
def test_blank_amount_of_open_and_lost_deals_is_empty(tmp_path, blank):
    deals = (HEAD + "D1,A,won,2024-01-10,2024-03-01,3000\n"
             f'D2,A,lost,2024-02-05,2024-05-01,"{blank}"\nD3,A,open,2024-03-01,,"{blank}"\n')
    result = run(tmp_path, "validate", "--strict", deals=deals)
    assert result.exit_code == 0, result.output
    # every row used; the blank amounts are empty (NaN), not zero and not rejected
    inputs = roiclock.load(str(tmp_path / "spend.csv"), str(tmp_path / "deals.csv"),
                           strict=True)
    assert inputs.accounting.set_index("kind").loc["deals", ["used", "rejected"]].tolist() \
        == [3, 0]
    amounts = inputs.deals.set_index("deal_id")["amount"]
    assert amounts["D1"] == 3000 and amounts[["D2", "D3"]].isna().all()


@pytest.mark.parametrize("blank", ["", " "])
def test_blank_amount_in_parquet_text(tmp_path, blank):
    table = pa.table({"deal_id": ["D1", "D2", "D3"], "campaign": ["A"] * 3,
                      "stage": ["won", "lost", "won"],
                      "close_date": ["2024-03-01", "2024-05-01", "2024-04-01"],
                      "amount": ["3000", blank, blank]})
    result, rows = rejects(tmp_path, deals=table)
    # the lost deal may leave it empty; the won deal is rejected as an empty value, as a null
    assert [(r["row"], r["column"], r["reason"]) for r in rows] == [
        ("3", "amount", "empty value")]
    assert "not a finite number" not in result.output


def test_blank_spend_amount_and_margin_are_empty(tmp_path):
    spend = 'campaign,date,amount\nA,2024-01-01,100\nA,2024-01-02," "\n'
    deals = "deal_id,close_date,amount,stage,margin\nD1,2024-03-01,5,won,0.5\nD2,,,open,\" \"\n"
    result, rows = rejects(tmp_path, spend=spend, deals=deals)
    assert [(r["kind"], r["reason"]) for r in rows] == [("spend", "empty value")]
    assert rows[0]["message"] == "empty amount"


# F: digits too many for a float are implausibly large, not "not a finite number"

def test_overflowing_digits_are_implausibly_large(tmp_path):
    deals = HEAD + "D1,A,won,2024-01-10,2024-03-01," + "9" * 400 + "\n"
    result, rows = rejects(tmp_path, deals=deals)
    assert rows[0]["reason"] == "bad amount"
    assert rows[0]["message"] == ("amount " + "9" * 40 + "… (400 characters) is implausibly "
                                  "large (over 1e+12)")
    assert rows[0]["value"] == "9" * 400


def test_infinity_stored_as_a_number_is_not_finite(tmp_path):
    table = pa.table({"deal_id": ["D1"], "close_date": ["2024-03-01"],
                      "amount": [float("inf")]})
    result, rows = rejects(tmp_path, deals=table)
    assert rows[0]["message"] == "'inf' is not a finite number"


# G: every reject's value is the cell as written; one other row is a row

def test_reject_values_are_the_cells_as_written(tmp_path):
    spend = "campaign,date,amount\nA,01/02/2024,100\nA,13/02/2024,-5.50\n"
    deals = ("deal_id,close_date,amount,stage,margin\nD1,01/03/2024,-3000,won,0.5\n"
             "D2,01/03/2024,10,won,150%\nD3,31/12/1899,10,won,0.5\nD4,01/01/2099,10,won,\n")
    (tmp_path / "s.csv").write_text(spend)
    (tmp_path / "d.csv").write_text(deals)
    # read from the library: the --rejects file guards cells starting with '-' (formulas)
    with pytest.raises(InputError) as stop:  # a bad date blocks: the error holds the rejects
        roiclock.load(tmp_path / "s.csv", tmp_path / "d.csv", as_of="2024-06-01")
    rows = stop.value.rejects.to_dict("records")
    assert [(r["kind"], r["reason"], r["value"], r["message"]) for r in rows] == [
        ("spend", "negative spend", "-5.50", "negative spend -5.50"),
        ("deals", "negative amount", "-3000", "negative amount -3000 for a won deal"),
        ("deals", "bad margin", "150%", "margin 150% is not a fraction between 0 and 1"),
        ("deals", "bad date", "31/12/1899",
         "date 31/12/1899 is out of range (1990-01-01 to 2099-12-31)"),
        ("deals", "future date", "01/01/2099",
         rows[-1]["message"].replace(rows[-1]["value"], "01/01/2099"))]
    assert rows[-1]["message"].startswith("date 01/01/2099 is after today")


def test_one_other_rejected_row_is_singular(tmp_path):
    spend = "campaign,date,amount\nA,2024-01-01,x\nA,2024-01-02,-5\n"
    result = run(tmp_path, "report", spend=spend,
                 deals="deal_id,close_date,amount\nD1,2024-03-01,5\n")
    assert "; 1 other rejected row: 'roiclock validate" in one_line(result)


@pytest.mark.parametrize("as_of", ["", "  "])
def test_empty_as_of_is_named_empty(tmp_path, as_of):
    result = run(tmp_path, "report", "--as-of", as_of,
                 deals="deal_id,close_date,amount\nD1,2024-03-01,5\n")
    assert one_line(result) == "Error: --as-of: expected a date YYYY-MM-DD, got an empty value\n"


def test_empty_as_of_in_the_library(tmp_path):
    (tmp_path / "s.csv").write_text(SPEND)
    (tmp_path / "d.csv").write_text("deal_id,close_date,amount\nD1,2024-03-01,5\n")
    with pytest.raises(InputError, match="as_of: expected a date, got an empty value$"):
        roiclock.load(tmp_path / "s.csv", tmp_path / "d.csv", as_of="")


# C: a duplicate deal_id's value is the cell; the message cuts the cell, not the message

def test_duplicate_deal_id_value_is_the_cell(tmp_path):
    long = "Q" * 200
    deals = (f"deal_id,close_date,amount\nD5,2024-03-01,5\n{long},2024-03-01,5\n"
             f"D5,2024-03-02,6\n{long},2024-03-02,6\n")
    result, rows = rejects(tmp_path, deals=deals)
    assert [(r["row"], r["value"], r["message"]) for r in rows] == [
        ("4", "D5", "duplicate deal_id 'D5' (first on line 2)"),
        ("5", long, f"duplicate deal_id '{'Q' * 40}… (200 characters)' (first on line 3)")]


def test_duplicate_deal_id_in_parquet_names_the_row(tmp_path):
    table = pa.table({"deal_id": ["D1", "D2", "D1"], "close_date": ["2024-03-01"] * 3,
                      "amount": [5.0, 6.0, 7.0]})
    result, rows = rejects(tmp_path, deals=table)
    assert [(r["row"], r["value"], r["message"]) for r in rows] == [
        ("3", "D1", "duplicate deal_id 'D1' (first on row 1)")]


# E: a Parquet column of the wrong type is told what that column accepts

@pytest.mark.parametrize("column,values,expected", [
    ("close_date", pa.array([20240301], pa.int64()), "int64 values: expected dates or text"),
    ("deal_id", pa.array([1.5]), "double values: expected text or integers"),
    ("deal_id", pa.array([0], pa.timestamp("us")),
     "timestamp[us] values: expected text or integers"),
    ("amount", pa.array([True]), "bool values: expected numbers or text"),
])
def test_parquet_wrong_type_names_what_the_column_accepts(tmp_path, column, values, expected):
    table = {"deal_id": pa.array(["D1"]), "close_date": pa.array(["2024-03-01"]),
             "amount": pa.array([5.0])}
    table[column] = values
    result = run(tmp_path, "validate", deals=pa.table(table))
    assert one_line(result) == (f"Error: {tmp_path / 'deals.parquet'}, column '{column}': the "
                                f"column holds {expected}\n")


# D: '*' for two stages and empty labels are refused, never a silent pick

@pytest.mark.parametrize("stages,expected", [
    ('{won: ["Closed Won"], lost: "*", open: "*"}',
     'stages: "*" (every other label) is given to both lost and open; give it to one stage'),
    ('{won: ["Closed Won"], lost: [""]}', "stages.lost: an empty label ('') names no CRM stage"),
    ('{won: ["Closed Won"], lost: [null]}', "stages.lost: an empty label (None) names no CRM"),
    ('{won: ["Closed Won"], lost: ["  "]}', "stages.lost: an empty label ('  ') names no CRM"),
])
def test_stage_labels_refused(tmp_path, stages, expected):
    result = run(tmp_path, "validate", config=f"stages: {stages}\n",
                 deals="deal_id,close_date,amount,stage\nD1,2024-03-01,5,Closed Won\n")
    assert f"c.yaml: {expected}" in one_line(result)


def test_star_over_a_presets_star_is_refused(tmp_path):
    result = run(tmp_path, "validate", "--preset", "salesforce", config='stages: {lost: "*"}\n',
                 deals="deal_id,close_date,amount,stage\nD1,2024-03-01,5,Closed Won\n")
    assert 'is given to both' in one_line(result)


# B: a prior must be finite and plausible, on the command line as in the config

@pytest.mark.parametrize("prior,expected", [
    ("inf", "expected an ROI >= -1 (e.g. 1.5 for +150%), got inf"),
    ("1e400", "expected an ROI >= -1 (e.g. 1.5 for +150%), got inf"),
    ("nan", "expected an ROI >= -1 (e.g. 1.5 for +150%), got nan"),
    ("-inf", "expected an ROI >= -1 (e.g. 1.5 for +150%), got -inf"),
    ("1e300", "an ROI of 1e+300 is implausibly large (over 100, i.e. +10,000%)"),
    ("10001%", "an ROI of 100.01 is implausibly large (over 100, i.e. +10,000%)"),
])
def test_prior_refused_on_the_command_line(tmp_path, prior, expected):
    result = run(tmp_path, "project", "--prior", f"A={prior}",
                 deals="deal_id,close_date,amount,campaign\nD1,2024-03-01,5,A\n")
    assert one_line(result) == f"Error: --prior: 'A': {expected}\n"


@pytest.mark.parametrize("prior,expected", [
    (".inf", "expected an ROI >= -1 (e.g. 1.5 for +150%), got inf"),
    ("1.0e+300", "an ROI of 1e+300 is implausibly large (over 100, i.e. +10,000%)"),
])
def test_prior_refused_in_the_config(tmp_path, prior, expected):
    result = run(tmp_path, "project", config=f"priors: {{A: {prior}}}\n",
                 deals="deal_id,close_date,amount,campaign\nD1,2024-03-01,5,A\n")
    assert one_line(result).endswith(f"c.yaml: priors.A: {expected}\n")


def test_prior_at_the_bound_is_accepted(tmp_path):
    result = run(tmp_path, "project", "--prior", "A=100", "--format", "csv",
                 deals="deal_id,close_date,amount,campaign\nD1,2024-03-01,5,A\n")
    assert result.exit_code == 0, result.output
    from roiclock.projection import user_elr
    assert user_elr({"A": 100}, ["A"], ["x"]).tolist() == [101.0]  # 1 + ROI 100, used as is


def test_prior_refused_in_the_library():
    from roiclock.projection import user_elr
    with pytest.raises(InputError, match="implausibly large"):
        user_elr({"A": 1e300}, ["A"], ["x"])
    with pytest.raises(InputError, match="got inf"):
        user_elr({"A": float("inf")}, ["A"], ["x"])
