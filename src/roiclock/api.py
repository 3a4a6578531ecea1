"""The Python API: everything the ``roiclock`` command does, as function calls.

Examples
--------
>>> import roiclock
>>> report = roiclock.run_report()            # the bundled sample data
>>> report.headline                           # doctest: +SKIP
'Measured at 3 months, ROI is -85%; at 12 months it is +272%: ...'
>>> roiclock.run_lag(by="channel").table      # doctest: +SKIP
>>> roiclock.run_project(backtest_months=6).backtest   # doctest: +SKIP
>>> roiclock.run_watch(since=3).behind                 # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from . import markov
from .attribution import attribute
from .config import MAX_MONTHS, Settings, load_settings
from .engine import DIALECTS, Engine, resolve, script
from .frames import release
from .loading import RawInputs, read_inputs
from .markov import Chain
from .mature import PORTFOLIO, campaign_windows, group_windows, maturity, with_periods
from .mature import to_date as mature_to_date
from .models import MODELS
from .monitor import compare as compare_projection
from .monitor import read_previous, watch
from .periods import split
from .projection import Projection, backtest, project
from .schema import InputError
from .survival import LAG_MONTHS, lag
from .validation import Inputs, reasons, validate
from .words import headline, projection_sentence

Progress = Callable[[str], None]


def _silent(stage: str) -> None:
    """The default progress hook: the library itself never prints."""


def _begin(config, overrides: dict, progress, *files):
    """Settings, whether the sample data is used, and the progress hook (already told that
    reading starts)."""
    settings = load_settings(config, **overrides)
    step = progress or _silent
    step("Reading and checking the inputs")
    return settings, all(f is None for f in files), step


def sample_paths() -> dict[str, Path]:
    """Paths of the sample spend, deals and touches files shipped inside the package."""
    folder = resources.files("roiclock").joinpath("sample", "data")
    return {name: Path(str(folder.joinpath(f"{name}.csv"))) for name in
            ("spend", "deals", "touches")}


def read(spend=None, deals=None, touches=None, settings: Settings | None = None,
         need_spend: bool | str = True) -> RawInputs:
    """Read the input files (the bundled sample data when no file is given). Without
    ``need_spend``, a deals file alone will do (time to close from created dates, checks);
    a text ``need_spend`` says why spend is needed, for the error."""
    settings = settings or load_settings()
    if spend is None and deals is None and touches is None:
        paths = sample_paths()
        spend, deals, touches = paths["spend"], paths["deals"], paths["touches"]
    elif deals is None or (spend is None and need_spend):
        # say exactly what is missing
        why = need_spend if isinstance(need_spend, str) else "(or neither, for the sample)"
        if deals is None and spend is None and need_spend:
            raise InputError(f"give both a spend file and a deals file {why}")
        if deals is None:
            raise InputError("give a deals file too (or no input file, for the sample)"
                             + ("" if need_spend else "; no spend file is needed here"))
        raise InputError(f"give a spend file too {why}")
    return read_inputs(spend, deals, touches, settings.columns)


def _validate(raw: RawInputs, settings: Settings, as_of=None, strict: bool = False,
              data_through=None) -> Inputs:
    inputs = validate(raw, settings, as_of=as_of, data_through=data_through)
    problem = inputs.blocking(strict)
    if problem is not None:
        raise problem
    return inputs


def load(spend=None, deals=None, touches=None, settings: Settings | None = None,
         as_of=None, strict: bool = False, data_through=None,
         need_spend: bool | str = True) -> Inputs:
    """Read and validate the inputs (the bundled sample data when no file is given).

    ``as_of``: the day whose data is not complete yet (default: the day after the data);
    ``data_through``: the last day the inputs cover (default: their latest event). Raises
    :class:`InputError` on a blocking rejection (any rejection when ``strict``)."""
    settings = settings or load_settings()
    raw = read(spend, deals, touches, settings, need_spend)
    release()  # the parse's buffers (a CSV's text, a Parquet file's pages)
    inputs = _validate(raw, settings, as_of, strict, data_through)
    del raw  # the raw frames' columns that validation replaced
    release()
    return inputs


def _chain(inputs: Inputs, settings: Settings) -> Chain | None:
    """The Markov chain, fitted once, when the model needs it."""
    return markov.chain(inputs, settings) if MODELS[settings.model].chain else None


@dataclass(frozen=True)
class Report:
    """The result of :func:`run_report`.

    Attributes
    ----------
    settings, inputs, credits : what went in and the attribution
    table : one row per group (``by``) and window, the export contract columns first
    portfolio : the portfolio curve (campaigns mature at the largest window)
    channels : the same by channel
    projection : campaigns projected to the largest window (see :func:`run_project`)
    headline : one sentence: ROI at the first window against the last, and the projection
    by : campaign, channel or portfolio
    sample : True when the bundled sample data was used
    to_date : with ``to_date``, the portfolio's cost and return so far, any age (one row;
        see :func:`roiclock.mature.to_date`)
    """

    settings: Settings
    inputs: Inputs
    credits: pd.DataFrame
    table: pd.DataFrame
    portfolio: pd.DataFrame
    channels: pd.DataFrame
    projection: Projection
    headline: str
    by: str
    sample: bool
    to_date: pd.DataFrame | None = None

    @property
    def as_of(self) -> pd.Timestamp:
        return self.inputs.as_of


def run_report(spend=None, deals=None, touches=None, config=None, *, as_of=None,
               data_through=None, by: str = "campaign", confidence: float = 0.8,
               period: str | None = None, to_date: bool = False, strict: bool = False,
               progress: Progress | None = None, engine: str | Engine | None = None,
               spark_master: str | None = None, **overrides: Any) -> Report:
    """Load, validate, attribute and measure: the ``roiclock report`` command.

    ``overrides`` are settings (model, windows, basis, lookback_days, ...) over ``config``;
    ``period`` (month or quarter) measures campaigns as spend cohorts (:mod:`roiclock.periods`);
    ``to_date`` adds cost and return so far (any age) to every row. ``engine`` (numpy,
    duckdb or spark; :mod:`roiclock.engine`) computes the credits and the campaign x month
    grid; ``spark_master`` is Spark's (default ``local[*]``).
    """
    runner = resolve(engine, spark_master)
    settings, sample, step = _begin(config, overrides, progress, spend, deals, touches)
    inputs = split(load(spend, deals, touches, settings, as_of, strict, data_through), period)
    step("Attributing won deals to campaigns")
    chain = _chain(inputs, settings)
    credits, months = runner.passes(inputs, settings, max(settings.windows), chain)
    step("Measuring the windows")
    per_campaign = campaign_windows(inputs, credits, settings, months)
    table = maturity(inputs, credits, settings, by, per_campaign, with_to_date=to_date)
    so_far = (mature_to_date(inputs, credits, settings, per_campaign, PORTFOLIO)
              if to_date else None)
    portfolio = group_windows(per_campaign, settings, PORTFOLIO)
    channels = group_windows(with_periods(per_campaign, inputs), settings, "channel")
    step("Projecting young campaigns")
    projection = project(inputs, credits, settings, max(settings.windows), "campaign",
                         confidence, months, chain=chain)
    sentence = headline(portfolio, inputs.as_of) + " " + projection_sentence(projection)
    return Report(settings, inputs, credits, table, portfolio, channels, projection, sentence,
                  by, sample, so_far)


@dataclass(frozen=True)
class LagReport:
    """The result of :func:`run_lag`: ``table`` (one row per group and month)."""

    settings: Settings
    inputs: Inputs
    table: pd.DataFrame
    by: str
    sample: bool
    start: str = "touch"
    horizon_months: float = 24

    @property
    def start_label(self) -> str:
        """What the delay is measured from, in words."""
        if self.start == "created":
            return "the deal's creation"
        return "the first touch" if self.inputs.touches is not None else "the campaign's launch"


def run_lag(spend=None, deals=None, touches=None, config=None, *, as_of=None,
            data_through=None, by: str = "portfolio", months=None,
            horizon_months: float = 24,
            start: str = "touch", confidence: float = 0.95, period: str | None = None,
            strict: bool = False, progress: Progress | None = None,
            **overrides: Any) -> LagReport:
    """Time from first touch (or launch, or created date) to close: the ``roiclock lag``
    command. See :mod:`roiclock.survival`; ``period``: one curve per month or quarter of the
    deals' start; ``months`` default: 1, 3, 6, 9, 12 (those within the horizon)."""
    if months is None:
        months = [m for m in LAG_MONTHS if m <= horizon_months]
        if not months:
            raise InputError(f"expected at least 1 month (lag reports at whole months), got "
                             f"{horizon_months:g}", option="horizon_months")
    settings, sample, step = _begin(config, overrides, progress, spend, deals, touches)
    # from created dates, or with touches, no launch is needed: a deals file alone will do
    need_spend = ("(the delay from launch needs the spend's launch dates; with a deals file "
                  "alone, measure from the created date: --from created)"
                  if start != "created" and touches is None else False)
    inputs = load(spend, deals, touches, settings, as_of, strict, data_through, need_spend)
    step("Estimating time to close")
    table = lag(inputs, settings, by, months, horizon_months, start, confidence,
                period=period)
    return LagReport(settings, inputs, table, by, sample, start, horizon_months)


