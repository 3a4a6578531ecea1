"""Attribution models on hand-computed cases."""

import pytest
from conftest import inputs_from, shares

import roiclock

# One won deal closing 2024-03-31 for 1000, touched by A (90 days before), B (30 days before)
# and C (on the close date).
DEALS = "deal_id,close_date,amount,stage,margin\nD1,2024-03-31,1000,won,0.6\n"
TOUCHES = """deal_id,campaign,touch_date
D1,A,2024-01-01
D1,B,2024-03-01
D1,C,2024-03-31
"""


def credit(write, model, deals=DEALS, touches=TOUCHES, **settings):
    inputs, s = inputs_from(write, deals, touches, model=model, **settings)
    return roiclock.attribute(inputs, s)


def test_first_touch(write):
    assert shares(credit(write, "first"), "D1") == {"A": 1.0}


def test_last_touch(write):
    assert shares(credit(write, "last"), "D1") == {"C": 1.0}


def test_linear(write):
    got = shares(credit(write, "linear"), "D1")
    assert got == pytest.approx({"A": 1 / 3, "B": 1 / 3, "C": 1 / 3})


def test_time_decay_half_life_30_days(write):
    # weights 2^(-90/30) = 0.125, 2^(-30/30) = 0.5, 2^0 = 1; total 1.625
    got = shares(credit(write, "time_decay"), "D1")
    assert got == pytest.approx({"A": 0.125 / 1.625, "B": 0.5 / 1.625, "C": 1 / 1.625})


def test_time_decay_other_half_life(write):
    # half-life 90 days: 2^-1 = 0.5, 2^(-1/3) = 0.7937005, 1; total 2.2937005
    got = shares(credit(write, "time_decay", half_life_days=90), "D1")
    total = 0.5 + 2 ** (-1 / 3) + 1
    assert got == pytest.approx({"A": 0.5 / total, "B": 2 ** (-1 / 3) / total, "C": 1 / total})


def test_position_three_touches(write):
    # 40% first, 40% last, 20% to the single middle touch
    assert shares(credit(write, "position"), "D1") == pytest.approx({"A": .4, "B": .2, "C": .4})


def test_position_middle_shared(write):
    touches = TOUCHES + "D1,B2,2024-03-02\n"
    # middle B and B2 share 20%: 10% each
    got = shares(credit(write, "position", touches=touches), "D1")
    assert got == pytest.approx({"A": .4, "B": .1, "B2": .1, "C": .4})


def test_position_two_touches_half_each(write):
    touches = "deal_id,campaign,touch_date\nD1,A,2024-01-01\nD1,C,2024-03-31\n"
    assert shares(credit(write, "position", touches=touches), "D1") == {"A": .5, "C": .5}


def test_position_one_touch_gets_all(write):
    touches = "deal_id,campaign,touch_date\nD1,A,2024-01-01\n"
    assert shares(credit(write, "position", touches=touches), "D1") == {"A": 1.0}


def test_same_day_ties_share(write):
    # two touches on the close date: last touch splits 50/50; first touch goes to A alone
    touches = TOUCHES + "D1,D,2024-03-31\n"
    assert shares(credit(write, "last", touches=touches), "D1") == {"C": .5, "D": .5}
    assert shares(credit(write, "first", touches=touches), "D1") == {"A": 1.0}


def test_repeat_touches_of_one_campaign_add_up(write):
    touches = TOUCHES + "D1,A,2024-02-01\n"
    # linear over 4 touches, A has two of them: 2/4
    got = shares(credit(write, "linear", touches=touches), "D1")
    assert got == pytest.approx({"A": .5, "B": .25, "C": .25})


def test_lookback_is_half_open(write):
    # close 2024-03-31; lookback 90 days: 2024-01-01 is exactly 90 days before (excluded),
    # 2024-01-02 is 89 days before (included)
    touches = "deal_id,campaign,touch_date\nD1,A,2024-01-01\nD1,B,2024-01-02\n"
    assert shares(credit(write, "linear", touches=touches, lookback_days=90), "D1") == {"B": 1.0}
    got = shares(credit(write, "linear", touches=touches, lookback_days=91), "D1")
    assert got == {"A": .5, "B": .5}


def test_touch_after_close_not_eligible_and_unattributed(write):
    deals = DEALS + "D2,2024-03-31,250,won,\n"
    touches = TOUCHES + "D2,A,2024-04-01\n"  # the day after the close: not eligible
    credits = credit(write, "linear", deals=deals, touches=touches)
    assert shares(credits, "D2") == {"(unattributed)": 1.0}
    assert credits.loc[credits["deal_id"] == "D2", "return"].tolist() == [250.0]


