"""Projection: each young cohort's return and ROI at the target, and why.

Cohorts are campaigns (or launch months); development age k is whole calendar months since
launch. Two triangles:

- the measured triangle (:func:`triangle`): cumulative attributed return (and cost) dated
  before launch + k months. The chain ladder develops it (volume-weighted factors, Mack's
  standard error; checked against the chainladder package). ``method='chain_ladder'``.
- the known triangle (:func:`known_triangle`): at each month-end cut before as-of (as-of, then
  1, 2, ... months earlier), what was won so far plus the open pipeline valued then
  (:mod:`roiclock.pipeline`), both within the target window. Its development shows how what
  was known at each age turned into the return at the target, pipeline valuation errors
  included, and its last diagonal is today's measured + pipeline.

On the known triangle (:mod:`roiclock.reserving` for the formulas), with p the expected share
known at the cohort's age and the prior elr x cost (elr = 1 + expected ROI: the user's
``priors``, else the Cape Cod estimate per channel shrunk toward the portfolio):

- ``bf``: Bornhuetter-Ferguson, known + (1 - p) x prior;
- ``cape_cod``: the same with the Cape Cod prior even where the user gave one;
- ``benktander``: BF iterated once more (credibility 1 - (1 - p)^2 on the cohort's own data);
- ``auto`` (default): see :data:`AUTO`.

The projected return splits into measured (won so far), pipeline (open deals valued now) and
future (the rest: deals not created or not valued yet, and the development of the pipeline).

The development factors use the cells observed in the last :data:`RECENT` months (a pattern
that drifts is followed); the Cape Cod prior weighs other cohorts by 0.5^(months between
launches / :data:`HALF_LIFE`).

Intervals (all methods but the chain ladder, which keeps Mack's): at each earlier month-end
the known triangle is cut as it stood then, pattern and prior refitted, and every cohort then
1..target-1 months old that has reached the target since is projected and compared with what
it returned, log((actual + f) / (projected + f)), f = :data:`FLOOR` x cost. By age, the root
mean square of these errors (made non-increasing with age) is the spread of a log-normal
interval around the projection, widened by Student's t for how many errors it rests on. With
fewer than :data:`MIN_RESIDUALS` errors at an age, the spread comes from the Cape Cod variances,
not below that of the nearest older age. The portfolio adds the correlation of errors made at
the same cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from statistics import NormalDist

import numpy as np
import pandas as pd

from . import periods, reserving
from .config import Settings, prior_problem
from .engine import Engine
from .frames import months_since, positions
from .markov import Chain
from .mature import ByMonth, by_month, roi
from .pipeline import snapshot, valued
from .reserving import METHODS
from .schema import InputError
from .validation import Inputs

COHORTS = ("campaign", "month")
PROJECTION_COLUMNS = ["age_months", "target_months", "measured_cost", "measured_return",
                      "projected_cost", "projected_return", "projected_roi", "interval_low",
                      "interval_high", "status"]
# after the contract columns and payback: how the projection was made and what it is made of
EXPLAIN_COLUMNS = ["method", "pipeline_return", "future_return", "prior_roi", "credibility"]
MIN_RESIDUALS = 5      # past errors needed at an age for its empirical spread
FLOOR = 0.05           # residuals: log((actual + FLOOR cost) / (projected + FLOOR cost))
AUTO = "benktander"    # what auto means (the README's backtest shows why)
HALF_LIFE = 12         # months: the Cape Cod prior weighs cohorts launched further apart less
RECENT = 12            # months: development factors from the cells observed that recently


@dataclass(frozen=True)
class Triangle:
    """Cumulative values by cohort (rows) and age 0..target (columns); NaN where unobserved."""

    cohorts: pd.Index
    ages: np.ndarray          # latest observed age of each cohort, capped at the target
    ret: np.ndarray
    cost: np.ndarray
    # whole calendar months since launch at as-of, not capped (what the tables show as
    # age_months; a month cohort: its youngest campaign's); None: the ages above
    months_old: np.ndarray | None = None
    # the month under way (age + 1) as far as the data goes: cumulative return and cost dated
    # before as-of (a month cohort: each campaign's, up to the cohort's month age + 1); NaN
    # from the target on (nothing is under way); None: unknown
    ret_under_way: np.ndarray | None = None
    cost_under_way: np.ndarray | None = None

    @property
    def age_months(self) -> np.ndarray:
        """Each cohort's real age (not capped at the target)."""
        return self.ages if self.months_old is None else self.months_old


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
    old = _ages_vector(table["launch"], inputs.as_of)
    ages = np.minimum(old, target)  # the triangle has columns 0..target only
    ret = months.ret[:, : target + 1].copy()
    cost = months.cost[:, : target + 1].copy()
    unobserved = np.arange(target + 1)[None, :] > ages[:, None]
    ret[unobserved] = np.nan
    cost[unobserved] = np.nan
    if cohort == "campaign":
        under_way = (np.where(ages < target, v, np.nan)
                     for v in _under_way(months, ages, target))
        return Triangle(pd.Index(table["campaign"], name="campaign"), ages, ret, cost, old,
                        *under_way)
    names, code = month_cohorts(months)
    paid = code >= 0
    group_old = np.full(len(names), np.iinfo("int64").max)
    np.minimum.at(group_old, code[paid], old[paid])  # every month cohort has a paid campaign
    group_ages = np.minimum(group_old, target)
    sums = []
    for values in (ret[paid], cost[paid]):
        out = np.zeros((len(names), target + 1))
        np.add.at(out, code[paid], np.nan_to_num(values))
        out[np.arange(target + 1)[None, :] > group_ages[:, None]] = np.nan
        sums.append(out)
    # each campaign at its cohort's month under way: an older one's whole month, the
    # youngest's as far as the data goes
    sums_now = []
    for values in _under_way(months, group_ages[np.maximum(code, 0)], target):
        total = np.zeros(len(names))
        np.add.at(total, code[paid], values[paid])
        sums_now.append(np.where(group_ages < target, total, np.nan))
    return Triangle(pd.Index(names, name="month"), group_ages, sums[0], sums[1], group_old,
                    *sums_now)