@dataclass(frozen=True)
class ProjectReport:
    """The result of :func:`run_project`: ``table`` (one row per cohort), the
    ``projection`` it came from; with a backtest, the ``backtest`` table (per method and age
    band), its cut dates (``backtest_cuts``; ``backtest_as_of`` the latest) and ``pairs`` (one
    row per cut, method and cohort); with ``compare``, ``comparison`` (per cohort: the change
    of projected ROI since an earlier export, split into new closes and factors)."""

    settings: Settings
    inputs: Inputs
    projection: Projection
    backtest: pd.DataFrame | None
    backtest_as_of: pd.Timestamp | None
    sample: bool
    backtest_cuts: tuple = ()
    pairs: pd.DataFrame | None = None
    comparison: pd.DataFrame | None = None

    @property
    def table(self) -> pd.DataFrame:
        if self.comparison is None:
            return self.projection.table
        return pd.concat([self.projection.table, self.comparison], axis=1)


def _check_priors(priors: dict | None, method: str, cohort: str) -> None:
    """A prior given but not used is an error: the chain ladder uses none, Cape Cod always
    its own, and a month cohort holds several channels and campaigns (only a prior for every
    campaign, '*', applies)."""
    if not priors:
        return
    if method == "chain_ladder":
        raise InputError("the chain ladder uses no prior; give --method bf, cape_cod, "
                         "benktander or auto to use one", option="priors")
    if method == "cape_cod":
        raise InputError("cape_cod always uses the Cape Cod prior estimated from the data; "
                         "give --method bf, benktander or auto to use yours", option="priors")
    named = sorted(name for name in priors if name != "*")
    if cohort == "month" and named:
        raise InputError(f"a month cohort holds several channels and campaigns: only a prior "
                         f"for every campaign ('*=ROI') applies, not '{named[0][:40]}'",
                         option="priors")


