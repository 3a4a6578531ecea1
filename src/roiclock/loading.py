"""Read spend, deals and touches files (CSV or Parquet) into frames with canonical columns.

CSV files are scanned whole first (one streaming pass, 16 MB at a time): the encoding is UTF-8
(with or without BOM) when every byte of the file is, else Windows-1252 when the file holds no
UTF-8 sequence at all (a file mixing both is an error naming the line); a NUL byte anywhere is
binary content; the pass also counts the physical lines. The header then gives the delimiter
(',', ';' or tab: the one that splits it into the most columns) and the columns to read
(matched after Unicode normalization, ignoring case and surrounding spaces; two header cells
matching one column is an error). pyarrow reads only those columns, all as text (ids keep
their leading zeros; dates and amounts are typed by :mod:`roiclock.parse`, which never
guesses a decimal mark or a time zone).

Every row keeps the physical line it starts on (the header is line 1; blank lines and values
running over several lines counted): when the file has exactly one line per row, row i is line
i + 2 and nothing is stored; otherwise the lines are found with Python's csv reader. A value
running over several lines is an error in a column that is read (it is almost always a quote
left open) and counted in a note elsewhere; a quote still open at the end of the file is an
error. Messages name the file, the line and at most one cell, never a whole row.

Values are not checked here (that is :mod:`roiclock.validation`): each frame keeps what the file
holds under canonical names, on a RangeIndex.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import difflib
import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .parse import identifier
from .schema import COLUMNS, FIRST_DATA_LINE, PARQUET_SUFFIXES, REQUIRED, InputError, shown

DELIMITERS = (",", ";", "\t")
HEADER_BYTES = 1 << 24
CHUNK_BYTES = 1 << 24
# Text columns are read dictionary-encoded: pandas categoricals, so ids and names are hashed
# once per distinct value, not once per row.
TEXT = pa.dictionary(pa.int32(), pa.string())
# Cells read as missing. Unlike pyarrow's defaults, "NaN", "nan" and "inf" are not here: in an
# amount column they are read as text and rejected as not numbers, never taken as empty.
NULL_VALUES = ["", "NA", "N/A", "n/a", "NULL", "null", "None", "#N/A"]
# a UTF-8 sequence of two to four bytes: its presence in a file that is not valid UTF-8 means
# two encodings are mixed
UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
                           rb"|[\xf0-\xf4][\x80-\xbf]{3}")
NOT_CP1252 = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")  # bytes Windows-1252 leaves undefined
# Arrow types a mapped Parquet column may have, by kind of column (the usual one first: an
# error names them in this order)
PARQUET_TYPES = {
    "text": ("string", "dictionary", "integer"),
    "id": ("string", "dictionary", "integer"),
    "date": ("date", "timestamp", "string", "dictionary"),
    "money": ("floating", "decimal", "integer", "string", "dictionary"),
    "fraction": ("floating", "decimal", "integer", "string", "dictionary"),
}
# how an error names each of those types
PARQUET_WORDS = {"string": "text", "dictionary": "text", "integer": "integers",
                 "floating": "numbers", "decimal": "numbers", "date": "dates",
                 "timestamp": "dates"}


def parquet_expected(how: str) -> str:
    """What a Parquet column of kind ``how`` may hold, in words: 'dates or text'."""
    words = list(dict.fromkeys(PARQUET_WORDS[t] for t in PARQUET_TYPES[how]))
    if "numbers" in words:  # integers are numbers too
        words.remove("integers")
    return ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]


@dataclass(frozen=True)
class RawInputs:
    """The three inputs as read, before validation. ``spend`` and ``touches`` are None when
    not given. ``delimiters`` holds each CSV file's delimiter; ``lines`` each file's row ->
    line (see :func:`read_table`); ``notes`` what was read but is worth saying (values over
    several lines in columns not read)."""

    spend: pd.DataFrame | None
    deals: pd.DataFrame
    touches: pd.DataFrame | None
    files: dict[str, str]
    delimiters: dict[str, str] = field(default_factory=dict)
    lines: dict[str, np.ndarray | int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sniffed:
    encoding: str
    delimiter: str
    header: list[str]
    lines: int = 0  # physical lines up to the last one holding anything
    quotes: bool = True  # the file holds a '"' (a value may run over several lines)


@dataclass(frozen=True)
class Scan:
    """What one pass over the whole file tells: its encoding, how many physical lines hold
    something (trailing blank lines not counted) and whether it holds a quote character."""

    encoding: str
    lines: int
    quotes: bool


def _line_of(chunks_lines: int, chunk: bytes, offset: int) -> int:
    return chunks_lines + chunk.count(b"\n", 0, offset) + 1


def scan(path: Path) -> Scan:
    """One streaming pass over the file: encoding, line count, quotes; an error for an empty
    file, binary content (a NUL byte) or undecidable encoding."""
    lines_before = 0  # '\n' seen in earlier chunks
    terminators = 0
    quotes = False  # a '"' after the header: a value may run over several lines
    in_header = True
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_error: int | None = None  # line of the first byte that is not UTF-8
    utf8_seen = False  # a multi-byte UTF-8 sequence was seen
    cp1252_error: int | None = None
    content = False
    last_cr = False
    trailing = 0  # line terminators in the run of newlines ending the file
    with path.open("rb") as handle:
        first = True
        while True:
            chunk = handle.read(CHUNK_BYTES)
            if not chunk:
                break
            if first and chunk.startswith(codecs.BOM_UTF8):
                chunk = chunk[len(codecs.BOM_UTF8):]
            first = False
            nul = chunk.find(b"\x00")
            if nul >= 0:
                raise InputError("not a text file (binary content); expected CSV or Parquet",
                                 file=str(path), row=_line_of(lines_before, chunk, nul))
            if not chunk.isascii():
                if utf8_error is None:
                    try:
                        utf8.decode(chunk, final=False)
                    except UnicodeDecodeError as exc:
                        utf8_error = _line_of(lines_before, chunk, exc.start)
                if not utf8_seen and UTF8_SEQUENCE.search(chunk):
                    utf8_seen = True
                if cp1252_error is None:
                    bad = NOT_CP1252.search(chunk)
                    if bad:
                        cp1252_error = _line_of(lines_before, chunk, bad.start())
            body = chunk
            if in_header:  # a quoted header cannot hold a line break (refused in _header)
                ends = [i for i in (chunk.find(b"\n"), chunk.find(b"\r")) if i >= 0]
                in_header = not ends
                body = chunk[min(ends) + 1:] if ends else b""
            quotes = quotes or b'"' in body
            lf = chunk.count(b"\n")
            cr = chunk.count(b"\r") if b"\r" in chunk else 0  # most files have none: skip
            crlf = chunk.count(b"\r\n") if cr else 0
            if last_cr and chunk.startswith(b"\n"):
                crlf += 1  # a CRLF split between two chunks
            terminators += lf + cr - crlf
            lines_before += lf
            last_cr = chunk.endswith(b"\r")
            end = len(chunk)
            while end and chunk[end - 1] in b"\r\n":  # the newlines ending the chunk
                end -= 1
            tail = chunk[end:]
            tail_terms = tail.count(b"\n") + tail.count(b"\r") - tail.count(b"\r\n")
            if not content and chunk[:end].strip():
                content = True
            trailing = trailing + tail_terms if not end else tail_terms
    if not content:
        raise InputError("the file is empty", file=str(path))
    try:
        utf8.decode(b"", final=True)
    except UnicodeDecodeError:
        utf8_error = utf8_error or lines_before + 1
    if utf8_error is None:
        encoding = "utf-8"
    elif utf8_seen:
        raise InputError("mixes UTF-8 and another encoding (this line is not UTF-8); save "
                         "the file as UTF-8", file=str(path), row=utf8_error)
    elif cp1252_error is not None:
        raise InputError("neither UTF-8 nor Windows-1252 text; save the file as UTF-8",
                         file=str(path), row=cp1252_error)
    else:
        encoding = "cp1252"
    # lines holding something: every terminated line, plus an unterminated last one, less
    # the blank lines that end the file
    ends_open = trailing == 0
    lines = terminators + (1 if ends_open else 0) - max(trailing - 1, 0)
    return Scan(encoding, lines, quotes)


def _header(path: Path, encoding: str) -> tuple[str, list[str]]:
    """The delimiter and the header cells, from the first line of the file."""
    with path.open("rb") as handle:
        head = handle.readline(HEADER_BYTES)  # the whole first line (100k columns included)
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    lines = text.splitlines()
    first = lines[0] if lines else ""
    if not first.strip():
        raise InputError("the first line is blank: expected the header there", file=str(path),
                         row=1)
    with _big_fields():
        best = max(DELIMITERS, key=lambda d: len(next(csv.reader([first], delimiter=d), [])))
        header = next(csv.reader([first], delimiter=best), [])
    if first.count('"') % 2:
        raise InputError("the header runs over several lines (a quote left open?)",
                         file=str(path), row=1)
    return best, header


def sniff(path: Path) -> Sniffed:
    """Encoding, delimiter and header of a CSV file; an error for empty or binary files."""
    found = scan(path)
    delimiter, header = _header(path, found.encoding)
    return Sniffed(found.encoding, delimiter, header, found.lines, found.quotes)


def _closest(wanted: str, names: list[str]) -> str:
    """'; closest: 'X'' for the header cell nearest to ``wanted`` (one cell, cut short), or
    ''. The header itself is never listed: a file without one would show its first row."""
    folded = {identifier(name).casefold(): name for name in names}
    near = difflib.get_close_matches(wanted.casefold(), list(folded), n=1, cutoff=0.6)
    return f"; the closest is '{shown(folded[near[0]], 30)}'" if near else ""


def _match_columns(names: list[str], kind: str, mapping: dict[str, str], file: str
                   ) -> dict[int, str]:
    """Return {position in the header: canonical column} for the canonical columns found.
    Names match after Unicode normalization, ignoring case and surrounding spaces; two header
    cells matching one column, or one cell mapped to two columns, is an error."""
    header = None if file.lower().endswith(PARQUET_SUFFIXES) else 1  # the header's line
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        positions.setdefault(identifier(name).casefold(), []).append(i)
    found: dict[int, str] = {}
    for canonical in COLUMNS[kind]:
        wanted = str(mapping.get(canonical, canonical))
        where = positions.get(identifier(wanted).casefold())
        if where is None and canonical in mapping:
            where = positions.get(canonical)  # the export may already use canonical names
        if where is None:
            if canonical in mapping and canonical in REQUIRED[kind]:
                raise InputError(f"mapped column '{shown(wanted, 40)}' (for {canonical}) not "
                                 f"found in the header{_closest(wanted, names)}", file=file)
            continue
        if len(where) > 1:
            raise InputError(f"columns {where[0] + 1} and {where[1] + 1} of the header are "
                             f"both '{shown(names[where[0]], 30)}' (read as {canonical}): "
                             "rename or remove one", file=file, row=header)
        if where[0] in found:
            raise InputError(f"column '{shown(names[where[0]], 30)}' is mapped to both "
                             f"{found[where[0]]} and {canonical}", file=file, row=header)
        found[where[0]] = canonical
    missing = [c for c in REQUIRED[kind] if c not in found.values()]
    if missing:
        raise InputError(f"missing column '{missing[0]}' (no header cell is named so"
                         f"{_closest(mapping.get(missing[0], missing[0]), names)}; map other "
                         f"names in the config's columns.{kind} or use --preset)", file=file)
    return found


def _first_line(exc: Exception, limit: int = 120) -> str:
    """The first line of an error's text, cut short: pyarrow quotes whole rows in some
    messages, which must not reach the user (privacy)."""
    text = str(exc).strip()
    text = text.splitlines()[0] if text else type(exc).__name__
    return text if len(text) <= limit else text[:limit] + "…"


@contextlib.contextmanager
def _big_fields() -> Iterator[None]:
    """Python's csv reader without its 128 KB limit on one field (a value left open may run
    to the end of the file: it must be read to be reported)."""
    limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        yield
    finally:
        csv.field_size_limit(limit)


def _records(path: Path, encoding: str, delimiter: str) -> Iterator[tuple[int, int, list[str]]]:
    """(first line, last line, cells) of every non-blank record after the header, read with
    Python's csv module (the same quoting rules as pyarrow's)."""
    with _big_fields(), path.open("r", encoding="utf-8-sig" if encoding == "utf-8"
                                  else encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        previous = 0
        for cells in reader:
            start, previous = previous + 1, reader.line_num
            if start == 1:
                continue  # the header
            if cells:
                yield start, reader.line_num, cells


def _ragged(path: Path, sniffed: Sniffed) -> InputError:
    """The error for a row that does not split into the header's columns, at its line."""
    width = len(sniffed.header)
    for start, end, cells in _records(path, sniffed.encoding, sniffed.delimiter):
        if len(cells) != width:
            values = "1 value" if len(cells) == 1 else f"{len(cells)} values"
            if end > start:
                return InputError(f"a quoted value runs from this line to line {end}, leaving "
                                  f"{values} where the header has {width} columns (a quote "
                                  "left open?)", file=str(path), row=start)
            if _unclosed_at_end(path, sniffed, start):
                return InputError("a quote opened on this line is never closed",
                                  file=str(path), row=start)
            return InputError(f"{values} where the header has {width} columns (a delimiter "
                              "inside an unquoted value, or one missing?)", file=str(path),
                              row=start)
    return InputError("rows do not split into the header's columns", file=str(path))


