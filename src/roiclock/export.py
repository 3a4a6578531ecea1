"""CSV and JSON exports with plain numbers, and atomic file writes.

Numbers: full precision (the shortest text that reads back to the same float), '.' decimal,
no thousands separators; dates ISO (YYYY-MM-DD); booleans true/false; no value is empty in CSV
and null in JSON. The same table always gives the same bytes.
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


def _values(column: pd.Series) -> list:
    """A column as JSON-ready Python values (None for no value), converted column-wise."""
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
        return [v if ok else None for v, ok in zip(values.tolist(), finite.tolist(), strict=False)]
    return [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
            else str(v) for v in column.astype(object)]


def records(table: pd.DataFrame) -> list[dict]:
    """The table as a list of plain records (a few per group and window, never per deal)."""
    columns = {name: _values(table[name]) for name in table.columns}
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
    columns = [_cells(_values(table[name])) for name in table.columns]
    writer.writerows(zip(*columns, strict=False))
    return buffer.getvalue()


def to_json(table: pd.DataFrame) -> str:
    return json.dumps(records(table), indent=2, allow_nan=False) + "\n"


# Export formats: name -> writer of a table as text. The CLI's --format choices (besides the
# terminal's "table") come from here.
FORMATS: dict[str, Callable[[pd.DataFrame], str]] = {"csv": to_csv, "json": to_json}


def write_atomic(path: str | Path, text: str | bytes) -> None:
    """Write ``text`` (or bytes) to ``path``: a regular file through a temporary file and a
    rename (never half a file, the mode of the file replaced kept), a device or pipe in place
    (see :func:`roiclock.outputs.write`)."""
    outputs.write(path, text)
