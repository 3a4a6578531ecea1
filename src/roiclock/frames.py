"""Small vectorized helpers the stages share.

Text columns are pandas categoricals (few distinct values: campaigns, channels, stages), except
deal ids, which are Arrow-backed strings: there are as many as deals, so they are matched with
pyarrow's hash lookup (``index_in``) on both cores instead of being turned into categories.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

THREADS = 2
SPLIT_AT = 1_000_000  # below this, one thread is as fast


def arrow(values: pd.Series) -> pa.ChunkedArray:
    """The values as a pyarrow chunked array of strings or large strings (zero-copy for
    Arrow-backed text)."""
    array = values.array
    if hasattr(array, "__arrow_array__"):
        out = array.__arrow_array__()
        out = out if isinstance(out, pa.ChunkedArray) else pa.chunked_array([out])
    else:
        out = pa.chunked_array([pa.array(values.astype("object"), from_pandas=True)])
    return out if out.type in (pa.string(), pa.large_string()) else out.cast(pa.large_string())


def release() -> None:
    """Give freed memory back to the system between stages. Arrow's allocator (mimalloc)
    keeps freed pages for Arrow's later use, and glibc's malloc keeps freed heap pages (its
    mmap threshold rises to 32 MB after the first large free, so a stage's arrays of a few
    MB stay in the heap); little of the run after reading is Arrow, and nothing reuses the
    heap's holes at the next stage's sizes. At 10M touches (CSV) that was 646 MB of the
    1,169 MB resident after reading and 340 MB after the passes: dead weight under every
    later peak. ``malloc_trim`` is glibc's; elsewhere only Arrow's pool is released."""
    pa.default_memory_pool().release_unused()
    if _TRIM is not None:
        _TRIM(0)


def _malloc_trim():
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or None).malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to trim
        return None


_TRIM = _malloc_trim()


def take(array: np.ndarray, index: np.ndarray, missing=-1) -> np.ndarray:
    """array[index], with ``missing`` where index is -1 (array may be empty): one gather,
    index -1 reading the appended ``missing``."""
    dtype = object if missing is None else np.result_type(np.asarray(array).dtype,
                                                          np.min_scalar_type(missing))
    return np.append(np.asarray(array, dtype=dtype), np.array([missing], dtype=dtype))[index]


DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def civil(days: np.ndarray):
    """(year, month 1..12, day 1..31) of integer days since 1970-01-01, in integer arithmetic
    (H. Hinnant's civil_from_days): several times faster than numpy's datetime64[M] cast."""
    z = days + 719_468
    era = np.floor_divide(z, 146_097)
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def days(values) -> np.ndarray:
    """datetime64 values as whole days since 1970 (NaT: the smallest int64)."""
    return np.asarray(values).astype("datetime64[D]").view("int64")


def first_of(keys: np.ndarray) -> np.ndarray:
    """True at each key's first occurrence (a hash pass, no sort: on the Markov model's
    deal x campaign keys at 10M touches 0.20 s against 0.49 s for ``np.unique``'s indices).

    >>> first_of(np.array([4, 2, 4, 4, 2, 9])).tolist()
    [True, True, False, False, False, True]
    """
    return ~pd.Series(keys, copy=False).duplicated().to_numpy()


def group_sizes(keys: np.ndarray) -> np.ndarray:
    """For each key, how many times it occurs (a hash pass, no sort).

    >>> group_sizes(np.array([4, 2, 4, 4, 2, 9])).tolist()
    [3, 2, 3, 3, 2, 1]
    """
    codes = pd.factorize(keys)[0]
    return np.bincount(codes)[codes] if len(codes) else np.zeros(0, dtype="int64")


def distinct(values: np.ndarray, runs: bool = False) -> np.ndarray:
    """The sorted distinct values of an integer array: a sort and the changes. (numpy 2.4's
    hash-based ``np.unique`` took 12.5 s on 10M distinct int64 here; this takes 0.7 s.)
    ``runs``: the values come in long sorted runs (keys of steps in deal order), which a
    stable sort (timsort) merges: 10M nearly sorted keys in 0.10 s against 0.37 s; on
    random values it is the slower one (0.74 s against 0.41 s).

    >>> distinct(np.array([5, 3, 5, 2**40, 0])).tolist()
    [0, 3, 5, 1099511627776]
    >>> distinct(np.array([7, 7, 1])).tolist()
    [1, 7]
    """
    values = np.asarray(values)
    if not len(values):
        return values
    low, high = values.min(), values.max()
    if values.dtype.kind in "iu" and low >= 0 and high < 2 ** 32:
        # 4-byte keys sort ~40% faster (10M: 0.41 s against 0.68 s)
        ordered = np.sort(values.astype("uint32"), kind="stable" if runs else None
                          ).astype(values.dtype)
    else:
        ordered = np.sort(values, kind="stable" if runs else None)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def months_since(start, end) -> np.ndarray:
    """Whole calendar months m from ``start`` to ``end`` (datetime64 arrays): the largest m
    with start + m months <= end, a month-end start clamped as pandas DateOffset does
    (2024-01-31 + 1 month = 2024-02-29). Negative when end is before start."""
    start_year, start_month, start_day = civil(days(start))
    end_year, end_month, end_day = civil(days(end))
    months = (end_year - start_year) * 12 + (end_month - start_month)
    leap = (end_year % 4 == 0) & ((end_year % 100 != 0) | (end_year % 400 == 0))
    days_in_end_month = DAYS_IN_MONTH[end_month - 1] + (leap & (end_month == 2))
    # start + months months lands in end's month, on start's day clamped to its length
    return months - (np.minimum(start_day, days_in_end_month) > end_day)


def cumulative_by_month(group: np.ndarray, months: np.ndarray, values: np.ndarray,
                        n_groups: int, last: int) -> np.ndarray:
    """C[g, k] = sum of values of group g with months < k, for k = 0..last (rows whose group
    is -1 or whose months is NaT-derived garbage are skipped by the caller)."""
    col = np.clip(months, -1, last) + 1            # 0..last+1; months >= last never counts
    ok = group >= 0
    flat = np.bincount(group[ok] * (last + 2) + col[ok], weights=values[ok],
                       minlength=n_groups * (last + 2)).astype("float64")
    return np.cumsum(flat.reshape(n_groups, last + 2), axis=1)[:, :last + 1]


ROWS_PER_PASS = 1_000_000  # above this, per-row passes go slice by slice (deal range by range)


def deal_ranges(deal: np.ndarray, n_deals: int, rows: int | None = None):
    """Split rows (``deal``: each row's deal number, 0..n_deals-1) into pieces of about
    ``rows`` rows (default :data:`ROWS_PER_PASS`), every deal's rows in one piece, so
    per-deal totals computed piece by piece are whole. Yields (low, high, index): the
    piece's deals are low..high-1 and ``index`` its rows in ``deal``; a single (0, n_deals,
    None) when everything fits in one piece. It bounds a pass's temporaries (at 100M
    touches, ~20 arrays of 8 bytes per row); small inputs take one piece, so their sums are
    computed exactly as before.

    >>> [(low, high, p.tolist()) for low, high, p in
    ...  deal_ranges(np.array([2, 0, 1, 2, 0]), 3, rows=2)]
    [(0, 1, [1, 4]), (1, 3, [0, 2, 3])]
    """
    rows = ROWS_PER_PASS if rows is None else rows
    if len(deal) <= rows:
        yield 0, n_deals, None
        return
    upto = np.cumsum(np.bincount(deal, minlength=n_deals))
    cuts = np.unique(np.searchsorted(upto, np.arange(rows, upto[-1], rows), side="left") + 1)
    bounds = [0, *cuts[cuts < n_deals].tolist(), n_deals]
    for low, high in zip(bounds[:-1], bounds[1:], strict=True):
        yield low, high, np.flatnonzero((deal >= low) & (deal < high))


def positions(values: pd.Series, keys) -> np.ndarray:
    """For each value, its position in ``keys`` (unique), or -1. Categorical values are
    looked up once per category; many distinct strings go through pyarrow on both cores."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        by_category = pd.Index(keys).get_indexer(values.cat.categories)
        return take(by_category, values.cat.codes.to_numpy()).astype("int64")
    keys = pd.Series(keys) if not isinstance(keys, pd.Series) else keys
    if isinstance(keys.dtype, pd.CategoricalDtype):
        keys = keys.astype("str")
    column = arrow(values)
    value_set = arrow(keys).combine_chunks().cast(column.type)
    n = len(column)
    if n < SPLIT_AT:
        parts = [column]
    else:
        half = n // 2
        parts = [column.slice(0, half), column.slice(half)]
    with ThreadPoolExecutor(THREADS) as pool:  # pyarrow releases the GIL
        found = list(pool.map(lambda part: pc.index_in(part, value_set=value_set), parts))
    out = np.concatenate([chunk.to_numpy(zero_copy_only=False) for part in found
                          for chunk in part.chunks]) if n else np.array([], dtype="float64")
    return np.where(np.isnan(out), -1, out).astype("int64") if out.dtype.kind == "f" else \
        out.astype("int64")


