"""Reading files on their own: sniffing, column mapping and typing (roiclock.loading)."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from roiclock import InputError
from roiclock.loading import read_table, sniff


def raw(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("data,encoding,delimiter", [
    (b"campaign,date,amount\nA,2024-01-01,1\n", "utf-8", ","),
    (b"\xef\xbb\xbfcampaign;date;amount\nA;2024-01-01;1\n", "utf-8", ";"),
    (b"campaign\tdate\tamount\nCaf\xe9\t2024-01-01\t1\n", "cp1252", "\t"),
])
def test_sniff_encoding_and_delimiter(tmp_path, data, encoding, delimiter):
    sniffed = sniff(raw(tmp_path, "s.csv", data))
    assert (sniffed.encoding, sniffed.delimiter) == (encoding, delimiter)
    assert sniffed.header == ["campaign", "date", "amount"]


def test_columns_matched_ignoring_case_and_spaces(tmp_path):
    path = raw(tmp_path, "s.csv", b" Campaign ,DATE,Amount,notes\nA,2024-01-01,1,x\n")
    frame, delimiter = read_table(path, "spend")
    assert list(frame.columns) == ["campaign", "date", "amount"] and delimiter == ","


def test_mapped_columns(tmp_path):
    path = raw(tmp_path, "d.csv", b"Opp,Closed,Value\n007,2024-01-01,5\n")
    frame, _ = read_table(path, "deals", {"deal_id": "Opp", "close_date": "Closed",
                                          "amount": "Value"})
    assert frame["deal_id"].tolist() == ["007"]  # ids stay text: leading zeros kept


def test_missing_column_names_the_file(tmp_path):
    path = raw(tmp_path, "s.csv", b"campaign,amount\nA,1\n")
    with pytest.raises(InputError, match="missing column 'date'") as info:
        read_table(path, "spend")
    assert str(info.value).startswith(str(path))


@pytest.mark.parametrize("data,expected", [
    (b"", "the file is empty"), (b"campaign,date,amount\n", "no data rows"),
    (b"PK\x03\x04\x00\x00binary", "not a text file"),
])
def test_whole_file_problems(tmp_path, data, expected):
    with pytest.raises(InputError, match=expected):
        read_table(raw(tmp_path, "s.csv", data), "spend")


def test_a_written_nan_is_not_an_empty_cell(tmp_path):
    frame, _ = read_table(raw(tmp_path, "s.csv", b"campaign,date,amount\nA,2024-01-01,NaN\n"
                                                 b"B,2024-01-01,\n"), "spend")
    assert str(frame["amount"].iloc[0]).lower() == "nan" and pd.isna(frame["amount"].iloc[1])


def test_text_columns_are_categorical(tmp_path):
    frame, _ = read_table(raw(tmp_path, "s.csv", b"campaign,date,amount\nA,2024-01-01,1\n"),
                          "spend")
    assert isinstance(frame["campaign"].dtype, pd.CategoricalDtype)


def test_parquet_selects_and_types(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"deal_id": [17, 18], "campaign": ["A", "B"],
                             "touch_date": pa.array([19723, 19724], pa.date32()),
                             "extra": ["x", "y"]}), path)
    frame, delimiter = read_table(path, "touches")
    assert list(frame.columns) == ["deal_id", "campaign", "touch_date"] and delimiter == ""
    assert frame["deal_id"].tolist() == ["17", "18"]  # numeric ids compare as text
    assert str(frame["touch_date"].dtype).startswith("datetime64")


@pytest.mark.parametrize("data, quotes", [
    (b'"deal_id","stage"\nD1,won\nD2,lost\n', False),   # quoted header only: rows are plain
    (b'"deal_id","stage"\rD1,won\r', False),            # the same with old Mac line ends
    (b'deal_id,stage\n"D1",won\n', True),               # a quoted value after the header
    (b'deal_id,stage\n"D1\nstill D1",won\n', True),     # a value over two lines
])
def test_only_quotes_after_the_header_ask_for_multi_line_parsing(tmp_path, data, quotes):
    # pyarrow's newlines_in_values is ~30% slower at 10M rows: a quoted header (common in
    # exports) must not switch it on; a quote in any row must
    path = tmp_path / "deals.csv"
    path.write_bytes(data)
    assert sniff(path).quotes is quotes


def test_a_quoted_header_still_reads_rows_over_several_lines(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_bytes(b'"deal_id","stage","close_date","amount","notes"\n'
                     b'D1,won,2024-01-05,10,"call\nback"\nD2,lost,2024-01-06,5,x\n')
    frame = read_table(path, "deals")[0]  # notes is not read: its line break is allowed
    assert frame["deal_id"].tolist() == ["D1", "D2"]


def _touch_rows(n: int, date=lambda i: f"2024-01-{i % 28 + 1:02d}", end=b"\n") -> bytes:
    return end.join(f"D{i % 7},C{i % 5},{date(i)}".encode() for i in range(n)) + end


@pytest.mark.parametrize("name, data", [
    ("plain", b"deal_id,campaign,touch_date\n" + _touch_rows(400)),
    ("crlf", b"deal_id,campaign,touch_date\r\n" + _touch_rows(400, end=b"\r\n")),
    ("no final newline", b"deal_id,campaign,touch_date\n" + _touch_rows(400)[:-1]),
    ("blank lines", b"deal_id,campaign,touch_date\n" + _touch_rows(200) + b"\n\n\n"
     + _touch_rows(200) + b"\n\n"),
    ("bom, utf-8 names, semicolons", b"\xef\xbb\xbfdeal_id;campaign;touch_date\n"
     + _touch_rows(300).replace(b",", b";").replace(b"C1", b"Caf\xc3\xa9")),
    ("cp1252", b"deal_id,campaign,touch_date\n" + _touch_rows(300).replace(b"C1", b"Caf\xe9")),
    # a date written another way far down: the pieces' types differ -> one whole read
    ("second date format", b"deal_id,campaign,touch_date\n" + _touch_rows(
        400, date=lambda i: "05/03/2024" if i == 390 else f"2024-01-{i % 28 + 1:02d}")),
    ("empty dates in a piece", b"deal_id,campaign,touch_date\n" + _touch_rows(
        400, date=lambda i: "" if 100 <= i < 300 else "2024-01-02")),
    ("timestamps", b"deal_id,campaign,touch_date\n" + _touch_rows(
        300, date=lambda i: f"2024-01-{i % 28 + 1:02d} 10:00:00")),
    ("old Mac header", b"deal_id,campaign,touch_date\r" + _touch_rows(300, end=b"\r")),
    # a header ending at a lone CR, rows at LF: readline's first line would hold a row
    ("CR header, LF rows", b"deal_id,campaign,touch_date\r" + _touch_rows(300)),
    ("CR then LF rows", b"deal_id,campaign,touch_date\n" + _touch_rows(100, end=b"\r")
     + _touch_rows(200)),
])
def test_large_unquoted_files_read_in_pieces_as_in_one(tmp_path, monkeypatch, name, data):
    # files over 2 x PIECE_BYTES without a quote are read piece by piece (less memory at
    # 10M rows): the frame, line map and note must be what one whole read gives
    path = raw(tmp_path, "touches.csv", data)
    whole = read_table(path, "touches", details=True)
    monkeypatch.setattr("roiclock.loading.PIECE_BYTES", 97)  # cuts fall mid-line
    pieces = read_table(path, "touches", details=True)
    pd.testing.assert_frame_equal(pieces[0], whole[0])
    assert (pieces[1], pieces[3]) == (whole[1], whole[3])  # delimiter, note
    assert np.array_equal(pieces[2], whole[2])  # where each row starts


@pytest.mark.parametrize("data", [
    b"deal_id,campaign,touch_date\n" + _touch_rows(300) + b"D9,C1,2024-01-01,extra\n"
    + _touch_rows(50),
    b"deal_id,campaign,touch_date\n" + _touch_rows(300) + b"D9\n" + _touch_rows(50),
])
def test_a_ragged_row_in_a_later_piece_is_named_as_in_one_read(tmp_path, monkeypatch, data):
    path = raw(tmp_path, "touches.csv", data)
    with pytest.raises(InputError) as whole:
        read_table(path, "touches")
    monkeypatch.setattr("roiclock.loading.PIECE_BYTES", 97)
    with pytest.raises(InputError) as pieces:
        read_table(path, "touches")
    assert str(pieces.value) == str(whole.value)
    assert pieces.value.row == 302  # the physical line: header, then 300 rows


def test_pieces_are_used_when_the_file_allows(tmp_path, monkeypatch):
    from roiclock import loading
    tables = []
    real = loading._in_pieces
    monkeypatch.setattr(loading, "_in_pieces", lambda *a: tables.append(real(*a)) or tables[-1])
    monkeypatch.setattr(loading, "PIECE_BYTES", 97)
    read_table(raw(tmp_path, "touches.csv", b"deal_id,campaign,touch_date\n" + _touch_rows(99)),
               "touches")
    assert len(tables) == 1 and tables[0].num_rows == 99  # read in pieces, not one whole read
    assert len(tables[0].column(0).chunks) > 5
    quoted = b'deal_id,campaign,touch_date\n"D1",C1,2024-01-01\n' + _touch_rows(99)
    read_table(raw(tmp_path, "quoted.csv", quoted), "touches")  # a quote: one whole read
    two_ways = b"deal_id,campaign,touch_date\n" + _touch_rows(
        99, date=lambda i: "05/03/2024" if i == 90 else "2024-01-02")
    read_table(raw(tmp_path, "two.csv", two_ways), "touches")  # pieces give up: one read
    assert len(tables) == 2 and tables[1] is None
