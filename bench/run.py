"""Benchmark roiclock against the floor, a notebook baseline and DuckDB; writes RESULTS.md.

    pip install '.[bench]'               # (duckdb itself is a dependency of roiclock)
    python bench/run.py                  # 100k, 1M and 10M touches (generated if missing)
    python bench/run.py --sizes 100k,1m  # a quicker run

Each measurement runs in its own process; time is wall clock and memory the process's peak
RSS (from os.wait4). (a) floor: pyarrow reads the three CSVs and nothing else. (b) `roiclock
report` end to end (start-up, read, validate, attribute, windows, projection, CSV written)
for each model, and for linear with ``--engine duckdb`` too. (c) a notebook-style pandas
baseline: groupby-apply per deal for linear attribution, then the four windows (run up to 1M
touches; 10M is extrapolated linearly from 1M and marked so). (d) one DuckDB SQL query doing
linear attribution and four windows straight from the CSVs. The run also checks that DuckDB's
ROI equals roiclock's, and the DuckDB engine's the numpy one's.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SIZES = {"100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
from roiclock.models import MODELS  # noqa: E402 - every model of the registry

NOTEBOOK_LIMIT = 1_000_000

FLOOR = """
import sys, pyarrow.csv as c
for name in ("spend", "deals", "touches"):
    c.read_csv(f"{sys.argv[1]}/{name}.csv")
"""

NOTEBOOK = """
import sys, pandas as pd
folder, out = sys.argv[1], sys.argv[2]
spend = pd.read_csv(f"{folder}/spend.csv", parse_dates=["date"])
deals = pd.read_csv(f"{folder}/deals.csv", parse_dates=["close_date", "created_date"])
touches = pd.read_csv(f"{folder}/touches.csv", parse_dates=["touch_date"])
won = deals[deals["stage"] == "won"]
merged = touches.merge(won[["deal_id", "close_date", "amount"]], on="deal_id")

def credit(group):
    age = (group["close_date"] - group["touch_date"]).dt.days
    eligible = group[(age >= 0) & (age < 730)]
    return pd.DataFrame({"campaign": eligible["campaign"],
                         "close_date": eligible["close_date"],
                         "ret": eligible["amount"] / len(eligible)})

credits = merged.groupby("deal_id").apply(credit).reset_index(drop=True)
launch = spend.groupby("campaign")["date"].min()
rows = []
for months in (3, 6, 9, 12):
    for campaign, start in launch.items():
        end = start + pd.DateOffset(months=months)
        cost = spend[(spend["campaign"] == campaign) & (spend["date"] < end)]["amount"].sum()
        mine = credits[credits["campaign"] == campaign]
        ret = mine[mine["close_date"] < end]["ret"].sum()
        rows.append((campaign, months, end, cost, ret, (ret - cost) / cost))
pd.DataFrame(rows, columns=["campaign", "window_months", "window_end", "cost", "return",
                            "roi"]).to_csv(out, index=False)