def _under_way(months: ByMonth, ages: np.ndarray, target: int):
    """Each campaign's cumulative return and cost at age + 1 (at most the target) as the
    grid holds them: the data holds nothing dated on or after as-of, so for the month under
    way that is what was won and spent in it so far."""
    rows = np.arange(len(ages))
    column = np.minimum(ages + 1, target)
    return months.ret[rows, column], months.cost[rows, column]


def month_cohorts(months: ByMonth) -> tuple[np.ndarray, np.ndarray]:
    """The launch-month cohorts (``2024-03``, sorted) and each campaign's cohort (-1 for a
    campaign without cost: an unpaid campaign's return would inflate its month's ROI; it stays
    on its own row by campaign). The one grouping the triangles and the prior share."""
    paid = np.nan_to_num(months.cost[:, -1]) > 0
    month = periods.label(months.table["launch"], "month")
    names = np.unique(month[paid]).astype(object)
    code = np.where(paid, np.searchsorted(names, month), -1)
    return names, code


def _ages_vector(launch: pd.Series, as_of: pd.Timestamp) -> np.ndarray:
    """Whole calendar months from launch to as-of (launch + k months <= as-of), >= 0."""
    as_of_days = np.full(len(launch), np.datetime64(as_of.date(), "D"))
    return np.maximum(months_since(launch.to_numpy(), as_of_days), 0)


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
class Known:
    """The known triangle: by cohort and age 0..target, measured return, valued pipeline and
    cost at month-end cuts (NaN where no cut observed the cohort at that age), and the same
    three at as-of (``now_*``), all within the target window."""

    measured: np.ndarray
    pipeline: np.ndarray
    cost: np.ndarray
    now_measured: np.ndarray
    now_pipeline: np.ndarray
    now_cost: np.ndarray
    cut: np.ndarray          # per cell: months before as-of of the cut that observed it
    ages_at: np.ndarray      # per cohort and cut (as-of, 1, 2... months before): its age

    @property
    def known(self) -> np.ndarray:
        return self.measured + self.pipeline


def _cuts(as_of: pd.Timestamp, first_launch, history: int) -> list[pd.Timestamp]:
    """As-of, then 1, 2, ... ``history`` months earlier, while after the first launch."""
    cuts = [as_of]
    for j in range(1, history + 1):
        cut = as_of - pd.DateOffset(months=j)
        if pd.isna(first_launch) or cut <= first_launch:
            break
        cuts.append(cut)
    return cuts


def _at_cuts(dates, values, pos, deadline, cuts: np.ndarray, n: int) -> np.ndarray:
    """V[i, j] = sum of values of cohort i dated before cuts[j] (descending) and before the
    cohort's deadline: one pass over the rows."""
    day = np.asarray(dates).astype("datetime64[D]").view("int64")
    values = np.asarray(values, dtype="float64")
    ok = (pos >= 0) & ~np.isnat(np.asarray(dates).astype("datetime64[D]"))
    ok &= day < deadline[np.maximum(pos, 0)]
    ascending = cuts[::-1]
    later = len(cuts) - np.searchsorted(ascending, day[ok], side="right")  # cuts after date
    width = len(cuts) + 1
    flat = np.bincount(pos[ok] * width + later, weights=values[ok], minlength=n * width)
    sums = np.cumsum(flat.reshape(n, width)[:, ::-1], axis=1)[:, ::-1]
    return sums[:, 1:]


def _by_code(values: np.ndarray, code: np.ndarray, groups: int) -> np.ndarray:
    """Sum rows by group; a group with any NaN row is NaN."""
    out = np.zeros((groups,) + values.shape[1:])
    np.add.at(out, code, np.nan_to_num(values))
    bad = np.zeros(out.shape, dtype=bool)
    np.logical_or.at(bad, code, np.isnan(values))
    out[bad] = np.nan
    return out


def known_triangle(inputs: Inputs, credits: pd.DataFrame, settings: Settings, target: int,
                   cohort: str = "campaign", months: ByMonth | None = None,
                   chain: Chain | None = None, history: int | None = None) -> Known:
    """The known triangle (see the module docstring), from cuts at as-of and up to
    ``history`` (default 2 x target) months before it."""
    if months is None or months.last < target:
        months = by_month(inputs, credits, settings, target)
    table = months.table
    launch = table["launch"]
    n = len(table)
    cuts = _cuts(inputs.as_of, launch.min(), 2 * target if history is None else history)
    cut_days = np.array([np.datetime64(c.date(), "D") for c in cuts]).view("int64")
    deadline = (launch + pd.DateOffset(months=target)).astype("datetime64[s]").to_numpy()
    deadline = deadline.astype("datetime64[D]").view("int64")
    names = table["campaign"]
    measured = _at_cuts(credits["close_date"].to_numpy(), credits["return"],
                        positions(credits["campaign"], names), deadline, cut_days, n)
    cost = _at_cuts(inputs.spend["date"].to_numpy(), inputs.spend["amount"],
                    positions(inputs.spend["campaign"], names), deadline, cut_days,
                    n) * settings.cost_multiplier
    pipeline = valued(inputs, settings, table, target, cuts, chain)
    cells = [np.full((n, target + 1), np.nan) for _ in range(3)]
    when = np.full((n, target + 1), np.iinfo("int64").max)
    launch_days = launch.to_numpy().astype("datetime64[D]")
    ages_at = np.stack([months_since(launch_days, np.full(n, d).astype("datetime64[D]"))
                        for d in cut_days], axis=1) if n else np.zeros((0, len(cuts)), int)
    for j in range(len(cuts) - 1, -1, -1):  # a few dozen cuts; the latest one wins
        age = ages_at[:, j]
        ok = (age >= 0) & (age < target)
        for cell, source in zip(cells, (measured, pipeline, cost), strict=True):
            cell[ok, age[ok]] = source[ok, j]
        when[ok, age[ok]] = j
    age_now = months_since(launch_days, np.full(n, cut_days[0]).astype("datetime64[D]"))
    done = age_now >= target
    when[done, target] = age_now[done] - target
    cells[0][done, target] = months.ret[done, target]
    cells[1][done, target] = 0.0
    cells[2][done, target] = months.cost[done, target]
    now = [measured[:, 0], pipeline[:, 0], cost[:, 0]]
    if cohort == "month":
        names, code = month_cohorts(months)
        groups, paid = len(names), code >= 0
        code = code[paid]
        cells = [_by_code(c[paid], code, groups) for c in cells]
        now = [_by_code(c[paid], code, groups) for c in now]
        latest = np.full((groups, target + 1), np.iinfo("int64").min)
        np.maximum.at(latest, code, when[paid])
        when = latest
        youngest = np.full((groups, len(cuts)), np.iinfo("int64").max)
        np.minimum.at(youngest, code, ages_at[paid])
        ages_at = youngest
    return Known(cells[0], cells[1], cells[2], now[0], now[1], now[2], when, ages_at)


