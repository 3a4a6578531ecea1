"""Bornhuetter-Ferguson, Cape Cod, Benktander and the credibility of channel priors, against
chainladder-python's numbers; the intervals' coverage in a simulation where the truth is
known."""

import numpy as np
import pandas as pd
import pytest

from roiclock import projection as P
from roiclock.reserving import (
    benktander,
    bornhuetter_ferguson,
    cape_cod_elr,
    cape_cod_prior,
    chain_ladder,
    emergence,
    isotonic_decreasing,
)

nan = np.nan
# Reference: chainladder 0.10.1 (casact/chainladder-python, pandas 3.1.1, numpy 2.4.6).
# Cumulative triangle, origins 2020..2024 (rows), ages 12..60 months (columns); exposure
# (sample_weight) = cost per origin; apriori 1.5 is an expected loss ratio (prior = 1.5 x cost).
# Development() defaults (volume-weighted, all diagonals), no tail (CDF at 60 = 1).
TRI = np.array([[10., 40, 70, 90, 100],
                [12., 50, 85, 105, nan],
                [8., 30, 55, nan, nan],
                [15., 45, nan, nan, nan],
                [5., nan, nan, nan, nan]])
AGES = np.array([4, 3, 2, 1, 0])
COST = np.array([100., 120, 90, 150, 110])
LATEST = np.array([100., 105, 55, 45, 5])
# cdf_ per origin (latest age -> ultimate)
CDF = np.array([1.0, 1.1111111111111112, 1.3978494623655915, 2.446236559139785,
                8.969534050179211])


def share():
    return emergence(TRI, AGES)[AGES]


def test_emergence_is_the_reciprocal_of_the_cumulative_factors():
    assert share() == pytest.approx(1 / CDF, abs=1e-14)
    # Chainladder().ultimate_
    assert chain_ladder(LATEST, share()) == pytest.approx(
        [100.0, 116.66666666666667, 76.88172043010753, 110.08064516129032, 44.84767025089606],
        abs=1e-12)


def test_bornhuetter_ferguson_and_benktander_match_chainladder():
    prior = 1.5 * COST
    # BornhuetterFerguson(apriori=1.5).ultimate_ (== Benktander(n_iters=1))
    bf = [100.0, 123.00000000000001, 93.42307692307693, 178.02197802197801, 151.60439560439562]
    assert bornhuetter_ferguson(LATEST, share(), prior) == pytest.approx(bf, abs=1e-12)
    assert benktander(LATEST, share(), prior, 1) == pytest.approx(bf, abs=1e-12)
    # Benktander(apriori=1.5, n_iters=2) and n_iters=3
    assert benktander(LATEST, share(), prior, 2) == pytest.approx(
        [100.0, 117.30000000000001, 81.58964497041421, 150.24815843497163, 139.7022472033461],
        abs=1e-12)
    assert benktander(LATEST, share(), prior, 3) == pytest.approx(
        [100.0, 116.73000000000002, 78.22166818388713, 133.8280321296865, 129.127051611045],
        abs=1e-12)
    # the credibility form: Z = 1 - q^2 on the chain ladder, 1 - Z on the prior
    q = 1 - share()
    z = 1 - q ** 2
    assert benktander(LATEST, share(), prior, 2) == pytest.approx(
        z * chain_ladder(LATEST, share()) + (1 - z) * prior, abs=1e-12)


def test_cape_cod_matches_chainladder():
    # CapeCod().apriori_ (decay 1, trend 0): one expected ratio for all origins
    assert cape_cod_elr(LATEST, COST, share()) == pytest.approx([0.8960391322300924] * 5,
                                                                abs=1e-14)
    # CapeCod(decay=0.75).apriori_ and .ultimate_
    elr = cape_cod_elr(LATEST, COST, share(), decay=0.75)
    assert elr == pytest.approx([0.9323323208143905, 0.9177642335155852, 0.8901490620210263,
                                 0.8624871072951802, 0.8482735375102893], abs=1e-14)
    assert bornhuetter_ferguson(LATEST, share(), elr * COST) == pytest.approx(
        [100.0, 116.01317080218703, 77.80151058869245, 121.48649402057256, 87.90708618259904],
        abs=1e-12)
    # CapeCod().ultimate_ through the channel prior: one channel, no credibility to give
    prior = cape_cod_prior(LATEST, COST, share(), np.array(["all"] * 5))
    assert bornhuetter_ferguson(LATEST, share(), prior.elr * COST) == pytest.approx(
        [100.0, 115.75246958676112, 77.9523870025093, 124.46193183622907, 92.5755169456532],
        abs=1e-12)
    decayed = cape_cod_prior(LATEST, COST, share(), np.array(["all"] * 5), np.arange(5), 0.75)
    assert decayed.elr == pytest.approx(elr, abs=1e-14)