def _unclosed_at_end(path: Path, sniffed: Sniffed, start: int) -> bool:
    """True when the record starting at line ``start`` runs to the end of the file inside a
    quote."""
    with path.open("r", encoding="utf-8-sig" if sniffed.encoding == "utf-8"
                   else sniffed.encoding, newline="") as handle:
        for _ in range(start - 1):
            handle.readline()
        rest = handle.read()
    try:
        with _big_fields():
            list(csv.reader(io.StringIO(rest, newline=""), delimiter=sniffed.delimiter,
                            strict=True))
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


DATE_LIKE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}")


def _row_shaped(line: str, sniffed: Sniffed, found: dict[int, str], kind: str) -> bool:
    """True when a line inside a quoted value looks like a row of the file: the header's
    number of cells, and a date in every date column read (a note that merely holds commas
    does not)."""
    cells = next(csv.reader([line], delimiter=sniffed.delimiter), [])
    if len(cells) != len(sniffed.header):
        return False
    dates = [cells[i].strip() for i, c in found.items() if COLUMNS[kind][c] == "date"]
    return any(dates) and all(DATE_LIKE.match(d) for d in dates if d)


def _line_map(path: Path, sniffed: Sniffed, found: dict[int, str], rows: int, kind: str
              ) -> tuple[np.ndarray, str | None]:
    """The line each row starts on, for a file that does not hold one row per line (blank
    lines, values over several lines). Returns the lines and a note about values over
    several lines in columns not read. Errors: such a value in a column that is read, or a
    quote open at the end of the file."""
    starts = np.empty(rows, dtype="int64")
    spanning, first_spanning, count, last = 0, 0, 0, (0, 0)
    for start, end, cells in _records(path, sniffed.encoding, sniffed.delimiter):
        if count < rows:
            starts[count] = start
        count += 1
        last = (start, end)
        if end == start:
            continue
        for position, canonical in found.items():
            cell = cells[position] if position < len(cells) else ""
            if "\n" in cell or "\r" in cell:
                raise InputError(f"a value runs from line {start} to line {end} (a quote "
                                 "left open?)", file=str(path), row=start, column=canonical)
        for cell in cells:
            if ("\n" in cell or "\r" in cell) and any(
                    _row_shaped(line, sniffed, found, kind) for line in cell.splitlines()[1:]):
                raise InputError(f"a quote opened on this line seems to swallow the rows up "
                                 f"to line {end}: close it", file=str(path), row=start)
        spanning += 1
        first_spanning = first_spanning or start
    if count != rows:
        raise InputError(f"cannot tell the rows apart ({rows:,} read by pyarrow, {count:,} by "
                         "Python's csv reader)", file=str(path))
    if last[1] > last[0] and _unclosed_at_end(path, sniffed, last[0]):
        raise InputError("a quote opened on this line is never closed", file=str(path),
                         row=last[0])
    note = None
    if spanning:
        rows_hold = "1 row holds" if spanning == 1 else f"{spanning:,} rows hold"
        note = (f"{path}: {rows_hold} a value running over several lines in a column not "
                f"read (first at line {first_spanning}); each counts as one row")
    return starts, note