"""

DUCKDB = """
import sys, duckdb
folder, out = sys.argv[1], sys.argv[2]
duckdb.sql(f'''
COPY (
WITH spend AS (SELECT * FROM read_csv_auto('{folder}/spend.csv')),
deals AS (SELECT * FROM read_csv_auto('{folder}/deals.csv') WHERE stage = 'won'),
touches AS (SELECT * FROM read_csv_auto('{folder}/touches.csv')),
launch AS (SELECT campaign, min(date) AS launch FROM spend GROUP BY campaign),
eligible AS (
  SELECT t.deal_id, t.campaign, d.close_date, d.amount FROM touches t JOIN deals d USING (deal_id)
  WHERE t.touch_date <= d.close_date AND d.close_date - t.touch_date < 730),
credits AS (
  SELECT campaign, close_date, amount / count(*) OVER (PARTITION BY deal_id) AS ret
  FROM eligible),
ends AS (
  SELECT l.campaign, w.months, CAST(l.launch + to_months(w.months) AS DATE) AS window_end
  FROM launch l, (SELECT unnest([3, 6, 9, 12]) AS months) w),
cost AS (
  SELECT e.campaign, e.months, sum(s.amount) AS cost FROM ends e
  JOIN spend s ON s.campaign = e.campaign AND s.date < e.window_end GROUP BY ALL),
ret AS (
  SELECT e.campaign, e.months, sum(c.ret) AS ret FROM ends e
  JOIN credits c ON c.campaign = e.campaign AND c.close_date < e.window_end GROUP BY ALL)
SELECT e.campaign, e.months AS window_months, e.window_end, cost.cost,
       coalesce(ret.ret, 0) AS return, (coalesce(ret.ret, 0) - cost.cost) / cost.cost AS roi
FROM ends e LEFT JOIN cost USING (campaign, months) LEFT JOIN ret USING (campaign, months)
ORDER BY ALL) TO '{out}' (HEADER)''')
"""


def measure(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(args)}")
    return seconds, usage.ru_maxrss / 1024


def best_of(args: list[str], repeat: int) -> tuple[float, float]:
    runs = [measure(args) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def ensure_data(name: str, n: int) -> Path:
    folder = DATA / name
    if not (folder / "touches.csv").is_file():
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(n), str(folder)],
                       check=True)
    return folder


def roiclock_args(folder: Path, model: str, out: Path, engine: str = "numpy") -> list[str]:
    return [sys.executable, "-m", "roiclock", "report", "--spend", str(folder / "spend.csv"),
            "--deals", str(folder / "deals.csv"), "--touches", str(folder / "touches.csv"),
            "--model", model, "--format", "csv", "--output", str(out), "--quiet",
            "--engine", engine]


def agreement(roiclock_csv: Path, duckdb_csv: Path) -> float:
    """Largest ROI difference between roiclock (linear) and DuckDB on mature windows."""
    ours = pd.read_csv(roiclock_csv)
    ours = ours[ours["mature"].astype(str).str.lower() == "true"]
    theirs = pd.read_csv(duckdb_csv)[["campaign", "window_months", "roi"]]
    both = ours.merge(theirs, on=["campaign", "window_months"], suffixes=("", "_duckdb"))
    if both.empty:
        return float("nan")
    return float(np.nanmax(np.abs(both["roi"] - both["roi_duckdb"])))


def run(sizes: list[str], repeat: int) -> list[dict]:
    rows = []
    scratch = Path(tempfile.mkdtemp())
    for name in sizes:
        n = SIZES[name]
        folder = ensure_data(name, n)
        floor_s, floor_mb = best_of([sys.executable, "-c", FLOOR, str(folder)], repeat)
        row = {"size": name, "touches": n, "floor_s": floor_s, "floor_mb": floor_mb}
        for model in MODELS:
            out = scratch / f"{name}-{model}.csv"
            row[f"{model}_s"], row[f"{model}_mb"] = best_of(roiclock_args(folder, model, out),
                                                            repeat)
        engine_out = scratch / f"{name}-linear-duckdb-engine.csv"
        row["engine_s"], row["engine_mb"] = best_of(
            roiclock_args(folder, "linear", engine_out, "duckdb"), repeat)
        row["engine_roi_diff"] = agreement(scratch / f"{name}-linear.csv", engine_out)
        duck_out = scratch / f"{name}-duckdb.csv"
        row["duckdb_s"], row["duckdb_mb"] = best_of(
            [sys.executable, "-c", DUCKDB, str(folder), str(duck_out)], repeat)
        row["roi_diff"] = agreement(scratch / f"{name}-linear.csv", duck_out)
        if n <= NOTEBOOK_LIMIT:
            row["notebook_s"], row["notebook_mb"] = measure(
                [sys.executable, "-c", NOTEBOOK, str(folder), str(scratch / "nb.csv")])
            row["notebook_note"] = "measured"
        else:
            per_touch = next((r["notebook_s"] / r["touches"] for r in reversed(rows)
                              if r.get("notebook_note") == "measured"), float("nan"))
            row["notebook_s"], row["notebook_mb"] = per_touch * n, float("nan")
            row["notebook_note"] = "extrapolated"
        rows.append(row)
        print(summary_line(row), flush=True)
    return rows


def summary_line(row: dict) -> str:
    return (f"{row['size']}: floor {row['floor_s']:.2f}s; linear {row['linear_s']:.2f}s "
            f"({row['linear_s'] / row['floor_s']:.1f}x floor, {row['linear_mb']:.0f} MB); "
            f"duckdb {row['duckdb_s']:.2f}s; notebook {row['notebook_s']:.1f}s "
            f"({row['notebook_note']})")


def markdown(rows: list[dict], repeat: int) -> str:
    lines = ["# Benchmark results", "",
             f"Written by `python bench/run.py` on {time.strftime('%Y-%m-%d')}: "
             f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
             f"Python {platform.python_version()}, pandas {pd.__version__}. Best of "
             f"{repeat} runs; memory is each process's peak RSS.", "",
             "## Seconds (and ratio to the floor)", "",
             "| size | floor | " + " | ".join(MODELS) + " | linear, --engine duckdb | "
             "DuckDB | notebook |",
             "|---" * (len(MODELS) + 5) + "|"]
    for r in rows:
        cells = [f"{r[f'{m}_s']:.2f} ({r[f'{m}_s'] / r['floor_s']:.1f}x)" for m in MODELS]
        note = "" if r["notebook_note"] == "measured" else " (extrapolated)"
        lines.append(f"| {r['size']} | {r['floor_s']:.2f} | " + " | ".join(cells)
                     + f" | {r['engine_s']:.2f} ({r['engine_s'] / r['floor_s']:.1f}x) | "
                     f"{r['duckdb_s']:.2f} | {r['notebook_s']:.1f}{note} |")
    lines += ["", "## Peak memory, MB (and ratio to the floor)", "",
              "| size | floor | " + " | ".join(MODELS) + " | linear, --engine duckdb | DuckDB |",
              "|---" * (len(MODELS) + 4) + "|"]
    for r in rows:
        cells = [f"{r[f'{m}_mb']:.0f} ({r[f'{m}_mb'] / r['floor_mb']:.1f}x)" for m in MODELS]
        lines.append(f"| {r['size']} | {r['floor_mb']:.0f} | " + " | ".join(cells)
                     + f" | {r['engine_mb']:.0f} ({r['engine_mb'] / r['floor_mb']:.1f}x) | "
                     f"{r['duckdb_mb']:.0f} |")
    lines += ["", "## Against the targets (linear model)", "",
              "| size | report / floor time | report / floor RSS | notebook / report | "
              "report / DuckDB | ROI max difference vs DuckDB | ROI max difference, "
              "--engine duckdb vs numpy |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['size']} | {r['linear_s'] / r['floor_s']:.1f}x | "
                     f"{r['linear_mb'] / r['floor_mb']:.2f}x | "
                     f"{r['notebook_s'] / r['linear_s']:.0f}x | "
                     f"{r['linear_s'] / r['duckdb_s']:.2f}x | {r['roi_diff']:.1e} | "
                     f"{r['engine_roi_diff']:.1e} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1m,10m")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args()
    rows = run(args.sizes.split(","), args.repeat)
    table = markdown(rows, args.repeat)
    target = Path(args.output)
    notes = ""
    if target.is_file() and "<!-- notes -->" in target.read_text():
        notes = target.read_text().split("<!-- notes -->", 1)[1]
    target.write_text(table + "\n<!-- notes -->" + notes)
    print(table)


if __name__ == "__main__":
    main()
