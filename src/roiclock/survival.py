"""Time to close: how long after the first touch deals are won, with open deals censored.

Each deal runs from its start (its first eligible touch; without touches, its campaign's
launch; with ``start='created'``, its created date) to its close (won or lost) or, still open,
to as-of, where it is right-censored. Eligible here is the one rule of
:func:`roiclock.paths.first_steps` with a lookback of at least the horizon
(:func:`lag_lookback`): the attribution lookback says how long a touch earns credit, not how
long a deal may take, so a 90-day lookback cannot cut every duration to 90 days.

Lost deals are a competing outcome, not censoring: the probability of having won by time t is
the Aalen-Johansen cumulative incidence

    CIF(t) = sum over close days t_j <= t of S(t_j-) * won_j / at_risk_j

with S the Kaplan-Meier probability of still being open (any close ends a deal). With no lost
deals, CIF = 1 - Kaplan-Meier. ``share_of_wins`` = CIF(t) / CIF(horizon): the share of the
wins seen by the horizon that had already closed by t, which is what the surveys describe.

A group's follow-up is the time from its earliest start to as-of: no deal of it can have been
seen longer, so the curve beyond it is unknown (not the last value carried on). That one rule
blanks a month past the follow-up and, since a share and the median divide by CIF(horizon),
the shares, their interval and the median of a group followed for less than the horizon (a
curve that has not reached the horizon levels off early, which would inflate every share).

Months are average calendar months of 365.25 / 12 days on this time axis (every deal has its
own start, so the axis is in days). Intervals: a Poisson bootstrap (each cell of
group x day x outcome redrawn as Poisson(count), which is the same as Poisson-weighting every
deal), percentile interval; fixed seed, so the output is deterministic.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import periods
from .config import Settings
from .frames import positions, take
from .paths import campaigns as campaign_table
from .paths import deal_end, first_steps
from .periods import PERIODS
from .schema import NO_CHANNEL, InputError
from .validation import Inputs

DAYS_PER_MONTH = 365.25 / 12
LAG_BY = ("portfolio", "channel", "campaign")
STARTS = ("touch", "created")
ALL_DEALS = "all deals"  # the label of the portfolio's one group
SEP = "\x1f"  # joins a group and its period in one key
NAT = np.iinfo("int64").min  # a missing day, as whole days since 1970


# Why a deal has no duration (it is counted under the table, not dropped silently)
NO_START = {"touch": "no eligible touch", "campaign": "no campaign",
            "created": "no created date", "order": "closed before its start"}


LAG_MONTHS = (1, 3, 6, 9, 12)  # lag's months by default (those within the horizon)


def lag_lookback(lookback_days: int, horizon_months: float = 24) -> int:
    """How far before its end a touch may be and still start a deal's duration: the
    attribution lookback, but never less than the horizon (every whole day up to
    ``horizon_months``, which the curves count: a deal won 365 days after its only touch is
    inside a 12-month horizon of 365.25 days).

    A shorter lookback would cut every duration to it (a GA4-style 90 days: every win "within
    a quarter"); a longer one widens the window as it widens attribution's. With the default
    730 days and 24 months (730.5 days): 731.

    >>> lag_lookback(90), lag_lookback(730), lag_lookback(1095), lag_lookback(90, 12)
    (731, 731, 1095, 366)
    """
    return max(lookback_days, int(horizon_months * DAYS_PER_MONTH) + 1)


def deal_durations(inputs: Inputs, settings: Settings, start: str = "touch",
                   horizon_months: float = 24) -> pd.DataFrame:
    """One row per deal with a start: deal_id, campaign, channel, days, outcome.

    outcome is ``won``, ``lost`` or ``open`` (censored at as-of). Deals with no start (see
    :func:`deal_starts`) are left out."""
    starts = deal_starts(inputs, settings, start, horizon_months)
    kept = starts[starts["no_start"] == ""]
    return kept.drop(columns="no_start").astype({"days": "int64"}).reset_index(drop=True)


def _days_to(end: np.ndarray, begin: np.ndarray) -> np.ndarray:
    """Whole days from ``begin`` to ``end`` per deal, NaN where either is missing (negative
    when the deal closed before its start)."""
    days = (end - begin).astype("timedelta64[D]").astype("float64")
    days[np.isnat(end) | np.isnat(begin)] = np.nan
    return days


def deal_starts(inputs: Inputs, settings: Settings, start: str = "touch",
                horizon_months: float = 24) -> pd.DataFrame:
    """One row per deal: deal_id, campaign, channel, days (from its start to its end, NaN
    without a start), outcome and ``no_start``: why it has no duration ("" when it has one):
    no eligible touch, no campaign (single touch), no created date (``start='created'``),
    or closed before its start. Eligible: within :func:`lag_lookback` of its end."""
    if start not in STARTS:
        raise InputError(f"expected {' or '.join(STARTS)}, got '{start}'", option="start")
    deals = inputs.deals
    end = deal_end(inputs)
    seen = deals["campaign"] if inputs.touches is None else inputs.touches["campaign"]
    table = campaign_table(inputs, pd.DataFrame({"campaign": seen.dropna().unique()}))
    launch = pd.Series(table["launch"].to_numpy(), index=table["campaign"])
    channel = pd.Series(table["channel"].to_numpy(), index=table["campaign"])
    if inputs.touches is not None:
        begin, campaign = first_steps(inputs, lag_lookback(settings.lookback_days,
                                                           horizon_months))
        missing = NO_START["touch"]
    else:
        campaign = deals["campaign"]
        found = positions(campaign, launch.index)
        begin = take(launch.to_numpy().astype("datetime64[s]"), found,
                     np.datetime64("NaT", "s"))
        missing = NO_START["campaign"]
    if start == "created":
        begin = deals["created_date"].to_numpy()
        missing = NO_START["created"]
    days = _days_to(end, begin)
    reason = np.where(np.isnan(days), missing, np.where(days < 0, NO_START["order"], ""))
    campaign = pd.Series(campaign, index=deals.index).astype("str").where(
        pd.Series(campaign, index=deals.index).notna(), NO_CHANNEL)
    # each distinct campaign's channel looked up once, then taken per deal (1M deals at 10M
    # touches: no per-row lookups or object round trips)
    codes, names = pd.factorize(campaign)
    channels = (pd.Series(names).map(channel).astype(object).fillna(NO_CHANNEL)
                .astype("str").array)
    return pd.DataFrame({
        "deal_id": deals["deal_id"].array,
        "campaign": campaign.array,
        "channel": channels.take(codes),
        "days": np.where(reason == "", days, np.nan),
        "outcome": deals["stage"].to_numpy(), "no_start": reason,
        "start_date": np.where(reason == "", begin, np.datetime64("NaT", "s"))})


def _group_cumsum(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Cumulative sum along the last axis, restarting at each group (first[j] = index of the
    first cell of j's group)."""
    total = np.cumsum(values, axis=-1)
    return total - (total[..., first] - values[..., first])


def cumulative_incidence(first: np.ndarray, won, lost, censored) -> np.ndarray:
    """Aalen-Johansen CIF of winning at each cell; cells sorted by (group, day).

    ``won``, ``lost``, ``censored`` are counts per cell (arrays of the same shape; a leading
    axis holds bootstrap draws)."""
    return _aalen_johansen(first, won, lost, censored)[0]


def _aalen_johansen(first: np.ndarray, won, lost, censored):
    """CIF of winning and the Kaplan-Meier probability of still being open, both at (after)
    each cell."""
    exits = won + lost + censored
    at_group = _group_cumsum(exits, first)
    size = at_group[..., _last_index(first)]
    at_risk = size - (at_group - exits)
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard_close = np.where(at_risk > 0, (won + lost) / at_risk, 0.0)
        hazard_won = np.where(at_risk > 0, won / at_risk, 0.0)
        log_open = np.where(hazard_close < 1, np.log1p(-np.minimum(hazard_close, 1)), 0.0)
    survival_before = np.exp(_group_cumsum(log_open, first) - log_open)
    survival_before = np.where(_zero_before(hazard_close, first), 0.0, survival_before)
    return (_group_cumsum(survival_before * hazard_won, first),
            survival_before * (1 - np.minimum(hazard_close, 1)))


@dataclass(frozen=True)
class WinCurve:
    """Per day since a deal's start: ``won`` (cumulative incidence of winning) and ``open``
    (probability of being still open), both as daily arrays (the last value holds after)."""

    won: np.ndarray
    open: np.ndarray

    def within(self, age_days, remaining_days) -> np.ndarray:
        """P(won within ``remaining_days`` | still open at ``age_days``); 0 where nothing
        remains or no deal was ever seen open that long."""
        age = np.clip(np.asarray(age_days, dtype="int64"), 0, len(self.won) - 1)
        until = np.clip(age + np.maximum(np.asarray(remaining_days, dtype="int64"), 0), 0,
                        len(self.won) - 1)
        still = self.open[age]
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(still > 1e-12, (self.won[until] - self.won[age]) / still, 0.0)
        return np.clip(p, 0.0, 1.0)


def win_curve(start: np.ndarray, end: np.ndarray, stage: np.ndarray) -> WinCurve:
    """The Aalen-Johansen curves from deal starts and ends (days) and stages."""
    ok = (start != NAT) & (end != NAT) & (end >= start)
    days = (end - start)[ok]
    outcome = stage[ok]
    length = int(days.max(initial=0)) + 2
    counts = [np.bincount(days[outcome == s], minlength=length).astype("float64")
              for s in ("won", "lost", "open")]
    seen = np.flatnonzero(counts[0] + counts[1] + counts[2] > 0)
    if len(seen) == 0:
        return WinCurve(np.zeros(1), np.ones(1))
    first = np.zeros(len(seen), dtype="int64")
    won, lost, censored = (c[seen] for c in counts)
    cif_won = cumulative_incidence(first, won, lost, censored)
    cif_lost = cumulative_incidence(first, lost, won, censored)
    index = np.searchsorted(seen, np.arange(length), side="right") - 1
    daily_won = np.where(index >= 0, cif_won[np.maximum(index, 0)], 0.0)
    daily_lost = np.where(index >= 0, cif_lost[np.maximum(index, 0)], 0.0)
    # still open after `day` days: 1 - everything closed by then; beyond the longest deal
    # seen, no estimate (0: nothing more is expected)
    still = 1 - daily_won - daily_lost
    still[-1] = 0.0
    return WinCurve(daily_won, still)



def win_chance(inputs: Inputs, settings: Settings, horizon_months: float = 24,
               start: str = "touch", begin: np.ndarray | None = None) -> np.ndarray:
    """Per deal (aligned with ``inputs.deals``), the probability it is won within
    ``horizon_months`` of its start: 1 when won, 0 when lost, and for a deal still open at age
    a (days since its start, at as-of) the chance that a deal open that long goes on to win
    in the time left, from the portfolio's Aalen-Johansen curves (:func:`win_curve`). An open
    deal without a start counts from age 0. ``begin``: each deal's start when the caller
    has it already (the first step of its path within :func:`lag_lookback`), else found as
    :func:`deal_starts` does."""
    if begin is None:
        days = deal_starts(inputs, settings, start, horizon_months)["days"].to_numpy(
            dtype="float64")
    else:
        days = _days_to(deal_end(inputs), begin)
        days[days < 0] = np.nan  # closed before its start: no duration
    stage = inputs.deals["stage"].to_numpy().astype("str")
    out = np.where(stage == "won", 1.0, 0.0)
    is_open = stage == "open"
    if not is_open.any():
        return out
    known = np.isfinite(days)
    curve = win_curve(np.zeros(int(known.sum()), dtype="int64"),
                      days[known].astype("int64"), stage[known])
    age = np.nan_to_num(days, nan=0.0)[is_open].astype("int64")
    horizon = int(horizon_months * DAYS_PER_MONTH)
    out[is_open] = curve.within(age, horizon - age)
    return out


def _last_index(first: np.ndarray) -> np.ndarray:
    """For each cell, the index of the last cell of its group."""
    n = len(first)
    starts = np.flatnonzero(np.r_[True, first[1:] != first[:-1]]) if n else np.array([], int)
    ends = np.r_[starts[1:], n] - 1
    return np.repeat(ends, np.diff(np.r_[starts, n]))


def _zero_before(hazard: np.ndarray, first: np.ndarray) -> np.ndarray:
    """True where an earlier cell of the group closed every deal at risk (S fell to 0)."""
    done = (hazard >= 1).astype("float64")
    return (_group_cumsum(done, first) - done) > 0


def _cells(durations: pd.DataFrame):
    """Counts of won, lost and open (censored) deals per group and day, sorted."""
    cells = (pd.DataFrame({"group": durations["group"].to_numpy(),
                           "days": durations["days"].to_numpy(),
                           "outcome": durations["outcome"].to_numpy()})
             .value_counts().unstack("outcome", fill_value=0)
             .reindex(columns=["won", "lost", "open"], fill_value=0)
             .sort_index().reset_index())
    codes, groups = pd.factorize(cells["group"], sort=True)
    starts = np.r_[0, np.flatnonzero(np.diff(codes)) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, len(codes)]))
    return cells, codes, groups, first


