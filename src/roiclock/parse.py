"""Cell parsing for real exports: amounts and dates written the way people write them.

Amounts: ``1234.56``, ``1,234.56``, ``$1,234.56``, ``1 234,56 €``, ``1.234,56``, ``(120.00)``
(negative), ``-120``, ``120-``. Whether ',' is the decimal mark is decided per column from the
values (``decimal='auto'``): a column with ``1,5`` or ``1.234,56`` uses a decimal comma, one with
``1.5`` or ``1,234.56`` a decimal point; both in one column is an error.

Dates: ISO (``2024-01-31``, with or without a time) or day/month/year forms with '/', '.' or '-'
(``31/01/2024``, ``31.01.2024``). Which of day and month comes first is ``dayfirst``
(True/False), or with ``dayfirst=None`` decided from the column: a first number above 12 means
day first, a second number above 12 month first; a column where neither shows is ambiguous, and
ambiguous input is an error, not a guess.

All functions are vectorized over a pandas Series of text and return the parsed Series with a
boolean mask of the cells that could not be read (empty cells are missing, not bad).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .frames import has_untrimmed

CURRENCY_MARKS = r"[€$£¥₹]|\b(?:EUR|USD|GBP|CHF|JPY|CAD|AUD|SEK|NOK|DKK|PLN|INR)\b"
SPACES = r"[\s\u00a0\u202f']"
NUMERIC_DAY = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T].*)?$"


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


def decimal_mark(text: pd.Series, fallback: str = ".") -> str:
    """',' or '.' for a column of amounts written as text (see the module docstring);
    ``fallback`` when no value shows which."""
    body = text.dropna().astype("str").str.replace(r"[^\d.,]", "", regex=True)
    comma = body.str.contains(r"\d,\d{1,2}$|\d\.\d{3},\d", regex=True)
    point = body.str.contains(r"\d\.\d{1,2}$|\d,\d{3}\.\d", regex=True)
    if comma.any() and point.any():
        first_comma, first_point = body[comma].iloc[0], body[point].iloc[0]
        raise AmbiguousInput(f"amounts use both ',' ('{first_comma}') and '.' "
                             f"('{first_point}') as the decimal mark")
    return "," if comma.any() else "." if point.any() else fallback


def amounts(text: pd.Series, decimal: str = "auto") -> tuple[pd.Series, pd.Series]:
    """Amounts from text; returns (float64 values, bad-cell mask)."""
    text = blank(text)
    mark = decimal_mark(text) if decimal == "auto" else decimal
    body = text.str.replace(CURRENCY_MARKS, "", regex=True).str.replace(SPACES, "", regex=True)
    negative = body.str.match(r"^\(.*\)$|^-|.*-$", na=False)
    body = body.str.replace(r"^\((.*)\)$", r"\1", regex=True).str.strip("-+")
    if mark == ",":
        body = body.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        body = body.str.replace(",", "", regex=False)
    ok = body.str.fullmatch(r"\d+(?:\.\d*)?|\.\d+", na=False)
    values = pd.to_numeric(body.where(ok), errors="coerce").astype("float64")
    values = values.where(~negative, -values)
    bad = text.notna() & values.isna()
    return values, bad


def dates(text: pd.Series, dayfirst: bool | None = None) -> tuple[pd.Series, pd.Series]:
    """Calendar dates from text; returns (datetime64[s] at midnight, bad-cell mask)."""
    text = blank(text)
    iso = pd.to_datetime(text, format="ISO8601", errors="coerce")
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
    parsed = iso.dt.tz_localize(None) if getattr(iso.dt, "tz", None) else iso
    parsed = parsed.dt.floor("D").astype("datetime64[s]")
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
