"""Read spend, deals and touches files (CSV or Parquet) into frames with canonical columns.

Values are not checked here (that is :mod:`roiclock.validate`): each frame keeps what the file
holds under canonical names, plus ``line``, the row's line number in the file (header = 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .schema import COLUMNS, FIRST_DATA_LINE, REQUIRED, InputError

PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass(frozen=True)
class RawInputs:
    """The three inputs as read, before validation. ``touches`` is None when not given."""

    spend: pd.DataFrame
    deals: pd.DataFrame
    touches: pd.DataFrame | None
    files: dict[str, str]


def _read_arrow(path: Path) -> pa.Table:
    if not path.is_file():
        raise InputError("file not found", file=str(path))
    try:
        if path.suffix.lower() in PARQUET_SUFFIXES:
            return pq.read_table(path)
        return pacsv.read_csv(
            path, convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read file: {first}", file=str(path)) from None


def _match_columns(names: list[str], kind: str, mapping: dict[str, str], file: str
                   ) -> dict[str, str]:
    """Return {file column: canonical column} for the canonical columns found."""
    by_folded = {name.strip().casefold(): name for name in names}
    found: dict[str, str] = {}
    for canonical in COLUMNS[kind]:
        wanted = mapping.get(canonical, canonical)
        source = by_folded.get(str(wanted).strip().casefold())
        if source is None:
            if canonical in mapping:
                raise InputError(f"mapped column '{wanted}' (for {canonical}) not found; "
                                 f"columns are: {', '.join(names)}", file=file)
            continue
        found[source] = canonical
    missing = [c for c in REQUIRED[kind] if c not in found.values()]
    if missing:
        raise InputError(f"missing column '{missing[0]}' (columns are: {', '.join(names)}; "
                         f"map other names in the config's columns.{kind})", file=file)
    return found


def read_table(path: str | Path, kind: str, mapping: dict[str, str] | None = None
               ) -> pd.DataFrame:
    """Read one input file of ``kind`` (spend, deals, touches) with canonical column names."""
    path = Path(path)
    table = _read_arrow(path)
    found = _match_columns(table.column_names, kind, mapping or {}, str(path))
    table = table.select(list(found)).rename_columns([found[n] for n in found])
    for i, name in enumerate(table.column_names):
        if COLUMNS[kind][name] == "text" and table.schema.field(i).type != pa.string():
            # ids read as numbers must compare equal across files: "17", never "17.0"
            table = table.set_column(i, name, table.column(i).cast(pa.string()))
    frame = table.to_pandas()
    frame.insert(0, "line", pd.RangeIndex(FIRST_DATA_LINE, FIRST_DATA_LINE + len(frame)))
    return frame


def read_inputs(spend: str | Path, deals: str | Path, touches: str | Path | None = None,
                columns: dict[str, dict[str, str]] | None = None) -> RawInputs:
    """Read the spend, deals and (optional) touches files."""
    columns = columns or {}
    files = {"spend": str(spend), "deals": str(deals)}
    frames = {kind: read_table(path, kind, columns.get(kind)) for kind, path in files.items()}
    touch_frame = None
    if touches is not None:
        files["touches"] = str(touches)
        touch_frame = read_table(touches, "touches", columns.get("touches"))
    return RawInputs(frames["spend"], frames["deals"], touch_frame, files)
