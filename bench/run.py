"""Benchmark roiclock against the floor, a notebook baseline and DuckDB; writes RESULTS.md.

    pip install '.[bench]'               # (duckdb itself is a dependency of roiclock)
    python bench/run.py                  # 100k, 1M and 10M touches (generated if missing)
    python bench/run.py --sizes 100k,1m  # a quicker run

Each measurement runs in its own process; time is wall clock and memory the process's peak
RSS (from os.wait4). Per size, in one run: (a) the floor: pyarrow reads the three files and
nothing else; (b) the DuckDB peer: one DuckDB SQL query doing linear attribution and four
windows straight from the files (its ROI is checked against roiclock's); (c) every command
end to end (start-up, read, validate, compute, CSV written): `report` for each model,
`report`, `project` and `watch` on each engine (numpy, duckdb; Spark is measured by
tests/test_spark.py, not here), `lag` and `validate`; (d) up to 1M touches, a notebook-style
pandas baseline (groupby-apply per deal, then four windows). 100M touches are generated as
Parquet only and run `report --model linear` once per engine. Then start-up: `roiclock --help`
and `report` on the bundled sample.
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
SIZES = {"100k": 100_000, "1m": 1_000_000, "10m": 10_000_000, "100m": 100_000_000}
PARQUET_ONLY_FROM = 100_000_000  # the generator writes 100M as Parquet only (~1 GB)
from roiclock.engine import ENGINES as _ALL_ENGINES  # noqa: E402
from roiclock.models import MODELS  # noqa: E402 - every model of the registry

ENGINES = [e for e in _ALL_ENGINES if e != "spark"]  # Spark: see tests/test_spark.py

NOTEBOOK_LIMIT = 1_000_000

FLOOR = """
import sys, pyarrow.csv as c, pyarrow.parquet as pq
for name in ("spend", "deals", "touches"):
    path = f"{sys.argv[1]}/{name}{sys.argv[2]}"
    c.read_csv(path) if path.endswith(".csv") else pq.read_table(path)
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
folder, out, suffix = sys.argv[1], sys.argv[2], sys.argv[3]
scan = "read_csv_auto" if suffix == ".csv" else "read_parquet"
duckdb.sql(f'''
COPY (
WITH spend AS (SELECT * FROM {scan}('{folder}/spend{suffix}')),
deals AS (SELECT * FROM {scan}('{folder}/deals{suffix}') WHERE stage = 'won'),
touches AS (SELECT * FROM {scan}('{folder}/touches{suffix}')),
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


def measure(args: list[str], ok=(0,)) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in ok:
        raise SystemExit(f"failed: {' '.join(args)}")
    return seconds, usage.ru_maxrss / 1024


def best_of(args: list[str], repeat: int, ok=(0,)) -> tuple[float, float]:
    runs = [measure(args, ok) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def ensure_data(name: str, n: int) -> Path:
    """The generated inputs of one size (CSV and Parquet; Parquet only from 100M)."""
    folder = DATA / name
    parquet_only = n >= PARQUET_ONLY_FROM
    if not (folder / ("touches.parquet" if parquet_only else "touches.csv")).is_file():
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(n), str(folder)]
                       + (["parquet"] if parquet_only else []), check=True)
    return folder


def inputs(folder: Path, suffix: str) -> list[str]:
    return ["--spend", str(folder / f"spend{suffix}"), "--deals", str(folder / f"deals{suffix}"),
            "--touches", str(folder / f"touches{suffix}")]


def cases(folder: Path, scratch: Path, name: str, suffix: str, big: bool) -> list[dict]:
    """Every command (and model) x engine measured at one size: label, engine, argv, out."""
    run = [sys.executable, "-m", "roiclock"]
    found = []

    def case(command: str, engine: str, extra: list[str], label: str | None = None) -> None:
        label = label or command
        out = scratch / f"{name}-{label}-{engine}.csv"
        argv = run + [command, *inputs(folder, suffix), *extra]
        if command not in ("lag", "validate"):
            argv += ["--engine", engine]
        found.append({"label": label, "engine": engine, "out": out,
                      "argv": argv + ["--format", "csv", "--output", str(out), "--quiet"]})

    models = ["linear"] if big else list(MODELS)
    for model in models:
        case("report", "numpy", ["--model", model], f"report {model}")
    case("report", "duckdb", ["--model", "linear"], "report linear")
    if not big:
        for engine in ENGINES:
            case("project", engine, [])
            case("watch", engine, [])
        case("lag", "numpy", [])
        case("validate", "numpy", [])
    return found


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
    """One row per size x command x engine, with the floor and the DuckDB peer query of the
    same size in the same run."""
    rows = []
    scratch = Path(tempfile.mkdtemp())
    for name in sizes:
        n = SIZES[name]
        folder = ensure_data(name, n)
        big = n >= PARQUET_ONLY_FROM
        suffix = ".parquet" if big else ".csv"
        times = 1 if big else repeat
        floor_s, floor_mb = best_of([sys.executable, "-c", FLOOR, str(folder), suffix], times)
        base = {"size": name, "touches": n, "input": suffix[1:], "floor_s": floor_s,
                "floor_mb": floor_mb, "repeat": times}
        peer = scratch / f"{name}-duckdb.csv"
        peer_s, peer_mb = best_of([sys.executable, "-c", DUCKDB, str(folder), str(peer),
                                   suffix], times)
        base.update(peer_s=peer_s, peer_mb=peer_mb)
        for c in cases(folder, scratch, name, suffix, big):
            # exit 3: watch found a campaign behind, which is a result, not a failure
            seconds, mb = best_of(c["argv"], times, (0, 3) if c["label"] == "watch" else (0,))
            row = dict(base, label=c["label"], engine=c["engine"], s=seconds, mb=mb)
            if c["label"] == "report linear":
                row["roi_diff"] = agreement(c["out"], peer)
            rows.append(row)
            print(summary_line(row), flush=True)
        if n <= NOTEBOOK_LIMIT:
            nb_s, nb_mb = measure([sys.executable, "-c", NOTEBOOK, str(folder),
                                   str(scratch / "nb.csv")])
            rows.append(dict(base, label="notebook baseline", engine="pandas", s=nb_s,
                             mb=nb_mb))
            print(summary_line(rows[-1]), flush=True)
    return rows


def startup(repeat: int) -> dict:
    """Seconds of `roiclock --help` and of `report` on the bundled sample."""
    run = [sys.executable, "-m", "roiclock"]
    return {"help": best_of(run + ["--help"], repeat)[0],
            "sample": best_of(run + ["report", "--quiet", "--format", "csv", "--output",
                                     os.devnull], repeat)[0]}


def summary_line(row: dict) -> str:
    return (f"{row['size']} {row['label']} ({row['engine']}): {row['s']:.2f}s "
            f"({row['s'] / row['floor_s']:.1f}x floor, {row['s'] / row['peer_s']:.1f}x DuckDB "
            f"peer), {row['mb']:.0f} MB ({row['mb'] / row['floor_mb']:.2f}x floor)")


def markdown(rows: list[dict], repeat: int, start: dict | None) -> str:
    lines = ["# Benchmark results", "",
             f"Written by `python bench/run.py` on {time.strftime('%Y-%m-%d')}: "
             f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
             f"Python {platform.python_version()}, pandas {pd.__version__}. Best of "
             f"{repeat} runs (one run from 100M); memory is each process's peak RSS. Floor: "
             "pyarrow reads the three files and nothing else. DuckDB peer: one DuckDB query "
             "doing linear attribution and four windows straight from the files. Both are "
             "measured in the same run as the rows of their size.", "",
             "| size | input | command | engine | seconds | x floor | x DuckDB peer | MB | "
             "x floor MB | ROI max abs diff vs peer (6 significant digits exported) |",
             "|---" * 10 + "|"]
    for r in rows:
        diff = f"{r['roi_diff']:.1e}" if "roi_diff" in r else ""
        lines.append(f"| {r['size']} | {r['input']} | {r['label']} | {r['engine']} | "
                     f"{r['s']:.2f} | {r['s'] / r['floor_s']:.1f}x | "
                     f"{r['s'] / r['peer_s']:.2f}x | {r['mb']:.0f} | "
                     f"{r['mb'] / r['floor_mb']:.2f}x | {diff} |")
    sizes = dict.fromkeys(r["size"] for r in rows)
    lines += ["", "| size | floor s | floor MB | DuckDB peer s | DuckDB peer MB |",
              "|---|---|---|---|---|"]
    for size in sizes:
        r = next(r for r in rows if r["size"] == size)
        lines.append(f"| {size} | {r['floor_s']:.2f} | {r['floor_mb']:.0f} | "
                     f"{r['peer_s']:.2f} | {r['peer_mb']:.0f} |")
    if start:
        lines += ["", f"Start-up: `roiclock --help` {start['help']:.2f} s; `roiclock report` "
                  f"on the bundled sample {start['sample']:.2f} s (wall, best of {repeat})."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1m,10m",
                        help="comma-separated, of 100k, 1m, 10m, 100m (Parquet; ~1 GB)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args()
    rows = run(args.sizes.split(","), args.repeat)
    table = markdown(rows, args.repeat, startup(max(args.repeat, 3)))
    target = Path(args.output)
    notes = ""
    if target.is_file() and "<!-- notes -->" in target.read_text():
        notes = target.read_text().split("<!-- notes -->", 1)[1]
    target.write_text(table + "\n<!-- notes -->" + notes)
    print(table)


if __name__ == "__main__":
    main()
