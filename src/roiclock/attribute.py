"""Attribution: each won deal's value split among the campaigns that touched it.

A touch is eligible for a won deal when ``0 <= close_date - touch_date < lookback_days`` days.
Every model gives each deal's eligible touches weights, normalized per deal so a deal's shares
sum to 1; shares of the same campaign within a deal are added. A won deal without an eligible
touch is credited in full to ``(unattributed)``.

Without a touches file, each won deal's ``campaign`` column is its single touch, dated at the
close (the CRM's source campaign is an explicit assignment, so the lookback does not apply).

All passes are vectorized and need no sort: per-deal quantities (oldest and newest touch,
counts, weight totals) are scattered with ``np.maximum.at`` / ``np.bincount`` over integer deal
codes and gathered back by indexing; campaigns are integer ranks (alphabetical, for ties).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import markov
from .config import Settings
from .frames import positions, take
from .schema import NO_CHANNEL, UNATTRIBUTED, InputError
from .validate import Inputs

CREDIT_COLUMNS = ["deal_id", "campaign", "close_date", "share", "return"]


def won_deals(inputs: Inputs, settings: Settings) -> pd.DataFrame:
    """Won deals with their ``value``: amount (revenue basis) or amount x margin."""
    is_won = (inputs.deals["stage"] == "won").to_numpy()
    won = inputs.deals.loc[is_won, ["deal_id", "close_date", "amount", "margin", "campaign"]]
    won = won.assign(deal_row=np.flatnonzero(is_won))
    value = won["amount"]
    if settings.basis == "margin":
        default = np.nan if settings.default_margin is None else settings.default_margin
        value = value * won["margin"].fillna(default)
    return won.assign(value=value.astype("float64")).reset_index(drop=True)


def _eligible_touches(inputs: Inputs, won: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """deal (row of ``won``), campaign (alphabetical rank; the names in ``attrs["names"]``)
    and age_days of every eligible touch."""
    if inputs.touches is None:
        rank, names = ranked(won["campaign"])
        has = rank >= 0
        frame = pd.DataFrame({"deal": np.flatnonzero(has), "campaign": rank[has],
                              "age_days": np.zeros(int(has.sum()), dtype="int64")})
        frame.attrs["names"] = names
        return frame
    touches = inputs.touches
    deal = won_rows(inputs, won)
    on_won = deal >= 0
    deal = deal[on_won]
    close = won["close_date"].to_numpy()[deal]
    age = (close - touches["touch_date"].to_numpy()[on_won]).astype("timedelta64[D]")
    age = age.astype("int64")
    keep = (age >= 0) & (age < settings.lookback_days)
    rank, names = ranked(touches["campaign"])
    frame = pd.DataFrame({"deal": deal[keep], "campaign": rank[on_won][keep],
                          "age_days": age[keep]})
    frame.attrs["names"] = names
    return frame


def deal_rows(inputs: Inputs) -> np.ndarray:
    """Each touch's deal as a row of ``inputs.deals`` (-1 if none), as validate found it."""
    touches = inputs.touches
    if "deal_row" in touches:
        return touches["deal_row"].to_numpy()
    return positions(touches["deal_id"], inputs.deals["deal_id"])


def won_rows(inputs: Inputs, won: pd.DataFrame) -> np.ndarray:
    """Each touch's deal as a row of ``won`` (-1 when not a won deal)."""
    row = deal_rows(inputs)
    won_row = np.full(len(inputs.deals) + 1, -1)
    won_row[won["deal_row"].to_numpy()] = np.arange(len(won))
    return won_row[row]  # row -1 reads the extra last slot: -1


