"""Cell parsing for real exports: amounts and dates written the way people write them.

Amounts: ``1234.56``, ``1,234.56``, ``$1,234.56``, ``1 234,56 €``, ``1.234,56``, ``(120.00)``
(negative), ``-120``, ``120-``. Whether ',' is the decimal mark is decided per column from the
values (``decimal='auto'``): a column with ``1,5``, ``1.234,56`` or ``1.234.567`` uses a decimal
comma, one with ``1.5``, ``1,234.56`` or ``1,234,567`` a decimal point; both in one column is an
error, and so is a column where every separator could be either (``12.345``, ``$1,234``: one
separator followed by exactly three digits), unless the config says ``decimal: '.'`` or
``','``. A thousands separator must separate groups of three digits (or the Indian 2-2-3),
else the cell is unreadable: ``1,5`` with a decimal point is not 15.

Dates: ISO (``2024-01-31``, with or without a time; with a UTC offset the calendar date is the
one written, never moved to UTC) or day/month/year forms with '/', '.' or '-' (``31/01/2024``,
``31.01.2024``). Partial dates (``2024``, ``2024-07``) are unreadable, not the first of the
period. Which of day and month comes first is ``dayfirst`` (True/False), or with
``dayfirst=None`` decided from the column: a first number above 12 means day first, a second
number above 12 month first; a column where neither shows is ambiguous, and ambiguous input is
an error, not a guess.

Identifiers (deal ids, campaigns, channels, stages): Unicode NFC, invisible format characters
(BOM, zero-width space or joiner, direction marks, soft hyphen) removed and Unicode spaces made
plain, so ``Café`` typed two ways is one campaign; :func:`identifiers` says which cells changed.

All functions are vectorized over a pandas Series of text and return the parsed Series with a
boolean mask of the cells that could not be read (empty cells are missing, not bad).
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .frames import arrow, has_untrimmed

CURRENCY_MARKS = r"[€$£¥₹]|\b(?:EUR|USD|GBP|CHF|JPY|CAD|AUD|SEK|NOK|DKK|PLN|INR)\b"
SPACES = r"[\s\u00a0\u202f']"
NUMERIC_DAY = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T].*)?$"
# a full ISO date, then optionally a time and a UTC offset (the date is kept as written)
ISO_DATE = (r"^(\d{4})-(\d{1,2})-(\d{1,2})"
            r"(?:[T ]([01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d+)?)?"
            r"\s*(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?)?$")
# a plain number the fast path reads with pyarrow: digits, at most one '.', a leading '-',
# an exponent
PLAIN_NUMBER = r"^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$"
# one separator followed by exactly three digits: could be a decimal mark or a thousands one
AMBIGUOUS_POINT = r"^-?[1-9]\d{0,2}\.\d{3}$"


class AmbiguousInput(ValueError):
    """A column whose values can be read two ways (decimal mark, day/month order)."""


def blank(text: pd.Series) -> pd.Series:
    """Text stripped, with empty cells as missing. A categorical stays categorical (the
    categories are stripped, and merged where stripping makes two alike)."""
    if isinstance(text.dtype, pd.CategoricalDtype):
        stripped = pd.Series(text.cat.categories.astype("str")).str.strip()
        if not ((stripped == "").any() or (stripped != text.cat.categories).any()):
            return text  # already clean: no per-row work
        inverse, names = pd.factorize(stripped.where(stripped != ""))
        codes = text.cat.codes.to_numpy()
        new = np.full(len(codes), -1, dtype="int64")
        new[codes >= 0] = inverse[codes[codes >= 0]]
        return pd.Series(pd.Categorical.from_codes(new, pd.Index(names, dtype="str")),
                         index=text.index)
    if pd.api.types.is_string_dtype(text) and not has_untrimmed(text):
        return text  # already clean: no per-row work
    out = text.astype("str").str.strip()
    return out.where(text.notna() & (out != ""), pd.NA)


def identifier(text: str) -> str:
    """One identifier normalized: NFC, invisible format characters (Unicode category Cf:
    BOM, zero-width space and joiners, direction marks, soft hyphen) removed, Unicode spaces
    as ' ', surrounding spaces stripped.

    >>> identifier("Cafe\u0301\u200b") == identifier("Café")
    True
    """
    if text.isascii():
        return text.strip()
    text = unicodedata.normalize("NFC", text)
    return "".join(" " if unicodedata.category(c) == "Zs" else c for c in text
                   if unicodedata.category(c) != "Cf").strip()


def identifiers(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Identifiers normalized (:func:`identifier`), empty cells missing; returns the values
    and a mask of the cells that normalization changed (beyond surrounding spaces)."""
    if isinstance(text.dtype, pd.CategoricalDtype):
        names = pd.Series(text.cat.categories.astype("str"))
        normal = names.map(identifier)
        changed_names = (normal != names.str.strip()).to_numpy()
        if not changed_names.any():
            return blank(text), pd.Series(False, index=text.index)
        codes = text.cat.codes.to_numpy()
        changed = np.zeros(len(codes), dtype=bool)
        changed[codes >= 0] = changed_names[codes[codes >= 0]]
        inverse, uniques = pd.factorize(normal.where(normal != ""))
        new = np.full(len(codes), -1, dtype="int64")
        new[codes >= 0] = inverse[codes[codes >= 0]]
        values = pd.Series(pd.Categorical.from_codes(new, pd.Index(uniques, dtype="str")),
                           index=text.index)
        return values, pd.Series(changed, index=text.index)
    out = blank(text)
    if out.isna().all():
        return out, pd.Series(False, index=text.index)
    ascii_only = pc.fill_null(pc.string_is_ascii(arrow(out)), True)
    if pc.all(ascii_only).as_py():
        return out, pd.Series(False, index=text.index)
    rows = np.flatnonzero(~ascii_only.to_numpy(zero_copy_only=False))
    before = out.iloc[rows].astype("str")
    after = before.map(identifier)
    changed = np.zeros(len(out), dtype=bool)
    changed[rows] = (after != before).to_numpy()
    out = out.astype("str").copy() if not pd.api.types.is_string_dtype(out) else out.copy()
    out.iloc[rows] = after.where(after != "", pd.NA).to_numpy()
    return out, pd.Series(changed, index=text.index)


