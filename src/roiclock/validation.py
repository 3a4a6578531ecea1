"""Check and type the raw inputs: clean frames, rejected rows with reasons, and an as-of date.

Every row read is accounted for: ``read = used + rejected + after_as_of`` for every file.
Each row failing a check is rejected with the first reason found (a short key such as
``bad date``, and a message naming the value). Some reasons block a run (see ``BLOCKING``):
a value that cannot be read at all (bad date, bad amount), an unknown stage, a campaign in two
channels, an unknown currency. The others (negative spend, duplicate deal_id, touch for an
unknown deal, ...) drop the row and are counted; ``strict`` makes every rejection block.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import parse
from .config import Settings
from .frames import earliest, positions, release, take
from .loading import RawInputs
from .schema import (
    COLUMNS,
    FIRST_DATA_LINE,
    NO_CHANNEL,
    RESERVED,
    STAGES,
    InputError,
    is_parquet,
    shown,
)

DATE_UNIT = "datetime64[s]"
EARLIEST, LATEST = pd.Timestamp("1990-01-01"), pd.Timestamp("2100-01-01")
LARGEST_AMOUNT = 1e12
BLOCKING = frozenset({"bad date", "bad amount", "unknown stage", "two channels",
                      "missing margin", "unknown currency", "reserved name"})
REJECT_COLUMNS = ["kind", "file", "row", "column", "reason", "value", "message"]
WARNING_COLUMNS = ["kind", "file", "check", "rows", "message"]


@dataclass(frozen=True)
class Inputs:
    """Validated inputs: the data as it stood on ``as_of`` (a snapshot).

    Attributes
    ----------
    spend : campaign, channel, date, amount
    deals : deal_id, stage, close_date, amount, margin, created_date, campaign; a deal created
        before as-of and closed on or after it is open here (its close date unknown then)
    touches : deal_id, campaign, touch_date, deal_row (the row of its deal in ``deals``, -1
        when that deal did not exist yet at as-of); None when no touches file was given
    as_of : the first day whose data is not complete: every computation stops before it. It
        is the as-of asked for, or the day after ``data_through`` when that comes first.
    accounting : one row per file: kind, file, read, used, rejected, after_as_of, reopened
    rejects : one row per rejected input row: kind, file, row, column, reason, value, message
        (``row``: the physical line the row starts on in a CSV file, the row number in a
        Parquet file)
    data_through : the last day the inputs cover (stated, or the latest event in them)
    asked_as_of : the as-of that was asked for (None: the default, data_through + 1 day)
    warnings : data-quality warnings (kind, file, check, rows, message): the data is usable
        but probably not what was meant; they block only under ``strict``
    cohorts, period : with spend periods (:func:`roiclock.periods.split`), the cohorts that
        stand for campaigns: campaign (the cohort's name), base, period, start, channel
    notes : what was read as written but is worth saying (identifiers normalized, values
        over several lines in columns not read), one sentence each
    """

    spend: pd.DataFrame
    deals: pd.DataFrame
    touches: pd.DataFrame | None
    as_of: pd.Timestamp
    accounting: pd.DataFrame
    rejects: pd.DataFrame
    data_through: pd.Timestamp | None = None
    asked_as_of: pd.Timestamp | None = None
    warnings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=WARNING_COLUMNS))
    cohorts: pd.DataFrame | None = None
    period: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def single_touch(self) -> bool:
        return self.touches is None

    @property
    def beyond_data(self) -> bool:
        """True when the as-of asked for is later than the data's horizon (data_through + 1
        day): the windows ending after the horizon stay unknown."""
        return self.asked_as_of is not None and self.asked_as_of > self.as_of

    @property
    def reopened(self) -> int:
        """Deals closed on or after as-of that were open then (a snapshot in the past)."""
        deals = self.accounting[self.accounting["kind"] == "deals"]
        return int(deals["reopened"].sum()) if "reopened" in deals else 0

    def blocking(self, strict: bool = False) -> InputError | None:
        """The error to stop on: the first blocking rejection (any rejection or data-quality
        warning if strict)."""
        rejects = self.rejects
        stop = rejects if strict else rejects[rejects["reason"].isin(BLOCKING)]
        if stop.empty:
            if strict and len(self.warnings):
                first = self.warnings.iloc[0]
                return InputError(f"{first['message']} (--strict stops on data-quality "
                                  "warnings)", file=first["file"])
            return None
        first = stop.iloc[0]
        alike = int(((stop["file"] == first["file"]) & (stop["column"] == first["column"])
                     & (stop["reason"] == first["reason"])).sum())
        more = f" ({alike} rows like this)" if alike > 1 else ""
        extra = len(rejects) - alike
        hint = (f"; {extra} other rejected row{'s' if extra > 1 else ''}: 'roiclock validate "
                "--rejects FILE' lists them" if extra else "")
        return InputError(first["message"] + more + hint, file=first["file"],
                          row=int(first["row"]), column=first["column"] or None,
                          rejects=rejects)


class _Checks:
    """Collects rejections for one file: the first failing check names a row's reason."""

    def __init__(self, kind: str, file: str, frame: pd.DataFrame,
                 lines: np.ndarray | int = FIRST_DATA_LINE):
        self.kind, self.file, self.frame = kind, file, frame
        self.lines = lines  # each row's line (or row 0's line, when rows follow lines)
        self.notes: list[str] = []
        self.rejected = np.zeros(len(frame), dtype=bool)
        self.parts: list[pd.DataFrame] = []
        self.first_of_id = np.zeros(0, dtype=bool)  # deals: the first row of each deal_id
        self.won_amounts = pd.Series([], dtype="float64")  # deals: amounts of the won rows

    def add(self, mask, column: str, reason: str, message: str, values=None,
            suffix: pd.Series | None = None) -> None:
        """Reject rows where ``mask`` holds (if not already); ``message`` may hold {value}
        (the cell, cut short); ``suffix``: per row, text to end the message with (read at
        the rejected rows only)."""
        mask = np.asarray(mask, dtype=bool) & ~self.rejected
        if not mask.any():
            return
        self.rejected |= mask
        if values is None:
            value = pd.Series("", index=self.frame.index)[mask]
        else:  # only the rejected cells are turned into text
            value = pd.Series(values, index=self.frame.index)[mask]
            empty = value.isna().to_numpy()
            value = (value.dt.strftime("%Y-%m-%d")
                     if pd.api.types.is_datetime64_any_dtype(value) else value.astype("str"))
            value = value.where(~empty, "")
        before, _, after = message.partition("{value}")
        cut = value.map(shown) if "{value}" in message else value  # a cell, never 1 MB of it
        text = before + cut + after if "{value}" in message else pd.Series(message,
                                                                           index=value.index)
        if suffix is not None:
            text = text + suffix.loc[value.index].astype("str")
        self.parts.append(pd.DataFrame({
            "kind": self.kind, "file": self.file, "row": self.line(mask),
            "column": column, "reason": reason, "value": value.to_numpy(),
            "message": text.to_numpy()}))

    def cell(self, column: str) -> pd.Series:
        """The column as the file holds it (a reject's value is the cell as written, never
        the value parsed from it); empty when the file has no such column."""
        if column in self.frame:
            return self.frame[column]
        return pd.Series("", index=self.frame.index)

    def line(self, mask) -> np.ndarray:
        """The line (CSV) or row number (Parquet) of the rows where ``mask`` holds."""
        if isinstance(self.lines, np.ndarray):
            return self.lines[np.asarray(mask, dtype=bool)]
        return np.flatnonzero(mask) + self.lines

    def rejects(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=REJECT_COLUMNS)
        return (pd.concat(self.parts, ignore_index=True)
                .sort_values("row", kind="stable").reset_index(drop=True))