def _read_csv(path: Path, kind: str, mapping: dict[str, str]
              ) -> tuple[pa.Table, dict[str, str], str, np.ndarray | int, str | None]:
    sniffed = sniff(path)
    found = _match_columns(sniffed.header, kind, mapping, str(path))
    # columns get their position as name: header cells may repeat, be empty or look alike
    names = [f"c{i}" for i in range(len(sniffed.header))]
    # text as text; amounts as text too (pyarrow would read '12.345' as a decimal, which
    # roiclock.parse refuses to guess); dates typed by pyarrow when they are plain ISO dates.
    # Large strings: pandas keeps its text in that type, so it takes them without a copy
    types = {names[i]: TEXT if COLUMNS[kind][canonical] == "text" else pa.large_string()
             for i, canonical in found.items() if COLUMNS[kind][canonical] != "date"}
    include = [names[i] for i in found]
    table = _pyarrow_csv(path, sniffed, names, include, types)
    zoned = [name for name in include if pa.types.is_timestamp(table.column(name).type)
             and table.column(name).type.tz is not None]
    if zoned:
        # times with a UTC offset: pyarrow moves them to UTC, which can change the calendar
        # date; read those columns again as text, to keep the date as written
        again = _pyarrow_csv(path, sniffed, names, zoned, {n: pa.large_string() for n in zoned})
        for name in zoned:
            table = table.set_column(table.column_names.index(name), name, again.column(name))
    by_name = {names[i]: canonical for i, canonical in found.items()}
    lines: np.ndarray | int = FIRST_DATA_LINE
    note = None
    if sniffed.lines != table.num_rows + 1:
        lines, note = _line_map(path, sniffed, found, table.num_rows, kind)
    return table, by_name, sniffed.delimiter, lines, note


