"""CSV and JSON exports with plain numbers, and atomic file writes.

Numbers, one rule for every command (by column, :data:`KINDS`): money to the cent; ratios
(ROI, rates, shares, probabilities) to 6 significant digits; counts as integers; days to a
tenth. Then the shortest text that reads back to that number, '.' decimal, no thousands
separators. Inside roiclock every number keeps full precision: only exports round. Dates ISO
(YYYY-MM-DD); booleans true/false; no value is empty in CSV and null in JSON. The same table
always gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from . import outputs
from .frames import cents

MONEY, RATIO, COUNT, DAYS = "money", "ratio", "count", "days"
# The kind of every numeric column any command exports (a test keeps this complete).
KINDS: dict[str, str] = {
    **dict.fromkeys(["cost", "return", "pipeline", "cost_per_opportunity", "unpaid_return",
                     "measured_cost", "measured_return", "projected_cost", "projected_return",
                     "actual_return", "credited_return", "global_return", "cost_to_date",
                     "return_to_date", "unpaid_return_to_date", "pipeline_return",
                     "future_return", "expected_return", "expected_low", "expected_high",
                     "difference"], MONEY),
    **dict.fromkeys(["roi", "win_rate", "win_probability", "share_of_wins", "interval_low",
                     "interval_high", "projected_roi", "error", "mean_abs_error", "coverage",
                     "removal_effect", "share", "roi_to_date", "immature_cost_share",
                     "prior_roi", "credibility", "projected_roi_then", "previous_roi", "change",
                     "new_closes", "factors"],
                    RATIO),
    **dict.fromkeys(["window_months", "campaigns", "unpaid_campaigns", "opportunities",
                     "won_deals", "lost_deals", "months", "deals", "won", "lost", "censored",
                     "age_months", "target_months", "payback_months", "cohorts", "read",
                     "used", "rejected", "after_as_of", "reopened", "row", "conversions",
                     "nulls", "age_then", "cuts"], COUNT),
    **dict.fromkeys(["median_days", "won_median_days"], DAYS),
}


def _rounded(value: float, kind: str | None) -> float | int:
    """``value`` rounded for its kind (+ 0.0: never a negative zero such as -0.004 -> -0.0);
    money is already at the cent (:func:`roiclock.frames.cents`, column-wise)."""
    if kind == MONEY:
        return value + 0.0
    if kind == RATIO:
        return float(f"{value:.6g}") + 0.0
    if kind == COUNT:
        return int(round(value))
    if kind == DAYS:  # whole days as integers, a median between two days as x.5
        days = round(value, 1) + 0.0
        return int(days) if days.is_integer() else days
    return value


def _values(column: pd.Series, name: str | None = None) -> list:
    """A column as JSON-ready Python values (None for no value), converted column-wise and
    rounded by the kind of the column (see :data:`KINDS`)."""
    if pd.api.types.is_datetime64_any_dtype(column):
        text = column.dt.strftime("%Y-%m-%d")
        return [None if pd.isna(v) else v for v in text.astype(object)]
    if pd.api.types.is_bool_dtype(column):
        return [None if v is pd.NA or v is None else bool(v) for v in column.astype(object)]
    if pd.api.types.is_integer_dtype(column):
        return [None if v is pd.NA or v is None else int(v) for v in column.astype(object)]
    if pd.api.types.is_float_dtype(column):
        values = column.to_numpy(dtype="float64", na_value=np.nan)
        finite = np.isfinite(values)
        kind = KINDS.get(str(name)) if name is not None else None
        if kind == MONEY:  # the one cent rounding, shared with watch's verdict
            values = np.where(finite, cents(values), values)
        return [_rounded(v, kind) if ok else None
                for v, ok in zip(values.tolist(), finite.tolist(), strict=True)]
    return [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
            else str(v) for v in column.astype(object)]


def records(table: pd.DataFrame) -> list[dict]:
    """The table as a list of plain records (a few per group and window, never per deal)."""
    columns = {name: _values(table[name], name) for name in table.columns}
    return [dict(zip(columns, row, strict=False)) for row in zip(*columns.values(), strict=False)]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _number_text(value: float) -> str:
    """Shortest text that reads back as the same float, never in exponent form."""
    text = repr(value)
    if "e" in text or "E" in text:
        return np.format_float_positional(value, unique=True, trim="-")
    return text[:-2] if text.endswith(".0") else text


def _cells(values: list) -> list[str]:
    """Plain text for the CSV cells of one column. Text that a spreadsheet would run as a
    formula (starting with = + - @ tab or CR, e.g. a campaign named '=HYPERLINK(...)') gets a
    leading quote; numbers are never touched."""
    out = []
    for value in values:
        if value is None:
            out.append("")
        elif isinstance(value, str):
            out.append("'" + value if value.startswith(FORMULA_STARTS) else value)
        elif isinstance(value, bool):
            out.append("true" if value else "false")
        elif isinstance(value, float):
            out.append(_number_text(value))
        else:
            out.append(str(value))
    return out


def to_csv(table: pd.DataFrame) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    columns = [_cells(_values(table[name], name)) for name in table.columns]
    writer.writerows(zip(*columns, strict=False))
    return buffer.getvalue()


def to_json(table: pd.DataFrame) -> str:
    return json.dumps(records(table), indent=2, allow_nan=False) + "\n"


def stamped(table: pd.DataFrame, as_of, data_through) -> pd.DataFrame:
    """The table with ``as_of`` and ``data_through`` appended to every record: exports from
    different runs stack and still say when their numbers stand."""
    return table.assign(as_of=pd.Timestamp(as_of),
                        data_through=pd.NaT if data_through is None
                        else pd.Timestamp(data_through))


# Export formats: name -> writer of a table as text. The CLI's --format choices (besides the
# terminal's "table") come from here.
FORMATS: dict[str, Callable[[pd.DataFrame], str]] = {"csv": to_csv, "json": to_json}


def write_atomic(path: str | Path, text: str | bytes) -> None:
    """Write ``text`` (or bytes) to ``path``: a regular file through a temporary file and a
    rename (never half a file, the mode of the file replaced kept), a device or pipe in place
    (see :func:`roiclock.outputs.write`)."""
    outputs.write(path, text)