def _ambiguous(exc: parse.AmbiguousInput, checks: _Checks, column: str) -> InputError:
    return InputError(str(exc), file=checks.file, column=column)


def _typed(raw: pd.DataFrame, kind: str, checks: _Checks, settings: Settings,
           decimal_hint: str) -> pd.DataFrame:
    out = pd.DataFrame(index=raw.index)
    for column, how in COLUMNS[kind].items():
        if column not in raw:
            continue
        series = raw[column]
        try:
            if how in ("text", "id"):
                out[column], changed = parse.identifiers(series)
                if changed.any():
                    first = int(checks.line(changed.to_numpy())[0])
                    checks.notes.append(
                        f"{checks.file}: {int(changed.sum()):,} values of '{column}' normalized "
                        "(Unicode NFC, invisible characters removed, spaces made plain) so that "
                        f"look-alikes match; first at {_where(checks.file)} {first}")
            elif how == "date":
                out[column] = _date(series, column, checks, settings.dayfirst)
            else:
                out[column] = _number(series, column, checks, how, settings, decimal_hint)
        except parse.AmbiguousInput as exc:
            raise _ambiguous(exc, checks, column) from None
    return out


def _where(file: str) -> str:
    return "row" if is_parquet(file) else "line"


def _date(series: pd.Series, column: str, checks: _Checks, dayfirst) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = series.dt.tz_localize(None) if getattr(series.dt, "tz", None) else series
        # in pandas (no copy when already in seconds; copy-on-write keeps the raw frame and
        # this one apart), a copy only to drop a time of day
        parsed = parsed.astype(DATE_UNIT)
        seconds = parsed.to_numpy().view("int64")
        day, nat = 86_400, np.iinfo("int64").min  # NaT is the smallest int64
        timed = (seconds % day != 0) & (seconds != nat)
        if timed.any():  # a time of day: keep the calendar date
            seconds = seconds.copy()
            seconds[timed] -= seconds[timed] % day
            parsed = pd.Series(seconds.view(DATE_UNIT), index=series.index)
    else:
        parsed, bad = parse.dates(series, dayfirst)
        checks.add(bad, column, "bad date",
                   "cannot read '{value}' as a date (expected YYYY-MM-DD or DD/MM/YYYY)",
                   series)
    outside = (parsed < EARLIEST) | (parsed >= LATEST)
    checks.add(outside, column, "bad date",
               f"date {{value}} is out of range ({EARLIEST:%Y-%m-%d} to "
               f"{LATEST - pd.Timedelta(days=1):%Y-%m-%d})", series)
    return parsed.where(~outside) if outside.any() else parsed


