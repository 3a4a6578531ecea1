"""Maturity: cost, return and ROI of each campaign (or group) at windows after launch.

Window ``w`` of a campaign is ``[launch, launch + w calendar months)``: cost(w) is spend dated
before the window end (times the cost multiplier), return(w) the attributed return of won deals
closed before it, ROI(w) = (return - cost) / cost (empty when cost is 0). A window is mature
when its end <= as-of; an immature window has no cost, return or ROI (unknown, not zero).

Groups (channel, portfolio) add up, at every window, only the campaigns mature at the largest
window, so each point of a curve compares the same campaigns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import Settings
from .frames import ROWS_PER_PASS, cumulative_by_month, months_since, positions
from .paths import campaigns, source_positions
from .schema import UNATTRIBUTED, InputError
from .validation import Inputs

BY = ("campaign", "channel", "portfolio")
PORTFOLIO = "portfolio"          # the ``by`` value
ALL_CAMPAIGNS = "all campaigns"  # the label of its one group
CONTRACT = ["window_months", "window_end", "mature", "cost", "return", "roi"]


def month_index(dates, pos: np.ndarray, launch: pd.Series, last: int):
    """Per row: calendar months from its campaign's launch (``pos``: the campaign's row in
    ``launch``, -1 for none) to its date, and the rows that count (a campaign and a date)."""
    dates = np.asarray(dates)
    ok = (pos >= 0) & ~np.isnat(dates)
    launch_days = launch.to_numpy().astype("datetime64[D]")
    months = np.full(len(pos), last, dtype="int64")
    for low in range(0, len(pos), ROWS_PER_PASS):  # slices bound the date arithmetic's arrays
        part = slice(low, low + ROWS_PER_PASS)
        counted = ok[part]
        months[part][counted] = months_since(launch_days[pos[part][counted]],
                                             dates[part][counted])
    return months, np.where(ok, pos, -1)


def cumulative(dates, values, pos: np.ndarray, launch: pd.Series, last: int,
               months=None) -> np.ndarray:
    """C[i, k] = sum of ``values`` of campaign i (row positions ``pos``, -1 for none) dated
    before launch_i + k calendar months, for k = 0..last. One pass over the rows; ``months``
    (from :func:`month_index`) saves the date arithmetic when known."""
    months, pos = month_index(dates, pos, launch, last) if months is None else months
    return cumulative_by_month(pos, months, np.asarray(values, dtype="float64"), len(launch),
                               last)


def roi(cost, ret) -> np.ndarray:
    """ROI = (return - cost) / cost, NaN where cost is not positive: the one ROI formula.

    >>> roi([100.0, 0.0, 50.0], [150.0, 20.0, 0.0]).tolist()
    [0.5, nan, -1.0]
    """
    cost = np.asarray(cost, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(cost > 0, (np.asarray(ret, dtype="float64") - cost) / cost, np.nan)


KPIS = ["opportunities", "pipeline", "won_deals", "lost_deals", "win_rate",
        "cost_per_opportunity"]


def per_opportunity(cost, opportunities) -> np.ndarray:
    """Cost per opportunity, NaN without opportunities or without cost (an unpaid campaign
    has no cost per opportunity, as it has no ROI; not 0).

    >>> per_opportunity([100.0, 0.0, 50.0], [4, 3, 0]).tolist()
    [25.0, nan, nan]
    """
    cost = np.asarray(cost, dtype="float64")
    opportunities = np.asarray(opportunities, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((opportunities > 0) & (cost > 0), cost / opportunities, np.nan)


def _kpi_sums(inputs: Inputs, table: pd.DataFrame, last: int) -> dict:
    """Cumulative counts by month over the deals each campaign sourced (first touch, or the
    deal's campaign): created (with a created date), their pipeline value, won and lost."""
    deals = inputs.deals
    pos = source_positions(inputs, table["campaign"])
    stage = deals["stage"].to_numpy()
    ones = np.ones(len(deals))
    launch = table["launch"]
    created = month_index(deals["created_date"].to_numpy(), pos, launch, last)
    closed_months, closed_pos = month_index(deals["close_date"].to_numpy(), pos, launch, last)
    return {
        "opportunities": cumulative(None, ones, pos, launch, last, created),
        "pipeline": cumulative(None, deals["amount"].fillna(0.0).to_numpy(), pos, launch, last,
                               created),
        "won_deals": cumulative(None, ones, pos, launch, last,
                                (closed_months, np.where(stage == "won", closed_pos, -1))),
        "lost_deals": cumulative(None, ones, pos, launch, last,
                                 (closed_months, np.where(stage == "lost", closed_pos, -1)))}


def _kpis(sums: dict, months: int, cost: np.ndarray) -> dict:
    """Leading indicators of each campaign before its window end: opportunities (deals of any
    stage created before the end; deals without a created date are not counted), their
    pipeline value, won and lost deals closed before the end, win rate = won / (won + lost),
    cost per opportunity."""
    at = {name: values[:, months] for name, values in sums.items()}
    won, lost, opportunities = at["won_deals"], at["lost_deals"], at["opportunities"]
    with np.errstate(divide="ignore", invalid="ignore"):
        return {**at, "win_rate": won / (won + lost),
                "cost_per_opportunity": per_opportunity(cost, opportunities)}


@dataclass(frozen=True)
class ByMonth:
    """Per campaign (``table``: campaign, channel, launch), the cumulative cost (x the cost
    multiplier) and return dated before launch + k months, k = 0..last: what windows, curves
    and the projection triangle all read."""

    table: pd.DataFrame
    cost: np.ndarray
    ret: np.ndarray

    @property
    def last(self) -> int:
        return self.cost.shape[1] - 1


def by_month(inputs: Inputs, credits: pd.DataFrame, settings: Settings, last: int) -> ByMonth:
    """One pass over spend and one over credits (see :func:`cumulative`)."""
    table = campaigns(inputs, credits)
    launch = table["launch"]
    cost = cumulative(inputs.spend["date"].to_numpy(), inputs.spend["amount"],
                      positions(inputs.spend["campaign"], table["campaign"]), launch,
                      last) * settings.cost_multiplier
    ret = cumulative(credits["close_date"].to_numpy(), credits["return"],
                     positions(credits["campaign"], table["campaign"]), launch, last)
    return ByMonth(table, cost, ret)


def campaign_windows(inputs: Inputs, credits: pd.DataFrame, settings: Settings,
                     months: ByMonth | None = None) -> pd.DataFrame:
    """Every campaign x window with its measured values; immature windows stay empty.
    ``months`` (from :func:`by_month`, to at least the largest window) saves the passes.

    Columns: campaign, window_months, window_end, mature, cost, return, roi, channel, launch,
    then the leading indicators (see ``_kpis``).
    """
    last = max(settings.windows)
    if months is None or months.last < last:
        months = by_month(inputs, credits, settings, last)
    table, cost_by_month, return_by_month = months.table, months.cost, months.ret
    launch = table["launch"]
    kpi_sums = _kpi_sums(inputs, table, last)
    parts = []
    for window in settings.windows:  # a handful of windows
        ends = (launch + pd.DateOffset(months=window)).astype(launch.dtype)
        mature = (ends <= inputs.as_of).to_numpy()
        cost = np.where(mature, cost_by_month[:, window], np.nan)
        ret = np.where(mature, return_by_month[:, window], np.nan)
        kpis = {name: np.where(mature, values, np.nan)
                for name, values in _kpis(kpi_sums, window, cost).items()}
        parts.append(pd.DataFrame({
            "campaign": table["campaign"], "window_months": window, "window_end": ends,
            "mature": mature, "cost": cost, "return": ret, "roi": roi(cost, ret),
            "channel": table["channel"], "launch": launch, **kpis}))
    out = pd.concat(parts, ignore_index=True)
    order = {c: i for i, c in enumerate(table["campaign"])}
    out["_order"] = out["campaign"].map(order)
    out = out.sort_values(["_order", "window_months"], kind="stable").drop(columns="_order")
    return out.reset_index(drop=True)


def _unattributed_rows(credits: pd.DataFrame, settings: Settings, by: str) -> pd.DataFrame:
    total = float(credits.loc[credits["campaign"] == UNATTRIBUTED, "return"].sum())
    if not (credits["campaign"] == UNATTRIBUTED).any():
        return pd.DataFrame()
    n = len(settings.windows)
    return pd.DataFrame({by: UNATTRIBUTED, "window_months": list(settings.windows),
                         "window_end": pd.Series([pd.NaT] * n, dtype="datetime64[s]"),
                         "mature": pd.array([pd.NA] * n, dtype="boolean"),
                         "cost": 0.0, "return": total, "roi": np.nan})


def group_windows(per_campaign: pd.DataFrame, settings: Settings, by: str) -> pd.DataFrame:
    """Sum campaigns mature at the largest window into groups (``channel`` or ``portfolio``).

    Paid and unpaid apart: cost, return, ROI and the leading indicators add up the campaigns
    with a cost (counted in ``campaigns``); the return of campaigns without one (an unpaid
    webinar) is ``unpaid_return`` (of ``unpaid_campaigns``), never in a ROI.

    Columns: <by>, window_months, window_end (latest among the group's campaigns), mature,
    cost, return, roi, campaigns, the leading indicators, unpaid_return, unpaid_campaigns.
    With spend periods (a ``period`` column in ``per_campaign``), one group per <by> and
    period, and a ``period`` column at the end."""
    frame = per_campaign.copy()
    frame[PORTFOLIO] = ALL_CAMPAIGNS
    keys = [by, *(["period"] if "period" in frame else [])]
    largest = max(settings.windows)
    at_largest = (frame["window_months"] == largest) & frame["mature"].fillna(False)
    full = frame.loc[at_largest, "campaign"]
    paid = frame.loc[at_largest & (frame["cost"] > 0), "campaign"]
    groups = frame[keys].drop_duplicates().sort_values(keys).itertuples(index=False)
    counted = frame[frame["campaign"].isin(paid)]
    unpaid = frame[frame["campaign"].isin(full) & ~frame["campaign"].isin(paid)]
    # plain sum/max/nunique per column: a named .agg costs ~10 ms a call on a handful of rows
    grouped = counted.groupby([*keys, "window_months"])
    sums = grouped[["cost", "return", "opportunities", "pipeline", "won_deals",
                    "lost_deals"]].sum().rename(columns={"return": "ret"})
    sums["window_end"] = grouped["window_end"].max()
    sums["campaigns"] = grouped["campaign"].nunique()
    grouped = unpaid.groupby([*keys, "window_months"])
    apart = pd.DataFrame({"unpaid_end": grouped["window_end"].max(),
                          "unpaid_return": grouped["return"].sum(),
                          "unpaid_campaigns": grouped["campaign"].nunique()})
    index = pd.MultiIndex.from_tuples([(*group, w) for group in groups
                                       for w in settings.windows],
                                      names=[*keys, "window_months"])
    sums = sums.join(apart, how="outer").reindex(index).reset_index()
    for column in ("campaigns", "unpaid_campaigns"):
        sums[column] = sums[column].fillna(0).astype("int64")
    sums["mature"] = (sums["campaigns"] + sums["unpaid_campaigns"]) > 0
    only_unpaid = sums["mature"] & (sums["campaigns"] == 0)
    sums.loc[only_unpaid, ["cost", "ret"]] = 0.0
    sums["window_end"] = sums["window_end"].fillna(sums["unpaid_end"])
    sums["unpaid_return"] = sums["unpaid_return"].where(~sums["mature"] | sums[
        "unpaid_return"].notna(), 0.0)
    out = pd.DataFrame({by: sums[by].astype("str"), "window_months": sums["window_months"],
                        "window_end": sums["window_end"].astype("datetime64[s]"),
                        "mature": sums["mature"], "cost": sums["cost"],
                        "return": sums["ret"], "roi": roi(sums["cost"], sums["ret"]),
                        "campaigns": sums["campaigns"]})
    with np.errstate(divide="ignore", invalid="ignore"):
        out["opportunities"] = sums["opportunities"]
        out["pipeline"] = sums["pipeline"]
        out["won_deals"] = sums["won_deals"]
        out["lost_deals"] = sums["lost_deals"]
        out["win_rate"] = sums["won_deals"] / (sums["won_deals"] + sums["lost_deals"])
        out["cost_per_opportunity"] = per_opportunity(sums["cost"], sums["opportunities"])
    out["unpaid_return"] = sums["unpaid_return"]
    out["unpaid_campaigns"] = sums["unpaid_campaigns"]
    if "period" in keys:
        out["period"] = sums["period"].astype("str")
    return out


def to_date(inputs: Inputs, credits: pd.DataFrame, settings: Settings,
            per_campaign: pd.DataFrame, by: str) -> pd.DataFrame:
    """Cost and return so far, whatever the age: per <by> (and period), ``cost_to_date`` (all
    spend before as-of, x the cost multiplier), ``return_to_date`` (all attributed return
    closed before as-of), ``roi_to_date`` and ``immature_cost_share``: the share of that cost
    in campaigns not yet mature at the largest window. Groups add up their paid campaigns,
    all of them, young ones included: not comparable across ages, what finance asks first.
    Unpaid campaigns' return is ``unpaid_return_to_date`` (on an unpaid campaign's own row,
    ``return_to_date`` is empty)."""
    largest = max(settings.windows)
    rows = per_campaign[per_campaign["window_months"] == largest]
    cost = (inputs.spend.groupby("campaign", observed=True)["amount"].sum()
            * settings.cost_multiplier)
    ret = credits.groupby("campaign", observed=True)["return"].sum()
    frame = pd.DataFrame({"campaign": rows["campaign"].to_numpy(),
                          "channel": rows["channel"].to_numpy(),
                          "mature": rows["mature"].fillna(False).to_numpy(dtype=bool)})
    if "period" in rows:
        frame["period"] = rows["period"].to_numpy()
    frame[PORTFOLIO] = ALL_CAMPAIGNS
    frame["cost"] = frame["campaign"].map(cost).fillna(0.0).to_numpy(dtype="float64")
    frame["ret"] = frame["campaign"].map(ret).fillna(0.0).to_numpy(dtype="float64")
    paid = frame["cost"] > 0
    frame["paid_ret"] = np.where(paid, frame["ret"], 0.0)
    frame["unpaid_ret"] = np.where(paid, 0.0, frame["ret"])
    frame["young_cost"] = np.where(frame["mature"], 0.0, frame["cost"])
    keys = [by, *(["period"] if "period" in frame and by != "campaign" else [])]
    sums = frame.groupby(keys, sort=False)[["cost", "paid_ret", "unpaid_ret",
                                            "young_cost"]].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(sums["cost"] > 0, sums["young_cost"] / sums["cost"], np.nan)
    paid_ret = sums["paid_ret"]
    if by == "campaign":  # an unpaid campaign's own row: its return is unpaid_return_to_date,
        paid_ret = paid_ret.where(sums["cost"] > 0)  # blank here, not a return of 0
    return pd.DataFrame({"cost_to_date": sums["cost"], "return_to_date": paid_ret,
                         "roi_to_date": roi(sums["cost"], sums["paid_ret"]),
                         "immature_cost_share": share,
                         "unpaid_return_to_date": sums["unpaid_ret"]}).reset_index()


def with_periods(per_campaign: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """With spend periods, each cohort's ``period`` (groups then add up per period too)."""
    if inputs.cohorts is None:
        return per_campaign
    period = inputs.cohorts.set_index("campaign")["period"]
    return per_campaign.assign(period=per_campaign["campaign"].map(period))


def maturity(inputs: Inputs, credits: pd.DataFrame, settings: Settings,
             by: str = "campaign", per_campaign: pd.DataFrame | None = None,
             with_to_date: bool = False) -> pd.DataFrame:
    """The report table: one row per group and window, contract columns first.

    ``by='campaign'`` lists every campaign, mature or not, then ``(unattributed)``;
    ``by='channel'`` and ``by='portfolio'`` sum the campaigns mature at the largest window.
    ``with_to_date`` adds the to-date columns of :func:`to_date`. The last column, ``note``,
    explains the rows that read differently (see :data:`NOTES`).
    """
    if by not in BY:
        raise InputError(f"expected {', '.join(BY)}, got '{by}'", option="by")
    if per_campaign is None:
        per_campaign = campaign_windows(inputs, credits, settings)
    per_campaign = with_periods(per_campaign, inputs)
    if by == "campaign":
        per_campaign = per_campaign.copy()
        table = per_campaign
    else:
        table = group_windows(per_campaign, settings, by)
    if by != PORTFOLIO:
        extra = _unattributed_rows(credits, settings, by)
        if len(extra):
            table = pd.concat([table.astype({"mature": "boolean"}), extra], ignore_index=True)
    table["mature"] = table["mature"].astype("boolean")
    if with_to_date:
        so_far = to_date(inputs, credits, settings, per_campaign, by)
        keys = [k for k in so_far.columns if k in (by, "period")]
        table = table.merge(so_far, on=keys, how="left")
    if "period" in table:  # keep the period right before the note
        table["period"] = table.pop("period")
    table["note"] = None
    table.loc[table[by] == UNATTRIBUTED, "note"] = NOTES["unattributed"]
    if by == "campaign":
        cost = inputs.spend.groupby("campaign", observed=True)["amount"].sum()
        paid = cost.index[cost.to_numpy() * settings.cost_multiplier > 0].astype("str")
        unpaid = ~table["campaign"].isin(paid) & (table["campaign"] != UNATTRIBUTED)
        table.loc[unpaid, "note"] = NOTES["unpaid"]
    return table.reset_index(drop=True)


# What the ``note`` column of the report says of rows that read differently
NOTES = {
    "unattributed": "won deals without an eligible touch: their whole return, in no window "
                    "and no ROI",
    "unpaid": "no cost: no ROI, and its return is outside every group ROI (unpaid_return)",
}
