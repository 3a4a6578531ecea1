"""The open pipeline: what the deals still open at a date are worth to each campaign.

An open deal is worth, to a campaign that touched it, its value (amount, or amount x margin)
x the campaign's attribution share (the model applied to the deal's eligible touches so far,
as if the deal closed at that date) x the probability that a deal of its age, still open, is
won before the campaign's target window ends:

    P = (CIF(age + remaining) - CIF(age)) / S(age)

CIF is the Aalen-Johansen cumulative incidence of winning by days since the deal's start (its
first eligible touch; without touches its campaign's launch), open deals censored and lost
deals competing, as ``roiclock lag`` fits it (:func:`roiclock.survival.cumulative_incidence`);
S(age) = 1 - CIF_won(age) - CIF_lost(age) is the probability of still being open. A deal with
no amount, or no created date (it cannot be placed in time), is left out: it counts through
the future part of a projection, not as zero.

:func:`valued` does this at several dates in one pass per date, so a projection can learn how
the pipeline valued at each age turned out (:mod:`roiclock.projection`). :func:`snapshot` is
the data as it stood at a past date, for backtests and ``watch``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from . import markov
from .attribution import deal_values
from .config import Settings
from .frames import days as _days
from .frames import deal_ranges, positions, take
from .models import MODELS, Touches
from .paths import deal_rows
from .survival import NAT, lag_lookback, win_curve
from .validation import Inputs, existed

DAY = np.timedelta64(1, "D")


def snapshot(inputs: Inputs, as_of) -> Inputs:
    """The data as it stood before ``as_of`` (earlier than ``inputs.as_of``), by the rule of
    ``--as-of`` (:func:`roiclock.validation.existed`): spend and touches dated before it, the
    deals that existed then, a deal won or lost on or after it still open (close date
    unknown); a touch of a deal not there yet is kept without its deal, as validation does."""
    as_of = pd.Timestamp(as_of).normalize()
    cut = np.datetime64(as_of.date(), "D")
    deals = inputs.deals
    touches = inputs.touches
    touched = np.zeros(len(deals) + 1, dtype=bool)
    if touches is not None:
        row = deal_rows(inputs)
        early = (touches["touch_date"].to_numpy().astype("datetime64[D]") < cut)
        touched[row[early]] = True
    exists, reopen = existed(deals, touched[:-1], as_of)
    new = deals.loc[exists].copy()
    reopen = reopen[exists]
    new["stage"] = np.where(reopen, "open", new["stage"].to_numpy())
    new["close_date"] = new["close_date"].where(~reopen, pd.NaT)
    new = new.reset_index(drop=True)
    if touches is not None:
        final = np.where(exists, np.cumsum(exists) - 1, -1)
        touches = touches.loc[early].assign(
            deal_row=take(final, row[early])).reset_index(drop=True)
    spend = inputs.spend[inputs.spend["date"] < as_of].reset_index(drop=True)
    return dataclasses.replace(inputs, spend=spend, deals=new, touches=touches, as_of=as_of)


HISTORY_TOUCHES = 300_000  # above this, the curves and the earlier cuts use a sample of deals


def _sample(row: np.ndarray, fraction: float) -> np.ndarray:
    """A fixed pseudo-random selection of deal rows (a multiplicative hash, no RNG state)."""
    return ((row.astype("uint64") * np.uint64(2654435761)) % np.uint64(2 ** 32)
            < np.uint64(int(fraction * 2 ** 32)))


def valued(inputs: Inputs, settings: Settings, campaigns: pd.DataFrame, target: int,
           cuts, chain: markov.Chain | None = None) -> np.ndarray:
    """PV[i, j]: the open pipeline of campaign i (a row of ``campaigns``: campaign, launch)
    valued at ``cuts[j]`` (descending dates, the first one as-of): deals open then (created
    before it, not closed before it), shared among the campaigns by the model over their
    touches before it (within the lookback), each at value x share x P(won before launch +
    ``target`` months | open at its age).

    The first cut values every open deal. With more than :data:`HISTORY_TOUCHES` touches, the
    win curves and the earlier cuts use a fixed sample of the deals (a hash of the row, the
    same everywhere), the earlier cuts scaled up by its fraction: they only teach the
    projection how a valued pipeline develops.
    """
    cuts = [pd.Timestamp(c) for c in cuts]
    n = len(campaigns)
    out = np.zeros((n, len(cuts)))
    deals = inputs.deals
    n_deals = len(deals)
    if not n_deals or not n or not cuts:
        return out
    touches = inputs.touches
    stage = deals["stage"].to_numpy().astype("str")
    closed = stage != "open"
    end = _days(deals["close_date"].where(closed, inputs.as_of))
    value = deal_values(inputs, settings)
    created = _days(deals["created_date"].to_numpy())
    close = np.where(closed, end, np.iinfo("int64").max)  # lost with no date: NAT, never open
    days = np.array([_days(np.datetime64(c.date(), "D")) for c in cuts])
    # deals open at one cut or another, with a value; the ones open at as-of
    usable = (np.isfinite(value) & (value > 0) & (created != NAT) & (created < days[0])
              & (close >= days[-1]) & (close != NAT))
    now = usable & (close >= days[0])
    fraction = min(1.0, HISTORY_TOUCHES / max(len(touches) if touches is not None else 0,
                                              n_deals, 1))
    sampled = _sample(np.arange(n_deals), fraction) if fraction < 1 else np.ones(n_deals, bool)
    launch = campaigns["launch"]
    deadline = _days((launch + pd.DateOffset(months=target)).astype("datetime64[s]")
                     .to_numpy())
    model = MODELS[settings.model]
    window = lag_lookback(settings.lookback_days)
    effect = unit = None
    if touches is not None:
        all_rows = deal_rows(inputs)
        need = np.append(sampled | now, False)[all_rows]  # row -1 reads the last slot
        keep = np.flatnonzero(need)
        row = all_rows[keep]
        t_day = _days(touches["touch_date"].to_numpy()[keep])
        t_pos = positions(touches["campaign"].iloc[keep], campaigns["campaign"])
        # the curves: each sampled deal from its first touch within lag's window (as lag
        # measures it: never cut to a lookback shorter than the horizon)
        ends = end[row]
        eligible = sampled[row] & (ends - t_day >= 0) & (ends - t_day < window)
        first = np.full(n_deals, np.iinfo("int64").max)
        np.minimum.at(first, row[eligible], t_day[eligible])
        start = np.where(first < np.iinfo("int64").max, first, NAT)
        del need, keep, ends, eligible, first  # per-touch arrays: ~1 GB at 100M touches
        if model.chain:
            fitted = chain or markov.chain(inputs, settings)
            names = np.asarray(campaigns["campaign"], dtype=object)
            effect = markov.touch_effects(fitted, inputs, settings, names, t_pos)
            unit = markov.touch_units(inputs, names, t_pos)
    else:
        row = np.flatnonzero(usable)
        t_pos = positions(deals["campaign"], campaigns["campaign"])[row]
        launch_days = _days(launch.to_numpy())
        t_day = np.where(t_pos >= 0, launch_days[np.maximum(t_pos, 0)], NAT)
        start = _launch_start(inputs, campaigns)
    curve = win_curve(np.where(sampled, start, NAT), end, stage)
    sets = []  # the touches valued at as-of, and those valued at the earlier cuts
    for deals_in in (now, sampled & usable):
        sets.append(_rows((row, t_day, t_pos, effect, unit), np.flatnonzero(deals_in[row])))
    del row, t_day, t_pos, effect, unit  # the sets hold their own rows from here
    for j, day in enumerate(days):  # one pass per date: a few dozen at most
        rows = sets[min(j, 1)]
        scale = 1.0 if j == 0 else 1 / fraction
        open_then = usable & (created < day) & (close >= day)
        # deal range by deal range (one piece below 1M touches), deals numbered from the
        # range's first: per-deal arrays the size of the range, not of every deal
        for low, high, piece in deal_ranges(rows[0], n_deals):
            r, t, p, e, u = _rows(rows, piece)
            out[:, j] += _worth(r if low == 0 else r - low, t, p, e, u, day,
                                open_then[low:high], value[low:high], created[low:high],
                                deadline, curve, model, settings, window, n, high - low,
                                touches is not None) * scale
    return out


def _rows(arrays: tuple, index: np.ndarray | None) -> tuple:
    """The same rows of each array (None stays None; a None index: all rows)."""
    return tuple(a if a is None or index is None else a[index] for a in arrays)


def _worth(r, t, p, e, u, day, open_then, value, created, deadline, curve, model, settings,
           window: int, n: int, n_deals: int, with_touches: bool) -> np.ndarray:
    """One cut of :func:`valued`: the pipeline open at ``day`` per campaign, over the touch
    rows of whole deals (r: deal, t: touch day, p: campaign position, e: Markov effect, u:
    Markov unit)."""
    at = open_then[r] & (t < day) & (t != NAT)
    # its age from its first touch within lag's window, its credit within the lookback
    started = at & ((day - t) < window) if with_touches else at
    begin = np.full(n_deals, np.iinfo("int64").max)
    np.minimum.at(begin, r[started], t[started])
    if with_touches:
        at &= (day - t) < settings.lookback_days
    if not at.any():
        return np.zeros(n)
    deal, pos, touch_day = r[at], p[at], t[at]
    if with_touches:
        # as if the deal closed at the cut: ages and its creation count back from it
        since_created = np.where(created[deal] != NAT, day - created[deal], np.nan)
        weights = model.weights(Touches(deal, pos, day - touch_day, n_deals,
                                        None if e is None else e[at],
                                        since_created.astype("float64"),
                                        None if u is None else u[at]), settings)
    else:
        weights = np.ones(len(deal))
    totals = np.bincount(deal, weights=weights, minlength=n_deals)[deal]
    ok = (pos >= 0) & (totals > 0)
    deal, pos = deal[ok], pos[ok]
    chance = curve.within(day - begin[deal], deadline[pos] - day)
    return np.bincount(pos, weights=value[deal] * weights[ok] / totals[ok] * chance,
                       minlength=n)


def _launch_start(inputs: Inputs, campaigns: pd.DataFrame) -> np.ndarray:
    """Without touches, a deal starts at its campaign's launch (as ``lag`` measures it)."""
    if inputs.touches is not None:
        return np.full(len(inputs.deals), NAT, dtype="int64")
    pos = positions(inputs.deals["campaign"], campaigns["campaign"])
    launch = _days(campaigns["launch"].to_numpy())
    return np.where(pos >= 0, launch[np.maximum(pos, 0)], NAT)