@dataclass(frozen=True)
class Fit:
    """What a projection learned from the data.

    known_share, paid_share, cost_share : expected share of the final value known, measured
        (whole months) and spent at each age 0..target; measured_share: measured at the cuts
    groups, time : per cohort, its channel and launch month (the prior's groups and decay)
    correlation : of the standardized past errors made at the same cut (NaN if unknown)
    prior : the Cape Cod prior (:class:`roiclock.reserving.Prior`)
    elr : per cohort, the prior used (the user's where given): expected return per unit of cost
    spread : per age, the root mean square of log(actual / projected) over past projections
        of cohorts that have reached the target since (NaN where not estimated); residuals:
        how many
    """

    known_share: np.ndarray
    paid_share: np.ndarray
    cost_share: np.ndarray
    measured_share: np.ndarray
    prior: reserving.Prior
    elr: np.ndarray
    spread: np.ndarray
    residuals: np.ndarray
    groups: np.ndarray
    time: np.ndarray
    correlation: float


def ultimate(method: str, known, share, prior) -> np.ndarray:
    """The projected final return by ``method`` (not the chain ladder) from what is known,
    the share expected known at that age and the prior (elr x cost)."""
    if method in ("bf", "cape_cod"):
        return reserving.bornhuetter_ferguson(known, share, prior)
    if method == "benktander":
        return reserving.benktander(known, share, prior, 2)
    if method == "auto":
        return ultimate(AUTO, known, share, prior)
    raise InputError(f"expected one of {', '.join(METHODS)}, got '{method}'", option="method")


def credibility(method: str, share) -> np.ndarray:
    """The weight of the cohort's own data against the prior (1 - q^n)."""
    q = 1 - np.clip(np.asarray(share, dtype="float64"), 0, 1)
    n = {"bf": 1, "cape_cod": 1, "benktander": 2}.get(AUTO if method == "auto" else method, 0)
    return 1 - q ** n if n else np.ones_like(q)


def user_elr(priors: dict | None, names, channels) -> np.ndarray:
    """Per cohort, 1 + the user's expected ROI (campaign first, then channel, then ``*``);
    NaN where none applies. Unknown names are an error (a typo would silently do nothing)."""
    names = np.asarray(names, dtype=object).astype("str")
    channels = np.asarray(channels, dtype=object).astype("str")
    out = np.full(len(names), np.nan)
    if not priors:
        return out
    known = set(names) | set(channels) | {"*"}
    for key, value in priors.items():  # a handful of entries
        if str(key) not in known:
            raise InputError(f"no channel or campaign is named '{key}'", option="prior")
        problem = prior_problem(value)
        if problem:
            raise InputError(f"'{str(key)[:40]}': {problem}", option="prior")
    elr = {str(k): 1.0 + float(v) for k, v in priors.items()}
    for level in ("*", "channel", "campaign"):  # later levels win
        if level == "*":
            if "*" in elr:
                out[:] = elr["*"]
            continue
        keys = channels if level == "channel" else names
        found = pd.Series(keys).map(elr).to_numpy(dtype="float64")
        out = np.where(np.isfinite(found), found, out)
    return out


def _prior_variance(fit_prior: reserving.Prior, exposure, q) -> np.ndarray:
    """Variance of the unknown part under the Cape Cod model: process (s2 per unit of
    exposure) and the estimation variance of the elr."""
    e = np.nan_to_num(np.asarray(exposure, dtype="float64"))
    q = np.clip(np.nan_to_num(np.asarray(q, dtype="float64")), 0, None)
    return q * fit_prior.within * e + (q * e) ** 2 * fit_prior.variance


def estimate(K: np.ndarray, cost: np.ndarray, ages: np.ndarray, observed: np.ndarray,
              groups, time: np.ndarray, exposure: np.ndarray | None = None,
              recent: np.ndarray | None = None):
    """Known and cost emergence and the Cape Cod prior from the cells ``observed`` (what was
    known at some cut), for cohorts at ``ages`` then. Returns (known_share, cost_share, prior,
    latest, exposure)."""
    target = K.shape[1] - 1
    Km, Cm = np.where(observed, K, np.nan), np.where(observed, cost, np.nan)
    a = np.clip(ages, 0, target)
    rows = np.arange(len(a))
    known_share = reserving.emergence(Km, np.where(ages >= 0, a, -1), recent)
    cost_share = reserving.emergence(Cm, np.where(ages >= 0, a, -1))
    latest = Km[rows, a]
    if exposure is None:
        spent = Cm[rows, a]
        with np.errstate(divide="ignore", invalid="ignore"):
            exposure = np.where(cost_share[a] > 0, spent / cost_share[a], spent)
        exposure = np.nan_to_num(np.where(ages >= target, spent, exposure))
    share_now = known_share[a]
    usable = (ages >= 1) & np.isfinite(latest) & np.isfinite(share_now)
    prior = reserving.cape_cod_prior(np.where(usable, latest, 0.0), exposure,
                                     np.where(usable, share_now, 0.0), groups, time,
                                     0.5 ** (1 / HALF_LIFE) if HALF_LIFE else 1.0)
    return known_share, cost_share, prior, latest, exposure


