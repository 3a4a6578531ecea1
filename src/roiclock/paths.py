"""Touch paths: which deal each touch belongs to, which touches count, and in what order.

Attribution, the Markov chain and time to close all read a deal's touches the same way:

- a touch's deal is its row in ``inputs.deals`` (matched once by validation: ``deal_row``);
- a deal's path ends at its close (won or lost) or, still open, at as-of (:func:`deal_end`);
- a touch is eligible when ``0 <= end - touch_date < lookback_days`` days;
- a path runs in date order, same-day touches by campaign name (campaigns are alphabetical
  ranks, :func:`ranked`);
- a campaign launches at its first spend (:func:`campaigns`), where windows and, without
  touches, a deal's path start.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .frames import positions, take
from .schema import NO_CHANNEL, UNATTRIBUTED
from .validation import Inputs


def ranked(values: pd.Series, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Alphabetical rank of each value (of the ``rows`` given, else of every row; int32, -1
    for none: half the memory of int64 per touch, and callers add it to int64 keys) and the
    sorted distinct values of all rows (categories are ranked once, not per row)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        names = np.asarray(values.cat.categories, dtype=object)
        order = np.argsort(names, kind="stable")
        rank = np.empty(len(order), dtype="int32")
        rank[order] = np.arange(len(order))
        codes = values.cat.codes.to_numpy()
        return take(rank, codes if rows is None else codes[rows]), names[order]
    codes, names = pd.factorize(values, sort=True)
    return (codes if rows is None else codes[rows]).astype("int32"), np.asarray(names,
                                                                               dtype=object)


def deal_rows(inputs: Inputs) -> np.ndarray:
    """Each touch's deal as a row of ``inputs.deals`` (-1 if none), as validation found it."""
    touches = inputs.touches
    assert touches is not None
    if "deal_row" in touches:
        return touches["deal_row"].to_numpy()
    return positions(touches["deal_id"], inputs.deals["deal_id"])