def _at(cif: np.ndarray, codes, days, n_groups, limit_days: np.ndarray) -> np.ndarray:
    """CIF of every group at each limit (days): value of the last cell with day <= limit.
    Returns shape (..., groups, limits)."""
    span = int(max(days.max(initial=0), limit_days.max(initial=0))) + 2
    key = codes.astype("int64") * span + days
    query = (np.arange(n_groups)[:, None] * span + np.floor(limit_days)[None, :]).astype("int64")
    pos = np.searchsorted(key, query, side="right") - 1
    valid = (pos >= 0) & (codes[np.maximum(pos, 0)] == np.arange(n_groups)[:, None])
    values = cif[..., np.maximum(pos, 0)]
    return np.where(valid, values, 0.0)


def lag(inputs: Inputs, settings: Settings, by: str = "portfolio",
        months=(1, 3, 6, 9, 12), horizon_months: float = 24, start: str = "touch",
        confidence: float = 0.95, draws: int = 500, seed: int = 0,
        period: str | None = None) -> pd.DataFrame:
    """Time-to-close table: one row per group and month.

    Columns: <by>, months, win_probability, share_of_wins, interval_low, interval_high,
    median_days, deals, won, lost, censored, won_median_days (the plain median of the closed
    wins, which ignores open and lost deals). Deals without a start are not dropped: one row
    per reason, ``(no start: <reason>)``, carries their counts (months and estimates empty).
    With ``period`` (month or quarter), one curve per group and period of the deals' start
    (are deals getting slower?), in a last column ``period``.
    """
    if period is not None and period not in PERIODS:
        raise InputError(f"expected {' or '.join(PERIODS)}, got '{period}'", option="period")
    if by not in LAG_BY:
        raise InputError(f"expected {', '.join(LAG_BY)}, got '{by}'", option="by")
    if not 0 < confidence < 1:
        raise InputError(f"expected a level between 0 and 1, got {confidence}",
                         option="confidence")
    months = np.asarray(list(dict.fromkeys(months)), dtype="float64")  # 3,3: one row
    if not len(months) or not (months > 0).all():
        raise InputError(f"expected positive months, got {months.tolist()}", option="months")
    if not horizon_months > 0:
        raise InputError(f"expected positive months, got {horizon_months}",
                         option="horizon_months")
    if months.max() > horizon_months:
        raise InputError(f"{months.max():g} is beyond the horizon ({horizon_months:g} months, "
                         "what 'eventual' means): a share of eventual wins cannot be "
                         "measured past it; raise --horizon", option="months")
    starts = deal_starts(inputs, settings, start, horizon_months)
    durations = starts[starts["no_start"] == ""].astype({"days": "int64"})
    label = "portfolio" if by == "portfolio" else by
    columns = [label, "months", "win_probability", "share_of_wins", "interval_low",
               "interval_high", "median_days", "deals", "won", "lost", "censored",
               "won_median_days", *(["period"] if period else [])]
    excluded = _no_start_rows(starts, label, columns)
    if durations.empty:
        return excluded
    group = (pd.Series(ALL_DEALS, index=durations.index) if by == "portfolio"
             else durations[by]).astype("str")
    if period:  # one curve per group and period of the deals' start
        group = group + SEP + periods.label(durations["start_date"], period)
    durations = durations.assign(group=group)
    cells, codes, groups, first = _cells(durations)
    days = cells["days"].to_numpy()
    counts = [cells[c].to_numpy(dtype="float64") for c in ("won", "lost", "open")]
    limits = np.r_[months, horizon_months] * DAYS_PER_MONTH
    cif = cumulative_incidence(first, *counts)
    at = _at(cif, codes, days, len(groups), limits)          # groups x (months + horizon)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = at[:, :-1] / at[:, -1:]
    rng = np.random.default_rng(seed)
    boot_counts = [rng.poisson(c, size=(draws, len(c))).astype("float64") for c in counts]
    boot = _at(cumulative_incidence(first, *boot_counts), codes, days, len(groups), limits)
    with np.errstate(divide="ignore", invalid="ignore"):
        boot_share = boot[..., :-1] / boot[..., -1:]        # draws x groups x months
    alpha = (1 - confidence) / 2
    with warnings.catch_warnings():  # a group without any win has no share: NaN, silently
        warnings.simplefilter("ignore", RuntimeWarning)
        low = np.nanquantile(boot_share, alpha, axis=0)
        high = np.nanquantile(boot_share, 1 - alpha, axis=0)
    # the one follow-up rule: a group followed for less than a month asked for, or than the
    # horizon, cannot say anything about it: unknown. Shares of eventual wins, their interval
    # and the median divide by the curve at the horizon, so they are unknown too for a group
    # not followed to the horizon (its curve levels off early: every share would run high);
    # its win probabilities stay, up to its follow-up
    first_start = durations.groupby("group")["start_date"].min().reindex(groups)
    follow_up = (inputs.as_of - first_start).dt.days.to_numpy(dtype="float64")
    seen = limits[None, :] <= follow_up[:, None]            # groups x (months + horizon)
    at = np.where(seen, at, np.nan)
    reached = seen[:, -1:]
    share, low, high = (np.where(reached, x, np.nan) for x in (share, low, high))
    median = _median_days(cif, codes, days, at[:, -1], len(groups), horizon_months)
    median = np.where(reached[:, 0], median, np.nan)
    totals = cells.groupby(codes)[["won", "lost", "open"]].sum().to_numpy()
    n_months = len(months)
    out = pd.DataFrame({
        label: np.repeat(np.asarray(groups, dtype=object), n_months).astype("str"),
        "months": np.tile(months, len(groups)),
        "win_probability": at[:, :-1].ravel(),
        "share_of_wins": share.ravel(),
        "interval_low": low.ravel(), "interval_high": high.ravel(),
        "median_days": np.repeat(median, n_months),
        "deals": np.repeat(totals.sum(axis=1), n_months).astype("int64"),
        "won": np.repeat(totals[:, 0], n_months).astype("int64"),
        "lost": np.repeat(totals[:, 1], n_months).astype("int64"),
        "censored": np.repeat(totals[:, 2], n_months).astype("int64")})
    won = durations[durations["outcome"] == "won"]
    out["won_median_days"] = out[label].map(won.groupby("group")["days"].median())
    if period:
        out["period"] = out[label].str.split(SEP).str[1]
        out[label] = out[label].str.split(SEP).str[0]
    whole = out["months"] == np.round(out["months"])
    if whole.all():
        out["months"] = out["months"].astype("Int64")
    result = (pd.concat([out[columns], excluded], ignore_index=True) if len(excluded)
              else out[columns])
    # why a group has no share (for the note under the table): followed for less than the
    # horizon, or followed to it without a win within it
    result.attrs["followed_short"] = int((~reached[:, 0]).sum())
    result.attrs["no_win_within"] = int((reached[:, 0] & ~(at[:, -1] > 0)).sum())
    return result


