"""Seeded large inputs for the benchmark: N touches, N/10 deals, thousands of campaigns.

    python bench/generate.py 1000000 bench/data/1m      # spend/deals/touches .csv and .parquet
    python bench/generate.py 100000000 bench/data/100m parquet   # Parquet only (~1 GB)

Campaigns: max(200, N / 5,000) over three years, each spending daily for 30-90 days (so
~60 spend rows a campaign). Deals: N / 10, each touched ~10 times by campaigns launched before
the touch; close = first touch + a log-normal delay (median ~7 months); 30% won, the rest lost,
open when the close falls after the data end.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

START = np.datetime64("2022-01-01", "D")
DAYS = 3 * 365
SEED = 7


def generate(n_touches: int, seed: int = SEED) -> dict[str, pa.Table]:
    rng = np.random.default_rng(seed)
    n_campaigns = max(200, n_touches // 5000)
    n_deals = n_touches // 10
    launch = np.sort(rng.integers(0, DAYS - 60, n_campaigns))
    length = rng.integers(30, 91, n_campaigns)
    names = np.array([f"C{i:05d}" for i in range(n_campaigns)])
    channels = np.array(["search", "social", "events", "webinars", "content", "partners"])
    channel = channels[rng.integers(0, len(channels), n_campaigns)]
    campaign_of_row = np.repeat(np.arange(n_campaigns), length)
    day = launch[campaign_of_row] + (np.arange(len(campaign_of_row))
                                     - np.repeat(np.cumsum(length) - length, length))
    keep = day < DAYS
    spend = pa.table({
        "campaign": names[campaign_of_row[keep]],
        "channel": channel[campaign_of_row[keep]],
        "date": (START + day[keep]).astype("datetime64[D]"),
        "amount": np.round(rng.uniform(50, 2000, keep.sum()), 2)})

    first = rng.integers(30, DAYS, n_deals)
    delay = np.exp(rng.normal(np.log(210), 0.5, n_deals)).astype(int)
    close = first + delay
    won = rng.uniform(size=n_deals) < 0.3
    stage = np.where(close >= DAYS, "open", np.where(won, "won", "lost"))
    deal_ids = np.array([f"D{i:08d}" for i in range(n_deals)])
    deals = pa.table({
        "deal_id": deal_ids, "stage": stage,
        "created_date": (START + first).astype("datetime64[D]"),
        "close_date": (START + close).astype("datetime64[D]"),
        "amount": np.round(np.exp(rng.normal(np.log(8000), 0.8, n_deals)), 2)})

    deal = rng.integers(0, n_deals, n_touches)
    deal[:n_deals] = np.arange(n_deals)  # every deal has a touch
    span = np.maximum(np.minimum(close[deal], DAYS - 1) - first[deal], 0)
    touch_day = first[deal] + (rng.uniform(size=n_touches) * (span + 1)).astype(int)
    touch_day = np.minimum(touch_day, DAYS - 1)
    live = np.searchsorted(launch, touch_day, side="right")
    campaign = (rng.uniform(size=n_touches) * np.maximum(live, 1)).astype(int)
    touches = pa.table({"deal_id": deal_ids[deal], "campaign": names[campaign],
                        "touch_date": (START + touch_day).astype("datetime64[D]")})
    return {"spend": spend, "deals": deals, "touches": touches}


def write(folder: Path, tables: dict[str, pa.Table], formats=("csv", "parquet")) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        if "csv" in formats:
            pacsv.write_csv(table, folder / f"{name}.csv",
                            write_options=pacsv.WriteOptions(quoting_style="none"))
        if "parquet" in formats:
            pq.write_table(table, folder / f"{name}.parquet")


if __name__ == "__main__":
    n = int(sys.argv[1])
    write(Path(sys.argv[2]), generate(n), tuple(sys.argv[3].split(",")) if len(sys.argv) > 3
          else ("csv", "parquet"))