def _number(series: pd.Series, column: str, checks: _Checks, how: str, settings: Settings,
            decimal_hint: str) -> pd.Series:
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if numeric:
        values = series.astype("float64")
        present = series.notna().to_numpy()
    else:
        text = parse.blank(series)  # blank text ('', ' ') is an empty cell, as a null is
        present = text.notna().to_numpy()
        percent = text.str.endswith("%", na=False)
        if how == "money" and percent.any():  # 50% is no amount of money: never 0.5
            checks.add(percent, column, "bad amount",
                       "cannot read '{value}' as an amount (a percentage)", series)
            text = text.where(~percent)
        values, bad = parse.amounts(text.str.rstrip("%"), settings.decimal)
        values = values.where(~percent, values / 100)
        what = "an amount" if how == "money" else "a fraction"
        checks.add(bad, column, "bad amount", "cannot read '{value}' as " + what, series)
    finite = parse.finite(values).to_numpy()
    if numeric:  # inf or NaN stored as a number (text 'inf' or 'nan' cannot be read above)
        checks.add(present & ~finite, column, "bad amount", "'{value}' is not a finite number",
                   series)
    # written in digits but too large for a float (a run of 400 nines): infinite, and large
    large = present & (values.abs() > LARGEST_AMOUNT).to_numpy()
    checks.add(large, column, "bad amount",
               f"amount {{value}} is implausibly large (over {LARGEST_AMOUNT:.0e})", series)
    return values.where(finite)


def _convert(frame: pd.DataFrame, checks: _Checks, rates: dict[str, float],
             column: str = "amount", coded: bool = False) -> None:
    """Amounts in the base currency; a code without a rate is rejected (blocking). When the
    files name currencies (``coded``), an amount with an empty currency is rejected: it is
    not taken as the base currency."""
    if "currency" in frame and coded:
        checks.add(frame["currency"].isna() & frame[column].notna(), "currency",
                   "empty currency", "empty currency for amount {value} (other rows name "
                   "theirs)", checks.cell(column))
    if "currency" not in frame or not rates:
        return
    code = frame["currency"].str.upper()
    factor = code.map(rates)
    unknown = code.notna() & factor.isna()
    checks.add(unknown, "currency", "unknown currency",
               "no rate for currency '{value}' (add it to currency.rates in the config)",
               frame["currency"])
    frame[column] = frame[column] * factor.fillna(1.0).astype("float64")


