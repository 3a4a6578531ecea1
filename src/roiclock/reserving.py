"""Reserving methods on a development triangle: emergence pattern, Cape Cod prior with channel
credibility, Bornhuetter-Ferguson, Benktander, chain ladder, and intervals from the
triangle's own retrospective errors. Plain numpy on arrays; no data frames, no inputs.

Notation (one entry per cohort): ``latest`` L_i, the value known at the cohort's age;
``p`` p_i, the share of the final value expected to be known at that age (1 / CDF); q_i = 1 - p_i;
``exposure`` E_i (the cohort's cost at the target); ``elr`` the expected final value per unit of
exposure (1 + expected ROI). Then, as in chainladder-python (checked in the tests):

- chain ladder: U = L / p
- Bornhuetter-Ferguson: U = L + q * elr * E
- Benktander (``n`` iterations, 2 by default): U_0 = elr * E, U_m = L + q * U_(m-1); the same as
  the credibility blend Z * U_CL + (1 - Z) * elr * E with Z = 1 - q^n
- Cape Cod: elr = sum L / sum (E * p) over the cohorts (optionally with weights decaying with
  the distance between cohorts), then Bornhuetter-Ferguson.

Here the Cape Cod prior is estimated per channel and shrunk toward the portfolio with
Buhlmann-Straub credibility: each cohort's X_i = L_i / (E_i p_i) has weight w_i = E_i p_i; a
channel's own estimate gets credibility Z = w_c / (w_c + s2 / t2), s2 the variance within
channels (per unit of weight) and t2 the variance between channels; a channel with little data,
or channels that do not differ more than chance allows, take the portfolio's value.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

METHODS = ("chain_ladder", "bf", "cape_cod", "benktander", "auto")


def emergence(C: np.ndarray, ages: np.ndarray, recent: np.ndarray | None = None) -> np.ndarray:
    """Expected share of the last column known at each age (``p``, length C.shape[1]).

    Inverse volume-weighted factors g_k = sum C[i, k] / sum C[i, k + 1] over the cohorts
    observed at k + 1, p_k = g_k * ... * g_(K-1), p at the last age = 1: the reciprocal of the
    chain ladder's cumulative factor, defined even where nothing has emerged yet (p = 0 there).
    NaN where no cohort is observed at a later age. ``recent`` (cells, bool): a factor counts a
    cohort only where its k + 1 cell is marked (the latest diagonals), unless none is.

    >>> C = np.array([[10., 40, 70], [12, 50, np.nan], [8, np.nan, np.nan]])
    >>> emergence(C, np.array([2, 1, 0])).round(4).tolist()
    [0.1397, 0.5714, 1.0]
    """
    n, K = C.shape
    g = np.full(K - 1, np.nan)
    for k in range(K - 1):  # one step per age, vectorized over cohorts
        use = (ages >= k + 1) & np.isfinite(C[:, k]) & np.isfinite(C[:, k + 1])
        if recent is not None and (use & recent[:, k + 1]).any():
            use &= recent[:, k + 1]
        if not use.any():
            continue
        below, above = C[use, k].sum(), C[use, k + 1].sum()
        g[k] = below / above if above != 0 else 0.0
    p = np.ones(K)
    p[:-1] = np.cumprod(g[::-1])[::-1]
    return p


def chain_ladder(latest, p) -> np.ndarray:
    """U = L / p (NaN where nothing is expected to have emerged)."""
    p = np.asarray(p, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, np.asarray(latest, dtype="float64") / p, np.nan)


def bornhuetter_ferguson(latest, p, prior) -> np.ndarray:
    """U = L + (1 - p) * prior (``prior``: the expected final value, elr * E)."""
    return np.asarray(latest, dtype="float64") + (1 - np.asarray(p)) * np.asarray(prior)


def benktander(latest, p, prior, n: int = 2) -> np.ndarray:
    """Bornhuetter-Ferguson iterated ``n`` times (n = 1: Bornhuetter-Ferguson itself)."""
    u = np.asarray(prior, dtype="float64")
    for _ in range(n):  # n is 1, 2 or 3
        u = bornhuetter_ferguson(latest, p, u)
    return u


def cape_cod_elr(latest, exposure, p, decay: float = 1.0, time=None) -> np.ndarray:
    """chainladder's Cape Cod prior: elr_i = sum_j w_ij L_j / sum_j w_ij E_j p_j, with
    w_ij = decay^|time_i - time_j| (``time``: the cohort's position, default 0, 1, 2...)."""
    latest, exposure, p = (np.asarray(x, dtype="float64") for x in (latest, exposure, p))
    time = np.arange(len(latest)) if time is None else np.asarray(time, dtype="float64")
    w = decay ** np.abs(time[:, None] - time[None, :])
    return (w @ latest) / (w @ (exposure * p))


@dataclass(frozen=True)
class Prior:
    """The Cape Cod prior by group (channel), with Buhlmann-Straub credibility.

    elr : per cohort, the expected final value per unit of exposure
    group_elr, credibility : per group (in ``groups`` order): the credibility-weighted
        estimate and the group's own weight Z
    portfolio : the portfolio's estimate
    within, between : s2 (per unit of weight) and t2
    variance : per cohort, the estimation variance of its elr
    elr_without : per cohort, its elr estimated without its own data
    """

    elr: np.ndarray
    groups: np.ndarray
    group_elr: np.ndarray
    credibility: np.ndarray
    portfolio: float
    within: float
    between: float
    variance: np.ndarray
    elr_without: np.ndarray


def cape_cod_prior(latest, exposure, p, group, time=None, decay: float = 1.0) -> Prior:
    """Cape Cod elr per group shrunk toward the portfolio (Buhlmann-Straub).

    With ``time`` (each cohort's position in whole units, e.g. its launch month) and ``decay``
    < 1, each cohort's estimate weighs the others by decay^|time_i - time_j| (chainladder's
    Cape Cod decay), so a drift of the return per unit of cost over time is followed. Cohorts
    with no exposure or nothing expected yet (E p <= 0) carry no weight.

    >>> prior = cape_cod_prior([10., 30, 20, 20], [10., 10, 10, 10], [1., 1, 1, 1],
    ...                        np.array(["a", "a", "b", "b"]))
    >>> prior.portfolio, prior.credibility.round(3).tolist()
    (2.0, [0.0, 0.0])
    """
    latest, exposure, p = (np.asarray(x, dtype="float64") for x in (latest, exposure, p))
    n = len(latest)
    w = np.where(np.isfinite(exposure * p) & (exposure * p > 0), exposure * p, 0.0)
    latest = np.where(w > 0, np.nan_to_num(latest), 0.0)
    names, code = np.unique(np.asarray(group).astype("str"), return_inverse=True)
    n_groups = len(names)
    total_w = w.sum()
    portfolio = latest.sum() / total_w if total_w > 0 else np.nan
    wc = np.bincount(code, weights=w, minlength=n_groups)
    lc = np.bincount(code, weights=latest, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(wc > 0, lc / wc, np.nan)
        x = np.where(w > 0, latest / w, 0.0)
    counts = np.bincount(code, weights=(w > 0).astype("float64"), minlength=n_groups)
    dof = (np.maximum(counts - 1, 0)).sum()
    residual = np.where(w > 0, w * (x - np.nan_to_num(own)[code]) ** 2, 0.0).sum()
    within = residual / dof if dof > 0 else np.nan
    active = wc > 0
    c = int(active.sum())
    between = 0.0
    if c > 1 and np.isfinite(within) and total_w > 0:
        spread = (wc[active] * (own[active] - portfolio) ** 2).sum()
        denominator = total_w - (wc[active] ** 2).sum() / total_w
        between = max((spread - (c - 1) * within) / denominator, 0.0) if denominator > 0 else 0.0
    s2 = within if np.isfinite(within) else 0.0
    ratio = s2 / between if between > 0 else np.inf   # Buhlmann's k
    # per cohort i: every cohort j weighed by decay^|time_i - time_j|. Times are binned to whole
    # units (months), so the decay runs over the distinct times, not over cohort pairs.
    time = np.zeros(n) if time is None else np.round(np.asarray(time, dtype="float64"))
    slots, slot = np.unique(time, return_inverse=True)
    near = (decay ** np.abs(slots[:, None] - slots[None, :]) if decay < 1
            else np.ones((len(slots), len(slots))))
    cell = slot * n_groups + code                      # (time, group) of each cohort
    size = len(slots) * n_groups
    w_cell = np.bincount(cell, weights=w, minlength=size).reshape(len(slots), n_groups)
    l_cell = np.bincount(cell, weights=latest, minlength=size).reshape(len(slots), n_groups)
    w_grp = (near @ w_cell)[slot]                      # per cohort x group, decayed
    l_grp = (near @ l_cell)[slot]
    w_all, l_all = w_grp.sum(axis=1), l_grp.sum(axis=1)
    mine_w = w_grp[np.arange(n), code]
    mine_l = l_grp[np.arange(n), code]
    with np.errstate(divide="ignore", invalid="ignore"):
        local = np.where(w_all > 0, l_all / w_all, portfolio)
        own_local = np.where(mine_w > 0, mine_l / mine_w, local)
        z = np.where((between > 0) & (mine_w > 0), mine_w / (mine_w + ratio), 0.0)
        var_own = np.where(mine_w > 0, s2 / mine_w, 0.0)
        var_local = np.where(w_all > 0, s2 / w_all, 0.0)
    elr = z * own_local + (1 - z) * local
    # the same without each cohort's own data (for retrospective tests)
    with np.errstate(divide="ignore", invalid="ignore"):
        local_out = np.where(w_all - w > 0, (l_all - latest) / (w_all - w), local)
        mine_out = mine_w - w
        own_out = np.where(mine_out > 0, (mine_l - latest) / mine_out, local_out)
        z_out = np.where((between > 0) & (mine_out > 0), mine_out / (mine_out + ratio), 0.0)
    elr_without = z_out * own_out + (1 - z_out) * local_out
    variance = z ** 2 * var_own + (1 - z) ** 2 * (var_local + between)
    if not np.isfinite(within):  # one cohort per channel: no spread to estimate (not zero)
        variance = np.full(n, np.nan)
    credibility = np.where(wc > 0, wc / (wc + ratio), 0.0) if between > 0 else np.zeros(n_groups)
    group_elr = credibility * np.nan_to_num(own) + (1 - credibility) * portfolio
    return Prior(elr, names, group_elr, credibility, float(portfolio), float(within),
                 float(between), variance, elr_without)


def isotonic_decreasing(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted least-squares fit of a non-increasing sequence (pool adjacent violators);
    entries with weight 0 take their neighbours' value.

    >>> isotonic_decreasing(np.array([3., 1, 2, 0]), np.ones(4)).tolist()
    [3.0, 1.5, 1.5, 0.0]
    """
    keep = np.flatnonzero(weights > 0)
    if len(keep) == 0:
        return np.full(len(values), np.nan)
    blocks: list[list[float]] = []  # [mean, weight, count]; at most one per age
    for v, w in zip(values[keep], weights[keep], strict=True):
        blocks.append([float(v), float(w), 1])
        while len(blocks) > 1 and blocks[-2][0] < blocks[-1][0]:
            v2, w2, n2 = blocks.pop()
            v1, w1, n1 = blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    fitted = np.repeat([b[0] for b in blocks], [int(b[2]) for b in blocks])
    out = np.interp(np.arange(len(values)), keep, fitted)
    return out


def t_quantile(p: float, dof) -> np.ndarray:
    """Student's t quantile by the Cornish-Fisher expansion in 1 / dof (Abramowitz and Stegun
    26.7.5), good to about 1% from 3 degrees of freedom; the normal quantile as dof grows.

    >>> [round(float(t_quantile(0.9, v)), 3) for v in (4, 10, 1000)]
    [1.533, 1.372, 1.282]
    """
    z = NormalDist().inv_cdf(p)
    v = np.maximum(np.asarray(dof, dtype="float64"), 1.0)
    g1 = (z ** 3 + z) / 4
    g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96
    g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384
    g4 = (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / 92160
    return z + g1 / v + g2 / v ** 2 + g3 / v ** 3 + g4 / v ** 4


def lognormal_interval(median, log_sd, confidence: float):
    """Interval of median * exp(N(0, log_sd^2)) at the given level (the point where the
    spread is 0).

    >>> [round(float(x), 2) for x in lognormal_interval(100.0, 0.5, 0.8)]
    [52.69, 189.8]
    """
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    median = np.asarray(median, dtype="float64")
    log_sd = np.asarray(log_sd, dtype="float64")
    return median * np.exp(-z * log_sd), median * np.exp(z * log_sd)
