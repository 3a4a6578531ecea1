"""Numbers and results in words: the one percent and money formatter, and the sentences
(headlines) the terminal, the HTML page and the API show. Plain text, no styling; the stages
return numbers and this module words them.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .projection import Projection
from .validation import Inputs

MISSING = "-"


def finite(x) -> bool:
    """True for a real, finite number (not None, NA or NaN)."""
    if x is None or x is pd.NA:
        return False
    try:
        return bool(np.isfinite(x))
    except TypeError:
        return False


def percent(x, signed: bool = True, missing: str = MISSING) -> str:
    """A fraction as a whole percent: +25% (signed) or 25%; ``missing`` when unknown.

    >>> percent(0.254), percent(-1), percent(0.5, signed=False), percent(float("nan"))
    ('+25%', '-100%', '50%', '-')
    >>> percent(-0.001), percent(-0.005), percent(-0.004, signed=False)  # never -0%
    ('+0%', '+0%', '0%')
    """
    if not finite(x):
        return missing
    text = f"{x:+.0%}" if signed else f"{x:.0%}"
    if text == "-0%":  # a small loss that rounds to nothing (half to even: -0.5% too)
        return "+0%" if signed else "0%"
    return text


def money(x, missing: str = MISSING) -> str:
    """An amount rounded to whole units with thousands separators, for reading.

    >>> money(1234567.891), money(None), money(-0.4)
    ('1,234,568', '-', '0')
    """
    if not finite(x):
        return missing
    text = f"{x:,.0f}"
    return "0" if text == "-0" else text


def groups(table: pd.DataFrame, by: str):
    """(label, rows) of each group of a result table, in order: by ``by``, and with periods
    by ``by`` and ``period`` (label ``"<group> <period>"``, or the name alone when it already
    ends with its period: a spend cohort ``<campaign> 2024-03``; lag's start periods by
    campaign are not in the name)."""
    if "period" not in table:
        yield from ((str(name), rows) for name, rows in table.groupby(by, sort=False))
        return
    name, period = table[by].astype("str"), table["period"].fillna("").astype("str")
    held = np.array([n.endswith(" " + p) or not p for n, p in zip(name, period, strict=True)])
    keys = name.where(held, name + " " + period)
    yield from ((str(key), rows) for key, rows in table.groupby(keys, sort=False))


def money_short(x, missing: str = MISSING) -> str:
    """An amount in at most five characters: 950, 12k, 148k, 1.2M.

    >>> money_short(950), money_short(12_345), money_short(147_559), money_short(1_234_567)
    ('950', '12k', '148k', '1.2M')
    """
    if not finite(x):
        return missing
    size = abs(x)
    if size < 1_000:
        return f"{x:.0f}"
    if size < 999_500:
        return f"{x / 1_000:.0f}k"
    if size < 9_950_000:
        return f"{x / 1_000_000:.1f}M"
    return f"{x / 1_000_000:.0f}M"


PERIOD_SUFFIX = re.compile(r" (\d{4}-(?:\d{2}|Q\d))$")


def label(name: str, width: int) -> str:
    """A row label cut to ``width`` characters with an ellipsis, keeping a spend period at its
    end (``Paid search b… 2024-03``): the part that tells cohorts apart.

    >>> label("content always-on 2023-Q1", 20), label("Webinars", 20)
    ('content alw… 2023-Q1', 'Webinars')
    """
    if len(name) <= width:
        return name
    period = PERIOD_SUFFIX.search(name)
    if period is None or width < len(period.group(0)) + 2:
        return name[: width - 1] + "…"
    head = name[: period.start()]
    return head[: width - len(period.group(0)) - 1] + "…" + period.group(0)


def months(n: int) -> str:
    """A count of months in words.

    >>> months(1), months(12)
    ('1 month', '12 months')
    """
    return f"{n} month" if n == 1 else f"{n} months"


def as_of_text(inputs: Inputs) -> str:
    """When the numbers stand: ``As of 2025-01-01 (data through 2024-12-31).``"""
    through = inputs.data_through
    text = f"As of {inputs.as_of:%Y-%m-%d}"
    if through is not None:
        text += f" (data through {through:%Y-%m-%d})"
    return text + "."


def to_date_line(so_far: pd.DataFrame, largest: int) -> str:
    """The portfolio's cost and return so far, with how much of it is still immature."""
    row = so_far.iloc[0]
    young = row["immature_cost_share"]
    line = (f"To date (every paid campaign, whatever its age): cost {money(row['cost_to_date'])}"
            f", return {money(row['return_to_date'])}, ROI "
            f"{percent(row['roi_to_date'], missing='n/a')}")
    if finite(young) and young > 0:
        line += (f"; {percent(young, signed=False)} of that cost is in campaigns younger than "
                 f"{months(largest)}, whose return is still coming")
    return line + ". Not comparable across campaigns of different ages."


def fallback_note(deals: int, model: str) -> str | None:
    """One line when a role-based model split some won deals position-based."""
    if not deals:
        return None
    return (f"Note: {deals:,} won deal{'s have' if deals != 1 else ' has'} no created date: "
            f"the {model} model splits {'them' if deals != 1 else 'it'} position-based "
            "(first / middle / last).")


def horizon_notice(inputs: Inputs) -> str | None:
    """One line when the as-of asked for is later than the data (None otherwise)."""
    if not inputs.beyond_data or inputs.asked_as_of is None or inputs.data_through is None:
        return None
    return (f"Note: as-of {inputs.asked_as_of:%Y-%m-%d} is after the data, which runs through "
            f"{inputs.data_through:%Y-%m-%d}: windows ending after {inputs.as_of:%Y-%m-%d} "
            "stay unknown (state --data-through if the export covers more).")