def has_untrimmed(values: pd.Series) -> bool:
    """True when some text has surrounding whitespace or is empty (checked in pyarrow)."""
    column = arrow(values)
    trimmed = pc.utf8_trim_whitespace(column)
    changed = pc.any(pc.not_equal(trimmed, column)).as_py()
    empty = pc.any(pc.equal(column, "")).as_py()
    return bool(changed or empty)


CENT_NOISE = 4  # decimals of a cent kept before rounding to the cent


def cents(values, how: str = "nearest") -> np.ndarray:
    """Money to the cent, the one rounding that exports and watch's verdict share.

    The value in cents is first taken to 1/10,000 of a cent (:data:`CENT_NOISE`): float noise
    (two engines summing in another order differ in the last bits) never decides a cent.
    ``nearest``: then to the nearest cent, a half cent away from zero, as a spreadsheet's
    ROUND does on the decimal that is printed (2.675 -> 2.68, although the binary value of
    2.675 is a hair below it). ``down`` / ``up``: an interval's low and high end rounded
    outward (never narrower than computed).

    >>> cents([138894.925, 48336.835, 0.125, -0.125, 2.675, 2.674999]).tolist()
    [138894.93, 48336.84, 0.13, -0.13, 2.68, 2.67]
    >>> cents([239988.48499999999, 239988.48500000002]).tolist()  # two engines' sums
    [239988.49, 239988.49]
    >>> cents([138894.92500000002, 2.9999999999999996], "down").tolist()
    [138894.92, 3.0]
    >>> cents([0.001], "up").tolist()
    [0.01]
    """
    if how not in ("nearest", "down", "up"):
        raise ValueError(f"expected nearest, down or up, got {how!r}")
    x = np.asarray(values, dtype="float64")
    with np.errstate(invalid="ignore", over="ignore"):
        steady = np.round(x * 100, CENT_NOISE)
        if how == "down":
            k = np.floor(steady)
        elif how == "up":
            k = np.ceil(steady)
        else:
            k = np.sign(steady) * np.floor(np.abs(steady) + 0.5)
    return np.where(np.isfinite(x), k / 100, x)