def _no_start_rows(starts: pd.DataFrame, label: str, columns: list[str]) -> pd.DataFrame:
    """One row per reason a deal has no start, with its counts (months, estimates empty)."""
    missing = starts[starts["no_start"] != ""]
    if missing.empty:
        return pd.DataFrame(columns=columns)
    counts = (pd.crosstab(missing["no_start"], missing["outcome"])
              .reindex(columns=["won", "lost", "open"], fill_value=0))
    rows = pd.DataFrame({label: [f"(no start: {reason})" for reason in counts.index],
                         "months": pd.array([pd.NA] * len(counts), dtype="Int64"),
                         "deals": counts.sum(axis=1).to_numpy(),
                         "won": counts["won"].to_numpy(), "lost": counts["lost"].to_numpy(),
                         "censored": counts["open"].to_numpy()})
    return rows.reindex(columns=columns)


def _median_days(cif, codes, days, at_horizon, n_groups, horizon_months) -> np.ndarray:
    """First day at which CIF reaches half its value at the horizon (NaN if never; NaN too
    where the value at the horizon is unknown). Reaching is up to rounding: three wins of 1/7
    reach half of 6/7 although their float sum falls short of it in the last bit."""
    target = at_horizon[codes] / 2 * (1 - 1e-9)
    reached = (cif >= target) & (at_horizon[codes] > 0) & (days <= horizon_months *
                                                             DAYS_PER_MONTH)
    hit_days = np.where(reached, days, np.inf)
    best = np.full(n_groups, np.inf)
    np.minimum.at(best, codes, hit_days)
    return np.where(np.isfinite(best), best, np.nan)
