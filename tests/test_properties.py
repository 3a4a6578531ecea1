"""Property tests over random deals and touches (hypothesis)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

import roiclock
from roiclock.validation import Inputs

MODELS = list(roiclock.MODELS)
DAY0 = np.datetime64("2023-01-01", "s")


@st.composite
def data(draw):
    n_deals = draw(st.integers(1, 15))
    n_touches = draw(st.integers(0, 40))
    campaigns = ["A", "B", "C", "D"]
    day = st.integers(0, 800)
    deals = pd.DataFrame({
        "deal_id": [f"D{i}" for i in range(n_deals)],
        "stage": draw(st.lists(st.sampled_from(["won", "won", "lost", "open"]),
                               min_size=n_deals, max_size=n_deals)),
        "close_date": DAY0 + np.array(draw(st.lists(day, min_size=n_deals, max_size=n_deals)),
                                      dtype="timedelta64[D]"),
        "amount": draw(st.lists(st.floats(0, 1e6), min_size=n_deals, max_size=n_deals)),
        "margin": np.nan, "created_date": pd.NaT, "campaign": pd.NA, "line": 0})
    deals["created_date"] = deals["created_date"].astype("datetime64[s]")
    touches = pd.DataFrame({
        "deal_id": [f"D{i}" for i in draw(st.lists(st.integers(0, n_deals - 1),
                                                   min_size=n_touches, max_size=n_touches))],
        "campaign": draw(st.lists(st.sampled_from(campaigns), min_size=n_touches,
                                  max_size=n_touches)),
        "touch_date": DAY0 + np.array(draw(st.lists(day, min_size=n_touches,
                                                    max_size=n_touches)),
                                      dtype="timedelta64[D]"),
        "line": 0})
    touches["touch_date"] = touches["touch_date"].astype("datetime64[s]")
    spend = pd.DataFrame({"campaign": campaigns, "channel": ["x", "x", "y", "y"],
                          "date": np.array([DAY0] * 4), "amount": [10.0, 20.0, 0.0, 5.0],
                          "line": 0})
    return Inputs(spend, deals, touches, pd.Timestamp("2026-01-01"), pd.DataFrame(),
                  pd.DataFrame())


@pytest.mark.parametrize("model", MODELS)
@hsettings(deadline=None)
@given(inputs=data(), lookback=st.integers(1, 900))
def test_credits_conserve_value(model, inputs, lookback):
    s = roiclock.load_settings(model=model, lookback_days=lookback)
    credits = roiclock.attribute(inputs, s)
    won = inputs.deals[inputs.deals["stage"] == "won"]
    # every won deal is credited, its shares sum to 1, nothing else is credited
    sums = credits.groupby("deal_id")["share"].sum()
    assert set(sums.index) == set(won["deal_id"])
    assert np.allclose(sums.to_numpy(), 1.0, rtol=0, atol=1e-12)
    assert (credits["share"] > 0).all()
    # attributed + unattributed return = total won return
    assert credits["return"].sum() == pytest.approx(won["amount"].sum(), rel=1e-9, abs=1e-6)


@hsettings(deadline=None)
@given(inputs=data(), model=st.sampled_from(MODELS))
def test_return_never_falls_as_window_grows(inputs, model):
    s = roiclock.load_settings(model=model, windows=[1, 3, 6, 12, 24])
    credits = roiclock.attribute(inputs, s)
    table = roiclock.maturity(inputs, credits, s)
    table = table[table["campaign"] != "(unattributed)"]
    for _, rows in table.groupby("campaign"):
        ret = rows.sort_values("window_months")["return"].to_numpy(dtype=float)
        assert np.all(np.diff(ret) >= 0)
