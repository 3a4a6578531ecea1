"""Projection: develop young cohorts to their final return with the chain ladder.

Cohorts are campaigns (or launch months); development age k is whole calendar months since
launch; a cell holds the cumulative attributed return (and cost) dated before launch + k months.
A cohort is observed at age k when launch + k months <= as-of.

Method: volume-weighted chain ladder. The age-to-age factor f_k = sum C[i,k+1] / sum C[i,k]
over the cohorts observed at k+1. A young cohort is developed from its latest observed age to
the target age by the product of the factors. Uncertainty: Mack's (1993) standard error of the
projected return (process and parameter error; the last sigma by Mack's extrapolation), turned
into an interval with a log-normal of the same mean and standard error. Cost is developed with
its own volume-weighted factors and taken as known. Checked against the chainladder package.

A cohort with no complete month, or with no return yet (the chain ladder cannot develop zero),
or whose development needs a factor no older cohort supplies, is ``too_young``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from statistics import NormalDist

import numpy as np
import pandas as pd

from .config import Settings
from .frames import months_since
from .mature import ByMonth, by_month, roi
from .schema import InputError
from .validation import Inputs

COHORTS = ("campaign", "month")
PROJECTION_COLUMNS = ["age_months", "target_months", "measured_cost", "measured_return",
           "projected_cost", "projected_return", "projected_roi", "interval_low",
           "interval_high", "status"]


@dataclass(frozen=True)
class Triangle:
    """Cumulative values by cohort (rows) and age 0..target (columns); NaN where unobserved."""

    cohorts: pd.Index
    ages: np.ndarray          # latest observed age of each cohort, capped at the target
    ret: np.ndarray
    cost: np.ndarray


@dataclass(frozen=True)
class Development:
    """A fitted chain ladder: factors f_, sigma2_ and column sums S_ per age k -> k+1;
    projected_ (cohorts x ages, observed cells kept) and mse_ (0 where observed)."""

    f_: np.ndarray
    sigma2_: np.ndarray
    S_: np.ndarray
    projected_: np.ndarray
    mse_: np.ndarray
    ages: np.ndarray

    def total_mse(self, rows: np.ndarray, column: int) -> float:
        """Mack's MSE of the sum over ``rows`` at ``column``: each row's own MSE plus the
        covariance the rows share through the estimated factors."""
        value = self.projected_[rows, column]
        ages = self.ages[rows]
        total = float(np.nansum(self.mse_[rows, column]))
        for k in range(column):
            young = ages <= k
            if young.sum() < 2:
                continue
            a = value[young]
            pairs = (a.sum() ** 2 - (a ** 2).sum()) / 2
            total += 2 * self.sigma2_[k] / self.f_[k] ** 2 / self.S_[k] * pairs
        return total


def triangle(inputs: Inputs, credits: pd.DataFrame, settings: Settings, target: int,
             cohort: str = "campaign", months: ByMonth | None = None) -> Triangle:
    """The development triangle of return and cost (x cost_multiplier), ages 0..target.
    ``months`` (from :func:`roiclock.mature.by_month`) saves the passes over the rows."""
    if cohort not in COHORTS:
        raise InputError(f"expected {' or '.join(COHORTS)}, got '{cohort}'", option="cohort")
    if months is None or months.last < target:
        months = by_month(inputs, credits, settings, target)
    table = months.table
    ages = _ages_vector(table["launch"], inputs.as_of, target)
    ret = months.ret[:, : target + 1].copy()
    cost = months.cost[:, : target + 1].copy()
    unobserved = np.arange(target + 1)[None, :] > ages[:, None]
    ret[unobserved] = np.nan
    cost[unobserved] = np.nan
    if cohort == "campaign":
        return Triangle(pd.Index(table["campaign"], name="campaign"), ages, ret, cost)
    # month cohorts add up paid campaigns only: an unpaid campaign's return (no cost) would
    # inflate its month's ROI; it stays on its own row by campaign
    paid = np.nan_to_num(months.cost[:, -1]) > 0
    month = table["launch"].dt.strftime("%Y-%m").to_numpy()[paid]
    names, code = np.unique(month, return_inverse=True)
    group_ages = np.full(len(names), target)
    np.minimum.at(group_ages, code, ages[paid])
    sums = []
    for values in (ret[paid], cost[paid]):
        out = np.zeros((len(names), target + 1))
        np.add.at(out, code, np.nan_to_num(values))
        out[np.arange(target + 1)[None, :] > group_ages[:, None]] = np.nan
        sums.append(out)
    return Triangle(pd.Index(names, name="month"), group_ages, sums[0], sums[1])


def _ages_vector(launch: pd.Series, as_of: pd.Timestamp, target: int) -> np.ndarray:
    """Whole calendar months from launch to as-of (launch + k months <= as-of), 0..target."""
    as_of_days = np.full(len(launch), np.datetime64(as_of.date(), "D"))
    return np.clip(months_since(launch.to_numpy(), as_of_days), 0, target)


def _sigma2(C: np.ndarray, ages: np.ndarray, f: np.ndarray) -> np.ndarray:
    K = C.shape[1]
    sigma2 = np.full(K - 1, np.nan)
    for k in range(K - 1):
        use = (ages >= k + 1) & (C[:, k] > 0)
        n = int(use.sum())
        if n >= 2 and np.isfinite(f[k]):
            x, y = C[use, k], C[use, k + 1]
            sigma2[k] = ((y - f[k] * x) ** 2 / x).sum() / (n - 1)
    for k in range(K - 1):  # Mack's extrapolation where fewer than two cohorts inform sigma
        if np.isnan(sigma2[k]) and k >= 2 and np.isfinite(sigma2[k - 2:k]).all():
            a, b = sigma2[k - 2], sigma2[k - 1]
            sigma2[k] = min(b ** 2 / a if a > 0 else 0.0, a, b)
    return sigma2


def develop(C: np.ndarray, ages: np.ndarray) -> Development:
    """Fit the volume-weighted chain ladder with Mack's standard error to triangle ``C``.

    ``C[i, k]`` is the cumulative value of cohort i at age k, observed for k <= ages[i].

    Examples
    --------
    >>> C = np.array([[10., 20, 30], [12, 24, np.nan], [8, np.nan, np.nan]])
    >>> develop(C, np.array([2, 1, 0])).projected_[:, -1].round(2).tolist()
    [30.0, 36.0, 24.0]
    """
    n, K = C.shape
    f = np.full(K - 1, np.nan)
    S = np.full(K - 1, np.nan)
    for k in range(K - 1):
        use = ages >= k + 1
        S[k] = C[use, k].sum() if use.any() else np.nan
        if use.any() and S[k] > 0:
            f[k] = C[use, k + 1].sum() / S[k]
    sigma2 = _sigma2(C, ages, f)
    projected = C.copy()
    mse = np.zeros_like(C)
    rows = np.arange(n)
    term = np.zeros(n)
    for k in range(K - 1):
        grow = ages <= k
        base = projected[rows, k]
        projected[grow, k + 1] = base[grow] * f[k]
        with np.errstate(divide="ignore", invalid="ignore"):
            term = term + np.where(grow, sigma2[k] / f[k] ** 2 * (1 / base + 1 / S[k]), 0.0)
            mse[grow, k + 1] = projected[grow, k + 1] ** 2 * term[grow]
    return Development(f, sigma2, S, projected, mse, ages)


def interval(mean, mse, confidence: float):
    """Log-normal interval with the given mean and MSE (point when MSE is 0)."""
    mean = np.asarray(mean, dtype="float64")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.sqrt(np.log1p(np.asarray(mse) / mean ** 2))
        mu = np.log(mean) - sigma ** 2 / 2
        low, high = np.exp(mu - z * sigma), np.exp(mu + z * sigma)
    point = np.asarray(mse) == 0
    return np.where(point, mean, low), np.where(point, mean, high)


@dataclass(frozen=True)
class Projection:
    """Result of :func:`project`: the per-cohort ``table`` and what it was built from."""

    table: pd.DataFrame
    triangle: Triangle
    returns: Development
    costs: Development
    target: int
    confidence: float

    def paid_rows(self, statuses) -> np.ndarray:
        """Rows of cohorts with one of ``statuses`` and a cost: unpaid cohorts' return is
        never in a portfolio ROI."""
        ok = self.table["status"].isin(list(statuses)).to_numpy()
        return np.flatnonzero(ok & (np.nan_to_num(self.costs.projected_[:, self.target]) > 0))

    def portfolio(self) -> dict:
        """Projected ROI at the target of all cohorts that are mature or projected, with the
        interval from Mack's total MSE (cross-cohort parameter covariance included)."""
        rows = self.paid_rows(("mature", "projected"))
        if len(rows) == 0:
            return {"cohorts": 0}
        ret = float(self.returns.projected_[rows, self.target].sum())
        cost = float(self.costs.projected_[rows, self.target].sum())
        low, high = interval(ret, self.returns.total_mse(rows, self.target), self.confidence)
        return {"cohorts": len(rows), "return": ret, "cost": cost,
                "roi": float(roi(cost, ret)),
                "interval_low": float(roi(cost, low)),
                "interval_high": float(roi(cost, high))}

    @cached_property
    def curve(self) -> pd.DataFrame:
        """The portfolio ROI by month since launch (see :func:`curve`), computed once."""
        return curve(self)