def headline(portfolio: pd.DataFrame, as_of: pd.Timestamp) -> str:
    """One sentence comparing the first and last window of the portfolio curve (paid
    campaigns; the return of unpaid ones is named apart)."""
    if portfolio.empty:
        return f"No campaign had launched by {as_of:%Y-%m-%d}: there is no ROI to measure yet."
    first, last = portfolio.iloc[0], portfolio.iloc[-1]
    w0, w1 = int(first["window_months"]), int(last["window_months"])
    if not bool(last["mature"]):
        return (f"No campaign is mature at {months(w1)} yet (as of {as_of:%Y-%m-%d}): "
                f"ROI at {months(w1)} is not known; see per-campaign rows for early windows.")
    n = int(last["campaigns"])
    who = (f"{n} paid campaign{'s' if n != 1 else ''} mature at {months(w1)}, as of "
           f"{as_of:%Y-%m-%d}")
    unpaid = int(last.get("unpaid_campaigns", 0) or 0)
    if unpaid:
        who += (f"; {unpaid} unpaid campaign{'s' if unpaid != 1 else ''} returned "
                f"{money(last['unpaid_return'])} more, outside ROI")
    roi_last = percent(last["roi"], missing="n/a")
    if w0 == w1:  # one window: nothing to compare it with
        return f"Measured at {months(w1)}, ROI is {roi_last} ({who})."
    seen = first["return"] / last["return"] if last["return"] > 0 else np.nan
    sees = (f"an early measurement sees {percent(seen, signed=False, missing='n/a')} of the "
            "return" if np.isfinite(seen) else "no return yet to compare")
    return (f"Measured at {months(w0)}, ROI is {percent(first['roi'], missing='n/a')}; at "
            f"{months(w1)} it is {roi_last}: {sees} ({who}).")


METHOD_NAMES = {"auto": "the Benktander credibility blend",
                "benktander": "the Benktander credibility blend",
                "bf": "Bornhuetter-Ferguson", "cape_cod": "Cape Cod",
                "chain_ladder": "the chain ladder"}


def method_name(method: str) -> str:
    """A projection method in words.

    >>> method_name("bf")
    'Bornhuetter-Ferguson'
    """
    return METHOD_NAMES.get(method, method)


def watch_sentence(then: Projection, then_as_of, since: int, behind: int, judged: int,
                   ahead: int) -> str:
    """What ``watch`` found, in one sentence; when nothing could be judged, why."""
    ago = f"{months(since)} ago"
    if len(then.table) == 0:  # no campaign had launched: no projection to name
        return (f"Nothing to judge: {ago} ({then_as_of:%Y-%m-%d}) is before the data, so "
                f"nothing was known then: too little history to have projected ROI at "
                f"{months(then.target)}.")
    head = f"Against the projection of {then_as_of:%Y-%m-%d} ({ago}): "
    if judged == 0 and then.portfolio()["cohorts"] == 0:
        why = (f" (no campaign had reached {then.target} months)"
               if not (then.triangle.ages >= then.target).any() else "")
        return (head + f"nothing to judge: there was too little history then to project ROI "
                f"at {then.target} months{why}; a smaller --target may do.")
    if judged == 0:
        return (head + "nothing to judge: every campaign was less than a month old, already at "
                f"the {then.target}-month target then, or without cost.")
    return head + f"{behind} of {judged} campaigns behind, {ahead} ahead."


def projection_sentence(projection: Projection) -> str:
    """The projected portfolio ROI in one sentence, naming the method."""
    total = projection.portfolio()
    n, target = total["cohorts"], projection.target
    if n == 0 or not pd.notna(total.get("roi")):
        return f"Too little history to project ROI at {target} months."
    level = f"{projection.confidence:.0%}"
    what = "campaign" if projection.triangle.cohorts.name == "campaign" else "monthly cohort"
    usable = projection.table["status"].to_numpy()[projection.paid_rows(("mature",
                                                                         "projected"))]
    if (usable == "mature").all():  # measured, not projected: no interval to give
        paid = len(projection.paid_rows(tuple(projection.table["status"].unique())))
        young = paid - n  # paid but too young to project (nothing won yet, or age 0)
        every = ("both" if n == 2 else f"all {n}" if n > 2 else "the one") if not young \
            else f"{n} of {paid}"
        later = (f"; {young} too young to project" if young else "")
        return (f"Nothing to project at {months(target)}: {every} paid {what}"
                f"{'s are' if n != 1 else ' is'} mature there{later}, ROI "
                f"{percent(total['roi'], missing='n/a')} measured.")
    if not finite(total.get("interval_low")):
        return (f"Projected at {target} months for {n} paid {what}{'s' if n != 1 else ''} "
                f"(mature or projected) with {method_name(projection.method)}: "
                f"{percent(total['roi'], missing='n/a')} (no {level} interval yet: too little "
                "history to measure how far off such projections run).")
    return (f"Projected at {target} months for {n} paid {what}{'s' if n != 1 else ''} "
            f"(mature or projected) with {method_name(projection.method)}: "
            f"{percent(total['roi'], missing='n/a')} ({level} interval "
            f"{percent(total['interval_low'], missing='n/a')}.."
            f"{percent(total['interval_high'], missing='n/a')}).")
