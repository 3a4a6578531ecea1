"""Terminal output with rich: headlines, tables and curves. The only module that prints.

Immature cells show '…', never a number.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.status import Status
from rich.table import Table
from rich.text import Text

from .api import Explanation, LagReport, ProjectReport, Report, Validation, WatchReport
from .frames import cents
from .projection import roi_now
from .schema import UNATTRIBUTED
from .words import (
    as_of_text,
    finite,
    groups,
    label,
    method_name,
    money,
    money_short,
    percent,
    projection_sentence,
    to_date_line,
    watch_sentence,
)

IMMATURE = "…"
LEGEND = ("… immature: the window has not ended by the as-of date (unknown, not zero); "
          "n/a: no cost, so no ROI; return: at the last mature window (paid campaigns; "
          "unpaid: the return of campaigns without cost, never in a ROI).")
BAR_WIDTH = 40
SPARKS = "▁▂▃▄▅▆▇█"
PAYBACK_SHORT = {"not yet measured": "-", "no cost": "no cost"}


class _Whole(Table):
    """A table that never cuts a number or a name further than its rows did: on a narrow
    console (cron mail: 80 columns) rich would squeeze the columns ('+1090…' for +10907%
    reads as another number; '2023-01 L… 202…' loses the spend period that tells cohorts
    apart). Every column keeps the width of its widest cell (names are cut by
    :func:`roiclock.words.label` where the rows are made); a table wider than the console is
    printed wider (``crop=False``) and the terminal wraps its lines."""

    def __rich_console__(self, console, options):
        need = 2 * (len(self.columns) - 1)  # per column but the last: padding and divider
        for i, column in enumerate(self.columns):
            cells = [Text(c) if isinstance(c, str) else c for c in column.cells]  # no markup
            header = column.header if isinstance(column.header, str) else ""
            words = [header] if column.no_wrap else header.split() or [""]  # headers may wrap
            widest = max([cell_len(w) for w in words]
                         + [c.cell_len for c in cells if isinstance(c, Text)])
            if i == 0 and column.max_width is not None:
                widest = min(widest, max(column.max_width, cell_len(words[0])))
            column.min_width = max(column.min_width or 0, widest)
            need += column.min_width
        if need > options.max_width:
            options = options.update(max_width=need)
        yield from super().__rich_console__(console, options)


def _print_table(console: Console, table: Table) -> None:
    """Print a table wider than the console if it must (:class:`_Whole`): the terminal wraps
    its lines; rich's default would cut them at the console's width."""
    console.print(table, crop=False)


def _table(title: str) -> Table:
    # at least as wide as its title (up to 80 columns), so the title does not wrap
    return _Whole(title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1),
                  pad_edge=False, show_edge=False, collapse_padding=True,
                  min_width=min(len(title), 80))


def _roi_cell(row) -> Text:
    if row["mature"] is pd.NA or pd.isna(row["mature"]):
        return Text("-", style="dim")
    if not row["mature"]:
        return Text(IMMATURE, style="yellow")
    roi = row["roi"]
    if not np.isfinite(roi):
        return Text("n/a", style="dim")
    text = percent(roi)  # the colour follows the sign shown (-0.3% shows +0%: not red)
    return Text(text, style="red" if text.startswith("-") else "green")


def roi_table(report: Report) -> Table:
    """Groups as rows, windows as columns of ROI, then the return at the last mature window
    (the full numbers, cost included, are in the csv/json exports)."""
    by = report.by
    table = _table(f"ROI by {by} at months after launch ({report.settings.model} "
                   f"attribution, {report.settings.basis} basis)")
    unpaid = "unpaid_return" in report.table and bool((report.table["unpaid_return"] > 0).any())
    so_far = "roi_to_date" in report.table
    width = 28 - 9 * so_far - 9 * unpaid  # room for the to-date and unpaid columns
    table.add_column(by, no_wrap=True, overflow="ellipsis", max_width=width)
    if by == "campaign":
        table.add_column("launch", no_wrap=True, min_width=10)
    else:
        table.add_column("campaigns", justify="right")
    for w in report.settings.windows:
        table.add_column(f"{w} mo", justify="right", no_wrap=True, min_width=5)
    table.add_column("return", justify="right", no_wrap=True, min_width=9)
    if so_far:  # cost and return so far, any age: not comparable across ages
        table.add_column("to date", justify="right", no_wrap=True, min_width=7)
    if unpaid:  # groups: the return of campaigns without cost, outside every ROI
        table.add_column("unpaid", justify="right", no_wrap=True)
    for name, rows in groups(report.table, by):
        first = rows.iloc[0]
        cells = [label(str(name), width)]
        if by == "campaign":
            launch = first["launch"]
            cells.append(f"{launch:%Y-%m-%d}" if not pd.isna(launch) else "")
        else:
            cells.append(str(int(first["campaigns"])) if name != UNATTRIBUTED else "")
        roi_cells = [_roi_cell(row) for _, row in rows.iterrows()]
        measured = rows[rows["return"].notna()]
        last = measured.iloc[-1] if len(measured) else None
        ends = [money(last["return"]) if last is not None else "-"]
        if so_far:
            ends.append(percent(first["roi_to_date"],
                                missing="n/a" if finite(first["cost_to_date"]) else "-"))
        if unpaid:
            ends.append(money(last["unpaid_return"]) if last is not None else "-")
        table.add_row(*cells, *roi_cells, *ends)
    return table


def kpi_table(report: Report) -> Table:
    """Leading indicators at the first window: the numbers that move before ROI does."""
    first = report.settings.windows[0]
    by = report.by
    table = _table(f"Leading indicators at {first} months (deals sourced by first touch)")
    table.add_column(by, no_wrap=True, overflow="ellipsis", max_width=28)
    for name in ("opps", "pipeline", "won", "win rate", "cost/opp"):
        table.add_column(name, justify="right", no_wrap=True)
    rows = report.table[(report.table["window_months"] == first)
                        & (report.table[by] != UNATTRIBUTED)]
    for _, row in rows.iterrows():
        if not bool(row["mature"]):
            table.add_row(str(row[by]), *[Text(IMMATURE, style="yellow")] * 5)
            continue
        table.add_row(str(row[by]), money(row["opportunities"]), money(row["pipeline"]),
                      money(row["won_deals"]), percent(row["win_rate"], signed=False),
                      money(row["cost_per_opportunity"]))
    return table


def bars(labels, values, text, width: int = BAR_WIDTH, low=None, high=None,
         unit: float = 0.01) -> Text:
    """Horizontal bars around a zero axis (drawn as |), one line per label. The scale is
    never finer than ``unit`` across (a whole percent, what the labels show): a loss of
    0.004% is no full-width red bar beside '+0%'."""
    values = np.asarray(values, dtype="float64")
    finite = values[np.isfinite(values)]
    low = min(0.0, finite.min(initial=0.0)) if low is None else low
    high = max(0.0, finite.max(initial=0.0)) if high is None else high
    span = max(high - low, unit)
    zero = int(round(-low / span * width))
    out = Text()
    for name, value, note in zip(labels, values, text, strict=False):
        out.append(f"{name} ")
        if not np.isfinite(value):
            out.append(" " * zero + "|" + " " * (width - zero) + f" {note}\n")
            continue
        pos = int(round((value - low) / span * width))
        if value < 0:
            out.append(" " * pos)
            out.append("█" * (zero - pos), style="red")
            out.append("|" + " " * (width - zero))
        else:
            out.append(" " * zero + "|")
            out.append("█" * (pos - zero), style="green")
            out.append(" " * (width - pos))
        out.append(f" {note}\n")
    return out


def curve_bars(portfolio: pd.DataFrame, width: int = BAR_WIDTH) -> Text:
    """The portfolio ROI curve as horizontal bars around a break-even axis."""
    if not portfolio["mature"].any():
        return Text(f"Portfolio curve: no campaign is mature at "
                    f"{int(portfolio['window_months'].max())} months yet, so there is no "
                    f"curve to draw.\n", style="yellow")
    title = Text()
    title.append(f"Portfolio ROI curve ({int(portfolio['campaigns'].iloc[-1])} campaigns "
                 "mature at every window; | is break-even)\n", style="bold")
    roi = portfolio["roi"].to_numpy(dtype="float64")
    labels = [f"{int(m):>3} mo" for m in portfolio["window_months"]]
    notes = [percent(v) if np.isfinite(v) else "no cost" for v in roi]
    return title + bars(labels, roi, notes, width)


def channel_sparks(channels: pd.DataFrame, windows) -> Text:
    """Small multiples: one line per channel, its ROI over the windows as a sparkline scaled
    across channels, and the last value (drawn only on a terminal)."""
    roi = channels["roi"].to_numpy(dtype="float64")
    finite = roi[np.isfinite(roi)]
    out = Text()
    out.append(f"ROI by channel over {', '.join(map(str, windows))} months "
               "(one scale for all)\n", style="bold")
    if finite.size == 0:
        return out + Text("no channel has a mature campaign yet\n", style="yellow")
    low, high = finite.min(), finite.max()
    span = (high - low) or 1.0
    for name, rows in groups(channels, "channel"):
        values = rows["roi"].to_numpy(dtype="float64")
        if not np.isfinite(values).any():
            out.append(f"  {str(name)[:16]:<16} " + " " * len(values) + "  immature or no cost\n",
                       style="dim")
            continue
        scaled = (np.nan_to_num(values, nan=low) - low) / span
        out.append(f"  {str(name)[:16]:<16} {_spark(scaled)}  {percent(values[-1])}\n")
    return out


def accounting_line(inputs) -> str:
    parts = []
    for row in inputs.accounting.itertuples():
        part = f"{row.kind} {row.used:,} of {row.read:,} rows used"
        extra = []
        if row.rejected:
            extra.append(f"{row.rejected:,} rejected")
        if row.after_as_of:
            extra.append(f"{row.after_as_of:,} on or after as-of")
        if getattr(row, "reopened", 0):
            extra.append(f"{row.reopened:,} closed later, so open at as-of")
        parts.append(part + (f" ({', '.join(extra)})" if extra else ""))
    return "Data: " + "; ".join(parts) + ". " + as_of_text(inputs)


def _preamble(result, console: Console, quiet: bool = False) -> None:
    if result.sample and not quiet:
        console.print("Using the sample data shipped with roiclock "
                      "(give --spend and --deals to use your own).", style="dim")


def print_report(report: Report, console: Console, kpis: bool = False,
                 quiet: bool = False) -> None:
    _preamble(report, console, quiet)
    console.print(Text(report.headline, style="bold"))
    console.print(accounting_line(report.inputs), style="dim")
    _print_table(console, roi_table(report))
    console.print(LEGEND, style="dim")
    if report.to_date is not None:
        console.print(to_date_line(report.to_date, max(report.settings.windows)))
    if kpis:
        _print_table(console, kpi_table(report))
    console.print(curve_bars(report.portfolio))
    if console.is_terminal:
        console.print(channel_sparks(report.channels, report.settings.windows))


def _spark(values) -> str:
    """A sparkline of values in 0..1; an unknown value is a blank, never the lowest bar."""
    values = np.asarray(values, dtype="float64")
    index = np.clip(np.round(np.nan_to_num(values) * (len(SPARKS) - 1)), 0,
                    len(SPARKS) - 1).astype(int)
    return "".join(SPARKS[i] if np.isfinite(v) else " " for i, v in zip(index, values,
                                                                          strict=True))


def print_lag(result: LagReport, console: Console, quiet: bool = False) -> None:
    _preamble(result, console, quiet)
    everything = result.table
    by = everything.columns[0]
    console.print(accounting_line(result.inputs), style="dim")
    table_data = everything[everything["months"].notna()]
    if table_data.empty:
        console.print("No deal has a start date (first touch, launch or created date).")
    else:
        _print_table(console, lag_table(result, table_data, by, console.width))
    known = table_data["share_of_wins"].notna().any()
    if len(list(groups(table_data, by))) == 1 and known:  # one group: its bars, intervals
        rows = table_data
        labels = [f"{m:>3} mo" for m in rows["months"]]
        notes = [f"{percent(v, signed=False)} [{percent(lo, signed=False)}.."
                 f"{percent(hi, signed=False)}]"
                 for v, lo, hi in zip(rows["share_of_wins"], rows["interval_low"],
                                      rows["interval_high"], strict=True)]
        console.print(Text("Share of wins closed (bars from 0 to 100%; "
                           "[interval])", style="bold"))
        console.print(bars(labels, rows["share_of_wins"], notes, low=0.0, high=1.0))
        console.print(median_note(rows.iloc[0]), style="dim")
    for line in _unknown_note(result, table_data, by):
        console.print(line, style="yellow")
    excluded = everything[everything["months"].isna()]
    for row in excluded.itertuples(index=False):
        console.print(f"Not in the table: {row[0].removeprefix('(no start: ').rstrip(')')}: "
                      f"{row.deals:,} deal{'s' if row.deals != 1 else ''} ({row.won:,} won, "
                      f"{row.lost:,} lost, "
                      f"{row.censored:,} open).", style="yellow")


def _unknown_note(result: LagReport, table_data: pd.DataFrame, by: str) -> list[str]:
    """One line when some group has no share of eventual wins (nor median), with why:
    followed for less than the horizon (its curve has not reached 'eventual'), or followed to
    it without a win within it (nothing to share); none otherwise."""
    parts = list(groups(table_data, by))
    young = [rows["share_of_wins"].isna().all() for _, rows in parts]
    if not any(young):
        return []
    short = int(result.table.attrs.get("followed_short", sum(young)))
    winless = int(result.table.attrs.get("no_win_within", 0))
    m = len(young)
    shown = ("the table shows win probabilities instead"
             if not table_data["share_of_wins"].notna().any() or "period" in table_data
             else "csv/json keep their win probabilities")
    why = []
    if short:
        why.append(f"{short:,} followed for less than the {result.horizon_months:g}-month "
                   "--horizon since the first start (the curve has not reached 'eventual'; a "
                   "shorter --horizon measures it)")
    if winless:
        why.append(f"{winless:,} without a win within it")
    return [f"-: unknown. {sum(young):,} of {m:,} group{'s' if m != 1 else ''} "
            f"{'has' if sum(young) == 1 else 'have'} no share of eventual wins or median: "
            f"{'; '.join(why)}; {shown}, known up to each group's follow-up."]


def result_width(table_data: pd.DataFrame) -> int:
    """The width the lag table needs with its curve column (to drop it on a narrow screen)."""
    return 64 + 6 * table_data["months"].nunique()


def lag_table(result: LagReport, table_data: pd.DataFrame, by: str, width: int = 80) -> Table:
    months = list(dict.fromkeys(table_data["months"]))
    by_period = "period" in table_data  # periods of different ages: compare what was won
    # no group followed to the horizon (no share known): what was won, rather than a table of -
    won_view = by_period or table_data["share_of_wins"].isna().all()
    value = "win_probability" if won_view else "share_of_wins"
    title = (f"Deals won within months after {result.start_label}"
             f"{', by period of their start' if by_period else ''} " if won_view else
             f"Share of eventual wins closed by months after {result.start_label} ")
    table = _table(title + "(Aalen-Johansen; open deals censored, lost deals compete)")
    table.add_column(by, no_wrap=True, overflow="ellipsis", max_width=24)
    for name in ("deals", "won", "open"):
        table.add_column(name, justify="right", no_wrap=True)
    for m in months:
        table.add_column(f"{m} mo", justify="right", no_wrap=True, min_width=len(f"{m} mo"))
    table.add_column("median", justify="right", no_wrap=True, min_width=6)
    if not by_period:  # (in csv/json either way)
        table.add_column("won med", justify="right", no_wrap=True, min_width=7)
    # a curve column only on a wide terminal (one group gets its bars below instead)
    sparks = len(list(groups(table_data, by))) > 1 and result_width(table_data) <= width
    if sparks:
        table.add_column("curve", no_wrap=True)
    for name, rows in groups(table_data, by):
        first = rows.iloc[0]
        median, plain = first["median_days"], first["won_median_days"]
        table.add_row(label(str(name), 24), f"{first['deals']:,}", f"{first['won']:,}",
                      f"{first['censored']:,}",
                      *[percent(v, signed=False) for v in rows[value]],
                      f"{median:.0f} d" if finite(median) else "-",
                      *([] if by_period else [f"{plain:.0f} d" if finite(plain) else "-"]),
                      *([_spark(rows[value] if not by_period else
                                rows[value] / table_data[value].max())] if sparks else []))
    return table


def median_note(row) -> str:
    """Why the estimated median and the plain median of closed wins differ."""
    return ("median: when half of the eventual wins have closed, estimated with open deals "
            "still running and lost deals never winning; won med: the plain median of the "
            f"{row['won']:,} win{'s' if row['won'] != 1 else ''} closed so far, which leaves "
            "out the open deals (the slow "
            "ones) and so runs short while many are open.")


def backtest_line(result: ProjectReport) -> str:
    assert result.backtest is not None
    table = result.backtest
    mine = table[(table["method"] == result.projection.method) & (table["ages"] == "all")]
    row = mine.iloc[0] if len(mine) else table.iloc[-1]
    cuts = ", ".join(f"{c:%Y-%m-%d}" for c in result.backtest_cuts) or "none"
    return (f"Backtest ({row['method']}, cut at {cuts}): {int(row['cohorts'])} projections, "
            f"total error {percent(row['error'])}, mean absolute error "
            f"{percent(row['mean_abs_error'], signed=False)}, interval coverage "
            f"{percent(row['coverage'], signed=False)}.")


def print_project(result: ProjectReport, console: Console, quiet: bool = False) -> None:
    _preamble(result, console, quiet)
    projection = result.projection
    data = projection.table
    key = data.columns[0]
    console.print(Text(projection_sentence(projection), style="bold"))
    console.print(accounting_line(result.inputs), style="dim")
    level = f"{projection.confidence:.0%}"
    how = ("chain ladder; interval from Mack's standard error"
           if projection.method == "chain_ladder"
           else f"{method_name(projection.method)}; {level} interval from past errors")
    table = _table(f"Projected ROI at {projection.target} months ({how})")
    table.add_column(key, no_wrap=True, overflow="ellipsis", max_width=18)
    table.add_column("age", justify="right", no_wrap=True, min_width=3)
    table.add_column("now", justify="right", no_wrap=True, min_width=5)
    table.add_column(f"{projection.target} mo", justify="right", no_wrap=True, min_width=5)
    table.add_column("interval", justify="right", no_wrap=True, min_width=9)
    for name in ("won", "open", "future"):
        table.add_column(name, justify="right", no_wrap=True, min_width=4)
    table.add_column("payback", no_wrap=True, justify="right", min_width=5)
    now = roi_now(data)
    for (_, row), measured_roi in zip(data.iterrows(), now, strict=False):
        pay = row["payback_months"]
        payback = (f"{int(pay)} mo{'*' if row['payback'] == 'projected' else ''}"
                   if pay is not pd.NA else PAYBACK_SHORT.get(row["payback"], "later"))
        status = row["status"]
        if status == "projected" and finite(row["interval_low"]):
            interval = f"{percent(row['interval_low'])}..{percent(row['interval_high'])}"
        elif status == "projected":
            interval = "no interval"  # too little history to say how far off it may be
        else:
            interval = status.replace("_", " ")
        young = status != "mature"
        table.add_row(label(str(row[key]), 18), str(row["age_months"]), percent(measured_roi),
                      percent(row["projected_roi"]), interval,
                      money_short(row["measured_return"]),
                      money_short(row["pipeline_return"]) if young else "",
                      money_short(row["future_return"]) if young else "", payback)
    _print_table(console, table)
    console.print(f"age: whole months since launch; now: ROI measured so far; projected return "
                  f"= won so far + open (pipeline: open deals x chance to win by "
                  f"{projection.target} months) + future (deals not valued yet, and how the "
                  f"pipeline usually turns out); payback: first month where return covers cost "
                  f"(* projected; 'later': not within {projection.target} months; '-': not yet "
                  f"measured, too young).",
                  style="dim")
    if result.comparison is not None:
        _print_table(console, compare_table(result))
    if result.backtest is not None:
        _print_table(console, backtest_table(result))


def compare_table(result: ProjectReport) -> Table:
    """Per cohort: the projected ROI then and now, and why it moved."""
    assert result.comparison is not None
    data = pd.concat([result.projection.table, result.comparison], axis=1)
    key = data.columns[0]
    table = _table("Change since the earlier export: new closes (the campaign's own data) and "
                   "factors (the development pattern and prior)")
    table.add_column(key, no_wrap=True, overflow="ellipsis", max_width=24)
    for name in ("before", "now", "change", "new closes", "factors"):
        table.add_column(name, justify="right", no_wrap=True)
    for _, row in data[data["change"].notna()].iterrows():
        if abs(row["change"]) < 5e-5:
            continue
        table.add_row(label(str(row[key]), 24), percent(row["previous_roi"]),
                      percent(row["projected_roi"]),
                      percent(row["change"]), percent(row["new_closes"]),
                      percent(row["factors"]))
    return table


def backtest_table(result: ProjectReport) -> Table:
    assert result.backtest is not None
    cuts = ", ".join(f"{c:%Y-%m-%d}" for c in result.backtest_cuts)
    table = _table(f"Backtest: projected from the data as it stood on {cuts or '(no date)'}, "
                   f"compared with the return at {result.projection.target} months seen since")
    for name in ("method", "ages", "cohorts", "projected", "actual", "bias",
                 "mean abs error", "coverage"):
        table.add_column(name, justify="left" if name == "method" else "right")
    for _, row in result.backtest.iterrows():
        table.add_row(str(row["method"]), str(row["ages"]), str(row["cohorts"]),
                      money(row["projected_return"]), money(row["actual_return"]),
                      percent(row["error"]), percent(row["mean_abs_error"], signed=False),
                      percent(row["coverage"], signed=False))
    return table


def print_watch(result: WatchReport, console: Console, quiet: bool = False) -> None:
    """Campaigns behind or ahead of what their projection expected, then the others."""
    _preamble(result, console, quiet)
    data = result.table
    key = data.columns[0]
    behind = int((data["status"] == "behind").sum())
    ahead = int((data["status"] == "ahead").sum())
    judged = int((data["status"] != "not judged").sum())
    console.print(Text(watch_sentence(result.then, result.then_as_of, result.since, behind,
                                      judged, ahead), style="bold red" if behind else "bold"))
    console.print(accounting_line(result.inputs), style="dim")
    table = _table(f"Return won so far against what was expected by now "
                   f"({result.confidence:.0%} interval)")
    table.add_column(key, no_wrap=True, overflow="ellipsis", max_width=21)
    for name in ("age", "expected", "interval", "won", "status", f"{result.now.target} mo"):
        table.add_column(name, justify="left" if name == "status" else "right", no_wrap=True)
    order = data.assign(_rank=data["status"].map({"behind": 0, "ahead": 1, "on track": 2,
                                                  "not judged": 3}))
    for _, row in order.sort_values("_rank", kind="stable").iterrows():
        if row["status"] == "not judged":
            continue
        style = {"behind": "red", "ahead": "green"}.get(row["status"], "")
        # the interval and won at one precision, from the cents the status compares: a
        # campaign on track never shows below its interval (nor behind one above its low)
        table.add_row(label(str(row[key]), 21), str(row["age_months"]),
                      money(row["expected_return"]),
                      f"{money(row['expected_low'])}..{money(row['expected_high'])}",
                      money(cents(row["measured_return"])), Text(row["status"], style=style),
                      percent(row["projected_roi"]))
    _print_table(console, table)
    console.print("Not judged: campaigns less than a month old, already at the target then, or "
                  "without cost. Exit code 3 when some campaign is behind.", style="dim")


def rejection_warning(inputs) -> str | None:
    """One line about rejected rows, by reason (None when none was rejected)."""
    rejects = inputs.rejects
    if rejects.empty:
        return None
    counts = rejects["reason"].value_counts(sort=False)
    reasons = ", ".join(f"{n:,} {reason}" for reason, n in counts.items())
    n = len(rejects)
    return (f"Warning: {n:,} row{'s' if n != 1 else ''} rejected ({reasons}); 'roiclock validate "
            "--rejects FILE' lists them.")


def print_validation(result: Validation, console: Console, quiet: bool = False) -> None:
    _preamble(result, console, quiet)
    console.print(accounting_line(result.inputs))
    table = _table("Rows by file (read = used + rejected + after as-of)")
    for name in ("file", "read", "used", "rejected", "after as-of"):
        table.add_column(name, justify="left" if name == "file" else "right")
    for row in result.inputs.accounting.itertuples():
        table.add_row(label(Path(row.file).name, 28), f"{row.read:,}", f"{row.used:,}",
                      f"{row.rejected:,}", f"{row.after_as_of:,}")
    _print_table(console, table)
    if not result.reasons.empty:
        reasons = _table("Rejected rows by reason")
        for name in ("file", "reason", "rows", "first row", "column"):
            reasons.add_column(name, justify="right" if name in ("rows", "first row")
                               else "left")
        for row in result.reasons.itertuples():
            reasons.add_row(row.kind, row.reason, f"{row.rows:,}", str(row.first_row),
                            row.column)
        _print_table(console, reasons)
    for row in result.inputs.warnings.itertuples():
        console.print(f"Data quality ({row.kind}): {row.message}.", style="yellow")
    verdict = ("The data is usable." if result.problem is None
               else "The data cannot be used as it is (see the error below).")
    console.print(verdict, style="green" if result.problem is None else "red")


class Stages:
    """A progress line on a terminal for runs that take more than ``delay`` seconds: nothing
    at all when the console is not a terminal, when quiet, or for a quick run. Use as a
    context manager; call it with each stage's name (it is the library's progress hook)."""

    def __init__(self, console: Console, quiet: bool = False, delay: float = 1.0):
        self.enabled = console.is_terminal and not quiet
        self.console, self.delay = console, delay
        self.stage = ""
        self.status: Status | None = None
        self.timer: threading.Timer | None = None
        self.lock = threading.Lock()

    def __call__(self, stage: str) -> None:
        with self.lock:
            self.stage = stage
            if self.status is not None:
                self.status.update(stage + "…")

    def _show(self) -> None:
        with self.lock:
            if self.enabled and self.timer is not None:
                self.status = self.console.status(self.stage + "…")
                self.status.start()

    def __enter__(self) -> Stages:
        if self.enabled:
            self.timer = threading.Timer(self.delay, self._show)
            self.timer.daemon = True
            self.timer.start()
        return self

    def __exit__(self, *exc) -> None:
        with self.lock:
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            if self.status is not None:
                self.status.stop()
                self.status = None


def print_explanation(result: Explanation, console: Console, top: int = 10,
                      quiet: bool = False) -> None:
    """Removal effects and the most frequent paths: why each got its credit."""
    _preamble(result, console, quiet)
    chain, level = result.chain, result.settings.markov_level
    console.print(Text(f"Markov chain of order {chain.order} over {len(chain.names)} "
                       f"{level}s: P(conversion) from the start is {chain.conversion:.1%}.",
                       style="bold"))
    console.print("Removal effect: the share of conversions lost if the "
                  f"{level} disappeared (its paths end in no conversion). An open deal is "
                  "not a failure: its path converts with its chance to still win. Each won "
                  f"deal's value is split among the {level}s on its path in proportion to "
                  "their removal effect per path through them (volume and age aside).",
                  style="dim")
    table = _table(f"Removal effects ({level})")
    for name in (level, "effect", "share", "credited", "by share"):
        table.add_column(name, justify="left" if name == level else "right",
                         no_wrap=True, max_width=28 if name == level else None,
                         overflow="ellipsis")
    for row in result.table.itertuples(index=False):
        table.add_row(label(str(row[0]), 28), f"{row.removal_effect:.3f}",
                      percent(row.share, signed=False), money(row.credited_return),
                      money(row.global_return))
    _print_table(console, table)
    console.print("effect: removal effect; share: of the summed effects; credited: the return "
                  "its per-deal credits add up to (what report uses); by share: all attributed "
                  "return split by share, the textbook total.", style="dim")
    assert chain.paths is not None  # run_explain fits the chain with its tables
    paths = _table(f"Top {top} paths (of {len(chain.paths):,}; open deals count by their "
                   "chance to win)")
    for name in ("path", "conversions", "no conversion"):
        paths.add_column(name, justify="left" if name == "path" else "right",
                         overflow="fold")
    for row in chain.paths.head(top).itertuples(index=False):
        paths.add_row(row.path, f"{row.conversions:,.1f}", f"{row.nulls:,.1f}")
    _print_table(console, paths)
