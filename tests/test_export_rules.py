"""One rounding rule for every export: money to the cent, ratios to 6 significant digits,
counts as integers, days to a tenth; every numeric column of every command has its kind."""

import json

import numpy as np
import pandas as pd
import pytest

import roiclock
from roiclock.export import COUNT, DAYS, KINDS, MONEY, RATIO, to_csv, to_json


def every_export(tmp_path) -> dict[str, pd.DataFrame]:
    project = roiclock.run_project(backtest_months=6)
    earlier = tmp_path / "earlier.json"
    earlier.write_text(to_json(roiclock.run_project(as_of="2024-10-01").table))
    return {"report": roiclock.run_report(to_date=True).table,
            "report by period": roiclock.run_report(by="channel", period="quarter").table,
            "watch": roiclock.run_watch().table,
            "compare": roiclock.run_project(compare=earlier).comparison,
            "report by channel": roiclock.run_report(by="channel").table,
            "lag": roiclock.run_lag(by="channel").table,
            "project": project.table, "backtest": project.backtest,
            "validate": roiclock.run_validate().inputs.accounting,
            "explain": roiclock.run_explain().table}


def test_every_numeric_column_has_a_kind(tmp_path):
    for name, table in every_export(tmp_path).items():
        numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])
                   and not pd.api.types.is_bool_dtype(table[c])]
        assert set(numeric) <= set(KINDS), (name, sorted(set(numeric) - set(KINDS)))


@pytest.mark.parametrize("kind,value,expected", [
    (MONEY, 1234.5678, 1234.57), (MONEY, -0.004, 0.0), (MONEY, 0.1 + 0.2, 0.3),
    (RATIO, 2.5678342246442, 2.56783), (RATIO, -0.86590679636, -0.865907),
    (RATIO, 1 / 3, 0.333333), (COUNT, 91.0, 91), (DAYS, 185.5, 185.5), (DAYS, 206.0, 206),
])
def test_rounding_by_kind(kind, value, expected):
    name = next(column for column, k in KINDS.items() if k == kind)
    table = pd.DataFrame({name: [value]})
    record = json.loads(to_json(table))[0][name]
    assert record == expected and type(record) is type(expected)
    assert to_csv(table).splitlines()[1] == repr(expected).removesuffix(".0")


def test_counts_are_integers_in_json_even_with_gaps():
    table = pd.DataFrame({"opportunities": [3.0, np.nan], "pipeline": [10.005, np.nan]})
    assert json.loads(to_json(table)) == [{"opportunities": 3, "pipeline": 10.01},
                                          {"opportunities": None, "pipeline": None}]