def _rates(spend: pd.DataFrame, deals: pd.DataFrame, settings: Settings, files) -> dict:
    """{code: value in base currency}; empty when no conversion is needed."""
    rates = {str(k).upper(): float(v) for k, v in (settings.currency.get("rates") or {}).items()}
    base = settings.currency.get("base")
    if base:
        rates[str(base).upper()] = 1.0
    codes = set()
    for frame in (spend, deals):
        if "currency" in frame:
            codes |= set(frame["currency"].dropna().str.upper())
    if len(codes) > 1 and not rates:
        raise InputError(f"amounts in several currencies ({', '.join(sorted(codes))}) and no "
                         "rates: set currency.base and currency.rates in the config",
                         file=files["deals"], column="currency")
    return rates


def _future(checks: _Checks, dates: pd.Series, column: str, today: pd.Timestamp,
            mask=True) -> None:
    """An event dated after the day the program runs is a typo, not an event: rejected
    (counted; blocks under --strict), so that it cannot move the data's horizon."""
    checks.add(mask & (dates > today).to_numpy(), column, "future date",
               f"date {{value}} is after today ({today:%Y-%m-%d})", checks.cell(column))


def _reserved(checks: _Checks, frame: pd.DataFrame, column: str) -> None:
    """Names roiclock gives its own rows cannot name a campaign or channel."""
    values = frame[column]
    if not values.notna().any():  # no such column in the file (1M empty cells: skip)
        return
    hit = values.isin(RESERVED).to_numpy()
    if hit.any():  # the cells as written only then
        checks.add(hit, column, "reserved name",
                   "'{value}' is a name roiclock uses for its own rows; rename it in the file",
                   checks.cell(column))


def _spend(raw: pd.DataFrame, file: str, settings: Settings, hint: str, today: pd.Timestamp,
           lines=FIRST_DATA_LINE):
    checks = _Checks("spend", file, raw, lines)
    spend = _typed(raw, "spend", checks, settings, hint)
    for column in ("campaign", "date", "amount"):
        checks.add(spend[column].isna(), column, "empty value", f"empty {column}")
    _reserved(checks, spend, "campaign")
    if "channel" in spend:
        _reserved(checks, spend, "channel")
    _future(checks, spend["date"], "date", today)
    checks.add(spend["amount"] < 0, "amount", "negative spend", "negative spend {value}",
               checks.cell("amount"))
    if "channel" not in spend:
        spend["channel"] = NO_CHANNEL
    spend["channel"] = spend["channel"].fillna(NO_CHANNEL)
    ok = ~checks.rejected
    first_channel = spend[ok].groupby("campaign", sort=False)["channel"].first()
    conflict = ok & (spend["channel"] != spend["campaign"].map(first_channel)).to_numpy()
    checks.add(conflict, "channel", "two channels",
               "campaign has more than one channel ('{value}' here); a campaign belongs to "
               "one channel", spend["channel"])
    return spend, checks


def _stages(text: pd.Series, stages: dict) -> tuple[pd.Series, pd.Series]:
    """Canonical stages from CRM labels; returns (stage, unknown-label mask)."""
    labels = {s: s for s in STAGES}
    rest = None
    for stage, names in stages.items():
        if names == "*":
            rest = stage
            continue
        labels.update({str(name).strip().casefold(): stage for name in names})
    if isinstance(text.dtype, pd.CategoricalDtype):  # map each label once, not each row
        categories = pd.Series(text.cat.categories.astype("str"))
        by_category = categories.str.casefold().map(labels).to_numpy(dtype=object)
        stage = pd.Series(take(by_category, text.cat.codes.to_numpy(), None),
                          index=text.index, dtype=object)
    else:
        stage = text.str.casefold().map(labels)
    if rest is not None:
        stage = stage.where(stage.notna() | text.isna(), rest)
    unknown = text.notna() & stage.isna()
    return stage.fillna("won").where(~unknown, pd.NA), unknown


