"""Spend periods: always-on campaigns measured as monthly or quarterly cohorts.

With ``period='month'`` (or ``'quarter'``), every campaign x period becomes a cohort named
``<campaign> <period>`` (``Paid search brand 2024-03``, ``Paid search brand 2024-Q1``): its cost
is that period's spend and its start the first day of the period, so its windows count from
there. Each touch belongs to the cohort of its own date; without a touches file, a deal's one
touch belongs to the cohort of its created date (no created date: the campaign's first period).
A cohort that earns credit but had no spend in its period is that campaign's unpaid return for
the period (cost 0, no ROI, ``unpaid_return`` in groups), never moved to another month.

The split is a relabelling of the validated inputs (:func:`split`): attribution, windows,
projection and time to close then run unchanged, cohorts in place of campaigns. Markov fits its
chain on the campaigns themselves (``Inputs.cohorts`` maps each cohort to its campaign).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .frames import positions, take
from .schema import NO_CHANNEL, InputError
from .validation import Inputs

PERIODS = ("month", "quarter")
COHORT_COLUMNS = ["campaign", "base", "period", "start", "channel"]


def label(dates, period: str) -> np.ndarray:
    """The period of each date as text that sorts: ``2024-03`` or ``2024-Q1``.

    >>> label(pd.to_datetime(["2024-03-31", "2024-11-01"]), "quarter").tolist()
    ['2024-Q1', '2024-Q4']
    """
    index = pd.DatetimeIndex(dates)
    if period == "month":
        return np.asarray(index.strftime("%Y-%m"), dtype=object)
    return np.asarray(index.year.astype("str") + "-Q" + index.quarter.astype("str"),
                      dtype=object)


def start(dates, period: str) -> np.ndarray:
    """The first day of each date's period."""
    index = pd.DatetimeIndex(dates)
    months = index.month if period == "month" else (index.quarter - 1) * 3 + 1
    return pd.to_datetime({"year": index.year, "month": months, "day": 1}).to_numpy(
        dtype="datetime64[s]")


def split(inputs: Inputs, period: str | None) -> Inputs:
    """The inputs with campaigns split into cohorts by ``period`` (None: unchanged)."""
    if period is None:
        return inputs
    if period not in PERIODS:
        raise InputError(f"expected {' or '.join(PERIODS)}, got '{period}'", option="period")
    spend, deals, touches = inputs.spend, inputs.deals, inputs.touches
    first_spend = spend.groupby("campaign", observed=True)["date"].min()
    channel = spend.drop_duplicates("campaign").set_index("campaign")["channel"]
    parts = [_cohorts(spend["campaign"], spend["date"], period)]
    spend = spend.assign(campaign=parts[0][0])
    if touches is not None:
        names, table = _cohorts(touches["campaign"], touches["touch_date"], period)
        touches = touches.assign(campaign=names)
        parts.append((names, table))
    else:
        # one touch per deal, dated at its creation; else in its campaign's first period
        first_deal = deals.groupby("campaign", observed=True)["close_date"].min()
        dated = (deals["created_date"]
                 .fillna(_lookup(deals["campaign"], first_spend))
                 .fillna(_lookup(deals["campaign"], first_deal)))
        names, table = _cohorts(deals["campaign"], dated, period)
        deals = deals.assign(campaign=names)
        parts.append((names, table))
    cohorts = (pd.concat([table for _, table in parts], ignore_index=True)
               .drop_duplicates("campaign").sort_values(["start", "campaign"], kind="stable")
               .reset_index(drop=True))
    cohorts["channel"] = (cohorts["base"].map(channel).astype(object).fillna(NO_CHANNEL)
                          .astype("str"))
    # a cohort starts on its period's first day, not at a first spend: that warning is moot
    warnings = inputs.warnings[inputs.warnings["check"] != "touched before spend"]
    return dataclasses.replace(inputs, spend=spend, deals=deals, touches=touches,
                               cohorts=cohorts[COHORT_COLUMNS], period=period,
                               warnings=warnings.reset_index(drop=True))


def _lookup(keys: pd.Series, dates: pd.Series) -> pd.Series:
    """The date of each key in ``dates`` (indexed by key), NaT where none (keys may all be
    missing: a deals file without a campaign column)."""
    found = positions(keys, dates.index)
    values = take(dates.to_numpy().astype("datetime64[s]"), found, np.datetime64("NaT", "s"))
    return pd.Series(values, index=keys.index)


def _cohorts(campaign: pd.Series, dates: pd.Series, period: str
             ) -> tuple[pd.Categorical, pd.DataFrame]:
    """Each row's cohort name (a categorical, NA where the campaign or date is missing) and
    the distinct cohorts: campaign (the cohort's name), base, period, start."""
    base = campaign.astype("object")
    ok = base.notna().to_numpy() & dates.notna().to_numpy()
    when = pd.DatetimeIndex(dates.where(ok))
    none = np.array(None, dtype=object)
    text = np.where(ok, label(when.fillna(pd.Timestamp("2000-01-01")), period), none)
    text_base = base.fillna("").astype("str").to_numpy(dtype=object)
    names = np.where(ok, text_base + " " + text.astype("str"), none)
    table = pd.DataFrame({"campaign": names[ok], "base": text_base[ok].astype("str"),
                          "period": text[ok],
                          "start": start(when[ok], period)}).drop_duplicates("campaign")
    return pd.Categorical(names), table
