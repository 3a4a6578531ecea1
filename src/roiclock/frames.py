"""Small vectorized helpers the stages share (text columns are pandas categoricals)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def positions(values: pd.Series, keys) -> np.ndarray:
    """For each value, its position in ``keys`` (unique), or -1. Categorical values are
    looked up once per category, not once per row."""
    index = pd.Index(keys)
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        by_category = index.get_indexer(values.cat.categories)
        return np.where(codes >= 0, by_category[np.maximum(codes, 0)], -1)
    return index.get_indexer(values)


def text(values) -> pd.Series:
    """Plain text values (for small outputs: names in tables)."""
    return pd.Series(values).astype("str")