def _weights(deal: np.ndarray, age: np.ndarray, n_deals: int, settings: Settings
             ) -> np.ndarray:
    """Unnormalized weight of each touch (rows in any order; per-deal quantities are
    scattered with ufunc.at and bincount, no sort)."""
    n = len(deal)

    def per_deal(values: np.ndarray) -> np.ndarray:
        return np.bincount(deal, weights=values, minlength=n_deals)[deal]

    oldest_by_deal = np.full(n_deals, np.iinfo("int64").min)
    newest_by_deal = np.full(n_deals, np.iinfo("int64").max)
    np.maximum.at(oldest_by_deal, deal, age)
    np.minimum.at(newest_by_deal, deal, age)
    oldest, newest = oldest_by_deal[deal], newest_by_deal[deal]
    model = settings.model
    if model == "linear":
        return np.ones(n)
    if model == "first":
        return (age == oldest).astype("float64")
    if model == "last":
        return (age == newest).astype("float64")
    if model == "time_decay":
        # relative to the deal's newest touch: the same normalized shares, no underflow
        return np.exp2(-(age - newest) / settings.half_life_days)
    if model == "position":
        return _position_weights(age, oldest, newest, per_deal, settings)
    raise ValueError(f"unknown model {model!r}")


def markov_chain(inputs: Inputs, settings: Settings, paths: bool = False):
    """The Markov chain fitted on every deal's path (see :mod:`roiclock.markov`); with
    ``paths``, also the readable transition and path tables (slower: text per deal)."""
    if inputs.touches is None:
        raise InputError("the markov model needs a touches file (paths of several touches)")
    steps, campaign_names = markov.path_steps(inputs, settings.lookback_days)
    converted = (inputs.deals["stage"] == "won").to_numpy()
    campaign_codes = steps["code"].to_numpy()
    if settings.markov_level == "channel":
        channel = channel_of(inputs, campaign_names)
        codes_channel, names = pd.factorize(channel, sort=True)
        codes = codes_channel[campaign_codes]
        names = np.asarray(names, dtype=object)
    else:
        codes, names = campaign_codes, campaign_names
    return markov.fit(steps, converted, names, codes, settings.markov_order, tables=paths)


def channel_of(inputs: Inputs, campaign_names) -> np.ndarray:
    """The spend channel of each campaign name (``(none)`` for campaigns without spend)."""
    spend = inputs.spend.drop_duplicates("campaign")
    channel = pd.Series(spend["channel"].astype("str").to_numpy(),
                        index=spend["campaign"].astype("str").to_numpy())
    return (pd.Series(campaign_names, dtype=object).map(channel).fillna(NO_CHANNEL)
            .astype("str").to_numpy())


def _markov_weights(inputs: Inputs, settings: Settings, touches: pd.DataFrame,
                    chain=None) -> np.ndarray:
    """Each distinct campaign of a won deal's path weighs its removal effect (its channel's,
    with markov_level channel); repeats weigh 0; a deal whose effects are all 0 splits
    equally among its distinct campaigns."""
    chain = chain or markov_chain(inputs, settings)
    names = touches.attrs["names"]
    if settings.markov_level == "channel":
        level = channel_of(inputs, names)
    else:
        level = np.asarray(names, dtype=object).astype("str")
    effect_of = pd.Series(chain.removal_effects, index=np.asarray(chain.names).astype("str"))
    effect = pd.Series(level).map(effect_of).fillna(0.0).to_numpy()[touches["campaign"]]
    deal = touches["deal"].to_numpy()
    key = deal * (len(names) + 1) + touches["campaign"].to_numpy()
    first = np.zeros(len(key), dtype=bool)
    first[np.unique(key, return_index=True)[1]] = True
    weights = np.where(first, effect, 0.0)
    total = np.bincount(deal, weights=weights, minlength=deal.max(initial=-1) + 1)
    return np.where(total[deal] > 0, weights, first.astype("float64"))


def _position_weights(age, oldest, newest, per_deal, settings: Settings) -> np.ndarray:
    """U-shaped: first-day touches share position_first, last-day ones position_last, the
    middle ones the rest. One day of touches: equal shares; no middle: first and last days
    split in the ratio position_first : position_last (50/50 by default)."""
    first = age == oldest
    last = (age == newest) & ~first
    middle = ~(first | last)
    n_first, n_last, n_middle = (per_deal(m.astype("float64")) for m in (first, last, middle))
    p_first, p_last = settings.position_first, settings.position_last
    ends = p_first + p_last
    no_middle_first = p_first / ends if ends > 0 else 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        with_middle = np.where(first, p_first / n_first,
                               np.where(last, p_last / n_last, (1 - ends) / n_middle))
        without_middle = np.where(first, no_middle_first / n_first,
                                  (1 - no_middle_first) / n_last)
    weights = np.where(n_middle > 0, with_middle, without_middle)
    one_day = n_last == 0
    return np.where(one_day, 1.0, weights)


