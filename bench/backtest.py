"""Backtests of the projection methods on generated data (the README's table).

    python bench/backtest.py                 # 6 seeds of each data set, a few minutes
    python bench/backtest.py --seeds 2 --data hetero

Each data set is generated (seeded) into a temporary folder, read like any export, cut at
6, 9, 12 (and 15) months before its as-of (the data as it stood then; as with project
--backtest, only dates leaving 12 months of history), projected to 12 months by every method,
and compared with the return at 12 months the full data shows. Printed: per
data set, method and age band, the mean absolute error of the projected return, the bias
(sum projected / sum actual - 1) and the coverage of the 80% interval.

Data sets: the sample generator (roiclock.sample.generate) over its 24 months and stretched to
36 months with 45 campaigns; a generator where channels differ, the return per cost drifts
(-15% a year, or not), deals are created over the months after a touch (nurture) and other
live campaigns touch them; bench/generate.py at 100k touches.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

import roiclock
import roiclock.sample.generate as sample_generator
from roiclock.projection import backtest_pairs

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import generate as bench_generator  # noqa: E402 - bench/generate.py

METHODS = ("measured", "chain_ladder", "bf", "auto")
CHANNELS = {"search": (1.2, 7.0), "social": (2.0, 8.0), "events": (3.0, 10.0),
            "webinars": (2.5, 9.0), "content": (1.0, 6.0)}  # expected ROI, median delay (mo)


@contextmanager
def sample_span(start: str, end: str, n: int):
    """The sample generator over another span, with n campaigns (its module constants)."""
    saved = (sample_generator.START, sample_generator.END, sample_generator._campaigns)
    first = sample_generator._campaigns

    def campaigns(rng: np.random.Generator) -> pd.DataFrame:
        unpaid = first(rng).iloc[-1:]
        days = (pd.Timestamp(end) - pd.Timedelta(days=45) - pd.Timestamp(start)).days
        launch = pd.Timestamp(start) + pd.to_timedelta(np.sort(rng.integers(0, days, n)),
                                                        unit="D")
        channel = np.array(sample_generator.CHANNELS)[np.arange(n) % 5]
        paid = pd.DataFrame({
            "campaign": [f"{d:%Y-%m} {c} {i}" for i, (d, c) in
                         enumerate(zip(launch, channel, strict=True))],
            "channel": channel, "launch": launch, "days": rng.integers(30, 91, n),
            "budget": rng.uniform(20_000, 80_000, n).round(-2)})
        return pd.concat([paid, unpaid], ignore_index=True)

    sample_generator.START, sample_generator.END = pd.Timestamp(start), pd.Timestamp(end)
    sample_generator._campaigns = campaigns
    try:
        yield
    finally:
        sample_generator.START, sample_generator.END, sample_generator._campaigns = saved


def channels(seed: int, trend: float, start: str = "2022-01-01", end: str = "2025-01-01",
             n: int = 80) -> dict[str, pd.DataFrame]:
    """Return ~ budget x channel ROI x a campaign effect x exp(trend x years); deals created
    over the weeks after a campaign's touch; delays by channel; other live campaigns touch
    the deals; 30% of the lost and open deals have no amount."""
    rng = np.random.default_rng(seed)
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    names_channel = np.array(list(CHANNELS))
    channel = names_channel[rng.integers(0, len(names_channel), n)]
    launch = first + pd.to_timedelta(np.sort(rng.integers(0, (last - first).days - 40, n)),
                                     unit="D")
    days = rng.integers(20, 120, n)
    budget = rng.uniform(10_000, 120_000, n).round(-2)
    years = (launch - first).days.to_numpy() / 365.25
    roi = (np.array([CHANNELS[c][0] for c in channel]) * np.exp(rng.normal(0, 0.35, n))
           * np.exp(trend * years))
    delay = np.array([CHANNELS[c][1] for c in channel])
    per_deal, win_rate = 15_000, 0.25
    count = rng.poisson(budget * (1 + roi) / per_deal / win_rate)
    names = np.array([f"{d:%Y-%m} {c} {i}" for i, (d, c) in
                      enumerate(zip(launch, channel, strict=True))])
    origin = np.repeat(np.arange(n), count)
    m = len(origin)
    start_day = launch.to_numpy()[origin]
    touch = start_day + (rng.uniform(0, 1, m) * days[origin]).astype("timedelta64[D]")
    created = touch + rng.exponential(45, m).astype("timedelta64[D]")
    close = start_day + (np.exp(rng.normal(np.log(delay[origin]), 0.5, m)) * 30.44
                         ).astype("timedelta64[D]")
    close = np.maximum(close, created + np.timedelta64(10, "D"))
    stop = np.datetime64(last)
    stage = np.where(close >= stop, "open",
                     np.where(rng.uniform(size=m) < win_rate, "won", "lost"))
    amount = np.exp(rng.normal(np.log(per_deal) - 0.245, 0.7, m)).round(2)
    amount = np.where((stage != "won") & (rng.uniform(size=m) < 0.3), np.nan, amount)
    deals = pd.DataFrame({"deal_id": [f"D{i:06d}" for i in range(m)],
                          "campaign": names[origin], "stage": stage, "created_date": created,
                          "close_date": close, "amount": amount, "touch": touch})
    deals = deals[deals["created_date"] < last].reset_index(drop=True)
    k = len(deals)
    extra = rng.poisson(1.5, k)
    row = np.repeat(np.arange(k), extra)
    begin = deals["touch"].to_numpy()[row]
    span = np.maximum((np.minimum(deals["close_date"].to_numpy()[row], stop) - begin)
                      .astype("timedelta64[D]").astype(int), 0)
    date = begin + (rng.uniform(size=len(row)) * (span + 1)).astype("timedelta64[D]")
    launches = launch.to_numpy()
    newest = np.searchsorted(launches, date, side="right")          # launched by then
    oldest = np.searchsorted(launches, date - np.timedelta64(150, "D"))  # and recently
    pick = np.minimum(oldest + (rng.uniform(size=len(row)) * np.maximum(newest - oldest, 1))
                      .astype(int), n - 1)
    touches = pd.concat([
        pd.DataFrame({"deal_id": deals["deal_id"], "campaign": deals["campaign"],
                      "touch_date": deals["touch"]}),
        pd.DataFrame({"deal_id": deals["deal_id"].to_numpy()[row], "campaign": names[pick],
                      "touch_date": date})], ignore_index=True)
    touches = touches[touches["touch_date"] < last]
    rows = np.repeat(np.arange(n), days)
    offset = np.arange(len(rows)) - np.repeat(np.cumsum(days) - days, days)
    spend = pd.DataFrame({"campaign": names[rows], "channel": channel[rows],
                          "date": launches[rows] + offset.astype("timedelta64[D]"),
                          "amount": (budget[rows] / days[rows]).round(2)})
    return {"spend": spend[spend["date"] < last],
            "deals": deals.drop(columns="touch"), "touches": touches}


def data_sets() -> dict[str, tuple]:
    """name -> (generator of seed, months back to cut at)."""
    def sample(seed: int, start: str | None = None, n: int = 30):
        if start is None:  # the generator as it ships, another seed
            return sample_generator.generate(seed)
        with sample_span(start, "2025-01-01", n):
            return sample_generator.generate(seed)

    def bench(seed: int):
        return {k: v.to_pandas() for k, v in bench_generator.generate(100_000, seed).items()}

    return {
        "sample generator, 24 months": (sample, (6, 9)),
        "sample generator, 36 months, 45 campaigns":
            (lambda seed: sample(seed, "2022-01-01", 45), (6, 9, 12, 15)),
        "channels differ, ROI -15%/year": (lambda seed: channels(seed, -0.15), (6, 9, 12, 15)),
        "the same, no trend": (lambda seed: channels(seed, 0.0), (6, 9, 12, 15)),
        "bench/generate.py, 100k touches": (bench, (6, 9, 12, 15)),
    }


def pairs_of(tables: dict[str, pd.DataFrame], months_back, folder: Path) -> pd.DataFrame:
    for name, table in tables.items():
        table.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d",
                     float_format="%.2f")
    settings = roiclock.load_settings()
    inputs = roiclock.load(folder / "spend.csv", folder / "deals.csv", folder / "touches.csv",
                           settings=settings)
    # as project --backtest: only dates that leave at least 12 months of history
    first = inputs.spend["date"].min()
    cuts = [cut for cut in ((inputs.as_of - pd.DateOffset(months=m)).normalize()
                            for m in months_back) if cut >= first + pd.DateOffset(months=12)]
    return backtest_pairs(inputs, roiclock.attribute(inputs, settings), settings, cuts, 12,
                          methods=METHODS)


def summary(pairs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    pairs = pairs.assign(ages=np.where(pairs["age"] <= 5, "1-5", "6-11"))
    for (method, ages), group in pairs.groupby(["method", "ages"], sort=False):
        projected, actual = group["projected"].fillna(0.0), group["actual"]
        ratio = (projected / actual - 1)[actual > 0]
        inside = (actual >= group["low"] - 1e-9) & (actual <= group["high"] + 1e-9)
        known = group["low"].notna()
        rows.append({"method": method, "ages": ages, "cohorts": len(group),
                     "mean_abs_error": ratio.abs().mean(),
                     "bias": projected.sum() / actual.sum() - 1,
                     "coverage": inside[known].mean() if known.any() else np.nan})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--data", default="", help="only the data sets whose name has this")
    args = parser.parse_args()
    for name, (make, months_back) in data_sets().items():
        if args.data not in name:
            continue
        parts = []
        for seed in range(100, 100 + args.seeds):  # a few data sets
            with tempfile.TemporaryDirectory() as folder:
                parts.append(pairs_of(make(seed), months_back, Path(folder)))
        table = summary(pd.concat(parts, ignore_index=True))
        print(f"\n{name} ({args.seeds} seeds, cut {', '.join(map(str, months_back))} months "
              "back)")
        print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))


if __name__ == "__main__":
    main()