def run_project(spend=None, deals=None, touches=None, config=None, *, as_of=None,
                data_through=None, cohort: str = "campaign", target: int | None = None,
                confidence: float = 0.8, backtest_months: int = 0, method: str = "auto",
                priors: dict | None = None, compare=None, period: str | None = None,
                strict: bool = False, progress: Progress | None = None,
                engine: str | Engine | None = None, spark_master: str | None = None,
                **overrides: Any) -> ProjectReport:
    """Project every cohort's return and ROI to ``target`` months (default: the largest
    window) with ``method`` (see :mod:`roiclock.projection`); ``priors``: expected ROI by
    channel or campaign (default: the config's ``priors``). With ``backtest_months`` K, also
    project from the data as it stood K, K+3 and K+6 months before as-of, with each method,
    and compare with the return at the target seen since. ``compare``: an earlier json export
    of ``project`` (path). ``engine``, ``spark_master``: see :func:`run_report`."""
    runner = resolve(engine, spark_master)
    settings, sample, step = _begin(config, overrides, progress, spend, deals, touches)
    target = max(settings.windows) if target is None else target
    if not 0 <= backtest_months <= MAX_MONTHS:  # 0: no backtest
        raise InputError(f"expected months from 0 to {MAX_MONTHS}, got {backtest_months}",
                         option="backtest_months")
    _check_priors(priors, method, cohort)
    previous = (read_previous(compare, cohort, target, period) if compare is not None
                else None)
    inputs = split(load(spend, deals, touches, settings, as_of, strict, data_through), period)
    step("Attributing won deals to campaigns")
    chain = _chain(inputs, settings)
    credits, months = runner.passes(inputs, settings, target, chain)
    step("Projecting")
    projection = project(inputs, credits, settings, target, cohort, confidence, months, method,
                         priors, chain)
    table, pairs, cuts = None, None, []
    if backtest_months:
        step(f"Backtesting from {backtest_months} months back")
        table, pairs, cuts = backtest(inputs, credits, settings, backtest_months, target,
                                      cohort, confidence, priors, chain, months=months,
                                      engine=runner)
    comparison = compare_projection(projection, previous) if previous is not None else None
    return ProjectReport(settings, inputs, projection, table, cuts[0] if cuts else None,
                         sample, tuple(cuts), pairs, comparison)


@dataclass(frozen=True)
class WatchReport:
    """The result of :func:`run_watch`: ``table`` (per campaign: expected and measured return
    by now, status behind / ahead / on track / not judged), the projections ``now`` and
    ``then`` (``since`` months earlier, on ``then_as_of``)."""

    settings: Settings
    inputs: Inputs
    table: pd.DataFrame
    now: Projection
    then: Projection
    then_as_of: pd.Timestamp
    since: int
    confidence: float
    sample: bool

    @property
    def behind(self) -> bool:
        """True when some campaign has won less than its interval expected."""
        return bool((self.table["status"] == "behind").any())


