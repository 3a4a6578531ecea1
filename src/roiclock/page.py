"""A one-page HTML report: self-contained (inline SVG and CSS, no external requests).

Headline, the ROI curve, the per-channel table, the definitions used (windows, model, basis,
as-of) and the data accounting (rows read, used, rejected).
"""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd

from .api import Report
from .chart import TITLE, drawable, image, nothing_drawn
from .models import describe
from .projection import roi_now
from .words import as_of_text, groups, method_name, money, percent, to_date_line

STYLE = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; margin: 2em auto; max-width: 60em;
       color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
p.headline { font-size: 1.15em; font-weight: bold; }
table { border-collapse: collapse; } th, td { padding: 0.25em 0.7em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 1px solid #888; }
td.neg { color: #b22; } td.pos { color: #272; } td.immature { color: #999; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dt { font-weight: bold; } dd { margin: 0; }
"""


def _pct_cell(row) -> str:
    if row["mature"] is pd.NA or not bool(row["mature"]):
        return '<td class="immature" title="window not ended yet: unknown, not zero">…</td>'
    roi = row["roi"]
    if not np.isfinite(roi):
        return '<td class="immature">n/a</td>'
    return f'<td class="{"pos" if roi >= 0 else "neg"}">{percent(roi)}</td>'


def _channel_table(channels: pd.DataFrame, windows) -> str:
    head = "".join(f"<th>{w} months</th>" for w in windows)
    unpaid = bool((channels["unpaid_return"] > 0).any())
    if unpaid:
        head += ('<th title="return of campaigns without cost, never in a ROI">'
                 "unpaid return</th>")
    rows = []
    for name, group in groups(channels, "channel"):
        cells = "".join(_pct_cell(row) for _, row in group.iterrows())
        if unpaid:
            cells += f"<td>{money(group['unpaid_return'].iloc[-1])}</td>"
        count = int(group["campaigns"].iloc[0]) if "campaigns" in group else ""
        rows.append(f"<tr><td>{escape(str(name))}</td><td>{count}</td>{cells}</tr>")
    return (f"<table><thead><tr><th>channel</th><th>paid campaigns</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _projection_table(table: pd.DataFrame) -> str:
    """The campaigns still projected: ROI now and projected, interval, and what the projected
    return is made of."""
    young = table[table["status"] == "projected"]
    head = ("<tr><th>campaign</th><th>age</th><th>ROI now</th><th>projected</th>"
            "<th>interval</th><th>won so far</th><th>open pipeline</th><th>future</th></tr>")
    rows = []
    for row, now in zip(young.itertuples(index=False), roi_now(young), strict=True):
        rows.append(
            f"<tr><td>{escape(str(row[0]))}</td><td>{row.age_months}</td>"
            f"<td>{percent(now)}</td><td>{percent(row.projected_roi)}</td>"
            f"<td>{percent(row.interval_low)}..{percent(row.interval_high)}</td>"
            f"<td>{money(row.measured_return)}</td><td>{money(row.pipeline_return)}</td>"
            f"<td>{money(row.future_return)}</td></tr>")
    too_young = [str(name) for name in table.loc[table["status"] == "too_young",
                                                  table.columns[0]]]
    note = ("<p>Too young to project (less than one whole month since launch, or no history "
            f"to develop from): {escape(', '.join(too_young))}.</p>" if too_young else "")
    if not rows:
        return "<p>No campaign is being projected.</p>" + note
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>" + note


def _accounting(inputs) -> str:
    rows = "".join(
        f"<tr><td>{escape(r.kind)}</td><td>{r.read:,}</td><td>{r.used:,}</td>"
        f"<td>{r.rejected:,}</td><td>{r.after_as_of:,}</td></tr>"
        for r in inputs.accounting.itertuples())
    return ("<table><thead><tr><th>file</th><th>read</th><th>used</th><th>rejected</th>"
            f"<th>after as-of</th></tr></thead><tbody>{rows}</tbody></table>")


def html(report: Report) -> str:
    """The whole page as one string."""
    s = report.settings
    projection = report.projection
    if drawable(projection.curve):
        svg = image(projection.curve, TITLE, projection.confidence, "svg",
                    projection.method).decode("utf-8")
        svg = svg[svg.index("<svg"):]  # inline: drop the XML prolog and doctype
    else:  # no blank axes: say why there is no picture (as `roiclock chart` refuses)
        svg = (f"<figcaption>No ROI curve yet: "
               f"{escape(nothing_drawn(projection.target, report.inputs.as_of))}.</figcaption>")
    definitions = {
        "As of": as_of_text(report.inputs).removeprefix("As of ").rstrip(".")
                 + "; data complete before the as-of day",
        "Windows": ", ".join(f"{w}" for w in s.windows) + " calendar months after launch",
        "Attribution": f"{describe(s.model, s)}, lookback {s.lookback_days} days",
        "Return": f"{s.basis}" + (" (deal amount)" if s.basis == "revenue"
                                  else " (amount x margin)"),
        "Cost": f"spend x {s.cost_multiplier:g}",
        "ROI": "(return - cost) / cost; a window is mature when it has ended by as-of",
        "Curves": "measured: campaigns mature at the last window, the same ones at every "
                  f"month; projected: every campaign, {method_name(projection.method)} "
                  f"with its {projection.confidence:.0%} interval",
        "Projection": "won so far + open pipeline (open deals x the chance a deal of their "
                      "age wins in time) + future (the rest, from how earlier campaigns "
                      "developed)",
    }
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in definitions.items())
    source = ("the sample data shipped with roiclock" if report.sample
              else escape(", ".join(report.inputs.accounting["file"])))
    to_date = ("" if report.to_date is None else
               f"<p>{escape(to_date_line(report.to_date, max(s.windows)))}</p>")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>roiclock report</title>
<style>{STYLE}</style>
</head>
<body>
<h1>roiclock: campaign ROI at the right time after launch</h1>
<p class="headline">{escape(report.headline)}</p>
<figure>{svg}</figure>
<h2>ROI by channel{" and spend period" if report.inputs.period else ""}</h2>
{_channel_table(report.channels, s.windows)}
{to_date}
<h2>Young campaigns: projected ROI at {projection.target} months</h2>
{_projection_table(projection.table)}
<h2>Definitions</h2>
<dl>{items}</dl>
<h2>Data</h2>
<p>From {source}.</p>
{_accounting(report.inputs)}
</body>
</html>
"""
