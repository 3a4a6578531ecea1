"""How exports write numbers: one rule for every command, by column (:data:`KINDS`).

Money to the cent (:func:`roiclock.frames.cents`); ratios (ROI, rates, shares, probabilities)
to :data:`RATIO_DIGITS` significant digits; counts as integers; days to a tenth; never a
negative zero. Inside roiclock every number keeps full precision: only exports round, and
whatever is set against an export (``project --compare`` reads one back) is first taken to
the same precision (:func:`as_exported`), so that like is compared with like.
"""

from __future__ import annotations

import numpy as np

from .frames import cents

MONEY, RATIO, COUNT, DAYS = "money", "ratio", "count", "days"
RATIO_DIGITS = 6
# The kind of every numeric column any command exports (a test keeps this complete).
KINDS: dict[str, str] = {
    **dict.fromkeys(["cost", "return", "pipeline", "cost_per_opportunity", "unpaid_return",
                     "measured_cost", "measured_return", "projected_cost", "projected_return",
                     "actual_return", "credited_return", "global_return", "cost_to_date",
                     "return_to_date", "unpaid_return_to_date", "pipeline_return",
                     "future_return", "expected_return", "expected_low", "expected_high",
                     "difference"], MONEY),
    **dict.fromkeys(["roi", "win_rate", "win_probability", "share_of_wins", "interval_low",
                     "interval_high", "projected_roi", "error", "mean_abs_error", "coverage",
                     "removal_effect", "share", "roi_to_date", "immature_cost_share",
                     "prior_roi", "credibility", "projected_roi_then", "previous_roi", "change",
                     "new_closes", "factors", "effect_per_path"],
                    RATIO),
    **dict.fromkeys(["window_months", "campaigns", "unpaid_campaigns", "opportunities",
                     "won_deals", "lost_deals", "months", "deals", "won", "lost", "censored",
                     "age_months", "target_months", "payback_months", "cohorts", "read",
                     "used", "rejected", "after_as_of", "reopened", "row", "conversions",
                     "nulls", "age_then", "cuts", "paths"], COUNT),
    **dict.fromkeys(["median_days", "won_median_days"], DAYS),
}


def rounded(value: float, kind: str | None) -> float | int:
    """One finite ``value`` rounded for its kind (+ 0.0: never a negative zero such as
    -0.004 -> -0.0); money is already at the cent (:func:`roiclock.frames.cents`, taken
    column-wise by :func:`as_exported`)."""
    if kind == MONEY:
        return value + 0.0
    if kind == RATIO:
        return float(f"{value:.{RATIO_DIGITS}g}") + 0.0
    if kind == COUNT:
        return int(round(value))
    if kind == DAYS:  # whole days as integers, a median between two days as x.5
        days = round(value, 1) + 0.0
        return int(days) if days.is_integer() else days
    return value


def as_exported(values, column: str | None) -> np.ndarray:
    """The numbers of ``column`` as its exports write them, as floats (NaN and infinities
    left as they are: the exports leave them empty).

    >>> as_exported([1.9653627638, -0.0000001, float("nan")], "projected_roi").tolist()
    [1.96536, -1e-07, nan]
    >>> as_exported([415.305], "measured_return").tolist()
    [415.31]
    """
    x = np.asarray(values, dtype="float64")
    kind = KINDS.get(str(column)) if column is not None else None
    finite = np.isfinite(x)
    if kind == MONEY:  # the one cent rounding, shared with watch's verdict
        x = np.where(finite, cents(x), x)
    return np.array([float(rounded(v, kind)) if ok else v
                     for v, ok in zip(x.tolist(), finite.tolist(), strict=True)],
                    dtype="float64").reshape(x.shape)