def _separators(body: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per cell (digits and separators only): evidence of a decimal comma, of a decimal
    point, and a lone separator followed by exactly three digits (either)."""
    has_comma, has_point = body.str.contains(",", regex=False), body.str.contains(".",
                                                                                   regex=False)
    both = has_comma & has_point
    last_comma = body.str.contains(r"\.[\d.]*,\d*$", regex=True)
    many_points = body.str.count(r"\.") > 1
    many_commas = body.str.count(",") > 1
    lone_comma = has_comma & ~has_point & ~many_commas
    lone_point = has_point & ~has_comma & ~many_points
    three = body.str.fullmatch(r"[1-9]\d{0,2}[.,]\d{3}")
    ambiguous = (lone_comma | lone_point) & three
    comma = (both & last_comma) | (many_points & ~has_comma) | (lone_comma & ~three)
    point = (both & ~last_comma) | (many_commas & ~has_point) | (lone_point & ~three)
    return comma, point, ambiguous


def decimal_mark(text: pd.Series, fallback: str = ".") -> str:
    """',' or '.' for a column of amounts written as text (see the module docstring);
    ``fallback`` when no value has a separator. Raises :class:`AmbiguousInput` when the
    values show both, or when every separator could be either."""
    body = text.dropna().astype("str").str.replace(r"[^\d.,]", "", regex=True)
    comma, point, ambiguous = _separators(body)
    if comma.any() and point.any():
        first_comma, first_point = body[comma].iloc[0], body[point].iloc[0]
        raise AmbiguousInput(f"amounts use both ',' ('{_cut(first_comma)}') and '.' "
                             f"('{_cut(first_point)}') as the decimal mark")
    if comma.any():
        return ","
    if point.any():
        return "."
    if ambiguous.any():
        example = text.dropna().astype("str")[ambiguous.to_numpy()].iloc[0]
        raise AmbiguousInput(f"amounts like '{_cut(example.strip())}' could use "
                             f"'{_separator(example)}' as the decimal mark or as a thousands "
                             "separator; set decimal: '.' or ',' in the config")
    return fallback


def _separator(text: str) -> str:
    return "," if "," in text else "."


def _cut(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _plain(text: pd.Series, decimal: str) -> tuple[pd.Series, pd.Series] | None:
    """The fast path of :func:`amounts`: when every cell is a plain number ('-', digits, at
    most one '.'), read them all with pyarrow; None when the slow path is needed."""
    if decimal == ",":
        return None
    values = arrow(text)
    present = pc.is_valid(values)
    plain = pc.match_substring_regex(values, PLAIN_NUMBER)
    if not pc.all(pc.or_kleene(pc.invert(present), plain)).as_py():
        return None
    if decimal == "auto":
        ambiguous = pc.match_substring_regex(values, AMBIGUOUS_POINT)
        points = pc.match_substring(values, ".")
        if pc.any(ambiguous).as_py() and not pc.any(
                pc.and_(points, pc.invert(ambiguous))).as_py():
            example = str(text[ambiguous.to_numpy(zero_copy_only=False).astype(bool)].iloc[0])
            raise AmbiguousInput(f"amounts like '{_cut(example)}' could use '.' as the decimal "
                                 "mark or as a thousands separator; set decimal: '.' or ',' in "
                                 "the config")
    try:
        numbers = pc.cast(values, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    out = pd.Series(numbers.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")
    return out, pd.Series(False, index=text.index)


def amounts(text: pd.Series, decimal: str = "auto") -> tuple[pd.Series, pd.Series]:
    """Amounts from text; returns (float64 values, bad-cell mask)."""
    text = blank(text)
    fast = _plain(text, decimal) if len(text) else None
    if fast is not None:
        return fast
    mark = decimal_mark(text) if decimal == "auto" else decimal
    body = text.str.replace(CURRENCY_MARKS, "", regex=True).str.replace(SPACES, "", regex=True)
    negative = body.str.match(r"^\(.*\)$|^-|.*-$", na=False)
    body = body.str.replace(r"^\((.*)\)$", r"\1", regex=True).str.strip("-+")
    thousands = "." if mark == "," else ","
    t, d = "\\" + thousands, "\\" + mark
    # groups of three (or the Indian 2-2-3) between thousands separators, or none at all
    grouped = body.str.fullmatch(rf"(?:\d{{1,3}}(?:{t}\d{{3}})+|\d{{1,2}}(?:{t}\d{{2}})+{t}\d{{3}}"
                                 rf"|\d+)?(?:{d}\d*)?(?:[eE][+-]?\d+)?", na=False)
    body = body.str.replace(thousands, "", regex=False)
    if mark == ",":
        body = body.str.replace(",", ".", regex=False)
    ok = grouped & body.str.fullmatch(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", na=False)
    values = pd.to_numeric(body.where(ok), errors="coerce").astype("float64")
    values = values.where(~negative, -values)
    bad = text.notna() & values.isna()
    return values, bad


def dates(text: pd.Series, dayfirst: bool | None = None) -> tuple[pd.Series, pd.Series]:
    """Calendar dates from text; returns (datetime64[s] at midnight, bad-cell mask)."""
    text = blank(text)
    if text.isna().all():
        return (pd.Series(pd.NaT, index=text.index, dtype="datetime64[s]"),
                pd.Series(False, index=text.index))
    text = text.astype("str").where(text.notna())
    ymd = text.str.extract(ISO_DATE)
    iso = pd.to_datetime(pd.DataFrame({"year": pd.to_numeric(ymd[0]),
                                       "month": pd.to_numeric(ymd[1]),
                                       "day": pd.to_numeric(ymd[2])}), errors="coerce")
    parts = text.str.extract(NUMERIC_DAY)
    numeric = parts[0].notna() & iso.isna()
    if numeric.any():
        a = pd.to_numeric(parts[0], errors="coerce")
        b = pd.to_numeric(parts[1], errors="coerce")
        if dayfirst is None:
            dayfirst = _day_order(a[numeric], b[numeric], text[numeric])
        day, month = (a, b) if dayfirst else (b, a)
        other = pd.to_datetime(pd.DataFrame({"year": pd.to_numeric(parts[2]),
                                             "month": month, "day": day}).where(numeric),
                               errors="coerce")
        iso = iso.where(~numeric, other)
    parsed = iso.dt.floor("D").astype("datetime64[s]")
    return parsed, text.notna() & parsed.isna()


def _day_order(a: pd.Series, b: pd.Series, text: pd.Series) -> bool:
    day_first, month_first = (a > 12).any(), (b > 12).any()
    if day_first and month_first:
        raise AmbiguousInput(f"dates are written both day first ('{text[a > 12].iloc[0]}') and "
                             f"month first ('{text[b > 12].iloc[0]}')")
    if not (day_first or month_first):
        raise AmbiguousInput(f"dates like '{text.iloc[0]}' could be day/month or month/day; "
                             "set dayfirst: true or false in the config")
    return bool(day_first)


def finite(values: pd.Series) -> pd.Series:
    """Mask of cells that hold a finite number."""
    return pd.Series(np.isfinite(values.to_numpy(dtype="float64", na_value=np.nan)),
                     index=values.index)