def won_touches(inputs: Inputs, won: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The touches of won deals (``won``: won deals with their ``deal_row``): their positions
    among the touches and their deal as a row of ``won``. No per-touch integer array for
    all touches (at 100M touches, 800 MB for the ~25% that are on won deals)."""
    row = deal_rows(inputs)
    won_row = np.full(len(inputs.deals) + 1, -1)
    won_row[won["deal_row"].to_numpy()] = np.arange(len(won))
    at = np.flatnonzero((won_row >= 0)[row])  # row -1 reads the extra last slot: not won
    return at, won_row[row[at]]


def deal_end(inputs: Inputs) -> np.ndarray:
    """Where each deal's path ends: its close date, or as-of while it is open."""
    deals = inputs.deals
    return deals["close_date"].where(deals["stage"] != "open", inputs.as_of).to_numpy()


def eligible(inputs: Inputs, won: pd.DataFrame, lookback_days: int) -> pd.DataFrame:
    """deal (row of ``won``), campaign (alphabetical rank; the names in ``attrs["names"]``)
    and age_days of every touch of a won deal that is eligible for it. Without touches, each
    won deal's ``campaign`` is its one touch, on the close day (no lookback applies)."""
    if inputs.touches is None:
        rank, names = ranked(won["campaign"])
        has = rank >= 0
        frame = pd.DataFrame({"deal": np.flatnonzero(has), "campaign": rank[has],
                              "age_days": np.zeros(int(has.sum()), dtype="int64")})
        frame.attrs["names"] = names
        return frame
    touches = inputs.touches
    at, deal = won_touches(inputs, won)
    keep, age = _within(won["close_date"].to_numpy()[deal],
                        touches["touch_date"].to_numpy()[at], lookback_days)
    rank, names = ranked(touches["campaign"], at[keep])
    frame = pd.DataFrame({"deal": deal[keep], "campaign": rank,
                          "age_days": age[keep] // 86_400},
                         copy=False)  # columns as they are: no 2D block
    frame.attrs["names"] = names
    return frame


NAT_SECONDS = np.iinfo("int64").min  # NaT as datetime64[s] integers


def _within(end: np.ndarray, date: np.ndarray, lookback_days: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """The one eligibility rule: a touch on ``date`` counts for a path ending on ``end`` when
    0 <= end - date < lookback days. Returns that mask and the age in seconds (every date is
    a midnight, so whole days; int64 seconds: no timedelta or float copies of 10M rows)."""
    end = end.astype("datetime64[s]", copy=False).view("int64")
    date = date.astype("datetime64[s]", copy=False).view("int64")
    age = end - date
    keep = ((end != NAT_SECONDS) & (date != NAT_SECONDS) & (age >= 0)
            & (age < lookback_days * 86_400))
    return keep, age


def _eligible(inputs: Inputs, lookback_days: int):
    """Every deal's eligible touches (open deals: before as-of, within the lookback): their
    deal (row of inputs.deals), date and campaign rank; and the campaign names."""
    touches = inputs.touches
    assert touches is not None
    row = deal_rows(inputs)
    known = row >= 0
    every = bool(known.all())  # the usual case: no copy of every touch for it
    row = row if every else row[known]
    date = touches["touch_date"].to_numpy().astype("datetime64[s]", copy=False)
    date = date if every else date[known]
    keep = _within(deal_end(inputs).astype("datetime64[s]")[row], date, lookback_days)[0]
    rank, names = ranked(touches["campaign"])
    rank = rank if every else rank[known]
    return row[keep], date[keep], rank[keep], names


def path_steps(inputs: Inputs, lookback_days: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Every path step in path order: deal (row of inputs.deals), code (the campaign's
    position in the returned names, alphabetical) and date; and the campaign names. Every
    deal's eligible touches (open deals: before as-of, within the lookback)."""
    deal, date, rank, names = _eligible(inputs, lookback_days)
    key = date.view("int64") // 86_400  # days since 1970 (every date is a midnight)
    del date
    origin = key.min(initial=0)
    span = int(key.max(initial=0) - origin) + 1
    width = len(names) + 1
    # one integer key: deal, then day, then campaign name; sorted (twice as fast as an
    # argsort and the gathers after it), then read back; built in place (80 MB a copy at 10M)
    key -= origin
    key += deal * span
    # touches that come in deal order (most exports; deal rows rarely step back) make keys in
    # sorted runs, which a stable sort (timsort) merges: 10M keys 0.10 s against 0.61 s; in
    # any other order the default sort (0.63 s against 0.76 s)
    runs = np.count_nonzero(deal[1:] < deal[:-1]) < len(deal) // 100
    del deal
    key *= width
    key += rank
    del rank
    key.sort(kind="stable" if runs else None)
    rank, rest = np.divmod(key, width)[::-1]
    deal, day = np.divmod(rest, span)
    day += origin
    day *= 86_400  # seconds since 1970, in place: a view, not two date casts (0.37 s at 10M)
    return pd.DataFrame({"deal": deal, "code": rank, "date": day.view("datetime64[s]")},
                        copy=False), names


def path_starts(steps: pd.DataFrame, n_deals: int) -> np.ndarray:
    """Per deal, the date of the first of its :func:`path_steps` (they are in deal, then date
    order; NaT for a deal without a path): what :func:`first_steps` finds without the steps."""
    deal = steps["deal"].to_numpy()
    first = np.r_[True, deal[1:] != deal[:-1]] if len(deal) else np.zeros(0, dtype=bool)
    begin = np.full(n_deals, np.datetime64("NaT"), dtype="datetime64[s]")
    begin[deal[first]] = steps["date"].to_numpy()[first]
    return begin


def first_steps(inputs: Inputs, lookback_days: int) -> tuple[np.ndarray, pd.Series]:
    """Per deal (aligned with inputs.deals): the date and campaign of the first step of its
    path (:func:`path_steps`: earliest day, then first name; NaT and None for a deal without
    an eligible touch). One minimum per deal, no sort."""
    deal, date, rank, names = _eligible(inputs, lookback_days)
    key = date.view("int64") // 86_400  # days since 1970 (every date is a midnight)
    del date
    origin = key.min(initial=0)
    width = len(names) + 1
    key -= origin  # in place: at 10M touches each temporary is 80 MB
    key *= width
    key += rank
    del rank
    best = np.full(len(inputs.deals), np.iinfo("int64").max)
    np.minimum.at(best, deal, key)
    has = best < np.iinfo("int64").max
    begin = np.full(len(inputs.deals), np.datetime64("NaT"), dtype="datetime64[s]")
    begin[has] = (best[has] // width + origin).astype("datetime64[D]")
    campaign = np.full(len(inputs.deals), None, dtype=object)
    campaign[has] = np.asarray(names, dtype=object)[best[has] % width]
    return begin, pd.Series(campaign)


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


def campaigns(inputs: Inputs, credits: pd.DataFrame) -> pd.DataFrame:
    """One row per campaign: campaign, channel, launch (sorted by launch, then name).

    Launch is the earliest spend date; a credited campaign without spend launches at its
    earliest touch (single touch: its earliest deal date, created or else closed). With spend
    periods, a cohort starts on the first day of its period, in its campaign's channel."""
    if inputs.cohorts is not None:
        seen = set(inputs.spend["campaign"].dropna().astype("str")) | set(
            pd.Series(credits["campaign"]).dropna().astype("str"))
        cohorts = inputs.cohorts[inputs.cohorts["campaign"].isin(seen)]
        return (cohorts.rename(columns={"start": "launch"})[["campaign", "channel", "launch"]]
                .sort_values(["launch", "campaign"], kind="stable").reset_index(drop=True))
    paid = (inputs.spend.groupby("campaign", sort=False)
            .agg(channel=("channel", "first"), launch=("date", "min")).reset_index())
    credited = pd.Index(credits["campaign"].unique()).difference(
        pd.Index(paid["campaign"])).difference([UNATTRIBUTED])
    if inputs.touches is not None:
        dated = inputs.touches[["campaign", "touch_date"]].set_axis(["campaign", "date"], axis=1)
    else:
        deals = inputs.deals
        dated = pd.DataFrame({"campaign": deals["campaign"],
                              "date": deals["created_date"].fillna(deals["close_date"])})
    unpaid = (dated[dated["campaign"].isin(credited)].groupby("campaign")["date"].min()
              .rename("launch").reset_index().assign(channel=NO_CHANNEL))
    table = pd.concat([paid, unpaid[["campaign", "channel", "launch"]]], ignore_index=True)
    table["campaign"] = table["campaign"].astype("str")
    table["channel"] = table["channel"].astype("str")
    return table.sort_values(["launch", "campaign"], kind="stable").reset_index(drop=True)


def channel_of(inputs: Inputs, campaign_names) -> np.ndarray:
    """The spend channel of each campaign name (``(none)`` for campaigns without spend)."""
    spend = inputs.spend.drop_duplicates("campaign")
    channel = pd.Series(spend["channel"].astype("str").to_numpy(),
                        index=spend["campaign"].astype("str").to_numpy())
    return (pd.Series(campaign_names, dtype=object).map(channel).fillna(NO_CHANNEL)
            .astype("str").to_numpy())