def fit(known: Known, tri: Triangle, exposure: np.ndarray, groups,
        method: str, elr_user: np.ndarray, target: int, time: np.ndarray) -> Fit:
    """Emergence patterns, the Cape Cod prior, and the errors ``method`` made when the data
    is cut at each past month (the known triangle as it stood then: pattern, prior and
    projection refitted; compared with the return at the target of the cohorts that have
    reached it since)."""
    ages = tri.ages
    K = known.known
    everything = np.isfinite(K)
    known_share, cost_share, prior, _, _ = estimate(
        K, known.cost, ages, everything, groups, time, exposure,
        known.cut <= RECENT if RECENT else None)
    paid_share = reserving.emergence(tri.ret, ages)
    elr = prior.elr if method == "cape_cod" else np.where(np.isfinite(elr_user), elr_user,
                                                          prior.elr)
    spread = np.full(target + 1, np.nan)
    counts = np.zeros(target + 1)
    correlation = np.nan
    if method != "chain_ladder":
        cut, age, error = _out_of_time(known, K, ages, groups, time, method, elr_user, target)
        counts = np.bincount(age, minlength=target + 1).astype("float64")
        # the interval is centred on the projection: its error is the root mean square
        with np.errstate(divide="ignore", invalid="ignore"):
            var = np.where(counts > 1, np.bincount(age, weights=error ** 2,
                                                   minlength=target + 1) / counts, np.nan)
        enough = counts >= MIN_RESIDUALS
        weights = np.where(enough & np.isfinite(var), counts, 0.0)
        weights[0] = weights[target] = 0
        if weights.any():
            smooth = reserving.isotonic_decreasing(np.nan_to_num(var), weights)
            spread = np.sqrt(smooth * (1 + 1 / np.maximum(counts, 1)))
            # an age without enough past errors is not estimated (it only gets the floor of
            # the nearest older estimated age, see _spreads)
            spread = np.where(weights > 0, spread, np.nan)
            with np.errstate(divide="ignore", invalid="ignore"):  # ages without a spread
                correlation = _correlation(cut, error / np.sqrt(smooth[age]))
        spread[0] = spread[target] = np.nan
    measured_share = reserving.emergence(known.measured, ages,
                                         known.cut <= RECENT if RECENT else None)
    return Fit(known_share, paid_share, cost_share, measured_share, prior, elr, spread, counts,
               np.asarray(groups).astype("str"), time, correlation)


def _correlation(cut: np.ndarray, z: np.ndarray) -> float:
    """The correlation of standardized errors made at the same cut (what a portfolio shares):
    E[(sum z)^2] = n + n (n - 1) rho per cut, pooled over cuts, clipped to 0..1."""
    ok = np.isfinite(z)
    cut, z = cut[ok], z[ok]
    if len(z) == 0:
        return float("nan")
    _, code = np.unique(cut, return_inverse=True)
    sums = np.bincount(code, weights=z)
    squares = np.bincount(code, weights=z ** 2)
    n = np.bincount(code).astype("float64")
    pairs = (n * (n - 1)).sum()
    if pairs <= 0:
        return float("nan")
    return float(np.clip((sums ** 2 - squares).sum() / pairs, 0.0, 1.0))


ERROR_NOISE = 1e-9  # log errors smaller than this are rounding, not forecast error


