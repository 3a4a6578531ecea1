"""The vectorized attribution and windows against a plain per-deal reference on random data.

The reference is written the slow, obvious way (a Python loop per deal, pandas DateOffset per
campaign and window), from the README's definitions, so that the optimized code (integer codes,
ufunc.at, civil-date arithmetic) is checked against something easy to read.
"""

import numpy as np
import pandas as pd
import pytest

import roiclock
from roiclock.models import MODELS as REGISTRY

# every heuristic model of the registry (markov has its own brute-force and reference tests)
MODELS = [name for name, model in REGISTRY.items() if not model.chain]


def position(age, p_first=0.4, p_last=0.4):
    """U-shaped weights of one deal's touches (ages in days before the close)."""
    n = len(age)
    first = (age == age.max()).to_numpy()
    last = (age == age.min()).to_numpy() & ~first
    middle = ~(first | last)
    if not last.any():
        return np.ones(n)
    if not middle.any():
        return np.where(first, 0.5 / first.sum(), 0.5 / last.sum())
    return np.where(first, p_first / first.sum(),
                    np.where(last, p_last / last.sum(), (1 - p_first - p_last) / middle.sum()))


def roles(age, created_days, shares):
    """W-shaped / custom weights of one deal's touches, written from the README's words."""
    if pd.isna(created_days):
        return position(age)  # no created date: position-based
    age = age.to_numpy()
    first, last = age == age.max(), age == age.min()
    before = age >= created_days  # on or before the creation
    created = (before & (age == age[before].min())) if before.any() else first
    middle = ~(first | last | created)
    w = np.zeros(len(age))
    for role, mask in (("first", first), ("created", created), ("last", last),
                       ("middle", middle)):
        if mask.any():
            w += np.where(mask, shares[role] / mask.sum(), 0.0)
    return w


def reference_credits(deals, touches, model, lookback=730, half_life=30.0):
    out = {}
    for deal in deals[deals["stage"] == "won"].itertuples():
        mine = touches[touches["deal_id"] == deal.deal_id]
        age = (deal.close_date - mine["touch_date"]).dt.days
        mine = mine.assign(age=age)[(age >= 0) & (age < lookback)]
        if mine.empty:
            out[(deal.deal_id, "(unattributed)")] = 1.0
            continue
        n = len(mine)
        oldest, newest = mine["age"].max(), mine["age"].min()
        if model == "linear":
            w = np.ones(n)
        elif model == "first":
            w = (mine["age"] == oldest).to_numpy(float)
        elif model == "last":
            w = (mine["age"] == newest).to_numpy(float)
        elif model == "time_decay":
            w = 2.0 ** (-mine["age"].to_numpy() / half_life)
        elif model == "position":
            w = position(mine["age"])
        elif model in ("w_shaped", "custom"):  # custom: the default weights are W-shaped
            created_days = (deal.close_date - deal.created_date).days \
                if not pd.isna(deal.created_date) else np.nan
            w = roles(mine["age"], created_days,
                      {"first": .3, "created": .3, "last": .3, "middle": .1})
        else:
            raise AssertionError(f"no reference for model {model}: write one from its definition")
        w = w / w.sum()
        for campaign, share in zip(mine["campaign"], w, strict=False):
            if share == 0:
                continue  # a touch without credit (first/last models) is not a credit row
            key = (deal.deal_id, campaign)
            out[key] = out.get(key, 0.0) + share
    return out


def random_data(seed, write):
    rng = np.random.default_rng(seed)
    day0 = pd.Timestamp("2022-01-31")
    campaigns = [f"C{i}" for i in range(6)]
    spend = pd.DataFrame({"campaign": rng.choice(campaigns, 40),
                          "date": day0 + pd.to_timedelta(rng.integers(0, 400, 40), "D"),
                          "amount": rng.uniform(1, 100, 40).round(2)})
    n = 60
    deals = pd.DataFrame({"deal_id": [f"D{i}" for i in range(n)],
                          "stage": rng.choice(["won", "won", "lost", "open"], n),
                          "close_date": day0 + pd.to_timedelta(rng.integers(0, 900, n), "D"),
                          "amount": rng.uniform(10, 1000, n).round(2)})
    # created up to 200 days before the close; a fifth without one (position fallback)
    created = deals["close_date"] - pd.to_timedelta(rng.integers(0, 200, n), "D")
    deals["created_date"] = created.where(rng.uniform(size=n) > 0.2)
    m = 250
    touches = pd.DataFrame({"deal_id": rng.choice(deals["deal_id"], m),
                            "campaign": rng.choice(campaigns + ["Unpaid"], m),
                            "touch_date": day0 + pd.to_timedelta(rng.integers(-100, 900, m),
                                                                 "D")})
    paths = []
    for name, frame in (("spend", spend), ("deals", deals), ("touches", touches)):
        paths.append(write(f"{name}.csv", frame.to_csv(index=False, date_format="%Y-%m-%d")))
    return paths, spend, deals, touches


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("model", MODELS)
def test_credits_match_reference(write, seed, model):
    paths, spend, deals, touches = random_data(seed, write)
    as_of = "2025-01-01"  # after every date: nothing is dropped
    s = roiclock.load_settings(model=model, lookback_days=300)
    credits = roiclock.attribute(roiclock.load(*paths, settings=s, as_of=as_of), s)
    got = {(d, c): v for d, c, v in zip(credits["deal_id"].astype(str),
                                        credits["campaign"].astype(str), credits["share"],
                                        strict=True)}
    want = reference_credits(deals, touches, model, lookback=300)
    assert got.keys() == want.keys()
    for key in want:
        assert got[key] == pytest.approx(want[key], abs=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_windows_match_reference(write, seed):
    paths, spend, deals, touches = random_data(seed, write)
    r = roiclock.run_report(*paths, windows=[1, 2, 3, 6, 12], as_of="2025-01-01")
    want_credits = reference_credits(deals, touches, "linear")
    close = deals.set_index("deal_id")["close_date"]
    amount = deals.set_index("deal_id")["amount"]
    first_touch = touches.groupby("campaign")["touch_date"].min()
    launches = spend.groupby("campaign")["date"].min()
    for row in r.table[r.table["campaign"] != "(unattributed)"].itertuples():
        launch = launches.get(row.campaign, first_touch.get(row.campaign))
        end = launch + pd.DateOffset(months=row.window_months)
        assert row.window_end == end
        cost = spend[(spend["campaign"] == row.campaign) & (spend["date"] < end)]["amount"].sum()
        ret = sum(share * amount[d] for (d, c), share in want_credits.items()
                  if c == row.campaign and close[d] < end)
        assert row.cost == pytest.approx(cost, abs=1e-9)
        assert row._6 == pytest.approx(ret, abs=1e-6)  # _6: the return column
