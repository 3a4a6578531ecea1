"""The Python API: everything the ``roiclock`` command does, as function calls.

Examples
--------
>>> import roiclock
>>> report = roiclock.run_report()            # the bundled sample data
>>> report.headline                           # doctest: +SKIP
'Measured at 3 months, ROI is -62%; at 12 months it is +95%: ...'
>>> report.table.head()                       # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from .attribute import attribute
from .config import Settings, load_settings
from .load import read_inputs
from .mature import PORTFOLIO, group_windows, campaign_windows, headline, maturity
from .schema import InputError
from .validate import Inputs, validate


def sample_paths() -> dict[str, Path]:
    """Paths of the sample spend, deals and touches files shipped inside the package."""
    folder = resources.files("roiclock").joinpath("sample", "data")
    return {name: Path(str(folder.joinpath(f"{name}.csv"))) for name in
            ("spend", "deals", "touches")}


def load(spend=None, deals=None, touches=None, settings: Settings | None = None,
         as_of=None) -> Inputs:
    """Read and validate the inputs (the bundled sample data when no file is given)."""
    settings = settings or load_settings()
    if spend is None and deals is None and touches is None:
        paths = sample_paths()
        spend, deals, touches = paths["spend"], paths["deals"], paths["touches"]
    elif spend is None or deals is None:
        raise InputError("give both a spend file and a deals file (or neither, for the sample)")
    raw = read_inputs(spend, deals, touches, settings.columns)
    return validate(raw, as_of=as_of, default_margin=settings.default_margin,
                    basis=settings.basis)


@dataclass(frozen=True)
class Report:
    """The result of :func:`run_report`.

    Attributes
    ----------
    settings, inputs, credits : what went in and the attribution
    table : one row per group (``by``) and window, the export contract columns first
    portfolio : the portfolio curve (campaigns mature at the largest window)
    headline : one sentence: ROI at the first window against the last
    by : campaign, channel or portfolio
    sample : True when the bundled sample data was used
    """

    settings: Settings
    inputs: Inputs
    credits: pd.DataFrame
    table: pd.DataFrame
    portfolio: pd.DataFrame
    headline: str
    by: str
    sample: bool

    @property
    def as_of(self) -> pd.Timestamp:
        return self.inputs.as_of


def run_report(spend=None, deals=None, touches=None, config=None, *, as_of=None,
               by: str = "campaign", **overrides: Any) -> Report:
    """Load, validate, attribute and measure: the ``roiclock report`` command.

    ``overrides`` are settings (model, windows, basis, lookback_days, ...) over ``config``.
    """
    settings = load_settings(config, **overrides)
    sample = spend is None and deals is None and touches is None
    inputs = load(spend, deals, touches, settings, as_of)
    credits = attribute(inputs, settings)
    table = maturity(inputs, credits, settings, by)
    portfolio = group_windows(campaign_windows(inputs, credits, settings), settings, PORTFOLIO)
    return Report(settings, inputs, credits, table, portfolio,
                  headline(portfolio, inputs.as_of), by, sample)