def _pyarrow_csv(path: Path, sniffed: Sniffed, names: list[str], include: list[str],
                 types: dict) -> pa.Table:
    read = pacsv.ReadOptions(encoding=sniffed.encoding, skip_rows=1, column_names=names)
    parse = pacsv.ParseOptions(delimiter=sniffed.delimiter, newlines_in_values=sniffed.quotes)
    convert = pacsv.ConvertOptions(strings_can_be_null=True, null_values=NULL_VALUES,
                                   include_columns=include, column_types=types)
    try:
        table = None
        if not sniffed.quotes and path.stat().st_size > 2 * PIECE_BYTES:
            table = _in_pieces(path, read, parse, convert)
        return table if table is not None else pacsv.read_csv(
            path, read_options=read, parse_options=parse, convert_options=convert)
    except MemoryError:
        raise
    except pa.ArrowException as exc:
        if _out_of_memory(exc):
            raise MemoryError(str(exc)) from None
        if not isinstance(exc, pa.ArrowInvalid) or "columns, got" not in str(exc):
            raise InputError(f"cannot read as CSV: {_first_line(exc)}", file=str(path)) \
                from None
        raise _ragged(path, sniffed) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read as CSV: {_first_line(exc)}", file=str(path)) from None


# Unquoted CSV files are read in pieces of about this size, cut at line ends: pyarrow's
# reader holds ~3 times what it reads until it returns (10M touches: 820 MB at its peak for a
# 243 MB table, ~440-520 MB in pieces of 32-64 MB, each piece on every core)
PIECE_BYTES = 1 << 26


