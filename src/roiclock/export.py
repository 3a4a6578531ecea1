"""CSV and JSON exports with plain numbers, and atomic file writes.

Numbers: full precision (the shortest text that reads back to the same float), '.' decimal,
no thousands separators; dates ISO (YYYY-MM-DD); booleans true/false; no value is empty in CSV
and null in JSON. The same table always gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd


def _plain(value) -> object:
    """A cell as a JSON-ready Python value (None for no value)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    return str(value)


def records(table: pd.DataFrame) -> list[dict]:
    """The table as a list of plain records (a few per group and window, never per deal)."""
    columns = list(table.columns)
    return [dict(zip(columns, map(_plain, row)))
            for row in table.itertuples(index=False, name=None)]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value) -> str:
    """Plain text for one CSV cell. Text that a spreadsheet would run as a formula (starting
    with = + - @ tab or CR, e.g. a campaign named '=HYPERLINK(...)') gets a leading quote;
    numbers are never touched."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return np.format_float_positional(value, unique=True, trim="-")
    return str(value)


def to_csv(table: pd.DataFrame) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.columns)
    for record in records(table):
        writer.writerow([_csv_cell(v) for v in record.values()])
    return buffer.getvalue()


def to_json(table: pd.DataFrame) -> str:
    return json.dumps(records(table), indent=2, allow_nan=False) + "\n"


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: never half a file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
