"""Attribution: each won deal's value split among the campaigns that touched it.

A touch is eligible for a won deal when ``0 <= close_date - touch_date < lookback_days`` days
(:mod:`roiclock.paths`). The model (:data:`roiclock.models.MODELS`) gives each deal's eligible
touches weights, normalized per deal so a deal's shares sum to 1; shares of the same campaign
within a deal are added. A won deal without an eligible touch is credited in full to
``(unattributed)``.

Without a touches file, each won deal's ``campaign`` column is its single touch, dated at the
close (the CRM's source campaign is an explicit assignment, so the lookback does not apply).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import markov
from .config import Settings
from .models import MODELS, Touches
from .paths import eligible
from .schema import UNATTRIBUTED
from .validation import Inputs

CREDIT_COLUMNS = ["deal_id", "campaign", "close_date", "share", "return"]


def deal_values(inputs: Inputs, settings: Settings) -> np.ndarray:
    """Each deal's value on the return basis (NaN when unknown)."""
    value = inputs.deals["amount"].to_numpy(dtype="float64")
    if settings.basis == "margin":
        default = np.nan if settings.default_margin is None else settings.default_margin
        value = value * inputs.deals["margin"].fillna(default).to_numpy(dtype="float64")
    return value


def won_deals(inputs: Inputs, settings: Settings) -> pd.DataFrame:
    """Won deals with their ``value`` (:func:`deal_values`)."""
    is_won = (inputs.deals["stage"] == "won").to_numpy()
    won = inputs.deals.loc[is_won, ["deal_id", "close_date", "amount", "margin", "campaign",
                                    "created_date"]]
    won = won.assign(deal_row=np.flatnonzero(is_won),
                     value=deal_values(inputs, settings)[is_won])
    return won.reset_index(drop=True)


def attribute(inputs: Inputs, settings: Settings, chain: markov.Chain | None = None
              ) -> pd.DataFrame:
    """Credits of every won deal: deal_id, campaign, close_date, share, return.

    ``share`` sums to 1 per deal; ``return`` = deal value x share. With the markov model,
    ``chain`` (from :func:`roiclock.markov.chain`) saves fitting it again.

    Examples
    --------
    >>> import roiclock
    >>> settings = roiclock.load_settings(model="position")
    >>> credits = attribute(roiclock.load(settings=settings), settings)
    >>> credits.groupby("deal_id", observed=True)["share"].sum().round(12).unique().tolist()
    [1.0]
    """
    won = won_deals(inputs, settings)
    touches = eligible(inputs, won, settings.lookback_days)
    deal = touches["deal"].to_numpy()
    model = MODELS[settings.model]
    effect = unit = None
    if model.chain:
        fitted = chain or markov.chain(inputs, settings)
        effect = markov.touch_effects(fitted, inputs, settings, touches.attrs["names"],
                                      touches["campaign"].to_numpy())
        unit = markov.touch_units(inputs, touches.attrs["names"], touches["campaign"].to_numpy())
    created_days = ((won["close_date"] - won["created_date"]).dt.days.to_numpy(dtype="float64")
                    [deal])
    weights = model.weights(Touches(deal, touches["campaign"].to_numpy(),
                                    touches["age_days"].to_numpy(), len(won), effect,
                                    created_days, unit), settings)
    fallback = 0
    if model.created:  # deals without a created date: position-based, counted
        fallback = int(won["created_date"].isna().sum())
    totals = np.bincount(deal, weights=weights, minlength=len(won))
    share = weights / totals[deal] if len(deal) else weights
    names = list(touches.attrs["names"])
    if UNATTRIBUTED not in names:
        names.append(UNATTRIBUTED)
    width = len(names)
    # one (deal, campaign) key: shares of a campaign touched twice in a deal add up
    keys, inverse = np.unique(deal * width + touches["campaign"].to_numpy(), return_inverse=True)
    sums = np.bincount(inverse, weights=share, minlength=len(keys))
    # per-touch arrays are done with: at 100M touches ~2 GB, under the credits' peak
    del touches, deal, inverse, share, weights, created_days, effect, unit
    keys, sums = keys[sums > 0], sums[sums > 0]
    credited = np.bincount(keys // width, minlength=len(won)) > 0
    missing = np.flatnonzero(~credited)
    key = np.r_[keys, missing * width + names.index(UNATTRIBUTED)]
    shares = np.r_[sums, np.ones(len(missing))]
    order = np.argsort(key, kind="stable")
    key, shares = key[order], shares[order]
    rows = key // width
    credits = pd.DataFrame({
        "deal_id": won["deal_id"].array.take(rows),
        "campaign": pd.Categorical.from_codes(key % width, categories=pd.Index(names,
                                                                             dtype="str")),
        "close_date": won["close_date"].to_numpy()[rows],
        "share": shares,
        "return": won["value"].to_numpy()[rows] * shares,
    })
    credits.attrs["position_fallback"] = fallback
    return credits