def _in_pieces(path: Path, read: pacsv.ReadOptions, parse: pacsv.ParseOptions,
               convert: pacsv.ConvertOptions) -> pa.Table | None:
    """The rows after the header read piece by piece (no value runs over lines: the file has
    no quote, so every line end ends a row; utf-8 and cp1252 keep b"\n" a line end). None
    when the header does not end with a line feed (or ends at a lone CR), when a piece's
    inferred types differ from the first one's (a date column written two ways: known at
    that piece) or when no row holds anything: the whole file is then read at once."""
    pieces: list[pa.Table] = []
    with path.open("rb") as handle:
        header = handle.readline(HEADER_BYTES)
        ending = 2 if header.endswith(b"\r\n") else 1
        if not header.endswith(b"\n") or b"\r" in header[:-ending]:
            return None  # the header ends at a lone CR (pyarrow's row, not readline's line)
        options = pacsv.ReadOptions(encoding=read.encoding, column_names=read.column_names)
        while text := handle.read(PIECE_BYTES):
            text += handle.readline()  # up to the end of the line under way
            piece = pacsv.read_csv(pa.BufferReader(pa.py_buffer(text)), read_options=options,
                                   parse_options=parse, convert_options=convert)
            del text
            if not piece.num_rows:  # blank lines only
                continue
            if pieces and piece.schema != pieces[0].schema:
                return None
            pieces.append(piece)
    return pa.concat_tables(pieces) if pieces else None


def _out_of_memory(exc: Exception) -> bool:
    """An Arrow error that is really the machine running out of memory or threads."""
    text = str(exc)
    return "Out of memory" in text or "Failed to launch worker thread" in text \
        or "realloc of size" in text


def _parquet_kind(column_type: pa.DataType) -> str:
    if pa.types.is_string(column_type) or pa.types.is_large_string(column_type):
        return "string"
    if pa.types.is_dictionary(column_type):
        return "dictionary" if (pa.types.is_string(column_type.value_type)
                                or pa.types.is_large_string(column_type.value_type)) else "?"
    for name in ("integer", "floating", "decimal", "date", "timestamp", "null"):
        if getattr(pa.types, f"is_{name}")(column_type):
            return name
    return "?"