def _deals(raw: pd.DataFrame, file: str, settings: Settings, hint: str, today: pd.Timestamp,
           lines=FIRST_DATA_LINE):
    checks = _Checks("deals", file, raw, lines)
    deals = _typed(raw, "deals", checks, settings, hint)
    for column in ("campaign", "stage", "created_date", "margin"):
        if column not in deals:
            deals[column] = pd.Series(pd.NA if column in ("campaign", "stage") else np.nan,
                                      index=deals.index)
    deals["created_date"] = deals["created_date"].astype(DATE_UNIT)
    deals["margin"] = deals["margin"].astype("float64")
    checks.add(deals["deal_id"].isna(), "deal_id", "empty value", "empty deal_id")
    stage, unknown = _stages(deals["stage"], settings.stages)
    checks.add(unknown, "stage", "unknown stage",
               "unknown stage '{value}' (expected won, lost or open; map CRM labels in the "
               "config's stages or use --preset)", checks.cell("stage"))
    deals["stage"] = stage
    won = (deals["stage"] == "won").to_numpy()
    # the won deals' amounts, before an empty one is rejected (for the data-quality warning;
    # rows already rejected, e.g. for an unknown stage, are not won deals)
    checks.won_amounts = deals.loc[won & ~checks.rejected, "amount"]
    for column in ("close_date", "amount"):
        checks.add(won & deals[column].isna().to_numpy(), column, "empty value",
                   f"empty {column} for a won deal")
    checks.add(won & (deals["amount"] < 0).to_numpy(), "amount", "negative amount",
               "negative amount {value} for a won deal", checks.cell("amount"))
    _reserved(checks, deals, "campaign")
    _future(checks, deals["created_date"], "created_date", today)
    closed = deals["stage"].isin(("won", "lost")).to_numpy()  # an open deal's close is a plan
    _future(checks, deals["close_date"], "close_date", today, closed)
    checks.add((deals["margin"] < 0) | (deals["margin"] > 1), "margin", "bad margin",
               "margin {value} is not a fraction between 0 and 1", checks.cell("margin"))
    if settings.basis == "margin" and settings.default_margin is None:
        checks.add(won & deals["margin"].isna().to_numpy(), "margin", "missing margin",
                   "empty margin for a won deal with basis margin (fill it or set "
                   "default_margin in the config)")
    repeated = deals["deal_id"].duplicated().to_numpy()
    checks.first_of_id = ~repeated & deals["deal_id"].notna().to_numpy()
    duplicate = deals["deal_id"].notna().to_numpy() & repeated
    if duplicate.any():
        first_row = (pd.Series(checks.line(np.ones(len(deals), dtype=bool)), index=deals.index)
                     .groupby(deals["deal_id"], observed=True).first())
        ids = deals["deal_id"][duplicate]  # the rows to describe only
        first = (f" (first on {_where(file)} "
                 + ids.astype("object").map(first_row).astype("int64").astype("str") + ")")
        checks.add(duplicate, "deal_id", "duplicate deal_id", "duplicate deal_id '{value}'",
                   checks.cell("deal_id"), suffix=first)
    return deals, checks


def _touches(raw: pd.DataFrame, file: str, settings: Settings, hint: str, deals: pd.DataFrame,
             deal_ok: np.ndarray, first_of_id: np.ndarray, today: pd.Timestamp,
             lines=FIRST_DATA_LINE):
    checks = _Checks("touches", file, raw, lines)
    touches = _typed(raw, "touches", checks, settings, hint)
    for column in ("deal_id", "campaign", "touch_date"):
        checks.add(touches[column].isna(), column, "empty value", f"empty {column}")
    _reserved(checks, touches, "campaign")
    _future(checks, touches["touch_date"], "touch_date", today)
    # one lookup of every touch's deal: its row among the deals kept (duplicates rejected)
    firsts = np.flatnonzero(first_of_id)
    row = take(firsts, positions(touches["deal_id"], deals["deal_id"].iloc[firsts]))
    row = row.astype("int64", copy=False)
    checks.add(row < 0, "deal_id", "touch for an unknown deal",
               "touch for deal '{value}', which is not in the deals file", checks.cell("deal_id"))
    # row -1 (unknown) reads the extra last slot: not "rejected" (no int64 copy of every row)
    checks.add(np.append(~deal_ok, False)[row], "deal_id",
               "touch for a rejected deal", "touch for deal '{value}', whose row was rejected",
               checks.cell("deal_id"))
    touches["deal_row"] = row
    return touches, checks


