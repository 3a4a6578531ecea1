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
    """The values as a pyarrow chunked array of strings (zero-copy for Arrow-backed text)."""
    array = values.array
    if hasattr(array, "__arrow_array__"):
        out = array.__arrow_array__()
        out = out if isinstance(out, pa.ChunkedArray) else pa.chunked_array([out])
    else:
        out = pa.chunked_array([pa.array(values.astype("object"), from_pandas=True)])
    return out if out.type == pa.string() else out.cast(pa.string())


def take(array: np.ndarray, index: np.ndarray, missing=-1) -> np.ndarray:
    """array[index], with ``missing`` where index is -1 (array may be empty)."""
    ok = index >= 0
    out = np.full(len(index), missing, dtype=array.dtype if len(array) else object)
    out[ok] = array[index[ok]]
    return out


def positions(values: pd.Series, keys) -> np.ndarray:
    """For each value, its position in ``keys`` (unique), or -1. Categorical values are
    looked up once per category; many distinct strings go through pyarrow on both cores."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        by_category = pd.Index(keys).get_indexer(values.cat.categories)
        return take(by_category, values.cat.codes.to_numpy()).astype("int64")
    keys = pd.Series(keys) if not isinstance(keys, pd.Series) else keys
    if isinstance(keys.dtype, pd.CategoricalDtype):
        keys = keys.astype("str")
    value_set = arrow(keys).combine_chunks()
    column = arrow(values)
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
