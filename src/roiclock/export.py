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
from typing import Any

import numpy as np
import pandas as pd

from . import outputs
from .precision import COUNT, DAYS, KINDS, MONEY, RATIO, as_exported

# the kinds of numbers and their rounding: one rule, in :mod:`roiclock.precision`
__all__ = ["COUNT", "DAYS", "FORMATS", "KINDS", "MONEY", "RATIO", "exported", "records",
           "stamped", "to_csv", "to_json", "write_atomic"]


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
        shown = as_exported(values, name)
        return [(int(v) if kind == COUNT or (kind == DAYS and v.is_integer()) else v)
                if ok else None for v, ok in zip(shown.tolist(), finite.tolist(), strict=True)]
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


def exported(data) -> pd.DataFrame:
    """What an export of ``data`` holds. A command's result (what ``run_report``, ``run_lag``,
    ``run_project``, ``run_watch``, ``run_validate`` or ``run_explain`` return): its table
    with ``as_of`` and ``data_through`` on every record (:func:`stamped`), exactly what the
    command writes with --format csv or json. A bare table is written as it is: it does not
    know the as-of its numbers stand at (stamp it with :func:`stamped`)."""
    if isinstance(data, pd.DataFrame):
        return data
    table, inputs = getattr(data, "table", None), getattr(data, "inputs", None)
    if not isinstance(table, pd.DataFrame) or inputs is None:
        raise TypeError(f"expected a table or the result of a run_* function, got "
                        f"{type(data).__name__}")
    return stamped(table, inputs.as_of, inputs.data_through)


def to_csv(data) -> str:
    """CSV text of a table, or of a command's result as the command writes it (see
    :func:`exported`)."""
    table = exported(data)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    columns = [_cells(_values(table[name], name)) for name in table.columns]
    writer.writerows(zip(*columns, strict=False))
    return buffer.getvalue()


def to_json(data) -> str:
    """JSON text (a list of records) of a table, or of a command's result as the command
    writes it (see :func:`exported`)."""
    return json.dumps(records(exported(data)), indent=2, allow_nan=False) + "\n"


def stamped(table: pd.DataFrame, as_of, data_through) -> pd.DataFrame:
    """The table with ``as_of`` and ``data_through`` appended to every record: exports from
    different runs stack and still say when their numbers stand."""
    return table.assign(as_of=pd.Timestamp(as_of),
                        data_through=pd.NaT if data_through is None
                        else pd.Timestamp(data_through))


# Export formats: name -> writer of a table (or a command's result) as text. The CLI's
# --format choices (besides the terminal's "table") come from here.
FORMATS: dict[str, Callable[[Any], str]] = {"csv": to_csv, "json": to_json}


def write_atomic(path: str | Path, text: str | bytes) -> None:
    """Write ``text`` (or bytes) to ``path``: a regular file through a temporary file and a
    rename (never half a file, the mode of the file replaced kept), a device or pipe in place
    (see :func:`roiclock.outputs.write`)."""
    outputs.write(path, text)
