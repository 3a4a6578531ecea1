"""Numbers and results in words: the one percent and money formatter, and the sentences
(headlines) the terminal, the HTML page and the API show. Plain text, no styling; the stages
return numbers and this module words them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .projection import Projection

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
    """
    if not finite(x):
        return missing
    return f"{x:+.0%}" if signed else f"{x:.0%}"


def money(x, missing: str = MISSING) -> str:
    """An amount rounded to whole units with thousands separators, for reading.

    >>> money(1234567.891), money(None)
    ('1,234,568', '-')
    """
    return f"{x:,.0f}" if finite(x) else missing


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


def months(n: int) -> str:
    """A count of months in words.

    >>> months(1), months(12)
    ('1 month', '12 months')
    """
    return f"{n} month" if n == 1 else f"{n} months"


def headline(portfolio: pd.DataFrame, as_of: pd.Timestamp) -> str:
    """One sentence comparing the first and last window of the portfolio curve."""
    first, last = portfolio.iloc[0], portfolio.iloc[-1]
    w0, w1 = int(first["window_months"]), int(last["window_months"])
    if not bool(last["mature"]):
        return (f"No campaign is mature at {months(w1)} yet (as of {as_of:%Y-%m-%d}): "
                f"ROI at {months(w1)} is not known; see per-campaign rows for early windows.")
    n = int(last["campaigns"])
    seen = first["return"] / last["return"] if last["return"] > 0 else np.nan
    sees = (f"an early measurement sees {percent(seen, signed=False, missing='n/a')} of the "
            "return" if np.isfinite(seen) else "no return yet to compare")
    return (f"Measured at {months(w0)}, ROI is {percent(first['roi'], missing='n/a')}; at "
            f"{months(w1)} it is {percent(last['roi'], missing='n/a')}: {sees} ({n} "
            f"campaign{'s' if n != 1 else ''} mature at {months(w1)}, as of "
            f"{as_of:%Y-%m-%d}).")


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


def projection_sentence(projection: Projection) -> str:
    """The projected portfolio ROI in one sentence, naming the method."""
    total = projection.portfolio()
    n, target = total["cohorts"], projection.target
    if n == 0 or not pd.notna(total.get("roi")):
        return f"Too little history to project ROI at {target} months."
    level = f"{projection.confidence:.0%}"
    return (f"Projected at {target} months for {n} campaigns (mature or projected) with "
            f"{method_name(projection.method)}: {percent(total['roi'], missing='n/a')} "
            f"({level} interval {percent(total['interval_low'], missing='n/a')}.."
            f"{percent(total['interval_high'], missing='n/a')}).")