_NO_SPEND = pd.DataFrame({"campaign": pd.Series([], dtype="str"),
                          "date": pd.Series([], dtype="datetime64[s]"),
                          "amount": pd.Series([], dtype="float64")})


def latest_event(spend: pd.DataFrame, deals: pd.DataFrame,
                 touches: pd.DataFrame | None) -> pd.Timestamp | None:
    """The latest observed event: spend, touch and created dates, and the close dates of won
    and lost deals (an open deal's close date is only an expectation). None when undated."""
    closed = deals["stage"].isin(("won", "lost"))
    candidates = [spend["date"].max(), deals.loc[closed, "close_date"].max(),
                  deals["created_date"].max()]
    if touches is not None:
        candidates.append(touches["touch_date"].max())
    dates = [d for d in candidates if not pd.isna(d)]
    return pd.Timestamp(max(dates)) if dates else None


def _day(value, name: str) -> pd.Timestamp | None:
    if value is None:
        return None
    blank = value is pd.NaT or (isinstance(value, str) and not value.strip())
    got = "an empty value" if blank else f"'{shown(value)}'"
    try:
        day = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InputError(f"expected a date, got {got}", option=name) from None
    if pd.isna(day):
        raise InputError(f"expected a date, got {got}", option=name)
    return day.normalize()