def _out_of_time(known: Known, K: np.ndarray, ages: np.ndarray, groups, time, method: str,
                 elr_user: np.ndarray, target: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The log errors log((actual + f) / (projected + f)) (f = FLOOR x cost) of projections
    made at each past cut for cohorts that were 1..target-1 months old then and have reached
    the target now: (cut, age then, error) per projection."""
    done = (ages >= target) & np.isfinite(K[:, target])
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for j in range(1, known.ages_at.shape[1]):  # one refit per past cut (a few dozen)
        then = known.ages_at[:, j]
        young = done & (then >= 1) & (then < target)
        if not young.any():
            continue
        observed = np.isfinite(K) & (known.cut >= j)
        share, _, prior, latest, exposure = estimate(
            K, known.cost, then, observed, groups, time, None,
            (known.cut >= j) & (known.cut <= j + RECENT) if RECENT else None)
        elr = prior.elr if method == "cape_cod" else np.where(np.isfinite(elr_user),
                                                              elr_user, prior.elr)
        rows = np.flatnonzero(young & np.isfinite(latest) & (exposure > 0))
        a = then[rows]
        guess = ultimate(method, latest[rows], share[a], elr[rows] * exposure[rows])
        floor = FLOOR * exposure[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            error = np.log((K[rows, target] + floor) / (np.maximum(guess, 0) + floor))
        keep = np.isfinite(error)
        parts.append((np.full(int(keep.sum()), j), a[keep], error[keep]))
    if not parts:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    cut, age, error = (np.concatenate(x) for x in zip(*parts, strict=True))
    # a projection that met its actual has error 0; sums taken in another order (another
    # engine) leave ~1e-16 there, which would turn its ignored 0/0 standardized error into a
    # counted one: below ERROR_NOISE an error is exactly 0
    return cut, age, np.where(np.abs(error) < ERROR_NOISE, 0.0, error)


@dataclass(frozen=True)
class Projection:
    """Result of :func:`project`: the per-cohort ``table`` and what it was built from.

    ``path``: per cohort, the projected cumulative return at each age 0..target (measured up to
    its age); ``log_sd``: per cohort, the spread of its projected return (log scale; NaN for
    the chain ladder, which uses Mack's MSE)."""

    table: pd.DataFrame
    triangle: Triangle
    returns: Development
    costs: Development
    target: int
    confidence: float
    method: str = "chain_ladder"
    known: Known | None = None
    fit: Fit | None = None
    path: np.ndarray | None = None
    cost_path: np.ndarray | None = None
    log_sd: np.ndarray | None = None

    def paid_rows(self, statuses) -> np.ndarray:
        """Rows of cohorts with one of ``statuses`` and a cost: unpaid cohorts' return is
        never in a portfolio ROI."""
        ok = self.table["status"].isin(list(statuses)).to_numpy()
        cost = np.fmax(self.table["measured_cost"].to_numpy(dtype="float64"),
                       self.table["projected_cost"].to_numpy(dtype="float64"))
        return np.flatnonzero(ok & (np.nan_to_num(cost) > 0))

    def _usable(self) -> np.ndarray:
        return self.paid_rows(("mature", "projected"))

    def total(self, rows: np.ndarray, column: int) -> tuple[float, float, float, float]:
        """Return, cost and interval of the summed return of ``rows`` at ``column``."""
        if self.method == "chain_ladder" or self.path is None:
            values = self.returns.projected_ if self.path is None else self.path
            costs = self.costs.projected_ if self.cost_path is None else self.cost_path
            ret = float(values[rows, column].sum())
            cost = float(costs[rows, column].sum())
            low, high = interval(ret, self.returns.total_mse(rows, column), self.confidence)
            return ret, cost, *self._won_floor(rows, column, low, high)
        assert self.log_sd is not None and self.fit is not None and self.cost_path is not None
        ret = float(self.path[rows, column].sum())
        cost = float(self.cost_path[rows, column].sum())
        ultimate_ = self.path[rows, self.target]
        part = self._part(rows, column)
        sd = np.nan_to_num(self.log_sd[rows])
        each = part * np.abs(ultimate_) * np.sqrt(np.expm1(sd ** 2))
        var = float((each ** 2).sum())
        rho = self.fit.correlation
        if np.isfinite(rho):  # errors made at the same time move together this much
            var += rho * float(each.sum() ** 2 - (each ** 2).sum())
        else:  # no past errors: the prior's estimation error, shared by all that lean on it
            q = 1 - np.clip(self.fit.known_share[self.triangle.ages[rows]], 0, 1)
            exposure = self.cost_path[rows, self.target]
            var += float((part * q * exposure
                          * np.sqrt(self.fit.prior.variance[rows])).sum()) ** 2
        low, high = interval(ret, var, self.confidence)
        return ret, cost, *self._won_floor(rows, column, low, high)

    def _won_floor(self, rows: np.ndarray, column: int, low, high) -> tuple[float, float]:
        """The interval of a sum, never below what its cohorts have already won by then (the
        measured months; past a cohort's age, all it has won so far): won stays won."""
        ages = self.triangle.ages[rows]
        seen = self.triangle.ret[rows, np.minimum(ages, column)]
        so_far = self.table["measured_return"].to_numpy(dtype="float64")[rows]
        won = float(np.nansum(np.where(column <= ages, seen, np.fmax(seen, so_far))))
        low = float(low) if not np.isfinite(low) else max(float(low), won)
        return low, float(high) if not np.isfinite(high) else max(float(high), low)

    def _part(self, rows: np.ndarray, column: int) -> np.ndarray:
        """Share of each row's still unknown return expected to be won by ``column``."""
        assert self.path is not None
        measured = self.path[rows, np.minimum(self.triangle.ages[rows], column)]
        with np.errstate(divide="ignore", invalid="ignore"):
            part = ((self.path[rows, column] - measured)
                    / (self.path[rows, self.target] - measured))
        return np.clip(np.nan_to_num(part), 0, 1)

    def portfolio(self) -> dict:
        """Projected ROI at the target of all paid cohorts that are mature or projected, with
        its interval (chain ladder: Mack's total MSE, cross-cohort covariance included; the
        other methods: the cohorts' spreads added, and the prior's shared estimation error)."""
        rows = self._usable()
        if len(rows) == 0:
            return {"cohorts": 0, "method": self.method}
        ret, cost, low, high = self.total(rows, self.target)
        return {"cohorts": len(rows), "return": ret, "cost": cost,
                "roi": float(roi(cost, ret)), "interval_low": float(roi(cost, low)),
                "interval_high": float(roi(cost, high)), "method": self.method}

    @cached_property
    def curve(self) -> pd.DataFrame:
        """The portfolio ROI by month since launch (see :func:`curve`), computed once."""
        return curve(self)


def project(inputs: Inputs, credits: pd.DataFrame, settings: Settings, target: int = 12,
            cohort: str = "campaign", confidence: float = 0.8,
            months: ByMonth | None = None, method: str = "auto", priors: dict | None = None,
            chain: Chain | None = None, known: Known | None = None) -> Projection:
    """Project every cohort to ``target`` months. See the module docstring for the methods.

    ``priors``: expected ROI (1.5 = +150%) by channel or campaign name, ``*`` for all
    (default: ``settings.priors``)."""
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or target < 1:
        raise InputError(f"expected a positive number of months, got {target}", option="target")
    if not 0 < confidence < 1:
        raise InputError(f"expected a level between 0 and 1, got {confidence}",
                         option="confidence")
    if method not in METHODS:
        raise InputError(f"expected one of {', '.join(METHODS)}, got '{method}'",
                         option="method")
    if months is None or months.last < target:
        months = by_month(inputs, credits, settings, target)
    tri = triangle(inputs, credits, settings, target, cohort, months)
    returns, costs = develop(tri.ret, tri.ages), develop(tri.cost, tri.ages)
    if known is None:
        known = known_triangle(inputs, credits, settings, target, cohort, months, chain)
    if cohort == "campaign":
        groups = months.table["channel"].astype("str").to_numpy()
    else:
        groups = np.full(len(tri.cohorts), "all")
    names = tri.cohorts.astype("str")
    priors = getattr(settings, "priors", None) if priors is None else priors
    elr_user = user_elr(priors, months.table["campaign"], months.table["channel"])
    if cohort == "month":  # a launch month takes only a prior given for every campaign
        elr_user = user_elr({k: v for k, v in (priors or {}).items() if k == "*"}, names,
                            groups)
    ages = tri.ages
    n = len(ages)
    rows = np.arange(n)
    mature = ages >= target
    cl_cost = costs.projected_[:, target]
    measured_cost = np.where(mature, tri.cost[rows, np.minimum(ages, target)], known.now_cost)
    exposure = np.where(mature, measured_cost, np.fmax(cl_cost, measured_cost))
    exposure = np.nan_to_num(exposure)
    time = _launch_months(months, cohort, len(tri.cohorts))
    fitted = fit(known, tri, exposure, groups, method, elr_user, target, time)
    measured = np.where(mature, tri.ret[rows, np.minimum(ages, target)], known.now_measured)
    pipeline = np.where(mature, 0.0, known.now_pipeline)
    share = fitted.known_share[ages]
    if method == "chain_ladder":
        projected = returns.projected_[:, target]
        too_young = ~mature & ((ages < 1) | ~(tri.ret[rows, ages] > 0)
                               | ~np.isfinite(projected) | ~np.isfinite(cl_cost))
        low, high = interval(projected, returns.mse_[:, target], confidence)
        # from whole months, it may fall short of what the month under way has won: won
        # stays won (NaN stays NaN: a cohort too young keeps no projection)
        projected = np.where(np.isfinite(projected), np.fmax(projected, measured), projected)
        low = np.where(np.isfinite(low), np.fmax(low, measured), low)
        high = np.where(np.isfinite(high), np.fmax(high, low), high)
        log_sd = None
    else:
        projected, low, high, log_sd = young(fitted, measured, pipeline, ages, exposure,
                                             method, confidence, target)
        too_young = ~mature & ((ages < 1) | ~np.isfinite(projected))
    projected_cost = np.where(mature, measured_cost, exposure)
    blank = too_young
    point = mature
    future = projected - measured - pipeline
    prior_elr = fitted.elr if method != "chain_ladder" else np.full(n, np.nan)
    table = pd.DataFrame({
        tri.cohorts.name: names,
        "age_months": tri.age_months, "target_months": target,
        "measured_cost": measured_cost, "measured_return": measured,
        "projected_cost": np.where(blank, np.nan, projected_cost),
        "projected_return": np.where(blank, np.nan, projected),
        "projected_roi": np.where(blank, np.nan, roi(projected_cost, projected)),
        "interval_low": np.where(blank, np.nan, roi(projected_cost,
                                                    np.where(point, projected, low))),
        "interval_high": np.where(blank, np.nan, roi(projected_cost,
                                                     np.where(point, projected, high))),
        "status": np.where(mature, "mature", np.where(too_young, "too_young", "projected"))})
    path, cost_path = _paths(tri, returns, costs, fitted, projected, projected_cost, method,
                             too_young, target)
    paid = np.nan_to_num(np.fmax(measured_cost, exposure)) > 0
    payback, how = _payback(tri, path, cost_path, target, too_young, paid)
    table["payback_months"] = pd.array(payback, dtype="Int64")
    table["payback"] = how
    table["method"] = method
    table["pipeline_return"] = pipeline
    table["future_return"] = np.where(blank, np.nan, future)
    with np.errstate(invalid="ignore"):
        table["prior_roi"] = np.where(exposure > 0, prior_elr - 1, np.nan)
    table["credibility"] = np.where(mature, 1.0, np.where(blank, np.nan,
                                                          credibility(method, share)))
    if inputs.period is not None:  # spend periods: each cohort's, as the report shows it
        table["period"] = period_labels(inputs, table[tri.cohorts.name], cohort)
    return Projection(table, tri, returns, costs, target, confidence, method, known, fitted,
                      path, cost_path, log_sd)


def roi_now(table: pd.DataFrame) -> np.ndarray:
    """Each row's ROI measured so far (measured_cost, measured_return), by the one ROI
    formula: what the table view's 'now' and the page's 'ROI now' show."""
    return roi(table["measured_cost"], table["measured_return"])


def period_labels(inputs: Inputs, names: pd.Series, cohort: str) -> np.ndarray:
    """With spend periods, each cohort's period (``2024-Q1``): a campaign cohort's own, a
    launch month's the period it opens (what records which --period an export was made
    with)."""
    if cohort == "month":
        return periods.label(pd.to_datetime(names.astype("str") + "-01"), str(inputs.period))
    assert inputs.cohorts is not None
    own = inputs.cohorts.drop_duplicates("campaign").set_index("campaign")["period"]
    return names.map(own).to_numpy(dtype=object)


def _launch_months(months: ByMonth, cohort: str, n: int) -> np.ndarray:
    """Each cohort's launch as a number of months (days / 30.44), for the prior's decay."""
    launch = months.table["launch"]
    days = launch.to_numpy().astype("datetime64[D]").view("int64") / (365.25 / 12)
    if cohort == "month":
        _, code = month_cohorts(months)
        out = np.zeros(n)
        np.maximum.at(out, code[code >= 0], days[code >= 0])
        return out
    return days


def young(fitted: Fit, measured, pipeline, ages, exposure, method: str, confidence: float,
          target: int):
    """Projected return, interval and log spread of each cohort from what it has won and its
    pipeline, at its age (cohorts at the target keep what they measured). A spread estimated
    from n past errors is widened by Student's t with n - 1 degrees of freedom."""
    measured = np.asarray(measured, dtype="float64")
    share = fitted.known_share[np.clip(ages, 0, target)]
    projected = ultimate(method, measured + pipeline, share, fitted.elr * exposure)
    # won stays won: a pattern above 1 (known values that develop downward, an overvalued
    # pipeline) never takes the projection below the return already won
    projected = np.where(ages >= target, measured,
                         np.where(np.isfinite(projected), np.fmax(projected, measured), projected))
    log_sd, count = _spreads(fitted, ages, share, exposure, projected, target)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    widen = np.where(count > 1, reserving.t_quantile(0.5 + confidence / 2, count - 1) / z, 1.0)
    low, high = reserving.lognormal_interval(np.maximum(projected, 0), log_sd * widen,
                                             confidence)
    low = np.where(np.isfinite(low), np.fmax(low, measured), np.nan)  # won stays won
    return projected, low, np.where(np.isfinite(high), np.fmax(high, low), np.nan), \
        log_sd * widen


def _spreads(fitted: Fit, ages, share, exposure, projected, target: int):
    """Per cohort: the log-scale spread of its projected return (0 when mature) and how many
    past errors it rests on: those at its age; else the Cape Cod variances, not below the
    spread of the nearest older age that has one (younger cohorts have more to happen)."""
    a = np.clip(ages, 0, target)
    spread = fitted.spread[a]
    floor = fitted.spread.copy()
    source = np.where(np.isfinite(floor), fitted.residuals, 0.0)
    for k in range(target - 1, -1, -1):  # a dozen ages
        if not np.isfinite(floor[k]):
            floor[k], source[k] = floor[k + 1], source[k + 1]
    q = np.clip(1 - share, 0, None)
    var = _prior_variance(fitted.prior, exposure, q)
    with np.errstate(divide="ignore", invalid="ignore"):
        model = np.sqrt(np.log1p(var / np.maximum(projected, 1e-9) ** 2))
    estimated = np.isfinite(spread)
    from_floor = ~estimated & (np.nan_to_num(floor[a]) >= np.nan_to_num(model))
    count = np.where(estimated, fitted.residuals[a], np.where(from_floor, source[a], 0.0))
    spread = np.where(estimated, spread, np.fmax(model, floor[a]))
    mature = ages >= target
    return np.where(mature, 0.0, spread), np.where(mature, 0.0, count)


def _paths(tri: Triangle, returns: Development, costs: Development, fitted: Fit, projected,
           projected_cost, method: str, too_young, target: int):
    """Cumulative return and cost by age 0..target: measured up to the cohort's age, then
    toward the projection along the measured triangle's emergence pattern, never below what
    the month under way already holds (the return it has won so far, up to the projection;
    the cost spent so far)."""
    ages = tri.ages
    if method == "chain_ladder":
        ret = np.where(too_young[:, None], tri.ret, returns.projected_)
        cost = np.where(too_young[:, None], tri.cost, costs.projected_)
        # the target: the projection (won stays won: never below the return already won)
        ret[:, target] = np.where(too_young, ret[:, target], projected)
    else:
        n = len(ages)
        rows = np.arange(n)
        share = np.nan_to_num(fitted.paid_share, nan=0.0)
        now = share[ages]
        base = tri.ret[rows, ages]
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.clip((share[None, :] - now[:, None]) / (1 - now[:, None]), 0, 1)
        step = np.where(now[:, None] >= 1, 1.0, step)
        later = np.arange(target + 1)[None, :] > ages[:, None]
        ret = np.where(later, base[:, None] + step * (projected - base)[:, None], tri.ret)
        ret = np.where(too_young[:, None], tri.ret, ret)
        cost = np.where(too_young[:, None], tri.cost, costs.projected_)
        cost[:, target] = np.where(too_young, cost[:, target], projected_cost)
    if tri.ret_under_way is None or tri.cost_under_way is None:
        return ret, cost
    later = (np.arange(target + 1)[None, :] > ages[:, None]) & ~too_young[:, None]
    held = (np.fmin(tri.ret_under_way, ret[:, target]), np.fmin(tri.cost_under_way,
                                                                cost[:, target]))
    ret, cost = (np.where(later & np.isfinite(floor)[:, None], np.fmax(path, floor[:, None]),
                          path) for path, floor in zip((ret, cost), held, strict=True))
    return ret, cost


def _payback(tri: Triangle, ret: np.ndarray, cost: np.ndarray, target: int,
             too_young: np.ndarray, paid: np.ndarray):
    """The payback month: the first calendar month 1..target by which cumulative return
    covers cumulative cost (> 0). From the data when a whole month observed shows it
    (``measured``); else the month under way when what it has won so far already covers what
    was spent so far, or along the projected path (``projected``: the month under way is not
    over, and more may be spent in it). Else why not: ``not yet
    measured`` (too young), ``no cost`` (only where ``paid`` is False: a campaign without
    cost; a paid one too young has no cost path yet, not no cost) or ``not within N
    months``."""
    ages = tri.ages
    ret, cost = ret[:, 1:], cost[:, 1:]
    covered = (cost > 0) & (ret >= cost)
    seen = np.arange(1, target + 1)[None, :] <= ages[:, None]
    seen_first = np.where((covered & seen).any(axis=1), (covered & seen).argmax(axis=1) + 1, 0)
    ahead = covered & ~seen
    ahead_first = np.where(ahead.any(axis=1), ahead.argmax(axis=1) + 1, 0)
    if tri.ret_under_way is not None and tri.cost_under_way is not None:
        with np.errstate(invalid="ignore"):
            so_far = (tri.cost_under_way > 0) & (tri.ret_under_way >= tri.cost_under_way)
    else:
        so_far = np.zeros(len(ages), dtype=bool)
    # the month under way is not over (more may be spent in it): covered so far, its payback
    # is that month, but projected, not measured, until the month ends
    measured = seen_first > 0
    first = np.where(seen_first > 0, seen_first, np.where(so_far, ages + 1, ahead_first))
    never = np.where(too_young, "not yet measured", f"not within {target} months")
    never = np.where(paid, never, "no cost")
    how = np.where(first == 0, never, np.where(measured, "measured", "projected"))
    return np.where(first > 0, first, np.array(None, dtype=object)), how


BACKTEST_METHODS = ("measured", "chain_ladder", "bf", "auto")
AGE_BANDS = ((1, 5), (6, 11))
BACKTEST_COLUMNS = ["method", "ages", "cuts", "cohorts", "projected_return", "actual_return",
                    "error", "mean_abs_error", "coverage"]


def backtest_cuts(as_of: pd.Timestamp, months: int, first_launch, target: int,
                  count: int = 3, step: int = 3) -> list[pd.Timestamp]:
    """``count`` cut dates, ``months`` before as-of and then every ``step`` months earlier,
    each leaving at least ``target`` months of history before it."""
    cuts = []
    for k in range(count):  # a handful of dates
        cut = (as_of - pd.DateOffset(months=months + k * step)).normalize()
        if pd.isna(first_launch) or cut < first_launch + pd.DateOffset(months=target):
            break
        cuts.append(cut)
    return cuts


def backtest_pairs(inputs: Inputs, credits: pd.DataFrame, settings: Settings, cuts,
                   target: int, cohort: str = "campaign", confidence: float = 0.8,
                   methods=BACKTEST_METHODS, priors: dict | None = None,
                   chain: Chain | None = None, months: ByMonth | None = None,
                   engine: Engine | None = None) -> pd.DataFrame:
    """Project from the data as it stood at each cut (:func:`roiclock.pipeline.snapshot`) and
    compare with the return at the target that the full data shows: one row per cut, method
    and cohort that was 1..target-1 months old then and has reached the target now.
    ``measured`` is the early measurement itself (what was won by then). ``months``: the
    grid of the full data (saves its pass); ``engine`` runs the passes at each cut."""
    now = triangle(inputs, credits, settings, target, cohort, months)
    parts = []
    for cut in cuts:  # a few cut dates; each is a full projection
        then_inputs = snapshot(inputs, cut)
        then_credits, months = (engine or Engine()).passes(then_inputs, settings, target,
                                                           chain)
        known = known_triangle(then_inputs, then_credits, settings, target, cohort, months,
                               chain)
        for method in methods:  # four methods
            name = "chain_ladder" if method == "measured" else method
            then = project(then_inputs, then_credits, settings, target, cohort, confidence,
                           months, name, priors, chain, known)
            table = then.table
            row_now = pd.Index(now.cohorts).get_indexer(then.triangle.cohorts)
            ages = then.triangle.ages
            use = ((row_now >= 0) & (ages >= 1) & (ages < target)
                   & (now.ages[np.maximum(row_now, 0)] >= target)
                   & (table["measured_cost"].to_numpy() > 0))
            rows = np.flatnonzero(use)
            actual = now.ret[row_now[rows], target]
            if method == "measured":
                projected = table["measured_return"].to_numpy()[rows]
                low = high = np.full(len(rows), np.nan)
            else:
                ok = (table["status"] == "projected").to_numpy()[rows]
                cost = table["projected_cost"].to_numpy()[rows]
                projected = np.where(ok, table["projected_return"].to_numpy()[rows], np.nan)
                low = cost * (1 + table["interval_low"].to_numpy()[rows])
                high = cost * (1 + table["interval_high"].to_numpy()[rows])
            parts.append(pd.DataFrame({
                "cut": cut, "method": method, "cohort": then.triangle.cohorts[rows],
                "age": ages[rows], "projected": projected, "actual": actual,
                "low": low, "high": high}))
    if not parts:
        return pd.DataFrame(columns=["cut", "method", "cohort", "age", "projected", "actual",
                                     "low", "high"])
    return pd.concat(parts, ignore_index=True)


def backtest_table(pairs: pd.DataFrame, target: int) -> pd.DataFrame:
    """Per method and age band (and all ages): how many cut dates and cohorts, summed
    projected and actual return, error = sum projected / sum actual - 1 (bias),
    mean_abs_error = mean |projected / actual - 1| and coverage = share of actual returns
    inside the interval. A projection the method could not make counts as 0 (the chain
    ladder on a cohort with no return yet)."""
    bands = [b for b in AGE_BANDS if b[0] < target]
    bands = [(lo, min(hi, target - 1)) for lo, hi in bands] + [(1, target - 1)]
    out = []
    for method in dict.fromkeys(pairs["method"]):  # a few methods x bands
        mine = pairs[pairs["method"] == method]
        for lo, hi in bands:
            part = mine[(mine["age"] >= lo) & (mine["age"] <= hi)]
            out.append(_backtest_row(str(method), f"{lo}-{hi}" if (lo, hi) != (1, target - 1)
                                     or len(bands) == 1 else "all", part))
    return pd.DataFrame(out, columns=BACKTEST_COLUMNS)


def _backtest_row(method: str, ages: str, pairs: pd.DataFrame) -> dict:
    projected = pairs["projected"].fillna(0.0)
    actual = pairs["actual"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (projected / actual - 1)[actual > 0]
    interval_known = pairs["low"].notna() & pairs["high"].notna()
    inside = (actual >= pairs["low"] - 1e-9) & (actual <= pairs["high"] + 1e-9)
    total = actual.sum()
    return {"method": method, "ages": ages, "cuts": pairs["cut"].nunique(),
            "cohorts": len(pairs), "projected_return": projected.sum(),
            "actual_return": total,
            "error": projected.sum() / total - 1 if total > 0 else np.nan,
            "mean_abs_error": ratio.abs().mean() if len(ratio) else np.nan,
            "coverage": inside[interval_known].mean() if interval_known.any() else np.nan}


def backtest(inputs: Inputs, credits: pd.DataFrame, settings: Settings, months_back: int,
             target: int, cohort: str = "campaign", confidence: float = 0.8,
             priors: dict | None = None, chain: Chain | None = None, count: int = 3,
             step: int = 3, months: ByMonth | None = None, engine: Engine | None = None):
    """The backtest table (:func:`backtest_table`) at :func:`backtest_cuts`, the pairs and
    the cut dates. ``months`` and ``engine``: see :func:`backtest_pairs`."""
    first = inputs.spend["date"].min() if len(inputs.spend) else inputs.as_of
    cuts = backtest_cuts(inputs.as_of, months_back, first, target, count, step)
    if not cuts:  # say why, rather than an empty table
        room = (months_since(np.array([np.datetime64(first, "D")]),
                             np.array([np.datetime64(inputs.as_of, "D")]))[0] - target
                if not pd.isna(first) else 0)
        raise InputError(
            f"nothing to backtest {months_back} months back: each cut needs {target} months "
            f"of history before it and the data starts {first:%Y-%m-%d}, so at most "
            f"{max(int(room), 0)} months back", option="backtest_months")
    pairs = backtest_pairs(inputs, credits, settings, cuts, target, cohort, confidence,
                           priors=priors, chain=chain, months=months, engine=engine)
    if pairs.empty:
        raise InputError(f"nothing to backtest {months_back} months back: no campaign was "
                         f"1 to {target - 1} months old then and has reached {target} months "
                         "since", option="backtest_months")
    return backtest_table(pairs, target), pairs, cuts


def curve(projection: Projection) -> pd.DataFrame:
    """Portfolio ROI by month since launch, 1..target: ``measured_roi`` over the paid campaigns
    observed to the target (the same campaigns at every month), and ``projected_roi`` over
    every paid campaign that is mature or projected, with its interval (``interval_low``/
    ``high``; cost taken as known)."""
    tri = projection.triangle
    target = projection.target
    months = np.arange(1, target + 1)
    mature = projection.paid_rows(("mature",))
    usable = projection._usable()
    with np.errstate(divide="ignore", invalid="ignore"):
        measured = np.full(target, np.nan)
        if len(mature):
            measured = roi(tri.cost[mature][:, months].sum(0),
                           tri.ret[mature][:, months].sum(0))
        totals = np.array([projection.total(usable, int(k)) for k in months]).reshape(-1, 4)
        ret, cost, low, high = totals.T
        return pd.DataFrame({"months": months, "measured_roi": measured,
                             "projected_roi": roi(cost, ret), "interval_low": roi(cost, low),
                             "interval_high": roi(cost, high),
                             "measured_campaigns": len(mature),
                             "projected_campaigns": len(usable)})
