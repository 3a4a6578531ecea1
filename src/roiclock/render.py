"""Terminal output with rich: the headline, the ROI table and the portfolio curve.

The only module that prints. Immature cells show 'immature' (dim), never a number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .api import Report
from .schema import UNATTRIBUTED

IMMATURE = "…"
LEGEND = ("… immature: the window has not ended by the as-of date (unknown, not zero); "
          "n/a: no cost, so no ROI; return: at the last mature window.")
BAR_WIDTH = 40


def _pct(x) -> str:
    return f"{x:+.0%}" if x is not None and np.isfinite(x) else "-"


def money(x) -> str:
    return f"{x:,.0f}" if x is not None and np.isfinite(x) else "-"


def _roi_cell(row) -> Text:
    if row["mature"] is pd.NA or pd.isna(row["mature"]):
        return Text("-", style="dim")
    if not row["mature"]:
        return Text(IMMATURE, style="yellow")
    roi = row["roi"]
    if not np.isfinite(roi):
        return Text("n/a", style="dim")
    return Text(_pct(roi), style="green" if roi >= 0 else "red")


def roi_table(report: Report) -> Table:
    """Groups as rows, windows as columns of ROI, then the return at the last mature window
    (the full numbers, cost included, are in the csv/json exports)."""
    by = report.by
    table = Table(title=f"ROI by {by} at months after launch ({report.settings.model} "
                        f"attribution, {report.settings.basis} basis)", title_justify="left",
                  box=box.SIMPLE_HEAD,
                  padding=(0, 1), pad_edge=False, show_edge=False, collapse_padding=True)
    table.add_column(by, no_wrap=True, overflow="ellipsis", max_width=28)
    if by == "campaign":
        table.add_column("launch", no_wrap=True, min_width=10)
    else:
        table.add_column("campaigns", justify="right")
    for w in report.settings.windows:
        table.add_column(f"{w} mo", justify="right", no_wrap=True, min_width=5)
    table.add_column("return", justify="right", no_wrap=True, min_width=9)
    for name, rows in report.table.groupby(by, sort=False):
        first = rows.iloc[0]
        cells = [str(name)]
        if by == "campaign":
            launch = first["launch"]
            cells.append(f"{launch:%Y-%m-%d}" if not pd.isna(launch) else "")
        else:
            cells.append(str(int(first["campaigns"])) if name != UNATTRIBUTED else "")
        roi_cells = [_roi_cell(row) for _, row in rows.iterrows()]
        measured = rows[rows["return"].notna()]
        last = measured.iloc[-1] if len(measured) else None
        table.add_row(*cells, *roi_cells, money(last["return"]) if last is not None else "-")
    return table


def curve(portfolio: pd.DataFrame, width: int = BAR_WIDTH) -> Text:
    """The portfolio ROI curve as horizontal bars around a break-even axis."""
    if not portfolio["mature"].any():
        return Text(f"Portfolio curve: no campaign is mature at "
                    f"{int(portfolio['window_months'].max())} months yet, so there is no "
                    f"curve to draw.\n", style="yellow")
    roi = portfolio["roi"].to_numpy(dtype="float64")
    finite = roi[np.isfinite(roi)]
    low, high = min(0.0, finite.min(initial=0.0)), max(0.0, finite.max(initial=0.0))
    span = (high - low) or 1.0
    zero = int(round(-low / span * width))
    text = Text(f"Portfolio ROI curve ({int(portfolio['campaigns'].iloc[-1])} campaigns "
                "mature at every window; | is break-even)\n", style="bold")
    for months, value in zip(portfolio["window_months"], roi):
        text.append(f"{int(months):>3} mo ")
        if not np.isfinite(value):
            text.append(" " * zero + "|" + " no cost\n")
            continue
        pos = int(round((value - low) / span * width))
        if value < 0:
            bar = " " * pos + "█" * (zero - pos)
            text.append(bar[:pos])
            text.append(bar[pos:], style="red")
            text.append("|")
            text.append(" " * (width - zero))
        else:
            text.append(" " * zero + "|")
            text.append("█" * (pos - zero), style="green")
            text.append(" " * (width - pos))
        text.append(f" {_pct(value)}\n")
    return text


def accounting_line(report: Report) -> str:
    parts = []
    for row in report.inputs.accounting.itertuples():
        part = f"{row.kind} {row.used:,} of {row.read:,} rows used"
        extra = []
        if row.rejected:
            extra.append(f"{row.rejected:,} rejected")
        if row.after_as_of:
            extra.append(f"{row.after_as_of:,} on or after as-of")
        parts.append(part + (f" ({', '.join(extra)})" if extra else ""))
    return "Data: " + "; ".join(parts) + f". As of {report.as_of:%Y-%m-%d}."


def print_report(report: Report, console: Console) -> None:
    if report.sample:
        console.print("Using the sample data shipped with roiclock "
                      "(give --spend and --deals to use your own).", style="dim")
    console.print(Text(report.headline, style="bold"))
    console.print(accounting_line(report), style="dim")
    console.print(roi_table(report))
    console.print(LEGEND, style="dim")
    console.print(curve(report.portfolio))


def print_error(console: Console, message: str) -> None:
    console.print(f"Error: {message}", markup=False, highlight=False, soft_wrap=True)