def validate(raw: RawInputs, settings: Settings | None = None, *, as_of=None,
             data_through=None, today=None) -> Inputs:
    """Type and check ``raw``; reject bad rows; keep the data as it stood on ``as_of``.

    ``data_through`` (the last day the inputs cover) defaults to the latest event in them;
    an event dated after ``today`` (default: the day the program runs) is rejected as a
    ``future date``, so one typo cannot move it. ``as_of`` defaults to the day after
    data_through; a later as-of is cut to that day (windows past the data stay unknown). At
    an as-of in the past, rows dated on or after it are left out and counted, and a deal
    created before it but closed on or after it is open (``reopened``).

    Rejected rows are in ``rejects``; use :meth:`Inputs.blocking` to decide whether to stop.
    Raises :class:`InputError` for problems of a whole file or column (ambiguous dates or
    decimal marks, mixed currencies).
    """
    settings = settings or Settings()
    asked, stated = _day(as_of, "as_of"), _day(data_through, "data_through")
    today = _day(today, "today") or pd.Timestamp.today().normalize()
    files, hints, lines = raw.files, raw.delimiters, raw.lines
    spend_raw = raw.spend if raw.spend is not None else _NO_SPEND
    spend, spend_checks = _spend(spend_raw, files.get("spend", ""), settings,
                                 _decimal_hint(hints.get("spend")), today,
                                 lines.get("spend", FIRST_DATA_LINE))
    deals, deal_checks = _deals(raw.deals, files["deals"], settings,
                                _decimal_hint(hints.get("deals")), today,
                                lines.get("deals", FIRST_DATA_LINE))
    rates = _rates(spend, deals, settings, files)
    coded = any("currency" in f and f["currency"].notna().any() for f in (spend, deals))
    _convert(spend, spend_checks, rates, coded=coded)
    _convert(deals, deal_checks, rates, coded=coded)
    # without a spend file (lag from created dates, validate) nothing is read or counted
    all_checks = [spend_checks, deal_checks] if raw.spend is not None else [deal_checks]
    touches, touch_checks = None, None
    if raw.touches is not None:
        touches, touch_checks = _touches(raw.touches, files["touches"], settings,
                                         _decimal_hint(hints.get("touches")), deals,
                                         ~deal_checks.rejected, deal_checks.first_of_id, today,
                                         lines.get("touches", FIRST_DATA_LINE))
        all_checks.append(touch_checks)
        release()  # the id match's buffers (at 100M touches ~1.9 GB held for nothing)

    won_amounts = deal_checks.won_amounts
    spend = _kept(spend, ~spend_checks.rejected)
    deals = _kept(deals, ~deal_checks.rejected)
    if touches is not None and touch_checks is not None:
        touches = _kept(touches, ~touch_checks.rejected)
    through = stated or latest_event(spend, deals, touches)
    if through is None and asked is None:
        raise InputError("no dated rows in the inputs: cannot tell the as-of date; "
                         "give --as-of")
    horizon = None if through is None else through + pd.Timedelta(days=1)
    cut = min(d for d in (asked, horizon) if d is not None)
    late, reopen = _snapshot(spend, deals, touches, cut)
    if not any((~late[kind]).any() for kind in late) and (len(spend) or len(deals)):
        first = min(d for d in (spend["date"].min(), deals["created_date"].min(),
                                deals["close_date"].min()) if not pd.isna(d))
        raise InputError(f"{cut:%Y-%m-%d} is before the data, which starts {first:%Y-%m-%d}: "
                         "nothing was known yet", option="as_of")
    accounting = pd.DataFrame([
        {"kind": c.kind, "file": c.file, "read": len(c.frame),
         "used": int((~late[c.kind]).sum()), "rejected": int(c.rejected.sum()),
         "after_as_of": int(late[c.kind].sum()),
         "reopened": int(reopen.sum()) if c.kind == "deals" else 0} for c in all_checks])
    if reopen.any():
        deals = deals.copy()
        deals.loc[reopen, "stage"] = "open"  # its outcome was not known yet
        deals.loc[reopen, "close_date"] = pd.NaT
    if touches is not None:
        # deal_row: the touch's deal as a row of the final deals frame (-1: not there yet)
        kept = np.zeros(len(raw.deals), dtype=bool)
        kept[deals.index[~late["deals"].to_numpy()]] = True
        row = touches["deal_row"].to_numpy()
        # rows change only when deals were dropped (rejected, or after as-of): else the
        # column stays as it is (at 100M touches a remap is 0.8 GB more while both live)
        if not kept.all():
            final_row = np.cumsum(kept) - 1
            new_row = final_row[row]
            new_row[~kept[row]] = -1  # in place: one array of a row per touch, not three
            touches = touches.assign(deal_row=new_row)
        touches = _kept(touches, ~late["touches"].to_numpy()).reset_index(drop=True)
    spend = _kept(spend, ~late["spend"].to_numpy())
    deals = _kept(deals, ~late["deals"].to_numpy())
    parts = [c.rejects() for c in all_checks]
    rejects = pd.concat([p for p in parts if len(p)] or [parts[0]], ignore_index=True)
    warnings = quality(won_amounts, spend, deals, touches, files, deal_checks)
    return Inputs(spend[["campaign", "channel", "date", "amount"]].reset_index(drop=True),
                  deals[["deal_id", "stage", "close_date", "amount", "margin", "created_date",
                         "campaign"]].reset_index(drop=True),
                  None if touches is None else touches[["deal_id", "campaign", "touch_date",
                                                        "deal_row"]],
                  cut, accounting, rejects[REJECT_COLUMNS], through, asked, warnings,
                  notes=tuple(raw.notes) + tuple(n for c in all_checks for n in c.notes))