def project(inputs: Inputs, credits: pd.DataFrame, settings: Settings, target: int = 12,
            cohort: str = "campaign", confidence: float = 0.8,
            months: ByMonth | None = None) -> Projection:
    """Project every cohort to ``target`` months. See the module docstring for the method."""
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or target < 1:
        raise InputError(f"expected a positive number of months, got {target}", option="target")
    if not 0 < confidence < 1:
        raise InputError(f"expected a level between 0 and 1, got {confidence}",
                         option="confidence")
    tri = triangle(inputs, credits, settings, target, cohort, months)
    returns, costs = develop(tri.ret, tri.ages), develop(tri.cost, tri.ages)
    rows = np.arange(len(tri.cohorts))
    measured_ret = tri.ret[rows, tri.ages]
    measured_cost = tri.cost[rows, tri.ages]
    proj_ret = returns.projected_[:, target]
    proj_cost = costs.projected_[:, target]
    mature = tri.ages >= target
    too_young = ~mature & ((tri.ages < 1) | ~(measured_ret > 0) | ~np.isfinite(proj_ret)
                           | ~np.isfinite(proj_cost))
    status = np.where(mature, "mature", np.where(too_young, "too_young", "projected"))
    low, high = interval(proj_ret, returns.mse_[:, target], confidence)
    blank = too_young
    table = pd.DataFrame({
        tri.cohorts.name: tri.cohorts.astype("str"),
        "age_months": tri.ages, "target_months": target,
        "measured_cost": measured_cost, "measured_return": measured_ret,
        "projected_cost": np.where(blank, np.nan, proj_cost),
        "projected_return": np.where(blank, np.nan, proj_ret),
        "projected_roi": np.where(blank, np.nan, roi(proj_cost, proj_ret)),
        "interval_low": np.where(blank, np.nan, roi(proj_cost, low)),
        "interval_high": np.where(blank, np.nan, roi(proj_cost, high)),
        "status": status})
    payback, how = _payback(tri, returns, costs, target, too_young)
    table["payback_months"] = pd.array(payback, dtype="Int64")
    table["payback"] = how
    return Projection(table, tri, returns, costs, target, confidence)