def run_watch(spend=None, deals=None, touches=None, config=None, *, as_of=None,
              data_through=None, since: int = 3, target: int | None = None,
              confidence: float = 0.95,
              method: str = "auto", priors: dict | None = None, strict: bool = False,
              progress: Progress | None = None, engine: str | Engine | None = None,
              spark_master: str | None = None, **overrides: Any) -> WatchReport:
    """Actual vs expected: what each campaign has won by now against what the projection
    made ``since`` months ago expected (see :mod:`roiclock.monitor`): the ``roiclock watch``
    command. ``engine``, ``spark_master``: see :func:`run_report`."""
    _check_priors(priors, method, "campaign")
    runner = resolve(engine, spark_master)
    settings, sample, step = _begin(config, overrides, progress, spend, deals, touches)
    target = max(settings.windows) if target is None else target
    inputs = load(spend, deals, touches, settings, as_of, strict, data_through)
    step("Attributing won deals to campaigns")
    chain = _chain(inputs, settings)
    credits, months = runner.passes(inputs, settings, target, chain)
    step("Comparing with the projection made earlier")
    table, now, then, when = watch(inputs, credits, settings, since, target, confidence,
                                   method, priors, chain, months, runner)
    return WatchReport(settings, inputs, table, now, then, when, since, confidence, sample)


@dataclass(frozen=True)
class Validation:
    """The result of :func:`run_validate`: the validated ``inputs`` (accounting, rejects) and
    ``problem``, the error that would stop a run (None when the data is usable)."""

    settings: Settings
    inputs: Inputs
    problem: InputError | None
    sample: bool

    @property
    def table(self) -> pd.DataFrame:
        """What ``roiclock validate`` exports: rows read, used, rejected and after as-of, by
        file (the inputs' accounting)."""
        return self.inputs.accounting

    @property
    def reasons(self) -> pd.DataFrame:
        """Rejected rows counted by file and reason, with the first row of each."""
        return reasons(self.inputs.rejects)


def run_validate(spend=None, deals=None, touches=None, config=None, *, as_of=None,
                 data_through=None, strict: bool = False, progress: Progress | None = None,
                 **overrides: Any) -> Validation:
    """Check the inputs without stopping on rejected rows: the ``roiclock validate`` command.
    A deals file alone will do."""
    settings, sample, _ = _begin(config, overrides, progress, spend, deals, touches)
    inputs = validate(read(spend, deals, touches, settings, need_spend=False), settings,
                      as_of=as_of, data_through=data_through)
    return Validation(settings, inputs, inputs.blocking(strict), sample)


@dataclass(frozen=True)
class Explanation:
    """The result of :func:`run_explain`: the fitted ``chain`` and ``table``, one row per
    channel (campaign or channel): removal_effect, share (of the summed effects),
    credited_return (its per-deal credits, as the report uses them) and global_return (all
    attributed return allocated by share, the textbook total)."""

    settings: Settings
    inputs: Inputs
    chain: Chain
    table: pd.DataFrame
    sample: bool


def run_explain(spend=None, deals=None, touches=None, config=None, *, as_of=None,
                data_through=None, strict: bool = False, progress: Progress | None = None,
                **overrides: Any) -> Explanation:
    """Why the Markov model credits what it does: the ``roiclock explain`` command."""
    overrides["model"] = "markov"
    settings, sample, step = _begin(config, overrides, progress, spend, deals, touches)
    inputs = load(spend, deals, touches, settings, as_of, strict, data_through)
    step("Fitting the Markov chain")
    chain = markov.chain(inputs, settings, tables=True)
    table = markov.explanation(chain, inputs, settings, attribute(inputs, settings, chain))
    return Explanation(settings, inputs, chain, table, sample)


def run_sql(dialect: str = "duckdb", config=None, **overrides: Any) -> str:
    """The SQL plan of the row-level passes (credits, the campaign x month grid) in
    ``dialect`` (one of duckdb, spark, postgres, snowflake, bigquery), over input tables
    named spend, deals and touches: the ``roiclock sql`` command. It is what ``engine='duckdb'``
    (or spark) runs; ``overrides`` are settings (model, windows, lookback_days, ...)."""
    if dialect not in DIALECTS:
        raise InputError(f"expected one of {', '.join(DIALECTS)}, got '{dialect}'",
                         option="dialect")
    settings = load_settings(config, **overrides)
    return script(settings, max(settings.windows), dialect)