def test_margin_basis(write):
    deals = DEALS + "D2,2024-03-31,200,won,\n"
    touches = TOUCHES + "D2,A,2024-03-30\n"
    credits = credit(write, "last", deals=deals, touches=touches, basis="margin",
                     default_margin=0.25)
    # D1: 1000 x 0.6 = 600 to C; D2 has no margin: 200 x default 0.25 = 50 to A
    returns = dict(zip(credits["deal_id"].astype(str) + credits["campaign"].astype(str),
                       credits["return"], strict=False))
    assert returns == {"D1C": 600.0, "D2A": 50.0}


def test_lost_and_open_deals_earn_nothing(write):
    deals = DEALS + "D2,2024-03-30,500,lost,\nD3,,,open,\n"
    touches = TOUCHES + "D2,A,2024-03-01\nD3,A,2024-03-01\n"
    credits = credit(write, "linear", deals=deals, touches=touches)
    assert set(credits["deal_id"]) == {"D1"}


def test_single_touch_uses_deal_campaign(write):
    deals = "deal_id,close_date,amount,campaign\nD1,2024-03-31,1000,A\nD2,2024-03-31,50,\n"
    inputs, s = inputs_from(write, deals, model="position")
    credits = roiclock.attribute(inputs, s)
    assert shares(credits, "D1") == {"A": 1.0}
    assert shares(credits, "D2") == {"(unattributed)": 1.0}
    assert credits["return"].sum() == 1050.0


@pytest.mark.parametrize("model", [m for m, spec in roiclock.MODELS.items() if not spec.chain])
def test_credits_sum_to_one_per_deal(write, model):
    touches = TOUCHES + "D1,A,2024-03-31\nD2,B,2024-02-01\nD2,B,2024-02-01\nD2,C,2024-03-15\n"
    deals = DEALS + "D2,2024-03-31,10,won,\nD3,2024-03-31,10,won,\n"
    credits = credit(write, model, deals=deals, touches=touches)
    sums = credits.groupby("deal_id")["share"].sum()
    assert sums.to_dict() == pytest.approx({"D1": 1.0, "D2": 1.0, "D3": 1.0}, abs=1e-12)


W_DEALS = """deal_id,close_date,amount,stage,created_date
D1,2024-03-31,1000,won,2024-02-15
D2,2024-03-31,300,won,2024-01-15
D3,2024-03-31,100,won,
"""
W_TOUCHES = """deal_id,campaign,touch_date
D1,A,2024-01-01
D1,B,2024-02-01
D1,C,2024-02-10
D1,D,2024-03-01
D1,E,2024-03-20
D2,A,2024-01-01
D2,B,2024-03-01
D3,A,2024-01-01
D3,B,2024-02-01
D3,C,2024-03-01
"""


def test_w_shaped(write):
    credits = credit(write, "w_shaped", deals=W_DEALS, touches=W_TOUCHES)
    # D1: A first .3, C the last touch before creation (2024-02-15) .3, E last .3; B and D
    # share the middle .1
    assert shares(credits, "D1") == pytest.approx({"A": .3, "B": .05, "C": .3, "D": .05,
                                                   "E": .3})
    # D2: A is first and the touch before creation: .3 + .3; B last .3; no middle: 2/3, 1/3
    assert shares(credits, "D2") == pytest.approx({"A": 2 / 3, "B": 1 / 3})
    # D3 has no created date: position-based, 40 / 20 / 40
    assert shares(credits, "D3") == pytest.approx({"A": .4, "B": .2, "C": .4})
    assert credits.attrs["position_fallback"] == 1


def test_custom_position_weights(write):
    weights = {"first": .5, "created": .2, "last": .2, "middle": .1}
    credits = credit(write, "custom", deals=W_DEALS, touches=W_TOUCHES,
                     position_weights=weights)
    assert shares(credits, "D1") == pytest.approx({"A": .5, "B": .05, "C": .2, "D": .05,
                                                   "E": .2})
    # D2: A .5 + .2, B .2: 7/9 and 2/9
    assert shares(credits, "D2") == pytest.approx({"A": 7 / 9, "B": 2 / 9})


@pytest.mark.parametrize("weights", [{"first": .5, "last": .6}, {"first": -.1, "last": 1.1},
                                     {"first": .5, "end": .5}])
def test_bad_position_weights(weights):
    with pytest.raises(roiclock.InputError, match="position_weights"):
        roiclock.load_settings(position_weights=weights)