def _payback(tri: Triangle, returns: Development, costs: Development, target: int,
             too_young: np.ndarray):
    """First month 1..target where cumulative return covers cumulative cost (> 0)."""
    ret = np.where(too_young[:, None], tri.ret, returns.projected_)[:, 1:]
    cost = np.where(too_young[:, None], tri.cost, costs.projected_)[:, 1:]
    covered = (cost > 0) & (ret >= cost)
    first = np.where(covered.any(axis=1), covered.argmax(axis=1) + 1, 0)
    measured = (first > 0) & (first <= tri.ages)
    never = np.where(too_young, "not yet measured", f"not within {target} months")
    never = np.where(np.nan_to_num(cost).max(axis=1, initial=0) > 0, never, "no cost")
    how = np.where(first == 0, never, np.where(measured, "measured", "projected"))
    return np.where(first > 0, first, np.array(None, dtype=object)), how


BACKTEST_COLUMNS = ["window", "cohorts", "projected_return", "actual_return", "error",
                    "mean_abs_error", "coverage"]


def backtest(then: Projection, now: Triangle, windows) -> pd.DataFrame:
    """Compare what ``then`` projected with what ``now`` observed, per window and overall.

    A (cohort, window) pair counts when the window was beyond the cohort's age then, is
    observed now, and the cohort was projectable then. error = sum projected / sum actual - 1
    (bias); mean_abs_error = mean over pairs of |projected / actual - 1|; coverage = share of
    actual returns inside the projection interval."""
    tri = then.triangle
    row_now = pd.Index(now.cohorts).get_indexer(tri.cohorts)
    ok = (row_now >= 0) & (then.table["status"] == "projected").to_numpy()
    windows = sorted({w for w in windows if w <= then.target} | {then.target})
    parts = []
    for w in windows:  # a handful of windows
        use = ok & (tri.ages < w) & (now.ages[np.maximum(row_now, 0)] >= w)
        rows = np.flatnonzero(use)
        projected = then.returns.projected_[rows, w]
        actual = now.ret[row_now[rows], w]
        low, high = interval(projected, then.returns.mse_[rows, w], then.confidence)
        parts.append(pd.DataFrame({"window": str(w), "projected": projected, "actual": actual,
                                   "inside": (actual >= low) & (actual <= high)}))
    pairs = pd.concat(parts, ignore_index=True)
    out = [_backtest_row(name, group) for name, group in pairs.groupby("window", sort=False)]
    out.append(_backtest_row("all", pairs))
    return pd.DataFrame(out, columns=BACKTEST_COLUMNS)