def _read_parquet(path: Path, kind: str, mapping: dict[str, str]
                  ) -> tuple[pa.Table, dict[str, str], str, np.ndarray | int, str | None]:
    import pyarrow.parquet as pq  # here, not at the top: a CSV run does not pay its import (~10 ms)

    try:
        schema = pq.read_schema(path)
    except MemoryError:
        raise
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"cannot read as Parquet: {_first_line(exc)}", file=str(path)) from None
    found = _match_columns(schema.names, kind, mapping, str(path))
    for position, canonical in found.items():
        column_type = schema.field(position).type
        how = COLUMNS[kind][canonical]
        if _parquet_kind(column_type) not in (*PARQUET_TYPES[how], "null"):
            raise InputError(f"the column holds {shown(str(column_type), 40)} values: expected "
                             f"{parquet_expected(how)}", file=str(path), column=canonical)
    try:
        table = pq.read_table(path, columns=[schema.names[i] for i in found])
    except MemoryError:
        raise
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"cannot read as Parquet: {_first_line(exc)}", file=str(path)) from None
    table = table.rename_columns([f"c{i}" for i in found])
    return table, {f"c{i}": c for i, c in found.items()}, "", 1, None


def read_table(path: str | Path, kind: str, mapping: dict[str, str] | None = None,
               details: bool = False):
    """Read one input file of ``kind`` (spend, deals, touches) with canonical column names.

    Returns the frame and the CSV delimiter ('' for Parquet); with ``details``, also where
    each row starts (an array of lines, or the line of row 0 when rows follow lines one to
    one; for Parquet, 1: row numbers) and a note (or None)."""
    path = Path(path)
    if str(path) in ("", "."):
        raise InputError("the path is empty", file=str(path))
    if path.is_dir():
        raise InputError("is a directory, not a file", file=str(path))
    if not path.exists():
        raise InputError("file not found", file=str(path))
    if not path.is_file():  # read twice (a scan, then pyarrow): a pipe would be empty again
        raise InputError("not a regular file (a pipe or a device): save it to a file first",
                         file=str(path))
    reader = _read_parquet if path.suffix.lower() in PARQUET_SUFFIXES else _read_csv
    try:
        table, found, delimiter, lines, note = reader(path, kind, mapping or {})
    except MemoryError:
        raise
    except OSError as exc:  # permission denied, an I/O error: the file cannot be read
        raise InputError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
    table = table.rename_columns([found[n] for n in table.column_names])
    for i, name in enumerate(table.column_names):
        column, how = table.column(i), COLUMNS[kind][name]
        if how == "text" and column.type != TEXT:
            # ids read as numbers must compare equal across files: "17", never "17.0"
            if not pa.types.is_dictionary(column.type):
                column = pc.dictionary_encode(column.cast(pa.string()))
            table = table.set_column(i, name, column.cast(TEXT))
        elif how == "id" and column.type != pa.large_string():
            table = table.set_column(i, name, column.cast(pa.large_string()))
        elif pa.types.is_date(column.type):
            table = table.set_column(i, name, column.cast(pa.timestamp("s")))
        elif pa.types.is_floating(column.type) and pc.any(pc.is_nan(column)).as_py():
            # a NaN that was written in the file must not pass for an empty cell
            table = table.set_column(i, name, column.cast(pa.large_string()))
    if table.num_rows == 0:
        raise InputError("no data rows (the file has only a header)", file=str(path),
                         row=FIRST_DATA_LINE)
    frame = table.to_pandas()
    return (frame, delimiter, lines, note) if details else (frame, delimiter)


def read_inputs(spend: str | Path | None, deals: str | Path, touches: str | Path | None = None,
                columns: dict[str, dict[str, str]] | None = None) -> RawInputs:
    """Read the deals and (optional) spend and touches files."""
    columns = columns or {}
    given = {"spend": spend, "deals": deals, "touches": touches}
    files = {kind: str(path) for kind, path in given.items() if path is not None}
    frames, delimiters, lines, notes = {}, {}, {}, []
    for kind, path in files.items():
        frames[kind], delimiters[kind], lines[kind], note = read_table(
            path, kind, columns.get(kind), details=True)
        if note:
            notes.append(note)
    return RawInputs(frames.get("spend"), frames["deals"], frames.get("touches"), files,
                     delimiters, lines, tuple(notes))
