"""Every input row is used, rejected with a reason, or counted as after the as-of (hypothesis
over random dirty files)."""

import pandas as pd
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

import roiclock

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
