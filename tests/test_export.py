import json

import numpy as np
import pandas as pd

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