def attribute(inputs: Inputs, settings: Settings, chain=None) -> pd.DataFrame:
    """Credits of every won deal: deal_id, campaign, close_date, share, return.

    ``share`` sums to 1 per deal; ``return`` = deal value x share. With the markov model,
    ``chain`` (from :func:`markov_chain`) saves fitting it again.

    Examples
    --------
    >>> credits = attribute(inputs, load_settings(model="position"))  # doctest: +SKIP
    """
    won = won_deals(inputs, settings)
    touches = _eligible_touches(inputs, won, settings)
    deal = touches["deal"].to_numpy()
    if settings.model == "markov":
        weights = _markov_weights(inputs, settings, touches, chain)
    else:
        weights = _weights(deal, touches["age_days"].to_numpy(), len(won), settings)
    totals = np.bincount(deal, weights=weights, minlength=len(won))
    share = weights / totals[deal] if len(deal) else weights
    names = list(touches.attrs["names"])
    if UNATTRIBUTED not in names:
        names.append(UNATTRIBUTED)
    width = len(names)
    # one (deal, campaign) key: shares of a campaign touched twice in a deal add up
    keys, inverse = np.unique(deal * width + touches["campaign"].to_numpy(), return_inverse=True)
    sums = np.bincount(inverse, weights=share, minlength=len(keys))
    keys, sums = keys[sums > 0], sums[sums > 0]
    credited = np.bincount(keys // width, minlength=len(won)) > 0
    missing = np.flatnonzero(~credited)
    key = np.r_[keys, missing * width + names.index(UNATTRIBUTED)]
    shares = np.r_[sums, np.ones(len(missing))]
    order = np.argsort(key, kind="stable")
    key, shares = key[order], shares[order]
    rows = key // width
    return pd.DataFrame({
        "deal_id": won["deal_id"].array.take(rows),
        "campaign": pd.Categorical.from_codes(key % width, categories=pd.Index(names,
                                                                             dtype="str")),
        "close_date": won["close_date"].to_numpy()[rows],
        "share": shares,
        "return": won["value"].to_numpy()[rows] * shares,
    })


def source_positions(inputs: Inputs, keys) -> np.ndarray:
    """For each deal (aligned with ``inputs.deals``), the position in ``keys`` of the campaign
    that sourced it: its earliest touch (same-day ties: the first campaign by name), or
    without touches its ``campaign`` column; -1 when none."""
    deals = inputs.deals
    if inputs.touches is None:
        return positions(deals["campaign"], keys)
    touches = inputs.touches
    deal = deal_rows(inputs)
    rank, names = ranked(touches["campaign"])
    seconds = touches["touch_date"].to_numpy().astype("datetime64[s]", copy=False)
    width = len(names) + 1
    key = seconds.view("int64") // 86_400  # days
    key -= key.min(initial=0)
    key *= width
    key += rank  # earliest day, then first name
    best = np.full(len(deals) + 1, np.iinfo("int64").max)
    np.minimum.at(best, deal, key)  # deal -1 (none) lands in the extra last slot
    best = best[:-1]
    has = best < np.iinfo("int64").max
    name_position = positions(pd.Series(names, dtype=object), keys)
    out = np.full(len(deals), -1, dtype="int64")
    out[has] = name_position[best[has] % width]
    return out


def ranked(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Alphabetical rank of each value and the sorted distinct values (categories are ranked
    once, not per row)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        names = np.asarray(values.cat.categories, dtype=object)
        order = np.argsort(names, kind="stable")
        rank = np.empty(len(order), dtype="int64")
        rank[order] = np.arange(len(order))
        codes = values.cat.codes.to_numpy()
        return take(rank, codes), names[order]
    codes, names = pd.factorize(values, sort=True)
    return codes.astype("int64"), np.asarray(names, dtype=object)