def _backtest_row(name: str, pairs: pd.DataFrame) -> dict:
    projected, actual = pairs["projected"].sum(), pairs["actual"].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = pairs["projected"] / pairs["actual"] - 1
    ratio = ratio[pairs["actual"] > 0]
    return {"window": name, "cohorts": len(pairs), "projected_return": projected,
            "actual_return": actual,
            "error": projected / actual - 1 if actual > 0 else np.nan,
            "mean_abs_error": ratio.abs().mean() if len(ratio) else np.nan,
            "coverage": pairs["inside"].mean() if len(pairs) else np.nan}


def curve(projection: Projection) -> pd.DataFrame:
    """Portfolio ROI by month since launch, 1..target: ``measured_roi`` over the paid campaigns
    observed to the target (the same campaigns at every month), and ``projected_roi`` over
    every campaign that is mature or projected, with its interval (``interval_low``/``high``,
    from Mack's total MSE of the summed return at that month; cost taken as known)."""
    tri = projection.triangle
    target = projection.target
    months = np.arange(1, target + 1)
    mature = projection.paid_rows(("mature",))
    usable = projection.paid_rows(("mature", "projected"))
    with np.errstate(divide="ignore", invalid="ignore"):
        measured = np.full(target, np.nan)
        if len(mature):
            measured = roi(tri.cost[mature][:, months].sum(0),
                           tri.ret[mature][:, months].sum(0))
        ret = projection.returns.projected_[usable][:, months].sum(0)
        cost = projection.costs.projected_[usable][:, months].sum(0)
        mse = np.array([projection.returns.total_mse(usable, int(k)) for k in months])
        low, high = interval(ret, mse, projection.confidence)
        return pd.DataFrame({"months": months, "measured_roi": measured,
                             "projected_roi": roi(cost, ret), "interval_low": roi(cost, low),
                             "interval_high": roi(cost, high),
                             "measured_campaigns": len(mature),
                             "projected_campaigns": len(usable)})