def test_channel_credibility_by_hand():
    # Buhlmann-Straub with weights w = E p (here p = 1, so w = cost):
    # channel a: X = 1, 3 (w 1, 1); channel b: X = 5, 7 (w 1, 1); c: X = 4 (w 2)
    latest = np.array([1., 3, 5, 7, 8])
    cost = np.array([1., 1, 1, 1, 2])
    group = np.array(["a", "a", "b", "b", "c"])
    prior = cape_cod_prior(latest, cost, np.ones(5), group)
    # portfolio: 24 / 6 = 4; channel means 2, 6, 4 (weights 2, 2, 2)
    assert prior.portfolio == pytest.approx(4.0)
    # within: [1 (1-2)^2 + 1 (3-2)^2 + 1 (5-6)^2 + 1 (7-6)^2] / (1 + 1 + 0) = 2
    assert prior.within == pytest.approx(2.0)
    # between: [2 (2-4)^2 + 2 (6-4)^2 + 0 - (3-1) x 2] / (6 - 12/6) = (16 - 4) / 4 = 3
    assert prior.between == pytest.approx(3.0)
    # Z = 2 / (2 + 2/3) = 0.75; a: 0.75 x 2 + 0.25 x 4 = 2.5; b: 5.5; c: 4
    assert prior.credibility == pytest.approx([0.75, 0.75, 0.75])
    assert prior.elr == pytest.approx([2.5, 2.5, 5.5, 5.5, 4.0])
    # without cohort 0: a = 3 (w 1), Z = 1 / (1 + 2/3) = 0.6; portfolio (24 - 1) / 5 = 4.6
    assert prior.elr_without[0] == pytest.approx(0.6 * 3 + 0.4 * 4.6)
    # channels that differ no more than chance: no credibility, the portfolio for all
    same = cape_cod_prior([1., 3, 3, 1], [1., 1, 1, 1], np.ones(4), np.array(list("aabb")))
    assert same.between == 0 and same.elr == pytest.approx([2.0] * 4)


def test_isotonic_fit_is_non_increasing():
    fitted = isotonic_decreasing(np.array([0.2, 0.3, 0.1, 0.15, 0.05]), np.ones(5))
    assert np.all(np.diff(fitted) <= 1e-12)
    assert fitted == pytest.approx([0.25, 0.25, 0.125, 0.125, 0.05])


def simulate(seed: int, n: int = 40, target: int = 12):
    """Campaigns launched monthly in 4 channels (expected ROI +100..+400%, a campaign effect
    of 30%); deals become known (valued at 30% of their amount while open), close months
    later and are won 30% of the time. The known and measured triangles as a cut at month n
    sees them, and the true return at the target of every campaign."""
    rng = np.random.default_rng(seed)
    ages = (n - 1) - np.arange(n)
    group = np.array(list("abcd"))[np.arange(n) % 4]
    cost = rng.uniform(20_000, 80_000, n)
    mean = cost * np.array([2.0, 3, 4, 5])[np.arange(n) % 4] * rng.lognormal(0, 0.3, n)
    K, M, C = (np.full((n, target + 1), nan) for _ in range(3))
    truth = np.zeros(n)
    month = np.arange(target + 1)[:, None]
    for i in range(n):  # the simulation itself goes cohort by cohort
        deals = rng.poisson(mean[i] / 0.3 / 10_000)
        value = rng.lognormal(np.log(10_000) - 0.245, 0.7, deals)
        won = rng.uniform(size=deals) < 0.3
        known = rng.geometric(0.4, deals) - 1
        close = known + 1 + np.floor(rng.lognormal(np.log(4), 0.5, deals)).astype(int)
        is_open = (known[None, :] <= month) & (month < close[None, :])
        closed_won = (close[None, :] <= month) & won[None, :]
        measured = (closed_won * value).sum(1)
        everything = (is_open * 0.3 * value).sum(1) + measured
        everything[target] = measured[target]
        truth[i] = measured[target]
        seen = np.arange(target + 1) <= ages[i]
        K[i, seen], M[i, seen] = everything[seen], measured[seen]
        C[i, seen] = np.where(np.arange(target + 1)[seen] >= 1, cost[i], 0.0)
    cut = np.where(np.isfinite(K), ages[:, None] - np.arange(target + 1)[None, :],
                   np.iinfo("int64").max)
    ages_at = ages[:, None] - np.arange(2 * target + 1)[None, :]
    age = np.minimum(ages, target)
    rows = np.arange(n)
    known = P.Known(M, K - M, C, M[rows, age], (K - M)[rows, age], C[rows, age], cut, ages_at)
    tri = P.Triangle(pd.Index([f"c{i}" for i in range(n)], name="campaign"), age, M, C)
    return known, tri, cost, group, truth, age


def simulated_coverage(sims: int, method: str = "auto", confidence: float = 0.8) -> float:
    hits = []
    for seed in range(sims):
        known, tri, cost, group, truth, age = simulate(seed)
        fitted = P.fit(known, tri, cost, group, method, np.full(len(cost), nan), 12,
                       np.arange(len(cost), dtype=float))
        _, low, high, _ = P.young(fitted, known.now_measured, known.now_pipeline, age, cost,
                                  method, confidence, 12)
        young = (age >= 1) & (age < 12)
        hits.append((truth[young] >= low[young]) & (truth[young] <= high[young]))
    return float(np.concatenate(hits).mean())


def test_interval_covers_the_truth_in_a_simulation():
    # measured: 83.7% of 4,400 young campaigns (400 simulations) for the nominal 80% with
    # auto, 84.5% with bf, 89.9% for a nominal 90%; here 100 simulations (1,100 campaigns)
    assert 0.70 <= simulated_coverage(100) <= 0.90
