"""Generate the bundled sample data (fixed seed: the same files every time).

    python -m roiclock.sample.generate sample_data src/roiclock/sample/data

About 24 months (2023-2024), 30 paid campaigns in 5 channels plus one unpaid partner webinar,
about 3,000 deals (won, lost and open) and their touches. The delay from a campaign's launch to
a deal's close is log-normal in months (median ~8 months) chosen to match the published survey
shape: P(> 6 months) ~ 0.75, P(> 9 months) ~ 0.40, P(> 12 months) ~ 0.18. Deals whose close
falls after the data end are open (their close date is the expected one).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240101
START, END = pd.Timestamp("2023-01-01"), pd.Timestamp("2025-01-01")  # data for [START, END)
CHANNELS = ["paid_search", "linkedin_ads", "events", "webinars", "content"]
THEMES = ["ABM", "Retargeting", "Launch", "Summit", "Ebook", "Demo days", "Nurture",
          "Case studies", "Analyst report", "Roadshow"]
DELAY_MU, DELAY_SIGMA = np.log(9.0) - 0.2533 * 0.4346, 0.4346  # months, log-normal
DAYS_PER_MONTH = 30.4375
UNPAID = "Partner webinar (unpaid)"


def _campaigns(rng: np.random.Generator) -> pd.DataFrame:
    n = 30
    launch_days = np.sort(rng.integers(0, (pd.Timestamp("2024-11-15") - START).days, n))
    channel = np.array(CHANNELS)[np.arange(n) % len(CHANNELS)]
    launch = START + pd.to_timedelta(launch_days, unit="D")
    names = [f"{d:%Y-%m} {c.replace('_', ' ').title()} {THEMES[i % len(THEMES)]}"
             for i, (d, c) in enumerate(zip(launch, channel, strict=False))]
    paid = pd.DataFrame({"campaign": names, "channel": channel, "launch": launch,
                         "days": rng.integers(30, 91, n),
                         "budget": rng.uniform(20_000, 80_000, n).round(-2)})
    unpaid = pd.DataFrame({"campaign": [UNPAID], "channel": [""],
                           "launch": [pd.Timestamp("2023-06-14")], "days": [1], "budget": [0.0]})
    return pd.concat([paid, unpaid], ignore_index=True)


def _spend(campaigns: pd.DataFrame) -> pd.DataFrame:
    paid = campaigns[campaigns["budget"] > 0]
    rows = paid.loc[paid.index.repeat(paid["days"])]
    day = rows.groupby(level=0).cumcount().to_numpy()
    date = rows["launch"].to_numpy() + day.astype("timedelta64[D]")
    spend = pd.DataFrame({"campaign": rows["campaign"].to_numpy(),
                          "channel": rows["channel"].to_numpy(), "date": date,
                          "amount": (rows["budget"] / rows["days"]).round(2).to_numpy()})
    return spend[spend["date"] < END].reset_index(drop=True)


def _deals(rng: np.random.Generator, campaigns: pd.DataFrame) -> pd.DataFrame:
    per = rng.poisson(np.where(campaigns["budget"] > 0, 95, 60))
    origin = np.repeat(np.arange(len(campaigns)), per)
    n = len(origin)
    launch = campaigns["launch"].to_numpy()[origin]
    first_touch = launch + (rng.uniform(0, 1, n) * campaigns["days"].to_numpy()[origin]
                            ).astype("timedelta64[D]")
    delay_days = np.exp(rng.normal(DELAY_MU, DELAY_SIGMA, n)) * DAYS_PER_MONTH
    close = launch + delay_days.astype("timedelta64[D]")
    close = np.maximum(close, first_touch + np.timedelta64(7, "D"))
    created = first_touch + (rng.uniform(0, 1, n) * 30).astype("timedelta64[D]")
    created = np.minimum(created, close)
    created = np.where(created >= np.datetime64(END), first_touch, created)
    exists = first_touch < np.datetime64(END)  # no deal before its first touch
    won = rng.uniform(0, 1, n) < 0.27
    stage = np.where(close >= np.datetime64(END), "open", np.where(won, "won", "lost"))
    amount = np.exp(rng.normal(np.log(6_000), 0.8, n)).round(2)
    amount = np.where((stage == "lost") & (rng.uniform(0, 1, n) < 0.5), np.nan, amount)
    deals = pd.DataFrame({
        "deal_id": [f"D{i:05d}" for i in range(1, n + 1)],
        "campaign": campaigns["campaign"].to_numpy()[origin],
        "stage": stage, "created_date": created, "close_date": close, "amount": amount,
        "margin": rng.uniform(0.5, 0.8, n).round(2), "first_touch": first_touch})
    deals = deals[exists].reset_index(drop=True)
    deals["deal_id"] = [f"D{i:05d}" for i in range(1, len(deals) + 1)]
    return deals


def _touches(rng: np.random.Generator, campaigns: pd.DataFrame, deals: pd.DataFrame
             ) -> pd.DataFrame:
    n = len(deals)
    first = pd.DataFrame({"deal_id": deals["deal_id"], "campaign": deals["campaign"],
                          "touch_date": deals["first_touch"]})
    extra = rng.poisson(2.0, n)
    row = np.repeat(np.arange(n), extra)
    start = deals["first_touch"].to_numpy()[row]
    span = (deals["close_date"].to_numpy()[row] - start).astype("timedelta64[D]").astype(int)
    date = start + (rng.uniform(0, 1, len(row)) * (span + 1)).astype("timedelta64[D]")
    launches = campaigns["launch"].to_numpy()
    order = np.argsort(launches, kind="stable")
    live = np.searchsorted(launches[order], date, side="right")
    pick = order[(rng.uniform(0, 1, len(row)) * live).astype(int)]
    more = pd.DataFrame({"deal_id": deals["deal_id"].to_numpy()[row],
                         "campaign": campaigns["campaign"].to_numpy()[pick],
                         "touch_date": date})
    touches = pd.concat([first, more], ignore_index=True)
    touches = touches[touches["touch_date"] < END]
    return touches.sort_values(["touch_date", "deal_id", "campaign"], kind="stable")


def generate(seed: int = SEED) -> dict[str, pd.DataFrame]:
    """The three sample tables: spend, deals, touches."""
    rng = np.random.default_rng(seed)
    campaigns = _campaigns(rng)
    deals = _deals(rng, campaigns)
    touches = _touches(rng, campaigns, deals)
    return {"spend": _spend(campaigns),
            "deals": deals.drop(columns="first_touch"),
            "touches": touches.reset_index(drop=True)}


def write(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        table.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d",
                     float_format="%.2f", lineterminator="\n")


if __name__ == "__main__":
    tables = generate()
    for target in sys.argv[1:] or ["sample_data"]:
        write(Path(target), tables)
