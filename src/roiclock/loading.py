"""Read spend, deals and touches files (CSV or Parquet) into frames with canonical columns.

CSV files are sniffed first: encoding (UTF-8 with or without BOM, else cp1252), delimiter
(',', ';' or tab: the one that splits the header into the most columns) and the header, so
only the mapped columns are read, text columns as text (ids keep their leading zeros). pyarrow
then reads the file and types clean date and number columns itself; a column it cannot type
stays text for :mod:`roiclock.parse`.

Values are not checked here (that is :mod:`roiclock.validate`): each frame keeps what the file
holds under canonical names, on a RangeIndex: the row at position i is line i + 2 of the file
(the header is line 1).
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .schema import COLUMNS, FIRST_DATA_LINE, REQUIRED, InputError

PARQUET_SUFFIXES = (".parquet", ".pq")
DELIMITERS = (",", ";", "\t")
SNIFF_BYTES = 1 << 16
# Text columns are read dictionary-encoded: pandas categoricals, so ids and names are hashed
# once per distinct value, not once per row.
TEXT = pa.dictionary(pa.int32(), pa.string())
# Cells read as missing. Unlike pyarrow's defaults, "NaN", "nan" and "inf" are not here: in an
# amount column they are read as numbers and rejected as not finite, never taken as empty.
NULL_VALUES = ["", "NA", "N/A", "n/a", "NULL", "null", "None", "#N/A"]


@dataclass(frozen=True)
class RawInputs:
    """The three inputs as read, before validation. ``spend`` and ``touches`` are None when
    not given.
    ``delimiters`` holds each CSV file's delimiter (a hint for the decimal mark)."""

    spend: pd.DataFrame | None
    deals: pd.DataFrame
    touches: pd.DataFrame | None
    files: dict[str, str]
    delimiters: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sniffed:
    encoding: str
    delimiter: str
    header: list[str]


def sniff(path: Path) -> Sniffed:
    """Encoding, delimiter and header of a CSV file; an error for empty or binary files."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip():
        raise InputError("the file is empty", file=str(path))
    if b"\x00" in head:
        raise InputError("not a text file (binary content); expected CSV or Parquet",
                         file=str(path))
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        encoding = "utf-8"
    except UnicodeDecodeError:
        text, encoding = head.decode("cp1252", errors="replace"), "cp1252"
    first = text.splitlines()[0] if text.splitlines() else ""
    best = max(DELIMITERS, key=lambda d: len(next(csv.reader([first], delimiter=d), [])))
    header = next(csv.reader([first], delimiter=best), [])
    return Sniffed(encoding, best, header)


def _match_columns(names: list[str], kind: str, mapping: dict[str, str], file: str
                   ) -> dict[str, str]:
    """Return {file column: canonical column} for the canonical columns found."""
    by_folded = {name.strip().casefold(): name for name in names}
    found: dict[str, str] = {}
    for canonical in COLUMNS[kind]:
        wanted = mapping.get(canonical, canonical)
        source = by_folded.get(str(wanted).strip().casefold())
        if source is None and canonical in mapping:
            source = by_folded.get(canonical)  # the export may already use canonical names
        if source is None:
            if canonical in mapping and canonical in REQUIRED[kind]:
                raise InputError(f"mapped column '{wanted}' (for {canonical}) not found; "
                                 f"columns are: {', '.join(names)}", file=file)
            continue
        found[source] = canonical
    missing = [c for c in REQUIRED[kind] if c not in found.values()]
    if missing:
        raise InputError(f"missing column '{missing[0]}' (columns are: {', '.join(names)}; "
                         f"map other names in the config's columns.{kind} or use --preset)",
                         file=file)
    return found


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _read_csv(path: Path, kind: str, mapping: dict[str, str]) -> tuple[pa.Table, dict, str]:
    sniffed = sniff(path)
    found = _match_columns(sniffed.header, kind, mapping, str(path))
    text = {name: TEXT if COLUMNS[kind][canonical] == "text" else pa.string()
            for name, canonical in found.items() if COLUMNS[kind][canonical] in ("text", "id")}
    try:
        table = pacsv.read_csv(
            path, read_options=pacsv.ReadOptions(encoding=sniffed.encoding),
            parse_options=pacsv.ParseOptions(delimiter=sniffed.delimiter),
            convert_options=pacsv.ConvertOptions(strings_can_be_null=True,
                                                 null_values=NULL_VALUES,
                                                 include_columns=list(found),
                                                 column_types=text))
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read as CSV: {_first_line(exc)}", file=str(path)) from None
    return table, found, sniffed.delimiter


def _read_parquet(path: Path, kind: str, mapping: dict[str, str]) -> tuple[pa.Table, dict, str]:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"cannot read as Parquet: {_first_line(exc)}", file=str(path)) from None
    found = _match_columns(table.column_names, kind, mapping, str(path))
    return table.select(list(found)), found, ""


def read_table(path: str | Path, kind: str, mapping: dict[str, str] | None = None
               ) -> tuple[pd.DataFrame, str]:
    """Read one input file of ``kind`` (spend, deals, touches) with canonical column names.
    Returns the frame and the CSV delimiter ('' for Parquet)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=str(path))
    reader = _read_parquet if path.suffix.lower() in PARQUET_SUFFIXES else _read_csv
    table, found, delimiter = reader(path, kind, mapping or {})
    table = table.rename_columns([found[n] for n in table.column_names])
    for i, name in enumerate(table.column_names):
        column, how = table.column(i), COLUMNS[kind][name]
        if how == "text" and column.type != TEXT:
            # ids read as numbers must compare equal across files: "17", never "17.0"
            if not pa.types.is_dictionary(column.type):
                column = pc.dictionary_encode(column.cast(pa.string()))
            table = table.set_column(i, name, column.cast(TEXT))
        elif how == "id" and column.type != pa.string():
            table = table.set_column(i, name, column.cast(pa.string()))
        elif pa.types.is_date(column.type):
            table = table.set_column(i, name, column.cast(pa.timestamp("s")))
        elif pa.types.is_floating(column.type) and pc.any(pc.is_nan(column)).as_py():
            # a NaN that was written in the file must not pass for an empty cell
            table = table.set_column(i, name, column.cast(pa.string()))
    if table.num_rows == 0:
        raise InputError("no data rows (the file has only a header)", file=str(path),
                         row=FIRST_DATA_LINE)
    return table.to_pandas(), delimiter


def read_inputs(spend: str | Path | None, deals: str | Path, touches: str | Path | None = None,
                columns: dict[str, dict[str, str]] | None = None) -> RawInputs:
    """Read the deals and (optional) spend and touches files."""
    columns = columns or {}
    given = {"spend": spend, "deals": deals, "touches": touches}
    files = {kind: str(path) for kind, path in given.items() if path is not None}
    frames, delimiters = {}, {}
    for kind, path in files.items():
        frames[kind], delimiters[kind] = read_table(path, kind, columns.get(kind))
    return RawInputs(frames.get("spend"), frames["deals"], frames.get("touches"), files,
                     delimiters)