def _kept(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """The rows where ``keep`` holds; the frame itself when that is every row (at 10M
    touches a boolean selection copies ~0.3 GB for nothing)."""
    return frame if keep.all() else frame[keep]


def quality(won_amounts: pd.Series, spend: pd.DataFrame, deals: pd.DataFrame,
            touches: pd.DataFrame | None, files: dict[str, str],
            deal_checks: _Checks | None = None) -> pd.DataFrame:
    """Data-quality warnings: usable data that is probably not what was meant.

    - most won deals (read) have an empty or zero amount: the return is mostly missing;
    - campaigns touched before their first spend: their windows count from the spend;
    - won or lost deals that close before they were created.
    """
    out = []
    empty = int((won_amounts.isna() | (won_amounts == 0)).sum())
    if len(won_amounts) and empty > len(won_amounts) / 2:
        out.append(("deals", files["deals"], "won amounts", empty,
                    f"{empty:,} of {len(won_amounts):,} won deals have an empty or zero "
                    "amount: most of the return is missing"))
    if touches is not None and len(spend) and len(touches):
        first_spend = earliest(spend["campaign"], spend["date"])
        first_touch = earliest(touches["campaign"], touches["touch_date"])
        both = pd.concat([first_spend.rename("spend"), first_touch.rename("touch")],
                         axis=1, join="inner")
        early = both[both["touch"] < both["spend"]].sort_index()
        if len(early):
            name, row = str(early.index[0]), early.iloc[0]
            out.append(("touches", files.get("touches", ""), "touched before spend",
                        len(early),
                        f"{len(early):,} campaign{'s were' if len(early) > 1 else ' was'} "
                        f"touched before {'their' if len(early) > 1 else 'its'} first spend "
                        f"(e.g. '{name[:40]}': touch {row['touch']:%Y-%m-%d}, spend from "
                        f"{row['spend']:%Y-%m-%d}); windows count from the first spend"))
    closed = deals["stage"].isin(("won", "lost")) & (deals["close_date"] < deals["created_date"])
    if closed.any():
        n = int(closed.sum())
        row = int(deals.index[closed.to_numpy()][0])  # its position in the file
        where = f"row {row + FIRST_DATA_LINE}"
        if deal_checks is not None:
            first = deal_checks.line(np.arange(len(deal_checks.frame)) == row)[0]
            where = f"{_where(files['deals'])} {int(first)}"
        out.append(("deals", files["deals"], "closed before created", n,
                    f"{n:,} won or lost deal{'s close' if n > 1 else ' closes'} before "
                    f"{'they were' if n > 1 else 'it was'} created (first at {where})"))
    return pd.DataFrame(out, columns=WARNING_COLUMNS)


def _snapshot(spend: pd.DataFrame, deals: pd.DataFrame, touches: pd.DataFrame | None,
              cut: pd.Timestamp) -> tuple[dict[str, pd.Series], np.ndarray]:
    """What was not there yet on ``cut`` (per file, aligned with its frame) and which deals
    were open then though closed since (:func:`existed`)."""
    late = {"spend": spend["date"] >= cut}
    touched = np.zeros(len(deals), dtype=bool)
    if touches is not None:
        late["touches"] = touches["touch_date"] >= cut
        before = touches["deal_row"].to_numpy()[~late["touches"].to_numpy()]  # raw deal rows
        seen = np.zeros(int(max(before.max(initial=-1), deals.index.max() if len(deals) else 0))
                        + 1, dtype=bool)
        seen[before[before >= 0]] = True  # one scatter, not a 10M-value hash set
        touched = seen[deals.index.to_numpy()]
    exists, reopen = existed(deals, touched, cut)
    late["deals"] = pd.Series(~exists, index=deals.index)
    return late, reopen


def existed(deals: pd.DataFrame, touched: np.ndarray, cut) -> tuple[np.ndarray, np.ndarray]:
    """Which deals existed on ``cut`` and which of those were still open then though won or
    lost since (reopened): the one rule of every as-of, backtest cut and watch.

    A deal existed if it was created before the cut. Without a created date: a deal won or
    lost on or after the cut existed only if it was touched before it (``touched``); any
    other is taken as there (exports rarely date their open deals: leaving them out would
    empty the pipeline of every past as-of). A won or lost deal without a close date keeps
    its outcome (nothing says when).
    """
    day = np.datetime64(pd.Timestamp(cut).date(), "D")
    created = deals["created_date"].to_numpy().astype("datetime64[D]")
    close = deals["close_date"].to_numpy().astype("datetime64[D]")
    closed_after = deals["stage"].isin(("won", "lost")).to_numpy() & (close >= day)
    exists = (created < day) | (np.isnat(created) & (~closed_after | touched))
    return exists, exists & closed_after


def reasons(rejects: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows counted by file and reason, with the first row and column of each."""
    return (rejects.groupby(["kind", "reason"], sort=False)
            .agg(rows=("row", "size"), first_row=("row", "min"), column=("column", "first"))
            .reset_index())


def _decimal_hint(delimiter: str | None) -> str:
    """A ';'-separated file that shows no decimal mark is read with a decimal comma."""
    return "," if delimiter == ";" else "."
