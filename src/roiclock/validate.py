"""Check and type the raw inputs: clean frames, rejected rows with reasons, and an as-of date.

Every row read is accounted for: ``read = used + rejected + after_as_of`` for every file.
In this version a row that cannot be read at all (bad date, bad amount, missing required value,
duplicate deal_id, unknown stage, ...) stops the run with an :class:`InputError` naming the
file, the row and the column; rows that are readable but unusable (a touch for an unknown deal)
are rejected with a reason and counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .load import RawInputs
from .schema import COLUMNS, NO_CHANNEL, STAGES, InputError

DATE_UNIT = "datetime64[s]"


@dataclass(frozen=True)
class Inputs:
    """Validated inputs, restricted to what was known before ``as_of``.

    Attributes
    ----------
    spend : campaign, channel, date, amount, line
    deals : deal_id, stage, close_date, amount, margin, created_date, campaign, line
    touches : deal_id, campaign, touch_date, line; None when no touches file was given
    as_of : the first day whose data is not complete (rows dated on or after it are ignored)
    accounting : one row per file: kind, file, read, used, rejected, after_as_of
    rejects : one row per rejected input row: kind, file, row, reason
    """

    spend: pd.DataFrame
    deals: pd.DataFrame
    touches: pd.DataFrame | None
    as_of: pd.Timestamp
    accounting: pd.DataFrame
    rejects: pd.DataFrame

    @property
    def single_touch(self) -> bool:
        return self.touches is None


def _fail_where(frame: pd.DataFrame, mask, file: str, column: str | None, message: str,
                values: pd.Series | None = None) -> None:
    """Raise for the first row where ``mask`` holds; the message may use {value}."""
    hits = np.flatnonzero(np.asarray(mask, dtype=bool))
    if len(hits) == 0:
        return
    first = hits[0]
    value = "" if values is None else values.iloc[first]
    more = f" ({len(hits)} rows like this)" if len(hits) > 1 else ""
    raise InputError(message.format(value=value) + more, file=file,
                     row=int(frame["line"].iloc[first]), column=column)


def _text(series: pd.Series) -> pd.Series:
    out = series.astype("str").str.strip()
    return out.where(series.notna() & (out != ""), pd.NA)


def _date(series: pd.Series, frame: pd.DataFrame, file: str, column: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = series.dt.tz_localize(None) if getattr(series.dt, "tz", None) else series
    else:
        text = _text(series)
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        _fail_where(frame, text.notna() & parsed.isna(), file, column,
                    "cannot read '{value}' as a date (expected YYYY-MM-DD)", text)
    return parsed.dt.floor("D").astype(DATE_UNIT)


def _number(series: pd.Series, frame: pd.DataFrame, file: str, column: str,
            what: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        parsed = series.astype("float64")
        text = series.astype("str")
        present = series.notna()
    else:
        text = _text(series)
        parsed = pd.to_numeric(text, errors="coerce").astype("float64")
        present = text.notna()
    _fail_where(frame, present & ~np.isfinite(parsed.fillna(0.0)) | present & parsed.isna(),
                file, column, "cannot read '{value}' as " + what, text)
    return parsed


def _typed(raw: pd.DataFrame, kind: str, file: str) -> pd.DataFrame:
    out = pd.DataFrame({"line": raw["line"]})
    for column, how in COLUMNS[kind].items():
        if column not in raw:
            continue
        if how == "text":
            out[column] = _text(raw[column])
        elif how == "date":
            out[column] = _date(raw[column], raw, file, column)
        elif how == "money":
            out[column] = _number(raw[column], raw, file, column, "an amount")
        else:
            out[column] = _number(raw[column], raw, file, column, "a fraction")
    return out


def _required(frame: pd.DataFrame, file: str, columns, what: str = "") -> None:
    for column in columns:
        _fail_where(frame, frame[column].isna(), file, column, f"empty {column}{what}")


def _spend(raw: pd.DataFrame, file: str) -> pd.DataFrame:
    spend = _typed(raw, "spend", file)
    _required(spend, file, ("campaign", "date", "amount"))
    _fail_where(spend, spend["amount"] < 0, file, "amount", "negative spend {value}",
                spend["amount"])
    if "channel" not in spend:
        spend["channel"] = NO_CHANNEL
    spend["channel"] = spend["channel"].fillna(NO_CHANNEL)
    first_channel = spend.groupby("campaign", sort=False)["channel"].transform("first")
    _fail_where(spend, spend["channel"] != first_channel, file, "channel",
                "campaign has more than one channel ('{value}' here); "
                "a campaign belongs to one channel", spend["channel"])
    return spend[["campaign", "channel", "date", "amount", "line"]]


def _deals(raw: pd.DataFrame, file: str, default_margin: float | None, basis: str
           ) -> pd.DataFrame:
    deals = _typed(raw, "deals", file)
    for column in ("campaign", "stage", "created_date", "margin"):
        if column not in deals:
            deals[column] = pd.Series(pd.NA if column in ("campaign", "stage") else np.nan,
                                      index=deals.index)
    deals["created_date"] = deals["created_date"].astype(DATE_UNIT)
    deals["margin"] = deals["margin"].astype("float64")
    _required(deals, file, ("deal_id",))
    _fail_where(deals, deals["deal_id"].duplicated(), file, "deal_id",
                "duplicate deal_id '{value}'", deals["deal_id"])
    stage = deals["stage"].str.lower().fillna("won")
    _fail_where(deals, ~stage.isin(STAGES), file, "stage",
                "unknown stage '{value}' (expected won, lost or open)", deals["stage"])
    deals["stage"] = stage.astype("str")
    won = deals[deals["stage"] == "won"]
    _required(won, file, ("close_date", "amount"), " for a won deal")
    _fail_where(won, won["amount"] < 0, file, "amount", "negative amount {value} for a won deal",
                won["amount"])
    _fail_where(deals, (deals["margin"] < 0) | (deals["margin"] > 1), file, "margin",
                "margin {value} is not a fraction between 0 and 1", deals["margin"])
    if basis == "margin" and default_margin is None:
        _fail_where(won, won["margin"].isna(), file, "margin",
                    "empty margin for a won deal with basis margin "
                    "(fill it or set default_margin in the config)")
    return deals[["deal_id", "stage", "close_date", "amount", "margin", "created_date",
                  "campaign", "line"]]


def _touches(raw: pd.DataFrame, file: str) -> pd.DataFrame:
    touches = _typed(raw, "touches", file)
    _required(touches, file, ("deal_id", "campaign", "touch_date"))
    return touches[["deal_id", "campaign", "touch_date", "line"]]


def default_as_of(spend: pd.DataFrame, deals: pd.DataFrame,
                  touches: pd.DataFrame | None) -> pd.Timestamp:
    """The day after the latest observed event: spend, touch, created dates, and the close
    dates of won and lost deals (an open deal's close date is only an expectation)."""
    closed = deals["stage"].isin(("won", "lost"))
    candidates = [spend["date"].max(), deals.loc[closed, "close_date"].max(),
                  deals["created_date"].max()]
    if touches is not None:
        candidates.append(touches["touch_date"].max())
    dates = [d for d in candidates if not pd.isna(d)]
    if not dates:
        raise InputError("no dated rows in the inputs: cannot tell the as-of date; "
                         "give --as-of")
    return pd.Timestamp(max(dates)) + pd.Timedelta(days=1)


def _account(kind: str, file: str, read: int, used: int, rejected: int, after: int) -> dict:
    return {"kind": kind, "file": file, "read": read, "used": used, "rejected": rejected,
            "after_as_of": after}


def validate(raw: RawInputs, *, as_of=None, default_margin: float | None = None,
             basis: str = "revenue") -> Inputs:
    """Type and check ``raw``; drop and count rows dated on or after ``as_of``.

    ``as_of`` defaults to :func:`default_as_of`. Raises :class:`InputError` on unreadable rows.
    """
    files = raw.files
    spend = _spend(raw.spend, files["spend"])
    deals = _deals(raw.deals, files["deals"], default_margin, basis)
    touches = None if raw.touches is None else _touches(raw.touches, files["touches"])

    rejects = []
    if touches is not None:
        unknown = ~touches["deal_id"].isin(deals["deal_id"])
        rejects.append(pd.DataFrame({"kind": "touches", "file": files["touches"],
                                     "row": touches.loc[unknown, "line"].to_numpy(),
                                     "reason": "touch for an unknown deal"}))
        touches = touches[~unknown]

    as_of = default_as_of(spend, deals, touches) if as_of is None else pd.Timestamp(as_of)
    as_of = as_of.normalize()
    late_spend = spend["date"] >= as_of
    closed = deals["stage"].isin(("won", "lost"))
    late_deals = (closed & (deals["close_date"] >= as_of)) | (deals["created_date"] >= as_of)
    accounts = [
        _account("spend", files["spend"], len(raw.spend), int((~late_spend).sum()), 0,
                 int(late_spend.sum())),
        _account("deals", files["deals"], len(raw.deals), int((~late_deals).sum()), 0,
                 int(late_deals.sum())),
    ]
    spend, deals = spend[~late_spend], deals[~late_deals]
    if touches is not None:
        late_touches = touches["touch_date"] >= as_of
        accounts.append(_account("touches", files["touches"], len(raw.touches),
                                 int((~late_touches).sum()), len(raw.touches) - len(touches),
                                 int(late_touches.sum())))
        touches = touches[~late_touches].reset_index(drop=True)
    columns = ["kind", "file", "row", "reason"]
    rejects = (pd.concat(rejects, ignore_index=True) if rejects
               else pd.DataFrame(columns=columns))
    return Inputs(spend.reset_index(drop=True), deals.reset_index(drop=True), touches, as_of,
                  pd.DataFrame(accounts), rejects[columns])