def earliest(groups: pd.Series, dates: pd.Series) -> pd.Series:
    """The earliest date per group (observed groups only, indexed by the group): one
    ``np.minimum.at`` over a categorical's codes (a groupby over 10M touches took 0.22 s).

    >>> g = pd.Series(pd.Categorical(["b", "a", "b", None], categories=["a", "b", "c"]))
    >>> d = pd.Series(pd.to_datetime(["2024-03-02", "2024-05-01", "2024-01-09", "2020-01-01"]))
    >>> earliest(g, d).astype(str).to_dict()
    {'a': '2024-05-01', 'b': '2024-01-09'}
    """
    if not isinstance(groups.dtype, pd.CategoricalDtype):
        return dates.groupby(groups, observed=True).min()
    codes = groups.cat.codes.to_numpy()
    unit = dates.dtype
    values = dates.to_numpy().view("int64")
    nat = np.iinfo("int64").min
    ok = (codes >= 0) & (values != nat)
    best = np.full(len(groups.cat.categories), np.iinfo("int64").max)
    if ok.all():  # no copies of a column (0.8 GB of dates at 100M touches)
        np.minimum.at(best, codes, values)
    else:
        np.minimum.at(best, codes[ok], values[ok])
    seen = best < np.iinfo("int64").max
    return pd.Series(best[seen].view(unit), index=groups.cat.categories[seen],
                     name=dates.name)
